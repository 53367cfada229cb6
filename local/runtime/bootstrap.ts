import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashApiKey } from '../../functions/shared/domain/apikeys.js';
import type { Store } from '../../functions/shared/store/store.js';
import { createTenant, issueAdminKey } from '../../functions/shared/tenants.js';

/** The pagination-token secret (the API derives its encryption key from it), kept in the data folder so tokens survive a restart. */
export async function pageTokenKey(dataDir: string | undefined): Promise<string> {
  if (!dataDir) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'page-token.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('base64url');
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}

/**
 * The local tenant's API rate limit: one developer and the test suites (the fuzz test sends
 * thousands of requests at once) share it, so it is far above the default a deployed tenant gets.
 * Set when the local tenant has no limit of its own; `tenants rate-limit --local` changes it.
 */
export const LOCAL_RATE_LIMITS = { rate: 1000, burst: 2000 } as const;

/** A saved key is reused while it has at least this long to live; else a new one is issued. */
const MIN_REMAINING_MS = 3600 * 1000;

/**
 * The local tenant's admin key. Reuses the key of `.stratus/local.json` while it is valid for at
 * least another hour; when it is expired (the bootstrap key lives 24 hours), revoked or about
 * to expire, issues a new bootstrap key for the same tenant, so its clusters stay visible. With
 * no saved key (or no data folder), creates the local tenant and its first key.
 */
export async function bootstrapKey(
  store: Store,
  dataDir: string | undefined,
  now: Date = new Date(),
): Promise<{ apiKey: string; tenantId: string; expiresAt: string }> {
  const issued = await issueLocalKey(store, dataDir, now);
  const tenant = await store.tenants.get(issued.tenantId);
  if (tenant && tenant.apiRate === undefined)
    await store.tenants.setRateLimits(issued.tenantId, LOCAL_RATE_LIMITS);
  return issued;
}

async function issueLocalKey(
  store: Store,
  dataDir: string | undefined,
  now: Date,
): Promise<{ apiKey: string; tenantId: string; expiresAt: string }> {
  let tenantId: string | undefined;
  if (dataDir) {
    try {
      const saved = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as { apiKey?: string };
      const key = saved.apiKey ? await store.apiKeys.get(hashApiKey(saved.apiKey)) : undefined;
      if (saved.apiKey && key) {
        tenantId = key.tenantId;
        const remaining = key.expiresAt ? Date.parse(key.expiresAt) - now.getTime() : 0;
        if (!key.revokedAt && remaining >= MIN_REMAINING_MS) {
          return { apiKey: saved.apiKey, tenantId, expiresAt: key.expiresAt as string };
        }
      }
    } catch {
      // no saved key yet
    }
  }
  if (tenantId && (await store.tenants.get(tenantId))) {
    const { apiKey, expiresAt } = await issueAdminKey(store, tenantId, { now });
    return { apiKey, tenantId, expiresAt };
  }
  const {
    apiKey,
    tenantId: created,
    expiresAt,
  } = await createTenant(store, 'local', {
    now,
    rateLimits: LOCAL_RATE_LIMITS,
  });
  return { apiKey, tenantId: created, expiresAt };
}
