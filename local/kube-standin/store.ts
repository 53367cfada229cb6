/**
 * Object semantics of the stand-in: resourceVersion, uid, generation, server-side apply with
 * managedFields-lite, merge patch, namespaces with a Terminating phase, and simulated readiness.
 * Controllers are simulated lazily: `tick()` runs before every request, so there are no timers.
 *
 * Costs do not grow with what is stored (issue #12: thousands of clusters): `tick()` visits only
 * the objects written since they last converged and the namespaces being deleted, and lists read
 * an index by kind and by namespace instead of every object.
 */
import { randomUUID } from 'node:crypto';
import {
  deepEqual,
  deepMerge,
  deletePath,
  type FieldPath,
  fromFieldsV1,
  getPath,
  isObject,
  type JsonObject,
  leafPaths,
  matchesSelector,
  mergePatch,
  parseLabelSelector,
  pathKey,
  pathString,
  SelectorParseError,
  toFieldsV1,
} from './fields.js';
import type { KindInfo, StatusRule } from './resources.js';

/** An error the API answers with a Kubernetes `Status` body. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }
}

export interface StoredEntry {
  obj: JsonObject;
  /** When the spec last changed: simulated controllers converge `readinessDelayMs` later. */
  specChangedAt: number;
  /** Namespaces only: when deletion was requested. */
  deletedAt?: number;
}

export interface Snapshot {
  resourceVersion: number;
  entries: StoredEntry[];
}

export interface StoreOptions {
  readonly readinessDelayMs: number;
  readonly namespaceTerminationMs: number;
  readonly statusRules: Readonly<Record<string, StatusRule>>;
  /** Objects were written or deleted (their keys): persistence writes them. */
  readonly onChange: (keys: readonly string[]) => void;
  /** The clock of readiness, termination and timestamps. @default Date.now */
  readonly now?: () => number;
  /** How long a list's `continue` token is honoured (then 410 `Expired`). @default 300000 */
  readonly continueTtlMs?: number;
}

type Metadata = JsonObject & { name: string; namespace?: string };

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'deletionTimestamp',
  'selfLink',
];
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
const resourceName = (k: KindInfo): string => {
  const group = groupOf(k.apiVersion);
  return group ? `${k.plural}.${group}` : k.plural;
};
const meta = (obj: JsonObject): Metadata => obj.metadata as Metadata;

/** Keys are `<group>/<plural>/<namespace>/<name>`: none of the parts holds a `/`. */
const kindOfKey = (key: string): string => key.slice(0, key.indexOf('/', key.indexOf('/') + 1));
const namespaceOfKey = (key: string): string => key.split('/')[2] ?? '';
const addTo = (index: Map<string, Set<string>>, at: string, key: string): void => {
  const set = index.get(at);
  if (set) set.add(key);
  else index.set(at, new Set([key]));
};

export class ObjectStore {
  private readonly entries = new Map<string, StoredEntry>();
  /** Keys by `<group>/<plural>`, and namespaced objects' keys by namespace: what lists read. */
  private readonly byKind = new Map<string, Set<string>>();
  private readonly byNamespace = new Map<string, Set<string>>();
  /** Objects written since their status last converged: what `tick()` looks at. */
  private readonly unconverged = new Set<string>();
  /** Namespaces being deleted (their content goes with them). */
  private readonly terminating = new Set<string>();
  private resourceVersion = 0;
  private readonly now: () => number;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  // --- persistence ---

  /** Every stored object as it is (copies), with the resourceVersion counter. */
  snapshot(): Snapshot {
    return { resourceVersion: this.resourceVersion, entries: structuredClone([...this.entries.values()]) };
  }

  restore(snapshot: Snapshot, keyOf: (obj: JsonObject) => string | undefined): void {
    this.resourceVersion = snapshot.resourceVersion;
    for (const entry of snapshot.entries) {
      const key = keyOf(entry.obj);
      if (key) this.put(key, entry);
    }
  }

