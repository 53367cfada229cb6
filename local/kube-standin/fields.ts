/**
 * Pure helpers for object manipulation: deep equality, the merges used by apply and
 * merge-patch, field paths for managedFields-lite, and label selectors.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/** A field path such as `['spec', 'replicas']`; lists are atomic (owned as a whole). */
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

/** Applied configuration onto the live object: maps merge recursively, lists and scalars replace. */
export function deepMerge(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isObject(value) && isObject(current)) {
      deepMerge(current, value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
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

export function leafPaths(value: JsonObject, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [key, v] of Object.entries(value)) {
    const path = [...prefix, key];
    if (isObject(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, path));
    else out.push(path);
  }
  return out;
}

export function getPath(obj: JsonObject, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Deletes a field and prunes the maps it leaves empty. */
export function deletePath(obj: JsonObject, path: FieldPath): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete obj[head];
    return;
  }
  const child = obj[head];
  if (!isObject(child)) return;
  deletePath(child, rest);
  if (Object.keys(child).length === 0) delete obj[head];
}

export const pathKey = (p: FieldPath): string => p.join('\u0000');
export const pathString = (p: FieldPath): string => `.${p.join('.')}`;

/** FieldsV1 as Kubernetes shows it in managedFields: `{"f:spec":{"f:replicas":{}}}`. */
export function toFieldsV1(paths: readonly FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) {
      let next = node[`f:${key}`];
      if (!isObject(next)) {
        next = {};
        node[`f:${key}`] = next;
      }
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isObject(tree)) return [];
  const entries = Object.entries(tree).filter(([k]) => k.startsWith('f:'));
  if (entries.length === 0) return prefix.length > 0 ? [prefix] : [];
  return entries.flatMap(([k, v]) => fromFieldsV1(v, [...prefix, k.slice(2)]));
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
