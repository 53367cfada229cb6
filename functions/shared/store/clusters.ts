import type { ClusterStatus } from '../domain/cluster.js';
import type { ClusterRecord, DriftRepairSuspension, OperationRecord } from '../domain/records.js';
import { type Fence, keys, type Page, StaleStateError, type Table, type TransactItem } from './core.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.js';
import { operationItem } from './operations.js';
import type { RegionStore } from './regions.js';
import { type TenantRecord, TenantStore } from './tenants.js';

/**
 * Clusters and their name guards. Owner: the cluster's `homeRegion` (the region it runs in,
 * unless a takeover moved its control elsewhere). Every write is conditional on
 * `homeRegion = <this region>`, so no other region's write can race it under last-writer-wins.
 */

/** Clusters are indexed by the region that manages them (gsi1), for the reconciler and takeovers. */
export function clusterIndex(c: Pick<ClusterRecord, 'homeRegion' | 'clusterId'>) {
  return { gsi1pk: `HOME#${c.homeRegion}`, gsi1sk: `CLUSTER#${c.clusterId}` };
}

/**
 * Clusters with scheduled backups are in gsi2 by managing region and next run (sparse: the
 * reconciler reads the due ones, functions/reconciler/backups.ts).
 */
export function backupDueIndex(c: Pick<ClusterRecord, 'homeRegion' | 'clusterId'>, nextBackupAt: string) {
  return { gsi2pk: `BACKUPDUE#${c.homeRegion}`, gsi2sk: `${nextBackupAt}#${c.clusterId}` };
}

/** The stored shape of a cluster: its keys, entity and index attributes. */
export function clusterItem(c: ClusterRecord): Record<string, unknown> {
  return {
    ...keys.cluster(c.tenantId, c.clusterId),
    entity: 'Cluster',
    ...clusterIndex(c),
    ...(c.backupPolicy && c.status !== 'DELETED' ? backupDueIndex(c, c.backupPolicy.nextBackupAt) : {}),
    ...c,
  };
}

/** Transaction item names that callers map to answers (see functions/api/store-errors.ts). */
export const CLUSTER_ITEMS = {
  nameGuard: 'nameGuard',
  quota: 'quota',
  tenantQuota: 'tenantQuota',
  control: 'control',
  cluster: 'cluster',
  operation: 'operation',
} as const;

export class ClusterStore {
  constructor(
    private readonly table: Table,
    private readonly tenants: TenantStore,
    private readonly regions: RegionStore,
    private readonly idempotency: IdempotencyStore,
  ) {}

  get(tenantId: string, clusterId: string): Promise<ClusterRecord | undefined> {
    return this.table.get<ClusterRecord>(keys.cluster(tenantId, clusterId));
  }

  /** The cluster that holds a name in a region, if any. */
  getByName(tenantId: string, region: string, name: string): Promise<{ clusterId: string } | undefined> {
    return this.table.get<{ clusterId: string }>(keys.clusterName(tenantId, region, name));
  }

