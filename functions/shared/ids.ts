import { randomBytes } from 'node:crypto';

// Crockford base32, lower case: DNS-safe (ids become Kubernetes namespace names) and sortable.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encode(value: bigint, length: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(v & 31n)] + out;
    v >>= 5n;
  }
  return out;
}

/**
 * A time-ordered id (48-bit milliseconds + 80 random bits, ULID layout) with a type prefix,
 * e.g. `cl-01jd8w...`. Sorting ids sorts by creation time, which gives lists a stable order.
 */
export function newId(
  prefix: 'cl' | 'op' | 'tn' | 'key' | 'corr' | 'aud' | 'bk',
  now: number = Date.now(),
): string {
  const random = BigInt(`0x${randomBytes(10).toString('hex')}`);
  return `${prefix}-${encode(BigInt(now), 10)}${encode(random, 16)}`;
}

/** Matches ids produced by newId, so a path parameter can be rejected before any I/O. */
export function isId(prefix: string, value: string): boolean {
  return new RegExp(`^${prefix}-[0-9a-hjkmnp-tv-z]{26}$`).test(value);
}
