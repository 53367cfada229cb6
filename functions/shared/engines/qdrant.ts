/**
 * Qdrant as a plain StatefulSet: a Secret with the API key, a headless Service for peer
 * discovery (P2P on 6335), a client Service (HTTP 6333, gRPC 6334) and the StatefulSet.
 *
 * With `spec.tls` (tls.ts) Qdrant serves TLS only, with the cluster's certificate: REST and gRPC
 * (`service.enable_tls`) and, in distributed mode, the peers' P2P port (`cluster.p2p.enable_tls`,
 * whose peers verify each other against `tls.ca_cert` and are addressed as `https://`).
 */
import * as z from 'zod';
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import {
  BACKUP_JOB_RESOURCES,
  BACKUP_POD_LABEL,
  BACKUP_SERVICE_ACCOUNT,
  BACKUP_TOOL_IMAGE,
  backupAccess,
  backupJob,
  backupObjectsStore,
  jobProgress,
  jobRef,
  RESTORED_MARKER,
  restoreContainer,
} from './backups.js';
import { imageFor } from './images.js';
import { namespaceOf, objectMeta, renderTenancy, stratusLabels, TENANCY_KINDS } from './tenancy.js';
import {
  DATABASE_TLS_MOUNT,
  DATABASE_TLS_SECRET,
  headlessDnsNames,
  serviceDnsNames,
  statefulSetRestart,
  tlsOn,
  tlsVolume,
  tlsVolumeMount,
} from './tls.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { newestWhere, upgradeChecker } from './versions.js';
import {
  containerSecurityContext,
  nodeResources,
  objectRef,
  podDisruptionBudget,
  podSecurityContext,
  replicasOf,
  serviceConnection,
  statefulSetPauseState,
  statefulSetReadiness,
  volumeClaim,
} from './workload.js';

const NAME = 'qdrant';
const HEADLESS = 'qdrant-headless';
const SECRET = 'qdrant-credentials';
const API_KEY = 'api-key';
const HTTP_PORT = 6333;
/** Qdrant's gRPC API, on the client Service too (the gateway's gRPC route goes there). */
export const QDRANT_GRPC_PORT = 6334;
/** The name of that port on the client Service `qdrant` (and on the pods). */
export const QDRANT_GRPC_PORT_NAME = 'grpc';
const GRPC_PORT = QDRANT_GRPC_PORT;
const P2P_PORT = 6335;
const UID = 1000;
const VERSIONS = ['1.13.6', '1.14.1', '1.15.5'] as const;

export const qdrantSettingsSchema = z.strictObject({
  /** Default replication factor of new collections (capped at the node count). */
  replicationFactor: z.int().min(1).max(9).default(1),
  /** Keep payloads on disk instead of in RAM. */
  onDiskPayload: z.boolean().default(true),
});
export type QdrantSettings = z.infer<typeof qdrantSettingsSchema>;

const selectorLabels = (spec: ClusterSpec) => ({
  'app.kubernetes.io/name': NAME,
  'app.kubernetes.io/instance': spec.clusterId,
});

const STORAGE = '/qdrant/storage';
/** The certificate's files in its mount (tls.ts): Qdrant's `tls.cert`, `tls.key`, `tls.ca_cert`. */
const TLS_CERT = `${DATABASE_TLS_MOUNT}/tls.crt`;
const TLS_KEY = `${DATABASE_TLS_MOUNT}/tls.key`;
const TLS_CA = `${DATABASE_TLS_MOUNT}/ca.crt`;
/**
 * Seconds between Qdrant's reloads of the certificate from its mount, so a renewal reaches REST
 * without a restart (Qdrant reloads it for HTTPS only: gRPC and P2P keep the one they started with).
 */
const TLS_CERT_TTL_SECONDS = 3600;
/** Where a restored cluster's init container puts the full storage snapshot it downloads. */
const RESTORE_DIR = '/restore';

/**
 * Qdrant's TLS settings (its configuration's `service.enable_tls`, `tls.*`, `cluster.p2p.enable_tls`
 * through its `QDRANT__` environment): TLS only on REST and gRPC, and between peers when distributed.
 * Clients' certificates are not asked for (`service.verify_https_client_certificate` stays off);
 * peers verify each other's (the same certificate) against `tls.ca_cert`.
 */
