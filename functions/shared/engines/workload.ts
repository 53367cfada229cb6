/**
 * Pieces the engines share: per-node resources, security contexts that satisfy the restricted
 * pod security standard, labels for objects an operator creates, and StatefulSet readiness.
 */

import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { LABELS, namespaceOf, objectMeta, stratusLabels } from './tenancy.js';
import { tlsOn, withTls } from './tls.js';
import type { KubeObject, PauseState, Readiness, RenderContext } from './types.js';

/** Requests equal to limits: Guaranteed QoS, so a database is the last thing the kubelet evicts. */
export function nodeResources(spec: ClusterSpec) {
  return {
    requests: { cpu: spec.size.cpu, memory: spec.size.memory },
    limits: { cpu: spec.size.cpu, memory: spec.size.memory },
  };
}

export function podSecurityContext(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(
  uid: number,
  opts: { readonly readOnlyRootFilesystem?: boolean } = {},
) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
    ...(opts.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}

/**
 * Labels for the objects an operator creates on our behalf (pods, PVCs, Services): tenant, cluster
 * and engine, but not `managed-by`, so the reconciler never mistakes them for objects Stratus
 * applied itself (it does not own them; the operator does).
 */
export function inheritedLabels(spec: ClusterSpec): Record<string, string> {
  const { [LABELS.managedBy]: _managedBy, ...rest } = stratusLabels(spec);
  return rest;
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Ready when the controller has seen the latest spec and every replica runs it: observedGeneration
 * catches up first, and updatedReplicas keeps a rolling upgrade from counting as ready early.
 */
export function statefulSetReadiness(name: string, replicas: number, sts: KubeObject | undefined): Readiness {
  if (!sts) return { ready: false, reason: `StatefulSet ${name} not found` };
  const status = record(sts.status);
  const generation = num(sts.metadata.generation);
  if (num(status.observedGeneration) < generation) {
    return {
      ready: false,
      reason: `waiting for the StatefulSet controller to observe generation ${generation}`,
    };
  }
  const ready = num(status.readyReplicas);
  if (ready < replicas) return { ready: false, reason: `${ready}/${replicas} replicas ready` };
  if (status.updatedReplicas !== undefined && num(status.updatedReplicas) < replicas) {
    return { ready: false, reason: `${num(status.updatedReplicas)}/${replicas} replicas updated` };
  }
  return { ready: true };
}

/** Replicas a StatefulSet (or an operator's instance count) is rendered with: none while paused. */
export const replicasOf = (spec: ClusterSpec): number => (spec.paused ? 0 : spec.nodes);

/**
 * A StatefulSet's pause state: paused once its controller has seen the 0 replicas and no pod is
 * left; running once it has seen `nodes` and as many are ready. Its PVCs stay either way (the
 * StatefulSet controller deletes none on a scale down unless told to by
 * `persistentVolumeClaimRetentionPolicy`, which Stratus never sets).
 */
export function statefulSetPauseState(
  spec: ClusterSpec,
  name: string,
  sts: KubeObject | undefined,
): PauseState {
  if (!sts) return { state: 'changing', reason: `StatefulSet ${name} not found` };
  const status = record(sts.status);
  const generation = num(sts.metadata.generation);
  if (num(status.observedGeneration) < generation) {
    return {
      state: 'changing',
      reason: `waiting for the StatefulSet controller to observe generation ${generation}`,
    };
  }
  const wanted = num(record(sts.spec).replicas);
  const pods = num(status.replicas);
  if (wanted === 0) {
    return pods === 0 && num(status.readyReplicas) === 0
      ? { state: 'paused' }
      : { state: 'changing', reason: `${pods} pods still running` };
  }
  const ready = num(status.readyReplicas);
  return ready >= spec.nodes && wanted >= spec.nodes
    ? { state: 'running' }
    : { state: 'changing', reason: `${ready}/${spec.nodes} replicas ready` };
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_SUFFIX: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes of a Kubernetes memory quantity (`512Mi`, `4Gi`, `1G`, `1048576`). */
export function quantityToBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  const factor = m ? (BINARY_SUFFIX[m[2] ?? ''] ?? DECIMAL_SUFFIX[m[2] ?? '']) : undefined;
  if (!m?.[1] || factor === undefined) {
    throw new Error(`Unsupported Kubernetes memory quantity: ${JSON.stringify(quantity)}`);
  }
  return Math.floor(Number(m[1]) * factor);
}

/** Prefer spreading the pods of one cluster over nodes, without blocking scheduling when it cannot. */
export function spreadOverNodes(selector: Record<string, string>) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: selector },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
      ],
    },
  };
}

/** The persistent volume of each StatefulSet pod, sized from the plan. */
export function volumeClaim(spec: ClusterSpec, name: string) {
  return {
    metadata: { name, labels: stratusLabels(spec) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: `${spec.size.storageGiB}Gi` } },
    },
  };
}

/** At most one pod of a multi-node workload down at a time during voluntary disruptions. */
export function podDisruptionBudget(
  spec: ClusterSpec,
  ctx: RenderContext,
  name: string,
  selector: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(spec, ctx, name),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

/** The object in the cluster's namespace whose status decides readiness (a StatefulSet or an operator resource). */
export function objectRef(spec: ClusterSpec, apiVersion: string, kind: string, name: string) {
  return { apiVersion, kind, metadata: { name, namespace: namespaceOf(spec.clusterId) } };
}

/**
 * Connection details of a Service in the cluster's namespace, with where its credential lives;
 * on a TLS cluster (`spec.tls`) marked TLS (tls.ts `withTls`), with `tlsScheme` where TLS has a
 * scheme of its own (`rediss`, `https`) and `tlsRequired` false where plain text is still taken.
 */
export function serviceConnection(
  spec: ClusterSpec,
  o: {
    service: string;
    scheme: string;
    tlsScheme?: string;
    tlsRequired?: boolean;
    port: number;
    secret: string;
    key: string;
  },
): ConnectionInfo {
  const namespace = namespaceOf(spec.clusterId);
  const host = `${o.service}.${namespace}.svc.cluster.local`;
  const scheme = tlsOn(spec) && o.tlsScheme ? o.tlsScheme : o.scheme;
  return withTls(
    spec,
    {
      host,
      port: o.port,
      endpoint: `${scheme}://${host}:${o.port}`,
      credentialRef: { namespace, name: o.secret, key: o.key },
    },
    o.tlsRequired ?? true,
  );
}
