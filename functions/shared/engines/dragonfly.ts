/**
 * Dragonfly (Redis/Valkey-compatible, multi-threaded) through the Dragonfly operator: one
 * `dragonflydb.io/v1alpha1` Dragonfly (replicas = nodes: one master, the rest replicas, with
 * failover by the operator), the Secret with its password and a ServiceAccount without an API
 * token for its pods. The operator creates the StatefulSet, the `dragonfly` Service (master only)
 * and, with several nodes, a PDB.
 *
 * With `spec.tls` (tls.ts), `tlsSecretRef` names the cluster's certificate Secret: the operator
 * mounts it (at its own path) and adds `--tls`, `--tls_cert_file`, `--tls_key_file` and
 * `--no_tls_on_admin_port`, so the client port serves TLS only (Dragonfly refuses plain text
 * there) and the admin port, where the operator sets up replication (replicas replicate from the
 * master's admin port, by pod IP), stays plain and reachable by the operator only (tenancy.ts).
 * No `--tls_ca_cert_file`: with it Dragonfly would require client certificates, and clients
 * authenticate with the password.
 */
import * as z from 'zod';
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import {
  BACKUP_JOB_RESOURCES,
  BACKUP_POD_LABEL,
  BACKUP_SERVICE_ACCOUNT,
  backupAccess,
  backupJob,
  backupObjectsStore,
  jobProgress,
  jobRef,
  RESTORED_MARKER,
  restoreContainer,
} from './backups.js';
import { imageFor } from './images.js';
import { LABELS, objectMeta, renderTenancy, TENANCY_KINDS } from './tenancy.js';
import {
  type CertificateRenewal,
  DATABASE_TLS_MOUNT,
  DATABASE_TLS_SECRET,
  serviceDnsNames,
  tlsOn,
} from './tls.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { upgradeChecker } from './versions.js';
import {
  containerSecurityContext,
  inheritedLabels,
  nodeResources,
  objectRef,
  podSecurityContext,
  record,
  replicasOf,
  serviceConnection,
  spreadOverNodes,
  statefulSetPauseState,
} from './workload.js';

const NAME = 'dragonfly';
const SECRET = 'dragonfly-credentials';
const PASSWORD_KEY = 'password';
const PORT = 6379;
/** The operator configures replication through each pod's admin port (no password, never exposed). */
const ADMIN_PORT = 9999;
/** The `dfly` user of the official image. */
const UID = 999;
/** Where the Dragonfly operator runs (its manifests' and Helm chart's default). */
export const DRAGONFLY_OPERATOR_NAMESPACE = 'dragonfly-operator-system';
const VERSIONS = ['1.35.1', '1.39.0'] as const;
/** Current operators write `Ready`; older ones wrote `ready` (which current ones still accept). */
const READY_PHASES = new Set(['Ready', 'ready']);

/** Five cron fields of digits, `*`, `/`, `,` and `-` (what Dragonfly's `--snapshot_cron` accepts). */
const CRON = /^[\d*/,-]+( [\d*/,-]+){4}$/;

export const dragonflySettingsSchema = z.strictObject({
  /** Evict least recently used keys near `maxmemory` instead of refusing writes. */
  cacheMode: z.boolean().default(false),
  /** When each instance writes a snapshot to its volume (5-field cron, UTC). */
  snapshotCron: z
    .string()
    .regex(CRON, 'snapshotCron must be a 5-field cron expression, e.g. "*/30 * * * *"')
    .default('*/30 * * * *'),
});
export type DragonflySettings = z.infer<typeof dragonflySettingsSchema>;

/** The operator's snapshot volume (`df`, its PVC template) and where it mounts it (`--dir`). */
const SNAPSHOT_VOLUME = 'df';
const SNAPSHOT_DIR = '/dragonfly/snapshots';
/**
 * The restored RDB's name: Dragonfly loads, at start, the newest file in `--dir` matching its
 * `dbfilename` (`dump-{timestamp}`) that ends in `.rdb` or `summary.dfs`, newest by name. The
 * epoch's timestamp makes the restored file the oldest: loaded at the first start, and never again
 * once the instance wrote a snapshot of its own.
 */
const RESTORED_RDB = 'dump-1970-01-01T00:00:00.rdb';

