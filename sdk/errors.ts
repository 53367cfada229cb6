import type { components } from './generated/openapi.js';

/** A problem's stable code (the API's `ERROR_CODES`), or `HTTP_<status>` when the body was no problem+json. */
export type ProblemCode = components['schemas']['Problem']['code'] | `HTTP_${number}`;

/** One field a validation error names: `path` is the field (`nodes`, `settings.maxConnections`). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * An answer of the API with status >= 400, as its RFC 9457 problem: `code` is stable (branch on it),
 * `errors` names each invalid field, `correlationId` is what support asks for.
 */
export class StratusApiError extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[];
  /** CLUSTER_BUSY: the operation in progress. */
  readonly operationId: string | undefined;
  /** WRONG_REGION: the region that takes the request, and its API when the deployment knows it. */
  readonly region: string | undefined;
  readonly apiUrl: string | undefined;
  readonly correlationId: string | undefined;
  /** Seconds, from the Retry-After header (429, 503). */
  readonly retryAfter: number | undefined;
  /** The whole problem object, for extensions this class does not name. */
  readonly problem: Readonly<Record<string, unknown>>;

  constructor(status: number, body: unknown, headers: Headers) {
    const problem = isRecord(body) ? body : {};
    const code = typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
    const title = typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
    super(detail && detail !== title ? `${title}: ${detail}` : title);
    this.name = 'StratusApiError';
    this.status = status;
    this.code = code as ProblemCode;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors)
      ? problem.errors
          .filter(isRecord)
          .map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? '') }))
      : [];
    this.operationId = typeof problem.operationId === 'string' ? problem.operationId : undefined;
    this.region = typeof problem.region === 'string' ? problem.region : undefined;
    this.apiUrl = typeof problem.apiUrl === 'string' ? problem.apiUrl : undefined;
    this.correlationId = headers.get('x-correlation-id') ?? undefined;
    this.retryAfter = parseRetryAfter(headers.get('retry-after'), Date.now());
    this.problem = problem;
  }
}

/** The API could not be reached (connection refused, DNS, reset) after the retries. */
export class StratusNetworkError extends Error {
  constructor(
    readonly url: string,
    options: { cause: unknown },
  ) {
    super(`could not reach ${url}: ${errorMessage(options.cause)}`, options);
    this.name = 'StratusNetworkError';
  }
}

/** `waitForOperation` gave up before the operation ended; `operation` is the last state seen. */
export class OperationTimeoutError extends Error {
  constructor(
    readonly operationId: string,
    readonly timeoutMs: number,
    readonly operation: unknown,
  ) {
    super(`operation ${operationId} did not end within ${timeoutMs} ms`);
    this.name = 'OperationTimeoutError';
  }
}

/** Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
