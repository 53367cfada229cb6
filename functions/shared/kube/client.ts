import { AsyncLocalStorage } from 'node:async_hooks';
import * as http from 'node:http';
import * as https from 'node:https';
import {
  ApiException,
  createConfiguration,
  HttpMethod,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { getSerializationType } from '@kubernetes/client-node/dist/util.js';
import type { KubeObject } from '../engines/types.js';
import { classifyKubeError, KubeApiError } from './errors.js';

/** Identifies one object; `namespace` is omitted for cluster-scoped kinds. */
export type KubeObjectRef = Pick<KubeObject, 'apiVersion' | 'kind'> & {
  metadata: { name: string; namespace?: string };
};

export interface KubeClient {
  /** Server-side apply (forced, one field manager), one object at a time in the given order. */
  apply(objects: readonly KubeObject[]): Promise<void>;
  /**
   * Creates the object only if it does not exist (POST): `exists` when it already did (409
   * AlreadyExists), and then the live object is left exactly as it was. For generated Secrets,
   * which must never be overwritten.
   */
  create(obj: KubeObject): Promise<'created' | 'exists'>;
  /**
   * Deletes one object; `gone` when it did not exist. Dependents go in the background, or stay
   * with `Orphan` (a StatefulSet replaced without stopping its pods).
   */
  delete(
    ref: KubeObjectRef,
    opts?: { readonly propagation?: 'Background' | 'Orphan' },
  ): Promise<'deleted' | 'gone'>;
  /** The live object, or undefined when it does not exist. */
  get(ref: KubeObjectRef): Promise<KubeObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    opts?: { readonly namespace?: string; readonly labelSelector?: string },
  ): Promise<KubeObject[]>;
  /**
   * One chunk of a list (`limit`, `continue`: the API server's paging), in every namespace unless
   * one is given. `continue` is absent on the last chunk. A token the server no longer honours (it
   * expires after about 5 minutes) fails with status 410, reason `Expired`: start the list again.
   */
  listPage(
    apiVersion: string,
    kind: string,
    opts: {
      readonly namespace?: string;
      readonly labelSelector?: string;
      readonly limit: number;
      readonly continue?: string;
    },
  ): Promise<KubeListPage>;
  /** Starts deletion of a namespace and everything in it; `gone` when it no longer exists. */
  deleteNamespace(name: string): Promise<'deleted' | 'gone'>;
  /**
   * A JSON merge patch (RFC 7386) of an existing object, recorded under `fieldManager`: sets the
   * few fields `patch` names and leaves the rest, and never creates the object (`gone` when it does
   * not exist). For fields of an object that another writer applies: under a field manager of its
   * own, a later server-side apply by Stratus's manager, which does not send them, keeps them.
   */
  mergePatch(
    ref: KubeObjectRef,
    patch: Record<string, unknown>,
    opts: { readonly fieldManager: string },
  ): Promise<'patched' | 'gone'>;
}

export interface KubeListPage {
  readonly items: KubeObject[];
  /** The token of the next chunk; absent on the last. */
  readonly continue?: string;
}

export interface KubeClientOptions {
  /** @default 'stratus' */
  readonly fieldManager?: string;
  /** Per-request timeout; a Lambda must not hang on a dead API server. @default 10000 */
  readonly requestTimeoutMs?: number;
}

/*
 * client-node's typed models rename some fields (`from` -> `_from`, `default` -> `_default`),
 * and the body `patch` sends loses them: NetworkPolicy `from` (which turns "allow from this
 * namespace" into "allow from anywhere") and LimitRange `default`. So an apply sends the object's
 * own JSON, swapped in by the request middleware, and reads convert models back to plain JSON
 * under the real field names (timestamps as strings, as Kubernetes returns them).
 */
const exactBody = new AsyncLocalStorage<string>();

function toPlain(obj: KubernetesObject, apiVersion?: string, kind?: string): KubeObject {
  const type = getSerializationType(apiVersion ?? obj.apiVersion, kind ?? obj.kind);
  return JSON.parse(JSON.stringify(ObjectSerializer.serialize(obj, type))) as KubeObject;
}

/**
 * Every request the client makes is idempotent (server-side apply, GET, LIST, DELETE, a merge
 * patch that sets fixed values), so a
 * transient failure (429, 5xx, timeout, reset) is retried here a few times with jittered backoff
 * before the caller sees it: one flaky request should not cost the whole workflow step.
 */
const REQUEST_ATTEMPTS = 3;

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const classified = classifyKubeError(e);
      if (attempt < REQUEST_ATTEMPTS && classified?.retryable && !classified.unauthorized) {
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * (0.5 + Math.random())));
        continue;
      }
      throw wrap(what, e, classified);
    }
  }
}

