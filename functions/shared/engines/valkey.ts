/**
 * Valkey as a plain StatefulSet: pod 0 is the primary, the other pods replicate from it
 * (`replicaof`). A Secret holds the password; a headless Service gives the pods stable names; the
 * client Service `valkey` selects the primary only, `valkey-read` (several nodes) every pod.
 * There is no automatic failover (no Sentinel): if pod 0 is lost, Kubernetes restarts it with its
 * volume and the replicas resync. With `spec.tls` (tls.ts) the client port serves TLS only, with
 * the cluster's certificate, and the replicas replicate from pod 0 over TLS.
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
  restoreInitContainer,
} from './backups.js';
import { imageFor } from './images.js';
import { namespaceOf, objectMeta, renderTenancy, stratusLabels, TENANCY_KINDS } from './tenancy.js';
import {
  DATABASE_TLS_MOUNT,
  headlessDnsNames,
  serviceDnsNames,
  statefulSetRestart,
  tlsOn,
  tlsVolume,
  tlsVolumeMount,
} from './tls.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { newestWhere, parseVersion, upgradeChecker } from './versions.js';
import {
  containerSecurityContext,
  nodeResources,
  objectRef,
  podDisruptionBudget,
  podSecurityContext,
  quantityToBytes,
  replicasOf,
  serviceConnection,
  spreadOverNodes,
  statefulSetPauseState,
  statefulSetReadiness,
  volumeClaim,
} from './workload.js';

const NAME = 'valkey';
const HEADLESS = 'valkey-headless';
const READ = 'valkey-read';
const SECRET = 'valkey-credentials';
const PASSWORD_KEY = 'password';
const PORT = 6379;
/** The `valkey` user of the official image. */
const UID = 999;
const VERSIONS = ['7.2.5', '8.0.2', '8.1.1'] as const;
/** Set by the StatefulSet controller on every pod. */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

export const MAXMEMORY_POLICIES = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;

export const valkeySettingsSchema = z.strictObject({
  /** What Valkey does when `maxmemory` is reached; `noeviction` refuses writes (a database, not a cache). */
  maxmemoryPolicy: z.enum(MAXMEMORY_POLICIES).default('noeviction'),
  /** `maxmemory` as a share of the node's memory; the rest is for replication buffers and fork copies. */
  maxmemoryPercent: z.int().min(10).max(90).default(75),
  /** Append-only file persistence (every second) in addition to RDB snapshots. */
  appendOnly: z.boolean().default(true),
});
export type ValkeySettings = z.infer<typeof valkeySettingsSchema>;

const selectorLabels = (spec: ClusterSpec) => ({
  'app.kubernetes.io/name': NAME,
  'app.kubernetes.io/instance': spec.clusterId,
});

/**
 * Where Valkey listens: plain TCP on the client port, or with TLS (`spec.tls`) TLS only there
 * (`port 0`), with the cluster's certificate. Clients authenticate with the password, not with a
 * certificate (`tls-auth-clients no`); replicas connect to the primary over TLS and verify it
 * with the cluster's CA (`tls-replication yes`).
 */
function listenArgs(tls: boolean): string[] {
  if (!tls) return [`--port ${PORT}`];
  return [
    '--port 0',
    `--tls-port ${PORT}`,
    `--tls-cert-file ${DATABASE_TLS_MOUNT}/tls.crt`,
    `--tls-key-file ${DATABASE_TLS_MOUNT}/tls.key`,
    `--tls-ca-cert-file ${DATABASE_TLS_MOUNT}/ca.crt`,
    '--tls-auth-clients no',
    '--tls-replication yes',
  ];
}

/**
 * valkey-cli's options to reach the server: with TLS, verifying its certificate with the cluster's
 * CA (valkey-cli checks the chain, not the host name, so the loopback address does for a probe).
 */
function cliTls(tls: boolean): string {
  return tls ? ` --tls --cacert ${DATABASE_TLS_MOUNT}/ca.crt` : '';
}