function tlsEnv(clustered: boolean) {
  return [
    { name: 'QDRANT__SERVICE__ENABLE_TLS', value: 'true' },
    { name: 'QDRANT__TLS__CERT', value: TLS_CERT },
    { name: 'QDRANT__TLS__KEY', value: TLS_KEY },
    { name: 'QDRANT__TLS__CA_CERT', value: TLS_CA },
    { name: 'QDRANT__TLS__CERT_TTL', value: String(TLS_CERT_TTL_SECONDS) },
    ...(clustered ? [{ name: 'QDRANT__CLUSTER__P2P__ENABLE_TLS', value: 'true' }] : []),
  ];
}

/**
 * A restored (single-node) cluster's first start: Qdrant recovers the full storage snapshot the
 * init container downloaded (`--storage-snapshot`, its documented way for a non-distributed
 * deployment). The marker on the storage volume, written first, keeps every later start from
 * recovering again over data written since.
 */
const RESTORE_START = [
  'set --',
  `if [ ! -e ${STORAGE}/${RESTORED_MARKER} ]; then`,
  `  snapshot=$(find ${RESTORE_DIR} -name '*.snapshot' | head -n 1)`,
  `  if [ -n "$snapshot" ]; then touch ${STORAGE}/${RESTORED_MARKER}; set -- --storage-snapshot "$snapshot"; fi`,
  'fi',
  'exec ./entrypoint.sh "$@"',
].join('\n');

/**
 * The restored cluster's init container: downloads the backup's full storage snapshot, unless the
 * storage volume was restored already (a pod started again later).
 */
function restoreInit(restore: NonNullable<ClusterSpec['restore']>) {
  return restoreContainer(
    restore.storage,
    [
      `if [ -e ${STORAGE}/${RESTORED_MARKER} ]; then exit 0; fi`,
      `aws s3 cp --only-show-errors --recursive --exclude '*' --include '*.snapshot' "$RESTORE_URI" ${RESTORE_DIR}/`,
    ].join('\n'),
    [
      { name: 'storage', mountPath: STORAGE },
      { name: 'restore', mountPath: RESTORE_DIR },
    ],
  );
}

/**
 * Pod 0 bootstraps the Raft cluster; the others join it through the headless Service. The
 * API key is read by Qdrant from its environment and never appears in the command line. A
 * restored cluster (one node) recovers its snapshot at its first start. With P2P over TLS the
 * peers' URIs say `https`, as Qdrant's own TLS tests and its Helm chart write them.
 */
