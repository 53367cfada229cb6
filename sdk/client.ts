import createClient, { type Client } from 'openapi-fetch';
import { isRecord, OperationTimeoutError, StratusApiError, StratusNetworkError } from './errors.js';
import type { operations, paths } from './generated/openapi.js';
import { createTransport, type FetchLike, type RetryOptions, SERVED_BY_HEADER } from './transport.js';

type Json<Op extends keyof operations, S extends number> =
  operations[Op]['responses'] extends Record<S, { content: { 'application/json': infer T } }> ? T : never;
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;
type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type Cluster = Json<'getV1ClustersClusterId', 200>;
export type Operation = Json<'getV1OperationsOperationId', 200>;
export type OperationStatus = Operation['status'];
export type ApiKey = Json<'getV1ApiKeys', 200>['items'][number];
export type CreatedApiKey = Json<'postV1ApiKeys', 201>;
export type Connection = Json<'getV1ClustersClusterIdConnection', 200>;
export type RevealedConnection = Json<'postV1ClustersClusterIdConnectionReveal', 200>;
export type CreateClusterInput = Body<'postV1Clusters'>;
export type UpdateClusterInput = Body<'patchV1ClustersClusterId'>;
export type CreateApiKeyInput = Body<'postV1ApiKeys'>;
export type ListClustersQuery = Omit<Query<'getV1Clusters'>, 'nextToken'>;
/** What a dry run answers (`200`): the outcome it would have, nothing written. */
export type DryRun = Json<'postV1Clusters', 200> | Json<'patchV1ClustersClusterId', 200>;
/** A mutation's answer: the cluster and the operation to wait for (202), or the cluster alone (200). */
export type ClusterMutation = { cluster: Cluster; operation?: Operation };

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string | undefined;
}

