/**
 * Pure helpers for object manipulation: deep equality, the merges used by apply and
 * merge-patch, field paths for managedFields-lite, and label selectors.
 */

import { childOf, type SchemaNode } from './schema.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/**
 * A field path such as `['spec', 'replicas']`; a list-map item is a `k:{"name":"db"}` segment, a
 * set item a `v:"value"` segment; other lists are atomic (owned as a whole).
 */
export type FieldPath = readonly string[];

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Applied configuration onto the live object: maps merge recursively; lists the schema calls a
 * map merge item by item on their keys (new items appended), sets take the union; other lists and
 * scalars replace.
 */
export function deepMerge(target: JsonObject, patch: JsonObject, schema?: SchemaNode): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    const node = childOf(schema, key);
    if (isObject(value) && isObject(current)) {
      deepMerge(current, value, node);
    } else if (Array.isArray(value) && Array.isArray(current) && node?.listType === 'map') {
      const keys = node.listMapKeys ?? [];
      for (const item of value) {
        const at = isObject(item)
          ? current.findIndex((c) => isObject(c) && sameKey(c, item, keys, node))
          : -1;
        const found = current[at];
        if (at >= 0 && isObject(found) && isObject(item)) deepMerge(found, item, node.items);
        else if (at >= 0) current[at] = structuredClone(item);
        else current.push(structuredClone(item));
      }
    } else if (Array.isArray(value) && Array.isArray(current) && node?.listType === 'set') {
      for (const item of value)
        if (!current.some((c) => deepEqual(c, item))) current.push(structuredClone(item));
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

/** The value of a list-map key field of `item`, its schema default when absent. */
function keyValue(item: JsonObject, key: string, list: SchemaNode | undefined): Json | undefined {
  return item[key] ?? childOf(list?.items, key)?.default;
}

function sameKey(a: JsonObject, b: JsonObject, keys: readonly string[], list: SchemaNode): boolean {
  return keys.every((k) => deepEqual(keyValue(a, k, list), keyValue(b, k, list)));
}

/** The path segment of a list-map item, as managedFields write it: `k:{"name":"db"}`. */
function keySegment(item: JsonObject, keys: readonly string[], list: SchemaNode): string {
  const fields: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = keyValue(item, k, list);
    if (v !== undefined) fields[k] = v;
  }
  return `k:${JSON.stringify(fields)}`;
}

/**
 * Fills the absent key fields of list-map items with their defaults (a port without `protocol` is
 * the TCP port), so that an applied configuration and the live object name items alike.
 */
