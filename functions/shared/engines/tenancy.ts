/**
 * Objects every engine shares for one cluster: its namespace (restricted pod security), a
 * ResourceQuota and LimitRange sized from the spec, default-deny network policies with the few
 * allowances a database (and its operator) needs, the provisioner's RoleBinding for the namespace,
 * and read access to the credential Secret for the API's connection reveal and the reconciler.
 */
import type { ClusterSpec } from '../domain/cluster.js';
import type { KubeKind, KubeObject, RenderContext } from './types.js';

export const MANAGED_BY = 'stratus';
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  tenant: 'stratus.dev/tenant',
  cluster: 'stratus.dev/cluster',
  engine: 'stratus.dev/engine',
} as const;
export const ANNOTATIONS = {
  operationId: 'stratus.dev/operation-id',
  correlationId: 'stratus.dev/correlation-id',
  generation: 'stratus.dev/generation',
} as const;
/** Namespaces whose pods may reach database ports (the data-plane ingress, proxies). */
export const DATA_PLANE_INGRESS_LABEL = 'stratus.dev/data-plane-ingress';
/**
 * Kubernetes group of the API's connection reveal: bound in each cluster namespace to a Role that
 * may only `get` that cluster's credential Secret (RBAC cannot select namespaces by label).
 */
export const SECRET_READER_GROUP = 'stratus-secret-reader';
/**
 * Kubernetes group of the provisioner (and of its takeover roles): the EKS access entry maps their
 * IAM roles to it. Cluster-wide it may only write `stratus-*` namespaces and their
 * `stratus-provisioner` RoleBinding (deploy/kubernetes/rbac.yaml); everything else it writes, it
 * may write only inside a namespace that carries that RoleBinding.
 */
export const PROVISIONER_GROUP = 'stratus-provisioner';
/** Kubernetes group of the reconciler: reads what Stratus owns, never writes. */
export const RECONCILER_GROUP = 'stratus-reconciler';
/**
 * The ClusterRole that the per-namespace `stratus-provisioner` RoleBinding grants to
 * {@link PROVISIONER_GROUP}: every verb the provisioner uses on the kinds Stratus renders, in that
 * namespace only (deploy/kubernetes/rbac.yaml; test/unit/kube/manifests.test.ts keeps them in step).
 */
export const PROVISIONER_NAMESPACE_ROLE = 'stratus-provisioner-namespace';
/**
 * Egress of pods that call the Kubernetes API when the EKS cluster's `apiServerCidrs` are not
 * configured: the private address ranges, where EKS puts the API server's in-VPC addresses and the
 * `kubernetes` Service (RFC 1918 for IPv4 clusters, unique-local for IPv6 ones). Not the internet.
 */
export const DEFAULT_KUBE_API_CIDRS: readonly string[] = Object.freeze([
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
]);

export function namespaceOf(clusterId: string): string {
  return `stratus-${clusterId}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Label values come from our own ids; an invalid one is a bug, so fail before Kubernetes does. */
function labelValue(key: string, value: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new Error(`Invalid Kubernetes label value for ${key}: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The labels every Stratus object carries; the reconciler lists what Stratus owns with them. */
export function stratusLabels(spec: ClusterSpec): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.tenant]: labelValue(LABELS.tenant, spec.tenantId),
    [LABELS.cluster]: labelValue(LABELS.cluster, spec.clusterId),
    [LABELS.engine]: labelValue(LABELS.engine, spec.engine),
  };
}

