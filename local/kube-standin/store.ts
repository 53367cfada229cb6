/**
 * Object semantics of the stand-in: resourceVersion, uid, generation, server-side apply with
 * managedFields (lists merged by their keys, schema.ts), merge patch, what the API server does on
 * write (decoding: unknown fields and types, typed.ts and structural.ts, list keys, quantities;
 * then defaults and validation: defaults.ts, structural.ts, typed.ts), namespaces with a
 * Terminating phase, and simulated readiness.
 * Controllers are simulated lazily: `tick()` runs before every request, so there are no timers.
 *
 * Costs do not grow with what is stored (issue #12: thousands of clusters): `tick()` visits only
 * the objects written since they last converged and the namespaces being deleted, and lists read
 * each kind's keys, kept sorted, from where the page starts: a chunk costs O(log n + limit), not a
 * sort of every object of the kind.
 */
import { randomUUID } from 'node:crypto';
import {
  applyBuiltinDefaults,
  type Cause,
  canonicalizeQuantities,
  QUANTITY_ERROR,
  workloadCauses,
} from './defaults.js';
import {
  deepEqual,
  deepMerge,
  deletePath,
  type FieldPath,
  fillKeyDefaults,
  fromFieldsV1,
  getPath,
  isObject,
  type Json,
  type JsonObject,
  JsonPatchError,
  jsonPatch,
  leafPaths,
  matchesSelector,
  mergePatch,
  parseLabelSelector,
  pathKey,
  pathString,
  SelectorParseError,
  toFieldsV1,
} from './fields.js';
import { keepAllocated, updateCauses } from './immutable.js';
import type { KindInfo, OwnedRule, StatusRule } from './resources.js';
import { DEFAULT_CRD_DIRS, type KindSchema, kindSchema, type RawSchema, type SchemaNode } from './schema.js';
import { StrategicPatchError, strategicMergePatch } from './strategic.js';
import { applyDefaults, prune, validate } from './structural.js';
import { builtinModel, decodeTyped, modelCauses } from './typed.js';

/** `fieldValidation` of a write: what happens to fields the schema does not know. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

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
  /**
   * What simulated controllers make for an object once it converged (PVCs, an operator's
   * StatefulSet), by `<apiVersion>/<kind>`, with the kinds to store them as. @default - none
   */
  readonly ownedRules?: Readonly<Record<string, OwnedRule>>;
  readonly kindOf?: (apiVersion: string, kind: string) => KindInfo | undefined;
  /** Objects were written or deleted (their keys): persistence writes them. */
  readonly onChange: (keys: readonly string[]) => void;
  /** The clock of readiness, termination and timestamps. @default Date.now */
  readonly now?: () => number;
  /** How long a list's `continue` token is honoured (then 410 `Expired`). @default 300000 */
  readonly continueTtlMs?: number;
  /**
   * An object was added, changed or deleted (the live object: read it, do not keep it): what
   * watches stream. A deleted object carries the resourceVersion of its deletion.
   */
  readonly onEvent?: (type: WatchEventType, obj: JsonObject) => void;
  /** Where custom kinds' CRDs are read from (schema.ts). @default DEFAULT_CRD_DIRS (../shared/crds, deploy/crds) */
  readonly crdDirs?: readonly string[];
  /** The schemas of the CRDs installed through the API, by `<apiVersion>/<kind>` (server.ts). */
  readonly crdSchemas?: ReadonlyMap<string, RawSchema>;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * What a simulated controller deletes when it no longer wants it: pods (a scale down, an old
 * revision) and a Deployment's old ReplicaSets (with their pods).
 */
const PRUNED_WHEN_UNWANTED = new Set(['v1/Pod', 'apps/v1/ReplicaSet']);

/** DeleteOptions' `propagationPolicy`. */
export type DeletePropagation = 'Background' | 'Foreground' | 'Orphan';

interface OwnerReference {
  readonly uid?: string;
  readonly controller?: boolean;
}

function labelsOf(obj: JsonObject): Record<string, unknown> {
  const labels = meta(obj).labels;
  return labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? labels : {};
}

