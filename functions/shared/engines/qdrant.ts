/**
 * Qdrant as a plain StatefulSet: a Secret with the API key, a headless Service for peer
 * discovery (P2P on 6335), a client Service (HTTP 6333, gRPC 6334) and the StatefulSet.
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
const GRPC_PORT = 6334;
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
/** Where a restored cluster's init container puts the full storage snapshot it downloads. */
const RESTORE_DIR = '/restore';

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
 * restored cluster (one node) recovers its snapshot at its first start.
 */
function startScript(namespace: string, clustered: boolean, restored: boolean): string {
  const peer = (host: string) => `http://${host}.${HEADLESS}.${namespace}.svc.cluster.local:${P2P_PORT}`;
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
          { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP' },
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
                command: ['/bin/bash', '-c', startScript(namespace, clustered, Boolean(restore))],
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
                ],
                resources: nodeResources(spec),
                securityContext: containerSecurityContext(UID),
                readinessProbe: {
                  httpGet: { path: '/readyz', port: HTTP_PORT, scheme: 'HTTP' },
                  periodSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  httpGet: { path: '/livez', port: HTTP_PORT, scheme: 'HTTP' },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                volumeMounts: [
                  { name: 'storage', mountPath: STORAGE },
                  // The image's snapshot directory belongs to root; give the non-root user its own.
                  { name: 'snapshots', mountPath: '/qdrant/snapshots' },
                  ...(restore ? [{ name: 'restore', mountPath: RESTORE_DIR, readOnly: true }] : []),
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

function connection(spec: ClusterSpec): ConnectionInfo {
  return serviceConnection(spec, {
    service: NAME,
    scheme: 'http',
    port: HTTP_PORT,
    secret: SECRET,
    key: API_KEY,
  });
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
    render: (spec, target, ctx) =>
      backupJob(spec, ctx, target, {
        image: BACKUP_TOOL_IMAGE,
        script: [
          `base=http://${NAME}:${HTTP_PORT}/snapshots`,
          'name=$(curl -sfS -X POST -H "api-key: $QDRANT_API_KEY" "$base" | sed -n \'s/.*"name":"\\([^"]*\\)".*/\\1/p\')',
          'test -n "$name"',
          'curl -sfS -H "api-key: $QDRANT_API_KEY" -o "/backup/$name" "$base/$name"',
        ].join('\n'),
        env: [{ name: 'QDRANT_API_KEY', valueFrom: { secretKeyRef: { name: SECRET, key: API_KEY } } }],
      }),
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
};
