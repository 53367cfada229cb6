import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnv } from '../shared/env.js';
import { ProblemError } from '../shared/errors.js';
import { tracer } from '../shared/observability.js';
import { PageTokenEnv } from './env.js';

/**
 * Pagination tokens: opaque to clients and tamper-evident. The cursor (DynamoDB's last key:
 * tenant ids, API-key hashes) is encrypted with AES-256-GCM, with the tenant and the query it
 * belongs to (`scope`) as additional authenticated data. A token from another tenant, another
 * query, or an edited one fails authentication and is refused with 400 INVALID_PAGE_TOKEN; a
 * decoded token shows nothing but random-looking bytes.
 *
 * Token: base64url(version 0x01 | 12-byte random IV | ciphertext | 16-byte GCM tag).
 *
 * The AES key is derived (HKDF-SHA256, info `stratus page-token aes-256-gcm v1`) from the
 * page-token secret: `PAGE_TOKEN_KEY` (local runtime, tests) or, in AWS, the Secrets Manager
 * secret `PAGE_TOKEN_SECRET_ID`, read once per warm Lambda, on first use. That is the secret's
 * name (an ARN works too): one secret, replicated to every region under the same name, so a
 * token issued by one region's API is accepted by every other's, and the name finds the replica
 * of the Lambda's own region.
 */
let keyPromise: Promise<Buffer> | undefined;

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'stratus page-token aes-256-gcm v1';

function encryptionKey(): Promise<Buffer> {
  keyPromise ??= (async () => {
    const { PAGE_TOKEN_KEY: direct, PAGE_TOKEN_SECRET_ID: secretId } = readEnv(PageTokenEnv);
    let secret: string;
    if (direct) secret = direct;
    else {
      if (!secretId) throw new Error('PAGE_TOKEN_KEY or PAGE_TOKEN_SECRET_ID must be set');
      const res = await tracer
        .captureAWSv3Client(new SecretsManagerClient({}))
        .send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!res.SecretString) throw new Error('the page token secret is empty');
      secret = res.SecretString;
    }
    return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), HKDF_INFO, 32));
  })().catch((e) => {
    keyPromise = undefined; // retry on the next request
    throw e;
  });
  return keyPromise;
}

/** `scope` binds the token to the tenant and the query (route + filters). */
export async function encodePageToken(cursor: Record<string, unknown>, scope: string): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', await encryptionKey(), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(scope, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(cursor), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

export async function decodePageToken(token: string, scope: string): Promise<Record<string, unknown>> {
  const invalid = () =>
    new ProblemError('INVALID_PAGE_TOKEN', 'nextToken is not a token this list returned for this query');
  const bytes = Buffer.from(token, 'base64url');
  // Only the canonical spelling: base64url decoding ignores padding bits, '=' and foreign
  // characters, so other spellings of the same bytes would pass as an edited token.
  if (bytes.toString('base64url') !== token) throw invalid();
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) throw invalid();
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const sealed = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', await encryptionKey(), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(scope, 'utf8'));
    decipher.setAuthTag(tag);
    text = Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
  } catch {
    throw invalid(); // wrong scope, edited bytes, or another key
  }
  try {
    const cursor = JSON.parse(text);
    if (cursor === null || typeof cursor !== 'object' || Array.isArray(cursor)) throw invalid();
    return cursor as Record<string, unknown>;
  } catch {
    throw invalid();
  }
}
