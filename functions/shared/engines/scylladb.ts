/**
 * ScyllaDB through the Scylla operator: one `scylla.scylladb.com/v1` ScyllaCluster (one
 * datacenter named after the region, one rack, members = nodes), a ConfigMap turning on password
 * authentication, the Secret of the generated role, and a Job that creates that role and locks
 * ScyllaDB's default `cassandra` superuser. The operator creates the StatefulSet, the per-member
 * Services, the `scylladb-client` Service, a PDB and the members' ServiceAccount and RoleBinding.
 *
 * With `spec.tls` (tls.ts) the CQL ports serve TLS only, with the cluster's certificate mounted
 * into the scylla container, and the role Job connects with TLS, verifying that certificate.
 */
import * as z from 'zod';
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { MAX_NODES } from '../domain/sizes.js';
import { imageFor } from './images.js';
import { LABELS, objectMeta, renderTenancy, TENANCY_KINDS } from './tenancy.js';
import {
  DATABASE_TLS_MOUNT,
  DATABASE_TLS_SECRET,
  serviceDnsNames,
  tlsOn,
  tlsVolume,
  tlsVolumeMount,
} from './tls.js';
import type { Blueprint, KubeObject, Readiness, RenderContext } from './types.js';
import { type UpgradeRule, upgradeChecker } from './versions.js';
import {
  containerSecurityContext,
  inheritedLabels,
  nodeResources,
  num,
  objectRef,
  record,
  serviceConnection,
  spreadOverNodes,
} from './workload.js';

const NAME = 'scylladb';
const SECRET = 'scylladb-credentials';
const PASSWORD_KEY = 'password';
const CONFIG = 'scylladb-config';
const RACK = 'rack1';
const CQL_PORT = 9042;
/** The shard-aware CQL port: drivers connect each connection to the shard that owns the data. */
const SHARD_AWARE_PORT = 19042;
/** The Scylla Manager Agent's API in each pod: the operator calls it (decommission, cleanup). */
const AGENT_API_PORT = 10001;
/** Where the Scylla operator runs (its manifests' and Helm chart's default). */
export const SCYLLA_OPERATOR_NAMESPACE = 'scylla-operator';
/** The Scylla Manager Agent sidecar of each member (requests = limits; counted in the quota). */
const AGENT_RESOURCES = { cpu: '100m', memory: '256Mi' } as const;
/** The role Job's pod: cqlsh only. */
const JOB_RESOURCES = { cpu: '100m', memory: '256Mi' } as const;
/**
 * The pinned Scylla Manager Agent tag (the CRD's default, `latest`, is not a version): public code
 * built on the Scylla operator's packages pins `docker.io/scylladb/scylla-manager-agent:3.4.1@sha256:392ce6d3…`
 * (a third-party pin; the operator's own config of a later release pins 3.11.2: docs/engines.md,
 * tag verification).
 */
const AGENT_VERSION = '3.4.1';
const NOBODY = 65534;
const VERSIONS = ['6.2.3', '2025.1.9'] as const;

const USER = /^[a-z][a-z0-9_]{0,47}$/;

export const scylladbSettingsSchema = z.strictObject({
  /** The role Stratus creates (LOGIN, SUPERUSER) with the generated password. */
  username: z
    .string()
    .regex(USER, 'username must be lowercase: a-z, 0-9 and _, starting with a letter, at most 48')
    .refine((v) => v !== 'cassandra', 'username is reserved by ScyllaDB')
    .default('app'),
  /**
   * Developer mode skips ScyllaDB's I/O and CPU checks (for small test clusters on shared nodes);
   * production clusters leave it off and run on nodes tuned by the operator's NodeConfig.
   */
  developerMode: z.boolean().default(false),
});
export type ScylladbSettings = z.infer<typeof scylladbSettingsSchema>;

/** `6.2.3` -> `scylladb-auth-6-2-3`: one role Job per version (a Job's pod template cannot change). */
const jobName = (version: string) => `${NAME}-auth-${version.replaceAll('.', '-')}`;

/** `docker.io/scylladb/scylla:6.2.3` -> [`docker.io/scylladb/scylla`, `6.2.3`]. */
function repositoryAndTag(version: string): [string, string] {
  const image = imageFor('scylladb', version);
  const at = image.lastIndexOf(':');
  return [image.slice(0, at), image.slice(at + 1)];
}

/**
 * Waits for ScyllaDB to accept CQL logins, creates the role (once: `IF NOT EXISTS`) as the default
 * superuser, then locks that superuser with a random password nobody keeps. Idempotent: a rerun
 * logs in as the role and locks again. Passwords go through files, never command lines. `cqlsh`
 * is the command line it runs (`cqlsh --ssl` for a TLS cluster).
 */
