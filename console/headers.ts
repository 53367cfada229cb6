/**
 * The console's HTTP security headers, one definition for both places that serve it: the local
 * HTTP gateway (`npm start`, local/runtime/http-gateway.ts) and CloudFront's response headers
 * policy (lib/console.ts). The app loads only its own files (no inline script or style) and
 * talks only to the APIs in `apiOrigins`.
 */
export function consoleContentSecurityPolicy(apiOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${[...new Set(apiOrigins)].join(' ')}`.trim(),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The rest of the security headers (CloudFront sets these through its policy's own fields). */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};
