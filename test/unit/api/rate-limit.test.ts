import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../functions/api/rate-limit.js';
import {
  DEFAULT_RATE_LIMITS,
  leaseSize,
  limitsOf,
  type RateLimits,
  type RateWindow,
  rateLimitsProblem,
  retryAfterSeconds,
  windowOf,
} from '../../../functions/shared/domain/rate-limit.js';

describe('Function: windowOf', () => {
  it('cuts time into windows of burst / rate seconds', () => {
    // 40 requests at 20 per second: 2-second windows.
    expect(windowOf({ rate: 20, burst: 40 }, 10_500)).toEqual({
      id: '2000#5',
      startMs: 10_000,
      endMs: 12_000,
    });
    expect(windowOf({ rate: 20, burst: 40 }, 11_999).id).toBe('2000#5');
    expect(windowOf({ rate: 20, burst: 40 }, 12_000).id).toBe('2000#6');
    // Other limits, another count: a change mid-window does not inherit the old count.
    expect(windowOf({ rate: 10, burst: 40 }, 10_500).id).toBe('4000#2');
  });
});

describe('Function: retryAfterSeconds', () => {
  const w: RateWindow = { id: 'w', startMs: 10_000, endMs: 12_000 };
  it.each([
    [10_000, 2],
    [10_001, 2],
    [11_000, 1],
    [11_999, 1],
    [12_000, 1], // never 0: "now" may be a little ahead of the window the count refused
  ])('at %i ms says %i s', (now, seconds) => {
    expect(retryAfterSeconds(w, now)).toBe(seconds);
  });
});

describe('Function: leaseSize and rateLimitsProblem', () => {
  it('leases 5 % of a window, at least one', () => {
    expect(leaseSize({ rate: 20, burst: 40 })).toBe(2);
    expect(leaseSize({ rate: 100, burst: 200 })).toBe(10);
    expect(leaseSize({ rate: 1, burst: 19 })).toBe(1);
  });

  it.each([
    [{ rate: 0, burst: 10 }, 'rate must be'],
    [{ rate: 1.5, burst: 10 }, 'rate must be'],
    [{ rate: 10_001, burst: 20_000 }, 'rate must be'],
    [{ rate: 10, burst: 5 }, 'burst must be a whole number, at least the rate'],
    [{ rate: 1, burst: 61 }, 'burst must be at most 60 times the rate'],
  ])('refuses %o', (limits, problem) => {
    expect(rateLimitsProblem(limits)).toContain(problem);
  });

  it('accepts the defaults and a tenant without limits gets them', () => {
    expect(rateLimitsProblem(DEFAULT_RATE_LIMITS)).toBeUndefined();
    expect(limitsOf({})).toEqual(DEFAULT_RATE_LIMITS);
    expect(limitsOf({ apiRate: 5, apiBurst: 10 })).toEqual({ rate: 5, burst: 10 });
  });
});

/** The shared counters of a region, as RateLimitStore keeps them (conditional ADD). */
function sharedCounters(limitsByTenant: Record<string, RateLimits>) {
  const counts = new Map<string, number>();
  const takes: Array<{ tenantId: string; n: number }> = [];
  const store = {
    rateLimits: {
      async take(tenantId: string, window: RateWindow, n: number, limit: number) {
        takes.push({ tenantId, n });
        const key = `${tenantId}/${window.id}`;
        const count = counts.get(key) ?? 0;
        if (count + n > limit) return false;
        counts.set(key, count + n);
        return true;
      },
    },
    tenants: {
      async get(tenantId: string) {
        const l = limitsByTenant[tenantId];
        return l ? ({ tenantId, apiRate: l.rate, apiBurst: l.burst } as never) : undefined;
      },
    },
  };
  return { store: store as unknown as ConstructorParameters<typeof RateLimiter>[0], takes, counts };
}

async function outcome(limiter: RateLimiter, tenantId: string, now: Date) {
  try {
    await limiter.admit(tenantId, now);
    return 'ok';
  } catch (e) {
    const p = e as { code: string; headers: Record<string, string> };
    return `${p.code} ${p.headers['retry-after']}`;
  }
}

