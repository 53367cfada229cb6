/**
 * MongoDB through the MongoDB Community operator (github.com/mongodb/mongodb-kubernetes, the
 * successor of mongodb-kubernetes-operator): one `mongodbcommunity.mongodb.com/v1`
 * MongoDBCommunity (a replica set, members = nodes), the Secret of its one SCRAM user, and the
 * ServiceAccount, Role and RoleBinding its agent needs in the cluster's namespace. The operator
 * creates the StatefulSet (mongod and the automation agent in each pod), the headless
 * `mongodb-svc` Service and the automation-config Secret.
 *
 * With `spec.tls` (tls.ts) mongod accepts TLS only, with the cluster's certificate, and where the
 * EKS cluster has a gateway each member also gets a split horizon: the gateway passes TLS through
 * to each member on its own host (`memberHost`), by SNI, through a Service that selects that
 * member's pod only, and mongod answers a client that came by one of those hosts with every
 * member's external host, so a driver outside the EKS cluster finds and reaches the primary.
 */
import * as z from 'zod';
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { MAX_NODES } from '../domain/sizes.js';
import type { GatewayContext } from './endpoints.js';
import { imageFor } from './images.js';
import { LABELS, namespaceOf, objectMeta, renderTenancy, TENANCY_KINDS } from './tenancy.js';
import {
  DATABASE_TLS_SECRET,
  headlessDnsNames,
  memberHost,
  serviceDnsNames,
  type TlsSupport,
  tlsOn,
  withTls,
} from './tls.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { type UpgradeRule, upgradeChecker } from './versions.js';
import {
  containerSecurityContext,
  inheritedLabels,
  nodeResources,
  num,
  objectRef,
  podSecurityContext,
  quantityToBytes,
  record,
  spreadOverNodes,
} from './workload.js';

