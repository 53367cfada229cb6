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
import { TenantCache } from './tenant-cache.js';

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

  /** `tenants`: the instance's tenant items, shared with the quota checks (one read per tenant per 30 s for both). */
  constructor(
    private readonly store: Pick<Store, 'rateLimits' | 'tenants'>,
    private readonly tenants: TenantCache = new TenantCache(store),
  ) {}

  /** A lease being claimed, per tenant: concurrent requests wait for it rather than each claim one. */
  private readonly claims = new Map<string, Promise<void>>();

  /** Admits one request of the tenant, or throws 429 RATE_LIMITED with Retry-After. */
  async admit(tenantId: string, now: Date): Promise<void> {
    const nowMs = now.getTime();
    const limits = await this.limitsOf(tenantId, nowMs);
    const window = windowOf(limits, nowMs);
    // A request that arrives while a lease is being claimed waits for it, then takes from it. Each
    // claim of this window either leases requests or finds the count exhausted, so waiting ends;
    // a lease of another window (requests on both sides of a boundary) may replace ours a few
    // times at most before this one is counted alone.
    for (let foreign = 0; foreign < 3; ) {
      const lease = this.leases.get(tenantId);
      if (lease && lease.window !== window.id) foreign++;
      if (lease?.window === window.id) {
        if (lease.left > 0) {
          lease.left--;
          return;
        }
        if (lease.exhausted) throw rateLimited(limits, window, nowMs);
      }
      const pending = this.claims.get(tenantId);
      if (pending) {
        await pending;
        continue;
      }
      const claim = this.claim(tenantId, limits, window);
      this.claims.set(tenantId, claim);
      try {
        await claim;
      } finally {
        this.claims.delete(tenantId);
      }
    }
    // Still nothing to take from (leases of other windows kept replacing ours): count this one alone.
    if (!(await this.store.rateLimits.take(tenantId, window, 1, limits.burst))) {
      throw rateLimited(limits, window, nowMs);
    }
  }

  /** Claims a lease of the window's shared count for this instance (a whole one, or a last single request). */
  private async claim(tenantId: string, limits: RateLimits, window: RateWindow): Promise<void> {
    const want = leaseSize(limits);
    let got = 0;
    if (await this.store.rateLimits.take(tenantId, window, want, limits.burst)) got = want;
    else if (want > 1 && (await this.store.rateLimits.take(tenantId, window, 1, limits.burst))) got = 1;
    this.leases.set(tenantId, { window: window.id, left: got, exhausted: got === 0 });
  }

  private async limitsOf(tenantId: string, nowMs: number): Promise<RateLimits> {
    return limitsOf(await this.tenants.get(tenantId, nowMs));
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
