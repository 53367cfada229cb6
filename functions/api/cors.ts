/**
 * CORS of the API, for browser clients such as the web console (README, "Console"): a request
 * whose Origin is one of the allowed origins (`STRATUS_CORS_ORIGINS`) gets it back in
 * Access-Control-Allow-Origin; any other gets no CORS header, so a browser withholds the answer.
 * No credentials mode: the API key travels in Authorization, set by the page, never in a cookie.
 * The preflight (OPTIONS) is answered by API Gateway (lib/api.ts) and locally by the gateway
 * stand-in, with the same lists.
 */
export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'];
export const CORS_EXPOSE_HEADERS = ['location', 'retry-after', 'x-correlation-id'];
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];
/** Seconds a browser may keep a preflight's answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The CORS headers of an answer to `origin`: none unless it is allowed. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (!origin || !allowed.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS.join(', '),
    vary: 'Origin',
  };
}

/** The answer to a preflight from `origin` (the gateway's, not the function's). */
export function corsPreflightHeaders(
  origin: string | undefined,
  allowed: readonly string[],
): Record<string, string> {
  if (!origin || !allowed.includes(origin)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': CORS_ALLOW_METHODS.join(', '),
    'access-control-allow-headers': CORS_ALLOW_HEADERS.join(', '),
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    vary: 'Origin',
  };
}
