import type { KubeObject } from '../shared/engines/types.js';
import type { DriftFinding } from '../shared/events/catalog.js';
import { quantity } from '../shared/kube/quantity.js';

/** Quantities compare by value (functions/shared/kube/quantity.ts). */
export { quantity };

/*
 * What "drift" means, kept deliberately simple (docs/operations.md, "Drift"):
 *
 * - An object Stratus renders for a cluster and Kubernetes lacks is `missing`. "Lacks" includes
 *   an object that lost the labels the reconciler lists by: Stratus no longer finds it either.
 * - An object that exists is `changed` when a field Stratus sets has another value live. Only the
 *   paths present in the rendered object are compared; everything the API server, controllers or
 *   other field managers add (status, metadata.uid, defaulted fields, extra labels) is ignored.
 *   Annotations are ignored (they name the operation that last applied the object).
 * - Secrets are compared by existence only: their values are generated once and live only in
 *   Kubernetes, so the reconciler renders placeholders and never looks at what is stored.
 *
 * The comparison errs towards "no drift", because a false positive would queue a repair on every
 * sweep: an absent live value equals a zero value (`false`, `0`, `''`, `{}`, `[]`, which the API
 * server omits), quantities compare by value (`1000m` = `1`), a rendered list of scalars must be
 * contained in the live one (a value added by another field manager is not drift), and lists of
 * objects compare item by item (extra live items are ignored).
 */

/** A finding, with the paths that differ (for logs; the event carries only the finding). */
export interface ObjectDrift {
  readonly finding: DriftFinding;
  readonly paths: readonly string[];
}

/** Objects are matched on apiVersion, kind, namespace and name. */
export function objectKey(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

const IGNORED_TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'status']);
/** Paths listed per changed object, at most. */
const MAX_PATHS = 10;

/** Drift of `desired` (as rendered) against `live` (as listed): missing and changed objects, in rendered order. */
export function compareObjects(desired: readonly KubeObject[], live: readonly KubeObject[]): ObjectDrift[] {
  const byKey = new Map(live.map((o) => [objectKey(o), o]));
  const out: ObjectDrift[] = [];
  for (const want of desired) {
    const finding = (issue: DriftFinding['issue']): DriftFinding => ({
      kind: want.kind,
      apiVersion: want.apiVersion,
      name: want.metadata.name,
      ...(want.metadata.namespace ? { namespace: want.metadata.namespace } : {}),
      issue,
    });
    const got = byKey.get(objectKey(want));
    if (!got) {
      out.push({ finding: finding('missing'), paths: [] });
      continue;
    }
    if (want.apiVersion === 'v1' && want.kind === 'Secret') continue;
    const paths: string[] = [];
    diff(want.metadata.labels ?? {}, got.metadata.labels, 'metadata.labels', paths);
    for (const [field, value] of Object.entries(want)) {
      if (IGNORED_TOP_LEVEL.has(field)) continue;
      diff(value, got[field], field, paths);
    }
    if (paths.length > 0) out.push({ finding: finding('changed'), paths: paths.slice(0, MAX_PATHS) });
  }
  return out;
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: Json): boolean => v === null || typeof v !== 'object';

/** Collects in `paths` the paths of `want` whose value differs in `got`. */
function diff(want: Json, got: Json, path: string, paths: string[]): void {
  if (want === undefined) return;
  if (got === undefined || got === null) {
    if (!isZero(want)) paths.push(path);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) {
      paths.push(path);
      return;
    }
    if (want.every(isScalar)) {
      if (!want.every((w) => got.some((g) => scalarEqual(w, g)))) paths.push(path);
      return;
    }
    want.forEach((item, i) => {
      diff(item, got[i], `${path}[${i}]`, paths);
    });
    return;
  }
  if (isObject(want)) {
    if (!isObject(got)) {
      paths.push(path);
      return;
    }
    for (const [k, v] of Object.entries(want)) diff(v, got[k], `${path}.${k}`, paths);
    return;
  }
  if (!scalarEqual(want, got)) paths.push(path);
}

/** Values the API server leaves out of what it returns (`omitempty`). */
function isZero(v: Json): boolean {
  if (v === false || v === 0 || v === '' || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every((x) => x === undefined);
  return false;
}

function scalarEqual(want: Json, got: Json): boolean {
  if (want === got) return true;
  if (typeof want === 'number' && typeof got === 'string') return String(want) === got;
  if (typeof want === 'string' && typeof got === 'string') {
    const a = quantity(want);
    const b = quantity(got);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
  }
  return false;
}