/** Names the request in the error, keeping its classification. */
function wrap(what: string, e: unknown, classified: KubeApiError | undefined): unknown {
  if (!classified || classified === e) return e;
  return new KubeApiError(`${what}: ${classified.message}`, {
    ...(classified.status !== undefined ? { status: classified.status } : {}),
    reason: classified.reason,
    retryable: classified.retryable,
    unauthorized: classified.unauthorized,
    details: classified.details,
    cause: e,
  });
}

/**
 * RBAC propagation: the API server authorizes from a cache that sees a new RoleBinding a moment
 * after it is written (on another API server instance, later still). The objects applied right
 * after the `stratus-provisioner` RoleBinding of a new namespace, which is what allows them, may
 * be refused with 403 meanwhile. A 403 in a namespace where this same `apply` wrote a RoleBinding
 * is retried for up to about 6 s; any other 403 is permanent at once.
 */
const RBAC_PROPAGATION_DELAYS_MS = [100, 200, 400, 800, 1600, 3000];

const describe = (ref: KubeObjectRef): string =>
  `${ref.kind} ${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`;

/** Exposes discovery, which KubernetesObjectApi keeps protected. */
class StratusObjectApi extends KubernetesObjectApi {
  discover(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
  useNamespaceOf(kc: KubeConfig): void {
    this.setDefaultNamespace(kc);
  }
  /**
   * One chunk of a list as the API server sent it (JSON), through the same authentication and
   * middleware as every other request, without client-node's typed models: converting each item
   * to a model and back cost ten times the request itself on lists of thousands of objects.
   */
  async listRaw(
    apiVersion: string,
    kind: string,
    q: { namespace?: string; labelSelector?: string; limit: number; continue?: string },
  ): Promise<{ items: KubeObject[]; metadata?: { continue?: string } }> {
    const path = await this.specUriPath({ apiVersion, kind, metadata: { namespace: q.namespace } }, 'list');
    let ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    if (q.labelSelector !== undefined) ctx.setQueryParam('labelSelector', q.labelSelector);
    ctx.setQueryParam('limit', String(q.limit));
    if (q.continue !== undefined) ctx.setQueryParam('continue', q.continue);
    await this.configuration.authMethods.default?.applySecurityAuthentication(ctx);
    for (const m of this.configuration.middleware) ctx = await m.pre(ctx).toPromise();
    const res = await this.configuration.httpApi.send(ctx).toPromise();
    const text = await res.body.text();
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      throw new ApiException(res.httpStatusCode, 'Unsuccessful HTTP Request', text, res.headers);
    }
    return JSON.parse(text) as { items: KubeObject[]; metadata?: { continue?: string } };
  }
}

/**
 * client-node builds a new HTTP(S) agent for every request (`KubeConfig.applySecurityAuthentication`),
 * without keep-alive, so every request opened a new connection (and a TLS handshake against EKS):
 * about 6.5 % of the provisioner's CPU in the scale bench (issue #12). This keeps one keep-alive
 * agent per set of TLS options instead, and hands it to each request in place of the new one.
 * Proxy agents (a `proxy-url` in the kubeconfig) are left as client-node made them. A connection
 * the server closed while idle (or a Lambda frozen meanwhile) fails with a reset, which `call`
 * retries.
 */
function keepAliveAgents(): (
  agent: http.Agent | https.Agent | undefined,
) => http.Agent | https.Agent | undefined {
  const agents = new Map<string, http.Agent | https.Agent>();
  return (agent) => {
    if (!agent || (agent.constructor !== https.Agent && agent.constructor !== http.Agent)) return agent;
    const options = (agent as { options?: https.AgentOptions }).options ?? {};
    const tls = agent instanceof https.Agent;
    const key = JSON.stringify([
      tls,
      String(options.ca ?? ''),
      String(options.cert ?? ''),
      String(options.key ?? ''),
      String(options.pfx ?? ''),
      options.passphrase,
      options.rejectUnauthorized,
      options.servername,
    ]);
    let kept = agents.get(key);
    if (!kept) {
      const keepAlive = { ...options, keepAlive: true };
      kept = tls ? new https.Agent(keepAlive) : new http.Agent(keepAlive);
      agents.set(key, kept);
    }
    return kept;
  };
}

