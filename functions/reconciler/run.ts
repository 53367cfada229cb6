/**
 * One reconciler run: the deadline sweep, then the drift sweep over the EKS clusters this region
 * manages, each bounded by a page budget and the time left, with metrics after each (the dashboard
 * reads them, lib/observability.ts). The handler (handler.ts) wires the clients.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KubeAccess } from '../shared/kube/access.js';
import {
  type EksPoolEntry,
  eksClustersManagedBy,
  kubeApiCidrsOf,
  placementContext,
} from '../shared/kube/pool.js';
import { publishMetrics } from '../shared/observability.js';
import type { Store } from '../shared/store/store.js';
import type { Sweeps } from '../shared/store/sweeps.js';
import { type BackupSweepDeps, type BackupSweepResult, sweepBackups } from './backups.js';
import { type DeadlineSweepResult, sweepDeadlines } from './deadlines.js';
import { type DriftSweepResult, sweepDrift } from './drift.js';
import type { ReconcilerEvent } from './events.js';
import { type RestoreTestSweepResult, sweepRestoreTests } from './restore-tests.js';

/** The namespace of the reconciler's own metrics (the dashboard's Kubernetes and operations rows). */
export const RECONCILER_NAMESPACE = 'Stratus/Reconciler';

export interface ReconcileDeps {
  readonly store: Store;
  readonly sweeps: Sweeps;
  readonly region: string;
  /** Every region's EKS clusters; each run scans those of the regions this one manages. */
  readonly eksPool: readonly EksPoolEntry[];
  readonly kube: KubeAccess;
  readonly publish: (event: ReconcilerEvent) => Promise<void>;
  readonly deleteOrphans: boolean;
  readonly logger: Logger;
  /** The reconciler's own metrics (namespace `Stratus/Reconciler`), one data point per run. */
  readonly reconcilerMetrics: Metrics;
  /** The business metrics shared with the other functions (docs/operations.md, "Metrics"). */
  readonly metrics: Metrics;
  /** Scheduled backups and retention (backups.ts). @default - none run */
  readonly backups?: Pick<BackupSweepDeps, 'backupBucket' | 'objects'>;
}

/** Deadlines per run: 20 pages of 100 operations, and never closer than 10 s to the timeout. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const SAFETY_MS = 10_000;
/**
 * Drift per run: up to 200 pages of 100 clusters, 5 at a time, and never closer than 20 s to the
 * timeout: a chunk of clusters may wait up to one Kubernetes request timeout (10 s) before the next
 * check. Kubernetes is listed kind by kind, in step with the pages (drift.ts), so a cluster costs
 * only its comparison and its Secret reads: time, not pages, is what bounds a run.
 */
const DRIFT_PAGE_SIZE = 100;
const DRIFT_MAX_PAGES = 200;
const DRIFT_SAFETY_MS = 20_000;

export interface ReconcileResult {
  readonly deadlines: DeadlineSweepResult;
  readonly drift: DriftSweepResult;
  readonly backups?: BackupSweepResult;
  readonly restoreTests?: RestoreTestSweepResult;
}

/** Thrown after a run in which some operations could not be handled, so the run counts as an error (alarm). */
export class ReconcileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReconcileError';
  }
}

/** Clusters found drifted by a sweep: repaired, reported, backing off, suspended or already reported. */
export function driftFound(d: DriftSweepResult): number {
  return d.repaired + d.reported + d.backingOff + d.suspended + d.alreadyReported;
}