const NAME = 'mongodb';
const SECRET = 'mongodb-credentials';
const PASSWORD_KEY = 'password';
const PORT = 27017;
/** The operator names the replica set's headless Service `<name>-svc`. */
const SERVICE = `${NAME}-svc`;
/** The operator labels the replica set's pods (its Service's selector) `app: <name>-svc`. */
const OPERATOR_POD_LABELS = { app: SERVICE } as const;
/** The StatefulSet controller labels each pod with its own name. */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The name of the split horizon clients outside the EKS cluster are in (mongod's `__default` is the rest). */
const EXTERNAL_HORIZON = 'external';
/** The operator keeps the automation config in the Secret `<name>-config`; the agent's readiness probe reads it. */
const AUTOMATION_CONFIG_SECRET = `${NAME}-config`;
/**
 * The agent's ServiceAccount. The operator's default (`mongodb-kubernetes-appdb` in current
 * releases, `mongodb-database` in older ones) is overridden through the StatefulSet template, so
 * the name is ours and does not depend on the operator release.
 */
export const MONGODB_AGENT_ACCOUNT = 'mongodb-agent';
/** The uid and gid of the operator's default pod security context (its images expect them). */
const UID = 2000;
/** The automation agent sidecar in each pod (requests = limits; counted in the quota). */
const AGENT_RESOURCES = { cpu: '250m', memory: '384Mi' } as const;
/** The two init containers only copy binaries (the version hook and the readiness probe). */
const INIT_RESOURCES = { cpu: '50m', memory: '64Mi' } as const;
/** The agent's and mongod's logs volume, one per pod beside the data volume. */
const LOGS_GIB = 2;
const VERSIONS = ['8.0.32'] as const;
/** Phases of the operator's status (api/v1 `Phase`): `Running`, `Pending`, `Failed`. */
const RUNNING = 'Running';
const FAILED = 'Failed';
/** The operator's message when the spec itself is refused: it retries, but only a new spec can fix it. */
const SPEC_REFUSED = /^error validating new spec/i;

const USER = /^[a-z][a-z0-9_]{0,31}$/;
const DATABASE = /^[a-z][a-z0-9_]{0,62}$/;
/** The agent's own users and MongoDB's system databases. */
const RESERVED_USERS = new Set(['mms-automation', 'mms-monitoring-agent', '__system', 'root']);
const RESERVED_DATABASES = new Set(['admin', 'local', 'config']);

export const mongodbSettingsSchema = z.strictObject({
  /** The user Stratus creates (SCRAM-SHA-256, in `admin`) with readWrite and dbAdmin on `database`. */
  username: z
    .string()
    .regex(USER, 'username must be lowercase: a-z, 0-9 and _, starting with a letter, at most 32')
    .refine((v) => !RESERVED_USERS.has(v), 'username is reserved')
    .default('app'),
  /** The database that user may read, write and administer. */
  database: z
    .string()
    .regex(DATABASE, 'database must be lowercase: a-z, 0-9 and _, starting with a letter, at most 63')
    .refine((v) => !RESERVED_DATABASES.has(v), 'database is reserved by MongoDB (admin, local, config)')
    .default('app'),
  /** mongod's `net.maxIncomingConnections`. */
  maxConnections: z.int().min(10).max(50_000).default(1000),
});
export type MongodbSettings = z.infer<typeof mongodbSettingsSchema>;

/**
 * WiredTiger's cache, set explicitly from the node's memory with MongoDB's own default formula
 * (50% of memory minus 1 GB, at least 0.25 GB), so mongod never sizes it from the host's memory.
 */
export function wiredTigerCacheGB(memory: string): number {
  const gb = quantityToBytes(memory) / 1e9;
  return Math.max(0.25, Math.round((gb - 1) * 0.5 * 100) / 100);
}

function podNames(spec: ClusterSpec): string[] {
  return memberIndexes(spec).map((i) => `${NAME}-${i}`);
}

function memberIndexes(spec: ClusterSpec): number[] {
  return Array.from({ length: spec.nodes }, (_, i) => i);
}

/**
 * The Service of member `index` alone (`mongodb-<index>-external`): the gateway's backend for that
 * member's external host, so a client that asked for member i's host reaches member i.
 */
export function mongodbMemberService(index: number): string {
  return `${NAME}-${index}-external`;
}

/**
 * mongod serves TLS only (`optional: false`: the operator's `requireTLS`), with the certificate and
 * key of `stratus-tls` (`tls.crt`, `tls.key`) and its CA (`ca.crt`, which the operator requires
 * under that key). The operator copies them into Secrets of its own that it mounts in the pods,
 * and watches ours: a renewal by cert-manager rolls the members onto the new certificate.
 */
function tlsSecurity() {
  return {
    enabled: true,
    optional: false,
    certificateKeySecretRef: { name: DATABASE_TLS_SECRET },
    caCertificateSecretRef: { name: DATABASE_TLS_SECRET },
  };
}

/**
 * The horizon of member i is the i-th entry: its external host at the gateway's port. mongod picks
 * a client's horizon by the TLS SNI it came with, so only TLS clusters get one, and only where
 * there is a gateway. Not tied to `endpoint.public`: turning the public endpoint on or off then
 * changes no member's configuration.
 *
 * One entry for every member index the API allows (MAX_NODES), not only for `nodes`: the operator
 * removes members one at a time, and gives a member the entry of its index only if there is one,
 * while mongod refuses a replica set configuration whose members do not all have the same
 * horizons. With `nodes` entries, a scale down by two or more would stop at its first step (a
 * member without a horizon). The operator ignores entries past its members, and a scale changes
 * no horizon.
 */
function replicaSetHorizons(spec: ClusterSpec, gateway: GatewayContext): Array<Record<string, string>> {
  return Array.from({ length: Math.max(spec.nodes, MAX_NODES) }, (_, i) => ({
    [EXTERNAL_HORIZON]: `${memberHost(spec.clusterId, i, gateway.hostSuffix)}:${gateway.port}`,
  }));
}

/** The Services the gateway routes each member's host to (selecting one pod each, on mongod's port). */
function memberServices(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  return memberIndexes(spec).map((i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(spec, ctx, mongodbMemberService(i)),
    spec: {
      type: 'ClusterIP',
      selector: { ...OPERATOR_POD_LABELS, [POD_NAME_LABEL]: `${NAME}-${i}` },
      ports: [{ name: 'mongodb', port: PORT, targetPort: PORT, protocol: 'TCP' }],
    },
  }));
}