export function fillKeyDefaults(value: JsonObject, schema: SchemaNode | undefined): void {
  if (schema === undefined) return;
  for (const [key, v] of Object.entries(value)) {
    const node = childOf(schema, key);
    if (node === undefined) continue;
    if (isObject(v)) fillKeyDefaults(v, node);
    else if (Array.isArray(v)) {
      for (const item of v) {
        if (!isObject(item)) continue;
        if (node.listType === 'map') {
          for (const k of node.listMapKeys ?? []) {
            const d = childOf(node.items, k)?.default;
            if (item[k] === undefined && d !== undefined) item[k] = structuredClone(d);
          }
        }
        fillKeyDefaults(item, node.items);
      }
    }
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      const current = target[key];
      target[key] = mergePatch(isObject(current) ? current : {}, value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

/**
 * The fields an object sets, as paths: a map's leaves; a list-map item as `k:{...}` and its fields
 * (its key fields included, as every manager of an item owns its keys); a set's items as `v:<json>`;
 * any other list as one leaf.
 */
export function leafPaths(value: JsonObject, prefix: FieldPath = [], schema?: SchemaNode): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [key, v] of Object.entries(value)) {
    const path = [...prefix, key];
    const node = childOf(schema, key);
    if (isObject(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, path, node));
    else if (Array.isArray(v) && v.length > 0 && node?.listType === 'map' && v.every(isObject)) {
      const keys = node.listMapKeys ?? [];
      for (const item of v as JsonObject[]) {
        const at = [...path, keySegment(item, keys, node)];
        for (const k of keys) if (keyValue(item, k, node) !== undefined) out.push([...at, k]);
        const rest: JsonObject = {};
        for (const [k, x] of Object.entries(item)) if (!keys.includes(k)) rest[k] = x;
        out.push(...leafPaths(rest, at, node.items));
      }
    } else if (Array.isArray(v) && v.length > 0 && node?.listType === 'set') {
      for (const item of v) out.push([...path, `v:${JSON.stringify(item)}`]);
    } else out.push(path);
  }
  return out;
}

/** The list item a `k:` or `v:` segment names, and its index; undefined when absent. */
function itemAt(list: Json[], segment: string): { at: number; key?: JsonObject } | undefined {
  const fields = JSON.parse(segment.slice(2)) as Json;
  if (segment.startsWith('v:')) {
    const at = list.findIndex((x) => deepEqual(x, fields));
    return at >= 0 ? { at } : undefined;
  }
  if (!isObject(fields)) return undefined;
  const at = list.findIndex(
    (x) => isObject(x) && Object.entries(fields).every(([k, v]) => deepEqual(x[k], v)),
  );
  return at >= 0 ? { at, key: fields } : undefined;
}

const isItemSegment = (segment: string): boolean => segment.startsWith('k:') || segment.startsWith('v:');

export function getPath(obj: JsonObject, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const key of path) {
    if (Array.isArray(cur) && isItemSegment(key)) {
      const found = itemAt(cur, key);
      cur = found ? cur[found.at] : undefined;
      continue;
    }
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Deletes a field and prunes the maps it leaves empty. Deleting a key field of a list-map item, or
 * the last field of one, deletes the item; a list left empty goes too.
 */
export function deletePath(obj: JsonObject, path: FieldPath): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete obj[head];
    return;
  }
  const child = obj[head];
  if (Array.isArray(child) && rest[0] !== undefined && isItemSegment(rest[0])) {
    const [segment, ...inner] = rest as [string, ...string[]];
    const found = itemAt(child, segment);
    if (!found) return;
    const item = child[found.at];
    const removesKey =
      inner.length === 1 && found.key !== undefined && Object.hasOwn(found.key, inner[0] as string);
    if (inner.length === 0 || removesKey || !isObject(item)) child.splice(found.at, 1);
    else {
      deletePath(item, inner);
      if (Object.keys(item).length === 0) child.splice(found.at, 1);
    }
    if (child.length === 0) delete obj[head];
    return;
  }
  if (!isObject(child)) return;
  deletePath(child, rest);
  if (Object.keys(child).length === 0) delete obj[head];
}

