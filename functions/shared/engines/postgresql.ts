/**
 * PostgreSQL through CloudNativePG: one `postgresql.cnpg.io/v1` Cluster (instances = nodes) and
 * the `kubernetes.io/basic-auth` Secret of its application owner. The operator creates the pods,
 * PVCs, PDBs and the `-rw`/`-ro`/`-r` Services; the superuser is disabled.
 *
 * With `spec.tls` (tls.ts) the instances serve the cluster's certificate instead of the one
 * CloudNativePG would issue from its own CA; PostgreSQL 17 refuses plain-text connections too.
 */
import * as z from 'zod';
import type { BackupStore, ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import {
  BACKUP_DESTINATION_ANNOTATION,
  BACKUP_LABEL,
  BACKUP_POD_LABEL,
  backupAccess,
  s3Uri,
} from './backups.js';
import { imageFor } from './images.js';
import { objectMeta, renderTenancy, TENANCY_KINDS } from './tenancy.js';
import { DATABASE_TLS_SECRET, type GatewayMode, serviceDnsNames, tlsOn } from './tls.js';
import type {
  BackupProgress,
  BackupTarget,
  Blueprint,
  KubeObject,
  PauseState,
  Readiness,
  RenderContext,
} from './types.js';
import { parseVersion, upgradeChecker } from './versions.js';
import {
  inheritedLabels,
  nodeResources,
  num,
  objectRef,
  quantityToBytes,
  record,
  serviceConnection,
} from './workload.js';

const NAME = 'postgresql';
const SECRET = 'postgresql-credentials';
const PASSWORD_KEY = 'password';
const PORT = 5432;
/** CloudNativePG's instance manager: the operator reads each instance's status on this port. */
const INSTANCE_MANAGER_PORT = 8000;
/** Where the CloudNativePG operator runs (its manifests' and Helm chart's default). */
export const CNPG_OPERATOR_NAMESPACE = 'cnpg-system';
const VERSIONS = ['16.9', '17.5'] as const;
export const CNPG_HEALTHY_PHASE = 'Cluster in healthy state';
/**
 * Phases CloudNativePG cannot leave without a person: `Cluster is unrecoverable...`, `...cannot
 * proceed...`, `Unable to create required cluster objects`, `...invalid image catalog`, `Waiting
 * for user action`. `Failing over` is transient and does not match (`failing` is not a word here).
 */
const FAILURE_PHASE = /\b(unrecoverable|cannot|unable|invalid|error|failed|failure)\b|waiting for user/i;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED = new Set(['postgres', 'streaming_replica', 'template0', 'template1', 'public']);
const identifier = (what: string) =>
  z
    .string()
    .regex(IDENTIFIER, `${what} must be a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63)`)
    .refine((v) => !RESERVED.has(v) && !v.startsWith('pg_'), `${what} is reserved by PostgreSQL`);

export const postgresqlSettingsSchema = z
  .strictObject({
    /** The application database, created at bootstrap (later changes are ignored by CloudNativePG). */
    database: identifier('database').default('app'),
    /**
     * Owner of the database and the user whose password Stratus generates (bootstrap only).
     * Defaults to `database`, as CloudNativePG's `bootstrap.initdb.owner` does.
     */
    owner: identifier('owner').optional(),
    maxConnections: z.int().min(20).max(5000).default(100),
  })
  .transform(({ database, owner, maxConnections }) => ({
    database,
    owner: owner ?? database,
    maxConnections,
  }));
export type PostgresqlSettings = z.infer<typeof postgresqlSettingsSchema>;

/**
 * CloudNativePG's declarative hibernation: with this annotation `on`, the operator deletes the
 * instances' pods (primary first, no switchover) and keeps every PVC; without it (or `off`) it
 * starts them again on the same volumes. It reports the state in the condition of the same name.
 */
export const CNPG_HIBERNATION = 'cnpg.io/hibernation';

/** Where Barman Cloud keeps a cluster's base backups and WAL: `<destinationPath>/<serverName>/`. */
const SERVER_NAME = NAME;
/** The recovery source of a restored cluster, in `externalClusters`. */
const ORIGIN = 'origin';

/**
 * Barman Cloud's object store for one cluster prefix, with the pods' own AWS identity (EKS Pod
 * Identity or IRSA on the CloudNativePG ServiceAccount): no credentials in a Secret.
 */
function barmanObjectStore(store: BackupStore) {
  return {
    destinationPath: s3Uri(store).replace(/\/$/, ''),
    serverName: SERVER_NAME,
    s3Credentials: { inheritFromIAMRole: true },
    wal: { compression: 'gzip' },
    data: { compression: 'gzip' },
  };
}

/** The base backup's directory that CloudNativePG's `status.backupId` names. */
function baseBackupStore(clusterStore: BackupStore, barmanId: string): BackupStore {
  return { bucket: clusterStore.bucket, prefix: `${clusterStore.prefix}${SERVER_NAME}/base/${barmanId}/` };
}

/**
 * A new cluster bootstrapped from another's backup: the base backup, then its WAL replayed to
 * `pointInTime`, or to the end of that base backup (its Barman id is the last part of its prefix).
 */
function recoveryBootstrap(spec: ClusterSpec, settings: PostgresqlSettings) {
  const restore = spec.restore;
  if (!restore) return undefined;
  const barmanId = restore.storage.prefix.split('/').filter(Boolean).pop() ?? '';
  return {
    bootstrap: {
      recovery: {
        source: ORIGIN,
        database: settings.database,
        owner: settings.owner,
        secret: { name: SECRET },
        recoveryTarget: restore.pointInTime
          ? { targetTime: restore.pointInTime }
          : { backupID: barmanId, targetImmediate: true },
      },
    },
    externalClusters: [{ name: ORIGIN, barmanObjectStore: barmanObjectStore(restore.sourceStore) }],
  };
}

/** CloudNativePG reports the `imageName` it was given as `status.image`, digest included. */
const imageOf = (version: string) => imageFor('postgresql', version);

/** The Services CloudNativePG creates for the Cluster: read-write, any instance, replicas only. */
const SERVICES = [`${NAME}-rw`, `${NAME}-r`, `${NAME}-ro`] as const;

/**
 * PostgreSQL 17 accepts a TLS handshake first (`sslnegotiation=direct`, ALPN `postgresql`), so the
 * gateway can pass a client's TLS through by SNI; PostgreSQL 16 starts TLS only after its own
 * SSLRequest exchange, which a TLS passthrough cannot carry: the gateway terminates TLS and
 * connects in plain text (docs/endpoints.md). A major upgrade is refused in place, so a cluster
 * keeps its mode.
 */
function gatewayMode(spec: ClusterSpec): GatewayMode {
  return (parseVersion(spec.version)?.major ?? 0) >= 17 ? 'passthrough' : 'terminate';
}

/**
 * pg_hba rules that refuse every plain-text TCP connection. CloudNativePG puts its own fixed rules
 * first (`local all all peer`, then `hostssl` with client certificates for `streaming_replica` and
 * the pooler), then these, then its default `host all all all scram-sha-256`; the first matching
 * rule decides. Its instance manager connects through the Unix socket and the replicas (and
 * pg_basebackup, pg_rewind) over TLS with their certificates, so nothing of CloudNativePG's own is
 * refused; clients now need TLS before the password rule is reached. `all` does not match
 * replication connections: a plain-text one finds no rule at all and is refused anyway.
 */
const REFUSE_PLAIN_TEXT = ['hostnossl all all 0.0.0.0/0 reject', 'hostnossl all all ::/0 reject'] as const;

/**
 * The cluster's certificate (Secret `stratus-tls`, from cert-manager) as the server's: `tls.crt`
 * and `tls.key` become `ssl_cert_file` and `ssl_key_file`; `ca.crt` is what the replicas (which
 * check the CA only, not the name) and clients verify the server with. CloudNativePG still issues
 * its client CA and the replication certificate itself.
 */
function tlsSettings(spec: ClusterSpec) {
  if (!tlsOn(spec)) return undefined;
  return {
    certificates: { serverTLSSecret: DATABASE_TLS_SECRET, serverCASecret: DATABASE_TLS_SECRET },
    // PostgreSQL 16 behind the gateway: its last hop is plain TCP from the gateway's proxies, whose
    // pod IPs pg_hba cannot name (they change, and CloudNativePG's `${podselector:...}` only sees
    // the Cluster's own namespace), so plain text stays open to whatever the NetworkPolicies admit
    // to the port (the namespace's own pods, data-plane ingress namespaces, the gateway's proxies
    // when public). TLS is still served and `connection` still says TLS: clients in the EKS
    // cluster use sslmode=verify-full.
    pg_hba: gatewayMode(spec) === 'passthrough' ? [...REFUSE_PLAIN_TEXT] : undefined,
  };
}

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('postgresql: ctx.secrets.password is required');
  const settings = postgresqlSettingsSchema.parse(spec.settings);
  const sharedBuffersMiB = Math.max(16, Math.floor(quantityToBytes(spec.size.memory) / 4 / 2 ** 20));
  const recovery = recoveryBootstrap(spec, settings);
  const usesStore = Boolean(spec.backupStore || spec.restore);
  const tls = tlsSettings(spec);
  return [
    ...renderTenancy(spec, ctx, {
      clientPorts: [PORT],
      operator: { namespace: CNPG_OPERATOR_NAMESPACE, ports: [INSTANCE_MANAGER_PORT] },
      // The instance manager in every pod watches its Cluster and reports status through the API.
      kubeApiEgress: true,
      credentialSecret: SECRET,
    }),
    // The instances archive WAL and upload base backups themselves (barman-cloud in every pod).
    ...(usesStore ? backupAccess(spec, ctx).filter((o) => o.kind === 'NetworkPolicy') : []),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'kubernetes.io/basic-auth',
      stringData: { username: settings.owner, [PASSWORD_KEY]: password },
    },
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: (() => {
        const meta = objectMeta(spec, ctx, NAME);
        // Resumed: the annotation is no longer applied, so server-side apply removes it.
        return spec.paused
          ? { ...meta, annotations: { ...meta.annotations, [CNPG_HIBERNATION]: 'on' } }
          : meta;
      })(),
      spec: {
        // Not 0 while paused: hibernation keeps every instance's PVC, and the count they come back with.
        instances: spec.nodes,
        imageName: imageOf(spec.version),
        imagePullPolicy: 'IfNotPresent',
        enableSuperuserAccess: false,
        // A single instance with a PDB blocks every node drain; with replicas CNPG's PDBs are right.
        enablePDB: spec.nodes > 1,
        primaryUpdateStrategy: 'unsupervised',
        primaryUpdateMethod: 'switchover',
        postgresql: {
          parameters: {
            max_connections: String(settings.maxConnections),
            shared_buffers: `${sharedBuffersMiB}MB`,
          },
          ...(tls?.pg_hba ? { pg_hba: tls.pg_hba } : {}),
        },
        ...(tls ? { certificates: tls.certificates } : {}),
        ...(recovery ?? {
          bootstrap: {
            initdb: {
              database: settings.database,
              owner: settings.owner,
              secret: { name: SECRET },
              dataChecksums: true,
            },
          },
        }),
        ...(spec.backupStore ? { backup: { barmanObjectStore: barmanObjectStore(spec.backupStore) } } : {}),
        storage: { size: `${spec.size.storageGiB}Gi` },
        resources: nodeResources(spec),
        affinity: {
          enablePodAntiAffinity: true,
          podAntiAffinityType: 'preferred',
          topologyKey: 'kubernetes.io/hostname',
        },
        seccompProfile: { type: 'RuntimeDefault' },
        inheritedMetadata: {
          labels: { ...inheritedLabels(spec), ...(usesStore ? { [BACKUP_POD_LABEL]: 'true' } : {}) },
        },
      },
    },
  ];
}

function readinessRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'postgresql.cnpg.io/v1', 'Cluster', NAME)];
}

/**
 * Ready when the operator reports the healthy phase with every instance ready (and, when it says
 * which image it runs, the requested one). A failure phase is permanent: CloudNativePG will not
 * leave it by itself.
 */
function readiness(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  const cluster = live[0];
  if (!cluster) return { ready: false, reason: `Cluster ${NAME} not found` };
  const status = record(cluster.status);
  const phase = typeof status.phase === 'string' ? status.phase : '';
  const why = typeof status.phaseReason === 'string' && status.phaseReason ? ` (${status.phaseReason})` : '';
  if (hibernation(cluster)?.status === 'True') {
    return { ready: false, reason: 'CloudNativePG: the cluster is hibernated' };
  }
  if (FAILURE_PHASE.test(phase)) {
    return { ready: false, permanent: true, reason: `CloudNativePG: ${phase}${why}` };
  }
  const image = imageOf(spec.version);
  if (typeof status.image === 'string' && status.image !== '' && status.image !== image) {
    return { ready: false, reason: `CloudNativePG still runs ${status.image}, not ${image}` };
  }
  const ready = num(status.readyInstances);
  if (ready < spec.nodes) return { ready: false, reason: `${ready}/${spec.nodes} instances ready` };
  if (phase !== CNPG_HEALTHY_PHASE) {
    return { ready: false, reason: `CloudNativePG: ${phase || 'no phase reported yet'}${why}` };
  }
  return { ready: true };
}