/** Selects everything Stratus manages for one cluster. */
export function clusterSelector(clusterId: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.cluster}=${clusterId}`;
}

/**
 * Put on object metadata only, never on pod templates: a new operation id there would restart
 * every pod on each operation.
 */
export function stratusAnnotations(spec: ClusterSpec, ctx: RenderContext): Record<string, string> {
  return {
    [ANNOTATIONS.operationId]: ctx.operationId,
    [ANNOTATIONS.correlationId]: ctx.correlationId,
    [ANNOTATIONS.generation]: String(spec.generation),
  };
}

/** Metadata for a namespaced object of the cluster. */
export function objectMeta(spec: ClusterSpec, ctx: RenderContext, name: string, extraLabels = {}) {
  return {
    name,
    namespace: namespaceOf(spec.clusterId),
    labels: { ...stratusLabels(spec), ...extraLabels },
    annotations: stratusAnnotations(spec, ctx),
  };
}

/** Multiplies a Kubernetes quantity by an integer, keeping its suffix: `500m` x 3 = `1500m`. */
export function scaleQuantity(quantity: string, factor: number): string {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  if (!m?.[1]) throw new Error(`Unsupported Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const scaled = Number((Number(m[1]) * factor).toFixed(6));
  return `${scaled}${m[2] ?? ''}`;
}

export interface TenancyOptions {
  /** TCP ports of the engine that data-plane namespaces may reach. */
  readonly clientPorts: readonly number[];
  /**
   * The operator that reconciles the engine's custom resource and connects to its pods (status,
   * replication set-up): its namespace may reach these ports.
   */
  readonly operator?: { readonly namespace: string; readonly ports: readonly number[] };
  /**
   * The engine's pods call the Kubernetes API (CloudNativePG's instance manager does): allow egress
   * to TCP 443 of the API server's addresses, `ctx.kubeApiCidrs` (per EKS cluster), else
   * {@link DEFAULT_KUBE_API_CIDRS}. Never to any address.
   */
  readonly kubeApiEgress?: boolean;
  /** Name of the credential Secret that the {@link SECRET_READER_GROUP} may `get`. */
  readonly credentialSecret?: string;
  /**
   * Room in the ResourceQuota for one backup or restore pod of these requests (engines whose
   * backups run as a Job, once the cluster has a backup store).
   */
  readonly backupPod?: { readonly cpu: string; readonly memory: string };
  /**
   * The Pod Security Standard the namespace enforces. `baseline` only for engines whose image
   * cannot run as non-root (ScyllaDB, YugabyteDB: docs/engines.md); warn and audit stay
   * `restricted` so every shortfall is still reported.
   *
   * @default 'restricted'
   */
  readonly podSecurity?: 'restricted' | 'baseline';
  /**
   * The LimitRange's default requests and limits for a container that sets none (the sidecars an
   * operator adds without resources), instead of one node's size.
   *
   * @default - one node's size
   */
  readonly containerDefault?: { readonly cpu: string; readonly memory: string };
  /** Containers an operator adds to each node's pod beside the engine's (requests = limits). */
  readonly sidecar?: { readonly cpu: string; readonly memory: string };
  /** Volumes per node beyond the data volume (MongoDB's logs volume), each of `storageGiB`. */
  readonly extraVolumes?: { readonly count: number; readonly storageGiB: number };
  /**
   * Pods beside the `nodes` pods, each with these requests and, when `storageGiB` is set, one
   * volume of that size: YugabyteDB's masters, a one-off Job's pod.
   */
  readonly extraPods?: ReadonlyArray<{
    readonly count: number;
    readonly cpu: string;
    readonly memory: string;
    readonly storageGiB?: number;
  }>;
}

const MEBI = 2 ** 20;
const BINARY: Readonly<Record<string, number>> = {
  '': 1 / MEBI,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 ** 2,
};

/** `500m` x 3 + `250m` = `1750m`; `1Gi` x 3 + `256Mi` = `3328Mi` (CPU in millicores, memory in Mi). */
function quotaWith(quantity: string, factor: number, extra: string, kind: 'cpu' | 'memory'): string {
  const parse = (q: string) => {
    const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(q);
    if (!m?.[1]) throw new Error(`Unsupported Kubernetes quantity: ${JSON.stringify(q)}`);
    const value = Number(m[1]);
    const unit = m[2] ?? '';
    if (kind === 'cpu') return unit === 'm' ? value : value * 1000;
    const scale = BINARY[unit];
    if (scale === undefined) throw new Error(`Unsupported memory quantity: ${JSON.stringify(q)}`);
    return value * scale;
  };
  const total = Math.ceil(parse(quantity) * factor + parse(extra));
  return kind === 'cpu' ? `${total}m` : `${total}Mi`;
}