  /** The live entry under `key`, for persistence: read, never changed. */
  entry(key: string): StoredEntry | undefined {
    return this.entries.get(key);
  }

  /** Every live entry with its key, for persistence: read, never changed. */
  liveEntries(): IterableIterator<[string, StoredEntry]> {
    return this.entries.entries();
  }

  currentResourceVersion(): number {
    return this.resourceVersion;
  }

  all(): JsonObject[] {
    return [...this.entries.values()].map((e) => structuredClone(e.obj));
  }

  keyFor(kind: KindInfo, namespace: string | undefined, name: string): string {
    return `${groupOf(kind.apiVersion)}/${kind.plural}/${kind.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  // --- simulated controllers ---

  tick(): void {
    const now = this.now();
    const changed: string[] = [];
    for (const key of this.terminating) {
      const entry = this.entries.get(key);
      if (entry?.deletedAt === undefined) {
        this.terminating.delete(key);
        continue;
      }
      if (now - entry.deletedAt < this.opts.namespaceTerminationMs) continue;
      for (const k of [...(this.byNamespace.get(meta(entry.obj).name) ?? [])]) {
        this.remove(k);
        changed.push(k);
      }
      this.remove(key);
      changed.push(key);
    }
    for (const key of this.unconverged) {
      const entry = this.entries.get(key);
      const rule = entry && this.opts.statusRules[`${entry.obj.apiVersion}/${entry.obj.kind}`];
      if (!entry || !rule || meta(entry.obj).deletionTimestamp) {
        this.unconverged.delete(key);
        continue;
      }
      if (now - entry.specChangedAt < this.opts.readinessDelayMs) continue;
      const status = rule(entry.obj as never);
      if (status === undefined) continue; // the simulated controller is still working
      const target = structuredClone(status) as JsonObject;
      if (!deepEqual(entry.obj.status, target)) {
        entry.obj.status = target;
        meta(entry.obj).resourceVersion = this.nextVersion();
        changed.push(key);
      }
      this.unconverged.delete(key);
    }
    if (changed.length > 0) this.opts.onChange(changed);
  }

  // --- reads ---

  get(kind: KindInfo, namespace: string | undefined, name: string): JsonObject {
    return structuredClone(this.require(kind, namespace, name).obj);
  }

  /**
   * A list, whole or one chunk of it (`limit`, `continue`) as kube-apiserver pages: items in key
   * order (namespace, then name, by bytes), `metadata.continue` when more follow, and
   * `metadata.remainingItemCount` only when no selector was given. A token is the last key served
   * and the list's resourceVersion; it expires `continueTtlMs` after it was issued (a real server's
   * tokens last until etcd compacts, about 5 minutes): 410 `Expired`. Unlike the real server, a
   * continued list reads the objects as they are now, not as of the first chunk.
   */
  list(
    kind: KindInfo,
    namespace: string | undefined,
    labelSelector: string | undefined,
    chunk: { readonly limit?: number; readonly continue?: string } = {},
  ): JsonObject {
    let requirements: ReturnType<typeof parseLabelSelector> = [];
    try {
      requirements = parseLabelSelector(labelSelector ?? '');
    } catch (e) {
      if (e instanceof SelectorParseError) throw new ApiError(400, 'BadRequest', e.message);
      throw e;
    }
    const kindKey = `${groupOf(kind.apiVersion)}/${kind.plural}`;
    const keys =
      kind.namespaced && namespace !== undefined
        ? [...(this.byNamespace.get(namespace) ?? [])].filter((k) => kindOfKey(k) === kindKey)
        : [...(this.byKind.get(kindKey) ?? [])];
    const token = chunk.continue ? this.decodeContinue(chunk.continue) : undefined;
    const listKey = (o: JsonObject) => `${meta(o).namespace ?? ''}/${meta(o).name}`;
    const all = keys
      .flatMap((k) => {
        const e = this.entries.get(k);
        return e ? [e.obj] : [];
      })
      .filter((o) => o.apiVersion === kind.apiVersion && o.kind === kind.kind)
      .filter((o) => namespace === undefined || meta(o).namespace === namespace)
      .filter((o) => token === undefined || listKey(o) >= token.start)
      .filter((o) => matchesSelector((meta(o).labels as Record<string, string>) ?? {}, requirements))
      .map((o) => ({ o, key: listKey(o) }))
      // Byte order, as etcd returns keys (a continue token is a key).
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = chunk.limit !== undefined && chunk.limit > 0 ? chunk.limit : all.length;
    const items = all.slice(0, limit);
    const last = items[items.length - 1];
    const more = all.length > items.length && last !== undefined;
    const resourceVersion = token?.rv ?? this.resourceVersion;
    return {
      apiVersion: kind.apiVersion,
      kind: `${kind.kind}List`,
      metadata: {
        resourceVersion: String(resourceVersion),
        ...(more
          ? {
              continue: Buffer.from(
                JSON.stringify({
                  v: 'meta.k8s.io/v1',
                  rv: resourceVersion,
                  start: `${last.key}\u0000`,
                  at: this.now(),
                }),
              ).toString('base64url'),
              ...(requirements.length === 0 ? { remainingItemCount: all.length - items.length } : {}),
            }
          : {}),
      },
      items: structuredClone(items.map((i) => i.o)),
    };
  }

  private decodeContinue(token: string): { rv: number; start: string } {
    let parsed: { v?: unknown; rv?: unknown; start?: unknown; at?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw new ApiError(400, 'BadRequest', 'continue key is not valid: not a continue token');
    }
    if (
      parsed?.v !== 'meta.k8s.io/v1' ||
      typeof parsed.rv !== 'number' ||
      typeof parsed.start !== 'string' ||
      typeof parsed.at !== 'number'
    ) {
      throw new ApiError(
        400,
        'BadRequest',
        'continue key is not valid: incorrect encoded start resourceVersion',
      );
    }
    if (this.now() - parsed.at > (this.opts.continueTtlMs ?? 300_000)) {
      throw new ApiError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    return { rv: parsed.rv, start: parsed.start };
  }

  // --- writes ---

  create(kind: KindInfo, namespace: string | undefined, body: unknown, fieldManager?: string): JsonObject {
    const obj = this.validateBody(kind, namespace, body, undefined);
    const key = this.keyFor(kind, namespace, meta(obj).name);
    if (this.entries.has(key)) {
      throw new ApiError(409, 'AlreadyExists', `${resourceName(kind)} "${meta(obj).name}" already exists`, {
        name: meta(obj).name,
        group: groupOf(kind.apiVersion),
        kind: kind.plural,
      });
    }
    this.requireWritableNamespace(kind, namespace);
    const paths = ownedPaths(obj);
    if (fieldManager) setManagedFields(obj, fieldManager, 'Update', kind.apiVersion, paths, this.now());
    return this.insert(key, kind, obj);
  }

  replace(kind: KindInfo, namespace: string | undefined, name: string, body: unknown, fieldManager?: string) {
    const existing = this.require(kind, namespace, name);
    const obj = this.validateBody(kind, namespace, body, name);
    const requested = meta(body as JsonObject).resourceVersion;
    if (requested !== undefined && requested !== meta(existing.obj).resourceVersion) {
      throw this.conflict(kind, name);
    }
    const next = structuredClone(obj);
    const em = meta(existing.obj);
    const managed = structuredClone((em.managedFields as JsonObject[] | undefined) ?? []);
    if (managed.length > 0) meta(next).managedFields = managed;
    if (fieldManager)
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, ownedPaths(obj), this.now());
    return this.commit(this.keyFor(kind, namespace, name), existing, next);
  }

  apply(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    fieldManager: string | undefined,
    force: boolean,
  ): { obj: JsonObject; created: boolean } {
    if (!fieldManager) {
      throw new ApiError(400, 'BadRequest', 'PATCH requests with apply content type must set fieldManager');
    }
    const applied = this.validateBody(kind, namespace, body, name);
    const paths = ownedPaths(applied);
    const key = this.keyFor(kind, namespace, name);
    const existing = this.entries.get(key);
    if (!existing) {
      this.requireWritableNamespace(kind, namespace);
      setManagedFields(applied, fieldManager, 'Apply', kind.apiVersion, paths, this.now());
      return { obj: this.insert(key, kind, applied), created: true };
    }

    const next = structuredClone(existing.obj);
    const managed = ((meta(next).managedFields as JsonObject[] | undefined) ?? []).map((entry) => ({
      entry,
      paths: fromFieldsV1(entry.fieldsV1),
    }));
    const mine = new Set(paths.map(pathKey));
    const conflicts: Array<{ manager: string; path: FieldPath }> = [];
    for (const other of managed) {
      if (other.entry.manager === fieldManager && other.entry.operation === 'Apply') continue;
      for (const p of other.paths) {
        if (mine.has(pathKey(p)) && !deepEqual(getPath(next, p), getPath(applied, p))) {
          conflicts.push({ manager: String(other.entry.manager), path: p });
        }
      }
    }
    if (conflicts.length > 0 && !force) {
      const causes = conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}"`,
        field: pathString(c.path),
      }));
      throw new ApiError(
        409,
        'Conflict',
        `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${causes
          .map((c) => `${c.message}: ${c.field}`)
          .join(', ')}`,
        { name, group: groupOf(kind.apiVersion), kind: kind.plural, causes },
      );
    }
    // Forced: the other managers lose the fields they conflicted on.
    const lost = new Set(conflicts.map((c) => `${c.manager}\u0001${pathKey(c.path)}`));
    const others = managed.filter(
      (m) => !(m.entry.manager === fieldManager && m.entry.operation === 'Apply'),
    );
    for (const m of others)
      m.paths = m.paths.filter((p) => !lost.has(`${m.entry.manager}\u0001${pathKey(p)}`));
    const ownedByOthers = new Set(others.flatMap((m) => m.paths.map(pathKey)));
    // Fields this manager applied before but no longer applies are removed unless someone else owns them.
    const previous = managed.find((m) => m.entry.manager === fieldManager && m.entry.operation === 'Apply');
    for (const p of previous?.paths ?? []) {
      if (!mine.has(pathKey(p)) && !ownedByOthers.has(pathKey(p))) deletePath(next, p);
    }
    deepMerge(next, stripForMerge(applied));
    meta(next).managedFields = others
      .filter((m) => m.paths.length > 0)
      .map((m) => ({ ...m.entry, fieldsV1: toFieldsV1(m.paths) }));
    setManagedFields(next, fieldManager, 'Apply', kind.apiVersion, paths, this.now());
    this.normalize(kind, next);
    return { obj: this.commit(key, existing, next), created: false };
  }

  mergePatch(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    fieldManager?: string,
  ) {
    const existing = this.require(kind, namespace, name);
    if (!isObject(body)) throw new ApiError(400, 'BadRequest', 'the patch must be a JSON object');
    const next = mergePatch(structuredClone(existing.obj), body);
    this.validateBody(kind, namespace, next, name);
    if (fieldManager)
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, ownedPaths(body), this.now());
    this.normalize(kind, next);
    return this.commit(this.keyFor(kind, namespace, name), existing, next);
  }

  delete(kind: KindInfo, namespace: string | undefined, name: string): JsonObject {
    const key = this.keyFor(kind, namespace, name);
    const entry = this.require(kind, namespace, name);
    const details = {
      name,
      group: groupOf(kind.apiVersion),
      kind: kind.plural,
      uid: meta(entry.obj).uid ?? '',
    };
    if (kind.kind === 'Namespace' && kind.apiVersion === 'v1') {
      if (PROTECTED_NAMESPACES.has(name)) {
        throw new ApiError(
          403,
          'Forbidden',
          `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        );
      }
      if (entry.deletedAt !== undefined) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
          details,
        );
      }
      entry.deletedAt = this.now();
      meta(entry.obj).deletionTimestamp = new Date(entry.deletedAt).toISOString();
      entry.obj.status = { phase: 'Terminating' };
      meta(entry.obj).resourceVersion = this.nextVersion();
      this.terminating.add(key);
    } else {
      this.remove(key);
    }
    this.opts.onChange([key]);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  // --- internals ---

  /** Stores `entry` under `key`, indexed, and to be converged by the next `tick()`. */
  private put(key: string, entry: StoredEntry): void {
    this.entries.set(key, entry);
    const kindKey = kindOfKey(key);
    addTo(this.byKind, kindKey, key);
    const namespace = namespaceOfKey(key);
    if (namespace) addTo(this.byNamespace, namespace, key);
    this.unconverged.add(key);
    if (entry.deletedAt !== undefined) this.terminating.add(key);
  }

  private remove(key: string): void {
    if (!this.entries.delete(key)) return;
    const kindKey = kindOfKey(key);
    const ofKind = this.byKind.get(kindKey);
    ofKind?.delete(key);
    if (ofKind?.size === 0) this.byKind.delete(kindKey);
    const namespace = namespaceOfKey(key);
    const inNamespace = this.byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
    this.unconverged.delete(key);
    this.terminating.delete(key);
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private require(kind: KindInfo, namespace: string | undefined, name: string): StoredEntry {
    const entry = this.entries.get(this.keyFor(kind, namespace, name));
    if (!entry) {
      throw new ApiError(404, 'NotFound', `${resourceName(kind)} "${name}" not found`, {
        name,
        group: groupOf(kind.apiVersion),
        kind: kind.plural,
      });
    }
    return entry;
  }

  private requireWritableNamespace(kind: KindInfo, namespace: string | undefined): void {
    if (!kind.namespaced || namespace === undefined) return;
    const ns = this.entries.get(`/namespaces//${namespace}`);
    if (!ns) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    }
    if (ns.deletedAt !== undefined) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating' }] },
      );
    }
  }

  private conflict(kind: KindInfo, name: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: groupOf(kind.apiVersion), kind: kind.plural },
    );
  }

  /** Checks what the API server checks on every write; returns a clean copy without server fields. */
  private validateBody(
    kind: KindInfo,
    namespace: string | undefined,
    body: unknown,
    urlName: string | undefined,
  ): JsonObject {
    if (!isObject(body)) throw new ApiError(400, 'BadRequest', 'the body of the request must be an object');
    if (body.apiVersion !== kind.apiVersion || body.kind !== kind.kind) {
      throw new ApiError(
        400,
        'BadRequest',
        `the API version and kind in the data (${String(body.apiVersion)}, ${String(body.kind)}) do not match the expected (${kind.apiVersion}, ${kind.kind})`,
      );
    }
    const obj = structuredClone(body);
    if (!isObject(obj.metadata)) obj.metadata = {};
    const m = obj.metadata as JsonObject;
    const name = typeof m.name === 'string' ? m.name : '';
    if (urlName !== undefined && name !== urlName) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${name}) does not match the name on the URL (${urlName})`,
      );
    }
    const causes: JsonObject[] = [];
    if (!name)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value: name is required',
        field: 'metadata.name',
      });
    else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}"`,
        field: 'metadata.name',
      });
    }
    for (const [k, v] of Object.entries(isObject(m.labels) ? m.labels : {})) {
      const labelName = k.split('/').pop() ?? '';
      if (
        typeof v !== 'string' ||
        v.length > 63 ||
        !LABEL_NAME.test(v) ||
        !labelName ||
        !LABEL_NAME.test(labelName)
      ) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${String(v)}"`,
          field: `metadata.labels.${k}`,
        });
      }
    }
    if (causes.length > 0) {
      throw new ApiError(
        422,
        'Invalid',
        `${kind.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
        { name, group: groupOf(kind.apiVersion), kind: kind.kind, causes },
      );
    }
    if (kind.namespaced) {
      if (m.namespace !== undefined && m.namespace !== namespace) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (namespace !== undefined) m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    for (const field of SERVER_METADATA) delete m[field];
    delete obj.status;
    return obj;
  }

  private insert(key: string, kind: KindInfo, obj: JsonObject): JsonObject {
    const m = meta(obj);
    m.uid = randomUUID();
    m.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    m.generation = 1;
    m.resourceVersion = this.nextVersion();
    this.normalize(kind, obj);
    this.put(key, { obj, specChangedAt: this.now() });
    this.opts.onChange([key]);
    return structuredClone(obj);
  }

  /** Writes `next` over `existing` unless nothing changed; bumps generation on spec changes. */
  private commit(key: string, existing: StoredEntry, next: JsonObject): JsonObject {
    const old = existing.obj;
    const om = meta(old);
    const nm = meta(next);
    for (const field of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp'] as const) {
      if (om[field] !== undefined) nm[field] = om[field];
    }
    nm.resourceVersion = om.resourceVersion ?? '0';
    if (old.status !== undefined) next.status = old.status;
    else delete next.status;
    if (deepEqual(withoutTimes(next), withoutTimes(old))) return structuredClone(old);
    if (!deepEqual(content(next), content(old))) {
      nm.generation = (typeof om.generation === 'number' ? om.generation : 1) + 1;
      existing.specChangedAt = this.now();
    }
    nm.resourceVersion = this.nextVersion();
    existing.obj = next;
    this.unconverged.add(key);
    this.opts.onChange([key]);
    return structuredClone(next);
  }

  /** Server-side defaulting that matters to clients. */
  private normalize(kind: KindInfo, obj: JsonObject): void {
    if (kind.apiVersion === 'v1' && kind.kind === 'Secret' && isObject(obj.stringData)) {
      const data = isObject(obj.data) ? obj.data : {};
      for (const [k, v] of Object.entries(obj.stringData))
        data[k] = Buffer.from(String(v)).toString('base64');
      obj.data = data;
      delete obj.stringData;
    }
    if (kind.apiVersion === 'v1' && kind.kind === 'Namespace') {
      const m = meta(obj);
      m.labels = { ...(isObject(m.labels) ? m.labels : {}), 'kubernetes.io/metadata.name': m.name };
      if (!isObject(obj.status)) obj.status = { phase: 'Active' };
    }
  }
}

/** Fields a writer owns: everything it sent except identity and server-managed metadata. */
function ownedPaths(obj: JsonObject): FieldPath[] {
  return leafPaths(stripForMerge(obj)).filter(
    (p) =>
      !(p[0] === 'metadata' && (p[1] === 'name' || p[1] === 'namespace')) &&
      p[0] !== 'apiVersion' &&
      p[0] !== 'kind',
  );
}

function stripForMerge(obj: JsonObject): JsonObject {
  const copy = structuredClone(obj);
  delete copy.status;
  if (isObject(copy.metadata)) for (const f of SERVER_METADATA) delete copy.metadata[f];
  return copy;
}

function setManagedFields(
  obj: JsonObject,
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  paths: FieldPath[],
  now: number,
): void {
  const m = meta(obj);
  const entries = ((m.managedFields as JsonObject[] | undefined) ?? []).filter(
    (e) => !(e.manager === manager && e.operation === operation),
  );
  entries.push({
    manager,
    operation,
    apiVersion,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(paths),
  });
  m.managedFields = entries;
}

/** The object without metadata and status: what a generation bump tracks. */
function content(obj: JsonObject): JsonObject {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

function withoutTimes(obj: JsonObject): JsonObject {
  const copy = structuredClone(obj);
  const managed = meta(copy).managedFields;
  if (Array.isArray(managed)) for (const e of managed) if (isObject(e)) delete e.time;
  return copy;
}