/** One run; `remainingMs` is the invocation's time left (Lambda's `getRemainingTimeInMillis`). */
export async function reconcile(deps: ReconcileDeps, remainingMs: () => number): Promise<ReconcileResult> {
  const { store, sweeps, region, logger, reconcilerMetrics, metrics, kube, eksPool } = deps;
  const deadlines = await sweepDeadlines({
    store,
    sweeps,
    region,
    now: () => new Date(),
    logger,
    pageSize: PAGE_SIZE,
    maxPages: MAX_PAGES,
    hasTime: () => remainingMs() > SAFETY_MS,
  });
  logger.info('deadline sweep done', { ...deadlines });
  publishMetrics(
    reconcilerMetrics,
    { region },
    {
      OverdueOperationsScanned: deadlines.scanned,
      OperationsExpired: deadlines.failed + deadlines.failedWithoutCluster,
      OperationsExpiredWithoutCluster: deadlines.failedWithoutCluster,
      OverdueOperationsAlreadyFinished: deadlines.alreadyFinished,
      ReconcileErrors: deadlines.errors,
    },
  );
  if (deadlines.more)
    logger.warn('deadline sweep stopped at its budget; the next run continues', { ...deadlines });

  // Before drift, which may use the rest of the run: a schedule fires within a minute of its time.
  const backups = deps.backups
    ? await sweepBackups({ ...deps.backups, store, region, regions: [region], now: () => new Date(), logger })
    : undefined;
  if (backups) {
    logger.info('backup sweep done', { ...backups });
    publishMetrics(
      reconcilerMetrics,
      { region },
      {
        ScheduledBackupsStarted: backups.started,
        ScheduledBackupsSkipped: backups.skipped,
        BackupsExpired: backups.expired,
        BackupsDeletionDeferred: backups.locked,
      },
    );
  }
  // Restore tests of scheduled backups: one step per test and run (restore-tests.ts).
  const restoreTests = deps.backups
    ? await sweepRestoreTests({ store, region, now: () => new Date(), logger, publish: deps.publish })
    : undefined;
  if (restoreTests) {
    logger.info('restore test sweep done', { ...restoreTests });
    publishMetrics(
      reconcilerMetrics,
      { region },
      {
        RestoreTestsStarted: restoreTests.started,
        RestoreTestsSucceeded: restoreTests.succeeded,
        RestoreTestsFailed: restoreTests.failed,
      },
    );
  }

  // Its own region's EKS clusters (unless another region took it over) and those of the regions it
  // took over: read once per run, so a takeover or handback applies from the next run on.
  const controllers = await store.regions.controllers();
  const eksClusters = eksClustersManagedBy(eksPool, region, controllers).map((c) => c.name);
  const drift = await sweepDrift({
    store,
    sweeps,
    kube: (eksCluster) => kube.client(eksCluster),
    invalidateKube: (eksCluster) => kube.invalidate(eksCluster),
    publish: deps.publish,
    region,
    eksClusters,
    kubeApiCidrs: (eksCluster) => kubeApiCidrsOf(eksPool, eksCluster),
    gateway: (eksCluster) => placementContext(eksPool, eksCluster).gateway,
    deleteOrphans: deps.deleteOrphans,
    now: () => new Date(),
    logger,
    pageSize: DRIFT_PAGE_SIZE,
    maxPages: DRIFT_MAX_PAGES,
    hasTime: () => remainingMs() > DRIFT_SAFETY_MS,
  });
  logger.info('drift sweep done', { ...drift });
  publishMetrics(
    reconcilerMetrics,
    { region },
    {
      DriftClustersChecked: drift.checked,
      DriftRepairsQueued: drift.repaired,
      DriftReported: drift.reported,
      DriftRepairsBackingOff: drift.backingOff,
      DriftRepairsSuspended: drift.suspended,
      OrphansFound: drift.orphans,
      OrphansDeleted: drift.orphansDeleted,
      DriftErrors: drift.errors,
    },
  );
  // Clusters whose Kubernetes objects differed from their spec in this run, whatever was done about it.
  publishMetrics(metrics, { region }, { DriftFound: driftFound(drift) });

  const errors = deadlines.errors + drift.errors;
  if (errors > 0) {
    throw new ReconcileError(
      `${deadlines.errors} overdue operation(s) could not be marked FAILED, ${drift.errors} cluster(s) or namespace(s) could not be checked for drift (see the logs)`,
    );
  }
  return { deadlines, drift, ...(backups ? { backups } : {}), ...(restoreTests ? { restoreTests } : {}) };
}
