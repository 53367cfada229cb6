import { hashApiKey } from '../shared/domain/apikeys.js';
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
 * Every failure gives the same answer, so callers learn nothing about which keys exist.
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
  if (!key || key.revokedAt || (key.expiresAt && Date.parse(key.expiresAt) <= now.getTime())) {
    throw new ProblemError('UNAUTHENTICATED', 'The API key is not valid');
  }
  return { tenantId: key.tenantId, keyId: key.keyId, role: key.role };
}