function claim(name: string, storageGiB: number) {
  return {
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${storageGiB}Gi` } } },
  };
}

const fixedResources = (r: { cpu: string; memory: string }) => ({ requests: r, limits: r });

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('mongodb: ctx.secrets.password is required');
  const settings = mongodbSettingsSchema.parse(spec.settings);
  const security = containerSecurityContext(UID);
  const tls = tlsOn(spec);
  const horizons = tls && ctx.gateway ? replicaSetHorizons(spec, ctx.gateway) : undefined;
  return [
    ...renderTenancy(spec, ctx, {
      clientPorts: [PORT],
      // The operator itself never connects to the pods (it writes the automation config Secret and
      // reads the StatefulSet); the agent and its readiness probe call the Kubernetes API.
      kubeApiEgress: true,
      credentialSecret: SECRET,
      sidecar: AGENT_RESOURCES,
      extraVolumes: { count: 1, storageGiB: LOGS_GIB },
    }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'kubernetes.io/basic-auth',
      stringData: { username: settings.username, [PASSWORD_KEY]: password },
    },
    {
      // The agent's readiness probe reads the automation config and annotates its own pod, and the
      // version hook deletes its pod during upgrades: this pod needs a token.
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: objectMeta(spec, ctx, MONGODB_AGENT_ACCOUNT),
      automountServiceAccountToken: true,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: objectMeta(spec, ctx, MONGODB_AGENT_ACCOUNT),
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [AUTOMATION_CONFIG_SECRET],
          verbs: ['get'],
        },
        {
          apiGroups: [''],
          resources: ['pods'],
          resourceNames: podNames(spec),
          verbs: ['get', 'patch', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: objectMeta(spec, ctx, MONGODB_AGENT_ACCOUNT),
      subjects: [
        { kind: 'ServiceAccount', name: MONGODB_AGENT_ACCOUNT, namespace: namespaceOf(spec.clusterId) },
      ],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: MONGODB_AGENT_ACCOUNT },
    },
    {
      apiVersion: 'mongodbcommunity.mongodb.com/v1',
      kind: 'MongoDBCommunity',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        type: 'ReplicaSet',
        members: spec.nodes,
        version: spec.version,
        security: {
          authentication: { modes: ['SCRAM-SHA-256'], ignoreUnknownUsers: true },
          ...(tls ? { tls: tlsSecurity() } : {}),
        },
        ...(horizons ? { replicaSetHorizons: horizons } : {}),
        users: [
          {
            name: settings.username,
            db: 'admin',
            passwordSecretRef: { name: SECRET, key: PASSWORD_KEY },
            roles: [
              { name: 'readWrite', db: settings.database },
              { name: 'dbAdmin', db: settings.database },
            ],
            scramCredentialsSecretName: `${NAME}-${settings.username.replaceAll('_', '-')}`,
          },
        ],
        additionalMongodConfig: {
          net: { maxIncomingConnections: settings.maxConnections },
          storage: { wiredTiger: { engineConfig: { cacheSizeGB: wiredTigerCacheGB(spec.size.memory) } } },
        },
        // Merged by the operator into the StatefulSet it builds (containers by name).
        statefulSet: {
          spec: {
            template: {
              metadata: { labels: inheritedLabels(spec) },
              spec: {
                serviceAccountName: MONGODB_AGENT_ACCOUNT,
                securityContext: podSecurityContext(UID),
                affinity: spreadOverNodes({ [LABELS.cluster]: spec.clusterId }),
                containers: [
                  {
                    name: 'mongod',
                    image: imageFor('mongodb', spec.version),
                    resources: nodeResources(spec),
                    securityContext: security,
                  },
                  {
                    name: 'mongodb-agent',
                    resources: fixedResources(AGENT_RESOURCES),
                    securityContext: security,
                  },
                ],
                initContainers: [
                  {
                    name: 'mongod-posthook',
                    resources: fixedResources(INIT_RESOURCES),
                    securityContext: security,
                  },
                  {
                    name: 'mongodb-agent-readinessprobe',
                    resources: fixedResources(INIT_RESOURCES),
                    securityContext: security,
                  },
                ],
              },
            },
            volumeClaimTemplates: [
              claim('data-volume', spec.size.storageGiB),
              claim('logs-volume', LOGS_GIB),
            ],
          },
        },
      },
    },
    ...(horizons ? memberServices(spec, ctx) : []),
  ];
}

function readinessRefs(spec: ClusterSpec) {
  return [objectRef(spec, 'mongodbcommunity.mongodb.com/v1', 'MongoDBCommunity', NAME)];
}

/**
 * Ready when the operator reports `status.phase: Running` (set only once the StatefulSet is
 * ready and every agent reached the automation config's goal) with `status.version` equal to the
 * requested version and `currentMongoDBMembers` and `currentStatefulSetReplicas` at `nodes` (the
 * operator scales one member at a time and reports `Pending` meanwhile). `Failed` is permanent
 * only when the operator refused the spec itself; other failures are retried by the operator.
 */
function readiness(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  const mdb = live[0];
  if (!mdb) return { ready: false, reason: `MongoDBCommunity ${NAME} not found` };
  const status = record(mdb.status);
  const phase = typeof status.phase === 'string' ? status.phase : '';
  const message = typeof status.message === 'string' && status.message ? ` (${status.message})` : '';
  if (phase === FAILED) {
    return {
      ready: false,
      reason: `MongoDB operator: Failed${message}`,
      ...(SPEC_REFUSED.test(String(status.message ?? '')) ? { permanent: true } : {}),
    };
  }
  if (phase !== RUNNING) {
    return { ready: false, reason: `MongoDB operator: ${phase || 'no phase reported yet'}${message}` };
  }
  if (status.version !== spec.version) {
    return {
      ready: false,
      reason: `MongoDB operator still reports version ${String(status.version ?? 'none')}`,
    };
  }
  const members = Math.min(num(status.currentMongoDBMembers), num(status.currentStatefulSetReplicas));
  if (members < spec.nodes) return { ready: false, reason: `${members}/${spec.nodes} members` };
  return { ready: true };
}

function connection(spec: ClusterSpec): ConnectionInfo {
  const namespace = namespaceOf(spec.clusterId);
  const host = `${SERVICE}.${namespace}.svc.cluster.local`;
  // A TLS-only mongod refuses a driver that does not open TLS: the URI says so (`tls=true`).
  const tls = tlsOn(spec) ? '&tls=true' : '';
  return withTls(spec, {
    host,
    port: PORT,
    // The headless Service resolves to every member; the driver discovers the primary.
    endpoint: `mongodb://${host}:${PORT}/?replicaSet=${NAME}&authSource=admin${tls}`,
    credentialRef: { namespace, name: SECRET, key: PASSWORD_KEY },
  });
}

