import type { Logger } from '@aws-lambda-powertools/logger';
import { TERMINAL_OPERATION_STATUSES } from '../shared/domain/cluster.js';
import type { OperationError, OperationRecord } from '../shared/domain/records.js';
import { StaleStateError, type Store } from '../shared/store/store.js';
import type { PageKey, Sweeps } from '../shared/store/sweeps.js';

export interface DeadlineSweepDeps {
  readonly store: Pick<Store, 'operations'>;
  readonly sweeps: Pick<Sweeps, 'overdueOperations' | 'failOperationOnly'>;
  readonly region: string;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Operations per index page. */
  readonly pageSize: number;
  /** Pages per run: bounded work; the next run continues with what is left. */
  readonly maxPages: number;
  /** False when the run must stop paging (the invocation is running out of time). */
  readonly hasTime: () => boolean;
  /** Operations failed concurrently within a page. @default 10 */
  readonly concurrency?: number;
}

export interface DeadlineSweepResult {
  /** Overdue operations read from the index. */
  readonly scanned: number;
  /** Failed with DEADLINE_EXCEEDED (operation and cluster). */
  readonly failed: number;
  /** Failed with DEADLINE_EXCEEDED on their own: their cluster was not held by them. */
  readonly failedWithoutCluster: number;
  /**
   * No longer overdue when written: finished meanwhile (the provisioner or a cancel won the
   * race), or given a new deadline (a rollback began): nothing to do.
   */
  readonly alreadyFinished: number;
  /** Unexpected errors (the operation stays for the next run). */
  readonly errors: number;
  readonly pages: number;
  /** The run stopped at its page or time budget with overdue operations left. */
  readonly more: boolean;
}

type Outcome = 'failed' | 'failedWithoutCluster' | 'alreadyFinished' | 'error';

/**
 * Invariant 1 (DESIGN.md): an accepted operation ends, or is marked FAILED with
 * DEADLINE_EXCEEDED. Reads the region's overdue operations from the sparse index, oldest first,
 * page by page within a budget, and fails each with a write conditional on the deadline it read.
 * Losing the race to the provisioner is fine: the operation finished, or began a rollback with a
 * deadline of its own (which a later run enforces). The status publisher turns each change into an
 * `Operation Status Changed` (and `Cluster Status Changed`) event from the stream.
 */
export async function sweepDeadlines(deps: DeadlineSweepDeps): Promise<DeadlineSweepResult> {
  const counts: Record<Outcome, number> = {
    failed: 0,
    failedWithoutCluster: 0,
    alreadyFinished: 0,
    error: 0,
  };
  const concurrency = deps.concurrency ?? 10;
  const now = deps.now().toISOString();
  let scanned = 0;
  let pages = 0;
  let startKey: PageKey | undefined;
  do {
    const page = await deps.sweeps.overdueOperations(deps.region, now, {
      limit: deps.pageSize,
      ...(startKey ? { startKey } : {}),
    });
    pages++;
    scanned += page.operations.length;
    for (let i = 0; i < page.operations.length; i += concurrency) {
      const outcomes = await Promise.all(
        page.operations.slice(i, i + concurrency).map((op) => expire(deps, op, now)),
      );
      for (const outcome of outcomes) counts[outcome]++;
    }
    startKey = page.next;
  } while (startKey && pages < deps.maxPages && deps.hasTime());
  return {
    scanned,
    failed: counts.failed,
    failedWithoutCluster: counts.failedWithoutCluster,
    alreadyFinished: counts.alreadyFinished,
    errors: counts.error,
    pages,
    more: startKey !== undefined,
  };
}

async function expire(deps: DeadlineSweepDeps, op: OperationRecord, now: string): Promise<Outcome> {
  const { logger } = deps;
  const error: OperationError = {
    code: 'DEADLINE_EXCEEDED',
    message: `The operation did not finish by ${op.deadline}; the reconciler marked it FAILED`,
  };
  const keys = { operationId: op.operationId, clusterId: op.clusterId, correlationId: op.correlationId };
  try {
    try {
      await deps.store.operations.fail(op, error, now, { deadline: op.deadline });
      logger.warn('operation past its deadline marked FAILED', { ...keys, deadline: op.deadline });
      return 'failed';
    } catch (e) {
      if (!(e instanceof StaleStateError)) throw e;
    }
    // The transaction's conditions failed: the operation finished meanwhile, or its deadline
    // moved (a rollback began), or it is still overdue but its cluster is not held by it.
    const current = await deps.store.operations.get(op.tenantId, op.operationId);
    if (!current || TERMINAL_OPERATION_STATUSES.includes(current.status)) return 'alreadyFinished';
    // A new deadline is a new read's business: the next run fails it with its cluster if it passes.
    if (current.deadline !== op.deadline) return 'alreadyFinished';
    try {
      await deps.sweeps.failOperationOnly(current, error, now);
    } catch (e) {
      if (e instanceof StaleStateError) return 'alreadyFinished';
      throw e;
    }
    logger.error('operation past its deadline marked FAILED; its cluster was not held by it', {
      ...keys,
      deadline: op.deadline,
    });
    return 'failedWithoutCluster';
  } catch (e) {
    logger.error('could not expire an operation past its deadline', { ...keys, error: e as Error });
    return 'error';
  }
}
