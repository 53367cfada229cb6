/**
 * YugabyteDB through the YugabyteDB Kubernetes operator, which runs inside YugabyteDB Anywhere
 * (YBA): one `operator.yugabyte.io/v1alpha1` YBUniverse (numNodes = nodes tservers, plus
 * replicationFactor masters) and the Secret holding the `yugabyte` user's YSQL password. YBA
 * deploys the universe with its Helm chart in the cluster's namespace: the master and tserver
 * StatefulSets and their Services.
 */
import * as z from 'zod';
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { imageFor } from './images.js';
import { LABELS, objectMeta, renderTenancy, TENANCY_KINDS } from './tenancy.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { type UpgradeRule, upgradeChecker } from './versions.js';
import {
  inheritedLabels,
  nodeResources,
  objectRef,
  record,
  serviceConnection,
  spreadOverNodes,
} from './workload.js';

const NAME = 'yugabytedb';
const SECRET = 'yugabytedb-credentials';
const PASSWORD_KEY = 'password';
/** The key YBA reads the YSQL password from (`YBUniverseReconciler.YSQL_PASSWORD_SECRET_KEY`). */
const YSQL_PASSWORD_KEY = 'ysqlPassword';
/** YSQL's superuser, whose password YBA sets from the Secret. */
const YSQL_USER = 'yugabyte';
const YSQL_PORT = 5433;
/**
 * What YBA reaches on the universe's pods: master UI and RPC (7000, 7100), tserver UI and RPC
 * (9000, 9100), YCQL and YSQL status (12000, 13000), YSQL (5433), node exporter (9300) and the
 * backup controller (18018).
 */
const YBA_PORTS = [5433, 7000, 7100, 9000, 9100, 9300, 12000, 13000, 18018];
/** Where YugabyteDB Anywhere, and so its operator, runs (its Helm chart's documented namespace). */
export const YBA_NAMESPACE = 'yb-platform';
/** Each master pod (requests = limits); masters hold metadata only. */
const MASTER_RESOURCES = { cpu: '500m', memory: '1Gi' } as const;
const MASTER_GIB = 10;
/**
 * YBA's chart adds containers without resources (the log cleaner, the backup controller in
 * tservers): they get this LimitRange default, and the quota leaves room for two per pod.
 */
const SIDECAR_DEFAULT = { cpu: '100m', memory: '128Mi' } as const;
const SIDECARS_PER_POD = { cpu: '200m', memory: '256Mi' } as const;
const VERSIONS = ['2024.2.2.1', '2025.1.0.1'] as const;
/** The operator's `status.universeState` once the universe is up (CRD: "Ready", "Creating", "Editing", "Deleting"). */
const READY_STATE = 'Ready';

export const yugabytedbSettingsSchema = z.strictObject({
  /** Copies of each tablet (1 or 3): fixed at creation (the CRD refuses a change). Needs as many nodes. */
  replicationFactor: z.union([z.literal(1), z.literal(3)]).default(3),
  /** The tservers' `ysql_max_connections`. */
  maxConnections: z.int().min(50).max(5000).default(300),
});
export type YugabytedbSettings = z.infer<typeof yugabytedbSettingsSchema>;

/** The YBA release of a supported version: the catalog's tag (`2024.2.2.1-b6`). */
function ybRelease(version: string): string {
  return imageFor('yugabytedb', version).split(':').at(-1) ?? version;
}