/**
 * The password reaches Valkey through a config file written to a memory-backed volume at start,
 * so it is neither in the object nor on the server's command line. Pods other than `valkey-0`
 * replicate from it.
 */
function startScript(
  namespace: string,
  settings: ValkeySettings,
  maxmemoryBytes: number,
  tls: boolean,
): string {
  const primary = `${NAME}-0.${HEADLESS}.${namespace}.svc.cluster.local`;
  return [
    'set -eu',
    'umask 077',
    `printf 'requirepass "%s"\\nmasterauth "%s"\\n' "$VALKEY_PASSWORD" "$VALKEY_PASSWORD" > /run/valkey/auth.conf`,
    'unset VALKEY_PASSWORD',
    'set --',
    `if [ "$(hostname)" != "${NAME}-0" ]; then set -- --replicaof ${primary} ${PORT}; fi`,
    [
      'exec valkey-server /run/valkey/auth.conf',
      ...listenArgs(tls),
      '--dir /data',
      `--appendonly ${settings.appendOnly ? 'yes' : 'no'}`,
      `--maxmemory ${maxmemoryBytes}`,
      `--maxmemory-policy ${settings.maxmemoryPolicy}`,
      '"$@"',
    ].join(' '),
  ].join('\n');
}

/** valkey-cli reads the password from the environment (VALKEYCLI_AUTH; 7.2 knows REDISCLI_AUTH). */
const ping = (tls: boolean) =>
  `VALKEYCLI_AUTH="$VALKEY_PASSWORD" REDISCLI_AUTH="$VALKEY_PASSWORD" valkey-cli -h 127.0.0.1 -p ${PORT}${cliTls(tls)} ping | grep -q PONG`;

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('valkey: ctx.secrets.password is required');
  const settings = valkeySettingsSchema.parse(spec.settings);
  const namespace = namespaceOf(spec.clusterId);
  const tls = tlsOn(spec);
  const replicated = spec.nodes > 1;
  const selector = selectorLabels(spec);
  const maxmemory = Math.floor((quantityToBytes(spec.size.memory) * settings.maxmemoryPercent) / 100);
  const servicePort = { name: 'valkey', port: PORT, targetPort: 'valkey', protocol: 'TCP' };

  const objects: KubeObject[] = [
    ...renderTenancy(spec, ctx, {
      clientPorts: [PORT],
      credentialSecret: SECRET,
      ...(spec.backupStore || spec.restore ? { backupPod: BACKUP_JOB_RESOURCES } : {}),
    }),
    ...(spec.backupStore || spec.restore ? backupAccess(spec, ctx) : []),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'Opaque',
      stringData: { [PASSWORD_KEY]: password },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(spec, ctx, HEADLESS),
      spec: {
        clusterIP: 'None',
        // Replicas must reach the primary by name before it is ready, or they never sync.
        publishNotReadyAddresses: true,
        selector,
        ports: [servicePort],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        type: 'ClusterIP',
        selector: { ...selector, [POD_NAME_LABEL]: `${NAME}-0` },
        ports: [servicePort],
      },
    },
    ...(replicated
      ? [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: objectMeta(spec, ctx, READ),
            spec: { type: 'ClusterIP', selector, ports: [servicePort] },
          },
        ]
      : []),
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
              ...(spec.restore ? { [BACKUP_POD_LABEL]: 'true' } : {}),
            },
          },
          spec: {
            // A restored cluster's pods download the backup at first start, as the backup identity.
            ...(spec.restore ? { serviceAccountName: BACKUP_SERVICE_ACCOUNT } : {}),
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(UID),
            terminationGracePeriodSeconds: 30,
            affinity: spreadOverNodes(selector),
            containers: [
              {
                name: NAME,
                image: imageFor('valkey', spec.version),
                command: ['/bin/sh', '-c', startScript(namespace, settings, maxmemory, tls)],
                ports: [{ name: 'valkey', containerPort: PORT, protocol: 'TCP' }],
                env: [
                  {
                    name: 'VALKEY_PASSWORD',
                    valueFrom: { secretKeyRef: { name: SECRET, key: PASSWORD_KEY } },
                  },
                ],
                resources: nodeResources(spec),
                securityContext: containerSecurityContext(UID, { readOnlyRootFilesystem: true }),
                readinessProbe: {
                  exec: { command: ['/bin/sh', '-c', ping(tls)] },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  tcpSocket: { port: PORT },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'run', mountPath: '/run/valkey' },
                  ...(tls ? [tlsVolumeMount()] : []),
                ],
              },
            ],
            // Valkey loads /data/dump.rdb at start: the restored backup's file.
            ...(spec.restore
              ? { initContainers: [restoreInitContainer(spec.restore.storage, '/data', 'data')] }
              : {}),
            // Memory-backed: the generated auth file never touches a disk.
            volumes: [
              { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
              ...(spec.restore ? [{ name: 'restore-tmp', emptyDir: { sizeLimit: '64Mi' } }] : []),
              ...(tls ? [tlsVolume()] : []),
            ],
          },
        },
        volumeClaimTemplates: [volumeClaim(spec, 'data')],
      },
    },
  ];
  if (replicated) {
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
    scheme: 'redis',
    tlsScheme: 'rediss',
    port: PORT,
    secret: SECRET,
    key: PASSWORD_KEY,
  });
}

