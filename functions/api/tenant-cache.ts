import type { Store, TenantRecord } from '../shared/store/store.js';

/** How long an API instance uses a tenant item as read: an operator's change applies within this (plus replication). */
export const TENANT_CACHE_MS = 30_000;

/**
 * The tenant items one API instance read, each kept `TENANT_CACHE_MS`: the rate limit's limits and
 * the quota's limits (issue #12: a create read the tenant on every request). Only limits are taken
 * from here, and every write that relies on the quota limits checks them in its own transaction
 * (`TenantStore.quotaCheck`), so a stale copy never admits anything: the caller reads again
 * (`fresh`) and retries (functions/api/routes/clusters.ts, `withTenantLimits`). Authentication
 * never comes from here: the API key is read on every request (docs/decisions.md, D3).
 */
export class TenantCache {
  private readonly entries = new Map<string, { readonly tenant: TenantRecord; readonly readAt: number }>();

  constructor(private readonly store: Pick<Store, 'tenants'>) {}

  /** The tenant as read at most TENANT_CACHE_MS ago; a tenant not found is not kept (it may replicate any moment). */
  async get(tenantId: string, nowMs: number): Promise<TenantRecord | undefined> {
    const cached = this.entries.get(tenantId);
    if (cached && nowMs - cached.readAt < TENANT_CACHE_MS) return cached.tenant;
    return this.fresh(tenantId, nowMs);
  }

  /** Reads the tenant now, and keeps what it read. */
  async fresh(tenantId: string, nowMs: number): Promise<TenantRecord | undefined> {
    const tenant = await this.store.tenants.get(tenantId);
    if (tenant) this.entries.set(tenantId, { tenant, readAt: nowMs });
    else this.entries.delete(tenantId);
    return tenant;
  }
}
