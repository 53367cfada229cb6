/**
 * Kubernetes API stand-in (dev and test tool, never deployed): an in-process HTTPS server (with
 * a CA made at start, written into the kubeconfig) that speaks the REST subset
 * @kubernetes/client-node's KubernetesObjectApi and kubectl use, with resourceVersion, server-side
 * apply, 404/409/422 Status bodies, watches, server-side Tables and simulated readiness. The same
 * API is also served over plain HTTP (`plainUrl`) for test tooling that reads the traffic.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../functions/shared/engines/types.js';
import type { Random } from '../random.js';
import { serverCertificate } from './certificate.js';
import { InstalledCrds, isCrd } from './crds.js';
import {
  isObject,
  type Json,
  type JsonObject,
  JsonPatchError,
  jsonPatch,
  matchesSelector,
  mergePatch,
  parseLabelSelector,
  strategicIsPlainMerge,
} from './fields.js';
import { bodyType, negotiate, patchType, type ResponseFormat } from './negotiation.js';
import { OPENAPI_V2_PROTOBUF, openApiDocument, openApiV2 } from './openapi.js';
import { JournalPersistence } from './persistence.js';
import { decodeProtobufObject } from './protobuf.js';
import {
  BUILTIN_KINDS,
  DEFAULT_EXTRA_KINDS,
  DEFAULT_OWNED_RULES,
  DEFAULT_STATUS_RULES,
  type ExtraKind,
  GATEWAY_KINDS,
  type KindInfo,
  type StatusRule,
  toKindInfo,
} from './resources.js';
import { answerReview, REVIEW_RESOURCES, reviewOf } from './reviews.js';
import { crdOpenApiSchema, DEFAULT_CRD_DIRS, type RawSchema } from './schema.js';
import { ApiError, type DeletePropagation, ObjectStore } from './store.js';
import { type IncludeObject, toTable } from './table.js';
import { type FieldRequirement, matchesFields, parseFieldSelector, WatchHub } from './watch.js';

export type { ExtraKind, KindInfo, StatusRule } from './resources.js';
export { DEFAULT_STATUS_RULES, pluralOf } from './resources.js';

/**
 * Faults injected per non-discovery request. Each such request, while any rate is set, takes one
 * draw `u` from the stand-in's random source and gets at most one fault: a timeout when
 * `u < timeoutRate`, else a lost response when `u < timeoutRate + dropRate`, else an error answer
 * when `u < timeoutRate + dropRate + errorRate` (so the rates are exact fractions and must add
 * up to at most 1). With a seeded source the n-th request gets the same fate on every run.
 */
export interface KubeStandinFaults {
  /** Fraction (0..1) of non-discovery requests answered with `errorStatus`. */
  readonly errorRate?: number;
  /** @default 500 */
  readonly errorStatus?: number;
  /** Delay added to every request. */
  readonly latencyMs?: number;
  /**
   * Fraction (0..1) of non-discovery requests that time out: the server holds the request for
   * `timeoutMs`, does nothing, and drops the connection (as a load balancer's idle timeout does).
   */
  readonly timeoutRate?: number;
  /** How long a timed-out request hangs before its connection is dropped. @default 1000 */
  readonly timeoutMs?: number;
  /**
   * Fraction (0..1) of non-discovery requests whose response is lost: the server carries the
   * request out (a write is applied), then drops the connection instead of answering.
   */
  readonly dropRate?: number;
  /**
   * RBAC propagation lag: after a RoleBinding is written in a namespace, the next this-many
   * requests for other objects in that namespace are answered 403 Forbidden, as an API server
   * whose authorization cache has not seen the binding yet answers. @default 0
   */
  readonly rbacLagRequests?: number;
  /**
   * Requests answered with an error every time, whatever the draw: the first rule whose `method`
   * and `kind` match (each optional) answers `status` with `message` (e.g. a 403 naming the
   * caller's IAM role, as EKS does). Discovery requests are never rejected.
   */
  readonly rejections?: readonly KubeStandinRejection[];
}

export interface KubeStandinRejection {
  /** HTTP method (`PATCH` is an apply, `POST` a create). @default - any */
  readonly method?: string;
  /** Kind, e.g. `StatefulSet`. @default - any */
  readonly kind?: string;
  readonly status: number;
  /** The `Status.reason`. @default - the usual one for `status` */
  readonly reason?: string;
  readonly message: string;
  /**
   * Rejects only the first `times` matching requests, then lets them through (a fault that
   * happens once, midway through an operation). @default - every time
   */
  readonly times?: number;
}

/** Requests served and faults injected since the stand-in started (or since `resetStats`). */
export interface KubeStandinStats {
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly drops: number;
}