function startScript(namespace: string, clustered: boolean, restored: boolean, tls: boolean): string {
  const scheme = tls ? 'https' : 'http';
  const peer = (host: string) => `${scheme}://${host}.${HEADLESS}.${namespace}.svc.cluster.local:${P2P_PORT}`;
  if (!clustered) return restored ? RESTORE_START : 'exec ./entrypoint.sh';
  return [
    'set -e',
    `if [ "$(hostname)" = "${NAME}-0" ]; then`,
    `  exec ./entrypoint.sh --uri "${peer('$(hostname)')}"`,
    'fi',
    `exec ./entrypoint.sh --bootstrap "${peer(`${NAME}-0`)}" --uri "${peer('$(hostname)')}"`,
  ].join('\n');
}

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const apiKey = ctx.secrets.apiKey;
  if (!apiKey) throw new Error('qdrant: ctx.secrets.apiKey is required');
  const settings = qdrantSettingsSchema.parse(spec.settings);
  const namespace = namespaceOf(spec.clusterId);
  const clustered = spec.nodes > 1;
  const selector = selectorLabels(spec);
  // Restored at the first start of its one node; scaled out later, its pods start as any others.
  const restore = clustered ? undefined : spec.restore;
  const tls = tlsOn(spec);
  const probeScheme = tls ? 'HTTPS' : 'HTTP';

  const objects: KubeObject[] = [
    ...renderTenancy(spec, ctx, {
      clientPorts: [HTTP_PORT, GRPC_PORT],
      credentialSecret: SECRET,
      ...(spec.backupStore || spec.restore ? { backupPod: BACKUP_JOB_RESOURCES } : {}),
    }),
    ...(spec.backupStore || spec.restore ? backupAccess(spec, ctx) : []),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'Opaque',
      stringData: { [API_KEY]: apiKey },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(spec, ctx, HEADLESS),
      spec: {
        clusterIP: 'None',
        // Peers must find each other before they are ready, or the Raft cluster never forms.
        publishNotReadyAddresses: true,
        selector,
        ports: [
          { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
          { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP' },
          { name: 'p2p', port: P2P_PORT, targetPort: 'p2p', protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
          { name: QDRANT_GRPC_PORT_NAME, port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        serviceName: HEADLESS,
        replicas: replicasOf(spec),
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: {
              ...stratusLabels(spec),
              ...selector,
              ...(restore ? { [BACKUP_POD_LABEL]: 'true' } : {}),
            },
          },
          spec: {
            // A restored cluster's pod downloads the backup at first start, as the backup identity.
            ...(restore ? { serviceAccountName: BACKUP_SERVICE_ACCOUNT } : {}),
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(UID),
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: NAME,
                image: imageFor('qdrant', spec.version),
                command: ['/bin/bash', '-c', startScript(namespace, clustered, Boolean(restore), tls)],
                ports: [
                  { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
                  { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
                  { name: 'p2p', containerPort: P2P_PORT, protocol: 'TCP' },
                ],
                env: [
                  {
                    name: 'QDRANT__SERVICE__API_KEY',
                    valueFrom: { secretKeyRef: { name: SECRET, key: API_KEY } },
                  },
                  { name: 'QDRANT__CLUSTER__ENABLED', value: String(clustered) },
                  { name: 'QDRANT__CLUSTER__P2P__PORT', value: String(P2P_PORT) },
                  { name: 'QDRANT__STORAGE__ON_DISK_PAYLOAD', value: String(settings.onDiskPayload) },
                  {
                    name: 'QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR',
                    value: String(Math.min(settings.replicationFactor, spec.nodes)),
                  },
                  ...(tls ? tlsEnv(clustered) : []),
                ],
                resources: nodeResources(spec),
                securityContext: containerSecurityContext(UID),
                readinessProbe: {
                  httpGet: { path: '/readyz', port: HTTP_PORT, scheme: probeScheme },
                  periodSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  httpGet: { path: '/livez', port: HTTP_PORT, scheme: probeScheme },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                volumeMounts: [
                  { name: 'storage', mountPath: STORAGE },
                  // The image's snapshot directory belongs to root; give the non-root user its own.
                  { name: 'snapshots', mountPath: '/qdrant/snapshots' },
                  ...(restore ? [{ name: 'restore', mountPath: RESTORE_DIR, readOnly: true }] : []),
                  ...(tls ? [tlsVolumeMount()] : []),
                ],
              },
            ],
            ...(restore ? { initContainers: [restoreInit(restore)] } : {}),
            volumes: [
              { name: 'snapshots', emptyDir: {} },
              // The downloaded snapshot: as large as the data, gone with the pod.
              ...(restore
                ? [
                    { name: 'restore', emptyDir: { sizeLimit: `${spec.size.storageGiB}Gi` } },
                    { name: 'restore-tmp', emptyDir: { sizeLimit: '64Mi' } },
                  ]
                : []),
              ...(tls ? [tlsVolume()] : []),
            ],
          },
        },
        volumeClaimTemplates: [volumeClaim(spec, 'storage')],
      },
    },
  ];
  if (clustered) {
    objects.push(podDisruptionBudget(spec, ctx, NAME, selector));
  }
  return objects;
}

function readinessRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'apps/v1', 'StatefulSet', NAME)];
}

function readiness(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  return statefulSetReadiness(NAME, spec.nodes, live[0]);
}

/**
 * With TLS (clusters created since issue #17's TLS to the database), gRPC is part of the
 * connection, and so exposed through the gateway on its own host; clusters created before keep
 * their REST-only endpoint (no change to what they render).
 */
function connection(spec: ClusterSpec): ConnectionInfo {
  return tlsOn(spec) ? { ...connectionOf(spec), grpcPort: QDRANT_GRPC_PORT } : connectionOf(spec);
}

function connectionOf(spec: ClusterSpec): ConnectionInfo {
  return serviceConnection(spec, {
    service: NAME,
    scheme: 'http',
    tlsScheme: 'https',
    port: HTTP_PORT,
    secret: SECRET,
    key: API_KEY,
  });
}

/**
 * The backup's dump: a full storage snapshot (POST /snapshots), downloaded from the node. With TLS
 * it calls Qdrant over HTTPS and verifies it with the cluster's CA.
 */
function snapshotScript(spec: ClusterSpec): string {
  const tls = tlsOn(spec);
  const curl = tls ? `curl -sfS --cacert ${TLS_CA}` : 'curl -sfS';
  return [
    `base=${tls ? 'https' : 'http'}://${NAME}:${HTTP_PORT}/snapshots`,
    `name=$(${curl} -X POST -H "api-key: $QDRANT_API_KEY" "$base" | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p')`,
    'test -n "$name"',
    `${curl} -H "api-key: $QDRANT_API_KEY" -o "/backup/$name" "$base/$name"`,
  ].join('\n');
}

