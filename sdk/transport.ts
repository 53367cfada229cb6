import { isRecord, parseRetryAfter } from './errors.js';

export type FetchLike = (request: Request) => Promise<Response>;

export interface RetryOptions {
  /** Retries after the first attempt (so attempts = retries + 1). @default 4 */
  readonly retries?: number;
  /** First backoff step; doubles at each retry (full jitter: a random delay up to the step). @default 200 */
  readonly baseDelayMs?: number;
  /** Cap of a backoff step. @default 5000 */
  readonly maxDelayMs?: number;
  /**
   * Longest Retry-After honoured: a 429/503 asking for longer is returned to the caller at once
   * (as a StratusApiError with `retryAfter`) rather than waited for. @default 30000
   */
  readonly maxRetryAfterMs?: number;
}

export interface TransportOptions {
  readonly fetch: FetchLike;
  readonly retry: Required<RetryOptions>;
  /** Follow `421 WRONG_REGION` to the managing region's API. @default true */
  readonly followRegion: boolean;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly newIdempotencyKey: () => string;
  /** Called before each wait, for logs and progress displays. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; status?: number; url: string }) => void;
}

/** Response header naming the base URL that served a request after a followed 421. */
export const SERVED_BY_HEADER = 'x-stratus-served-by';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RETRIED_STATUSES = new Set([429, 503]);
const MAX_REGION_HOPS = 2;

/**
 * The fetch that the typed client calls: every mutation gets an Idempotency-Key (the caller's, or
 * a new one), kept on every retry and region hop of that call so that the API does it at most once;
 * 429 and 503 are retried with exponential backoff and full jitter, honouring Retry-After up to a
 * bound; network errors are retried the same way (safe: reads, and mutations carry their key);
 * a `421 WRONG_REGION` is re-sent to the `Location` it names (or `apiUrl` + the same path).
 */
export function createTransport(opts: TransportOptions): FetchLike {
  return async (original: Request) => {
    const method = original.method.toUpperCase();
    const headers = new Headers(original.headers);
    if (MUTATIONS.has(method) && !headers.has('idempotency-key'))
      headers.set('idempotency-key', opts.newIdempotencyKey());
    const body = original.body === null ? undefined : await original.arrayBuffer();
    const signal = original.signal;
    let url = original.url;
    let hops = 0;
    let servedBy: string | undefined;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await opts.fetch(new Request(url, { method, headers, body: body ?? null, signal }));
      } catch (error) {
        if (signal.aborted || attempt >= opts.retry.retries) throw error;
        const delayMs = backoff(attempt, opts);
        opts.onRetry?.({ attempt: attempt + 1, delayMs, url });
        await opts.sleep(delayMs, signal);
        continue;
      }
      if (response.status === 421 && opts.followRegion && hops < MAX_REGION_HOPS) {
        const target = await regionTarget(response, url);
        if (target) {
          hops++;
          url = target.url;
          servedBy = target.base;
          attempt--; // a hop is not a retry
          continue;
        }
      }
      if (RETRIED_STATUSES.has(response.status) && attempt < opts.retry.retries) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        const asked = retryAfter === undefined ? 0 : retryAfter * 1000;
        if (asked <= opts.retry.maxRetryAfterMs) {
          const delayMs = Math.max(asked, backoff(attempt, opts));
          discard(response);
          opts.onRetry?.({ attempt: attempt + 1, delayMs, status: response.status, url });
          await opts.sleep(delayMs, signal);
          continue;
        }
      }
      if (!servedBy) return response;
      const marked = new Headers(response.headers);
      marked.set(SERVED_BY_HEADER, servedBy);
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: marked,
      });
    }
  };
}

/** Full jitter: a random delay in [0, min(cap, base * 2^attempt)). */
function backoff(attempt: number, opts: TransportOptions): number {
  const step = Math.min(opts.retry.maxDelayMs, opts.retry.baseDelayMs * 2 ** attempt);
  return Math.floor(opts.random() * step);
}

/** Where a 421 says to go: its Location, else its problem's apiUrl with the same path and query. */
async function regionTarget(
  response: Response,
  from: string,
): Promise<{ url: string; base: string } | undefined> {
  let problem: unknown;
  try {
    problem = await response.clone().json();
  } catch {
    return undefined;
  }
  if (!isRecord(problem) || problem.code !== 'WRONG_REGION') return undefined;
  const location = response.headers.get('location');
  const apiUrl = typeof problem.apiUrl === 'string' ? problem.apiUrl.replace(/\/+$/, '') : undefined;
  const source = new URL(from);
  if (location) {
    const target = new URL(location, from);
    if (target.href === source.href) return undefined;
    const base = apiUrl ?? target.origin;
    discard(response);
    return { url: target.href, base };
  }
  if (!apiUrl) return undefined;
  discard(response);
  return { url: `${apiUrl}${source.pathname}${source.search}`, base: apiUrl };
}

/** Frees a response body not read (not awaited: a cloned body's cancel waits for its twin). */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
