import { describe, expect, it } from 'vitest';
import { hashApiKey, newApiKeySecret } from '../../../functions/shared/domain/apikeys.js';
import { backoffSeconds, NoEksClusterError, place } from '../../../functions/shared/domain/placement.js';
import { isId, newId } from '../../../functions/shared/ids.js';

describe('Function: place', () => {
  const R = 'eu-west-1';
  const pools = [
    { name: 'a', capacityNodes: 100, region: R },
    { name: 'b', capacityNodes: 100, region: R },
    { name: 'c', capacityNodes: 200, region: R },
  ];

  it('is deterministic for a cluster id', () => {
    expect(place('cl-x', R, pools)).toBe(place('cl-x', R, [...pools].reverse()));
  });

  it('spreads clusters in proportion to capacity', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const p = place(`cl-${i}`, R, pools);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const share = (name: string) => (counts.get(name) ?? 0) / 4000;
    expect(share('c')).toBeGreaterThan(0.45);
    expect(share('c')).toBeLessThan(0.55);
    expect(share('a')).toBeGreaterThan(0.2);
    expect(share('b')).toBeGreaterThan(0.2);
  });

  it('moves no existing cluster to an old pool when a pool is added', () => {
    const before = Array.from({ length: 500 }, (_, i) => place(`cl-${i}`, R, pools));
    const after = Array.from({ length: 500 }, (_, i) =>
      place(`cl-${i}`, R, [...pools, { name: 'd', capacityNodes: 100, region: R }]),
    );
    const moved = after.filter((p, i) => p !== before[i]);
    expect(moved.every((p) => p === 'd')).toBe(true);
  });

  it('refuses an empty pool list', () => {
    expect(() => place('cl-x', R, [])).toThrow(NoEksClusterError);
  });

  it("chooses only among the EKS clusters of the database's region, however large another region's are", () => {
    // Prepare: every region's pool, as EKS_CLUSTERS carries it since issue #9
    const all = [...pools, { name: 'use1-a', capacityNodes: 100_000, region: 'us-east-1' }];

    // Act
    const placed = new Set(Array.from({ length: 500 }, (_, i) => place(`cl-${i}`, R, all)));
    const elsewhere = new Set(Array.from({ length: 50 }, (_, i) => place(`cl-${i}`, 'us-east-1', all)));

    // Assess
    expect([...placed].sort()).toEqual(['a', 'b', 'c']);
    expect([...elsewhere]).toEqual(['use1-a']);
    // The same choice as with the region's clusters alone: adding other regions moves nothing.
    expect(Array.from({ length: 500 }, (_, i) => place(`cl-${i}`, R, all))).toEqual(
      Array.from({ length: 500 }, (_, i) => place(`cl-${i}`, R, pools)),
    );
  });

  it('refuses a region that has no EKS cluster in the pool, naming the region', () => {
    expect(() => place('cl-x', 'ap-south-1', pools)).toThrow(/region ap-south-1/);
  });
});

describe('Function: backoffSeconds', () => {
  it('grows exponentially within [ceiling/2, ceiling] and is capped', () => {
    expect(backoffSeconds(0, 2, 60, () => 0)).toBe(1);
    expect(backoffSeconds(3, 2, 60, () => 1)).toBe(16);
    expect(backoffSeconds(3, 2, 60, () => 0)).toBe(8);
    expect(backoffSeconds(50, 2, 60, () => 1)).toBe(60);
  });
});

describe('Function: newId', () => {
  it('makes DNS-safe, time-ordered ids', () => {
    const a = newId('cl', 1_700_000_000_000);
    const b = newId('cl', 1_700_000_000_001);
    expect(isId('cl', a)).toBe(true);
    expect(a < b).toBe(true);
    expect(`stratus-${a}`).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(isId('cl', 'cl-../../x')).toBe(false);
  });
});

describe('Function: API keys', () => {
  it('are high-entropy secrets stored only as a SHA-256 hash', () => {
    const k = newApiKeySecret();
    expect(k).toMatch(/^stratus_[A-Za-z0-9_-]{40}$/);
    expect(hashApiKey(k)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(k)).not.toContain(k);
  });
});