/**
 * A restored cluster's init container (every pod: each loads the backup at its first start, then
 * the operator makes them replicate its master): downloads the backup's RDB into the empty
 * snapshot volume. A pod started again later finds the marker and leaves its data alone.
 */
function restoreInit(restore: NonNullable<ClusterSpec['restore']>) {
  return restoreContainer(
    restore.storage,
    [
      `if [ -e ${SNAPSHOT_DIR}/${RESTORED_MARKER} ]; then exit 0; fi`,
      `aws s3 cp --only-show-errors "\${RESTORE_URI}dump.rdb" ${SNAPSHOT_DIR}/${RESTORED_RDB}`,
      `touch ${SNAPSHOT_DIR}/${RESTORED_MARKER}`,
    ].join('\n'),
    [{ name: SNAPSHOT_VOLUME, mountPath: SNAPSHOT_DIR }],
  );
}

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('dragonfly: ctx.secrets.password is required');
  const settings = dragonflySettingsSchema.parse(spec.settings);
  const restore = spec.restore;
  const podLabels = { ...inheritedLabels(spec), ...(restore ? { [BACKUP_POD_LABEL]: 'true' } : {}) };
  return [
    ...renderTenancy(spec, ctx, {
      clientPorts: [PORT],
      operator: { namespace: DRAGONFLY_OPERATOR_NAMESPACE, ports: [ADMIN_PORT] },
      credentialSecret: SECRET,
      ...(spec.backupStore || restore ? { backupPod: BACKUP_JOB_RESOURCES } : {}),
    }),
    ...(spec.backupStore || restore ? backupAccess(spec, ctx) : []),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'Opaque',
      stringData: { [PASSWORD_KEY]: password },
    },
    {
      // The operator cannot switch off token automounting on its pods; their ServiceAccount can.
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: objectMeta(spec, ctx, NAME),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'dragonflydb.io/v1alpha1',
      kind: 'Dragonfly',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        // Paused: the operator sets its StatefulSet to 0 replicas, which keeps the snapshot PVCs.
        replicas: replicasOf(spec),
        image: imageFor('dragonfly', spec.version),
        imagePullPolicy: 'IfNotPresent',
        ...(settings.cacheMode ? { args: ['--cache_mode=true'] } : {}),
        resources: nodeResources(spec),
        authentication: { passwordFromSecret: { name: SECRET, key: PASSWORD_KEY } },
        // A restored cluster's pods download the backup at first start, as the backup identity.
        serviceAccountName: restore ? BACKUP_SERVICE_ACCOUNT : NAME,
        podSecurityContext: podSecurityContext(UID),
        containerSecurityContext: containerSecurityContext(UID),
        snapshot: {
          cron: settings.snapshotCron,
          persistentVolumeClaimSpec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: `${spec.size.storageGiB}Gi` } },
          },
        },
        // Stratus renders the namespace's policies itself (tenancy.ts).
        networkPolicyEnabled: false,
        podMetadata: { labels: podLabels },
        ownedObjectsMetadata: { labels: podLabels },
        affinity: spreadOverNodes({ [LABELS.cluster]: spec.clusterId }),
        ...(restore
          ? {
              initContainers: [restoreInit(restore)],
              additionalVolumes: [{ name: 'restore-tmp', emptyDir: { sizeLimit: '64Mi' } }],
            }
          : {}),
        ...(tlsOn(spec) ? { tlsSecretRef: { name: DATABASE_TLS_SECRET } } : {}),
      },
    },
  ];
}

/**
 * Dragonfly is not known to re-read `--tls_cert_file` and `--tls_key_file` once started (neither
 * its flags nor the operator say so): its pods restart onto a renewed certificate. Through the Dragonfly, not its StatefulSet: the operator rewrites the StatefulSet
 * from the Dragonfly on every reconcile (dragonfly-operator `GenerateDragonflyResources`, then an
 * Update), which would drop an annotation put there. `spec.podMetadata.annotations` ("labels and
 * annotations to add to the Dragonfly pods", its CRD) goes into the StatefulSet's pod template; the
 * operator then rolls the pods itself (`OnDelete`: replicas first, then `REPLTAKEOVER` and the
 * master), as for any template change.
 */
const dragonflyRestart: CertificateRenewal = {
  kind: 'restart',
  target: () => ({
    apiVersion: 'dragonflydb.io/v1alpha1',
    kind: 'Dragonfly',
    name: NAME,
    podAnnotations: ['spec', 'podMetadata', 'annotations'],
  }),
};

function readinessRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'dragonflydb.io/v1alpha1', 'Dragonfly', NAME)];
}

/**
 * Ready when the operator reports the ready phase (set once a master is elected and every replica
 * replicates from it) and no rolling update is under way. The operator has no failure phase:
 * problems show as a phase that never becomes ready, and the operation's deadline ends the wait.
 */
function readiness(_spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  const df = live[0];
  if (!df) return { ready: false, reason: `Dragonfly ${NAME} not found` };
  const status = record(df.status);
  const phase = typeof status.phase === 'string' ? status.phase : '';
  if (status.isRollingUpdate === true || phase === 'RollingUpdate') {
    return { ready: false, reason: 'Dragonfly operator: rolling update in progress' };
  }
  if (!READY_PHASES.has(phase)) {
    return { ready: false, reason: `Dragonfly operator: ${phase || 'no phase reported yet'}` };
  }
  return { ready: true };
}

/**
 * The Dragonfly operator has no hibernation: it copies `spec.replicas` to the StatefulSet it
 * makes (named like the Dragonfly), so 0 replicas stops every pod and keeps the PVCs of
 * `snapshot.persistentVolumeClaimSpec` (its `volumeClaimTemplates`). Its own status has no replica
 * count, so the pause is read from that StatefulSet.
 */
function pauseRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'apps/v1', 'StatefulSet', NAME)];
}

function connection(spec: ClusterSpec): ConnectionInfo {
  return serviceConnection(spec, {
    service: NAME,
    scheme: 'redis',
    tlsScheme: 'rediss',
    port: PORT,
    secret: SECRET,
    key: PASSWORD_KEY,
  });
}

/** Any newer 1.x release: Dragonfly 1.x reads the snapshots of earlier 1.x releases. */
const checkUpgrade = upgradeChecker('Dragonfly', VERSIONS, (from, to) =>
  to.major === from.major
    ? undefined
    : `Dragonfly cannot upgrade across major versions (${from.major} -> ${to.major})`,
);

export const dragonflyBlueprint: Blueprint = {
  engine: 'dragonfly',
  displayName: 'Dragonfly',
  versions: VERSIONS,
  settingsSchema: dragonflySettingsSchema,
  secretNames: ['password'],
  backup: {
    pointInTime: false,
    // The backup's RDB, loaded by Dragonfly at the first start of each pod of a new cluster.
    restore: true,
    storage: backupObjectsStore,
    identity: { serviceAccount: BACKUP_SERVICE_ACCOUNT, databasePods: false },
    // Dragonfly speaks the Redis protocol: an RDB stream taken with valkey-cli (the newest pinned
    // Valkey image carries the client). With TLS, it verifies the server with the cluster's CA
    // (valkey-cli checks the chain, not the host name).
    render: (spec, target, ctx) =>
      backupJob(spec, ctx, target, {
        image: imageFor('valkey', '8.1.1'),
        script: `valkey-cli -h ${NAME} -p ${PORT}${tlsOn(spec) ? ` --tls --cacert ${DATABASE_TLS_MOUNT}/ca.crt` : ''} --no-auth-warning --rdb /backup/dump.rdb`,
        tls: tlsOn(spec),
        env: [
          { name: 'VALKEYCLI_AUTH', valueFrom: { secretKeyRef: { name: SECRET, key: PASSWORD_KEY } } },
          { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: SECRET, key: PASSWORD_KEY } } },
        ],
      }),
    statusRef: jobRef,
    progress: (_target, live) => jobProgress(live),
  },
  pause: {
    method: 'Dragonfly replicas set to 0: the operator scales its StatefulSet to 0 (its PVCs stay)',
    refs: pauseRefs,
    state: (spec, live) => statefulSetPauseState(spec, NAME, live[0]),
  },
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'ServiceAccount' },
    { apiVersion: 'dragonflydb.io/v1alpha1', kind: 'Dragonfly' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  checkUpgrade,
  tls: {
    // Clients reach the master through the operator's `dragonfly` Service; the operator's Service
    // is not headless (no pod names) and peers replicate by pod IP on the plain admin port.
    dnsNames: (spec) => serviceDnsNames(spec, NAME),
    gatewayMode: () => 'passthrough',
    renewal: dragonflyRestart,
  },
};