/** The uid of the object's controller (its owner reference with `controller: true`), if any. */
function controllerOf(obj: JsonObject): string | undefined {
  const refs = (meta(obj).ownerReferences as OwnerReference[] | undefined) ?? [];
  return refs.find((r) => r.controller)?.uid;
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
/** What a patch makes of an object: a failed JSON patch operation, or anything but an object, is 422. */
function patchedObject(apply: () => Json): JsonObject {
  let next: Json;
  try {
    next = apply();
  } catch (e) {
    if (e instanceof JsonPatchError)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${e.message}`,
      );
    throw e;
  }
  if (!isObject(next)) throw new ApiError(422, 'Invalid', 'the patched object must be a JSON object');
  return next;
}

/** The first index of sorted `keys` whose key is >= `key` (byte order, as etcd's). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ObjectStore {
  private readonly entries = new Map<string, StoredEntry>();
  /**
   * Keys by `<group>/<plural>`, sorted (byte order: within a kind, the order of `<namespace>/<name>`,
   * which is how kube-apiserver pages a list); namespaced objects' keys by namespace.
   */
  private readonly byKind = new Map<string, string[]>();
  /** While a snapshot is restored, keys are appended and each kind sorted once at the end. */
  private bulk = false;
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
    this.bulk = true;
    try {
      // An entry whose kind `keyOf` learns from a later one (a CRD's) is tried again at the end.
      const later: StoredEntry[] = [];
      for (const entry of snapshot.entries) {
        const key = keyOf(entry.obj);
        if (key) this.put(key, entry);
        else later.push(entry);
      }
      for (const entry of later) {
        const key = keyOf(entry.obj);
        if (key) this.put(key, entry);
      }
    } finally {
      this.bulk = false;
      for (const [kindKey, keys] of this.byKind) {
        const sorted = [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        this.byKind.set(kindKey, sorted);
      }
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
        this.deleted(k);
        this.remove(k);
        changed.push(k);
      }
      this.deleted(key);
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
        this.opts.onEvent?.('MODIFIED', entry.obj);
        changed.push(key);
      }
      this.unconverged.delete(key);
      this.ensureOwned(entry.obj);
    }
    if (changed.length > 0) this.opts.onChange(changed);
  }

  /**
   * Creates (or, `sync`, updates the spec of) what the simulated controller keeps for `parent`;
   * replaces an object whose `recreateOn` label changed (a pod of an older revision), adopts an
   * orphan of the same name (a pod left by a StatefulSet deleted with `propagationPolicy: Orphan`),
   * and deletes the pods and ReplicaSets `parent` controls that it no longer wants (a scale down,
   * a Deployment's old template).
   */
  private ensureOwned(parent: JsonObject): void {
    const rule = this.opts.ownedRules?.[`${parent.apiVersion}/${parent.kind}`];
    const namespace = meta(parent).namespace;
    if (!rule || !this.opts.kindOf || namespace === undefined) return;
    const nsKind = this.opts.kindOf('v1', 'Namespace');
    // Nothing new in a namespace on its way out (its content goes with it).
    if (nsKind && this.entries.get(this.keyFor(nsKind, undefined, namespace))?.deletedAt !== undefined)
      return;
    const wanted = new Set<string>();
    for (const { object, sync, recreateOn } of rule(parent as never)) {
      const kind = this.opts.kindOf(object.apiVersion, object.kind);
      if (!kind) continue;
      const key = this.keyFor(kind, namespace, object.metadata.name);
      wanted.add(key);
      let existing = this.entries.get(key);
      if (
        existing &&
        recreateOn !== undefined &&
        labelsOf(existing.obj)[recreateOn] !== object.metadata.labels?.[recreateOn]
      ) {
        // Pods are immutable: a new revision is a new pod (a new uid), as the controllers roll them.
        this.deleted(key);
        this.remove(key);
        this.opts.onChange([key]);
        existing = undefined;
      }
      if (!existing) {
        // Created with its parent already converged: what a ready workload runs on is ready with it
        // (a pod runs only once its claims are bound), so it converges in this same tick.
        this.insert(key, kind, structuredClone(object) as unknown as JsonObject, { converged: true });
        continue;
      }
      const owners = (object.metadata.ownerReferences as OwnerReference[] | undefined) ?? [];
      const adopt = owners.some((r) => r.controller) && controllerOf(existing.obj) === undefined;
      if ((sync && !deepEqual(existing.obj.spec, object.spec as Json)) || adopt) {
        const next = structuredClone(existing.obj);
        if (sync) next.spec = structuredClone(object.spec) as Json;
        if (adopt) meta(next).ownerReferences = structuredClone(owners) as unknown as Json;
        this.commit(key, existing, next);
      }
    }
    const uid = meta(parent).uid;
    if (typeof uid !== 'string') return;
    for (const key of [...(this.byNamespace.get(namespace) ?? [])]) {
      const entry = this.entries.get(key);
      if (!entry || wanted.has(key) || !PRUNED_WHEN_UNWANTED.has(`${entry.obj.apiVersion}/${entry.obj.kind}`))
        continue;
      if (controllerOf(entry.obj) !== uid) continue;
      const dependentUid = meta(entry.obj).uid;
      this.deleted(key);
      this.remove(key);
      this.opts.onChange([key]);
      if (typeof dependentUid === 'string') this.collectGarbage(namespace, dependentUid, 'Background');
    }
  }

  /**
   * The garbage collector, at once: what `uid` controlled or owned in `namespace` is deleted with
   * it (its dependents' dependents too), or with `Orphan` kept, without that owner reference.
   */
  private collectGarbage(namespace: string, uid: string, propagation: DeletePropagation): void {
    for (const key of [...(this.byNamespace.get(namespace) ?? [])]) {
      const entry = this.entries.get(key);
      const refs = (entry && (meta(entry.obj).ownerReferences as OwnerReference[] | undefined)) ?? [];
      if (!entry || !refs.some((r) => r.uid === uid)) continue;
      if (propagation === 'Orphan') {
        const next = structuredClone(entry.obj);
        const kept = refs.filter((r) => r.uid !== uid);
        if (kept.length > 0) meta(next).ownerReferences = kept as unknown as Json;
        else delete meta(next).ownerReferences;
        this.commit(key, entry, next);
        continue;
      }
      // Kubernetes deletes a dependent once none of its owners is left.
      if (refs.some((r) => r.uid !== uid && this.ownerAlive(namespace, r))) continue;
      const dependentUid = meta(entry.obj).uid;
      this.deleted(key);
      this.remove(key);
      this.opts.onChange([key]);
      if (typeof dependentUid === 'string') this.collectGarbage(namespace, dependentUid, propagation);
    }
  }

  private ownerAlive(namespace: string, ref: OwnerReference): boolean {
    for (const key of this.byNamespace.get(namespace) ?? []) {
      const entry = this.entries.get(key);
      if (entry && meta(entry.obj).uid === ref.uid) return true;
    }
    return false;
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
    const keys = this.byKind.get(kindKey) ?? [];
    const token = chunk.continue ? this.decodeContinue(chunk.continue) : undefined;
    // Store keys are `<kind>/<namespace>/<name>`: a list's key (and a token's start) is the rest.
    const prefix = `${kindKey}/${kind.namespaced && namespace !== undefined ? `${namespace}/` : ''}`;
    const listKeyOf = (key: string) => key.slice(kindKey.length + 1);
    const matching = (key: string): JsonObject | undefined => {
      const o = this.entries.get(key)?.obj;
      if (!o || o.apiVersion !== kind.apiVersion || o.kind !== kind.kind) return undefined;
      if (namespace !== undefined && meta(o).namespace !== namespace) return undefined;
      return matchesSelector((meta(o).labels as Record<string, string>) ?? {}, requirements) ? o : undefined;
    };
    const start =
      token !== undefined && `${kindKey}/${token.start}` > prefix ? `${kindKey}/${token.start}` : prefix;
    const limit = chunk.limit !== undefined && chunk.limit > 0 ? chunk.limit : Number.POSITIVE_INFINITY;
    const items: Array<{ o: JsonObject; key: string }> = [];
    let i = lowerBound(keys, start);
    for (; i < keys.length && items.length < limit; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      const o = matching(key);
      if (o) items.push({ o, key: listKeyOf(key) });
    }
    // More follow when another object matches; without a selector, how many (remainingItemCount).
    let remaining = 0;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      if (matching(key)) {
        remaining++;
        if (requirements.length > 0) break;
      }
    }
    const last = items[items.length - 1];
    const more = remaining > 0 && last !== undefined;
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
              ...(requirements.length === 0 ? { remainingItemCount: remaining } : {}),
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
    if (isObject(body) && isObject(body.metadata) && body.metadata.resourceVersion) {
      throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    }
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
    const root = this.schemaOf(kind).root;
    this.decode(kind, obj);
    const paths = ownedPaths(obj, root);
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
    const root = this.schemaOf(kind).root;
    this.decode(kind, next);
    if (fieldManager)
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, ownedPaths(next, root), this.now());
    this.normalize(kind, next, existing.obj);
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
    const root = this.schemaOf(kind).root;
    this.decode(kind, applied, 'apply', namespace);
    const paths = ownedPaths(applied, root);
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
    deepMerge(next, stripForMerge(applied), root);
    meta(next).managedFields = others
      .filter((m) => m.paths.length > 0)
      .map((m) => ({ ...m.entry, fieldsV1: toFieldsV1(m.paths) }));
    setManagedFields(next, fieldManager, 'Apply', kind.apiVersion, paths, this.now());
    this.normalize(kind, next, existing.obj);
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
    const root = this.schemaOf(kind).root;
    this.decode(kind, next);
    if (fieldManager) {
      const sent = structuredClone(body);
      fillKeyDefaults(sent, root);
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, ownedPaths(sent, root), this.now());
    }
    this.normalize(kind, next, existing.obj);
    return this.commit(this.keyFor(kind, namespace, name), existing, next);
  }

  /** A write that names a resourceVersion other than the stored one conflicts (409). */
  private checkResourceVersion(kind: KindInfo, name: string, stored: JsonObject, next: JsonObject): void {
    const requested = isObject(next.metadata) ? next.metadata.resourceVersion : undefined;
    if (requested !== undefined && requested !== meta(stored).resourceVersion)
      throw this.conflict(kind, name);
  }

  /** RFC 6902 JSON patch; a failed operation (a `test` included) is 422 and changes nothing. */
  jsonPatch(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    ops: unknown,
    fieldManager?: string,
  ) {
    const existing = this.require(kind, namespace, name);
    const next = patchedObject(() => jsonPatch(existing.obj, ops));
    this.validateBody(kind, namespace, next, name);
    this.checkResourceVersion(kind, name, existing.obj, next);
    this.decode(kind, next);
    if (fieldManager) {
      const before = existing.obj;
      const changed = ownedPaths(next, this.schemaOf(kind).root).filter(
        (p) => !deepEqual(getPath(before, p), getPath(next as JsonObject, p)),
      );
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, changed, this.now());
    }
    this.normalize(kind, next, existing.obj);
    return this.commit(this.keyFor(kind, namespace, name), existing, next);
  }

  /**
   * A write to the `status` subresource, as the controller that owns the object makes it: the new
   * status is `status` of the object `change` returns (a merge or JSON patch, or a PUT body);
   * everything else it says is ignored, as kube-apiserver ignores it there. No new generation, and
   * the simulated controller's status rule is not asked again for it (it is the controller).
   */
  writeStatus(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    change: (obj: JsonObject) => Json,
  ): JsonObject {
    const key = this.keyFor(kind, namespace, name);
    const existing = this.require(kind, namespace, name);
    const changed = patchedObject(() => change(structuredClone(existing.obj)));
    this.checkResourceVersion(kind, name, existing.obj, changed);
    if (deepEqual(changed.status, existing.obj.status)) return structuredClone(existing.obj);
    const next = structuredClone(existing.obj);
    if (changed.status === undefined || changed.status === null) delete next.status;
    else next.status = structuredClone(changed.status);
    meta(next).resourceVersion = this.nextVersion();
    existing.obj = next;
    this.opts.onEvent?.('MODIFIED', next);
    this.opts.onChange([key]);
    return structuredClone(next);
  }

  /**
   * Strategic merge patch of a built-in object (strategic.ts), merging lists by their patch merge
   * keys; a malformed patch is 400, an item without its merge key 422, and nothing changes.
   */
  strategicPatch(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    fieldManager?: string,
  ) {
    const existing = this.require(kind, namespace, name);
    if (!isObject(body)) throw new ApiError(400, 'BadRequest', 'the patch must be a JSON object');
    let next: JsonObject | undefined;
    try {
      next = strategicMergePatch(structuredClone(existing.obj), body, this.schemaOf(kind).root);
    } catch (e) {
      if (e instanceof StrategicPatchError) {
        throw new ApiError(e.code, e.code === 400 ? 'BadRequest' : 'Invalid', e.message);
      }
      throw e;
    }
    if (next === undefined) throw new ApiError(400, 'BadRequest', 'the patch deletes the whole object');
    this.validateBody(kind, namespace, next, name);
    this.checkResourceVersion(kind, name, existing.obj, next);
    this.decode(kind, next);
    if (fieldManager) {
      const before = existing.obj;
      const patched = next;
      const changed = ownedPaths(patched, this.schemaOf(kind).root).filter(
        (p) => !deepEqual(getPath(before, p), getPath(patched, p)),
      );
      setManagedFields(next, fieldManager, 'Update', kind.apiVersion, changed, this.now());
    }
    this.normalize(kind, next, existing.obj);
    return this.commit(this.keyFor(kind, namespace, name), existing, next);
  }

  /**
   * Deletes the object; what it owns goes with it (`Background`, the default, and `Foreground`,
   * both at once here) or stays without the owner reference (`Orphan`). `collect: false` leaves
   * dependents alone (a dry run).
   */
  delete(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    opts: { readonly propagation?: DeletePropagation; readonly collect?: boolean } = {},
  ): JsonObject {
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
      meta(entry.obj).deletionTimestamp = new Date(entry.deletedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
      entry.obj.status = { phase: 'Terminating' };
      meta(entry.obj).resourceVersion = this.nextVersion();
      this.terminating.add(key);
      this.opts.onEvent?.('MODIFIED', entry.obj);
      this.opts.onChange([key]);
      // A namespace has the `kubernetes` finalizer: the API server answers with the object, marked.
      return structuredClone(entry.obj);
    }
    this.deleted(key);
    this.remove(key);
    this.opts.onChange([key]);
    const uid = meta(entry.obj).uid;
    if (namespace !== undefined && typeof uid === 'string' && opts.collect !== false) {
      this.collectGarbage(namespace, uid, opts.propagation ?? 'Background');
    }
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  /**
   * Runs `write` (a create, replace, apply, patch or delete of the object under `key`) and then
   * puts the object back as it was (`dryRun=All`): the answer is what the write would have
   * returned. The caller mutes `onChange` and `onEvent` meanwhile.
   */
  dryRun<T>(key: string, write: () => T): T {
    const live = this.entries.get(key);
    const saved = live ? structuredClone(live) : undefined;
    const resourceVersion = this.resourceVersion;
    try {
      return write();
    } finally {
      this.resourceVersion = resourceVersion;
      if (live && saved) {
        for (const field of Object.keys(live)) delete (live as unknown as Record<string, unknown>)[field];
        Object.assign(live, saved);
        if (!this.entries.has(key)) this.put(key, live);
        if (live.deletedAt === undefined) this.terminating.delete(key);
      } else {
        this.remove(key);
      }
    }
  }

  // --- internals ---

  /**
   * `fieldValidation` of the write in progress (the server sets it around each write). Unknown
   * fields of a custom resource are pruned; `Strict` refuses them instead (400), as kube-apiserver.
   */
  fieldValidation: FieldValidation = 'Warn';
  /** Unknown fields the write in progress dropped under `Warn` (the server answers them as `Warning` headers). */
  readonly warnings: string[] = [];

  /**
   * What the API server does while decoding a body: fields the schema does not know dropped (a
   * built-in kind's, typed.ts; a custom resource's, under its CRD's structural schema) and, under
   * `fieldValidation=Strict`, refused (400); a value of the wrong type in a built-in kind refused
   * (400); list-map keys defaulted; quantities of built-in kinds canonical (a value that is not a
   * quantity: 400). Server-side apply (`mode` `apply`) converts the applied object to the schema
   * instead, which refuses unknown fields and wrong types whatever `fieldValidation` says.
   */
  private decode(
    kind: KindInfo,
    obj: JsonObject,
    mode: 'write' | 'apply' = 'write',
    namespace?: string,
  ): void {
    const schema = this.schemaOf(kind);
    const version = kind.apiVersion.split('/').pop() ?? kind.apiVersion;
    const cannotHandle = `${kind.kind} in version "${version}" cannot be handled as a ${kind.kind}`;
    const model = builtinModel(kind.apiVersion, kind.kind);
    let unknown: string[] = [];
    let applyErrors: string[] = [];
    if (model) {
      const typed = decodeTyped(obj, model, schema.root);
      if (typed.typeError !== undefined && mode === 'write') {
        throw new ApiError(400, 'BadRequest', `${cannotHandle}: ${typed.typeError}`);
      }
      unknown = typed.unknown;
      applyErrors = typed.applyErrors;
    } else if (schema.structural) {
      unknown = prune(obj, schema.root);
      applyErrors = unknown.map((f) => `.${f}: field not declared in schema`);
    }
    if (mode === 'apply' && applyErrors.length > 0) {
      // kube-apiserver answers this with 500 (kubernetes/kubernetes#122480); 400 here, as proposed upstream.
      const group = groupOf(kind.apiVersion);
      throw new ApiError(
        400,
        'BadRequest',
        `failed to create typed patch object (${namespace ?? ''}/${meta(obj).name}; ${group}/${version}, Kind=${kind.kind}): ${
          applyErrors.length === 1 ? applyErrors[0] : `errors:\n  ${applyErrors.join('\n  ')}`
        }`,
      );
    }
    fillKeyDefaults(obj, schema.root);
    if (unknown.length > 0 && this.fieldValidation === 'Strict') {
      throw new ApiError(
        400,
        'BadRequest',
        `${cannotHandle}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
    if (this.fieldValidation === 'Warn') for (const f of unknown) this.warnings.push(`unknown field "${f}"`);
    if (schema.structural) return;
    const bad = canonicalizeQuantities(obj, schema.root);
    if (bad !== undefined) {
      throw new ApiError(400, 'BadRequest', `${cannotHandle}: ${QUANTITY_ERROR} (${bad})`);
    }
  }

  /** Defaults, then validation (422 `Invalid` with every cause), as after decoding. */
  private defaultAndValidate(kind: KindInfo, obj: JsonObject, old?: JsonObject): void {
    const schema = this.schemaOf(kind);
    const id = `${kind.apiVersion}/${kind.kind}`;
    let causes: Cause[];
    if (schema.structural) {
      applyDefaults(obj, schema.root);
      const { status: _status, ...checked } = obj;
      causes = validate(checked, schema.root, '');
    } else {
      if (old) keepAllocated(id, old, obj);
      applyBuiltinDefaults(id, obj);
      causes = [
        ...workloadCauses(id, obj),
        ...modelCauses(kind.apiVersion, kind.kind, obj),
        ...(old ? updateCauses(id, old, obj) : []),
      ];
    }
    if (causes.length === 0) return;
    const name = meta(obj).name;
    const group = groupOf(kind.apiVersion);
    const listed = causes.map((c) => `${c.field}: ${c.message}`);
    throw new ApiError(
      422,
      'Invalid',
      `${kind.kind}${group ? `.${group}` : ''} "${name}" is invalid: ${listed.length > 1 ? `[${listed.join(', ')}]` : listed[0]}`,
      { name, group, kind: kind.kind, causes: causes as unknown as JsonObject[] },
    );
  }

  private schemaOf(kind: KindInfo): KindSchema {
    return kindSchema(
      kind.apiVersion,
      kind.kind,
      this.opts.crdDirs ?? DEFAULT_CRD_DIRS,
      this.opts.crdSchemas,
    );
  }

  /** Tells `onEvent` that the object under `key` is being deleted, at a new resourceVersion. */
  private deleted(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || !this.opts.onEvent) return;
    meta(entry.obj).resourceVersion = this.nextVersion();
    this.opts.onEvent('DELETED', entry.obj);
  }

  /** Stores `entry` under `key`, indexed, and to be converged by the next `tick()`. */
  private put(key: string, entry: StoredEntry): void {
    this.entries.set(key, entry);
    this.indexKind(key);
    const namespace = namespaceOfKey(key);
    if (namespace) addTo(this.byNamespace, namespace, key);
    this.unconverged.add(key);
    if (entry.deletedAt !== undefined) this.terminating.add(key);
  }

  /** Adds `key` to its kind's sorted keys (a binary search and an insert; appended while restoring). */
  private indexKind(key: string): void {
    const kindKey = kindOfKey(key);
    let keys = this.byKind.get(kindKey);
    if (!keys) {
      keys = [];
      this.byKind.set(kindKey, keys);
    }
    if (this.bulk) {
      keys.push(key);
      return;
    }
    const at = lowerBound(keys, key);
    if (keys[at] !== key) keys.splice(at, 0, key);
  }

  private remove(key: string): void {
    if (!this.entries.delete(key)) return;
    const kindKey = kindOfKey(key);
    const ofKind = this.byKind.get(kindKey);
    if (ofKind) {
      const at = lowerBound(ofKind, key);
      if (ofKind[at] === key) ofKind.splice(at, 1);
      if (ofKind.length === 0) this.byKind.delete(kindKey);
    }
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

  private insert(
    key: string,
    kind: KindInfo,
    obj: JsonObject,
    opts: { converged?: boolean } = {},
  ): JsonObject {
    const m = meta(obj);
    m.uid = randomUUID();
    m.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (kind.generation) m.generation = 1;
    m.resourceVersion = this.nextVersion();
    this.normalize(kind, obj);
    this.put(key, { obj, specChangedAt: this.now() - (opts.converged ? this.opts.readinessDelayMs : 0) });
    this.opts.onEvent?.('ADDED', obj);
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
      if (typeof om.generation === 'number') nm.generation = om.generation + 1;
      existing.specChangedAt = this.now();
    }
    nm.resourceVersion = this.nextVersion();
    existing.obj = next;
    this.unconverged.add(key);
    this.opts.onEvent?.('MODIFIED', next);
    this.opts.onChange([key]);
    return structuredClone(next);
  }

  /**
   * Server-side defaulting and validation (defaults.ts, structural.ts, typed.ts; on an update of
   * `old`, immutable.ts), then what matters to clients.
   */
  private normalize(kind: KindInfo, obj: JsonObject, old?: JsonObject): void {
    if (kind.apiVersion === 'v1' && kind.kind === 'Secret' && isObject(obj.stringData)) {
      // Folded into data before validation, as the registry does (an immutable Secret's data so
      // cannot change through stringData either).
      const data = isObject(obj.data) ? obj.data : {};
      for (const [k, v] of Object.entries(obj.stringData))
        data[k] = Buffer.from(String(v)).toString('base64');
      obj.data = data;
      delete obj.stringData;
    }
    this.defaultAndValidate(kind, obj, old);
    if (kind.apiVersion === 'v1' && kind.kind === 'Namespace') {
      const m = meta(obj);
      m.labels = { ...(isObject(m.labels) ? m.labels : {}), 'kubernetes.io/metadata.name': m.name };
      // The namespace lifecycle controller's finalizer: content goes before the namespace does.
      const spec = isObject(obj.spec) ? obj.spec : {};
      spec.finalizers = ['kubernetes'];
      obj.spec = spec;
      if (!isObject(obj.status)) obj.status = { phase: 'Active' };
    }
  }
}

/** Fields a writer owns: everything it sent except identity and server-managed metadata. */
function ownedPaths(obj: JsonObject, schema?: SchemaNode): FieldPath[] {
  return leafPaths(stripForMerge(obj), [], schema).filter(
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