/** The namespaced kinds {@link renderTenancy} renders (the Namespace itself is cluster-scoped). */
export const TENANCY_KINDS: readonly KubeKind[] = [
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
];

/** CPU in millicores, memory in Mi, of a Kubernetes quantity. */
function parseQuantity(q: string, kind: 'cpu' | 'memory'): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(q);
  if (!m?.[1]) throw new Error(`Unsupported Kubernetes quantity: ${JSON.stringify(q)}`);
  const value = Number(m[1]);
  const unit = m[2] ?? '';
  if (kind === 'cpu') return unit === 'm' ? value : value * 1000;
  const scale = BINARY[unit];
  if (scale === undefined) throw new Error(`Unsupported memory quantity: ${JSON.stringify(q)}`);
  return value * scale;
}

/**
 * The quota's `hard` limits when the namespace holds more than the `nodes` pods of one container
 * each: sidecars, extra volumes per node, extra pods (backup pod, masters, a Job).
 */
function quotaWithExtras(spec: ClusterSpec, opts: TenancyOptions): Record<string, string> {
  const { cpu, memory, storageGiB } = spec.size;
  const n = spec.nodes;
  const pods = [...(opts.extraPods ?? []), ...(opts.backupPod ? [{ count: 1, ...opts.backupPod }] : [])];
  const total = (kind: 'cpu' | 'memory') => {
    const node = parseQuantity(kind === 'cpu' ? cpu : memory, kind);
    const side = opts.sidecar ? parseQuantity(opts.sidecar[kind], kind) : 0;
    const more = pods.reduce((sum, p) => sum + p.count * parseQuantity(p[kind], kind), 0);
    const value = Math.ceil((node + side) * n + more);
    return kind === 'cpu' ? `${value}m` : `${value}Mi`;
  };
  const volumes = opts.extraVolumes ?? { count: 0, storageGiB: 0 };
  const podVolumes = pods.filter((p) => p.storageGiB !== undefined);
  return {
    pods: String(n + pods.reduce((sum, p) => sum + p.count, 0)),
    'requests.cpu': total('cpu'),
    'limits.cpu': total('cpu'),
    'requests.memory': total('memory'),
    'limits.memory': total('memory'),
    'requests.storage': `${
      (storageGiB + volumes.count * volumes.storageGiB) * n +
      podVolumes.reduce((sum, p) => sum + p.count * (p.storageGiB ?? 0), 0)
    }Gi`,
    persistentvolumeclaims: String(n * (1 + volumes.count) + podVolumes.reduce((sum, p) => sum + p.count, 0)),
  };
}