export interface KubeStandinOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - a random free port */
  readonly port?: number;
  /** Bearer token clients must send. @default - random */
  readonly token?: string;
  /** Time from the last spec change until simulated controllers report ready. @default 1500 */
  readonly readinessDelayMs?: number;
  /** Time a deleted namespace stays `Terminating` before it and its content are gone. @default 200 */
  readonly namespaceTerminationMs?: number;
  /** The clock of simulated readiness and namespace termination; tests pass one they move. @default Date.now */
  readonly now?: () => number;
  /** How long a list's `continue` token is honoured before 410 `Expired` (store.ts, `list`). @default 300000 */
  readonly continueTtlMs?: number;
  /**
   * Where objects are kept across restarts: a JSON snapshot, plus `<dataFile>.journal` where each
   * change is appended (debounced, one write at a time), folded into the snapshot when the journal
   * outgrows it and at stop (persistence.ts). @default - in memory only
   */
  readonly dataFile?: string;
  readonly faults?: KubeStandinFaults;
  /** Where fault draws come from; a seeded source replays a run's faults (local/random.ts). @default Math.random */
  readonly random?: Random;
  /** Custom kinds served in addition to the built-ins and {@link DEFAULT_EXTRA_KINDS}. */
  readonly extraKinds?: readonly ExtraKind[];
  /** Extra or replacement status rules, keyed by `<apiVersion>/<kind>`. */
  readonly statusRules?: Readonly<Record<string, StatusRule>>;
  /** How often an open watch sees simulated controllers run (readiness, namespace removal). @default 100 */
  readonly watchTickMs?: number;
  /** How long a watch without `timeoutSeconds` stays open (the real server: 30-60 min). @default 1800000 */
  readonly watchTimeoutMs?: number;
  /**
   * How many recent changes a watch can start from (its `resourceVersion`); older: an ERROR event
   * with 410 Expired, as after etcd compaction. @default 2000
   */
  readonly watchWindow?: number;
}

export interface KubeStandin {
  /** HTTPS base URL, e.g. `https://127.0.0.1:41234`: what kubeconfigs name. */
  readonly url: string;
  /**
   * The same API over plain HTTP, e.g. `http://127.0.0.1:41235`: for test tooling that sits in
   * the traffic (counting proxies, raw `fetch` in tests). Go clients (kubectl, helm) send no
   * credentials over it.
   */
  readonly plainUrl: string;
  /** The PEM certificate of the CA that signed `url`'s certificate (made at start). */
  readonly caCert: string;
  readonly token: string;
  /**
   * A kubeconfig (context `stratus-local`) with the bearer token, pointing at `url` and trusting
   * the CA; or at `server`, which when it is `http://` (a proxy in front of `plainUrl`) goes
   * with `insecure-skip-tls-verify`, as client-node requires for plain HTTP.
   */
  kubeconfigYaml(opts?: { readonly server?: string }): string;
  writeKubeconfig(path: string): Promise<void>;
  /** Every stored object (copies), after simulated controllers have run. */
  list(): KubeObject[];
  /** Replaces the active faults; `setFaults({})` clears them. Throws when the rates add up to more than 1. */
  setFaults(faults: KubeStandinFaults): void;
  /** Requests and injected faults so far. */
  stats(): KubeStandinStats;
  stop(): Promise<void>;
}

