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

  it('refuses a token of another scope, an edited one, and garbage', async () => {
    const token = await encodePageToken({ pk: 'TENANT#a', sk: 'CLUSTER#x' }, 'scope-a');
    await expect(decodePageToken(token, 'scope-b')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
    const [payload, sig] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ pk: 'TENANT#b', sk: 'CLUSTER#x' })).toString('base64url')}.${sig}`;
    await expect(decodePageToken(forged, 'scope-a')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
    await expect(decodePageToken(`${payload}.`, 'scope-a')).rejects.toMatchObject({
      code: 'INVALID_PAGE_TOKEN',
    });
    await expect(decodePageToken('not-a-token', 'scope-a')).rejects.toMatchObject({
      code: 'INVALID_PAGE_TOKEN',
    });
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
