import { createKubeClient, type KubeClient } from './client.js';
import { eksKubeConfigProvider, fileKubeConfigProvider, type KubeConfigProvider } from './provider.js';

/** Kubernetes access for a function: one client per EKS cluster and credential. */
export interface KubeAccess {
  client(eksCluster: string): Promise<KubeClient>;
  /** Drops cached credentials after a 401, so the next call builds a fresh token. */
  invalidate(eksCluster: string): void;
}

/**
 * `eks`: endpoint and CA from DescribeCluster and an IAM token (in AWS), in each EKS cluster's
 * own region, through that region's takeover role when it is not the function's region;
 * `kubeconfig`: a kubeconfig file (the local runtime's stand-in, or a real cluster). Clients are
 * reused while the provider returns the same config object, so discovery results survive
 * across invocations.
 */
export function kubeAccess(opts: {
  auth: 'eks' | 'kubeconfig';
  region: string;
  kubeconfig?: string;
  /**
   * Every region's EKS clusters, for their regions (the function's `EKS_CLUSTERS`, read by its
   * env schema).
   *
   * @default - none listed: every cluster is taken to be in `region`
   */
  eksClusters?: ReadonlyArray<{ name: string; region: string }>;
  /** Region -> takeover role ARN (the function's `TAKEOVER_ROLE_ARNS`). @default - none */
  takeoverRoleArns?: Readonly<Record<string, string>>;
}): KubeAccess {
  const provider: KubeConfigProvider =
    opts.auth === 'eks' ? eksProvider(opts) : fileKubeConfigProvider(opts.kubeconfig);
  const clients = new Map<string, { config: unknown; client: KubeClient }>();
  return {
    async client(eksCluster) {
      const config = await provider.get(eksCluster);
      const cached = clients.get(eksCluster);
      if (cached && cached.config === config) return cached.client;
      const client = createKubeClient(config);
      clients.set(eksCluster, { config, client });
      return client;
    },
    invalidate: (eksCluster) => provider.invalidate(eksCluster),
  };
}

function eksProvider(opts: Parameters<typeof kubeAccess>[0]): KubeConfigProvider {
  return eksKubeConfigProvider({
    region: opts.region,
    clusterRegions: Object.fromEntries((opts.eksClusters ?? []).map((c) => [c.name, c.region])),
    takeoverRoleArns: opts.takeoverRoleArns ?? {},
  });
}
