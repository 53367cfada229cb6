import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ProblemError } from '../shared/errors.js';

/**
 * Pagination tokens: opaque to clients (base64url) and tamper-evident (HMAC-SHA256 over the
 * cursor, the tenant and the query it belongs to). A token from another tenant, another query
 * or an edited one is refused with 400 INVALID_PAGE_TOKEN.
 *
 * The key comes from `PAGE_TOKEN_KEY` (local runtime, tests) or, in AWS, from the Secrets
 * Manager secret `PAGE_TOKEN_SECRET_ID`, read once per warm Lambda, on first use. That is the
 * secret's name (an ARN works too): one secret, replicated to every region under the same name,
 * so a token signed by one region's API is accepted by every other's, and the name finds the
 * replica of the Lambda's own region.
 */
let keyPromise: Promise<Buffer> | undefined;

function signingKey(): Promise<Buffer> {
  keyPromise ??= (async () => {
    const direct = process.env.PAGE_TOKEN_KEY;
    if (direct) return Buffer.from(direct, 'utf8');
    const secretId = process.env.PAGE_TOKEN_SECRET_ID;
    if (!secretId) throw new Error('PAGE_TOKEN_KEY or PAGE_TOKEN_SECRET_ID must be set');
    const res = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!res.SecretString) throw new Error('the page token secret is empty');
    return Buffer.from(res.SecretString, 'utf8');
  })().catch((e) => {
    keyPromise = undefined; // retry on the next request
    throw e;
  });
  return keyPromise;
}

const mac = (key: Buffer, payload: string, scope: string) =>
  createHmac('sha256', key).update(scope).update('\n').update(payload).digest().subarray(0, 16);

/** `scope` binds the token to the tenant and the query (route + filters). */
export async function encodePageToken(cursor: Record<string, unknown>, scope: string): Promise<string> {
  const payload = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
  return `${payload}.${mac(await signingKey(), payload, scope).toString('base64url')}`;
}

export async function decodePageToken(token: string, scope: string): Promise<Record<string, unknown>> {
  const invalid = () =>
    new ProblemError('INVALID_PAGE_TOKEN', 'nextToken is not a token this list returned for this query');
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) throw invalid();
  // Compare the canonical text: decoding first would accept other spellings of the same bytes
  // (padding bits of the last character, '=', '+' or '/'), i.e. an edited token.
  const expected = Buffer.from(mac(await signingKey(), payload, scope).toString('base64url'), 'utf8');
  const given = Buffer.from(sig, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  try {
    const cursor = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (cursor === null || typeof cursor !== 'object' || Array.isArray(cursor)) throw invalid();
    return cursor as Record<string, unknown>;
  } catch {
    throw invalid();
  }
}
