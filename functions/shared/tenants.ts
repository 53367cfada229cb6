import { hashApiKey, newApiKeySecret } from './domain/apikeys.js';
import { newId } from './ids.js';
import type { ApiKeyRecord, Store } from './store/store.js';

/** Creates a tenant and its first API key; returns the key's secret (the only time it exists in clear). */
export async function createTenant(
  store: Store,
  name: string,
  role: ApiKeyRecord['role'] = 'admin',
  now = new Date(),
): Promise<{ tenantId: string; keyId: string; apiKey: string }> {
  const tenantId = newId('tn', now.getTime());
  const keyId = newId('key', now.getTime());
  const apiKey = newApiKeySecret();
  const createdAt = now.toISOString();
  await store.putTenantWithKey({ tenantId, name, createdAt }, hashApiKey(apiKey), {
    keyId,
    tenantId,
    role,
    createdAt,
  });
  return { tenantId, keyId, apiKey };
}
