import { hashApiKey, isExpired } from '../shared/domain/apikeys.js';
import { ProblemError } from '../shared/errors.js';
import type { ApiKeyRecord, Fence, Store } from '../shared/store/store.js';

export interface Principal {
  readonly tenantId: string;
  readonly keyId: string;
  readonly role: ApiKeyRecord['role'];
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{20,200})$/;

const unauthenticated = () => new ProblemError('UNAUTHENTICATED', 'The API key is not valid');

/** The hash of the key `Authorization: Bearer <key>` carries; 401 when there is none. */
function keyHash(authorization: string | undefined): string {
  const match = authorization ? BEARER.exec(authorization.trim()) : null;
  if (!match?.[1])
    throw new ProblemError('UNAUTHENTICATED', 'Send an API key as: Authorization: Bearer <key>');
  return hashApiKey(match[1]);
}

/** An unknown, malformed or revoked key gets the same answer; an expired one says so (only its holder has the secret). */
function principalOf(key: ApiKeyRecord | undefined, now: Date): Principal {
  if (!key || key.revokedAt) throw unauthenticated();
  if (isExpired(key, now)) {
    throw new ProblemError(
      'API_KEY_EXPIRED',
      `The API key expired at ${key.expiresAt}; authenticate with another key (an admin creates one with POST /v1/api-keys)`,
    );
  }
  return { tenantId: key.tenantId, keyId: key.keyId, role: key.role };
}

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
  const hash = keyHash(authorization);
  return principalOf(await store.apiKeys.get(hash), now);
}

/**
 * How a route's request proves its key (docs/decisions.md, D29):
 * - `read`: the key is read before anything else (D3);
 * - `overlap`: a route that only reads: with a key this instance has seen, the key is read while
 *   the route reads, and nothing is answered before that read found the key valid;
 * - `fence`: a route whose one effect is a transaction: with a key this instance has seen, the
 *   transaction carries a check of the key (`ApiKeyStore.fence`) instead of a read, so it commits
 *   only if the key is valid then; any other outcome (an error, a dry run, a replay) reads the key
 *   before it is answered.
 */
export type KeyProof = 'read' | 'overlap' | 'fence';

/** A request's principal and what still proves it (see `KeyProof`). */
export interface Session {
  readonly principal: Principal;
  /** For a `fence` route with a key seen before: the check its transaction carries. */
  readonly fence?: Fence;
  /**
   * Resolves once the key was found valid during this request (by a read, or by the committed
   * fence); rejects with 401 UNAUTHENTICATED or API_KEY_EXPIRED otherwise. Reads the key at most
   * once per request, and not at all when the fence committed.
   */
  verified(): Promise<void>;
}

/** How many keys an instance remembers (oldest forgotten first): identities only, never a decision. */
export const KEY_CACHE_ENTRIES = 1_000;

/**
 * Authentication for one API instance. Every request's key is proven valid during the request, by
 * a consistent read or by a check in the request's own transaction (D3 kept: a revoked key stops
 * working on the next request). What the instance remembers of a key it read (`KEY_CACHE_ENTRIES`,
 * by hash: tenant, key id, role, expiry, none of them secret and none of them changing but by
 * revocation) only lets a request start before that proof: its rate limit, its reads, and for a
 * `fence` route its transaction. A key found invalid is forgotten.
 */
export class Authenticator {
  private readonly seen = new Map<string, ApiKeyRecord>();

  constructor(private readonly store: Pick<Store, 'apiKeys'>) {}

  async begin(authorization: string | undefined, now: Date, proof: KeyProof): Promise<Session> {
    const hash = keyHash(authorization);
    const seen = proof === 'read' ? undefined : this.seen.get(hash);
    // An expired key is read again, so that a revoked one is answered as revoked.
    const known = seen && !isExpired(seen, now) ? seen : undefined;
    if (!known) {
      const principal = principalOf(await this.read(hash), now);
      return { principal, verified: () => Promise.resolve() };
    }
    const principal = principalOf(known, now);
    if (proof === 'overlap') {
      const reading = this.read(hash).then((key) => {
        principalOf(key, now);
      });
      reading.catch(() => undefined); // awaited by verified(); unobserved if the request fails first
      return { principal, verified: () => reading };
    }
    const fence = this.store.apiKeys.fence(hash, known, now.toISOString());
    let reading: Promise<void> | undefined;
    return {
      principal,
      fence,
      verified: () => {
        if (fence.committed) return Promise.resolve();
        reading ??= this.read(hash).then((key) => {
          principalOf(key, now);
        });
        return reading;
      },
    };
  }

  /** Reads the key; remembers it while valid, forgets it otherwise. */
  private async read(hash: string): Promise<ApiKeyRecord | undefined> {
    const key = await this.store.apiKeys.get(hash);
    this.seen.delete(hash);
    if (key && !key.revokedAt) {
      this.seen.set(hash, key);
      if (this.seen.size > KEY_CACHE_ENTRIES) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
    }
    return key;
  }
}
