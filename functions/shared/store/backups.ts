import type { BackupRecord } from '../domain/backups.js';
import { DELETED_BACKUP_RETENTION_SECONDS } from '../domain/backups.js';
import type { ClusterRecord, OperationRecord } from '../domain/records.js';
import { backupDueIndex as backupDueIndexOf } from './clusters.js';
import { epoch, keys, type Page, type Table, type TransactItem } from './core.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.js';
import { operationItem } from './operations.js';

/**
 * Backups (docs/data-model.md). Owner: the `homeRegion` of the cluster when the backup was taken;
 * every write is conditional on it. A backup outlives its cluster: it is what a restore reads.
 */

/** A cluster's backups, newest first (gsi1, next to its operations). */
export function backupIndex(b: Pick<BackupRecord, 'clusterId' | 'createdAt' | 'backupId'>) {
  return { gsi1pk: `CLUSTER#${b.clusterId}`, gsi1sk: `BACKUP#${b.createdAt}#${b.backupId}` };
}

/** What a SUCCEEDED backup records. */
export interface BackupResult {
  readonly storage: BackupRecord['storage'];
  readonly sizeBytes: number;
  /** Object Lock: no object it wrote may be deleted before (functions/shared/object-lock.ts). */
  readonly lockedUntil?: string;
  /** A scheduled backup's new `expiresAt`, when its lock outlasts its retention. */
  readonly expiresAt?: string;
}

/** Backups with a retention are in gsi2 by managing region and expiry (sparse: the reconciler deletes the expired). */
export function backupExpiryIndex(b: Pick<BackupRecord, 'homeRegion' | 'backupId'>, expiresAt: string) {
  return { gsi2pk: `BACKUPEXPIRY#${b.homeRegion}`, gsi2sk: `${expiresAt}#${b.backupId}` };
}

export function backupItem(b: BackupRecord): Record<string, unknown> {
  return {
    ...keys.backup(b.tenantId, b.backupId),
    entity: 'Backup',
    ...backupIndex(b),
    ...(b.expiresAt && b.status !== 'DELETED' ? backupExpiryIndex(b, b.expiresAt) : {}),
    ...b,
  };
}

export const BACKUP_ITEMS = { cluster: 'cluster', operation: 'operation', backup: 'backup' } as const;

export class BackupStore {
  constructor(
    private readonly table: Table,
    private readonly idempotency: IdempotencyStore,
  ) {}

  get(tenantId: string, backupId: string): Promise<BackupRecord | undefined> {
    return this.table.get<BackupRecord>(keys.backup(tenantId, backupId));
  }