/** The CA of the cluster's certificate only (never its key), for pods that call Qdrant. */
const CA_VOLUME = {
  name: 'tls-ca',
  secret: { secretName: DATABASE_TLS_SECRET, items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o440 },
};
const CA_MOUNT = { name: 'tls-ca', mountPath: DATABASE_TLS_MOUNT, readOnly: true };

interface PodTemplated {
  spec: {
    template: {
      spec: { initContainers: Array<{ name: string; volumeMounts: unknown[] }>; volumes: unknown[] };
    };
  };
}

/** A backup Job whose dump container (the one that calls Qdrant) mounts the CA. */
function withCaForDump(obj: KubeObject): KubeObject {
  if (obj.kind !== 'Job') return obj;
  const job = structuredClone(obj) as KubeObject & PodTemplated;
  const pod = job.spec.template.spec;
  pod.volumes = [...pod.volumes, CA_VOLUME];
  // New arrays: backupJob's containers share one list of mounts, and the uploader needs no CA.
  pod.initContainers = pod.initContainers.map((c) =>
    c.name === 'dump' ? { ...c, volumeMounts: [...c.volumeMounts, CA_MOUNT] } : c,
  );
  return job;
}

/**
 * Qdrant supports upgrading one minor version at a time (its storage migrations run minor to
 * minor), so 1.13.x -> 1.15.x goes through 1.14.x. Patch upgrades are free; majors are refused.
 */
const checkUpgrade = upgradeChecker('Qdrant', VERSIONS, (from, to) => {
  if (to.major !== from.major)
    return `Qdrant cannot upgrade across major versions (${from.major} -> ${to.major})`;
  if (to.minor > from.minor + 1) {
    const next = newestWhere(VERSIONS, (v) => v.major === from.major && v.minor === from.minor + 1);
    const step = next ?? `${from.major}.${from.minor + 1}.x`;
    return `Qdrant upgrades one minor version at a time: upgrade to ${step} first`;
  }
  return undefined;
});

export const qdrantBlueprint: Blueprint = {
  engine: 'qdrant',
  displayName: 'Qdrant',
  versions: VERSIONS,
  settingsSchema: qdrantSettingsSchema,
  secretNames: ['apiKey'],
  backup: {
    pointInTime: false,
    // A full storage snapshot, recovered with `--storage-snapshot` at the first start of a new
    // one-node cluster (Qdrant refuses it in distributed mode; a multi-node cluster's snapshot is
    // one node's shards).
    restore: true,
    restoreSingleNode: true,
    storage: backupObjectsStore,
    identity: { serviceAccount: BACKUP_SERVICE_ACCOUNT, databasePods: false },
    // A full storage snapshot (POST /snapshots), downloaded from the node and uploaded.
    render: (spec, target, ctx) => {
      const objects = backupJob(spec, ctx, target, {
        image: BACKUP_TOOL_IMAGE,
        script: snapshotScript(spec),
        env: [{ name: 'QDRANT_API_KEY', valueFrom: { secretKeyRef: { name: SECRET, key: API_KEY } } }],
      });
      return tlsOn(spec) ? objects.map(withCaForDump) : objects;
    },
    statusRef: jobRef,
    progress: (_target, live) => jobProgress(live),
  },
  pause: {
    method: 'StatefulSet scaled to 0 replicas (its PVCs stay)',
    refs: readinessRefs,
    state: (spec, live) => statefulSetPauseState(spec, NAME, live[0]),
  },
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'apps/v1', kind: 'StatefulSet' },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  checkUpgrade,
  tls: {
    // The client Service (clients, the gateway, backup Jobs) and each pod through the headless
    // Service (peers: `qdrant-<i>.qdrant-headless...`, the URIs they announce).
    dnsNames: (spec) => [...serviceDnsNames(spec, NAME), ...headlessDnsNames(spec, HEADLESS)],
    // The gateway terminates TLS to check the API key, then re-encrypts to Qdrant.
    gatewayMode: () => 'reencrypt',
    // Qdrant re-reads its certificate for REST only, every `QDRANT__TLS__CERT_TTL` (an hour), not
    // for gRPC or its peers: its pods restart onto a renewed certificate.
    renewal: statefulSetRestart(NAME),
  },
};
