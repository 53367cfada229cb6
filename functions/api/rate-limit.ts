import {
  leaseSize,
  limitsOf,
  type RateLimits,
  type RateWindow,
  retryAfterSeconds,
  windowOf,
} from '../shared/domain/rate-limit.js';
import { ProblemError } from '../shared/errors.js';
import type { Store } from '../shared/store/store.js';

/** How long an API instance trusts a tenant's limits as read: an operator's change applies within this (plus replication). */
export const LIMITS_CACHE_MS = 30_000;

interface Lease {
  readonly window: string;
  /** Requests this instance may still admit in the window without counting again. */
  left: number;
  /** The shared count refused: refuse locally until the window ends, without a write. */
  exhausted: boolean;
}

/**
 * Per-tenant rate limiting for one API instance, over counters shared by every instance of the
 * region (RateLimitStore). The instance claims requests from the window's count in leases
 * (`leaseSize`) and admits them locally, so a tenant far under its limit costs one conditional
 * write per lease; once the count refuses, the instance refuses that tenant until the window ends,
 * writing nothing, so a tenant hammering the API does not hammer the table. The shared count
 * never goes over the limit; unused leases in other instances can only make it admit fewer.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly limits = new Map<string, { readonly limits: RateLimits; readonly readAt: number }>();

  constructor(private readonly store: Pick<Store, 'rateLimits' | 'tenants'>) {}

  /** Admits one request of the tenant, or throws 429 RATE_LIMITED with Retry-After. */
  async admit(tenantId: string, now: Date): Promise<void> {
    const nowMs = now.getTime();
    const limits = await this.limitsOf(tenantId, nowMs);
    const window = windowOf(limits, nowMs);
    const lease = this.leases.get(tenantId);
    if (lease?.window === window.id) {
      if (lease.left > 0) {
        lease.left--;
        return;
      }
      if (lease.exhausted) throw rateLimited(limits, window, nowMs);
    }
    const want = leaseSize(limits);
    let got = 0;
    if (await this.store.rateLimits.take(tenantId, window, want, limits.burst)) got = want;
    else if (want > 1 && (await this.store.rateLimits.take(tenantId, window, 1, limits.burst))) got = 1;
    this.leases.set(tenantId, { window: window.id, left: Math.max(0, got - 1), exhausted: got === 0 });
    if (got === 0) throw rateLimited(limits, window, nowMs);
  }

  private async limitsOf(tenantId: string, nowMs: number): Promise<RateLimits> {
    const cached = this.limits.get(tenantId);
    if (cached && nowMs - cached.readAt < LIMITS_CACHE_MS) return cached.limits;
    const limits = limitsOf(await this.store.tenants.get(tenantId));
    this.limits.set(tenantId, { limits, readAt: nowMs });
    return limits;
  }
}

function rateLimited(limits: RateLimits, window: RateWindow, nowMs: number): ProblemError {
  const seconds = retryAfterSeconds(window, nowMs);
  return new ProblemError(
    'RATE_LIMITED',
    `This tenant may send ${limits.burst} requests per ${(window.endMs - window.startMs) / 1000} s to this region's API; retry in ${seconds} s`,
    {},
    { headers: { 'retry-after': String(seconds) } },
  );
}
