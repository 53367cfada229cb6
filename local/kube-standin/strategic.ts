/**
 * Strategic merge patch (issue #16), what `kubectl patch` (its default type), `kubectl edit`,
 * `kubectl set image|env|resources`, `kubectl label|annotate` and a client-side `kubectl apply`
 * of an existing built-in object send, as k8s.io/apimachinery `pkg/util/strategicpatch` applies it:
 *
 * - maps merge recursively; `null` deletes a field;
 * - a list with a patch merge key merges item by item on that key (containers, volumes and env by
 *   `name`, container ports by `containerPort`, Service ports by `port`, volume mounts by
 *   `mountPath`...: the first key of the list in schema.ts's table, which records the `+listMapKey`
 *   and `+patchMergeKey` tags of k8s.io/api); new items are appended; a list of scalars with the
 *   merge strategy (`finalizers`) takes the union; any other list is replaced;
 * - directives: `$patch: replace` (a map or list replaced whole), `$patch: delete` (a map, or a
 *   list item by its key, removed), `$retainKeys` (the map keeps only those fields),
 *   `$deleteFromPrimitiveList/<list>` (values removed from a list of scalars),
 *   `$setElementOrder/<list>` (the order of a merged list; items only the server has keep their
 *   place relative to the others, as `normalizeElementOrder` does).
 *
 * A malformed directive is 400, a list item without its merge key 422, as kube-apiserver answers
 * them; custom resources have no patch strategies (server.ts answers 415 for them).
 */
import { deepEqual, isObject, type Json, type JsonObject } from './fields.js';
import { childOf, type SchemaNode } from './schema.js';

/** A strategic merge patch kube-apiserver would refuse: `code` 400 (bad format) or 422 (no merge key). */
export class StrategicPatchError extends Error {
  override name = 'StrategicPatchError';
  constructor(
    readonly code: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** The merge key of a list the schema merges by key, else undefined (a set or an atomic list). */
const mergeKeyOf = (node: SchemaNode | undefined): string | undefined =>
  node?.listType === 'map' ? node.listMapKeys?.[0] : undefined;

/** Applies `patch` to `original` (changed in place and returned); undefined when the patch deletes it. */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  schema: SchemaNode | undefined,
): JsonObject | undefined {
  return mergeMap(original, patch, schema);
}

function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  schema: SchemaNode | undefined,
): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const { [PATCH]: _d, ...rest } = patch;
      return stripDirectives(rest);
    }
    if (directive !== 'merge') {
      throw new StrategicPatchError(
        400,
        `unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`,
      );
    }
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw new StrategicPatchError(
        400,
        `invalid patch: $retainKeys must be a list of strings: ${JSON.stringify(retain)}`,
      );
    }
    for (const key of Object.keys(patch)) {
      if (!key.startsWith('$') && patch[key] !== null && !retain.includes(key)) {
        throw new StrategicPatchError(
          422,
          `The $retainKeys list does not contain the key of a field the patch sets: ${JSON.stringify(key)} is not in ${JSON.stringify(retain)}`,
        );
      }
    }
    for (const key of Object.keys(original)) if (!retain.includes(key)) delete original[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const node = childOf(schema, key);
    if (value === null) {
      delete original[key];
    } else if (isObject(value)) {
      const current = original[key];
      const merged = mergeMap(isObject(current) ? current : {}, value, node);
      if (merged === undefined) delete original[key];
      else original[key] = merged;
    } else if (Array.isArray(value)) {
      original[key] = mergeList(Array.isArray(original[key]) ? (original[key] as Json[]) : [], value, node);
    } else {
      original[key] = value;
    }
  }
  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM)) continue;
    const field = key.slice(DELETE_FROM.length);
    if (!Array.isArray(values)) throw new StrategicPatchError(400, `invalid patch: ${key} must be a list`);
    const current = original[field];
    if (Array.isArray(current)) original[field] = current.filter((v) => !values.some((x) => deepEqual(x, v)));
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new StrategicPatchError(400, `invalid patch: ${key} must be a list`);
    const current = original[field];
    if (Array.isArray(current))
      original[field] = ordered(current, order, mergeKeyOf(childOf(schema, field)), field);
  }
  return original;
}

/** A patch's content with its directives removed (what `$patch: replace` puts in place). */
function stripDirectives(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = isObject(v)
      ? stripDirectives(v)
      : Array.isArray(v)
        ? v.map((x) => (isObject(x) ? stripDirectives(x) : x))
        : v;
  }
  return out;
}

function mergeList(original: Json[], patch: Json[], node: SchemaNode | undefined): Json[] {
  const mergeKey = mergeKeyOf(node);
  if (patch.some((item) => isObject(item) && item[PATCH] === 'replace')) {
    return patch
      .filter((item) => !(isObject(item) && item[PATCH] === 'replace'))
      .map((x) => (isObject(x) ? stripDirectives(x) : x));
  }
  if (node?.listType === 'set') {
    const out = [...original];
    for (const item of patch) if (!out.some((x) => deepEqual(x, item))) out.push(item);
    return out;
  }
  if (mergeKey === undefined || !patch.every(isObject)) {
    // No patch strategy: the list is replaced, as a JSON merge patch replaces it.
    return patch.map((x) => (isObject(x) ? stripDirectives(x) : x));
  }
  const out = [...original];
  for (const item of patch as JsonObject[]) {
    const key = item[mergeKey];
    if (key === undefined) {
      throw new StrategicPatchError(
        422,
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
      );
    }
    const at = out.findIndex((x) => isObject(x) && deepEqual(x[mergeKey], key));
    if (item[PATCH] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const current = out[at];
    if (at >= 0 && isObject(current)) {
      const merged = mergeMap(current, item, node?.items);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else {
      const added = mergeMap({}, item, node?.items);
      if (added !== undefined) out.push(added);
    }
  }
  return out;
}

/**
 * `$setElementOrder`: the items the order names come in that order; the items only the server has
 * are interleaved where they stood among them (strategicpatch `mergeSortedSlice`).
 */
function ordered(list: Json[], order: Json[], mergeKey: string | undefined, field: string): Json[] {
  const keyOf = (item: Json): Json | undefined => {
    if (mergeKey === undefined) return item;
    if (!isObject(item)) return undefined;
    return item[mergeKey];
  };
  const orderKeys = order.map((o) => {
    const k = keyOf(o);
    if (k === undefined) {
      throw new StrategicPatchError(
        400,
        `invalid patch: $setElementOrder/${field} item without its merge key ${mergeKey}`,
      );
    }
    return k;
  });
  const indexIn = (keys: readonly Json[], item: Json) => keys.findIndex((k) => deepEqual(k, keyOf(item)));
  const serverOrder = list.map(keyOf) as Json[];
  const patched = list
    .filter((item) => indexIn(orderKeys, item) >= 0)
    .sort((a, b) => indexIn(orderKeys, a) - indexIn(orderKeys, b));
  const serverOnly = list.filter((item) => indexIn(orderKeys, item) < 0);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < patched.length || j < serverOnly.length) {
    if (i >= patched.length) out.push(serverOnly[j++] as Json);
    else if (j >= serverOnly.length) out.push(patched[i++] as Json);
    else {
      const li = indexIn(serverOrder, patched[i] as Json);
      const ri = indexIn(serverOrder, serverOnly[j] as Json);
      if (li >= 0 && ri >= 0 && li < ri) out.push(patched[i++] as Json);
      else out.push(serverOnly[j++] as Json);
    }
  }
  return out;
}
