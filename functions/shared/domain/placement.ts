import { createHash } from 'node:crypto';

/**
 * Chooses the EKS cluster for a database: rendezvous (highest random weight) hashing of the
 * cluster id over the region's EKS clusters, weighted by capacity. Deterministic, so a retried
 * placement lands on the same place, and adding an EKS cluster moves no existing database.
 */
export function place(
  clusterId: string,
  eksClusters: ReadonlyArray<{ name: string; capacityNodes: number }>,
): string {
  let best: { name: string; score: number } | undefined;
  for (const eks of eksClusters) {
    const h = createHash('sha256').update(`${eks.name}/${clusterId}`).digest();
    // Uniform in (0,1]; -capacity/ln(u) is the weighted rendezvous score.
    const u = (h.readUIntBE(0, 6) + 1) / 2 ** 48;
    const score = -eks.capacityNodes / Math.log(u);
    if (!best || score > best.score) best = { name: eks.name, score };
  }
  if (!best) throw new Error('no EKS cluster is configured for this region');
  return best.name;
}

/** Delay before the next readiness poll or retry: exponential with full jitter, capped. */
export function backoffSeconds(
  attempt: number,
  baseSeconds: number,
  capSeconds: number,
  random = Math.random,
): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.min(attempt, 20));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
