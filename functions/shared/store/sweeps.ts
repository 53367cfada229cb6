import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OperationError, OperationRecord } from '../domain/records.js';
import { keys, StaleStateError } from './store.js';

/*
 * The reconciler's queries. They read the sparse index gsi2 (`ACTIVE#<region>` /
 * `<deadline>#<operationId>`, see `activeIndex` in store.ts), which holds only non-terminal
 * operations: a terminal transition removes the keys, so the index shrinks as work finishes.
 */

/** Where the next page starts; opaque to callers. */
export type PageKey = Record<string, unknown>;

export interface OverduePage {
  readonly operations: OperationRecord[];
  readonly next?: PageKey;
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl']);

function strip(item: Record<string, unknown>): OperationRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) out[k] = v;
  return out as unknown as OperationRecord;
}

export class Sweeps {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * One page of the region's non-terminal operations whose deadline is before `now`, oldest
   * deadline first. The index is eventually consistent: an operation that just finished may still
   * appear, which the conditional write that fails it then detects.
   */
  async overdueOperations(
    region: string,
    now: string,
    opts: { readonly limit: number; readonly startKey?: PageKey },
  ): Promise<OverduePage> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        // `<deadline>#<id>` < `<now>`: ISO timestamps sort as strings; an equal deadline is not overdue.
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :now',
        ExpressionAttributeValues: { ':pk': `ACTIVE#${region}`, ':now': now },
        ScanIndexForward: true,
        Limit: opts.limit,
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    return {
      operations: (res.Items ?? []).map(strip),
      ...(res.LastEvaluatedKey ? { next: res.LastEvaluatedKey } : {}),
    };
  }

  /**
   * Fails an operation on its own, when `Store.failOperation` cannot because the cluster is not
   * held by it (an inconsistency: the cluster was deleted, or holds another operation). Without
   * this the operation would stay non-terminal, and in the index, for ever. The status change
   * reaches the bus through the stream like any other.
   *
   * @throws StaleStateError when the operation is already terminal.
   */
  async failOperationOnly(op: OperationRecord, error: OperationError, now: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression:
            'SET #status = :failed, #step = :done, #error = :error, finishedAt = :now, updatedAt = :now REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status', '#step': 'step', '#error': 'error' },
          ExpressionAttributeValues: {
            ':failed': 'FAILED',
            ':done': 'DONE',
            ':error': error,
            ':now': now,
            ':one': 1,
            ':queued': 'QUEUED',
            ':running': 'RUNNING',
          },
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new StaleStateError('operation is no longer active', { cause: e });
      }
      throw e;
    }
  }
}