/** The `cnpg.io/hibernation` condition CloudNativePG reports (absent once rehydrated). */
function hibernation(cluster: KubeObject): Record<string, unknown> | undefined {
  const conditions = record(cluster.status).conditions;
  return Array.isArray(conditions)
    ? conditions.map(record).find((c) => c.type === CNPG_HIBERNATION)
    : undefined;
}

/**
 * Paused once CloudNativePG reports the hibernation done (its condition True, reason
 * `Hibernated`) and no instance is ready; running again once the condition is gone (or False)
 * and the annotation is off. A wrong annotation value is a False condition with a reason.
 */
function pauseState(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): PauseState {
  const cluster = live[0];
  if (!cluster) return { state: 'changing', reason: `Cluster ${NAME} not found` };
  const condition = hibernation(cluster);
  const requested = cluster.metadata.annotations?.[CNPG_HIBERNATION] === 'on';
  if (spec.paused) {
    if (!requested) return { state: 'changing', reason: 'the hibernation annotation is not applied yet' };
    if (condition?.status === 'True' && num(record(cluster.status).readyInstances) === 0)
      return { state: 'paused' };
    return {
      state: 'changing',
      reason: `CloudNativePG: hibernating (${String(condition?.reason ?? 'no hibernation condition yet')})`,
    };
  }
  if (requested || condition?.status === 'True') {
    return { state: 'changing', reason: 'CloudNativePG: still hibernated' };
  }
  return { state: 'running' };
}

