import { createHash, randomBytes } from 'node:crypto';

/** A new API key secret: shown once to its owner, stored only as a hash. */
export function newApiKeySecret(): string {
  return `stratus_${randomBytes(30).toString('base64url')}`;
}

/** Keys are looked up by the SHA-256 of the secret (high-entropy secrets need no slow hash). */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const DAY_MS = 24 * 3600 * 1000;

/** A key created through the API without `expiresAt` stops working after this (issue #10). */
export const DEFAULT_KEY_LIFETIME_DAYS = 90;
/** No key is valid for longer: `expiresAt` is at most this far ahead. */
export const MAX_KEY_LIFETIME_DAYS = 366;
/**
 * The first admin key of a tenant (CLI `tenants create`, `tenants issue-key`, the local runtime)
 * is a bootstrap credential: use it to create the tenant's own keys, then let it expire.
 */
export const BOOTSTRAP_KEY_LIFETIME_HOURS = 24;

/** When a key created at `now` with no chosen expiry stops working. */
export function defaultExpiry(now: Date): string {
  return new Date(now.getTime() + DEFAULT_KEY_LIFETIME_DAYS * DAY_MS).toISOString();
}

/** True when `expiresAt` is in the future and at most MAX_KEY_LIFETIME_DAYS ahead of `now`. */
export function isAllowedExpiry(expiresAt: string, now: Date): boolean {
  const at = Date.parse(expiresAt);
  return at > now.getTime() && at <= now.getTime() + MAX_KEY_LIFETIME_DAYS * DAY_MS;
}

/** True when the key has expired at `now` (a key without `expiresAt`, created before #10, does not). */
export function isExpired(key: { readonly expiresAt?: string }, now: Date): boolean {
  return key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now.getTime();
}
