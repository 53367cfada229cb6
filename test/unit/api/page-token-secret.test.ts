import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/*
 * Issue #9: one page-token key for every region. In AWS the key is one Secrets Manager secret,
 * created in the first region with a replica (same name, same value) in each other region; every
 * region's API reads it by that name (PAGE_TOKEN_SECRET_ID, lib/functions.ts).
 */
const SECRET_NAME = 'stratus/test/page-token-key';

async function apiIn(region: string) {
  vi.resetModules();
  vi.stubEnv('AWS_REGION', region);
  return import('../../../functions/api/page-token.js');
}

describe('Function: page tokens (key from Secrets Manager)', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => {
    vi.stubEnv('PAGE_TOKEN_KEY', '');
    vi.stubEnv('PAGE_TOKEN_SECRET_ID', SECRET_NAME);
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_NAME }).resolves({ SecretString: 'replicated-key' });
  });
  afterEach(() => {
    secrets.reset();
    vi.unstubAllEnvs();
  });

  it("reads the key by the secret's name, from the Lambda's own region, once per warm Lambda", async () => {
    // Prepare
    const api = await apiIn('us-east-1');

    // Act
    const token = await api.encodePageToken({ sk: 'CLUSTER#x' }, 'scope');
    await api.decodePageToken(token, 'scope');

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_NAME });
    const client = secrets.call(0).thisValue as SecretsManagerClient;
    expect(await client.config.region()).toBe('us-east-1');
  });

  it("accepts in one region's API a nextToken that another region's API returned", async () => {
    // Prepare
    const euWest1 = await apiIn('eu-west-1');
    const token = await euWest1.encodePageToken({ sk: 'CLUSTER#x' }, 'tenant+query');

    // Act
    const usEast1 = await apiIn('us-east-1');
    const cursor = await usEast1.decodePageToken(token, 'tenant+query');

    // Assess
    expect(cursor).toEqual({ sk: 'CLUSTER#x' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2); // one read per region
  });
});
