import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Static credentials or a provider of them (what the SDK clients accept). */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The signature's own validity; EKS accepts the token for 15 minutes regardless. */
export const EKS_TOKEN_PRESIGN_EXPIRES_SECONDS = 60;

export interface EksTokenOptions {
  /** The EKS cluster name, bound into the token by the signed `x-k8s-aws-id` header. */
  readonly clusterName: string;
  /** Region of the STS endpoint, normally the cluster's region. */
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** @default - now */
  readonly signingDate?: Date;
}

export function stsHostname(region: string): string {
  return `sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/**
 * Builds a bearer token for the EKS API server exactly as aws-iam-authenticator does: a presigned
 * STS GetCallerIdentity URL (SigV4, `x-k8s-aws-id` signed, 60 s expiry), base64url without padding.
 */
export async function createEksToken(opts: EksTokenOptions): Promise<string> {
  const hostname = stsHostname(opts.region);
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: 'sts',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': opts.clusterName },
    },
    {
      expiresIn: EKS_TOKEN_PRESIGN_EXPIRES_SECONDS,
      ...(opts.signingDate ? { signingDate: opts.signingDate } : {}),
    },
  );
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(presigned.query ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') query.append(key, v);
  }
  const url = `https://${hostname}/?${query.toString()}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}