function connection(spec: ClusterSpec): ConnectionInfo {
  return serviceConnection(spec, {
    service: `${NAME}-rw`,
    scheme: 'postgresql',
    port: PORT,
    secret: SECRET,
    key: PASSWORD_KEY,
    // PostgreSQL 16 still takes plain text: the gateway's last hop (gatewayMode).
    tlsRequired: gatewayMode(spec) === 'passthrough',
  });
}

/**
 * Minor releases (17.4 -> 17.5) only: CloudNativePG rolls them out replica by replica, then
 * switches over. A major upgrade changes the data directory format and needs a different
 * procedure (pg_upgrade or an import into a new cluster), so it is refused here.
 */
const checkUpgrade = upgradeChecker('PostgreSQL', VERSIONS, (from, to) =>
  to.major === from.major
    ? undefined
    : `PostgreSQL major upgrades (${from.major} -> ${to.major}) are not supported in place; create a new ${to.major} cluster and migrate the data`,
);

/** A CloudNativePG `Backup` of the cluster's Barman object store, named after the backup. */
function renderBackup(spec: ClusterSpec, target: BackupTarget, ctx: RenderContext): KubeObject[] {
  return [
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Backup',
      metadata: (() => {
        const meta = objectMeta(spec, ctx, target.backupId, { [BACKUP_LABEL]: target.backupId });
        // For people (and the local stand-in): where CloudNativePG writes it.
        return {
          ...meta,
          annotations: { ...meta.annotations, [BACKUP_DESTINATION_ANNOTATION]: s3Uri(target.clusterStore) },
        };
      })(),
      spec: { cluster: { name: NAME }, method: 'barmanObjectStore' },
    },
  ];
}