  /**
   * Clusters of a tenant in id (= creation) order. Filters are applied by DynamoDB after the
   * key condition, so this reads on until `limit` items matched or the partition ends.
   */
  list(
    tenantId: string,
    filters: { region?: string; engine?: string; status?: ClusterStatus },
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<ClusterRecord>> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': `TENANT#${tenantId}`, ':prefix': 'CLUSTER#' };
    const conditions: string[] = [];
    for (const [field, value] of Object.entries(filters)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    // Restore tests' scratch clusters are Stratus's: readable by id, never listed.
    conditions.push('attribute_not_exists(restoreTestOf)');
    if (!filters.status) {
      // Deleted clusters stay readable by id for their retention, but lists show them only when asked.
      names['#status'] = 'status';
      values[':deleted'] = 'DELETED';
      conditions.push('#status <> :deleted');
    }
    return this.table.queryPage<ClusterRecord>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(conditions.length
          ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
          : {}),
        ExpressionAttributeValues: values,
      },
      limit,
      startKey,
    );
  }

  /**
   * Stores a new cluster and its CREATE operation in one transaction, in the region that controls
   * the cluster's region: the control fence, the name guard (per region), the quota (the tenant's
   * limits as read, and this region's usage), the cluster and the operation (and the idempotency
   * record, and the request's key `fence` if it has one). The stream carries the operation to the
   * dispatcher.
   *
   * @throws StaleStateError naming `control`, `nameGuard`, `quota`, `tenantQuota` or the fence.
   */
  async create(
    tenant: TenantRecord,
    cluster: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
    fence?: Fence,
  ): Promise<void> {
    const add = { clusters: 1, nodes: cluster.nodes };
    if (TenantStore.exceedsAlone(add, tenant)) {
      throw new StaleStateError('create cluster: over the quota', { failed: [CLUSTER_ITEMS.quota] });
    }
    await this.table.transact(
      'create cluster',
      {
        [CLUSTER_ITEMS.control]: this.regions.controlCheck(cluster.region),
        [CLUSTER_ITEMS.nameGuard]: {
          Put: {
            TableName: this.table.name,
            Item: {
              ...keys.clusterName(cluster.tenantId, cluster.region, cluster.name),
              entity: 'ClusterName',
              clusterId: cluster.clusterId,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        [CLUSTER_ITEMS.tenantQuota]: this.tenants.quotaCheck(tenant),
        [CLUSTER_ITEMS.quota]: this.tenants.reserve(cluster.tenantId, cluster.region, add, tenant),
        [CLUSTER_ITEMS.cluster]: {
          Put: {
            TableName: this.table.name,
            Item: clusterItem(cluster),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        [CLUSTER_ITEMS.operation]: {
          Put: {
            TableName: this.table.name,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      this.idem(cluster.tenantId, idem),
      fence,
    );
  }

  /**
   * PATCH with a spec change: the new desired spec, a new generation and an UPDATE operation,
   * only if nothing changed the cluster since it was read and no operation holds it. The item is
   * written whole, so the condition also covers what `updateMetadata` changes without a version
   * (deletion protection): a protection set meanwhile makes this write lose, not be undone.
   *
   * @throws StaleStateError naming `cluster`, `quota` or `tenantQuota`.
   */
  async updateSpec(
    tenant: TenantRecord | undefined,
    current: ClusterRecord,
    next: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    const delta = operation.nodeDelta ?? 0;
    if (delta > 0 && !tenant)
      throw new StaleStateError('update cluster: no tenant', { failed: [CLUSTER_ITEMS.quota] });
    await this.table.transact(
      'update cluster',
      {
        [CLUSTER_ITEMS.cluster]: {
          Put: {
            TableName: this.table.name,
            Item: clusterItem(next),
            ConditionExpression:
              'attribute_not_exists(activeOperationId) AND statusVersion = :sv AND generation = :g AND deletionProtection = :dp AND homeRegion = :me',
            ExpressionAttributeValues: {
              ':sv': current.statusVersion,
              ':g': current.generation,
              ':dp': current.deletionProtection,
              ':me': this.table.region,
            },
          },
        },
        [CLUSTER_ITEMS.operation]: {
          Put: {
            TableName: this.table.name,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        [CLUSTER_ITEMS.tenantQuota]: delta > 0 && tenant ? this.tenants.quotaCheck(tenant) : undefined,
        [CLUSTER_ITEMS.quota]:
          delta > 0 && tenant
            ? this.tenants.reserve(current.tenantId, current.region, { clusters: 0, nodes: delta }, tenant)
            : delta < 0
              ? this.tenants.release(current.tenantId, current.region, { clusters: 0, nodes: -delta })
              : undefined,
      },
      this.idem(current.tenantId, idem),
    );
  }

  /**
   * The reconciler stops repairing a drift (`driftRepairSuspended`), only while the cluster is as
   * it was read: READY, idle, same generation and status version, managed here. No status change,
   * so no status event and no new status version.
   *
   * @throws StaleStateError naming `cluster` when it changed meanwhile.
   */
  async suspendDriftRepair(current: ClusterRecord, marker: DriftRepairSuspension): Promise<void> {
    await this.table.transact('suspend drift repair', {
      [CLUSTER_ITEMS.cluster]: {
        Update: {
          TableName: this.table.name,
          Key: keys.cluster(current.tenantId, current.clusterId),
          UpdateExpression: 'SET driftRepairSuspended = :marker',
          ConditionExpression:
            'attribute_not_exists(activeOperationId) AND #status = :ready AND generation = :g AND statusVersion = :sv AND homeRegion = :me',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':marker': marker,
            ':ready': 'READY',
            ':g': current.generation,
            ':sv': current.statusVersion,
            ':me': this.table.region,
          },
        },
      },
    });
  }

  /**
   * Forgets the reconciler's repair count and suspension of a drift (it cleared, or the marker is
   * void), if the item still holds the marker that was read.
   *
   * @throws StaleStateError naming `cluster` when the item changed meanwhile.
   */
  async clearDriftRepair(current: ClusterRecord): Promise<void> {
    const since = current.driftRepairSuspended?.since;
    await this.table.transact('clear drift repair', {
      [CLUSTER_ITEMS.cluster]: {
        Update: {
          TableName: this.table.name,
          Key: keys.cluster(current.tenantId, current.clusterId),
          UpdateExpression: 'REMOVE driftRepairSuspended, driftRepairs',
          ConditionExpression: since
            ? 'driftRepairSuspended.since = :since AND homeRegion = :me'
            : 'attribute_not_exists(driftRepairSuspended) AND homeRegion = :me',
          ExpressionAttributeValues: { ':me': this.table.region, ...(since ? { ':since': since } : {}) },
        },
      },
    });
  }

  /**
   * PATCH of metadata only (deletion protection, the backup schedule): applied at once, no operation, no event. It
   * sets only its own fields, and only on the generation it read: a spec change committed
   * meanwhile makes it lose (its answer would show a spec that is no longer desired), and
   * `updateSpec` conditions on the protection it read, so neither write undoes the other.
   *
   * @throws StaleStateError naming `cluster` (being deleted, changed since read, or no longer managed here).
   */
  async updateMetadata(current: ClusterRecord, next: ClusterRecord, idem?: IdempotencyRecord): Promise<void> {
    await this.table.transact(
      'update cluster metadata',
      {
        [CLUSTER_ITEMS.cluster]: {
          Update: {
            TableName: this.table.name,
            Key: keys.cluster(current.tenantId, current.clusterId),
            UpdateExpression: next.backupPolicy
              ? 'SET deletionProtection = :dp, updatedAt = :now, backupPolicy = :policy, gsi2pk = :duePk, gsi2sk = :dueSk'
              : 'SET deletionProtection = :dp, updatedAt = :now REMOVE backupPolicy, gsi2pk, gsi2sk',
            // A DELETE accepted meanwhile must not lose its protection check.
            ConditionExpression:
              'attribute_exists(pk) AND #status <> :deleting AND #status <> :deleted AND generation = :g AND homeRegion = :me',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':dp': next.deletionProtection,
              ':now': next.updatedAt,
              ...(next.backupPolicy
                ? (() => {
                    const due = backupDueIndex(next, next.backupPolicy.nextBackupAt);
                    return { ':policy': next.backupPolicy, ':duePk': due.gsi2pk, ':dueSk': due.gsi2sk };
                  })()
                : {}),
              ':g': current.generation,
              ':deleting': 'DELETING',
              ':deleted': 'DELETED',
              ':me': this.table.region,
            },
          },
        },
      },
      this.idem(current.tenantId, idem),
    );
  }

  /**
   * DELETE: the cluster enters DELETING and a DELETE operation is queued.
   *
   * @throws StaleStateError naming `cluster`.
   */
  async requestDelete(
    next: ClusterRecord,
    operation: OperationRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.table.transact(
      'delete cluster',
      this.deleteItems(next, operation),
      this.idem(next.tenantId, idem),
    );
  }

  /** The items of a DELETE request (`cluster`: DELETING and held, if idle and unprotected; `operation`). */
  deleteItems(
    next: ClusterRecord,
    operation: OperationRecord,
  ): { cluster: TransactItem; operation: TransactItem } {
    return {
      [CLUSTER_ITEMS.cluster]: {
        Update: {
          TableName: this.table.name,
          Key: keys.cluster(next.tenantId, next.clusterId),
          UpdateExpression:
            'SET #status = :deleting, activeOperationId = :op, updatedAt = :now ADD statusVersion :one',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(activeOperationId) AND deletionProtection = :false AND homeRegion = :me',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':deleting': 'DELETING',
            ':op': operation.operationId,
            ':now': next.updatedAt,
            ':one': 1,
            ':false': false,
            ':me': this.table.region,
          },
        },
      },
      [CLUSTER_ITEMS.operation]: {
        Put: {
          TableName: this.table.name,
          Item: operationItem(operation),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    };
  }

  /** Frees the cluster's name in its region (the deletion finished). */
  deleteNameGuard(cluster: ClusterRecord): TransactItem {
    return {
      Delete: {
        TableName: this.table.name,
        Key: keys.clusterName(cluster.tenantId, cluster.region, cluster.name),
        ConditionExpression: 'clusterId = :c',
        ExpressionAttributeValues: { ':c': cluster.clusterId },
      },
    };
  }

  private idem(tenantId: string, idem: IdempotencyRecord | undefined): TransactItem | undefined {
    return idem ? this.idempotency.put(tenantId, idem) : undefined;
  }
}