const fixedResources = (r: { cpu: string; memory: string }) => ({ requests: r, limits: r });

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('yugabytedb: ctx.secrets.password is required');
  const settings = yugabytedbSettingsSchema.parse(spec.settings);
  const podLabels = inheritedLabels(spec);
  const affinity = spreadOverNodes({ [LABELS.cluster]: spec.clusterId });
  return [
    ...renderTenancy(spec, ctx, {
      clientPorts: [YSQL_PORT],
      operator: { namespace: YBA_NAMESPACE, ports: YBA_PORTS },
      credentialSecret: SECRET,
      // YBA's chart runs the yugabyte image as root by default: restricted cannot be met.
      podSecurity: 'baseline',
      containerDefault: SIDECAR_DEFAULT,
      sidecar: SIDECARS_PER_POD,
      extraPods: [
        {
          count: settings.replicationFactor,
          cpu: `${500 + 200}m`,
          memory: `${1024 + 256}Mi`,
          storageGiB: MASTER_GIB,
        },
      ],
    }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'Opaque',
      stringData: { username: YSQL_USER, [PASSWORD_KEY]: password, [YSQL_PASSWORD_KEY]: password },
    },
    {
      apiVersion: 'operator.yugabyte.io/v1alpha1',
      kind: 'YBUniverse',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        // The universe's name in YBA, unique across every namespace YBA serves.
        universeName: spec.clusterId,
        numNodes: spec.nodes,
        replicationFactor: settings.replicationFactor,
        ybSoftwareVersion: ybRelease(spec.version),
        enableYSQL: true,
        enableYSQLAuth: true,
        ysqlPassword: { secretName: SECRET },
        enableYCQL: false,
        enableYCQLAuth: false,
        enableNodeToNodeEncrypt: true,
        enableClientToNodeEncrypt: true,
        enableLoadBalancer: false,
        enableIPV6: false,
        deviceInfo: { volumeSize: spec.size.storageGiB, numVolumes: 1 },
        masterDeviceInfo: { volumeSize: MASTER_GIB, numVolumes: 1 },
        gFlags: {
          tserverGFlags: { ysql_max_connections: String(settings.maxConnections) },
          masterGFlags: {},
        },
        kubernetesOverrides: {
          resource: {
            master: fixedResources(MASTER_RESOURCES),
            tserver: nodeResources(spec),
          },
          master: { podLabels, affinity },
          tserver: { podLabels, affinity },
        },
      },
    },
  ];
}

function readinessRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'operator.yugabyte.io/v1alpha1', 'YBUniverse', NAME)];
}

/**
 * Ready when the operator reports `status.universeState: Ready` and none of `status.actions` is
 * `queued` or `running` (an edit or upgrade task of YBA). A `failed` action is reported but not
 * permanent: the operator retries the task from its work queue.
 */
function readiness(_spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  const universe = live[0];
  if (!universe) return { ready: false, reason: `YBUniverse ${NAME} not found` };
  const status = record(universe.status);
  const actions = (Array.isArray(status.actions) ? status.actions : []).map(record);
  const busy = actions.find((a) => a.status === 'queued' || a.status === 'running');
  if (busy) {
    return {
      ready: false,
      reason: `YugabyteDB Anywhere: ${String(busy.action_type ?? 'task')} ${String(busy.status)}`,
    };
  }
  const failed = actions.find((a) => a.status === 'failed');
  if (failed) {
    const why = typeof failed.message === 'string' && failed.message ? `: ${failed.message}` : '';
    return {
      ready: false,
      reason: `YugabyteDB Anywhere: ${String(failed.action_type ?? 'task')} failed${why}`,
    };
  }
  const state = typeof status.universeState === 'string' ? status.universeState : '';
  if (state !== READY_STATE) {
    return { ready: false, reason: `YugabyteDB Anywhere: ${state || 'no universe state reported yet'}` };
  }
  return { ready: true };
}

function connection(spec: ClusterSpec): ConnectionInfo {
  // YBA's chart names the tservers' Service `yb-tservers`; client TLS is on (sslmode=require).
  return serviceConnection(spec, {
    service: 'yb-tservers',
    scheme: 'postgresql',
    port: YSQL_PORT,
    secret: SECRET,
    key: PASSWORD_KEY,
  });
}

/**
 * Any newer release of the same series (2024.2.2.x -> 2024.2.3.x), or the next series
 * (2024.1 -> 2024.2, 2024.2 -> 2025.1): YBA upgrades in place, then finalizes. Never across two series at once.
 */
export const yugabytedbUpgradeRule: UpgradeRule = (from, to) => {
  if (to.major === from.major && to.minor === from.minor) return undefined;
  const next =
    (to.major === from.major && to.minor === from.minor + 1) ||
    (to.major === from.major + 1 && from.minor === 2 && to.minor === 1);
  return next
    ? undefined
    : `YugabyteDB upgrades one release series at a time (${from.major}.${from.minor} -> ${to.major}.${to.minor} skips one)`;
};

export const yugabytedbBlueprint: Blueprint = {
  engine: 'yugabytedb',
  displayName: 'YugabyteDB',
  versions: VERSIONS,
  settingsSchema: yugabytedbSettingsSchema,
  immutableSettings: ['replicationFactor'],
  checkSpec: (nodes, settings) => {
    const rf = Number(settings.replicationFactor ?? 3);
    return nodes < rf
      ? `replication factor ${rf} needs at least ${rf} nodes; use 3+ nodes or settings.replicationFactor 1`
      : undefined;
  },
  secretNames: ['password'],
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'operator.yugabyte.io/v1alpha1', kind: 'YBUniverse' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  checkUpgrade: upgradeChecker('YugabyteDB', VERSIONS, yugabytedbUpgradeRule),
};
