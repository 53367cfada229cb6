import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterRecord, DriftRepairSeries, OperationError, OperationRecord } from '../domain/records.js';
import { clusterIndex } from './clusters.js';
import { keys, StaleStateError, strip, type Table, TransactionConflictError } from './core.js';
import { failOperationUpdate, operationItem } from './operations.js';

/*
 * The reconciler's queries and writes.
 *
 * Deadlines read the sparse index gsi2 (`ACTIVE#<region>` / `<deadline>#<operationId>`, see
 * `activeIndex` in store.ts), which holds only non-terminal operations: a terminal transition
 * removes the keys, so the index shrinks as work finishes.
 *
 * Drift reads the clusters a region manages from gsi1 (`HOME#<region>` / `CLUSTER#<clusterId>`;
 * DELETED clusters have no gsi1 keys) and keeps its own small items, the sweep's cursor and its
 * last reports (`keys.reconcilerCursor`, `keys.driftReport`; docs/data-model.md).
 */

/** Keys per BatchGetItem: DynamoDB's limit. */
const BATCH_GET_LIMIT = 100;

/** Where the next page starts; opaque to callers. */
export type PageKey = Record<string, unknown>;

export interface OverduePage {
  readonly operations: OperationRecord[];
  readonly next?: PageKey;
}

export interface ClusterPage {
  readonly clusters: ClusterRecord[];
  readonly next?: PageKey;
}

/**
 * Where one kind's cluster-wide list of an EKS cluster stands (functions/reconciler/drift.ts), so
 * that the next run reads on from there instead of listing the kind again from its start.
 */
export interface DriftListPosition {
  readonly eksCluster: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** When the list began (its first chunk): its tokens live about 5 minutes from then. */
  readonly startedAt: string;
  /** The token of the chunk to read (again) first; absent: the list's first chunk. */
  readonly continue?: string;
  /** Every chunk of the list was read and consumed. */
  readonly done?: boolean;
}

/**
 * Where the drift sweep of a region continues: the last cluster it checked (gsi1 order) and where
 * each kind's list stands, then, once every cluster was checked, the orphan pass over the EKS
 * clusters' namespaces.
 */
export type DriftCursor =
  | {
      readonly phase: 'clusters';
      /** The index key to continue after (absent: from the first cluster). */
      readonly startKey?: PageKey;
      /** The kinds' lists, read in step with the clusters (absent: listed from their start). */
      readonly lists?: readonly DriftListPosition[];
      readonly cycleStartedAt: string;
    }
  | {
      readonly phase: 'orphans';
      /** The EKS cluster being scanned, and the last namespace checked in it (names sort). */
      readonly eksCluster: string;
      readonly afterNamespace?: string;
      readonly cycleStartedAt: string;
    };

/** The last drift reported for a cluster, so that a drift left in place is not reported every minute. */
export interface DriftReport {
  readonly findingsHash: string;
  readonly reportedAt: string;
  /** Epoch seconds after which the report is forgotten (and the drift reported again). */
  readonly ttl: number;
}

/** The gsi1 key of a cluster, usable as ExclusiveStartKey of a region query. */
export function clusterIndexKey(region: string, c: { tenantId: string; clusterId: string }): PageKey {
  return {
    ...keys.cluster(c.tenantId, c.clusterId),
    ...clusterIndex({ homeRegion: region, clusterId: c.clusterId }),
  };
}