export interface StratusClientOptions {
  /** The API's base URL, e.g. `https://api.example.com` or `http://127.0.0.1:4000` (no `/v1`). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  readonly retry?: RetryOptions;
  /** Follow `421 WRONG_REGION` to the managing region's API. @default true */
  readonly followRegion?: boolean;
  /** Called before each retry's wait. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; status?: number; url: string }) => void;
  /** @default a timer (tests pass a fake one) */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default Math.random (the backoff's jitter) */
  readonly random?: () => number;
  /** @default crypto.randomUUID() with the prefix `sdk-` */
  readonly newIdempotencyKey?: () => string;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface MutationOptions {
  /** Sent as Idempotency-Key; by default a new one per call (the same on each of its retries). */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up (OperationTimeoutError) after this many milliseconds. @default 600000 (10 min) */
  readonly timeout?: number;
  /** Called with each state read, and the milliseconds since the wait started. */
  readonly onProgress?: (operation: Operation, elapsedMs: number) => void;
  /** First interval between polls; grows by half each poll. @default 500 */
  readonly pollIntervalMs?: number;
  /** @default 3000 */
  readonly maxPollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  maxRetryAfterMs: 30_000,
};

/**
 * The Stratus API, typed from docs/openapi.json (sdk/generated/openapi.ts). Runs wherever `fetch`
 * does (Node 20+, browsers): no Node-only import. Every method resolves with the API's JSON or
 * throws a StratusApiError (the problem: `code`, `status`, field `errors`) or a StratusNetworkError.
 */
export class StratusClient {
  /** The openapi-fetch client, for anything the methods below do not cover. */
  readonly raw: Client<paths>;
  readonly baseUrl: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Operations and clusters whose mutation another region's API accepted (a followed 421): read
   * there from then on, not from this region's replica, which lags behind (read your writes).
   */
  private readonly operationBase = new Map<string, string>();
  private readonly clusterBase = new Map<string, string>();

  constructor(options: StratusClientOptions) {
    if (!/^https?:\/\//.test(options.baseUrl))
      throw new TypeError(`baseUrl must be an http(s) URL, not "${options.baseUrl}"`);
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
    const transport = createTransport({
      fetch: baseFetch,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      followRegion: options.followRegion ?? true,
      sleep: this.sleep,
      random: options.random ?? Math.random,
      newIdempotencyKey: options.newIdempotencyKey ?? newKey,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    this.raw = createClient<paths>({
      baseUrl: this.baseUrl,
      fetch: transport,
      headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' },
    });
  }

  readonly clusters = {
    /** `POST /v1/clusters`: 202 with the cluster and its CREATE operation. */
    create: async (input: CreateClusterInput, opts: MutationOptions = {}): Promise<ClusterMutation> =>
      this.mutate(
        this.raw.POST('/v1/clusters', { body: input, params: { header: idem(opts) }, ...sig(opts) }),
      ),
    createDryRun: async (input: CreateClusterInput, opts: MutationOptions = {}): Promise<DryRun> =>
      this.call(
        this.raw.POST('/v1/clusters', { body: input, params: { query: { dryRun: 'true' } }, ...sig(opts) }),
      ) as Promise<DryRun>,
    /** One page, oldest first. */
    list: async (query: ListClustersQuery & { nextToken?: string } = {}): Promise<Page<Cluster>> =>
      this.call(this.raw.GET('/v1/clusters', { params: { query } })),
    /** Every cluster matching `query`, page after page. */
    listAll: (query: ListClustersQuery = {}): AsyncIterableIterator<Cluster> =>
      paginate((nextToken) => this.clusters.list({ ...query, ...(nextToken ? { nextToken } : {}) })),
    get: async (clusterId: string, opts: { signal?: AbortSignal } = {}): Promise<Cluster> =>
      this.call(
        this.raw.GET('/v1/clusters/{clusterId}', {
          params: { path: { clusterId } },
          ...this.atCluster(clusterId),
          ...sig(opts),
        }),
      ),
    /** `PATCH`: 202 with an UPDATE operation; `deletionProtection` alone answers 200 without one. */
    update: async (
      clusterId: string,
      input: UpdateClusterInput,
      opts: MutationOptions = {},
    ): Promise<ClusterMutation> =>
      this.mutate(
        this.raw.PATCH('/v1/clusters/{clusterId}', {
          body: input,
          params: { path: { clusterId }, header: idem(opts) },
          ...sig(opts),
        }),
      ),
    updateDryRun: async (
      clusterId: string,
      input: UpdateClusterInput,
      opts: MutationOptions = {},
    ): Promise<DryRun> =>
      this.call(
        this.raw.PATCH('/v1/clusters/{clusterId}', {
          body: input,
          params: { path: { clusterId }, query: { dryRun: 'true' } },
          ...sig(opts),
        }),
      ) as Promise<DryRun>,
    delete: async (clusterId: string, opts: MutationOptions = {}): Promise<ClusterMutation> =>
      this.mutate(
        this.raw.DELETE('/v1/clusters/{clusterId}', {
          params: { path: { clusterId }, header: idem(opts) },
          ...sig(opts),
        }),
      ),
    deleteDryRun: async (clusterId: string, opts: MutationOptions = {}): Promise<DryRun> =>
      this.call(
        this.raw.DELETE('/v1/clusters/{clusterId}', {
          params: { path: { clusterId }, query: { dryRun: 'true' } },
          ...sig(opts),
        }),
      ) as Promise<DryRun>,
    /** The cluster's operations, newest first: one page. */
    operations: async (
      clusterId: string,
      query: { limit?: number; nextToken?: string } = {},
    ): Promise<Page<Operation>> =>
      this.call(
        this.raw.GET('/v1/clusters/{clusterId}/operations', { params: { path: { clusterId }, query } }),
      ),
    operationsAll: (clusterId: string, query: { limit?: number } = {}): AsyncIterableIterator<Operation> =>
      paginate((nextToken) =>
        this.clusters.operations(clusterId, { ...query, ...(nextToken ? { nextToken } : {}) }),
      ),
    /** Endpoint, host, port and where the credential lives (never its value). */
    connection: async (clusterId: string): Promise<Connection> =>
      this.call(
        this.raw.GET('/v1/clusters/{clusterId}/connection', {
          params: { path: { clusterId } },
          ...this.atCluster(clusterId),
        }),
      ),
    /** The credential's value (admin; audited). */
    revealConnection: async (clusterId: string): Promise<RevealedConnection> =>
      this.call(
        this.raw.POST('/v1/clusters/{clusterId}/connection/reveal', { params: { path: { clusterId } } }),
      ),
  };

  readonly operations = {
    get: async (operationId: string, opts: { signal?: AbortSignal } = {}): Promise<Operation> =>
      this.call(
        this.raw.GET('/v1/operations/{operationId}', {
          params: { path: { operationId } },
          ...this.at(operationId),
          ...sig(opts),
        }),
      ),
    /** Cancels a QUEUED operation (409 OPERATION_NOT_CANCELLABLE once it applies). */
    cancel: async (operationId: string, opts: MutationOptions = {}): Promise<Operation> =>
      this.call(
        this.raw.POST('/v1/operations/{operationId}/cancel', {
          params: { path: { operationId }, header: idem(opts) },
          ...this.at(operationId),
          ...sig(opts),
        }),
      ) as Promise<Operation>,
    cancelDryRun: async (operationId: string): Promise<DryRun> =>
      this.call(
        this.raw.POST('/v1/operations/{operationId}/cancel', {
          params: { path: { operationId }, query: { dryRun: 'true' } },
          ...this.at(operationId),
        }),
      ) as Promise<DryRun>,
  };

  readonly apiKeys = {
    /** 201 with the `secret`, shown this once. */
    create: async (input: CreateApiKeyInput, opts: MutationOptions = {}): Promise<CreatedApiKey> =>
      this.call(
        this.raw.POST('/v1/api-keys', { body: input, params: { header: idem(opts) }, ...sig(opts) }),
      ) as Promise<CreatedApiKey>,
    createDryRun: async (input: CreateApiKeyInput): Promise<DryRun> =>
      this.call(
        this.raw.POST('/v1/api-keys', { body: input, params: { query: { dryRun: 'true' } } }),
      ) as Promise<DryRun>,
    list: async (query: { limit?: number; nextToken?: string } = {}): Promise<Page<ApiKey>> =>
      this.call(this.raw.GET('/v1/api-keys', { params: { query } })),
    listAll: (query: { limit?: number } = {}): AsyncIterableIterator<ApiKey> =>
      paginate((nextToken) => this.apiKeys.list({ ...query, ...(nextToken ? { nextToken } : {}) })),
    revoke: async (keyId: string, opts: MutationOptions = {}): Promise<ApiKey> =>
      this.call(
        this.raw.DELETE('/v1/api-keys/{keyId}', {
          params: { path: { keyId }, header: idem(opts) },
          ...sig(opts),
        }),
      ) as Promise<ApiKey>,
    revokeDryRun: async (keyId: string): Promise<DryRun> =>
      this.call(
        this.raw.DELETE('/v1/api-keys/{keyId}', { params: { path: { keyId }, query: { dryRun: 'true' } } }),
      ) as Promise<DryRun>,
  };

  /**
   * Polls the operation until it is SUCCEEDED, FAILED or CANCELLED and resolves with it (a FAILED
   * one resolves too: check `status` and `error`). Polls every `pollIntervalMs`, growing to
   * `maxPollIntervalMs`; throws OperationTimeoutError after `timeout` ms.
   */
  async waitForOperation(operationId: string, opts: WaitOptions = {}): Promise<Operation> {
    const timeout = opts.timeout ?? 600_000;
    const maxInterval = opts.maxPollIntervalMs ?? 3000;
    let interval = opts.pollIntervalMs ?? 500;
    const started = this.now();
    let last: Operation | undefined;
    for (;;) {
      last = await this.operations.get(operationId, opts.signal ? { signal: opts.signal } : {});
      const elapsed = this.now() - started;
      opts.onProgress?.(last, elapsed);
      if (TERMINAL_STATUSES.includes(last.status)) return last;
      const left = timeout - elapsed;
      if (left <= 0) throw new OperationTimeoutError(operationId, timeout, last);
      await this.sleep(Math.min(interval, left), opts.signal);
      interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
    }
  }

  /** Where an operation is read: the region that accepted it when a 421 was followed. */
  private at(operationId: string): { baseUrl?: string } {
    const base = this.operationBase.get(operationId);
    return base ? { baseUrl: base } : {};
  }

  private atCluster(clusterId: string): { baseUrl?: string } {
    const base = this.clusterBase.get(clusterId);
    return base ? { baseUrl: base } : {};
  }

  /** The data of a 2xx, or the problem thrown; network failures as StratusNetworkError. */
  private async send<T>(
    pending: Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<{ data: T; response: Response }> {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await pending;
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new StratusNetworkError(this.baseUrl, { cause: error });
    }
    const { response } = result;
    if (!response.ok) throw new StratusApiError(response.status, result.error, response.headers);
    return { data: result.data as T, response };
  }

  private async call<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    return (await this.send(pending)).data;
  }

  /**
   * A cluster mutation's answer as { cluster, operation? } (a PATCH of deletionProtection alone
   * answers 200 with the cluster); an operation accepted by another region's API (a followed 421)
   * is remembered so that waitForOperation polls that region.
   */
  private async mutate(
    pending: Promise<{ data?: unknown; error?: unknown; response: Response }>,
  ): Promise<ClusterMutation> {
    const { data, response } = await this.send(pending);
    const value = (isRecord(data) && isRecord(data.cluster) ? data : { cluster: data }) as ClusterMutation;
    const servedBy = response.headers.get(SERVED_BY_HEADER);
    if (servedBy) {
      if (value.operation) this.operationBase.set(value.operation.id, servedBy);
      if (isRecord(value.cluster) && typeof value.cluster.id === 'string')
        this.clusterBase.set(value.cluster.id, servedBy);
    }
    return value;
  }
}

/** Pages as one async iterator: each page is fetched when the previous one is used up. */
export async function* paginate<T>(
  fetchPage: (nextToken?: string) => Promise<Page<T>>,
): AsyncIterableIterator<T> {
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield* page.items;
    token = page.nextToken ?? undefined;
  } while (token);
}

function idem(opts: MutationOptions): { 'Idempotency-Key'?: string } {
  return opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {};
}

function sig(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function newKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return `sdk-${c.randomUUID()}`;
  const bytes = c.getRandomValues(new Uint8Array(16));
  return `sdk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
