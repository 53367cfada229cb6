import { describe, expect, it, vi } from 'vitest';
import { requestHash } from '../../../functions/api/idempotency.js';
import { apiEvent } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.PAGE_TOKEN_KEY = 'unit-test-key';
});
const { decodePageToken, encodePageToken } = await import('../../../functions/api/page-token.js');

describe('Function: page tokens', () => {
  it('round-trips a cursor for the same scope', async () => {
    const token = await encodePageToken({ pk: 'TENANT#a', sk: 'CLUSTER#x' }, 'scope-a');
    expect(token).not.toContain('TENANT');
    await expect(decodePageToken(token, 'scope-a')).resolves.toEqual({ pk: 'TENANT#a', sk: 'CLUSTER#x' });
  });

  it('is opaque: the decoded bytes show neither the tenant id nor a key hash (issue #10)', async () => {
    // Prepare: an API-key page's cursor holds the key's hash and the tenant id.
    const tenantId = 'tn-01jd8w0000000000000000000a';
    const hash = 'f'.repeat(16) + '0123456789abcdef'.repeat(3);
    const cursor = {
      pk: `APIKEY#${hash}`,
      sk: 'APIKEY',
      gsi1pk: `TENANT#${tenantId}#APIKEYS`,
      gsi1sk: 'key-1',
    };

    // Act
    const token = await encodePageToken(cursor, 'scope-a');

    // Assess: no readable part, whatever the split.
    const decoded = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join('\n');
    for (const secret of [tenantId, hash, hash.slice(0, 16), 'APIKEY', 'TENANT']) {
      expect(decoded).not.toContain(secret);
      expect(token).not.toContain(secret);
    }
    await expect(decodePageToken(token, 'scope-a')).resolves.toEqual(cursor);
  });

  it('refuses a token of another scope, an edited one, a forged one, and garbage', async () => {
    const token = await encodePageToken({ pk: 'TENANT#a', sk: 'CLUSTER#x' }, 'scope-a');
    const refused = (t: string) =>
      expect(decodePageToken(t, 'scope-a')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
    await expect(decodePageToken(token, 'scope-b')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
    // Every single-bit flip of the decoded bytes (version, IV, ciphertext, tag) is refused.
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const edited = Buffer.from(bytes);
      edited[i] = (edited[i] as number) ^ 0x01;
      await refused(edited.toString('base64url'));
    }
    // Another spelling of the same bytes, a truncated token, a cursor in clear, garbage.
    await refused(`${token}=`);
    await refused(token.slice(0, -1));
    await refused(Buffer.from(JSON.stringify({ pk: 'TENANT#b', sk: 'CLUSTER#x' })).toString('base64url'));
    await refused('not-a-token');
    await refused('');
  });

  it('refuses a token sealed with another page-token secret', async () => {
    // Prepare: a token from a deployment with another secret.
    vi.resetModules();
    vi.stubEnv('PAGE_TOKEN_KEY', 'another-key');
    const other = await import('../../../functions/api/page-token.js');
    const foreign = await other.encodePageToken({ sk: 'CLUSTER#x' }, 'scope-a');
    vi.unstubAllEnvs();

    // Act + Assess
    await expect(decodePageToken(foreign, 'scope-a')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
  });
});

describe('Function: requestHash', () => {
  const event = (body: unknown) => apiEvent({ method: 'POST', resource: '/v1/clusters', body });

  it('ignores key order but not values', () => {
    expect(requestHash(event({}), { a: 1, b: { c: 2, d: 3 } })).toBe(
      requestHash(event({}), { b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(requestHash(event({}), { a: 1 })).not.toBe(requestHash(event({}), { a: 2 }));
  });
});
