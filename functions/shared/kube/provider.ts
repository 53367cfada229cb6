import { delimiter } from 'node:path';
import { DescribeClusterCommand, type DescribeClusterCommandOutput, EKSClient } from '@aws-sdk/client-eks';
import { KubeConfig } from '@kubernetes/client-node';
import { type AwsCredentials, createEksToken } from './eks-auth.js';
import { KubeApiError } from './errors.js';

/**
 * Kubernetes access per EKS cluster. `get` returns the same KubeConfig object until its
 * credentials change, so callers may cache clients keyed on it.
 */
export interface KubeConfigProvider {
  get(eksClusterName: string): Promise<KubeConfig>;
  /** Drops cached credentials (after a 401) so the next `get` builds fresh ones. */
  invalidate(eksClusterName: string): void;
}

export interface EksKubeConfigProviderOptions {
  readonly region: string;
  /** @default - a client for `region` */
  readonly eks?: EKSClient;
  /** @default - the EKS client's credential chain (the Lambda role) */
  readonly credentials?: AwsCredentials;
  /** Tokens older than this are rebuilt; EKS accepts a token for 15 minutes. @default 600000 */
  readonly tokenMaxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Endpoint {
  readonly server: string;
  /** Base64 PEM, as DescribeCluster returns it and as kubeconfig `certificate-authority-data` wants it. */
  readonly caData: string;
}

const USER = 'stratus';

function buildKubeConfig(name: string, endpoint: Endpoint, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: endpoint.server, caData: endpoint.caData, skipTLSVerify: false }],
    users: [{ name: USER, token }],
    contexts: [{ name, cluster: name, user: USER }],
    currentContext: name,
  });
  return kc;
}

/**
 * KubeConfigs for EKS clusters, authenticated with an aws-iam-authenticator token signed by the
 * Lambda's own role. Endpoint and CA come from DescribeCluster and live as long as the warm
 * Lambda; tokens are rebuilt when older than `tokenMaxAgeMs` or after `invalidate`.
 */
export function eksKubeConfigProvider(opts: EksKubeConfigProviderOptions): KubeConfigProvider {
  const eks = opts.eks ?? new EKSClient({ region: opts.region });
  const credentials = opts.credentials ?? eks.config.credentials;
  const maxAge = opts.tokenMaxAgeMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  const endpoints = new Map<string, Endpoint>();
  const configs = new Map<string, { kc: KubeConfig; issuedAt: number }>();

  async function describe(name: string): Promise<Endpoint> {
    const hit = endpoints.get(name);
    if (hit) return hit;
    let cluster: DescribeClusterCommandOutput['cluster'];
    try {
      ({ cluster } = await eks.send(new DescribeClusterCommand({ name })));
    } catch (e) {
      const err = e as { name?: string; $retryable?: unknown; $fault?: string; message?: string };
      if (err.name === 'ResourceNotFoundException') {
        throw new KubeApiError(`EKS cluster ${name} not found`, {
          reason: 'EksClusterNotFound',
          retryable: false,
          cause: e,
        });
      }
      if (err.$retryable || err.$fault === 'server') {
        throw new KubeApiError(`DescribeCluster ${name} failed: ${err.message}`, {
          reason: 'EksUnavailable',
          retryable: true,
          cause: e,
        });
      }
      throw e;
    }
    const server = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!server || !caData) {
      const status = cluster?.status ?? 'UNKNOWN';
      throw new KubeApiError(`EKS cluster ${name} has no API endpoint yet (status ${status})`, {
        reason: 'EksClusterNotReady',
        retryable: status === 'CREATING' || status === 'PENDING' || status === 'UPDATING',
      });
    }
    const endpoint = { server, caData };
    endpoints.set(name, endpoint);
    return endpoint;
  }

  return {
    async get(name) {
      const cached = configs.get(name);
      if (cached && now() - cached.issuedAt < maxAge) return cached.kc;
      const endpoint = await describe(name);
      const issuedAt = now();
      const token = await createEksToken({ clusterName: name, region: opts.region, credentials });
      const kc = buildKubeConfig(name, endpoint, token);
      configs.set(name, { kc, issuedAt });
      return kc;
    },
    invalidate(name) {
      configs.delete(name);
    },
  };
}

/**
 * KubeConfigs from a kubeconfig file (local runs and tests against the stand-in or any real
 * cluster). Uses the context named like the EKS cluster when there is one, else the current one.
 */
export function fileKubeConfigProvider(
  path: string | undefined = process.env.KUBECONFIG,
): KubeConfigProvider {
  let base: KubeConfig | undefined;
  const configs = new Map<string, KubeConfig>();
  return {
    async get(name) {
      const hit = configs.get(name);
      if (hit) return hit;
      if (!path) throw new Error('fileKubeConfigProvider: pass a kubeconfig path or set KUBECONFIG');
      if (path.includes(delimiter)) {
        throw new Error(`fileKubeConfigProvider: one kubeconfig file expected, got the list ${path}`);
      }
      if (!base) {
        base = new KubeConfig();
        base.loadFromFile(path);
      }
      const contexts = base.getContexts();
      const currentContext = contexts.some((c) => c.name === name) ? name : base.getCurrentContext();
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: base.getClusters(), users: base.getUsers(), contexts, currentContext });
      configs.set(name, kc);
      return kc;
    },
    invalidate(name) {
      configs.delete(name);
      base = undefined;
    },
  };
}
