import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EKS_TOKEN_PREFIX } from '../../../functions/shared/kube/eks-auth.js';
import { KubeApiError } from '../../../functions/shared/kube/errors.js';
import { eksKubeConfigProvider, fileKubeConfigProvider } from '../../../functions/shared/kube/provider.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const caData = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
  'base64',
);

describe('Function: eksKubeConfigProvider', () => {
  const eksMock = mockClient(EKSClient);
  afterEach(() => eksMock.reset());

  const setup = () => {
    let now = 1_000_000;
    eksMock.on(DescribeClusterCommand).callsFake(async ({ name }: { name: string }) => ({
      cluster: {
        name,
        status: 'ACTIVE',
        endpoint: `https://${name}.eks.example.com`,
        certificateAuthority: { data: caData },
      },
    }));
    const provider = eksKubeConfigProvider({
      region: 'eu-west-1',
      eks: new EKSClient({ region: 'eu-west-1' }),
      credentials,
      now: () => now,
    });
    return { provider, advance: (ms: number) => (now += ms) };
  };

  it('builds a KubeConfig from DescribeCluster with an EKS token', async () => {
    // Prepare
    const { provider } = setup();

    // Act
    const kc = await provider.get('prod-a');

    // Assess
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://prod-a.eks.example.com',
      caData,
      skipTLSVerify: false,
    });
    expect(kc.getCurrentUser()?.token?.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(eksMock).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'prod-a' });
  });

  it('caches endpoint and token per cluster: the same KubeConfig until the token ages out', async () => {
    // Prepare
    const { provider, advance } = setup();

    // Act
    const first = await provider.get('prod-a');
    advance(9 * 60_000);
    const warm = await provider.get('prod-a');
    advance(2 * 60_000);
    const refreshed = await provider.get('prod-a');
    await provider.get('prod-b');

    // Assess
    expect(warm).toBe(first);
    expect(refreshed).not.toBe(first);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2); // prod-a once, prod-b once
  });

  it('builds a fresh token after invalidate, without describing the cluster again', async () => {
    const { provider } = setup();
    const first = await provider.get('prod-a');
    provider.invalidate('prod-a');
    const second = await provider.get('prod-a');
    expect(second).not.toBe(first);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
  });

  it('fails permanently for an unknown cluster and retryably for one still being created', async () => {
    // Prepare
    const provider = eksKubeConfigProvider({
      region: 'eu-west-1',
      eks: new EKSClient({ region: 'eu-west-1' }),
      credentials,
    });
    eksMock
      .on(DescribeClusterCommand, { name: 'gone' })
      .rejects(new ResourceNotFoundException({ message: 'No cluster found', $metadata: {} }))
      .on(DescribeClusterCommand, { name: 'new' })
      .resolves({ cluster: { name: 'new', status: 'CREATING' } });

    // Act & Assess
    await expect(provider.get('gone')).rejects.toMatchObject({ name: 'KubeApiError', retryable: false });
    const creating = await provider.get('new').catch((e: unknown) => e);
    expect(creating).toBeInstanceOf(KubeApiError);
    expect(creating).toMatchObject({ reason: 'EksClusterNotReady', retryable: true });
  });
});

describe('Function: fileKubeConfigProvider', () => {
  let dir: string;
  let path: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    path = join(dir, 'config');
    await writeFile(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- {name: local, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}',
        '- {name: b, cluster: {server: "https://b.example.com"}}',
        'users:',
        '- {name: u, user: {token: t}}',
        'contexts:',
        '- {name: stratus-local, context: {cluster: local, user: u}}',
        '- {name: eks-b, context: {cluster: b, user: u}}',
        'current-context: stratus-local',
      ].join('\n'),
    );
  });
  afterAll(async () => rm(dir, { recursive: true }));

  it('uses the context named like the EKS cluster when there is one', async () => {
    const kc = await fileKubeConfigProvider(path).get('eks-b');
    expect(kc.getCurrentContext()).toBe('eks-b');
    expect(kc.getCurrentCluster()?.server).toBe('https://b.example.com');
  });

  it('falls back to the current context, and caches per cluster name until invalidated', async () => {
    // Prepare
    const provider = fileKubeConfigProvider(path);

    // Act
    const first = await provider.get('stratus-eu-west-1-a');
    const second = await provider.get('stratus-eu-west-1-a');
    provider.invalidate('stratus-eu-west-1-a');
    const third = await provider.get('stratus-eu-west-1-a');

    // Assess
    expect(first.getCurrentContext()).toBe('stratus-local');
    expect(second).toBe(first);
    expect(third).not.toBe(first);
  });

  it('refuses to run without a kubeconfig rather than guessing a cluster', async () => {
    await expect(fileKubeConfigProvider('').get('x')).rejects.toThrow(/KUBECONFIG/);
  });
});