const roleScript = (cqlsh: string) => `set -eu
umask 077
mkdir -p "$HOME/.cassandra"
login() { printf '[authentication]\\nusername = %s\\npassword = %s\\n' "$1" "$2" > "$HOME/.cassandra/cqlshrc"; }
ping() { ${cqlsh} "$SCYLLA_HOST" ${CQL_PORT} -e 'SELECT now() FROM system.local' >/dev/null 2>&1; }
deadline=$(( $(date +%s) + 1500 ))
while :; do
  login "$STRATUS_USER" "$STRATUS_PASSWORD"
  if ping; then break; fi
  login cassandra cassandra
  if ping; then
    printf "CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = '%s' AND LOGIN = true AND SUPERUSER = true;\\n" "$STRATUS_USER" "$STRATUS_PASSWORD" > "$HOME/role.cql"
    ${cqlsh} "$SCYLLA_HOST" ${CQL_PORT} -f "$HOME/role.cql"
    rm -f "$HOME/role.cql"
    login "$STRATUS_USER" "$STRATUS_PASSWORD"
    break
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { echo 'ScyllaDB accepted neither the role nor the default superuser'; exit 1; }
  sleep 10
done
lock=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \\n')
printf "ALTER ROLE cassandra WITH PASSWORD = '%s' AND LOGIN = false;\\n" "$lock" > "$HOME/lock.cql"
${cqlsh} "$SCYLLA_HOST" ${CQL_PORT} -f "$HOME/lock.cql"
rm -f "$HOME/lock.cql"
echo 'role ready; default superuser locked'
`;

/** The scylla.yaml every cluster gets: password authentication and role-based authorization. */
const AUTH_CONFIG = 'authenticator: PasswordAuthenticator\nauthorizer: CassandraAuthorizer\n';

/**
 * CQL over TLS only, with the cluster's certificate, on the ports the client Service and the
 * connection use (9042, and 19042 for shard-aware drivers). ScyllaDB documents that enabling
 * `client_encryption_options` encrypts `native_transport_port` unless `native_transport_port_ssl`
 * names a different port, which then gets TLS while the plain port stays plain. The Scylla
 * operator's managed config (its AutomaticTLSCertificates feature, on by default) sets
 * `native_transport_port_ssl: 9142` and `native_shard_aware_transport_port_ssl: 19142` and its own
 * `client_encryption_options` (its certificates, client certificates required); the operator
 * merges this ConfigMap's scylla.yaml over that, key by top-level key, ours last. So the TLS ports
 * are set to the plain ones here (ScyllaDB then puts TLS on the plain listeners: no plain CQL port
 * is left) and `client_encryption_options` is ours whole: our certificate, no client certificates
 * (passwords authenticate). No `truststore`: it only verifies client certificates.
 */
const TLS_CONFIG = `native_transport_port: ${CQL_PORT}
native_transport_port_ssl: ${CQL_PORT}
native_shard_aware_transport_port: ${SHARD_AWARE_PORT}
native_shard_aware_transport_port_ssl: ${SHARD_AWARE_PORT}
client_encryption_options:
  enabled: true
  certificate: ${DATABASE_TLS_MOUNT}/tls.crt
  keyfile: ${DATABASE_TLS_MOUNT}/tls.key
  require_client_auth: false
`;

/** The certificate's volume in the members' pods (the operator's own volumes are `scylla*` and `data`). */
const TLS_VOLUME = 'stratus-tls';
/** The role Job's volume: the CA only (`ca.crt`), not the key it has no use for. */
const TLS_CA_VOLUME = 'stratus-tls-ca';

/** The member Services (and pods) the operator creates: `<cluster>-<datacenter>-<rack>-<ordinal>`. */
const memberService = (spec: ClusterSpec, ordinal: number) => `${NAME}-${spec.region}-${RACK}-${ordinal}`;

/**
 * The role Job's TLS: `cqlsh --ssl` verifies the server against the cluster's CA
 * (`SSL_CERTFILE`, `SSL_VALIDATE`) and as the host it was given, `scylladb-client`, which the
 * certificate names (`SSL_CHECK_HOSTNAME`; cqlsh sends that name as SNI and checks it). Setting
 * `SSL_CHECK_HOSTNAME` also avoids a cqlsh release that failed when it was unset (scylla-cqlsh#87).
 */
function jobTls(spec: ClusterSpec) {
  if (!tlsOn(spec)) return undefined;
  return {
    cqlsh: 'cqlsh --ssl',
    env: [
      { name: 'SSL_CERTFILE', value: `${DATABASE_TLS_MOUNT}/ca.crt` },
      { name: 'SSL_VALIDATE', value: 'true' },
      { name: 'SSL_CHECK_HOSTNAME', value: 'true' },
    ],
    volume: {
      name: TLS_CA_VOLUME,
      secret: {
        secretName: DATABASE_TLS_SECRET,
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
        defaultMode: 0o444,
      },
    },
    volumeMount: { name: TLS_CA_VOLUME, mountPath: DATABASE_TLS_MOUNT, readOnly: true },
  };
}

