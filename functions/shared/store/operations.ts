import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterStatus } from '../domain/cluster.js';
import { type ExternalEndpoint, PRIVATE_ENDPOINT } from '../domain/endpoint.js';
import { publicOperationError } from '../domain/operation-errors.js';
import type { ClusterRecord, OperationError, OperationRecord, SpecSnapshot } from '../domain/records.js';
import type { RestoreTestRecord } from '../domain/restore-tests.js';
import type { BackupResult, BackupStore } from './backups.js';
import type { ClusterStore } from './clusters.js';
import { epoch, keys, type Page, StaleStateError, type Table, type TransactItem } from './core.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.js';
import type { RestoreTestStore } from './restore-tests.js';
import type { TenantStore } from './tenants.js';

/**
 * Operations and the workflow's transitions. Owner: the `homeRegion` of the operation, the same
 * as its cluster's. Every transition is one conditional transaction on the operation (its
 * expected status) and the cluster it holds (`activeOperationId`, and `homeRegion` = this
 * region), so a duplicate delivery, a stale reader or another region loses the race and does
 * nothing.
 */

/** How long a deleted cluster stays readable. */
export const DELETED_RETENTION_SECONDS = 30 * 24 * 3600;

/** Sparse index of non-terminal operations by managing region and deadline: removed when one ends. */
export function activeIndex(o: Pick<OperationRecord, 'homeRegion' | 'deadline' | 'operationId'>) {
  return { gsi2pk: `ACTIVE#${o.homeRegion}`, gsi2sk: `${o.deadline}#${o.operationId}` };
}

/** The stored shape of an operation (active ones also in gsi2). */
export function operationItem(o: OperationRecord): Record<string, unknown> {
  return {
    ...keys.operation(o.tenantId, o.operationId),
    entity: 'Operation',
    gsi1pk: `CLUSTER#${o.clusterId}`,
    gsi1sk: `OPERATION#${o.createdAt}#${o.operationId}`,
    ...activeIndex(o),
    ...o,
  };
}

/** What a failure write must still find on the operation, besides it being active. */
export interface FailCondition {
  /**
   * The deadline the caller read: a deadline sweep fails an operation only if it is still the
   * one that passed (a rollback that began meanwhile has a fresh one).
   */
  readonly deadline?: string;
}

/**
 * QUEUED or RUNNING -> FAILED with a reason, out of the active index (a missing item fails the
 * condition too). The error is stored redacted (functions/shared/domain/operation-errors.ts).
 * `ConditionExpression` is built from `FailCondition`; a caller that replaces it
 * keeps `:deadline` in its own condition when it set one.
 */
export function failOperationUpdate(
  tableName: string,
  op: OperationRecord,
  error: OperationError,
  now: string,
  when: FailCondition = {},
) {
  return {
    TableName: tableName,
    Key: keys.operation(op.tenantId, op.operationId),
    UpdateExpression:
      'SET #status = :failed, #step = :done, #error = :error, finishedAt = :now, updatedAt = :now REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
    ConditionExpression: `#status IN (:queued, :running)${when.deadline ? ' AND #deadline = :deadline' : ''}`,
    ExpressionAttributeNames: {
      '#status': 'status',
      '#step': 'step',
      '#error': 'error',
      ...(when.deadline ? { '#deadline': 'deadline' } : {}),
    },
    ExpressionAttributeValues: {
      ':failed': 'FAILED',
      ':done': 'DONE',
      ':error': publicOperationError(error),
      ':now': now,
      ':one': 1,
      ':queued': 'QUEUED',
      ':running': 'RUNNING',
      ...(when.deadline ? { ':deadline': when.deadline } : {}),
    },
  };
}

/** The spec fields an UPDATE changed, as they were before it (cancel and rollback restore them). */
function previousSpec(prev: SpecSnapshot) {
  return {
    nodes: prev.nodes,
    sizeName: prev.sizeName,
    size: prev.size,
    version: prev.version,
    settings: prev.settings,
    // Absent means not public: restored as such (an UPDATE may have made it public).
    endpointSettings: prev.endpointSettings ?? PRIVATE_ENDPOINT,
  };
}

