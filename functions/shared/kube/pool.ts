import * as z from 'zod';
import type { GatewayContext } from '../engines/endpoints.js';

/**
 * The EKS pool: every configured region's EKS clusters, as `EKS_CLUSTERS` carries them to every
 * function of every region (functions/topology.ts, `eksClusters`). Each region's functions know
 * the whole pool so that a region that took over another (docs/operations.md) can manage the
 * databases that run on the other region's EKS clusters; placement and the orphan scan still
 * choose only among the clusters of one region.
 */
export interface EksPoolEntry {
  /** The EKS cluster name, unique across all regions (lib/config.ts checks it). */
  readonly name: string;
  /** Maximum number of database nodes Stratus places on it. */
  readonly capacityNodes: number;
  /** The EKS cluster's region: where DescribeCluster and its tokens go. */
  readonly region: string;
  /**
   * Its Kubernetes API server's addresses, for the egress of pods that call it (RenderContext
   * `kubeApiCidrs`); undefined: the blueprints' default (the private ranges).
   */
  readonly apiServerCidrs?: readonly string[];
  /** Its shared gateway for public endpoints (RenderContext `gateway`); undefined: none. */
  readonly gateway?: GatewayContext;
}

const GatewaySchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1),
  proxyNamespace: z.string().min(1),
  hostSuffix: z.string().min(3),
  port: z.int().min(1).max(65535),
  issuer: z.string().min(1),
  databaseIssuer: z.string().min(1).optional(),
});

const EntrySchema = z.object({
  name: z.string().min(1),
  capacityNodes: z.number().int().positive(),
  region: z.string().min(1).optional(),
  apiServerCidrs: z
    .array(z.union([z.cidrv4(), z.cidrv6()]).refine((c) => !c.endsWith('/0'), 'not a whole address family'))
    .min(1)
    .optional(),
  gateway: GatewaySchema.optional(),
});

/** `EKS_CLUSTERS` as JSON carries it; `eksPoolOf` gives each entry its region. */
export const EksPoolSchema = z
  .array(EntrySchema)
  .min(1, 'EKS_CLUSTERS lists no EKS cluster')
  .refine((es) => new Set(es.map((e) => e.name)).size === es.length, 'EKS cluster names must be unique');

/**
 * The pool of `EKS_CLUSTERS` entries. An entry without `region` (the format before issue #9, or a
 * pool set by hand) is one of `ownRegion`'s clusters. Names must be unique: an EKS cluster name
 * alone identifies a database's placement.
 */
export function eksPoolOf(entries: z.output<typeof EksPoolSchema>, ownRegion: string): EksPoolEntry[] {
  return entries.map((e) => ({
    name: e.name,
    capacityNodes: e.capacityNodes,
    region: e.region ?? ownRegion,
    ...(e.apiServerCidrs ? { apiServerCidrs: e.apiServerCidrs } : {}),
    ...(e.gateway ? { gateway: e.gateway } : {}),
  }));
}

/** Parses `EKS_CLUSTERS` (`EksPoolSchema`, then `eksPoolOf`). */
export function parseEksPool(json: string, ownRegion: string): EksPoolEntry[] {
  return eksPoolOf(EksPoolSchema.parse(JSON.parse(json)), ownRegion);
}

/**
 * The `kubeApiCidrs` to render for objects placed on `eksCluster`: its configured API server
 * addresses, or undefined (the blueprints' default). The provisioner and the reconciler must pass
 * the same, or the reconciler would see drift in every `allow-kube-api` NetworkPolicy.
 */
export function kubeApiCidrsOf(
  pool: readonly EksPoolEntry[],
  eksCluster: string,
): readonly string[] | undefined {
  return pool.find((c) => c.name === eksCluster)?.apiServerCidrs;
}

/**
 * What the objects placed on `eksCluster` are rendered with beyond the spec: its API server
 * addresses and its gateway. The provisioner and the reconciler render with the same, or the
 * reconciler would see drift.
 */
export function placementContext(
  pool: readonly EksPoolEntry[],
  eksCluster: string,
): { kubeApiCidrs?: readonly string[]; gateway?: GatewayContext } {
  const entry = pool.find((c) => c.name === eksCluster);
  return {
    ...(entry?.apiServerCidrs ? { kubeApiCidrs: entry.apiServerCidrs } : {}),
    ...(entry?.gateway ? { gateway: entry.gateway } : {}),
  };
}

/** `TAKEOVER_ROLE_ARNS` as JSON carries it: region -> role ARN. */
export const TakeoverRoleArnsSchema = z.record(
  z.string().min(1),
  z.string().regex(/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN'),
);

/**
 * `TAKEOVER_ROLE_ARNS`: for each other region, the role this function assumes to reach that
 * region's EKS clusters (lib/functions.ts creates them; docs/eks.md, "Takeover access").
 */
export function parseTakeoverRoleArns(json: string): Record<string, string> {
  return TakeoverRoleArnsSchema.parse(JSON.parse(json));
}

/**
 * The EKS clusters whose databases `region`'s control plane manages: those of `region` itself,
 * unless another region took it over, plus those of every region it took over. `controllers` is
 * `store.regions.controllers()`: region -> managing region, for taken-over regions only.
 */
export function eksClustersManagedBy(
  pool: readonly EksPoolEntry[],
  region: string,
  controllers: Readonly<Record<string, string>>,
): EksPoolEntry[] {
  return pool.filter((c) => (controllers[c.region] ?? c.region) === region);
}
