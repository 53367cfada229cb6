import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { KubeConfig } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EKS_TOKEN_PREFIX } from '../../../functions/shared/kube/eks-auth.js';
import { KubeApiError } from '../../../functions/shared/kube/errors.js';
import { eksKubeConfigProvider } from '../../../functions/shared/kube/provider.js';

/*
 * Issue #9, takeover: a region's functions reach another region's EKS clusters. DescribeCluster
 * and the token go to the EKS cluster's own region; the credentials come from that region's
 * takeover role, assumed with STS; the function's own region keeps the Lambda's own role.
 */

const OWN = { accessKeyId: 'AKIDOWNROLE', secretAccessKey: 'own-secret' };
const TAKEOVER_ARN = 'arn:aws:iam::123456789012:role/stratus-prod-us-east-1-provisioner-takeover';
const caData = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
  'base64',
);
const START = Date.parse('2026-11-22T10:00:00.000Z');

/** The presigned STS URL inside an EKS token. */
function tokenUrl(kc: KubeConfig): URL {
  const token = kc.getCurrentUser()?.token ?? '';
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

describe('Function: eksKubeConfigProvider (EKS clusters of other regions)', () => {
  const eksMock = mockClient(EKSClient);
  const stsMock = mockClient(STSClient);
  let now = START;
  let sessions = 0;

  beforeEach(() => {
    now = START;
    sessions = 0;
    eksMock.on(DescribeClusterCommand).callsFake(async ({ name }: { name: string }) => ({
      cluster: {
        name,
        status: 'ACTIVE',
        endpoint: `https://${name}.eks.example.com`,
        certificateAuthority: { data: caData },
      },
    }));
    stsMock.on(AssumeRoleCommand).callsFake(assumeRole);
  });
  afterEach(() => {
    eksMock.reset();
    stsMock.reset();
  });

  /** A one-hour session with numbered credentials, as STS returns them. */
  const assumeRole = async () => {
    sessions++;
    return {
      Credentials: {
        AccessKeyId: `ASIATAKEOVER${sessions}`,
        SecretAccessKey: 'assumed-secret',
        SessionToken: `session-token-${sessions}`,
        Expiration: new Date(now + 3600_000),
      },
    };
  };

  const provider = (takeoverRoleArns: Record<string, string> = { 'us-east-1': TAKEOVER_ARN }) =>
    eksKubeConfigProvider({
      region: 'eu-west-1',
      eks: new EKSClient({ region: 'eu-west-1' }),
      credentials: OWN,
      sts: new STSClient({ region: 'eu-west-1' }),
      clusterRegions: { 'euw1-a': 'eu-west-1', 'use1-a': 'us-east-1', 'use1-b': 'us-east-1' },
      takeoverRoleArns,
      now: () => now,
    });

  /** The region of the EKS client that received the n-th DescribeCluster. */
  const describedIn = async (n: number): Promise<string> =>
    (eksMock.call(n).thisValue as EKSClient).config.region();

  it("uses the Lambda's own credentials and region for a cluster of its own region, without STS", async () => {
    // Act
    const kc = await provider().get('euw1-a');

    // Assess
    expect(stsMock).not.toHaveReceivedCommand(AssumeRoleCommand);
    expect(eksMock).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'euw1-a' });
    expect(await describedIn(0)).toBe('eu-west-1');
    const url = tokenUrl(kc);
    expect(url.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDOWNROLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBeNull();
  });

  it("assumes that region's takeover role for a cluster of another region and describes it there", async () => {
    // Act
    const kc = await provider().get('use1-a');

    // Assess
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: TAKEOVER_ARN,
      RoleSessionName: 'stratus-eu-west-1',
    });
    expect(eksMock).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'use1-a' });
    expect(await describedIn(0)).toBe('us-east-1');
    expect(kc.getCurrentCluster()?.server).toBe('https://use1-a.eks.example.com');
  });

  it("signs the token with the assumed credentials, for the cluster's region", async () => {
    // Act
    const kc = await provider().get('use1-a');

    // Assess
    const url = tokenUrl(kc);
    expect(url.hostname).toBe('sts.us-east-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^ASIATAKEOVER1\/\d{8}\/us-east-1\/sts\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session-token-1');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('x-k8s-aws-id');
  });

  it('sends DescribeCluster to the other region with the assumed credentials', async () => {
    // Act
    await provider().get('use1-a');

    // Assess
    const client = eksMock.call(0).thisValue as EKSClient;
    const creds = await client.config.credentials();
    expect(creds).toMatchObject({ accessKeyId: 'ASIATAKEOVER1', sessionToken: 'session-token-1' });
  });

  it('assumes the role once per region and keeps the session until shortly before it expires', async () => {
    // Prepare
    const p = provider();

    // Act: two clusters of the region at once, a token renewal, then close to the session's end
    await Promise.all([p.get('use1-a'), p.get('use1-b')]);
    now += 11 * 60_000;
    const renewed = await p.get('use1-a');
    const assumedBefore = sessions;
    now += 35 * 60_000; // 46 min into a 60 min session: less than a token's life plus margin is left
    const late = await p.get('use1-a');

    // Assess
    expect(assumedBefore).toBe(1);
    expect(tokenUrl(renewed).searchParams.get('X-Amz-Security-Token')).toBe('session-token-1');
    expect(sessions).toBe(2);
    expect(tokenUrl(late).searchParams.get('X-Amz-Security-Token')).toBe('session-token-2');
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2); // endpoints are cached
  });

  it('assumes the role again after invalidate (the sessions may have been revoked)', async () => {
    // Prepare
    const p = provider();
    await p.get('use1-a');

    // Act
    p.invalidate('use1-a');
    const kc = await p.get('use1-a');

    // Assess
    expect(sessions).toBe(2);
    expect(tokenUrl(kc).searchParams.get('X-Amz-Security-Token')).toBe('session-token-2');
  });

  it('fails permanently, before any AWS call, for a region without a takeover role', async () => {
    // Act
    const error = await provider({})
      .get('use1-a')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ reason: 'NoTakeoverRole', retryable: false });
    expect((error as Error).message).toMatch(/us-east-1/);
    expect(stsMock).not.toHaveReceivedCommand(AssumeRoleCommand);
    expect(eksMock).not.toHaveReceivedCommand(DescribeClusterCommand);
  });

  it('fails permanently when the takeover role cannot be assumed, and tries again on the next call', async () => {
    // Prepare
    const denied = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
      $fault: 'client',
    });
    stsMock.on(AssumeRoleCommand).rejectsOnce(denied).callsFake(assumeRole);
    const p = provider();

    // Act
    const error = await p.get('use1-a').catch((e: unknown) => e);
    const retried = await p.get('use1-a');

    // Assess
    expect(error).toMatchObject({ name: 'KubeApiError', reason: 'TakeoverRoleDenied', retryable: false });
    expect(tokenUrl(retried).hostname).toBe('sts.us-east-1.amazonaws.com');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });
});
