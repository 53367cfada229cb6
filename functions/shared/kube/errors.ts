import { ApiException } from '@kubernetes/client-node';

/** Network failures worth retrying: the API server was unreachable or dropped the connection. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface KubeApiErrorProps {
  /** HTTP status; undefined when no response arrived (network failure, timeout). */
  readonly status?: number;
  /** The Kubernetes `Status.reason` (`NotFound`, `Conflict`...) or a network code (`ECONNREFUSED`, `Timeout`). */
  readonly reason: string;
  readonly retryable: boolean;
  /** 401: the token expired or was revoked; refresh it once and retry. */
  readonly unauthorized?: boolean;
  /** `Status.details`, when the API server sent one. */
  readonly details?: unknown;
  readonly cause?: unknown;
}

/** A failed call to the Kubernetes API, classified for the caller's retry policy. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly status: number | undefined;
  readonly reason: string;
  readonly retryable: boolean;
  readonly unauthorized: boolean;
  readonly details: unknown;

  constructor(message: string, props: KubeApiErrorProps) {
    super(message, { cause: props.cause });
    this.status = props.status;
    this.reason = props.reason;
    this.retryable = props.retryable;
    this.unauthorized = props.unauthorized ?? false;
    this.details = props.details;
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: unknown;
}

/** client-node 1.4 puts the raw response text in `ApiException.body`. */
function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string' || body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : {};
  } catch {
    return { message: body.slice(0, 500) };
  }
}

const REASON_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const { code, cause } = cur as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    cur = cause;
  }
  return undefined;
}

/**
 * Classifies an error thrown while talking to Kubernetes; undefined when the error did not come
 * from the Kubernetes API or the network (a programming error, say), so the caller rethrows it.
 */
export function classifyKubeError(e: unknown): KubeApiError | undefined {
  if (e instanceof KubeApiError) return e;
  if (e instanceof ApiException) {
    const status = e.code;
    const body = parseStatus(e.body);
    const reason = body.reason || REASON_BY_STATUS[status] || 'Unknown';
    const message = body.message || `Kubernetes API answered HTTP ${status}`;
    return new KubeApiError(`${message} (HTTP ${status} ${reason})`, {
      status,
      reason,
      retryable: isRetryableStatus(status),
      unauthorized: status === 401,
      details: body.details,
      cause: e,
    });
  }
  if (!(e instanceof Error)) return undefined;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return new KubeApiError(`Kubernetes API request timed out: ${e.message}`, {
      reason: 'Timeout',
      retryable: true,
      cause: e,
    });
  }
  const code = errorCode(e);
  if (code && (RETRYABLE_NETWORK_CODES.has(code) || e.name === 'FetchError')) {
    return new KubeApiError(`Kubernetes API unreachable: ${e.message}`, {
      reason: code,
      retryable: RETRYABLE_NETWORK_CODES.has(code),
      cause: e,
    });
  }
  return undefined;
}
