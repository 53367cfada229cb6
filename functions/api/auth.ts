import { hashApiKey, isExpired } from '../shared/domain/apikeys.js';
import { ProblemError } from '../shared/errors.js';
import type { ApiKeyRecord, Store } from '../shared/store/store.js';

export interface Principal {
  readonly tenantId: string;
  readonly keyId: string;
  readonly role: ApiKeyRecord['role'];
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{20,200})$/;

/**
 * Resolves `Authorization: Bearer <key>` to a principal. Keys are stored only as SHA-256
 * hashes and read on every request, so a revoked or expired key stops working at once.
 * An unknown, malformed or revoked key gets the same answer, so callers learn nothing about
 * which keys exist; an expired key gets API_KEY_EXPIRED, which tells only its holder (who has
 * the secret) to rotate.
 */
export async function authenticate(
  store: Store,
  authorization: string | undefined,
  now: Date,
): Promise<Principal> {
  const match = authorization ? BEARER.exec(authorization.trim()) : null;
  if (!match?.[1])
    throw new ProblemError('UNAUTHENTICATED', 'Send an API key as: Authorization: Bearer <key>');
  const key = await store.apiKeys.get(hashApiKey(match[1]));
  if (!key || key.revokedAt) throw new ProblemError('UNAUTHENTICATED', 'The API key is not valid');
  if (isExpired(key, now)) {
    throw new ProblemError(
      'API_KEY_EXPIRED',
      `The API key expired at ${key.expiresAt}; authenticate with another key (an admin creates one with POST /v1/api-keys)`,
    );
  }
  return { tenantId: key.tenantId, keyId: key.keyId, role: key.role };
}
