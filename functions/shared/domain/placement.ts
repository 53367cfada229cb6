import { createHash } from 'node:crypto';

/** No EKS cluster is configured for the database's region: a deployment mistake, not a transient failure. */
export class NoEksClusterError extends Error {
  readonly region: string;
  constructor(region: string) {
    super(`No EKS cluster is configured for region ${region} (regions[].eksClusters in cdk.json)`);
    this.name = 'NoEksClusterError';
    this.region = region;
  }
}

/**
 * Chooses the EKS cluster for a database: rendezvous (highest random weight) hashing of the
 * cluster id over the EKS clusters of the database's `region`, weighted by capacity.
 * Deterministic, so a retried placement lands on the same place, and adding an EKS cluster moves
 * no existing database. The pool holds every region's EKS clusters (a region that took over
 * another provisions that region's databases): a database runs in its own region only.
 */
export function place(
  clusterId: string,
  region: string,
  pool: ReadonlyArray<{ name: string; capacityNodes: number; region: string }>,
): string {
  let best: { name: string; score: number } | undefined;
  for (const eks of pool) {
    if (eks.region !== region) continue;
    const h = createHash('sha256').update(`${eks.name}/${clusterId}`).digest();
    // Uniform in (0,1]; -capacity/ln(u) is the weighted rendezvous score.
    const u = (h.readUIntBE(0, 6) + 1) / 2 ** 48;
    const score = -eks.capacityNodes / Math.log(u);
    if (!best || score > best.score) best = { name: eks.name, score };
  }
  if (!best) throw new NoEksClusterError(region);
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
