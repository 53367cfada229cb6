import { delimiter } from 'node:path';
import { DescribeClusterCommand, type DescribeClusterCommandOutput, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { KubeConfig } from '@kubernetes/client-node';
import { tracer } from '../observability.js';
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
  /** The function's own region: its EKS clusters are reached with the function's own role. */
  readonly region: string;
  /**
   * EKS cluster name -> the cluster's region (every configured region's, from `EKS_CLUSTERS`).
   * DescribeCluster and the token go to that region. A cluster not listed is in `region`.
   *
   * @default {}
   */
  readonly clusterRegions?: Readonly<Record<string, string>>;
  /**
   * Region -> the role to assume for that region's EKS clusters (`TAKEOVER_ROLE_ARNS`): a region
   * that took over another manages its databases on the other region's clusters, where only
   * that role has an access entry (docs/eks.md, "Takeover access").
   *
   * @default {} - another region's cluster fails with a non-retryable `NoTakeoverRole` error
   */
  readonly takeoverRoleArns?: Readonly<Record<string, string>>;
  /** @default - a client for `region` */
  readonly eks?: EKSClient;
  /** @default - the EKS client's credential chain (the Lambda role) */
  readonly credentials?: AwsCredentials;
  /** Client for AssumeRole. @default - an STS client for `region` (IAM is global; STS answers in every region) */
  readonly sts?: STSClient;
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

interface AssumedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

const USER = 'stratus';
/** Assumed sessions last an hour (the role's default maximum). */
const SESSION_SECONDS = 3600;
/** Extra life an assumed session must have beyond a token's reuse, or it is renewed first. */
const SESSION_MARGIN_MS = 5 * 60_000;

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

/** An SDK error thrown by AWS, as far as the provider needs to classify it. */
interface AwsError {
  name?: string;
  $retryable?: unknown;
  $fault?: string;
  message?: string;
}

/**
 * KubeConfigs for EKS clusters, authenticated with an aws-iam-authenticator token. A cluster of
 * the function's own region gets a token signed by the Lambda's own role; a cluster of another
 * region (after a takeover) gets one signed by that region's takeover role, assumed with STS and
 * kept until shortly before it expires, and its DescribeCluster goes to its own region with
 * those credentials. Endpoint and CA live as long as the warm Lambda; tokens are rebuilt when
 * older than `tokenMaxAgeMs` or after `invalidate`.
 */
export function eksKubeConfigProvider(opts: EksKubeConfigProviderOptions): KubeConfigProvider {
  const ownEks = opts.eks ?? tracer.captureAWSv3Client(new EKSClient({ region: opts.region }));
  const ownCredentials = opts.credentials ?? ownEks.config.credentials;
  const clusterRegions = opts.clusterRegions ?? {};
  const takeoverRoleArns = opts.takeoverRoleArns ?? {};
  const maxAge = opts.tokenMaxAgeMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  const endpoints = new Map<string, Endpoint>();
  const configs = new Map<string, { kc: KubeConfig; issuedAt: number }>();
  const eksClients = new Map<string, EKSClient>([[opts.region, ownEks]]);
  /** Assumed takeover sessions by region; `renewAt` is infinite while AssumeRole is in flight. */
  const sessions = new Map<string, { creds: Promise<AssumedCredentials>; renewAt: number }>();
  let sts: STSClient | undefined;

  const regionOf = (name: string) => clusterRegions[name] ?? opts.region;

  /** The takeover role's credentials for `region`, assumed once and reused until near expiry. */
  function assumed(region: string): Promise<AssumedCredentials> {
    const roleArn = takeoverRoleArns[region];
    if (roleArn === undefined) {
      return Promise.reject(
        new KubeApiError(
          `No takeover role for region ${region}: this region cannot reach ${region}'s EKS clusters (TAKEOVER_ROLE_ARNS; docs/eks.md, "Takeover access")`,
          { reason: 'NoTakeoverRole', retryable: false },
        ),
      );
    }
    const hit = sessions.get(region);
    if (hit && now() < hit.renewAt) return hit.creds;
    const entry = { creds: assumeRole(roleArn), renewAt: Number.POSITIVE_INFINITY };
    sessions.set(region, entry);
    entry.creds.then(
      // Renewed before it could expire while a token signed with it is still in use.
      (c) => {
        entry.renewAt = c.expiration.getTime() - maxAge - SESSION_MARGIN_MS;
      },
      () => {
        if (sessions.get(region) === entry) sessions.delete(region); // the next call tries again
      },
    );
    return entry.creds;
  }

  async function assumeRole(roleArn: string): Promise<AssumedCredentials> {
    sts ??= opts.sts ?? tracer.captureAWSv3Client(new STSClient({ region: opts.region }));
    let res: AssumeRoleCommandOutput;
    try {
      res = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `stratus-${opts.region}`,
          DurationSeconds: SESSION_SECONDS,
        }),
      );
    } catch (e) {
      const err = e as AwsError;
      if (err.$retryable || err.$fault === 'server') {
        throw new KubeApiError(`AssumeRole ${roleArn} failed: ${err.message}`, {
          reason: 'StsUnavailable',
          retryable: true,
          cause: e,
        });
      }
      // AccessDenied: the role does not exist (takeover access off in that region) or does not trust us.
      throw new KubeApiError(`Cannot assume the takeover role ${roleArn}: ${err.message}`, {
        reason: 'TakeoverRoleDenied',
        retryable: false,
        cause: e,
      });
    }
    const c = res.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }

  /** The credentials that reach `region`'s EKS clusters: the Lambda's own, or the takeover role's. */
  async function credentialsFor(region: string): Promise<AwsCredentials> {
    return region === opts.region ? ownCredentials : assumed(region);
  }

  function eksFor(region: string): EKSClient {
    let client = eksClients.get(region);
    if (!client) {
      client = tracer.captureAWSv3Client(new EKSClient({ region, credentials: () => assumed(region) }));
      eksClients.set(region, client);
    }
    return client;
  }

  async function describe(name: string): Promise<Endpoint> {
    const hit = endpoints.get(name);
    if (hit) return hit;
    const region = regionOf(name);
    // Fails before any DescribeCluster when no takeover role exists for that region.
    if (region !== opts.region) await credentialsFor(region);
    let cluster: DescribeClusterCommandOutput['cluster'];
    try {
      ({ cluster } = await eksFor(region).send(new DescribeClusterCommand({ name })));
    } catch (e) {
      if (e instanceof KubeApiError) throw e; // from assuming the takeover role
      const err = e as AwsError;
      if (err.name === 'ResourceNotFoundException') {
        throw new KubeApiError(`EKS cluster ${name} not found in ${region}`, {
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
      const region = regionOf(name);
      const credentials = await credentialsFor(region);
      const issuedAt = now();
      const token = await createEksToken({ clusterName: name, region, credentials });
      const kc = buildKubeConfig(name, endpoint, token);
      configs.set(name, { kc, issuedAt });
      return kc;
    },
    invalidate(name) {
      configs.delete(name);
      // A 401 with an assumed session may mean its sessions were revoked: assume the role again.
      const region = regionOf(name);
      if (region !== opts.region) sessions.delete(region);
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
