import type { ClusterRecord, OperationError, OperationRecord } from '../domain/records.js';
import type { RestoreTestRecord } from '../domain/restore-tests.js';
import { clusterItem } from './clusters.js';
import { keys, type Page, type Table, type TransactItem } from './core.js';
import { operationItem } from './operations.js';

/**
 * Restore tests (docs/data-model.md). Owner: the `homeRegion` of the backup they test. Unfinished
 * ones are in gsi2 `RESTORETEST#<homeRegion>` (sparse): the reconciler reads them every run.
 */
export function restoreTestIndex(t: Pick<RestoreTestRecord, 'homeRegion' | 'createdAt' | 'backupId'>) {
  return { gsi2pk: `RESTORETEST#${t.homeRegion}`, gsi2sk: `${t.createdAt}#${t.backupId}` };
}

export function restoreTestItem(t: RestoreTestRecord): Record<string, unknown> {
  return { ...keys.restoreTest(t.tenantId, t.backupId), entity: 'RestoreTest', ...restoreTestIndex(t), ...t };
}

export const RESTORE_TEST_ITEMS = { test: 'test', cluster: 'cluster', operation: 'operation' } as const;

export class RestoreTestStore {
  constructor(private readonly table: Table) {}

  get(tenantId: string, backupId: string): Promise<RestoreTestRecord | undefined> {
    return this.table.get<RestoreTestRecord>(keys.restoreTest(tenantId, backupId));
  }

  /** The unfinished tests this region manages, oldest first. */
  unfinished(limit: number): Promise<Page<RestoreTestRecord>> {
    return this.table.queryPage<RestoreTestRecord>(
      {
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `RESTORETEST#${this.table.region}` },
      },
      limit,
    );
  }

  /** The PENDING test, written in the transaction that completes its backup (OperationStore.completeBackup). */
  create(test: RestoreTestRecord): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: restoreTestItem(test),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * PENDING -> RUNNING with its scratch cluster and CREATE, stored in the same transaction. No
   * name guard and no quota: the scratch cluster is Stratus's, not counted against the tenant.
   *
   * @throws StaleStateError naming `test` (another run started it) or `cluster`/`operation`.
   */
  async start(test: RestoreTestRecord, cluster: ClusterRecord, operation: OperationRecord, now: string) {
    await this.table.transact('start restore test', {
      [RESTORE_TEST_ITEMS.test]: this.transition(test, 'PENDING', {
        status: 'RUNNING',
        scratchClusterId: cluster.clusterId,
        operationId: operation.operationId,
        startedAt: now,
      }),
      [RESTORE_TEST_ITEMS.cluster]: {
        Put: {
          TableName: this.table.name,
          Item: clusterItem(cluster),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      [RESTORE_TEST_ITEMS.operation]: {
        Put: {
          TableName: this.table.name,
          Item: operationItem(operation),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    });
  }

  /**
   * The test's result (out of the index), with the deletion of its scratch cluster when there is
   * one to delete (`deletion`: the items of ClusterStore.deleteItems), in one transaction.
   *
   * @throws StaleStateError naming `test` or `cluster` (busy or changed: the next run tries again).
   */
  async finish(
    test: RestoreTestRecord,
    result: { readonly status: 'SUCCEEDED' | 'FAILED'; readonly error?: OperationError },
    now: string,
    deletion?: { readonly cluster: TransactItem; readonly operation: TransactItem },
  ): Promise<void> {
    await this.table.transact('finish restore test', {
      [RESTORE_TEST_ITEMS.test]: this.transition(
        test,
        test.status,
        { status: result.status, finishedAt: now, ...(result.error ? { error: result.error } : {}) },
        true,
      ),
      ...(deletion
        ? {
            [RESTORE_TEST_ITEMS.cluster]: deletion.cluster,
            [RESTORE_TEST_ITEMS.operation]: deletion.operation,
          }
        : {}),
    });
  }

  private transition(
    test: RestoreTestRecord,
    from: RestoreTestRecord['status'],
    set: Record<string, unknown>,
    done = false,
  ): TransactItem {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':from': from, ':me': this.table.region };
    const parts = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.restoreTest(test.tenantId, test.backupId),
        UpdateExpression: `SET ${parts.join(', ')}${done ? ' REMOVE gsi2pk, gsi2sk' : ''}`,
        ConditionExpression: '#status = :from AND homeRegion = :me',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }
}
