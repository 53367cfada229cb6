/**
 * Growing the storage of a StatefulSet engine (Qdrant, Valkey).
 *
 * kube-apiserver refuses any change to a StatefulSet's `volumeClaimTemplates` (422: "updates to
 * statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy',
 * 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"), so applying a spec
 * with a bigger size fails. The well-known way round it, done here before the StatefulSet is
 * applied:
 *   1. expand every claim the StatefulSet's pods use (`<template>-<statefulset>-<ordinal>`, ordinals
 *      below its replicas, found by the template's labels, which the controller copies onto each
 *      claim) to the new request; a bound claim may grow (never shrink) where its StorageClass has
 *      `allowVolumeExpansion` (docs/eks.md);
 *   2. delete the StatefulSet with the `Orphan` propagation policy: its pods keep running;
 *   3. wait until it is gone (the garbage collector first clears the pods' owner references), so
 *      the apply that follows creates it anew with the new templates; it adopts the running pods by
 *      its selector and rolls them as for any template change.
 * Every step is safe to repeat: a delivery that stops between them finds claims already grown, or
 * the StatefulSet already gone, and goes on.
 */
import type { KubeObject } from '../shared/engines/types.js';
import { KubeApiError } from '../shared/kube/errors.js';
import { quantity } from '../shared/kube/quantity.js';

/** What this needs of Kubernetes (a subset of the workflow's KubePort). */
export interface ClaimsKube {
  apply(objects: KubeObject[]): Promise<void>;
  get(ref: Ref): Promise<KubeObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    opts: { readonly namespace: string; readonly labelSelector: string },
  ): Promise<KubeObject[]>;
  delete(ref: Ref, opts?: { readonly propagation?: 'Background' | 'Orphan' }): Promise<'deleted' | 'gone'>;
}

type Ref = Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } };

interface ClaimTemplate {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly storage: string | undefined;
}

/** How long the StatefulSet may take to go after its orphaning delete before the delivery retries. */
export const ORPHAN_WAIT_MS = [50, 100, 200, 400, 800, 1600, 3200] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function templatesOf(sts: KubeObject): ClaimTemplate[] {
  const spec = isRecord(sts.spec) ? sts.spec : {};
  const templates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  return templates.filter(isRecord).map((t) => {
    const meta = isRecord(t.metadata) ? t.metadata : {};
    const claim = isRecord(t.spec) ? t.spec : {};
    const resources = isRecord(claim.resources) ? claim.resources : {};
    const requests = isRecord(resources.requests) ? resources.requests : {};
    return {
      name: String(meta.name ?? ''),
      labels: (isRecord(meta.labels) ? meta.labels : {}) as Record<string, string>,
      storage: typeof requests.storage === 'string' ? requests.storage : undefined,
    };
  });
}

/** Bytes of a storage quantity (`10Gi`, `500M`, `1e9`), or NaN when it is not one. */
export function quantityBytes(q: string): number {
  return quantity(q) ?? Number.NaN;
}

const sameQuantity = (a: string | undefined, b: string | undefined) =>
  a === b || (a !== undefined && b !== undefined && quantityBytes(a) === quantityBytes(b));

/** Whether two StatefulSets ask for the same claims (names and storage requests). */
export function sameClaims(a: KubeObject, b: KubeObject): boolean {
  const ta = templatesOf(a);
  const tb = templatesOf(b);
  return (
    ta.length === tb.length &&
    ta.every((t) => {
      const other = tb.find((u) => u.name === t.name);
      return other !== undefined && sameQuantity(t.storage, other.storage);
    })
  );
}

const replicasOf = (sts: KubeObject): number => {
  const spec = isRecord(sts.spec) ? sts.spec : {};
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
};

/**
 * Grows the claims the pods of `wanted` run on (ordinals below its replicas) that are smaller than
 * its templates ask; the claims of ordinals above (left by a scale down) stay as they are until a
 * scale up uses them again: growing them would count against a quota sized for the nodes that run.
 * Returns how many it grew.
 */
async function growClaims(kube: ClaimsKube, wanted: KubeObject, namespace: string): Promise<number> {
  let grown = 0;
  for (const template of templatesOf(wanted)) {
    if (template.storage === undefined) continue;
    const selector = Object.entries(template.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const prefix = `${template.name}-${wanted.metadata.name}-`;
    const ordinal = (c: KubeObject) => {
      const rest = c.metadata.name.slice(prefix.length);
      return c.metadata.name.startsWith(prefix) && /^[0-9]+$/.test(rest) ? Number(rest) : -1;
    };
    const claims = (await kube.list('v1', 'PersistentVolumeClaim', { namespace, labelSelector: selector }))
      .filter((c) => ordinal(c) >= 0 && ordinal(c) < replicasOf(wanted))
      .sort((a, b) => ordinal(a) - ordinal(b));
    for (const claim of claims) {
      const current = templatesOf({
        ...claim,
        spec: { volumeClaimTemplates: [{ metadata: {}, spec: claim.spec }] },
      })[0]?.storage;
      // Never shrink (the API server refuses it): a rollback to a smaller size keeps the grown
      // claims, and only the template goes back.
      if (current !== undefined && quantityBytes(current) >= quantityBytes(template.storage)) continue;
      await kube.apply([
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claim.metadata.name, namespace },
          spec: { resources: { requests: { storage: template.storage } } },
        },
      ]);
      grown++;
    }
  }
  return grown;
}

/**
 * Makes the live StatefulSet of `wanted` (if any) accept `wanted`'s claims, reading it first (the
 * live object, not what the previous spec rendered: a failed rollback or a hand edit may differ).
 * When its claim templates differ: grows the claims and deletes it, orphaning its pods, then waits
 * until it is gone (`replaced`). When it scales up onto claims an earlier scale down left smaller:
 * grows those (`grown`). Else nothing (`unchanged`): no live StatefulSet, or the same claims.
 */
export async function prepareClaims(
  kube: ClaimsKube,
  wanted: KubeObject,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<'replaced' | 'grown' | 'unchanged'> {
  const ref = { apiVersion: wanted.apiVersion, kind: wanted.kind, metadata: wanted.metadata };
  const namespace = wanted.metadata.namespace;
  if (namespace === undefined) throw new Error(`StatefulSet ${wanted.metadata.name} has no namespace`);
  const live = await kube.get(ref);
  if (!live) return 'unchanged';
  const terminating = isRecord(live.metadata) && live.metadata.deletionTimestamp !== undefined;
  const replace = terminating || !sameClaims(live, wanted);
  // A terminating StatefulSet (a delivery that stopped after its delete) grows too: growing is
  // idempotent, and one deleted by someone else must not come back over small claims.
  const grown =
    replace || replicasOf(wanted) > replicasOf(live) ? await growClaims(kube, wanted, namespace) : 0;
  if (!replace) return grown > 0 ? 'grown' : 'unchanged';
  if (!terminating) await kube.delete(ref, { propagation: 'Orphan' });
  for (const ms of ORPHAN_WAIT_MS) {
    if (!(await kube.get(ref))) return 'replaced';
    await sleep(ms);
  }
  if (!(await kube.get(ref))) return 'replaced';
  // A transient failure: the workflow retries the step with backoff; it finds it terminating or gone.
  throw new KubeApiError(
    `StatefulSet ${wanted.metadata.name} is still being deleted (orphaning its pods) to take new claim templates`,
    { status: 409, reason: 'Conflict', retryable: true },
  );
}
