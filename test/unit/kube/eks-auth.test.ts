import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEksToken, EKS_TOKEN_PREFIX } from '../../../functions/shared/kube/eks-auth.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEBY+/session=token',
};
const signingDate = new Date('2024-01-02T03:04:05Z');

/** RFC 3986 encoding as SigV4 wants it. */
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** SigV4 query-string signing, written from the AWS specification, independently of the SDK. */
function expectedSignature(params: URLSearchParams, host: string, clusterName: string): string {
  const canonicalQuery = [...params.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    sha256Hex(''),
  ].join('\n');
  const scope = '20240102/eu-west-1/sts/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', '20240102T030405Z', scope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const kDate = hmac(`AWS4${credentials.secretAccessKey}`, '20240102');
  const kSigning = hmac(hmac(hmac(kDate, 'eu-west-1'), 'sts'), 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

describe('Function: createEksToken', () => {
  it('builds an aws-iam-authenticator token: a presigned STS GetCallerIdentity URL, base64url', async () => {
    // Act
    const token = await createEksToken({
      clusterName: 'prod-a',
      region: 'eu-west-1',
      credentials,
      signingDate,
    });

    // Assess
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    const encoded = token.slice(EKS_TOKEN_PREFIX.length);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const params = url.searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20240102/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20240102T030405Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': credentials.sessionToken,
    });
    expect(params.get('X-Amz-Signature')).toBe(
      expectedSignature(params, 'sts.eu-west-1.amazonaws.com', 'prod-a'),
    );
  });

  it('binds the cluster name: another cluster gets another signature', async () => {
    const a = await createEksToken({ clusterName: 'prod-a', region: 'eu-west-1', credentials, signingDate });
    const b = await createEksToken({ clusterName: 'prod-b', region: 'eu-west-1', credentials, signingDate });
    expect(a).not.toBe(b);
  });

  it('accepts a credential provider and uses the China partition endpoint there', async () => {
    const token = await createEksToken({
      clusterName: 'c',
      region: 'cn-north-1',
      credentials: async () => credentials,
      signingDate,
    });
    const url = new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
  });
});
