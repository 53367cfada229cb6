/**
 * The kinds the stand-in serves and the status its simulated controllers converge to.
 * Both tables are data: add a row to support a new kind or a new operator.
 */
import type { KubeObject } from '../../functions/shared/engines/types.js';

export interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  /** Lowercase plural used in URLs, e.g. `statefulsets`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** A custom kind (as a CRD would add it); `plural` defaults to the lowercase-plural convention. */
export interface ExtraKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural?: string;
  /** @default true */
  readonly namespaced?: boolean;
}

/**
 * Computes the status a controller would report once the object is ready; `undefined` when the
 * simulated controller is not done yet (it is asked again on a later tick).
 */
export type StatusRule = (obj: KubeObject) => Record<string, unknown> | undefined;

const ns = (apiVersion: string, kind: string, plural: string): KindInfo => ({
  apiVersion,
  kind,
  plural,
  namespaced: true,
});

export const BUILTIN_KINDS: readonly KindInfo[] = [
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  ns('v1', 'Secret', 'secrets'),
  ns('v1', 'Service', 'services'),
  ns('v1', 'ConfigMap', 'configmaps'),
  ns('v1', 'ResourceQuota', 'resourcequotas'),
  ns('v1', 'LimitRange', 'limitranges'),
  ns('v1', 'ServiceAccount', 'serviceaccounts'),
  ns('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  ns('v1', 'Pod', 'pods'),
  ns('apps/v1', 'StatefulSet', 'statefulsets'),
  ns('apps/v1', 'Deployment', 'deployments'),
  ns('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  ns('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  ns('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  ns('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
];

/** Operator kinds served by default (the CRDs Stratus engines rely on). */
export const DEFAULT_EXTRA_KINDS: readonly ExtraKind[] = [
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' },
  { apiVersion: 'dragonflydb.io/v1alpha1', kind: 'Dragonfly', plural: 'dragonflies' },
];

/** `Cluster` -> `clusters`, `Policy` -> `policies`, `Ingress` -> `ingresses`. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function toKindInfo(extra: ExtraKind): KindInfo {
  return {
    apiVersion: extra.apiVersion,
    kind: extra.kind,
    plural: extra.plural ?? pluralOf(extra.kind),
    namespaced: extra.namespaced ?? true,
  };
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const spec = (o: KubeObject) => record(o.spec);
const generation = (o: KubeObject) => (typeof o.metadata.generation === 'number' ? o.metadata.generation : 1);
const replicas = (o: KubeObject) => (typeof spec(o).replicas === 'number' ? (spec(o).replicas as number) : 1);

/** Keyed by `<apiVersion>/<kind>`. */
export const DEFAULT_STATUS_RULES: Readonly<Record<string, StatusRule>> = {
  'apps/v1/StatefulSet': (o) => {
    const r = replicas(o);
    const revision = `${o.metadata.name}-${generation(o)}`;
    return {
      observedGeneration: generation(o),
      replicas: r,
      readyReplicas: r,
      availableReplicas: r,
      currentReplicas: r,
      updatedReplicas: r,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    };
  },
  'apps/v1/Deployment': (o) => {
    const r = replicas(o);
    return {
      observedGeneration: generation(o),
      replicas: r,
      readyReplicas: r,
      availableReplicas: r,
      updatedReplicas: r,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
    };
  },
  'v1/PersistentVolumeClaim': (o) => ({
    phase: 'Bound',
    accessModes: spec(o).accessModes,
    capacity: { storage: record(record(spec(o).resources).requests).storage },
  }),
  // What CloudNativePG reports once every instance runs and streams (status fields of its CRD).
  'postgresql.cnpg.io/v1/Cluster': (o) => {
    const instances = typeof spec(o).instances === 'number' ? (spec(o).instances as number) : 1;
    const name = o.metadata.name;
    return {
      instances,
      readyInstances: instances,
      instanceNames: Array.from({ length: instances }, (_, i) => `${name}-${i + 1}`),
      currentPrimary: `${name}-1`,
      targetPrimary: `${name}-1`,
      writeService: `${name}-rw`,
      readService: `${name}-r`,
      ...(typeof spec(o).imageName === 'string' ? { image: spec(o).imageName } : {}),
      phase: 'Cluster in healthy state',
      phaseReason: '',
    };
  },
  // The Dragonfly operator's status once a master is elected and every replica replicates.
  'dragonflydb.io/v1alpha1/Dragonfly': () => ({ phase: 'Ready', isRollingUpdate: false }),
};