/**
 * The certificate covers the client Service `mongodb-svc` (headless: a driver's seed), every
 * member by its name through it (`mongodb-<i>.mongodb-svc...`: the replica set's own hosts, which
 * the agents and drivers verify) and the per-member Services; the framework adds the external
 * hosts. The gateway passes TLS through, member by member.
 */
const mongodbTls: TlsSupport = {
  dnsNames: (spec) => [
    ...serviceDnsNames(spec, SERVICE),
    // Members by their pod names (the operator's replica set config); the per-member Services are
    // reached by the gateway only, by SNI of the external hosts, which the framework adds (for
    // every member index: a scale reissues no certificate, so restarts no member).
    ...headlessDnsNames(spec, SERVICE),
  ],
  gatewayMode: () => 'passthrough',
  members: (spec) => memberIndexes(spec).map((i) => ({ service: mongodbMemberService(i), port: PORT })),
  // The operator watches `stratus-tls` and names the file it copies it to after a hash of its
  // content, so a new certificate changes the automation config and the agents restart mongod
  // member by member (mongodb-kubernetes-operator `tlsOperatorSecretFileName`, controllers/mongodb_tls.go).
  renewal: { kind: 'reloads' },
};

/**
 * Any newer release of the same major (8.0.x -> 8.0.y, 8.0 -> 8.2), or the next major (7.0 ->
 * 8.0), never two at once: MongoDB upgrades one release series at a time, and the operator keeps
 * the feature compatibility version until the new binaries run.
 */
export const mongodbUpgradeRule: UpgradeRule = (from, to) =>
  to.major === from.major || to.major === from.major + 1
    ? undefined
    : `MongoDB upgrades one major version at a time (${from.major} -> ${to.major}); upgrade to ${from.major + 1}.x first`;

export const mongodbBlueprint: Blueprint = {
  engine: 'mongodb',
  displayName: 'MongoDB',
  versions: VERSIONS,
  settingsSchema: mongodbSettingsSchema,
  // The user is created once with its roles on `database`; renaming either would orphan data access.
  immutableSettings: ['username', 'database'],
  secretNames: ['password'],
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'ServiceAccount' },
    // The per-member Services of a TLS cluster (a scale down prunes the last ones). The operator's
    // own `mongodb-svc` has an owner, so pruning never touches it.
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'mongodbcommunity.mongodb.com/v1', kind: 'MongoDBCommunity' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  tls: mongodbTls,
  checkUpgrade: upgradeChecker('MongoDB', VERSIONS, mongodbUpgradeRule),
};
