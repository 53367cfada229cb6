import type { Context, ScheduledEvent } from 'aws-lambda';
import { documentClient, eventBridgeClient } from '../shared/aws.js';
import { readEnv } from '../shared/env.js';
import { kubeAccess } from '../shared/kube/access.js';
import { eksClustersManagedBy, eksPoolOf, kubeApiCidrsOf } from '../shared/kube/pool.js';
import { createLogger } from '../shared/logger.js';
import { createMetrics, instrumented, publishMetrics } from '../shared/observability.js';
import { Store } from '../shared/store/store.js';
import { Sweeps } from '../shared/store/sweeps.js';
import { type DeadlineSweepResult, sweepDeadlines } from './deadlines.js';
import { type DriftSweepResult, sweepDrift } from './drift.js';
import { ReconcilerEnv } from './env.js';
import { eventBridgePublisher } from './events.js';

const env = readEnv(ReconcilerEnv);
const { TABLE_NAME: tableName, STRATUS_REGION: region, EVENT_BUS_NAME: busName } = env;
/** Every region's EKS clusters; each run scans those of the regions this one manages. */
const eksPool = eksPoolOf(env.EKS_CLUSTERS, region);
const deleteOrphans = env.RECONCILER_DELETE_ORPHANS;

const logger = createLogger('stratus-reconciler');
/** The reconciler's own metrics, one data point per run, read by the dashboard (lib/observability.ts). */
const reconcilerMetrics = createMetrics('Stratus/Reconciler');
/** The business metrics shared with the other functions (docs/operations.md, "Metrics"). */
const metrics = createMetrics();
const db = documentClient();
const store = new Store(db, tableName, region);
const sweeps = new Sweeps(store.table);
const publish = eventBridgePublisher(eventBridgeClient(), busName);
const kube = kubeAccess({
  auth: env.KUBE_AUTH,
  region,
  eksClusters: eksPool,
  takeoverRoleArns: env.TAKEOVER_ROLE_ARNS,
  ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
});

/** Deadlines per run: 20 pages of 100 operations, and never closer than 10 s to the timeout. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const SAFETY_MS = 10_000;
/**
 * Drift per run: 20 pages of 50 clusters, 5 at a time, and never closer than 20 s to the timeout:
 * a chunk of clusters may wait up to one Kubernetes request timeout (10 s) before the next check.
 */
const DRIFT_PAGE_SIZE = 50;
const DRIFT_MAX_PAGES = 20;
const DRIFT_SAFETY_MS = 20_000;

export interface ReconcileResult {
  readonly deadlines: DeadlineSweepResult;
  readonly drift: DriftSweepResult;
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

/**
 * Scheduled (every minute, per region): fails the region's operations that ran past their
 * deadline, then compares clusters with Kubernetes (drift, orphans). Each run is idempotent and
 * bounded; what it leaves, the next run picks up.
 */
export const handler = instrumented(logger, reconcile);

async function reconcile(_event: ScheduledEvent, context: Context): Promise<ReconcileResult> {
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

  // Its own region's EKS clusters (unless another region took it over) and those of the regions it
  // took over: read once per run, so a takeover or handback applies from the next run on.
  const controllers = await store.regions.controllers();
  const eksClusters = eksClustersManagedBy(eksPool, region, controllers).map((c) => c.name);
  const drift = await sweepDrift({
    store,
    sweeps,
    kube: (eksCluster) => kube.client(eksCluster),
    invalidateKube: (eksCluster) => kube.invalidate(eksCluster),
    publish,
    region,
    eksClusters,
    kubeApiCidrs: (eksCluster) => kubeApiCidrsOf(eksPool, eksCluster),
    deleteOrphans,
    now: () => new Date(),
    logger,
    pageSize: DRIFT_PAGE_SIZE,
    maxPages: DRIFT_MAX_PAGES,
    hasTime: () => context.getRemainingTimeInMillis() > DRIFT_SAFETY_MS,
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
  return { deadlines, drift };
}
