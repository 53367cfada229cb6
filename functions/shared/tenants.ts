import { hashApiKey, newApiKeySecret } from './domain/apikeys.js';
import { newId } from './ids.js';
import type { ApiKeyRecord, Store } from './store/store.js';

/** Quotas a tenant gets unless the operator says otherwise. */
export const DEFAULT_QUOTAS = { maxClusters: 10, maxNodes: 30 } as const;

/** Creates a tenant and its first API key; returns the key's secret (the only time it exists in clear). */
export async function createTenant(
  store: Store,
  name: string,
  opts: { role?: ApiKeyRecord['role']; maxClusters?: number; maxNodes?: number; now?: Date } = {},
): Promise<{ tenantId: string; keyId: string; apiKey: string }> {
  const now = opts.now ?? new Date();
  const role = opts.role ?? 'admin';
  const maxClusters = opts.maxClusters ?? DEFAULT_QUOTAS.maxClusters;
  const maxNodes = opts.maxNodes ?? DEFAULT_QUOTAS.maxNodes;
  const tenantId = newId('tn', now.getTime());
  const keyId = newId('key', now.getTime());
  const apiKey = newApiKeySecret();
  const createdAt = now.toISOString();
  await store.putTenantWithKey(
    {
      tenantId,
      name,
      createdAt,
      maxClusters,
      maxNodes,
      clusterHeadroom: maxClusters,
      nodeHeadroom: maxNodes,
    },
    hashApiKey(apiKey),
    { keyId, tenantId, role, name: 'bootstrap admin key', createdAt },
  );
  return { tenantId, keyId, apiKey };
}