/**
 * Within a major, any newer minor or patch. To the next major only from the last minor of the
 * current major that Stratus offers (7.2 -> 8.x), so the data files were written by the release
 * the next major is tested against; never two majors at once.
 */
export function valkeyUpgradeChecker(versions: readonly string[]) {
  return upgradeChecker('Valkey', versions, (from, to) => {
    if (to.major === from.major) return undefined;
    if (to.major > from.major + 1) {
      return `Valkey upgrades one major version at a time: go to ${from.major + 1}.x first`;
    }
    const last = newestWhere(versions, (v) => v.major === from.major);
    const lastMinor = (last ? parseVersion(last)?.minor : undefined) ?? from.minor;
    if (from.minor < lastMinor) {
      return `Valkey upgrades to ${to.major}.x only from ${from.major}.${lastMinor}: upgrade to ${last} first`;
    }
    return undefined;
  });
}

export const valkeyBlueprint: Blueprint = {
  engine: 'valkey',
  displayName: 'Valkey',
  versions: VERSIONS,
  settingsSchema: valkeySettingsSchema,
  secretNames: ['password'],
  backup: {
    pointInTime: false,
    restore: true,
    storage: backupObjectsStore,
    identity: { serviceAccount: BACKUP_SERVICE_ACCOUNT, databasePods: false },
    // An RDB snapshot streamed from the primary (`valkey-cli --rdb`, a replica's full sync).
    render: (spec, target, ctx) =>
      backupJob(spec, ctx, target, {
        image: imageFor('valkey', spec.version),
        script: `valkey-cli -h ${NAME} -p ${PORT}${cliTls(tlsOn(spec))} --no-auth-warning --rdb /backup/dump.rdb`,
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
  checkUpgrade: valkeyUpgradeChecker(VERSIONS),
  tls: {
    // Clients reach the primary (`valkey`) and the read Service; replicas reach pod 0 by its name.
    dnsNames: (spec) => [
      ...serviceDnsNames(spec, NAME),
      ...serviceDnsNames(spec, READ),
      ...headlessDnsNames(spec, HEADLESS),
    ],
    gatewayMode: () => 'passthrough',
    // Valkey loads `tls-cert-file` and `tls-key-file` at start (and on `CONFIG SET`), never when
    // the files change (valkey-io/valkey#2649); its opt-in periodic reload,
    // `tls-auto-reload-interval` (valkey-io/valkey#3020), came after 8.1: the pods restart.
    renewal: statefulSetRestart(NAME),
  },
};