/** The reconciler's reads and writes, in the region it runs in (the writer of everything it touches). */
export class Sweeps {
  private readonly db;
  private readonly tableName;
  constructor(private readonly table: Table) {
    this.db = table.db;
    this.tableName = table.name;
  }

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
      operations: (res.Items ?? []).map((i) => strip<OperationRecord>(i)),
      ...(res.LastEvaluatedKey ? { next: res.LastEvaluatedKey } : {}),
    };
  }

  /**
   * Fails an operation on its own, when `Store.failOperation` cannot because the cluster is not
   * held by it (an inconsistency: the cluster was deleted, or holds another operation). Without
   * this the operation would stay non-terminal, and in the index, for ever. The status change
   * reaches the bus through the stream like any other.
   *
   * Only if the operation still has the deadline it was read with (`op.deadline`): a rollback
   * that began meanwhile gave it a new one, and is not to be failed for the old one.
   *
   * @throws StaleStateError when the operation is already terminal or its deadline moved.
   */
  async failOperationOnly(op: OperationRecord, error: OperationError, now: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          ...failOperationUpdate(this.tableName, op, error, now, { deadline: op.deadline }),
          // Outside a transaction: say explicitly that a vanished item is not to be recreated.
          ConditionExpression:
            'attribute_exists(pk) AND #status IN (:queued, :running) AND #deadline = :deadline',
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new StaleStateError('operation is no longer active', { cause: e });
      }
      throw e;
    }
  }

  // ---- drift -------------------------------------------------------------------------------

  /**
   * One page of the region's READY clusters, in id order (gsi1). The filter runs after the key
   * condition, so a page may hold fewer than `limit` clusters (or none) and still have a `next`.
   * The index is eventually consistent: callers re-read a cluster before acting on it.
   */
  async readyClusters(
    region: string,
    opts: { readonly limit: number; readonly startKey?: PageKey },
  ): Promise<ClusterPage> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        FilterExpression: '#status = :ready',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': clusterIndex({ homeRegion: region, clusterId: '' }).gsi1pk,
          ':prefix': 'CLUSTER#',
          ':ready': 'READY',
        },
        Limit: opts.limit,
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    return {
      clusters: (res.Items ?? []).map((i) => strip<ClusterRecord>(i)),
      ...(res.LastEvaluatedKey ? { next: res.LastEvaluatedKey } : {}),
    };
  }

  /**
   * The clusters under `refs` (strongly consistent), by `<tenantId>/<clusterId>`; absent: no item.
   * One BatchGetItem per 100 keys (its limit), and again for the keys DynamoDB left unprocessed:
   * the orphan pass reads a namespace's cluster in a hundredth of the calls of a GetItem each.
   */
  async clustersByKey(
    refs: ReadonlyArray<{ readonly tenantId: string; readonly clusterId: string }>,
  ): Promise<Map<string, ClusterRecord>> {
    const found = new Map<string, ClusterRecord>();
    const unique = [...new Map(refs.map((k) => [`${k.tenantId}/${k.clusterId}`, k])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let pending: Array<Record<string, unknown>> = unique
        .slice(i, i + BATCH_GET_LIMIT)
        .map((k) => keys.cluster(k.tenantId, k.clusterId));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const res = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) {
          const c = strip<ClusterRecord>(item);
          found.set(`${c.tenantId}/${c.clusterId}`, c);
        }
        pending = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
      }
    }
    return found;
  }

  async driftCursor(region: string): Promise<DriftCursor | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.reconcilerCursor(region), ConsistentRead: true }),
    );
    return (res.Item?.cursor as DriftCursor | undefined) ?? undefined;
  }

  /** Last writer wins: overlapping runs at worst check some clusters twice. */
  async saveDriftCursor(region: string, cursor: DriftCursor, now: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.reconcilerCursor(region), entity: 'ReconcilerCursor', cursor, updatedAt: now },
      }),
    );
  }

  async driftReport(region: string, clusterId: string): Promise<DriftReport | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.driftReport(region, clusterId),
        ConsistentRead: true,
      }),
    );
    if (!res.Item) return undefined;
    const { findingsHash, reportedAt, ttl } = res.Item as DriftReport;
    return { findingsHash, reportedAt, ttl };
  }

  async saveDriftReport(region: string, clusterId: string, report: DriftReport): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.driftReport(region, clusterId),
          entity: 'DriftReport',
          clusterId,
          ...report,
        },
      }),
    );
  }

  /**
   * Queues a repair: stores `operation` (an UPDATE that re-applies the current spec) and marks the
   * cluster UPDATING, held by it, in one transaction. The cluster must still be READY, idle, and
   * at the generation and status version it was read with: an operation a user started meanwhile
   * wins. The stream then carries the operation to the dispatcher like any other.
   *
   * `series` (the repairs of this drift so far, this one included) is stored on the cluster in
   * the same write, so the count the reconciler's circuit breaker reads is never behind.
   *
   * @throws StaleStateError when the cluster changed or is held by another operation.
   */
  async requestRepair(
    cluster: ClusterRecord,
    operation: OperationRecord,
    series?: DriftRepairSeries,
  ): Promise<void> {
    try {
      await this.table.transact('request repair', {
        cluster: {
          Update: {
            TableName: this.tableName,
            Key: keys.cluster(cluster.tenantId, cluster.clusterId),
            UpdateExpression: `SET #status = :updating, activeOperationId = :op, updatedAt = :now${series ? ', driftRepairs = :series' : ''} ADD statusVersion :one`,
            ConditionExpression:
              'attribute_not_exists(activeOperationId) AND #status = :ready AND generation = :g AND statusVersion = :sv AND homeRegion = :me',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':updating': 'UPDATING',
              ':ready': 'READY',
              ':op': operation.operationId,
              ':now': operation.createdAt,
              ':one': 1,
              ':g': cluster.generation,
              ':sv': cluster.statusVersion,
              ':me': this.table.region,
              ...(series ? { ':series': series } : {}),
            },
          },
        },
        operation: {
          Put: {
            TableName: this.tableName,
            Item: operationItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      });
    } catch (e) {
      if (e instanceof TransactionConflictError) {
        throw new StaleStateError('the cluster changed or is held by an operation', { cause: e });
      }
      throw e;
    }
  }
}