export const KUBECONFIG_CONTEXT = 'stratus-local';
const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Responses to drop instead of sending (the `dropRate` fault). */
const dropped = new WeakSet<ServerResponse>();
const REASONS: Record<number, string> = {
  403: 'Forbidden',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export async function startKubeStandin(opts: KubeStandinOptions = {}): Promise<KubeStandin> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  let faults: KubeStandinFaults = checkFaults({ ...opts.faults });
  /** How many requests each rejection rule (of the faults set now) has answered. */
  const rejected = new WeakMap<KubeStandinRejection, number>();
  const random = opts.random ?? Math.random;
  const counts = { requests: 0, errors: 0, timeouts: 0, drops: 0 };
  const extra = [...DEFAULT_EXTRA_KINDS, ...GATEWAY_KINDS, ...(opts.extraKinds ?? [])];
  const kinds = [...BUILTIN_KINDS, ...extra.map(toKindInfo)];
  const builtins = new Set(BUILTIN_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));
  const findKind = (apiVersion: string, plural: string) =>
    kinds.find((k) => k.apiVersion === apiVersion && k.plural === plural);

  /** CRDs installed through apiextensions.k8s.io/v1 (crds.ts): their kinds and schemas. */
  const crds = new InstalledCrds(kinds, new Map<string, RawSchema>(), (kind) => {
    for (const o of store.list(kind, undefined, undefined).items as JsonObject[]) {
      const m = o.metadata as JsonObject;
      store.delete(kind, typeof m.namespace === 'string' ? m.namespace : undefined, String(m.name));
    }
  });
  const customSchemas = {
    get revision() {
      return crds.revision;
    },
    schema: (apiVersion: string, kind: string) =>
      crdOpenApiSchema(apiVersion, kind, DEFAULT_CRD_DIRS, crds.schemas),
  };
  const watches = new WatchHub(opts.watchWindow);
  let dryRunning = false;
  const persistence = opts.dataFile
    ? new JournalPersistence({
        file: opts.dataFile,
        onError: (e) => console.error(`kube stand-in: could not persist ${opts.dataFile}:`, e),
      })
    : undefined;
  const store = new ObjectStore({
    readinessDelayMs: opts.readinessDelayMs ?? 1500,
    namespaceTerminationMs: opts.namespaceTerminationMs ?? 200,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.continueTtlMs !== undefined ? { continueTtlMs: opts.continueTtlMs } : {}),
    statusRules: { ...DEFAULT_STATUS_RULES, ...opts.statusRules },
    ownedRules: DEFAULT_OWNED_RULES,
    kindOf: (apiVersion, kind) => kinds.find((k) => k.apiVersion === apiVersion && k.kind === kind),
    crdSchemas: crds.schemas,
    // A dry run's write is undone: neither persisted nor seen by watches (nor installs a CRD).
    onChange: (keys) => {
      if (!dryRunning) persistence?.changed(keys);
    },
    onEvent: (type, obj) => {
      if (dryRunning) return;
      watches.record(type, obj);
      if (isCrd(obj)) crds.sync(obj, type === 'DELETED');
    },
  });
  const keyOf = (obj: JsonObject): string | undefined => {
    // A stored CRD serves its kinds before their objects are read back (persistence.ts reads the
    // objects of unknown kinds again after the others).
    if (isCrd(obj)) crds.sync(obj, false);
    const m = isObject(obj.metadata) ? obj.metadata : {};
    const kind = kinds.find((k) => k.apiVersion === obj.apiVersion && k.kind === obj.kind);
    if (!kind || typeof m.name !== 'string') return undefined;
    return store.keyFor(kind, typeof m.namespace === 'string' ? m.namespace : undefined, m.name);
  };
  const loaded = persistence ? await persistence.load(keyOf) : undefined;
  if (loaded) store.restore(loaded, keyOf);
  await persistence?.attach({
    resourceVersion: () => store.currentResourceVersion(),
    entry: (key) => store.entry(key),
    entries: () => store.liveEntries(),
  });
  const namespaceKind = kinds.find((k) => k.apiVersion === 'v1' && k.kind === 'Namespace') as KindInfo;
  for (const name of ['default', 'kube-system', 'kube-public']) {
    try {
      store.create(namespaceKind, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }

  /** Namespace -> requests still refused after a RoleBinding was written there (rbacLagRequests). */
  const rbacLag = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const { latencyMs = 0 } = faults;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    if (req.headers.authorization !== `Bearer ${token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const discovery = isDiscovery(segments);
    if (!discovery) counts.requests++;
    const { errorRate = 0, errorStatus = 500, timeoutRate = 0, timeoutMs = 1000, dropRate = 0 } = faults;
    // One draw per request while faults are set, and at most one fault per request.
    const u = !discovery && timeoutRate + dropRate + errorRate > 0 ? random() : 1;
    if (u < timeoutRate) {
      counts.timeouts++;
      await new Promise((r) => setTimeout(r, timeoutMs));
      req.socket.destroy();
      return;
    }
    if (u < timeoutRate + dropRate) {
      counts.drops++;
      dropped.add(res);
    } else if (u < timeoutRate + dropRate + errorRate) {
      counts.errors++;
      throw new ApiError(
        errorStatus,
        REASONS[errorStatus] ?? 'InternalError',
        'injected fault (kube stand-in)',
      );
    }
    if (discovery) {
      if (segments[0] === 'openapi' && segments[1] === 'v2' && segments.length === 2) {
        const doc = openApiV2((req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF));
        res.writeHead(200, { 'content-type': doc.contentType, 'content-length': doc.body.length });
        res.end(doc.body);
        return;
      }
      negotiate(req.headers.accept, false);
      if (segments[0] === 'openapi') {
        const doc = openApiDocument(segments, kinds, customSchemas);
        if (!doc) throw notFoundResource();
        return send(res, 200, doc);
      }
      return send(res, 200, discoveryDocument(segments, kinds));
    }
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.some((v) => v !== 'All')) {
      throw new ApiError(
        400,
        'BadRequest',
        `dryRun: Unsupported value: "${dryRun.join(',')}": supported values: "All"`,
      );
    }
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    if (typeof fields === 'string') throw new ApiError(400, 'BadRequest', fields);

    const review = reviewOf(segments);
    if (review) {
      const body = await readObject(req, bodyType(req.headers['content-type']));
      const kindOf = (group: string, resource: string) =>
        kinds.find(
          (k) =>
            (k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : '') === group && k.plural === resource,
        );
      return send(res, 201, answerReview(review, req.method ?? 'GET', body, faults.rejections ?? [], kindOf));
    }
    const target = parseResourcePath(segments, findKind);
    store.tick();
    const { kind, namespace, name } = target;
    const fieldManager = url.searchParams.get('fieldManager') ?? undefined;
    const method = req.method ?? 'GET';
    const format = negotiate(req.headers.accept, method === 'GET');
    const includeObject = includeObjectOf(url.searchParams.get('includeObject'));
    const rejection = faults.rejections?.find(
      (r) =>
        (r.method === undefined || r.method === method) &&
        (r.kind === undefined || r.kind === kind.kind) &&
        (r.times === undefined || (rejected.get(r) ?? 0) < r.times),
    );
    if (rejection) {
      counts.errors++;
      rejected.set(rejection, (rejected.get(rejection) ?? 0) + 1);
      throw new ApiError(
        rejection.status,
        rejection.reason ?? REASONS[rejection.status] ?? 'BadRequest',
        rejection.message,
      );
    }
    if (namespace !== undefined && (faults.rbacLagRequests ?? 0) > 0) {
      if (kind.kind === 'RoleBinding' && method !== 'GET') {
        rbacLag.set(namespace, faults.rbacLagRequests ?? 0);
      } else if ((rbacLag.get(namespace) ?? 0) > 0) {
        rbacLag.set(namespace, (rbacLag.get(namespace) ?? 0) - 1);
        counts.errors++;
        throw new ApiError(403, 'Forbidden', 'injected fault (kube stand-in): RBAC not propagated yet');
      }
    }
    const isBuiltin = builtins.has(`${kind.apiVersion}/${kind.kind}`);
    const fieldValidation = url.searchParams.get('fieldValidation') ?? 'Warn';
    if (fieldValidation !== 'Strict' && fieldValidation !== 'Warn' && fieldValidation !== 'Ignore') {
      throw new ApiError(
        400,
        'BadRequest',
        `fieldValidation: Unsupported value: "${fieldValidation}": supported values: "Ignore", "Strict", "Warn"`,
      );
    }
    /** A write, or with `dryRun=All` the answer it would get and nothing written. */
    const write = <T>(objectName: string, fn: () => T): T => {
      store.fieldValidation = fieldValidation;
      store.warnings.length = 0;
      try {
        if (dryRun.length === 0) return fn();
        dryRunning = true;
        try {
          return store.dryRun(store.keyFor(kind, namespace, objectName), fn);
        } finally {
          dryRunning = false;
        }
      } finally {
        store.fieldValidation = 'Warn';
        // As kube-apiserver: `Warning: 299 - "unknown field \"spec.foo\""`, one header value per field.
        if (store.warnings.length > 0) {
          res.setHeader(
            'warning',
            store.warnings.map((w) => `299 - ${JSON.stringify(w)}`),
          );
          store.warnings.length = 0;
        }
      }
    };
    const answer = (code: number, obj: JsonObject) =>
      send(
        res,
        code,
        format === 'table' && obj.kind !== 'Status'
          ? toTable(kind, [obj], { now: now(), includeObject })
          : obj,
      );

    if (target.subresource === 'scale' && name !== undefined) {
      return answerScale(req, res, { kind, namespace, name, method, fieldManager, write });
    }
    if (target.subresource === 'status' && name !== undefined) {
      // `.../status`: what the controller that owns the object writes (kubectl `--subresource=status`).
      if (method === 'GET') return answer(200, store.get(kind, namespace, name));
      if (method === 'PUT') {
        const body = await readObject(req, bodyType(req.headers['content-type']));
        return answer(
          200,
          write(name, () => store.writeStatus(kind, namespace, name, () => body as Json)),
        );
      }
      if (method === 'PATCH') {
        const patch = patchType(req.headers['content-type']);
        if (patch !== 'merge' && patch !== 'json') {
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            'the status subresource of the stand-in takes merge and JSON patches: application/merge-patch+json, application/json-patch+json',
          );
        }
        const body = await readJson(req);
        if (patch === 'merge' && !isObject(body))
          throw new ApiError(400, 'BadRequest', 'the patch must be a JSON object');
        return answer(
          200,
          write(name, () =>
            store.writeStatus(kind, namespace, name, (obj) =>
              patch === 'json' ? jsonPatch(obj, body) : mergePatch(obj, body as JsonObject),
            ),
          ),
        );
      }
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    }
    if (name === undefined) {
      if (method === 'GET') {
        const watch = url.searchParams.get('watch');
        if (watch === '1' || watch === 'true') {
          return serveWatch(req, res, { kind, namespace, url, fields, format, includeObject, isBuiltin });
        }
        const limit = Number(url.searchParams.get('limit') ?? 0);
        const list = store.list(kind, namespace, url.searchParams.get('labelSelector') ?? undefined, {
          ...(Number.isInteger(limit) && limit > 0 ? { limit } : {}),
          ...(url.searchParams.get('continue')
            ? { continue: url.searchParams.get('continue') as string }
            : {}),
        });
        // Field selectors filter the chunk the label selector and paging chose (a chunk may so
        // come out shorter than `limit`; kubectl and client-go follow `continue` regardless).
        if (fields.length > 0)
          list.items = (list.items as JsonObject[]).filter((o) => matchesFields(o, fields));
        if (isBuiltin) {
          // Like the API server, items of built-in lists carry no apiVersion/kind.
          for (const item of list.items as JsonObject[]) {
            delete item.apiVersion;
            delete item.kind;
          }
        }
        if (format === 'table') {
          return send(
            res,
            200,
            toTable(kind, list.items as JsonObject[], {
              now: now(),
              includeObject,
              listMetadata: list.metadata as JsonObject,
            }),
          );
        }
        return send(res, 200, list);
      }
      if (method === 'POST') {
        const body = await readObject(req, bodyType(req.headers['content-type']));
        const objectName = isObject(body) && isObject(body.metadata) ? String(body.metadata.name ?? '') : '';
        return answer(
          201,
          write(objectName, () => store.create(kind, namespace, body, fieldManager)),
        );
      }
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    }
    switch (method) {
      case 'GET':
        return answer(200, store.get(kind, namespace, name));
      case 'PUT': {
        const body = await readObject(req, bodyType(req.headers['content-type']));
        return answer(
          200,
          write(name, () => store.replace(kind, namespace, name, body, fieldManager)),
        );
      }
      case 'DELETE': {
        const propagation = await deletePropagation(req, url);
        return answer(
          200,
          write(name, () =>
            store.delete(kind, namespace, name, { propagation, collect: dryRun.length === 0 }),
          ),
        );
      }
      case 'PATCH': {
        const patch = patchType(req.headers['content-type']);
        if (patch === 'apply') {
          const body = await readBody(req);
          let parsed: unknown;
          try {
            // client-node sends apply bodies as JSON (a subset of YAML): parsed as such, at a
            // fraction of the YAML parser's cost. Other bodies: a plain YAML parser (client-node's
            // loadYaml maps kinds to its typed models, which renames fields (`from` -> `_from`)
            // and so would corrupt what is stored).
            parsed = parseApplyBody(body);
          } catch (e) {
            throw new ApiError(400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
          }
          const force = url.searchParams.get('force') === 'true';
          const { obj, created } = write(name, () =>
            store.apply(kind, namespace, name, parsed, fieldManager, force),
          );
          return answer(created ? 201 : 200, obj);
        }
        const body = await readJson(req);
        if (patch === 'json') {
          return answer(
            200,
            write(name, () => store.jsonPatch(kind, namespace, name, body, fieldManager)),
          );
        }
        if (patch === 'strategic') {
          if (!isBuiltin) {
            // As the real server: custom resources have no patch strategies.
            throw new ApiError(
              415,
              'UnsupportedMediaType',
              'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
            );
          }
          return answer(
            200,
            write(name, () => store.strategicPatch(kind, namespace, name, body, fieldManager)),
          );
        }
        return answer(
          200,
          write(name, () => store.mergePatch(kind, namespace, name, body, fieldManager)),
        );
      }
      default:
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
    }
  };

  /**
   * `.../scale`: reads and writes `spec.replicas` as an autoscaling/v1 Scale (`kubectl scale`
   * sends a merge patch of it). A PUT with a stale resourceVersion is 409.
   */
  const answerScale = async (
    req: IncomingMessage,
    res: ServerResponse,
    s: {
      kind: KindInfo;
      namespace: string | undefined;
      name: string;
      method: string;
      fieldManager: string | undefined;
      write: <T>(objectName: string, fn: () => T) => T;
    },
  ): Promise<void> => {
    const current = scaleOf(store.get(s.kind, s.namespace, s.name));
    if (s.method === 'GET') return send(res, 200, current);
    let next: unknown;
    if (s.method === 'PUT') {
      next = await readObject(req, bodyType(req.headers['content-type']));
      const rv = isObject(next) && isObject(next.metadata) ? next.metadata.resourceVersion : undefined;
      if (rv !== undefined && rv !== '' && rv !== (current.metadata as JsonObject).resourceVersion) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${s.kind.plural} "${s.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
    } else if (s.method === 'PATCH') {
      const patch = patchType(req.headers['content-type']);
      const body = patch === 'apply' ? parseApplyBody(await readBody(req)) : await readJson(req);
      if (patch === 'json') {
        try {
          next = jsonPatch(current, body);
        } catch (e) {
          if (e instanceof JsonPatchError) throw new ApiError(422, 'Invalid', e.message);
          throw e;
        }
      } else if (isObject(body) && (patch !== 'strategic' || strategicIsPlainMerge(body))) {
        next = patch === 'apply' ? body : mergePatch(structuredClone(current), body);
      } else {
        throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format');
      }
    } else {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    }
    const replicas = isObject(next) && isObject(next.spec) ? next.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${s.name}" is invalid: spec.replicas: Invalid value: must be a non-negative integer`,
      );
    }
    const updated = s.write(s.name, () =>
      store.mergePatch(s.kind, s.namespace, s.name, { spec: { replicas } }, s.fieldManager),
    );
    return send(res, 200, scaleOf(updated));
  };

  /** Streams watch events (JSON lines) until `timeoutSeconds`, the client leaves or the server stops. */
  const serveWatch = (
    req: IncomingMessage,
    res: ServerResponse,
    w: {
      kind: KindInfo;
      namespace: string | undefined;
      url: URL;
      fields: FieldRequirement[];
      format: ResponseFormat;
      includeObject: IncludeObject;
      isBuiltin: boolean;
    },
  ): void => {
    const { kind, namespace, url } = w;
    const labelSelector = url.searchParams.get('labelSelector') ?? undefined;
    // Checks the label selector (400 before the stream starts) and reads the objects as they are.
    const current = store.list(kind, namespace, labelSelector);
    const labels = parseLabelSelector(labelSelector ?? '');
    const matches = (o: JsonObject): boolean => {
      const m = isObject(o.metadata) ? o.metadata : {};
      return (
        o.apiVersion === kind.apiVersion &&
        o.kind === kind.kind &&
        (namespace === undefined || m.namespace === namespace) &&
        matchesSelector((isObject(m.labels) ? m.labels : {}) as Record<string, string>, labels) &&
        matchesFields(o, w.fields)
      );
    };
    const rvParam = url.searchParams.get('resourceVersion');
    const start = rvParam && rvParam !== '0' ? Number(rvParam) : undefined;
    if (start !== undefined && !Number.isInteger(start)) {
      throw new ApiError(400, 'BadRequest', `resourceVersion: Invalid value: "${rvParam}": must be a number`);
    }
    const backlog = start === undefined ? 'initial' : watches.since(start);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const emit = (type: string, obj: JsonObject) => {
      let object = obj;
      if (type !== 'ERROR' && type !== 'BOOKMARK' && w.format === 'table') {
        const item = structuredClone(obj);
        if (w.isBuiltin) {
          delete item.apiVersion;
          delete item.kind;
        }
        object = toTable(kind, [item], { now: now(), includeObject: w.includeObject });
      }
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    if (backlog === 'expired') {
      emit('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${start} (${store.currentResourceVersion()})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    if (backlog === 'initial') {
      // No resourceVersion (or 0): every current object as ADDED, then changes.
      for (const o of current.items as JsonObject[]) if (matches(o)) emit('ADDED', o);
    } else {
      for (const e of backlog) if (matches(e.object)) emit(e.type, e.object);
    }
    const bookmark = () =>
      emit('BOOKMARK', {
        kind: kind.kind,
        apiVersion: kind.apiVersion,
        metadata: { resourceVersion: String(store.currentResourceVersion()) },
      });
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    if (bookmarks) bookmark();
    const unsubscribe = watches.subscribe((e) => {
      if (matches(e.object)) emit(e.type, e.object);
    });
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : (opts.watchTimeoutMs ?? 1_800_000);
    openWatches.add(res);
    ensureTicking();
    const timers = [
      setTimeout(() => res.end(), timeoutMs),
      ...(bookmarks ? [setInterval(bookmark, 10_000)] : []),
    ];
    const close = () => {
      for (const t of timers) clearTimeout(t);
      unsubscribe();
      openWatches.delete(res);
    };
    res.on('close', close);
    req.on('close', close);
  };

  /** While watches are open, simulated controllers run on a timer so that watchers see them. */
  const openWatches = new Set<ServerResponse>();
  let ticker: NodeJS.Timeout | undefined;
  const ensureTicking = () => {
    if (ticker) return;
    ticker = setInterval(() => {
      if (openWatches.size === 0) {
        clearInterval(ticker);
        ticker = undefined;
        return;
      }
      store.tick();
    }, opts.watchTickMs ?? 100);
    ticker.unref();
  };
  const now = opts.now ?? Date.now;

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      const err =
        e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message ?? String(e));
      if (res.headersSent) {
        res.end();
        return;
      }
      send(res, err.code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: err.message,
        reason: err.reason,
        ...(err.details ? { details: err.details } : {}),
        code: err.code,
      });
    });
  };
  const bindHost = opts.host ?? '127.0.0.1';
  const tls = await serverCertificate(bindHost);
  const secure = createHttpsServer({ key: tls.key, cert: tls.cert }, listener);
  const plain = createServer(listener);
  const listen = async (server: Server, port: number): Promise<string> => {
    // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s), so a
    // client never reuses a socket this server is closing (an ECONNRESET on a loaded machine).
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindHost, () => resolve());
    });
    const address = server.address() as AddressInfo;
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  };
  const url = `https://${await listen(secure, opts.port ?? 0)}`;
  const plainUrl = `http://${await listen(plain, 0)}`;
  const caData = Buffer.from(tls.caCert).toString('base64');

  const kubeconfigYaml = (o: { readonly server?: string } = {}): string => {
    const server = o.server ?? url;
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${KUBECONFIG_CONTEXT}`,
      '  cluster:',
      `    server: ${server}`,
      // Plain HTTP (a proxy in front of plainUrl): client-node only accepts it with TLS
      // verification explicitly skipped. HTTPS: the stand-in's CA, so kubectl trusts it too.
      server.startsWith('http://')
        ? '    insecure-skip-tls-verify: true'
        : `    certificate-authority-data: ${caData}`,
      'users:',
      `- name: ${KUBECONFIG_CONTEXT}`,
      '  user:',
      `    token: ${token}`,
      'contexts:',
      `- name: ${KUBECONFIG_CONTEXT}`,
      '  context:',
      `    cluster: ${KUBECONFIG_CONTEXT}`,
      `    user: ${KUBECONFIG_CONTEXT}`,
      '    namespace: default',
      `current-context: ${KUBECONFIG_CONTEXT}`,
      'preferences: {}',
      '',
    ].join('\n');
  };

  return {
    url,
    plainUrl,
    caCert: tls.caCert,
    token,
    kubeconfigYaml,
    async writeKubeconfig(path) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, kubeconfigYaml(), { mode: 0o600 });
    },
    list() {
      store.tick();
      return store.all() as KubeObject[];
    },
    setFaults(next) {
      faults = checkFaults({ ...next });
    },
    stats() {
      return { ...counts };
    },
    async stop() {
      if (ticker) clearInterval(ticker);
      for (const res of openWatches) res.end();
      for (const server of [secure, plain]) server.closeAllConnections();
      await Promise.all(
        [secure, plain].map(
          (server) =>
            new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
        ),
      );
      await persistence?.close();
    },
  };
}

function checkFaults(faults: KubeStandinFaults): KubeStandinFaults {
  const { errorRate = 0, timeoutRate = 0, dropRate = 0 } = faults;
  const rates = { errorRate, timeoutRate, dropRate };
  for (const [name, rate] of Object.entries(rates)) {
    if (!(rate >= 0 && rate <= 1))
      throw new Error(`kube stand-in: ${name} must be within 0..1 (got ${rate})`);
  }
  if (errorRate + timeoutRate + dropRate > 1) {
    throw new Error(
      `kube stand-in: errorRate + timeoutRate + dropRate must not exceed 1 (one fault per request at most); got ${errorRate} + ${timeoutRate} + ${dropRate}`,
    );
  }
  return faults;
}

// --- HTTP helpers ---

function send(res: ServerResponse, code: number, body: unknown): void {
  if (dropped.has(res)) {
    res.socket?.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseApplyBody(body: string): unknown {
  if (body.trimStart().startsWith('{')) {
    try {
      return JSON.parse(body);
    } catch {
      // not JSON after all (YAML flow mapping): the YAML parser below decides
    }
  }
  return parseYaml(body);
}

/** A create's or update's body, JSON, YAML or protobuf (`bodyType`). */
async function readObject(req: IncomingMessage, type: 'json' | 'yaml' | 'protobuf'): Promise<unknown> {
  if (type === 'json') return readJson(req);
  if (type === 'protobuf') return decodeProtobufObject(await readBytes(req));
  const text = await readBody(req);
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
  }
}

/**
 * A delete's `propagationPolicy`, from the query (client-node) or the DeleteOptions body
 * (kubectl's `--cascade`); `orphanDependents: true` is the old spelling of `Orphan`.
 */
async function deletePropagation(req: IncomingMessage, url: URL): Promise<DeletePropagation | undefined> {
  let value: unknown = url.searchParams.get('propagationPolicy') ?? undefined;
  let orphan: unknown = url.searchParams.get('orphanDependents') === 'true' ? true : undefined;
  const text = (await readBytes(req)).toString('utf8').trim();
  if (text.startsWith('{')) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, 'BadRequest', `error decoding DeleteOptions: ${(e as Error).message}`);
    }
    if (isObject(body)) {
      value = body.propagationPolicy ?? value;
      orphan = body.orphanDependents ?? orphan;
    }
  }
  if (value === undefined || value === null) return orphan === true ? 'Orphan' : undefined;
  if (value === 'Background' || value === 'Foreground' || value === 'Orphan') return value;
  throw new ApiError(
    422,
    'Invalid',
    `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${String(value)}": supported values: "Foreground", "Background", "Orphan", "nil"`,
  );
}

