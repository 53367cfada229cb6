/**
 * Restore tests (issue #14): a schedule with `restoreTest: true` has each of its backups that
 * succeeds restored into a scratch cluster, which must reach READY, and is then deleted; the
 * result is published as `Backup Restore Test Completed`. Users learn a backup is bad before they
 * need it. Pure rules: no SDK imports.
 */
import { ProblemError } from '../errors.js';
import { type BackupRecord, planRestore } from './backups.js';
import { planCreate } from './plan.js';
import type { ClusterRecord, OperationError, OperationRecord } from './records.js';

export const RESTORE_TEST_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type RestoreTestStatus = (typeof RESTORE_TEST_STATUSES)[number];

/**
 * How long a restore test may take from its start: the scratch CREATE's own deadline (30 minutes)
 * and a few reconciler runs on top.
 */
export const RESTORE_TEST_DEADLINE_MS = 40 * 60 * 1000;

/** A restore test (entity `RestoreTest`, one per backup), written by the managing region. */
export interface RestoreTestRecord {
  readonly tenantId: string;
  readonly backupId: string;
  /** The backed-up cluster. */
  readonly clusterId: string;
  readonly region: string;
  readonly homeRegion: string;
  readonly engine: string;
  readonly status: RestoreTestStatus;
  readonly correlationId: string;
  /** The scratch cluster and its CREATE, once started. */
  readonly scratchClusterId?: string;
  readonly operationId?: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: OperationError;
}

/** Its name: `rt-` and the backup id's ULID (lower-case, 29 characters, a valid cluster name). */
export const scratchName = (backupId: string) => `rt-${backupId.slice(3)}`;

/** The PENDING test of a backup that just succeeded. */
export function newRestoreTest(backup: BackupRecord, correlationId: string, now: string): RestoreTestRecord {
  return {
    tenantId: backup.tenantId,
    backupId: backup.backupId,
    clusterId: backup.clusterId,
    region: backup.region,
    homeRegion: backup.homeRegion,
    engine: backup.engine,
    status: 'PENDING',
    correlationId,
    createdAt: now,
  };
}

/**
 * The scratch cluster that restores the backup: one node of the backed-up size, its settings and
 * version, in the backup's region, managed by `homeRegion`, marked `restoreTestOf`. A backup that
 * can no longer be restored (deleted, or of an engine that does not restore) throws the API's
 * problem (BACKUP_NOT_FOUND, BACKUP_NOT_RESTORABLE, VALIDATION_FAILED), whose code the test reports.
 */
export function planScratchCluster(
  test: RestoreTestRecord,
  backup: BackupRecord | undefined,
  ctx: { readonly homeRegion: string; readonly now: Date },
): { cluster: ClusterRecord; operation: OperationRecord } {
  const restore = planRestore(backup, { engine: test.engine, nodes: 1 }, ctx.now);
  const source = backup?.source;
  if (!source) throw new ProblemError('BACKUP_NOT_FOUND');
  const planned = planCreate(
    {
      name: scratchName(test.backupId),
      engine: test.engine,
      region: test.region,
      version: restore.version,
      nodes: 1,
      size: source.size,
      settings: source.settings,
      deletionProtection: false,
    },
    {
      tenantId: test.tenantId,
      regions: [test.region],
      apiRegion: ctx.homeRegion,
      controllers: { [test.region]: ctx.homeRegion },
      correlationId: test.correlationId,
      now: ctx.now,
      requestedBy: 'restore-test',
    },
  );
  return {
    operation: planned.operation,
    cluster: { ...planned.cluster, restoreFrom: restore.source, restoreTestOf: test.backupId },
  };
}

/** What the test concludes from its scratch CREATE; undefined while it runs. */
export function restoreTestOutcome(
  test: RestoreTestRecord,
  operation: OperationRecord | undefined,
  cluster: ClusterRecord | undefined,
  now: Date,
):
  | { readonly status: 'SUCCEEDED' }
  | { readonly status: 'FAILED'; readonly error: OperationError }
  | undefined {
  if (!operation || !cluster || cluster.status === 'DELETED' || cluster.status === 'DELETING') {
    return {
      status: 'FAILED',
      error: {
        code: 'RESTORE_TEST_INTERRUPTED',
        message: 'The scratch cluster of the restore test was deleted before it was checked',
      },
    };
  }
  // Its CREATE SUCCEEDED only once the cluster was READY (whatever it does after).
  if (operation.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
  if (operation.status === 'FAILED' || operation.status === 'CANCELLED') {
    return {
      status: 'FAILED',
      error: {
        code: operation.error?.code ?? 'RESTORE_FAILED',
        message: `The backup did not restore: ${operation.error?.message ?? `its CREATE ended ${operation.status}`}`,
      },
    };
  }
  const started = Date.parse(test.startedAt ?? test.createdAt);
  if (now.getTime() - started > RESTORE_TEST_DEADLINE_MS) {
    return {
      status: 'FAILED',
      error: {
        code: 'RESTORE_TEST_TIMEOUT',
        message: `The restored cluster was not READY within ${RESTORE_TEST_DEADLINE_MS / 60_000} minutes`,
      },
    };
  }
  return undefined;
}