export function createKubeClient(kc: KubeConfig, opts: KubeClientOptions = {}): KubeClient {
  const fieldManager = opts.fieldManager ?? 'stratus';
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('KubeConfig has no current cluster: set a current context');
  const keepAlive = keepAliveAgents();
  const api = new StratusObjectApi(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            const agent = keepAlive(ctx.getAgent());
            if (agent) ctx.setAgent(agent);
            const body = exactBody.getStore();
            if (body !== undefined) ctx.setBody(body);
            return ctx;
          },
          post: async (res) => res,
        },
      ],
    }),
  );
  api.useNamespaceOf(kc);

  /**
   * Resolves the kind through discovery first, so a kind the cluster does not serve (a missing
   * CRD) is a permanent error instead of looking like a missing object.
   */
  async function ensureKind(apiVersion: string, kind: string): Promise<void> {
    let resource: Awaited<ReturnType<typeof api.discover>>;
    try {
      resource = await call(`discover ${apiVersion}`, () => api.discover(apiVersion, kind));
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      resource = undefined;
    }
    if (!resource) {
      throw new KubeApiError(`The cluster does not serve ${apiVersion} ${kind} (is its CRD installed?)`, {
        status: 404,
        reason: 'UnknownKind',
        retryable: false,
      });
    }
  }

  return {
    async apply(objects) {
      /** Namespaces where this call wrote a RoleBinding (see RBAC_PROPAGATION_DELAYS_MS). */
      const bound = new Set<string>();
      for (const obj of objects) {
        await ensureKind(obj.apiVersion, obj.kind);
        const applyOnce = () =>
          call(`apply ${describe(obj)}`, () =>
            exactBody.run(JSON.stringify(obj), () =>
              // client-node also fills in defaults on the object it is given: hand it a copy.
              api.patch(
                structuredClone(obj) as KubernetesObject,
                undefined,
                undefined,
                fieldManager,
                true,
                PatchStrategy.ServerSideApply,
              ),
            ),
          );
        const namespace = obj.metadata.namespace;
        for (let attempt = 0; ; attempt++) {
          try {
            await applyOnce();
            break;
          } catch (e) {
            const delay = RBAC_PROPAGATION_DELAYS_MS[attempt];
            const propagating =
              namespace !== undefined &&
              bound.has(namespace) &&
              e instanceof KubeApiError &&
              e.status === 403;
            if (!propagating || delay === undefined) throw e;
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        if (
          namespace !== undefined &&
          obj.apiVersion === 'rbac.authorization.k8s.io/v1' &&
          obj.kind === 'RoleBinding'
        ) {
          bound.add(namespace);
        }
      }
    },

    async create(obj) {
      await ensureKind(obj.apiVersion, obj.kind);
      const body = structuredClone(obj) as KubernetesObject;
      try {
        await call(`create ${describe(obj)}`, () =>
          exactBody.run(JSON.stringify(obj), () => api.create(body, undefined, undefined, fieldManager)),
        );
        return 'created';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 409) return 'exists';
        throw e;
      }
    },

    async delete(ref, opts) {
      await ensureKind(ref.apiVersion, ref.kind);
      try {
        await call(`delete ${describe(ref)}`, () =>
          api.delete(
            structuredClone(ref),
            undefined,
            undefined,
            undefined,
            undefined,
            opts?.propagation ?? 'Background',
          ),
        );
        return 'deleted';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return 'gone';
        throw e;
      }
    },

    async get(ref) {
      await ensureKind(ref.apiVersion, ref.kind);
      try {
        const live = await call(`get ${describe(ref)}`, () => api.read(structuredClone(ref)));
        return toPlain(live);
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return undefined;
        throw e;
      }
    },

    async list(apiVersion, kind, listOpts = {}) {
      await ensureKind(apiVersion, kind);
      const result = await call(`list ${apiVersion} ${kind}`, () =>
        api.list(
          apiVersion,
          kind,
          listOpts.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          listOpts.labelSelector,
        ),
      );
      // The API server leaves apiVersion/kind off the items of built-in lists.
      return result.items.map((item) => ({ ...toPlain(item, apiVersion, kind), apiVersion, kind }));
    },

    async listPage(apiVersion, kind, page) {
      await ensureKind(apiVersion, kind);
      const result = await call(`list ${apiVersion} ${kind}`, () => api.listRaw(apiVersion, kind, page));
      const next = result.metadata?.continue;
      // The API server leaves apiVersion/kind off the items of built-in lists.
      return {
        items: (result.items ?? []).map((item) => ({ ...item, apiVersion, kind })),
        ...(next ? { continue: next } : {}),
      };
    },

    async mergePatch(ref, patch, patchOpts) {
      await ensureKind(ref.apiVersion, ref.kind);
      try {
        await call(`patch ${describe(ref)}`, () =>
          // The body is the patch alone; the object (its kind, name and namespace) gives the path.
          exactBody.run(JSON.stringify(patch), () =>
            api.patch(
              structuredClone(ref) as KubernetesObject,
              undefined,
              undefined,
              patchOpts.fieldManager,
              undefined,
              PatchStrategy.MergePatch,
            ),
          ),
        );
        return 'patched';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return 'gone';
        throw e;
      }
    },

    async deleteNamespace(name) {
      try {
        await call(`delete namespace ${name}`, () =>
          api.delete(
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
            undefined,
            undefined,
            undefined,
            undefined,
            'Background',
          ),
        );
        return 'deleted';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return 'gone';
        // 409: already terminating; the deletion asked for is under way.
        if (e instanceof KubeApiError && e.status === 409) return 'deleted';
        throw e;
      }
    },
  };
}