function includeObjectOf(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw new ApiError(400, 'BadRequest', `includeObject: Unsupported value: "${value}"`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `error decoding JSON: ${(e as Error).message}`);
  }
}

// --- routing ---

/** `/api`, `/apis`, `/api/v1`, `/apis/{group}`, `/apis/{group}/{version}`, `/version`, `/openapi/v2`, `/openapi/v3/...`. */
function isDiscovery(segments: string[]): boolean {
  const [root] = segments;
  if (root === 'version') return segments.length === 1;
  if (root === 'openapi') return segments[1] === 'v3' || (segments[1] === 'v2' && segments.length === 2);
  if (root === 'api') return segments.length <= 2;
  if (root === 'apis') return segments.length <= 3;
  return false;
}

function discoveryDocument(segments: string[], kinds: readonly KindInfo[]): unknown {
  const [root, a, b] = segments;
  const groups = new Map<string, Set<string>>();
  for (const apiVersion of [...kinds.map((k) => k.apiVersion), ...Object.keys(REVIEW_RESOURCES)]) {
    const [group, version] = apiVersion.split('/');
    if (group && version) groups.set(group, (groups.get(group) ?? new Set()).add(version));
  }
  const groupDoc = (name: string, versions: Set<string>) => {
    const list = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: list, preferredVersion: list[0] };
  };
  if (root === 'version')
    return { major: '1', minor: '31', gitVersion: 'v1.31.0-stratus-standin', platform: 'linux/amd64' };
  if (root === 'api' && a === undefined)
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (root === 'apis' && a === undefined) {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => groupDoc(name, versions)),
    };
  }
  if (root === 'apis' && a !== undefined && b === undefined) {
    const versions = groups.get(a);
    if (!versions) throw notFoundResource();
    return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(a, versions) };
  }
  const groupVersion = root === 'api' ? (a ?? 'v1') : `${a}/${b}`;
  const resources = kinds
    .filter((k) => k.apiVersion === groupVersion)
    .map((k) => ({
      name: k.plural,
      singularName: k.kind.toLowerCase(),
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      ...(k.shortNames?.length ? { shortNames: [...k.shortNames] } : {}),
      ...(k.categories?.length ? { categories: [...k.categories] } : {}),
    }));
  resources.push(...((REVIEW_RESOURCES[groupVersion] ?? []) as typeof resources));
  if (resources.length === 0) throw notFoundResource();
  const scales = kinds
    .filter((k) => k.apiVersion === groupVersion && SCALABLE.has(`${k.apiVersion}/${k.kind}`))
    .map((k) => ({
      name: `${k.plural}/scale`,
      singularName: '',
      namespaced: k.namespaced,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    }));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: [...resources, ...scales] };
}

