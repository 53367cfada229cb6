import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyStore } from './api-keys.js';
import { AuditStore } from './audit.js';
import { BackupStore } from './backups.js';
import { ClusterStore } from './clusters.js';
import { Table } from './core.js';
import { IdempotencyStore } from './idempotency.js';
import { OperationStore } from './operations.js';
import { RateLimitStore } from './rate-limits.js';
import { RegionStore } from './regions.js';
import { RestoreTestStore } from './restore-tests.js';
import { TenantStore } from './tenants.js';

/*
 * The single-table layout (every item's keys, indexes and writer region) is described in one
 * place, docs/data-model.md; `keys` in core.ts builds every key, and test/unit/docs/data-model.test.ts
 * checks that the two agree.
 */

export { API_KEY_FENCE, type ApiKeyRecord, type StoredApiKey } from './api-keys.js';
export { type AuditAction, type AuditEntry, type AuditRecord, OPERATOR_ACTOR } from './audit.js';
export { BACKUP_ITEMS, backupIndex, backupItem } from './backups.js';
export { clusterIndex, clusterItem } from './clusters.js';
export {
  type Fence,
  IdempotencyConflictError,
  keys,
  type Page,
  StaleStateError,
  type TransactItem,
  TransactionConflictError,
} from './core.js';
export type { IdempotencyRecord } from './idempotency.js';
export {
  activeIndex,
  type ClaimRequest,
  DELETED_RETENTION_SECONDS,
  failOperationUpdate,
  operationItem,
} from './operations.js';
export { RESTORE_TEST_ITEMS, restoreTestIndex, restoreTestItem } from './restore-tests.js';
export type { TenantRecord, UsageRecord } from './tenants.js';
export { isTransientStoreError } from './transient.js';

/**
 * DynamoDB access for every function, one aggregate per concern over a shared core. `region` is
 * the region whose functions write through this store: the only region allowed to write the
 * items it owns (docs/data-model.md).
 */
export class Store {
  readonly table: Table;
  readonly tenants: TenantStore;
  readonly regions: RegionStore;
  readonly idempotency: IdempotencyStore;
  readonly apiKeys: ApiKeyStore;
  readonly clusters: ClusterStore;
  readonly operations: OperationStore;
  /** Backups: kept after their cluster is deleted. */
  readonly backups: BackupStore;
  /** Restore tests of scheduled backups (the reconciler runs them). */
  readonly restoreTests: RestoreTestStore;
  /** Insert-only audit records (API-key actions, secret reveals). */
  readonly audit: AuditStore;
  /** Per-tenant request counters of this region's API. */
  readonly rateLimits: RateLimitStore;

  constructor(db: DynamoDBDocumentClient, tableName: string, region: string) {
    this.table = new Table(db, tableName, region);
    this.tenants = new TenantStore(this.table);
    this.regions = new RegionStore(this.table);
    this.idempotency = new IdempotencyStore(this.table);
    this.audit = new AuditStore(this.table);
    this.rateLimits = new RateLimitStore(this.table);
    this.apiKeys = new ApiKeyStore(this.table, this.tenants, this.idempotency, this.audit);
    this.clusters = new ClusterStore(this.table, this.tenants, this.regions, this.idempotency);
    this.backups = new BackupStore(this.table, this.idempotency);
    this.restoreTests = new RestoreTestStore(this.table);
    this.operations = new OperationStore(
      this.table,
      this.clusters,
      this.tenants,
      this.idempotency,
      this.backups,
      this.restoreTests,
    );
  }

  get region(): string {
    return this.table.region;
  }
}
