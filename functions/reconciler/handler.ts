import { getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { documentClient } from '../shared/aws.js';
import { createLogger } from '../shared/logger.js';
import { Store } from '../shared/store/store.js';
import { Sweeps } from '../shared/store/sweeps.js';
import { type DeadlineSweepResult, sweepDeadlines } from './deadlines.js';
import { embeddedMetrics } from './metrics.js';

const tableName = getStringFromEnv({ key: 'TABLE_NAME' });
const region = getStringFromEnv({ key: 'STRATUS_REGION' });

const logger = createLogger('stratus-reconciler');
const db = documentClient();
const store = new Store(db, tableName);
const sweeps = new Sweeps(db, tableName);

/** Work per run: 20 pages of 100 operations, and never closer than 10 s to the timeout. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const SAFETY_MS = 10_000;

export interface ReconcileResult {
  readonly deadlines: DeadlineSweepResult;
}

/** Thrown after a run in which some operations could not be handled, so the run counts as an error (alarm). */
export class ReconcileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReconcileError';
  }
}

/**
 * Scheduled (every minute, per region): fails the region's operations that ran past their
 * deadline. Each run is idempotent and bounded; what it leaves, the next run picks up.
 */
export async function handler(_event: ScheduledEvent, context: Context): Promise<ReconcileResult> {
  const deadlines = await sweepDeadlines({
    store,
    sweeps,
    region,
    now: () => new Date(),
    logger,
    pageSize: PAGE_SIZE,
    maxPages: MAX_PAGES,
    hasTime: () => context.getRemainingTimeInMillis() > SAFETY_MS,
  });
  logger.info(
    'deadline sweep done',
    embeddedMetrics(
      'Stratus/Reconciler',
      { region },
      {
        OverdueOperationsScanned: deadlines.scanned,
        OperationsExpired: deadlines.failed + deadlines.failedWithoutCluster,
        OperationsExpiredWithoutCluster: deadlines.failedWithoutCluster,
        OverdueOperationsAlreadyFinished: deadlines.alreadyFinished,
        ReconcileErrors: deadlines.errors,
      },
    ),
  );
  if (deadlines.more)
    logger.warn('deadline sweep stopped at its budget; the next run continues', { ...deadlines });
  if (deadlines.errors > 0) {
    throw new ReconcileError(
      `${deadlines.errors} overdue operation(s) could not be marked FAILED (see the logs)`,
    );
  }
  return { deadlines };
}