function render(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const password = ctx.secrets.password;
  if (!password) throw new Error('scylladb: ctx.secrets.password is required');
  const tls = tlsOn(spec);
  const job = jobTls(spec);
  const settings = scylladbSettingsSchema.parse(spec.settings);
  const [repository, tag] = repositoryAndTag(spec.version);
  const podLabels = inheritedLabels(spec);
  return [
    ...renderTenancy(spec, ctx, {
      clientPorts: [CQL_PORT, SHARD_AWARE_PORT],
      operator: { namespace: SCYLLA_OPERATOR_NAMESPACE, ports: [AGENT_API_PORT] },
      // The operator's sidecar in every member reads its member Service through the API.
      kubeApiEgress: true,
      credentialSecret: SECRET,
      // The ScyllaDB image runs as root (scylladb/scylladb#16253): restricted cannot be met.
      podSecurity: 'baseline',
      sidecar: AGENT_RESOURCES,
      extraPods: [{ count: 1, ...JOB_RESOURCES }],
    }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(spec, ctx, SECRET),
      type: 'kubernetes.io/basic-auth',
      stringData: { username: settings.username, [PASSWORD_KEY]: password },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(spec, ctx, CONFIG),
      data: { 'scylla.yaml': tls ? AUTH_CONFIG + TLS_CONFIG : AUTH_CONFIG },
    },
    {
      apiVersion: 'scylla.scylladb.com/v1',
      kind: 'ScyllaCluster',
      metadata: objectMeta(spec, ctx, NAME),
      spec: {
        repository,
        version: tag,
        agentVersion: AGENT_VERSION,
        developerMode: settings.developerMode,
        automaticOrphanedNodeCleanup: true,
        podMetadata: { labels: podLabels },
        datacenter: {
          name: spec.region,
          racks: [
            {
              name: RACK,
              members: spec.nodes,
              storage: { capacity: `${spec.size.storageGiB}Gi` },
              resources: nodeResources(spec),
              agentResources: { requests: AGENT_RESOURCES, limits: AGENT_RESOURCES },
              scyllaConfig: CONFIG,
              // Mounted into the scylla container only (the operator adds them to it).
              ...(tls
                ? { volumes: [tlsVolume(TLS_VOLUME)], volumeMounts: [tlsVolumeMount(TLS_VOLUME)] }
                : {}),
              placement: {
                podAntiAffinity: spreadOverNodes({ [LABELS.cluster]: spec.clusterId }).podAntiAffinity,
              },
            },
          ],
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: objectMeta(spec, ctx, jobName(spec.version)),
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 1800,
        template: {
          metadata: { labels: podLabels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NOBODY,
              runAsGroup: NOBODY,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'role',
                image: imageFor('scylladb', spec.version),
                command: ['/bin/sh', '-c', roleScript(job?.cqlsh ?? 'cqlsh')],
                env: [
                  { name: 'HOME', value: '/work' },
                  { name: 'SCYLLA_HOST', value: `${NAME}-client` },
                  { name: 'STRATUS_USER', value: settings.username },
                  {
                    name: 'STRATUS_PASSWORD',
                    valueFrom: { secretKeyRef: { name: SECRET, key: PASSWORD_KEY } },
                  },
                  ...(job?.env ?? []),
                ],
                resources: { requests: JOB_RESOURCES, limits: JOB_RESOURCES },
                securityContext: containerSecurityContext(NOBODY, { readOnlyRootFilesystem: true }),
                volumeMounts: [{ name: 'work', mountPath: '/work' }, ...(job ? [job.volumeMount] : [])],
              },
            ],
            volumes: [
              { name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
              ...(job ? [job.volume] : []),
            ],
          },
        },
      },
    },
  ];
}

function readinessRefs(spec: ClusterSpec) {
  return [
    objectRef(spec, 'scylla.scylladb.com/v1', 'ScyllaCluster', NAME),
    objectRef(spec, 'batch/v1', 'Job', jobName(spec.version)),
  ];
}

const condition = (status: Record<string, unknown>, type: string) =>
  (Array.isArray(status.conditions) ? status.conditions : []).map(record).find((c) => c.type === type);

/**
 * Ready when the operator has observed the latest generation (`status.observedGeneration`), its
 * aggregated conditions say `Available=True`, `Progressing=False`, `Degraded=False`, every member
 * is ready (`status.readyMembers`), the rack runs the requested version with every member updated
 * (`status.racks.rack1.version`, `updatedMembers`, not `stale`), and the role Job succeeded. A
 * failed role Job is permanent (it already retried; its log says why).
 */