/** What a READY cluster is observed to answer at: in the cluster, and through the gateway when public. */
export interface ObservedEndpoint {
  readonly endpoint: string;
  readonly port: number;
  /** Absent: not public (any previous one is removed). */
  readonly externalEndpoint?: ExternalEndpoint;
  /** PEM of the CA of the database's own certificate (TLS clusters, engines/tls.ts). */
  readonly caBundle?: string;
}

/** The SET and REMOVE parts of an observed endpoint. */
function observedFields(observed: ObservedEndpoint): { set: Record<string, unknown>; remove: string[] } {
  return {
    set: {
      endpoint: observed.endpoint,
      port: observed.port,
      ...(observed.externalEndpoint ? { externalEndpoint: observed.externalEndpoint } : {}),
      ...(observed.caBundle ? { caBundle: observed.caBundle } : {}),
    },
    remove: [
      ...(observed.externalEndpoint ? [] : ['externalEndpoint']),
      ...(observed.caBundle ? [] : ['caBundle']),
    ],
  };
}

/**
 * A provisioner delivery's claim on the step its message stands for (docs/operations.md, "One
 * delivery owns a step"): written by `claimStep`, or checked and carried by a transition.
 */
export interface ClaimRequest {
  /** The message's step number. */
  readonly seq: number;
  readonly now: string;
  /** Until when it binds other deliveries if its holder dies (the lease). */
  readonly until: string;
  /** The queue message and its receive count: its redelivery may take the step over. */
  readonly by?: { readonly messageId: string; readonly receiveCount: number };
}

/**
 * The claim's condition on the operation item, with its names and values (`:claim` is the
 * record to write). Granted when the operation is managed here and has no claim of this region,
 * when `seq` follows the last claim, or when the last claim is this `seq`'s, unfinished, and
 * made by an earlier receive of the same message or past its lease.
 */
function claimTerms(region: string, c: ClaimRequest) {
  return {
    condition:
      'homeRegion = :me AND (attribute_not_exists(#claim) OR #claim.#region <> :me OR #claim.#seq = :prev OR (#claim.#seq = :seq AND #claim.#done = :false AND (#claim.#until < :now OR (#claim.#by = :by AND #claim.#receive < :receive))))',
    names: {
      '#claim': 'claim',
      '#region': 'region',
      '#seq': 'seq',
      '#done': 'done',
      '#until': 'until',
      '#by': 'by',
      '#receive': 'receive',
    },
    values: {
      ':claim': {
        seq: c.seq,
        region,
        until: c.until,
        done: false,
        ...(c.by ? { by: c.by.messageId, receive: c.by.receiveCount } : {}),
      },
      // No message id: matches no claim (only the lease can hand the step over).
      ':by': c.by?.messageId ?? '',
      ':receive': c.by?.receiveCount ?? 0,
      ':me': region,
      ':prev': c.seq - 1,
      ':seq': c.seq,
      ':false': false,
      ':now': c.now,
    } as Record<string, unknown>,
  };
}

export const OPERATION_ITEMS = { operation: 'operation', cluster: 'cluster' } as const;

export class OperationStore {
  constructor(
    private readonly table: Table,
    private readonly clusters: ClusterStore,
    private readonly tenants: TenantStore,
    private readonly idempotency: IdempotencyStore,
    private readonly backups: BackupStore,
    private readonly restoreTests: RestoreTestStore,
  ) {}

  get(tenantId: string, operationId: string): Promise<OperationRecord | undefined> {
    return this.table.get<OperationRecord>(keys.operation(tenantId, operationId));
  }

