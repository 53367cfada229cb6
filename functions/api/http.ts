import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ERROR_CODES, ProblemError } from '../shared/errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
}

/** Parses a JSON object body, with the errors a client can act on. */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ProblemError('PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  const contentType = header(event, 'content-type');
  if (!contentType || !/^application\/([a-z.+-]*\+)?json\s*(;.*)?$/i.test(contentType.trim())) {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', 'Send the body with content-type: application/json');
  }
  if (text.trim() === '')
    throw new ProblemError('MALFORMED_JSON', 'The request body is empty; a JSON object is expected');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ProblemError(
      'MALFORMED_JSON',
      `The request body is not valid JSON: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ProblemError('MALFORMED_JSON', 'The request body must be a JSON object');
  }
  return parsed;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function toResult(res: ApiResponse, correlationId: string): APIGatewayProxyResult {
  return {
    statusCode: res.status,
    headers: {
      ...SECURITY_HEADERS,
      ...(res.body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-correlation-id': correlationId,
      ...res.headers,
    },
    body: res.body === undefined ? '' : JSON.stringify(res.body),
  };
}

/** RFC 9457 problem document for any error; unknown errors become an opaque 500. */
export function problemResult(
  error: unknown,
  instance: string,
  correlationId: string,
): APIGatewayProxyResult {
  const p =
    error instanceof ProblemError
      ? error
      : new ProblemError('INTERNAL', `Internal error; quote correlation id ${correlationId} to support`);
  const extra: Record<string, string> =
    p.status === 401 ? { 'www-authenticate': 'Bearer realm="stratus"' } : {};
  return {
    statusCode: p.status,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'application/problem+json',
      'x-correlation-id': correlationId,
      ...extra,
      ...p.headers,
    },
    body: JSON.stringify({
      type: 'about:blank',
      title: ERROR_CODES[p.code].title,
      status: p.status,
      code: p.code,
      detail: p.message,
      instance,
      ...p.extensions,
    }),
  };
}