/** CloudNativePG's Backup phases: `completed` and `failed` are final. */
function backupProgress(target: BackupTarget, live: KubeObject | undefined): BackupProgress {
  if (!live) return { state: 'running', reason: 'the Backup is not created yet' };
  const status = record(live.status);
  const phase = typeof status.phase === 'string' ? status.phase : '';
  if (phase === 'completed') {
    const barmanId = typeof status.backupId === 'string' ? status.backupId : '';
    if (!barmanId)
      return { state: 'failed', reason: 'CloudNativePG completed the Backup without a backupId' };
    return { state: 'succeeded', storage: baseBackupStore(target.clusterStore, barmanId) };
  }
  if (phase === 'failed') {
    return {
      state: 'failed',
      reason: `CloudNativePG: ${typeof status.error === 'string' ? status.error : 'failed'}`,
    };
  }
  return { state: 'running', reason: `CloudNativePG: ${phase || 'no phase yet'}` };
}

export const postgresqlBlueprint: Blueprint = {
  engine: 'postgresql',
  displayName: 'PostgreSQL',
  versions: VERSIONS,
  settingsSchema: postgresqlSettingsSchema,
  // CloudNativePG reads these at bootstrap only; the credential Secret's username follows `owner`.
  immutableSettings: ['database', 'owner'],
  secretNames: ['password'],
  backup: {
    // The WAL archive replays to any moment after a base backup.
    pointInTime: true,
    restore: true,
    // Until CloudNativePG names the base backup: the cluster's Barman directory.
    storage: (clusterStore) => ({
      bucket: clusterStore.bucket,
      prefix: `${clusterStore.prefix}${SERVER_NAME}/`,
    }),
    // CloudNativePG runs every instance as a ServiceAccount named after the Cluster; its instances
    // archive WAL and take base backups themselves, so they need the identity from their start.
    identity: { serviceAccount: NAME, databasePods: true },
    render: renderBackup,
    statusRef: (spec, target) => objectRef(spec, 'postgresql.cnpg.io/v1', 'Backup', target.backupId),
    progress: backupProgress,
  },
  tls: {
    // Every form of the three Services, as CloudNativePG's own server certificates have them.
    dnsNames: (spec) => SERVICES.flatMap((service) => serviceDnsNames(spec, service)),
    gatewayMode,
    // CloudNativePG reloads the instances when a Secret it uses changes, if the Secret carries the
    // label `cnpg.io/reload` (its documentation, "Certificates", user-provided server
    // certificates); cert-manager puts it on `stratus-tls` (the Certificate's `secretTemplate`).
    renewal: { kind: 'reloads' },
    secretLabels: { 'cnpg.io/reload': '' },
  },
  pause: {
    method: `CloudNativePG declarative hibernation (annotation ${CNPG_HIBERNATION}: on; its PVCs stay)`,
    refs: readinessRefs,
    state: pauseState,
  },
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  checkUpgrade,
};
