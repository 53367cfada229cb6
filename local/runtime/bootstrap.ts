import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashApiKey } from '../../functions/shared/domain/apikeys.js';
import type { Store } from '../../functions/shared/store/store.js';
import { createTenant } from '../../functions/shared/tenants.js';

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

/** Reuses the key of `.stratus/local.json` while it is valid, else creates the local tenant and key. */
export async function bootstrapKey(
  store: Store,
  dataDir: string | undefined,
): Promise<{ apiKey: string; tenantId: string }> {
  if (dataDir) {
    try {
      const saved = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as { apiKey?: string };
      if (saved.apiKey) {
        const key = await store.apiKeys.get(hashApiKey(saved.apiKey));
        if (key && !key.revokedAt) return { apiKey: saved.apiKey, tenantId: key.tenantId };
      }
    } catch {
      // no saved key yet
    }
  }
  const { apiKey, tenantId } = await createTenant(store, 'local');
  return { apiKey, tenantId };
}
