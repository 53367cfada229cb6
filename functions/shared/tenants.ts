import { BOOTSTRAP_KEY_LIFETIME_HOURS, hashApiKey, newApiKeySecret } from './domain/apikeys.js';
import type { RateLimits } from './domain/rate-limit.js';
import { newId } from './ids.js';
import { type ApiKeyRecord, OPERATOR_ACTOR, type Store } from './store/store.js';

/** Per-region quotas a tenant gets unless the operator says otherwise. */
export const DEFAULT_QUOTAS = { maxClusters: 10, maxNodes: 30 } as const;

export interface IssuedKey {
  readonly keyId: string;
  readonly apiKey: string;
  readonly expiresAt: string;
}

/** An admin key made by an operator (not through the API): short-lived, audited as `operator`. */
function bootstrapKey(tenantId: string, now: Date, lifetimeHours: number) {
  const apiKey = newApiKeySecret();
  const key: ApiKeyRecord = {
    keyId: newId('key', now.getTime()),
    tenantId,
    role: 'admin',
    name: 'bootstrap admin key',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + lifetimeHours * 3600 * 1000).toISOString(),
  };
  const who = { actor: OPERATOR_ACTOR, correlationId: newId('corr', now.getTime()) };
  return { apiKey, key, who };
}

/**
 * Creates a tenant and its first admin API key in the store's region, which becomes the tenant's
 * home region; returns the key's secret (the only time it exists in clear). The key expires after
 * `keyLifetimeHours` (default BOOTSTRAP_KEY_LIFETIME_HOURS): it is for creating the tenant's own
 * keys, not for daily use.
 */
export async function createTenant(
  store: Store,
  name: string,
  opts: {
    maxClusters?: number;
    maxNodes?: number;
    /** The tenant's API rate limit per region; absent, the defaults (domain/rate-limit.ts). */
    rateLimits?: RateLimits;
    keyLifetimeHours?: number;
    now?: Date;
  } = {},
): Promise<{ tenantId: string } & IssuedKey> {
  const now = opts.now ?? new Date();
  const maxClusters = opts.maxClusters ?? DEFAULT_QUOTAS.maxClusters;
  const maxNodes = opts.maxNodes ?? DEFAULT_QUOTAS.maxNodes;
  const tenantId = newId('tn', now.getTime());
  const { apiKey, key, who } = bootstrapKey(
    tenantId,
    now,
    opts.keyLifetimeHours ?? BOOTSTRAP_KEY_LIFETIME_HOURS,
  );
  await store.tenants.create(
    {
      tenantId,
      name,
      createdAt: key.createdAt,
      homeRegion: store.region,
      maxClusters,
      maxNodes,
      ...(opts.rateLimits ? { apiRate: opts.rateLimits.rate, apiBurst: opts.rateLimits.burst } : {}),
    },
    store.apiKeys.put(hashApiKey(apiKey), key),
    store.apiKeys.auditItem('apiKey.create', key, key.createdAt, who),
  );
  return { tenantId, keyId: key.keyId, apiKey, expiresAt: key.expiresAt as string };
}

/**
 * A new short-lived admin key for an existing tenant (an operator's break-glass: the tenant lost
 * or let expire every admin key), written in the tenant's home region, which must be the store's.
 * @throws StaleStateError naming `tenantHome` when the tenant is not homed in the store's region.
 */
export async function issueAdminKey(
  store: Store,
  tenantId: string,
  opts: { keyLifetimeHours?: number; now?: Date } = {},
): Promise<IssuedKey> {
  const now = opts.now ?? new Date();
  const { apiKey, key, who } = bootstrapKey(
    tenantId,
    now,
    opts.keyLifetimeHours ?? BOOTSTRAP_KEY_LIFETIME_HOURS,
  );
  await store.apiKeys.create(hashApiKey(apiKey), key, who);
  return { keyId: key.keyId, apiKey, expiresAt: key.expiresAt as string };
}