export function renderTenancy(spec: ClusterSpec, ctx: RenderContext, opts: TenancyOptions): KubeObject[] {
  const namespace = namespaceOf(spec.clusterId);
  const meta = (name: string) => objectMeta(spec, ctx, name);
  const { cpu, memory, storageGiB } = spec.size;
  const n = spec.nodes;
  const withExtras = Boolean(opts.sidecar || opts.extraVolumes || opts.extraPods?.length);
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...stratusLabels(spec),
          'pod-security.kubernetes.io/enforce': opts.podSecurity ?? 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
        annotations: stratusAnnotations(spec, ctx),
      },
    },
    // Second, before anything else in the namespace: what lets the provisioner write the rest.
    renderProvisionerBinding(spec, ctx),
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('stratus-quota'),
      spec: {
        // A StatefulSet replaces pods one at a time, so the quota never needs room for a surge.
        hard: withExtras
          ? {
              ...quotaWithExtras(spec, opts),
              'services.loadbalancers': '0',
              'services.nodeports': '0',
            }
          : {
              pods: String(opts.backupPod ? n + 1 : n),
              ...(opts.backupPod
                ? {
                    'requests.cpu': quotaWith(cpu, n, opts.backupPod.cpu, 'cpu'),
                    'limits.cpu': quotaWith(cpu, n, opts.backupPod.cpu, 'cpu'),
                    'requests.memory': quotaWith(memory, n, opts.backupPod.memory, 'memory'),
                    'limits.memory': quotaWith(memory, n, opts.backupPod.memory, 'memory'),
                  }
                : {
                    'requests.cpu': scaleQuantity(cpu, n),
                    'limits.cpu': scaleQuantity(cpu, n),
                    'requests.memory': scaleQuantity(memory, n),
                    'limits.memory': scaleQuantity(memory, n),
                  }),
              'requests.storage': `${storageGiB * n}Gi`,
              persistentvolumeclaims: String(n),
              'services.loadbalancers': '0',
              'services.nodeports': '0',
            },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('stratus-limits'),
      spec: {
        limits: [
          {
            type: 'Container',
            max: { cpu, memory },
            default: opts.containerDefault ?? { cpu, memory },
            defaultRequest: opts.containerDefault ?? { cpu, memory },
          },
          { type: 'PersistentVolumeClaim', max: { storage: `${storageGiB}Gi` } },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-cluster-traffic'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          // Replication and peer traffic between the cluster's own pods.
          { from: [{ podSelector: {} }] },
          {
            from: [{ namespaceSelector: { matchLabels: { [DATA_PLANE_INGRESS_LABEL]: 'true' } } }],
            ports: opts.clientPorts.map((port) => ({ protocol: 'TCP', port })),
          },
        ],
        egress: [
          { to: [{ podSelector: {} }] },
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    ...(opts.operator
      ? [
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: meta('allow-operator'),
            spec: {
              podSelector: {},
              policyTypes: ['Ingress'],
              ingress: [
                {
                  from: [
                    {
                      namespaceSelector: {
                        matchLabels: { 'kubernetes.io/metadata.name': opts.operator.namespace },
                      },
                    },
                  ],
                  ports: opts.operator.ports.map((port) => ({ protocol: 'TCP', port })),
                },
              ],
            },
          },
        ]
      : []),
    ...(opts.kubeApiEgress
      ? [
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: meta('allow-kube-api'),
            spec: {
              podSelector: {},
              policyTypes: ['Egress'],
              egress: [
                {
                  to: kubeApiCidrs(ctx).map((cidr) => ({ ipBlock: { cidr } })),
                  ports: [{ protocol: 'TCP', port: 443 }],
                },
              ],
            },
          },
        ]
      : []),
    ...(opts.credentialSecret ? renderSecretReader(spec, ctx, opts.credentialSecret) : []),
  ];
}

function kubeApiCidrs(ctx: RenderContext): readonly string[] {
  const cidrs = ctx.kubeApiCidrs ?? DEFAULT_KUBE_API_CIDRS;
  // An empty list would render an egress rule without `to`: any destination. Never that.
  if (cidrs.length === 0)
    throw new Error('kubeApiCidrs is empty: give the API server addresses, or leave it out');
  return cidrs;
}

/**
 * Binds the provisioner's group, in this namespace only, to the ClusterRole of what it writes
 * there. The provisioner may create this RoleBinding (by name, cluster-wide) because it holds
 * `bind` on that one ClusterRole; an admission policy keeps it to `stratus-*` namespaces
 * (deploy/kubernetes/admission-policy.yaml, docs/eks.md section 2).
 */
function renderProvisionerBinding(spec: ClusterSpec, ctx: RenderContext): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: objectMeta(spec, ctx, PROVISIONER_GROUP),
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: PROVISIONER_GROUP }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PROVISIONER_NAMESPACE_ROLE },
  };
}

/**
 * `get` on the credential Secret, by name, for the API's connection reveal and for the
 * reconciler, which checks that the Secret exists (it holds no other Secret access anywhere).
 */
function renderSecretReader(spec: ClusterSpec, ctx: RenderContext, secretName: string): KubeObject[] {
  const name = SECRET_READER_GROUP;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: objectMeta(spec, ctx, name),
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [secretName], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: objectMeta(spec, ctx, name),
      subjects: [SECRET_READER_GROUP, RECONCILER_GROUP].map((group) => ({
        kind: 'Group',
        apiGroup: 'rbac.authorization.k8s.io',
        name: group,
      })),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    },
  ];
}