  /** A cluster's backups, newest first; deleted ones are left out. The caller checked the cluster is the tenant's. */
  list(clusterId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<BackupRecord>> {
    return this.table.queryPage<BackupRecord>(
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        FilterExpression: '#status <> :deleted',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': `CLUSTER#${clusterId}`,
          ':prefix': 'BACKUP#',
          ':deleted': 'DELETED',
        },
        ScanIndexForward: false,
      },
      limit,
      startKey,
    );
  }

  /**
   * POST /v1/clusters/{id}/backups: the BACKUP operation holds the cluster (idle, READY, same
   * status version, managed here), the cluster gets its backup store, and the PENDING backup is
   * stored, in one transaction.
   *
   * @throws StaleStateError naming `cluster`.
   */
  async request(
    current: ClusterRecord,
    next: ClusterRecord,
    operation: OperationRecord,
    backup: BackupRecord,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.table.transact(
      'request backup',
      {
        [BACKUP_ITEMS.cluster]: {
          Update: {
            TableName: this.table.name,
            Key: keys.cluster(current.tenantId, current.clusterId),
            UpdateExpression: 'SET activeOperationId = :op, backupStore = :store, updatedAt = :now',
            ConditionExpression:
              'attribute_not_exists(activeOperationId) AND #status = :ready AND statusVersion = :sv AND homeRegion = :me',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':op': operation.operationId,
              ':store': next.backupStore,
              ':now': next.updatedAt,
              ':ready': 'READY',
              ':sv': current.statusVersion,
              ':me': this.table.region,
            },
          },
        },
        [BACKUP_ITEMS.operation]: {
          Put: {
            TableName: this.table.name,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        [BACKUP_ITEMS.backup]: {
          Put: {
            TableName: this.table.name,
            Item: backupItem(backup),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      idem ? this.idempotency.put(current.tenantId, idem) : undefined,
    );
  }

  /**
   * Once its objects are gone (deleted, or its retention passed): DELETED, readable until its
   * TTL, out of the cluster's list and of the expiry index. Written by the reconciler.
   *
   * @throws StaleStateError naming `backup` (it changed, or is not this region's to write).
   */
  async markDeleted(backup: BackupRecord, now: string): Promise<void> {
    await this.table.transact('delete backup', {
      [BACKUP_ITEMS.backup]: {
        Update: {
          TableName: this.table.name,
          Key: keys.backup(backup.tenantId, backup.backupId),
          UpdateExpression:
            'SET #status = :deleted, deletedAt = :now, updatedAt = :now, #ttl = :ttl REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
          ConditionExpression: '#status = :was AND statusVersion = :sv AND homeRegion = :me',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':deleted': 'DELETED',
            ':now': now,
            ':ttl': epoch(now, DELETED_BACKUP_RETENTION_SECONDS),
            ':one': 1,
            ':was': backup.status,
            ':sv': backup.statusVersion,
            ':me': this.table.region,
          },
        },
      },
    });
  }

  /**
   * A cluster's schedule is due: with `plan`, its BACKUP is requested as `request` does and the
   * next run recorded, in one transaction; without (the cluster is busy or not READY), only the
   * next run is recorded: that run is skipped. Either only if the due run is still the one read.
   *
   * @throws StaleStateError naming `cluster`.
   */
  async scheduled(
    current: ClusterRecord,
    nextBackupAt: string,
    plan?: { cluster: ClusterRecord; operation: OperationRecord; backup: BackupRecord },
  ): Promise<void> {
    const policy = current.backupPolicy;
    if (!policy) throw new Error('scheduled: the cluster has no backup policy');
    const due = backupDueIndexOf(current, nextBackupAt);
    const values: Record<string, unknown> = {
      ':next': nextBackupAt,
      ':dueSk': due.gsi2sk,
      ':was': policy.nextBackupAt,
      ':me': this.table.region,
    };
    let update = 'SET backupPolicy.nextBackupAt = :next, gsi2sk = :dueSk';
    let condition = 'backupPolicy.nextBackupAt = :was AND homeRegion = :me';
    if (plan) {
      update += ', activeOperationId = :op, backupStore = :store, updatedAt = :now';
      condition +=
        ' AND attribute_not_exists(activeOperationId) AND #status = :ready AND statusVersion = :sv';
      Object.assign(values, {
        ':op': plan.operation.operationId,
        ':store': plan.cluster.backupStore,
        ':now': plan.cluster.updatedAt,
        ':ready': 'READY',
        ':sv': current.statusVersion,
      });
    }
    await this.table.transact(plan ? 'scheduled backup' : 'skip scheduled backup', {
      [BACKUP_ITEMS.cluster]: {
        Update: {
          TableName: this.table.name,
          Key: keys.cluster(current.tenantId, current.clusterId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ...(plan ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: values,
        },
      },
      [BACKUP_ITEMS.operation]: plan
        ? {
            Put: {
              TableName: this.table.name,
              Item: operationItem(plan.operation),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          }
        : undefined,
      [BACKUP_ITEMS.backup]: plan
        ? {
            Put: {
              TableName: this.table.name,
              Item: backupItem(plan.backup),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          }
        : undefined,
    });
  }

  /**
   * DELETE /v1/backups/{id}: DELETING, and due for deletion now in the expiry index, where the
   * reconciler's next run removes its objects and marks it DELETED (functions/reconciler/backups.ts).
   *
   * @throws StaleStateError naming `backup` (it changed, or is not this region's to write).
   */
  async requestDelete(backup: BackupRecord, now: string, idem?: IdempotencyRecord): Promise<void> {
    const due = backupExpiryIndex(backup, now);
    await this.table.transact(
      'request backup deletion',
      {
        [BACKUP_ITEMS.backup]: {
          Update: {
            TableName: this.table.name,
            Key: keys.backup(backup.tenantId, backup.backupId),
            UpdateExpression:
              'SET #status = :deleting, updatedAt = :now, gsi2pk = :pk, gsi2sk = :sk ADD statusVersion :one',
            ConditionExpression: '#status = :was AND statusVersion = :sv AND homeRegion = :me',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':deleting': 'DELETING',
              ':now': now,
              ':pk': due.gsi2pk,
              ':sk': due.gsi2sk,
              ':one': 1,
              ':was': backup.status,
              ':sv': backup.statusVersion,
              ':me': this.table.region,
            },
          },
        },
      },
      idem ? this.idempotency.put(backup.tenantId, idem) : undefined,
    );
  }

  // ---- workflow transitions (with the operation's, in the same transaction) ---------------

  /** PENDING -> RUNNING. */
  started(op: OperationRecord, now: string): TransactItem | undefined {
    if (!op.backupId) return undefined;
    return this.transition(op, 'PENDING', { status: 'RUNNING', startedAt: now, updatedAt: now });
  }

  /** RUNNING -> SUCCEEDED, with where its objects are and their size. */
  succeeded(op: OperationRecord, result: BackupResult, now: string) {
    return this.transition(op, 'RUNNING', {
      status: 'SUCCEEDED',
      storage: result.storage,
      sizeBytes: result.sizeBytes,
      endedAt: now,
      updatedAt: now,
      ...(result.lockedUntil ? { lockedUntil: result.lockedUntil } : {}),
      // Retention moved to the end of the lock: the expiry index follows.
      ...(result.expiresAt && op.backupId
        ? {
            expiresAt: result.expiresAt,
            gsi2sk: backupExpiryIndex({ homeRegion: op.homeRegion, backupId: op.backupId }, result.expiresAt)
              .gsi2sk,
          }
        : {}),
    });
  }

  /**
   * An expired or DELETING backup whose objects are locked (Object Lock): its deletion waits, by
   * moving it in the expiry index to `until`; nothing else changes (no event). Written by the
   * reconciler, only if the backup is as it read it.
   *
   * @throws StaleStateError naming `backup`.
   */
  async deferDeletion(backup: BackupRecord, until: string, now: string): Promise<void> {
    await this.table.transact('defer backup deletion', {
      [BACKUP_ITEMS.backup]: {
        Update: {
          TableName: this.table.name,
          Key: keys.backup(backup.tenantId, backup.backupId),
          UpdateExpression: 'SET gsi2sk = :sk, updatedAt = :now',
          ConditionExpression: '#status = :was AND statusVersion = :sv AND homeRegion = :me',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':sk': backupExpiryIndex(backup, until).gsi2sk,
            ':now': now,
            ':was': backup.status,
            ':sv': backup.statusVersion,
            ':me': this.table.region,
          },
        },
      },
    });
  }

  /** PENDING or RUNNING -> FAILED, with the operation's error. */
  failed(op: OperationRecord, error: BackupRecord['error'], now: string): TransactItem | undefined {
    if (!op.backupId) return undefined;
    return this.transition(op, undefined, { status: 'FAILED', error, endedAt: now, updatedAt: now });
  }

  private transition(
    op: OperationRecord,
    expected: BackupRecord['status'] | undefined,
    set: Record<string, unknown>,
  ): TransactItem {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':one': 1, ':me': this.table.region, ':op': op.operationId };
    const parts = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    if (expected) values[':expected'] = expected;
    else {
      values[':pending'] = 'PENDING';
      values[':running'] = 'RUNNING';
    }
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.backup(op.tenantId, op.backupId ?? ''),
        UpdateExpression: `SET ${parts.join(', ')} ADD statusVersion :one`,
        ConditionExpression: `${expected ? '#status = :expected' : '#status IN (:pending, :running)'} AND operationId = :op AND homeRegion = :me`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }
}