interface ResourceTarget {
  kind: KindInfo;
  namespace?: string;
  name?: string;
  /** `scale`, of the kinds that have it; `status`, of every kind (not listed in discovery). */
  subresource?: 'scale' | 'status';
}

function parseResourcePath(
  segments: string[],
  findKind: (apiVersion: string, plural: string) => KindInfo | undefined,
): ResourceTarget {
  const [root] = segments;
  if (root !== 'api' && root !== 'apis') throw notFoundResource();
  const apiVersion = root === 'api' ? (segments[1] ?? '') : `${segments[1]}/${segments[2]}`;
  const rest = segments.slice(root === 'api' ? 2 : 3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest.splice(0, 2);
  }
  const [plural, name, subresource] = rest;
  const kind = plural ? findKind(apiVersion, plural) : undefined;
  if (!kind || rest.length > 3) throw notFoundResource();
  if (
    subresource !== undefined &&
    subresource !== 'status' &&
    !(subresource === 'scale' && SCALABLE.has(`${kind.apiVersion}/${kind.kind}`))
  )
    throw notFoundResource();
  if (!kind.namespaced && namespace !== undefined) throw notFoundResource();
  if (kind.namespaced && namespace === undefined && name !== undefined) throw notFoundResource();
  return {
    kind,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource === 'scale' || subresource === 'status' ? { subresource } : {}),
  };
}

/** Kinds with a `scale` subresource (autoscaling/v1 Scale over `spec.replicas`). */
const SCALABLE = new Set(['apps/v1/StatefulSet', 'apps/v1/Deployment']);

/** The autoscaling/v1 Scale of a StatefulSet or Deployment. */
function scaleOf(obj: JsonObject): JsonObject {
  const m = isObject(obj.metadata) ? obj.metadata : {};
  const spec = isObject(obj.spec) ? obj.spec : {};
  const status = isObject(obj.status) ? obj.status : {};
  const matchLabels =
    isObject(spec.selector) && isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? '',
      uid: m.uid ?? '',
      resourceVersion: m.resourceVersion ?? '',
      creationTimestamp: m.creationTimestamp ?? null,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

const notFoundResource = () =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource');
