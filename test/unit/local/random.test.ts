import { describe, expect, it } from 'vitest';
import { parseSeed, randomSource, seeded } from '../../../local/random.js';

const draw = (r: () => number, n: number) => Array.from({ length: n }, r);

describe('Function: randomSource', () => {
  it('gives the same sequence for the same seed and name', () => {
    // Act
    const a = draw(randomSource(20260305, 'kube:eu-west-1'), 1000);
    const b = draw(randomSource(20260305, 'kube:eu-west-1'), 1000);

    // Assess
    expect(a).toEqual(b);
  });

  it('gives unrelated sequences to different names and to different seeds', () => {
    // Prepare
    const names = ['kube:eu-west-1', 'kube:us-east-1', 'queue:eu-west-1/provisioner', 'stream:eu-west-1/a'];

    // Act
    const sequences = names.map((n) => draw(randomSource(7, n), 200));
    const otherSeed = draw(randomSource(8, 'kube:eu-west-1'), 200);

    // Assess: no two sequences share a value at the same position, nor one shifted by a few draws.
    const all = [...sequences, otherSeed];
    for (const [i, x] of all.entries()) {
      for (const y of all.slice(i + 1)) {
        for (let shift = 0; shift < 50; shift++) {
          const same = x.slice(shift).filter((v, k) => v === y[k]).length;
          expect(same, `sequences ${i} and another, shifted by ${shift}`).toBeLessThan(2);
        }
      }
    }
  });

  it("does not depend on another source's draws", () => {
    // Prepare
    const alone = draw(randomSource(1, 'stream:us-east-1/dispatcher'), 20);
    const busy = randomSource(1, 'kube:us-east-1');
    const quiet = randomSource(1, 'stream:us-east-1/dispatcher');

    // Act
    const interleaved: number[] = [];
    for (let i = 0; i < 20; i++) {
      draw(busy, 1 + i);
      interleaved.push(quiet());
    }

    // Assess
    expect(interleaved).toEqual(alone);
  });

  it('draws uniformly in [0, 1)', () => {
    const values = draw(randomSource(42, 'uniformity'), 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const deciles = Array.from(
      { length: 10 },
      (_, d) => values.filter((v) => Math.floor(v * 10) === d).length,
    );
    for (const n of deciles) expect(n).toBeGreaterThan(1800);
  });

  it('is Math.random when no seed is given', () => {
    expect(randomSource(undefined, 'kube:eu-west-1')).toBe(Math.random);
  });
});

describe('Function: seeded', () => {
  it('is mulberry32 (reference values)', () => {
    expect(draw(seeded(1), 3)).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
});

describe('Function: parseSeed', () => {
  it('accepts non-negative integers and says what is wrong otherwise', () => {
    expect(parseSeed('20260305')).toBe(20260305);
    expect(() => parseSeed('-1', 'CHAOS_SEED')).toThrow(
      'CHAOS_SEED must be a non-negative integer (got "-1")',
    );
    expect(() => parseSeed('1.5')).toThrow('non-negative integer');
    expect(() => parseSeed('')).toThrow('non-negative integer');
    expect(() => parseSeed('99999999999999999999')).toThrow('non-negative integer');
  });
});
