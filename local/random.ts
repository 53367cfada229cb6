/**
 * Seeded random sources for the local stand-ins and tests (dev and test tooling, never deployed).
 *
 * A run is given one seed; every source of randomness (a Kubernetes stand-in's faults, a queue's
 * duplicate deliveries, a stream's duplicate batches, the kill timing of a function, the chaos
 * workload) derives its own stream from that seed and its name, so one source's draws never depend
 * on how many draws another source made. A stream is a plain function, as `Math.random` is: the
 * sources live in the thread that starts the runtime, so nothing crosses a worker boundary.
 */

/** A source of uniformly distributed numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/** mulberry32: a small, fast PRNG with 32 bits of state. Good for test tooling, not for statistics. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The stream of one named source (`kube:eu-west-1`, `queue:eu-west-1/provisioner`, ...) for a
 * run's seed: the same seed and name always give the same sequence, different names give
 * unrelated ones. Without a seed, `Math.random` (an unseeded run, as `npm start` is).
 */
export function randomSource(seed: number | undefined, name: string): Random {
  if (seed === undefined) return Math.random;
  return seeded(fmix32(fnv1a(`${seed}/${name}`)));
}

/** Checks a seed given by a person (an environment variable, a flag): a non-negative safe integer. */
export function parseSeed(text: string, what = 'seed'): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed)) {
    throw new Error(`${what} must be a non-negative integer (got "${text}")`);
  }
  return seed;
}

/** A fresh seed, for a run that was not given one but must be replayable (print it). */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads FNV's low-entropy high bits over the whole word. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