function readiness(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness {
  const sc = live[0];
  if (!sc) return { ready: false, reason: `ScyllaCluster ${NAME} not found` };
  const status = record(sc.status);
  const generation = num(sc.metadata.generation);
  if (num(status.observedGeneration) < generation) {
    return { ready: false, reason: `waiting for the Scylla operator to observe generation ${generation}` };
  }
  for (const [type, want] of [
    ['Available', 'True'],
    ['Progressing', 'False'],
    ['Degraded', 'False'],
  ] as const) {
    const c = condition(status, type);
    if (c?.status !== want) {
      const why = typeof c?.message === 'string' && c.message ? `: ${c.message}` : '';
      return {
        ready: false,
        reason: `Scylla operator: ${type} is ${String(c?.status ?? 'not reported')}${why}`,
      };
    }
  }
  const ready = num(status.readyMembers);
  if (ready < spec.nodes) return { ready: false, reason: `${ready}/${spec.nodes} members ready` };
  const rack = record(record(status.racks)[RACK]);
  if (rack.version !== repositoryAndTag(spec.version)[1]) {
    return { ready: false, reason: `rack ${RACK} still runs ScyllaDB ${String(rack.version ?? 'unknown')}` };
  }
  if (rack.stale === true || (rack.updatedMembers !== undefined && num(rack.updatedMembers) < spec.nodes)) {
    return {
      ready: false,
      reason: `rack ${RACK}: ${num(rack.updatedMembers)}/${spec.nodes} members updated`,
    };
  }
  const job = live[1];
  if (!job) return { ready: false, reason: `Job ${jobName(spec.version)} not found` };
  const jobStatus = record(job.status);
  if (condition(jobStatus, 'Failed')?.status === 'True') {
    return { ready: false, permanent: true, reason: `the role Job ${jobName(spec.version)} failed` };
  }
  if (num(jobStatus.succeeded) < 1) return { ready: false, reason: 'creating the database role' };
  return { ready: true };
}

function connection(spec: ClusterSpec): ConnectionInfo {
  return serviceConnection(spec, {
    service: `${NAME}-client`,
    scheme: 'cql',
    port: CQL_PORT,
    secret: SECRET,
    key: PASSWORD_KEY,
  });
}

/**
 * One minor release at a time within a major (patches are free), as ScyllaDB's upgrade guides
 * go; across majors only from the last open-source release 6.2 to 2025.1 (ScyllaDB's documented
 * path from the open-source line to the 2025 releases).
 */
export const scylladbUpgradeRule: UpgradeRule = (from, to) => {
  if (to.major === from.major) {
    return to.minor - from.minor <= 1
      ? undefined
      : `ScyllaDB upgrades one minor version at a time (${from.major}.${from.minor} -> ${from.major}.${from.minor + 1} first)`;
  }
  if (from.major === 6 && from.minor === 2 && to.major === 2025 && to.minor === 1) return undefined;
  return `ScyllaDB cannot upgrade from ${from.major}.${from.minor} to ${to.major}.${to.minor}; the path to 2025.1 goes through 6.2`;
};

export const scylladbBlueprint: Blueprint = {
  engine: 'scylladb',
  displayName: 'ScyllaDB',
  versions: VERSIONS,
  settingsSchema: scylladbSettingsSchema,
  // The role is created once, by name.
  immutableSettings: ['username'],
  secretNames: ['password'],
  kinds: [
    ...TENANCY_KINDS,
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'scylla.scylladb.com/v1', kind: 'ScyllaCluster' },
    { apiVersion: 'batch/v1', kind: 'Job' },
  ],
  render,
  readinessRefs,
  readiness,
  connection,
  checkUpgrade: upgradeChecker('ScyllaDB', VERSIONS, scylladbUpgradeRule),
  tls: {
    // The client Service and every member's Service (the operator's own serving certificate signs
    // the same Services, and the pods' IPs, which a cert-manager certificate cannot know), for every
    // member index the API allows: a scale reissues no certificate.
    dnsNames: (spec) => [
      ...serviceDnsNames(spec, `${NAME}-client`),
      ...Array.from({ length: MAX_NODES }, (_, i) => serviceDnsNames(spec, memberService(spec, i))).flat(),
    ],
    // ScyllaDB takes a TLS handshake first: the gateway routes it by SNI and never sees CQL.
    gatewayMode: () => 'passthrough',
    // ScyllaDB watches the certificate and key files of its TLS listeners (inotify) and reloads
    // them when they change: its CQL server builds "reloadable" server credentials
    // (scylladb/scylladb `generic_server.cc`, `server::listen`; hot reloading since
    // scylladb/scylladb#6067, fixed by #6152). No restart.
    renewal: { kind: 'reloads' },
  },
};
