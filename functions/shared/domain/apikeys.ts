import { createHash, randomBytes } from 'node:crypto';

/** A new API key secret: shown once to its owner, stored only as a hash. */
export function newApiKeySecret(): string {
  return `stratus_${randomBytes(30).toString('base64url')}`;
}

/** Keys are looked up by the SHA-256 of the secret (high-entropy secrets need no slow hash). */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
