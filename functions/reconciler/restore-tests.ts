/**
 * Restore tests (issue #14), run by the reconciler every minute after the backup sweep: each
 * unfinished test of this region (gsi2 `RESTORETEST#<region>`, sparse) moves one step per run.
 * PENDING: its backup is restored into a scratch cluster (a CREATE with `restoreFrom`, through the
 * usual queue and provisioner; out of the tenant's list and quota). RUNNING: once that CREATE has
 * ended, the result is published (`Backup Restore Test Completed`) and, in one transaction, the
 * test is finished and its scratch cluster's DELETE requested. The event goes first: a failure in
 * between publishes it again at the next run under the same id, and subscribers deduplicate.
 * Every write is conditional: overlapping runs lose without harm.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { planDelete } from '../shared/domain/plan.js';
import type { OperationError } from '../shared/domain/records.js';
import {
  planScratchCluster,
  type RestoreTestRecord,
  restoreTestOutcome,
} from '../shared/domain/restore-tests.js';
import { ProblemError } from '../shared/errors.js';
import { StaleStateError, type Store } from '../shared/store/store.js';
import type { ReconcilerEvent } from './events.js';

export interface RestoreTestSweepDeps {
  readonly store: Store;
  readonly region: string;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly publish: (event: ReconcilerEvent) => Promise<void>;
  /** Tests read per run. @default 100 */
  readonly limit?: number;
}

export interface RestoreTestSweepResult {
  /** Scratch clusters requested. */
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Writes lost to a concurrent change (the next run looks again). */
  readonly raced: number;
}

export async function sweepRestoreTests(deps: RestoreTestSweepDeps): Promise<RestoreTestSweepResult> {
  const counts = { started: 0, succeeded: 0, failed: 0, raced: 0 };
  const page = await deps.store.restoreTests.unfinished(deps.limit ?? 100);
  for (const seen of page.items) {
    try {
      const done = await step(deps, seen);
      if (done) counts[done]++;
    } catch (e) {
      if (!(e instanceof StaleStateError)) throw e;
      counts.raced++;
    }
  }
  return counts;
}

async function step(
  deps: RestoreTestSweepDeps,
  seen: RestoreTestRecord,
): Promise<'started' | 'succeeded' | 'failed' | undefined> {
  // The index is eventually consistent: act on the item as it is.
  const test = await deps.store.restoreTests.get(seen.tenantId, seen.backupId);
  if (!test || test.homeRegion !== deps.region) return undefined;
  const now = deps.now();
  if (test.status === 'PENDING') {
    const backup = await deps.store.backups.get(test.tenantId, test.backupId);
    let plan: ReturnType<typeof planScratchCluster>;
    try {
      plan = planScratchCluster(test, backup, { homeRegion: deps.region, now });
    } catch (e) {
      if (!(e instanceof ProblemError)) throw e;
      // Deleted, or no longer restorable, before it could be tested.
      return finish(deps, test, { status: 'FAILED', error: { code: e.code, message: e.message } }, now);
    }
    await deps.store.restoreTests.start(test, plan.cluster, plan.operation, now.toISOString());
    deps.logger.info('restore test started', {
      backupId: test.backupId,
      clusterId: test.clusterId,
      scratchClusterId: plan.cluster.clusterId,
      operationId: plan.operation.operationId,
      correlationId: test.correlationId,
    });
    return 'started';
  }
  if (test.status !== 'RUNNING' || !test.scratchClusterId || !test.operationId) return undefined;
  const [operation, cluster] = await Promise.all([
    deps.store.operations.get(test.tenantId, test.operationId),
    deps.store.clusters.get(test.tenantId, test.scratchClusterId),
  ]);
  const outcome = restoreTestOutcome(test, operation, cluster, now);
  if (!outcome) return undefined;
  return finish(deps, test, outcome, now);
}

async function finish(
  deps: RestoreTestSweepDeps,
  test: RestoreTestRecord,
  outcome: { readonly status: 'SUCCEEDED' | 'FAILED'; readonly error?: OperationError },
  now: Date,
): Promise<'succeeded' | 'failed'> {
  const finishedAt = now.toISOString();
  const scratch = test.scratchClusterId
    ? await deps.store.clusters.get(test.tenantId, test.scratchClusterId)
    : undefined;
  // Its scratch cluster goes (unless gone already, or still held: the timeout waits for it).
  const deletable =
    scratch && scratch.status !== 'DELETED' && scratch.status !== 'DELETING' && !scratch.activeOperationId;
  if (scratch && !deletable && scratch.status !== 'DELETED' && scratch.status !== 'DELETING') {
    // Timed out while its CREATE still runs: the deadline sweep ends that CREATE; finish then.
    throw new StaleStateError('restore test: its scratch cluster is still busy', { failed: ['cluster'] });
  }
  const deletion = deletable
    ? planDelete(scratch, {
        tenantId: test.tenantId,
        regions: [test.region],
        apiRegion: deps.region,
        controllers: {},
        correlationId: test.correlationId,
        now,
        requestedBy: 'restore-test',
      })
    : undefined;
  await deps.publish({
    detailType: 'Backup Restore Test Completed',
    detail: {
      schemaVersion: '1',
      eventId: `${test.backupId}/restore-test`,
      occurredAt: finishedAt,
      tenantId: test.tenantId,
      region: test.region,
      clusterId: test.clusterId,
      correlationId: test.correlationId,
      backupId: test.backupId,
      result: outcome.status,
      engine: test.engine,
      ...(test.scratchClusterId ? { scratchClusterId: test.scratchClusterId } : {}),
      ...(test.operationId ? { operationId: test.operationId } : {}),
      ...(test.startedAt
        ? { startedAt: test.startedAt, durationSeconds: (now.getTime() - Date.parse(test.startedAt)) / 1000 }
        : {}),
      finishedAt,
      ...(outcome.error ? { error: outcome.error } : {}),
    },
  });
  await deps.store.restoreTests.finish(
    test,
    outcome,
    finishedAt,
    deletion ? deps.store.clusters.deleteItems(deletion.cluster, deletion.operation) : undefined,
  );
  const log = outcome.status === 'SUCCEEDED' ? deps.logger.info : deps.logger.warn;
  log.call(deps.logger, 'restore test finished', {
    backupId: test.backupId,
    clusterId: test.clusterId,
    result: outcome.status,
    code: outcome.error?.code,
    correlationId: test.correlationId,
    deleteOperationId: deletion?.operation.operationId,
  });
  return outcome.status === 'SUCCEEDED' ? 'succeeded' : 'failed';
}
