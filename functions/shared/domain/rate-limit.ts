/**
 * Per-tenant API rate limits (issue #10): each region's API admits at most `burst` requests of a
 * tenant per window of `burst / rate` seconds, so the tenant averages at most `rate` requests per
 * second and may spend a window's whole budget at once. Fixed windows, counted in DynamoDB, so the
 * limit holds across Lambda instances (functions/api/rate-limit.ts). Pure logic, no I/O.
 */
export interface RateLimits {
  /** Requests per second, on average, per region. */
  readonly rate: number;
  /** Requests one window admits (the most the tenant may send at once). */
  readonly burst: number;
}

/** What a tenant gets unless an operator sets other limits (`tenants rate-limit`). */
export const DEFAULT_RATE_LIMITS: RateLimits = { rate: 20, burst: 40 };

export const MAX_RATE = 10_000;
/** A window is at most this long, so a tenant that spent its budget waits at most this long. */
export const MAX_WINDOW_SECONDS = 60;

export interface RateWindow {
  /** Identifies the window (its length and index): limits changed mid-window start a new count. */
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** The fixed window `nowMs` falls in. */
export function windowOf(limits: RateLimits, nowMs: number): RateWindow {
  const lengthMs = Math.round((1000 * limits.burst) / limits.rate);
  const index = Math.floor(nowMs / lengthMs);
  return { id: `${lengthMs}#${index}`, startMs: index * lengthMs, endMs: (index + 1) * lengthMs };
}

/** Whole seconds until the window ends (at least 1): when a refused request may succeed. */
export function retryAfterSeconds(window: RateWindow, nowMs: number): number {
  return Math.max(1, Math.ceil((window.endMs - nowMs) / 1000));
}

/**
 * How many requests an API instance claims from the shared count at once: 5 % of the window's
 * budget, so a tenant far under its limit costs one counter write per lease rather than per
 * request, while the budget left unused in other instances' leases stays small. Small limits
 * lease one at a time, which is exact.
 */
export function leaseSize(limits: RateLimits): number {
  return Math.max(1, Math.floor(limits.burst / 20));
}

/** Why `limits` are not acceptable, or undefined when they are. */
export function rateLimitsProblem(limits: RateLimits): string | undefined {
  const { rate, burst } = limits;
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE)
    return `rate must be a whole number, 1 to ${MAX_RATE}`;
  if (!Number.isInteger(burst) || burst < rate) return 'burst must be a whole number, at least the rate';
  if (burst > rate * MAX_WINDOW_SECONDS)
    return `burst must be at most ${MAX_WINDOW_SECONDS} times the rate (a window of at most ${MAX_WINDOW_SECONDS} s)`;
  return undefined;
}

/** A tenant's limits: its own when an operator set them, else the defaults. */
export function limitsOf(
  tenant: { readonly apiRate?: number; readonly apiBurst?: number } | undefined,
): RateLimits {
  return tenant?.apiRate && tenant.apiBurst
    ? { rate: tenant.apiRate, burst: tenant.apiBurst }
    : DEFAULT_RATE_LIMITS;
}