export const pathKey = (p: FieldPath): string => p.join('\u0000');
/** `.spec.template.spec.containers[name="db"].image`, as conflict messages write paths. */
export const pathString = (p: FieldPath): string =>
  p
    .map((segment) => {
      if (segment.startsWith('k:')) {
        const fields = JSON.parse(segment.slice(2)) as JsonObject;
        return `[${Object.entries(fields)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      if (segment.startsWith('v:')) return `[${segment.slice(2)}]`;
      return `.${segment}`;
    })
    .join('');

/** FieldsV1 as Kubernetes shows it in managedFields: `{"f:spec":{"f:replicas":{}}}`. */
export function toFieldsV1(paths: readonly FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) {
      const name = isItemSegment(key) ? key : `f:${key}`;
      let next = node[name];
      if (!isObject(next)) {
        next = {};
        node[name] = next;
      }
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isObject(tree)) return [];
  const entries = Object.entries(tree).filter(([k]) => k.startsWith('f:') || isItemSegment(k));
  if (entries.length === 0) return prefix.length > 0 ? [prefix] : [];
  return entries.flatMap(([k, v]) => fromFieldsV1(v, [...prefix, k.startsWith('f:') ? k.slice(2) : k]));
}

// --- label selectors (equality, set-based and existence requirements) ---

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const VALUE = '[-A-Za-z0-9_.]*';

export function parseLabelSelector(selector: string): Requirement[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((term): Requirement => {
      let m = new RegExp(`^!\\s*(${KEY})$`).exec(term);
      if (m?.[1]) return { key: m[1], op: '!exists' };
      m = new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(term);
      if (m?.[1] && m[3] !== undefined) {
        const values = m[3].split(',').map((v) => v.trim());
        return { key: m[1], op: m[2] === 'in' ? 'in' : 'notin', values };
      }
      m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(term);
      if (m?.[1] && m[3] !== undefined)
        return { key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] };
      m = new RegExp(`^(${KEY})$`).exec(term);
      if (m?.[1]) return { key: m[1], op: 'exists' };
      throw new SelectorParseError(`unable to parse requirement: ${JSON.stringify(term)}`);
    });
}

export function matchesSelector(labels: Record<string, string>, requirements: Requirement[]): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key] ?? '');
      case 'notin':
        return !has || !r.values.includes(labels[r.key] ?? '');
      default:
        return false;
    }
  });
}

/** A JSON patch that cannot be applied (RFC 6902: the whole patch fails, nothing is changed). */
export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

/** RFC 6901: `/spec/containers/0/name` -> `['spec', 'containers', '0', 'name']`. */
function pointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/')))
    throw new JsonPatchError(`invalid JSON pointer: ${JSON.stringify(path)}`);
  return path === ''
    ? []
    : path
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the value `tokens` points at, and its last token. */
function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(t) && Number(t) < cur.length)
      cur = cur[Number(t)] as Json;
    else if (isObject(cur) && t in cur) cur = cur[t] as Json;
    else throw new JsonPatchError(`path not found: ${path}`);
  }
  return { parent: cur, last: tokens[tokens.length - 1] ?? '' };
}

function readPointer(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent) && /^(0|[1-9]\d*)$/.test(last) && Number(last) < parent.length)
    return parent[Number(last)] as Json;
  if (isObject(parent) && last in parent) return parent[last] as Json;
  throw new JsonPatchError(`path not found: ${path}`);
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : /^(0|[1-9]\d*)$/.test(last) ? Number(last) : Number.NaN;
    if (!(i >= 0 && i <= parent.length)) throw new JsonPatchError(`index out of range: ${path}`);
    parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new JsonPatchError(`path not found: ${path}`);
  }
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new JsonPatchError('cannot remove the whole document');
  readPointer(doc, path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return doc;
}

/** RFC 6902 JSON patch (`add`, `remove`, `replace`, `move`, `copy`, `test`) applied to a copy. */
export function jsonPatch(target: JsonObject, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new JsonPatchError('a JSON patch must be an array of operations');
  let doc: Json = structuredClone(target);
  for (const op of ops) {
    if (!isObject(op)) throw new JsonPatchError('a JSON patch operation must be an object');
    const path = op.path;
    if (typeof path !== 'string') throw new JsonPatchError(`operation ${String(op.op)} needs a "path"`);
    const value = () => {
      if (!('value' in op)) throw new JsonPatchError(`operation ${String(op.op)} needs a "value"`);
      return structuredClone(op.value) as Json;
    };
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, value());
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        readPointer(doc, path);
        doc = addAt(removeAt(doc, path), path, value());
        break;
      case 'move': {
        const from = String(op.from);
        if (path.startsWith(`${from}/`)) throw new JsonPatchError(`cannot move ${from} into itself`);
        const moved = readPointer(doc, from);
        doc = addAt(removeAt(doc, from), path, moved);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(readPointer(doc, String(op.from))));
        break;
      case 'test':
        if (!deepEqual(readPointer(doc, path), op.value))
          throw new JsonPatchError(`testing value ${path} failed`);
        break;
      default:
        throw new JsonPatchError(`unknown JSON patch operation: ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

/**
 * Whether a strategic merge patch means the same as a JSON merge patch: it has no list (lists
 * with a patch merge key, e.g. containers by `name`, merge by key in SMP but are replaced by a
 * merge patch) and no `$patch`/`$setElementOrder`/`$retainKeys`/... directive.
 */
export function strategicIsPlainMerge(patch: Json): boolean {
  if (Array.isArray(patch)) return false;
  if (!isObject(patch)) return true;
  return Object.entries(patch).every(([k, v]) => !k.startsWith('$') && strategicIsPlainMerge(v));
}