  /** Operations of a cluster, newest first (gsi1). The caller has checked the cluster is the tenant's. */
  list(clusterId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<OperationRecord>> {
    return this.table.queryPage<OperationRecord>(
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `CLUSTER#${clusterId}`, ':prefix': 'OPERATION#' },
        ScanIndexForward: false,
      },
      limit,
      startKey,
    );
  }

  /**
   * Cancels a QUEUED operation and puts the cluster back as it was: a cancelled CREATE leaves
   * nothing (the cluster is DELETED and its name and quota are freed), a cancelled UPDATE
   * restores the previous spec, a cancelled DELETE the previous status.
   *
   * @throws StaleStateError naming `operation` (it has started or finished) or `cluster`.
   */
  async cancel(
    op: OperationRecord,
    cluster: ClusterRecord,
    now: string,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    const prev = op.previous;
    const operation: TransactItem = {
      Update: {
        TableName: this.table.name,
        Key: keys.operation(op.tenantId, op.operationId),
        UpdateExpression:
          'SET #status = :cancelled, #step = :done, finishedAt = :now, updatedAt = :now REMOVE gsi2pk, gsi2sk ADD statusVersion :one',
        ConditionExpression: '#status = :queued',
        ExpressionAttributeNames: { '#status': 'status', '#step': 'step' },
        ExpressionAttributeValues: {
          ':cancelled': 'CANCELLED',
          ':done': 'DONE',
          ':now': now,
          ':one': 1,
          ':queued': 'QUEUED',
        },
      },
    };
    let rest: Record<string, TransactItem | undefined>;
    if (op.type === 'CREATE') {
      rest = {
        cluster: this.clusterGone(op, now),
        nameGuard: this.clusters.deleteNameGuard(cluster),
        quota: this.release(cluster),
      };
    } else if ((op.type === 'PAUSE' || op.type === 'RESUME') && prev) {
      // The generation PAUSE or RESUME began goes back with the paused flag it changed.
      rest = {
        cluster: this.updateCluster(
          op,
          { status: prev.status, generation: prev.generation, paused: prev.paused === true, updatedAt: now },
          {},
          true,
        ),
      };
    } else if (op.type === 'UPDATE' && prev) {
      rest = {
        cluster: this.updateCluster(
          op,
          {
            ...previousSpec(prev),
            status: prev.status,
            generation: prev.generation,
            updatedAt: now,
          },
          {},
          true,
        ),
        quota: this.undoNodeDelta(op, cluster.region),
      };
    } else {
      rest = {
        cluster: this.updateCluster(op, { status: prev?.status ?? 'READY', updatedAt: now }, {}, true),
        backup:
          op.type === 'BACKUP'
            ? this.backups.failed(
                op,
                { code: 'CANCELLED', message: 'The backup was cancelled before it started' },
                now,
              )
            : undefined,
      };
    }
    await this.table.transact(
      'cancel operation',
      { [OPERATION_ITEMS.operation]: operation, ...rest },
      idem ? this.idempotency.put(op.tenantId, idem) : undefined,
    );
  }

  // ---- workflow transitions (provisioner) --------------------------------------------------

  /**
   * Claims the step that the provisioning message `seq` stands for, for this region, until
   * `until`. It succeeds when the operation has no claim of this region (a new operation, or one
   * another region ran before a takeover or handback), when `seq` follows the last claim (the
   * successor its sender sent), or when the last claim is this `seq`'s, unfinished, and either
   * made by an earlier receive of this very queue message (same `by`, lower `receive`: that
   * receive died or timed out, and SQS delivered the message again) or past its lease. Anything
   * else is a duplicate delivery, including a copy of the same message received alongside.
   * `start`, `complete`, `finishRollback` and `completeDeletion` take the same claim and check it
   * in their own write instead (docs/cost.md).
   *
   * @throws StaleStateError when another delivery owns the step.
   */
  async claimStep(
    op: OperationRecord,
    seq: number,
    now: string,
    until: string,
    by?: { readonly messageId: string; readonly receiveCount: number },
  ): Promise<void> {
    const claim = claimTerms(this.table.region, { seq, now, until, ...(by ? { by } : {}) });
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression: 'SET #claim = :claim',
          ConditionExpression: `#status IN (:queued, :running) AND ${claim.condition}`,
          ExpressionAttributeNames: { ...claim.names, '#status': 'status' },
          ExpressionAttributeValues: { ...claim.values, ':queued': 'QUEUED', ':running': 'RUNNING' },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new StaleStateError(`claim step ${seq}: another delivery owns it`, {
          cause: e,
          failed: ['operation'],
        });
      }
      throw e;
    }
  }

  /**
   * Marks the claimed step finished once its successor message was sent, so a late duplicate of
   * the message does not take it over, and records the workflow step the operation `moved` to
   * (one write for both; only while it is RUNNING). A successor that already claimed its own step
   * wins: then nothing is written, and the successor, which read the step before this, redoes it.
   */
  async finishStep(
    op: OperationRecord,
    seq: number,
    moved?: { readonly step: OperationRecord['step']; readonly now: string },
  ): Promise<void> {
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression: moved
            ? 'SET #claim.#done = :true, #step = :step, updatedAt = :now'
            : 'SET #claim.#done = :true',
          ConditionExpression: moved
            ? '#claim.#seq = :seq AND #claim.#region = :me AND #status = :running'
            : '#claim.#seq = :seq AND #claim.#region = :me',
          ExpressionAttributeNames: {
            '#claim': 'claim',
            '#seq': 'seq',
            '#region': 'region',
            '#done': 'done',
            ...(moved ? { '#step': 'step', '#status': 'status' } : {}),
          },
          ExpressionAttributeValues: {
            ':true': true,
            ':seq': seq,
            ':me': this.table.region,
            ...(moved ? { ':step': moved.step, ':now': moved.now, ':running': 'RUNNING' } : {}),
          },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  /**
   * QUEUED -> RUNNING for the operation, and the cluster enters its working status (a BACKUP
   * leaves it as it is: the database keeps serving; its backup goes RUNNING). With `claim`, the
   * same write claims the delivery's step (as `claimStep` would, same condition): one write of
   * the operation item instead of two (docs/cost.md).
   *
   * @throws StaleStateError naming `operation` (no longer QUEUED, or its step claimed by another
   * delivery) or `cluster`.
   */
  async start(
    op: OperationRecord,
    clusterStatus: ClusterStatus,
    placement: string,
    now: string,
    claim?: ClaimRequest,
  ): Promise<void> {
    const backup = op.type === 'BACKUP';
    await this.table.transact('start', {
      operation: this.updateOperation(
        op,
        { status: 'RUNNING', step: 'APPLY', startedAt: now, updatedAt: now },
        'QUEUED',
        claim ? { request: claim, write: true } : undefined,
      ),
      cluster: backup
        ? this.updateCluster(op, { updatedAt: now }, { placement }, false, [], false)
        : this.updateCluster(op, { status: clusterStatus, updatedAt: now }, { placement }),
      backup: backup ? this.backups.started(op, now) : undefined,
    });
  }

  /**
   * A BACKUP is done: the operation SUCCEEDED, the backup with where it is and its size, the
   * cluster released; with `restoreTest`, the backup's PENDING restore test is stored with it.
   */
  async completeBackup(
    op: OperationRecord,
    result: BackupResult,
    now: string,
    restoreTest?: RestoreTestRecord,
  ): Promise<void> {
    await this.table.transact('complete backup', {
      restoreTest: restoreTest ? this.restoreTests.create(restoreTest) : undefined,
      operation: this.updateOperation(
        op,
        { status: 'SUCCEEDED', step: 'DONE', finishedAt: now, updatedAt: now },
        'RUNNING',
      ),
      cluster: this.updateCluster(op, { updatedAt: now }, {}, true, [], false),
      backup: this.backups.succeeded(op, result, now),
    });
  }

  /**
   * Records the workflow step reached; no status change, so no event. One item: a conditional
   * UpdateItem (1 WRU per KB and index entry) rather than a one-item transaction, which buys no
   * atomicity and costs twice the item's units (docs/cost.md).
   *
   * @throws StaleStateError naming `operation` when it is no longer RUNNING here.
   */
  async setStep(op: OperationRecord, step: OperationRecord['step'], now: string): Promise<void> {
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression: 'SET #step = :step, updatedAt = :now',
          ConditionExpression: '#status = :running AND homeRegion = :me',
          ExpressionAttributeNames: { '#step': 'step', '#status': 'status' },
          ExpressionAttributeValues: {
            ':step': step,
            ':now': now,
            ':running': 'RUNNING',
            ':me': this.table.region,
          },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new StaleStateError(`step ${step}: the operation is not running here`, {
          cause: e,
          failed: ['operation'],
        });
      }
      throw e;
    }
  }

  /**
   * RUNNING -> SUCCEEDED; the cluster becomes READY (a PAUSE: PAUSED) at the operation's
   * generation. A paused cluster keeps its endpoint: it is where it answers once resumed. With
   * `claim`, only if the delivery could claim its step (`claimStep`'s condition, checked in this
   * write: a poll that ends the operation needs no claim of its own).
   */
  async complete(
    op: OperationRecord,
    observed: ObservedEndpoint,
    now: string,
    claim?: ClaimRequest,
  ): Promise<void> {
    const status = op.type === 'PAUSE' ? 'PAUSED' : 'READY';
    const fields = observedFields(observed);
    await this.table.transact('complete', {
      operation: this.updateOperation(
        op,
        { status: 'SUCCEEDED', step: 'DONE', finishedAt: now, updatedAt: now },
        'RUNNING',
        claim ? { request: claim, write: false } : undefined,
      ),
      cluster: this.updateCluster(
        op,
        {
          status,
          updatedAt: now,
          ...fields.set,
          observedGeneration: op.targetGeneration,
        },
        {},
        true,
        ['statusReason', ...fields.remove],
      ),
    });
  }

  /**
   * RUNNING -> SUCCEEDED for a DELETE: the cluster is DELETED (readable until its TTL), its name
   * and quota freed. The name guard is deleted only if it still names this cluster: a guard lost
   * to a replication conflict must not keep the deletion from finishing. `claim`: as `complete`.
   */
  async completeDeletion(
    op: OperationRecord,
    cluster: ClusterRecord,
    now: string,
    claim?: ClaimRequest,
  ): Promise<void> {
    const guard = await this.clusters.getByName(cluster.tenantId, cluster.region, cluster.name);
    await this.table.transact('complete deletion', {
      operation: this.updateOperation(
        op,
        { status: 'SUCCEEDED', step: 'DONE', finishedAt: now, updatedAt: now },
        'RUNNING',
        claim ? { request: claim, write: false } : undefined,
      ),
      cluster: this.clusterGone(op, now),
      nameGuard: guard?.clusterId === cluster.clusterId ? this.clusters.deleteNameGuard(cluster) : undefined,
      quota: this.release(cluster),
    });
  }

  /**
   * A failed UPDATE starts rolling back: the cluster's desired spec returns to the previous one
   * (a new generation), the operation stays RUNNING in step ROLLBACK_APPLY with a fresh deadline,
   * and the node quota the update reserved is released.
   */
  async beginRollback(
    op: OperationRecord,
    cluster: ClusterRecord,
    cause: OperationError,
    now: string,
    deadline: string,
  ): Promise<OperationRecord> {
    const prev = op.previous;
    if (!prev) throw new Error('beginRollback: the operation has no previous spec');
    const generation = cluster.generation + 1;
    const rollback = { cause: publicOperationError(cause), generation };
    // A PAUSE rolls back to running: the cluster is RESUMING (a status change, so an event) and
    // its spec no longer paused. An UPDATE keeps UPDATING.
    const unpause = op.type === 'PAUSE';
    await this.table.transact('begin rollback', {
      operation: {
        Update: {
          TableName: this.table.name,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression:
            'SET #step = :step, #rb = :rb, #deadline = :deadline, updatedAt = :now, gsi2sk = :gsi2sk',
          ConditionExpression: '#status = :running AND attribute_not_exists(#rb)',
          ExpressionAttributeNames: {
            '#step': 'step',
            '#status': 'status',
            '#rb': 'rollback',
            '#deadline': 'deadline',
          },
          ExpressionAttributeValues: {
            ':step': 'ROLLBACK_APPLY',
            ':rb': rollback,
            ':deadline': deadline,
            ':now': now,
            ':gsi2sk': activeIndex({ ...op, deadline }).gsi2sk,
            ':running': 'RUNNING',
          },
        },
      },
      cluster: this.updateCluster(
        op,
        {
          ...previousSpec(prev),
          generation,
          updatedAt: now,
          ...(unpause ? { status: 'RESUMING', paused: false } : {}),
        },
        {},
        false,
        [],
        unpause,
      ),
      quota: this.undoNodeDelta(op, cluster.region),
    });
    return { ...op, step: 'ROLLBACK_APPLY', rollback, deadline };
  }

  /**
   * A failed CREATE starts cleaning up: the operation stays RUNNING, in step CLEANUP with a
   * fresh deadline, until the provisioner has deleted the namespace it started; then `fail`
   * records `cause`. The cluster keeps its status (PROVISIONING) and its hold meanwhile.
   */
  async beginCleanup(
    op: OperationRecord,
    cause: OperationError,
    now: string,
    deadline: string,
  ): Promise<OperationRecord> {
    const cleanup = { cause: publicOperationError(cause) };
    await this.table.transact('begin cleanup', {
      operation: {
        Update: {
          TableName: this.table.name,
          Key: keys.operation(op.tenantId, op.operationId),
          UpdateExpression:
            'SET #step = :step, #cleanup = :cleanup, #deadline = :deadline, updatedAt = :now, gsi2sk = :gsi2sk',
          ConditionExpression:
            '#status = :running AND #type = :create AND homeRegion = :me AND attribute_not_exists(#cleanup)',
          ExpressionAttributeNames: {
            '#step': 'step',
            '#status': 'status',
            '#type': 'type',
            '#cleanup': 'cleanup',
            '#deadline': 'deadline',
          },
          ExpressionAttributeValues: {
            ':step': 'CLEANUP',
            ':cleanup': cleanup,
            ':deadline': deadline,
            ':now': now,
            ':gsi2sk': activeIndex({ ...op, deadline }).gsi2sk,
            ':running': 'RUNNING',
            ':create': 'CREATE',
            ':me': this.table.region,
          },
        },
      },
    });
    return { ...op, step: 'CLEANUP', cleanup, deadline };
  }

  /**
   * The rollback is live: the operation FAILED (saying it was rolled back), the cluster READY on
   * its previous spec. `claim`: as `complete`.
   */
  async finishRollback(
    op: OperationRecord,
    observed: ObservedEndpoint,
    now: string,
    claim?: ClaimRequest,
  ): Promise<void> {
    const rb = op.rollback;
    if (!rb) throw new Error('finishRollback: the operation is not rolling back');
    const error = publicOperationError({
      code: rb.cause.code,
      message: `${rb.cause.message} (rolled back: the cluster runs its previous spec, generation ${rb.generation})`,
    });
    await this.table.transact('finish rollback', {
      operation: this.updateOperation(
        op,
        { status: 'FAILED', step: 'DONE', error, finishedAt: now, updatedAt: now },
        'RUNNING',
        claim ? { request: claim, write: false } : undefined,
      ),
      cluster: this.updateCluster(
        op,
        {
          status: 'READY',
          statusReason: op.type === 'PAUSE' ? 'PAUSE_ROLLED_BACK' : 'UPDATE_ROLLED_BACK',
          updatedAt: now,
          ...observedFields(observed).set,
          observedGeneration: rb.generation,
        },
        {},
        true,
        observedFields(observed).remove,
      ),
    });
  }

  /**
   * Any non-terminal -> FAILED with a reason; the cluster is marked FAILED and released (a
   * BACKUP's cluster is only released, and its backup FAILED). With
   * `when.deadline`, only if the operation still has that deadline (the deadline sweep).
   */
  async fail(
    op: OperationRecord,
    error: OperationError,
    now: string,
    when: FailCondition = {},
  ): Promise<void> {
    const backup = op.type === 'BACKUP';
    await this.table.transact('fail', {
      operation: { Update: failOperationUpdate(this.table.name, op, error, now, when) },
      // A failed backup says nothing about the database: the cluster is only released.
      cluster: backup
        ? this.updateCluster(op, { updatedAt: now }, {}, true, [], false)
        : this.updateCluster(op, { status: 'FAILED', updatedAt: now, statusReason: error.code }, {}, true),
      backup: backup ? this.backups.failed(op, publicOperationError(error), now) : undefined,
    });
  }

  // ---- building blocks ---------------------------------------------------------------------

  /** A deleted cluster's place in its region's usage; none for a restore test's scratch cluster (never counted). */
  private release(cluster: ClusterRecord): TransactItem | undefined {
    if (cluster.restoreTestOf) return undefined;
    return this.tenants.release(cluster.tenantId, cluster.region, { clusters: 1, nodes: cluster.nodes });
  }

  /** Gives back the node count an UPDATE changed in its region's usage (a cancel or a rollback). */
  private undoNodeDelta(op: OperationRecord, region: string): TransactItem | undefined {
    const delta = op.nodeDelta ?? 0;
    if (delta > 0) return this.tenants.release(op.tenantId, region, { clusters: 0, nodes: delta });
    if (delta < 0) return this.tenants.reserve(op.tenantId, region, { clusters: 0, nodes: -delta });
    return undefined;
  }

  /**
   * A transition of the operation from `expectedStatus`. With `claim`, also only if that delivery
   * may claim its step, and, with `write`, the claim is recorded (a transition that ends the
   * operation needs no record: nothing claims a step of an ended operation).
   */
  private updateOperation(
    op: OperationRecord,
    set: Record<string, unknown>,
    expectedStatus: OperationRecord['status'],
    claim?: { readonly request: ClaimRequest; readonly write: boolean },
  ): TransactItem {
    const terminal = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(set.status));
    const terms = claim ? claimTerms(this.table.region, claim.request) : undefined;
    const names: Record<string, string> = { '#status': 'status', ...terms?.names };
    const values: Record<string, unknown> = { ':expected': expectedStatus, ':one': 1, ...terms?.values };
    const parts = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    if (claim?.write) parts.push('#claim = :claim');
    else delete values[':claim'];
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.operation(op.tenantId, op.operationId),
        UpdateExpression: `SET ${parts.join(', ')}${terminal ? ' REMOVE gsi2pk, gsi2sk' : ''} ADD statusVersion :one`,
        ConditionExpression: terms ? `#status = :expected AND ${terms.condition}` : '#status = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * Updates the cluster that `op` holds, only in the region that manages it; `release` clears
   * the hold. Status changes bump statusVersion (`bump`).
   */
  private updateCluster(
    op: OperationRecord,
    set: Record<string, unknown>,
    setIfAbsent: Record<string, unknown>,
    release = false,
    remove: string[] = [],
    bump = true,
  ): TransactItem {
    const names: Record<string, string> = { '#active': 'activeOperationId', '#home': 'homeRegion' };
    const values: Record<string, unknown> = {
      ':op': op.operationId,
      ':me': this.table.region,
      ...(bump ? { ':one': 1 } : {}),
    };
    const parts: string[] = [];
    for (const [i, [k, v]] of Object.entries(set).entries()) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      parts.push(`#s${i} = :s${i}`);
    }
    for (const [i, [k, v]] of Object.entries(setIfAbsent).entries()) {
      names[`#n${i}`] = k;
      values[`:n${i}`] = v;
      parts.push(`#n${i} = if_not_exists(#n${i}, :n${i})`);
    }
    const removals = [...(release ? ['#active'] : []), ...remove];
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.cluster(op.tenantId, op.clusterId),
        UpdateExpression: `SET ${parts.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}${bump ? ' ADD statusVersion :one' : ''}`,
        ConditionExpression: '#active = :op AND #home = :me',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** The cluster is DELETED: no longer held, readable until its TTL, out of the managing region's index. */
  private clusterGone(op: OperationRecord, now: string): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.cluster(op.tenantId, op.clusterId),
        UpdateExpression:
          'SET #status = :deleted, updatedAt = :now, #ttl = :ttl REMOVE activeOperationId, endpoint, port, externalEndpoint, caBundle, gsi1pk, gsi1sk, gsi2pk, gsi2sk ADD statusVersion :one',
        ConditionExpression: 'activeOperationId = :op AND homeRegion = :me',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':deleted': 'DELETED',
          ':now': now,
          ':ttl': epoch(now, DELETED_RETENTION_SECONDS),
          ':one': 1,
          ':op': op.operationId,
          ':me': this.table.region,
        },
      },
    };
  }
}