describe('Class: RateLimiter', () => {
  const at = (ms: number) => new Date(1_800_000_000_000 + ms); // a multiple of every window length used

  it('admits exactly burst requests per window across instances, then 429 with Retry-After', async () => {
    // Prepare: two API instances sharing one region's counters; 100 per 10 s, leases of 5.
    const { store } = sharedCounters({ a: { rate: 10, burst: 100 } });
    const one = new RateLimiter(store);
    const two = new RateLimiter(store);

    // Act: 60 requests to each instance, 1 ms apart, at the start of a window.
    const results: string[] = [];
    for (let i = 0; i < 60; i++) {
      results.push(await outcome(one, 'a', at(2 * i)));
      results.push(await outcome(two, 'a', at(2 * i + 1)));
    }

    // Assess: 100 admitted (leases taken whole, nothing lost), the rest refused until the window ends.
    expect(results.filter((r) => r === 'ok')).toHaveLength(100);
    expect(new Set(results.filter((r) => r !== 'ok'))).toEqual(new Set(['RATE_LIMITED 10']));
    // Assess: the next window admits again.
    expect(await outcome(one, 'a', at(10_000))).toBe('ok');
  });

  it('admits concurrent requests of one instance from one lease at a time, losing none of the budget', async () => {
    // Prepare: 100 per 10 s, leases of 5; one instance (the local gateway, an in-process caller)
    // receives 25 requests of a tenant at once, before any lease is held.
    const { store, takes } = sharedCounters({ a: { rate: 10, burst: 100 } });
    const limiter = new RateLimiter(store);

    // Act
    const results = await Promise.all(Array.from({ length: 25 }, () => outcome(limiter, 'a', at(0))));

    // Assess: all 25 are within the budget and admitted, from 5 leases: concurrent requests wait
    // for the lease being claimed instead of each claiming (and overwriting) its own.
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
    expect(takes.filter((t) => t.n === 5)).toHaveLength(5);
  });

  it('writes once per lease when far under the limit, and not at all while refusing', async () => {
    // Prepare
    const { store, takes } = sharedCounters({ a: { rate: 10, burst: 100 } });
    const limiter = new RateLimiter(store);

    // Act: 100 requests (the whole budget), then 50 refused ones in the same window.
    for (let i = 0; i < 150; i++) await outcome(limiter, 'a', at(i));

    // Assess: 20 leases of 5, one refused lease, one refused single take; nothing after.
    expect(takes.filter((t) => t.n === 5)).toHaveLength(21);
    expect(takes.filter((t) => t.n === 1)).toHaveLength(1);
    expect(takes).toHaveLength(22);
  });

  it('falls back to a single request when less than a lease is left', async () => {
    // Prepare: another instance took 98 of 100.
    const { store, counts } = sharedCounters({ a: { rate: 10, burst: 100 } });
    counts.set(`a/${windowOf({ rate: 10, burst: 100 }, at(0).getTime()).id}`, 98);
    const limiter = new RateLimiter(store);

    // Act
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(limiter, 'a', at(i)));

    // Assess
    expect(results).toEqual(['ok', 'ok', 'RATE_LIMITED 10']);
  });

  it('limits each tenant on its own: one over its limit does not slow another', async () => {
    // Prepare
    const { store } = sharedCounters({ noisy: { rate: 1, burst: 2 } });
    const limiter = new RateLimiter(store);

    // Act
    const noisy = [];
    for (let i = 0; i < 4; i++) noisy.push(await outcome(limiter, 'noisy', at(i)));
    const quiet = [];
    for (let i = 0; i < 4; i++) quiet.push(await outcome(limiter, 'quiet', at(10 + i)));

    // Assess: the default limits (40 per 2 s) for the quiet tenant.
    expect(noisy).toEqual(['ok', 'ok', 'RATE_LIMITED 2', 'RATE_LIMITED 2']);
    expect(quiet).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
