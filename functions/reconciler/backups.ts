/**
 * Scheduled backups and retention (issue #14), run by the reconciler every minute: the clusters
 * of this region whose schedule is due get a BACKUP operation (the same as an on-demand one: the
 * queue, the provisioner, deadline, retries, events); backups deleted through the API (DELETING)
 * and scheduled backups past their retention have their objects deleted and are marked DELETED. Both read sparse gsi2 partitions by due time, so
 * a run costs what is due, not what exists. Every write is conditional: overlapping runs, or a run
 * racing an API request, lose without harm.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type BackupObjects, BackupObjectsLockedError } from '../shared/backup-objects.js';
import { type BackupRecord, planBackup } from '../shared/domain/backups.js';
import { nextRun, parseCron } from '../shared/domain/cron.js';
import type { ClusterRecord } from '../shared/domain/records.js';
import { newId } from '../shared/ids.js';
import { isLocked } from '../shared/object-lock.js';
import { StaleStateError, type Store } from '../shared/store/store.js';

export interface BackupSweepDeps {
  readonly store: Store;
  readonly region: string;
  readonly regions: readonly string[];
  readonly now: () => Date;
  readonly logger: Logger;
  /** The region's backup bucket: unset, nothing is scheduled or expired. */
  readonly backupBucket: string | undefined;
  readonly objects: BackupObjects;
  /** Items read per sweep and run. @default 100 */
  readonly limit?: number;
}

export interface BackupSweepResult {
  /** Scheduled backups requested. */
  readonly started: number;
  /** Due runs skipped: the cluster was busy or not READY (the next run is scheduled). */
  readonly skipped: number;
  /** Deleted and expired backups whose objects were removed. */
  readonly expired: number;
  /**
   * Deleted or expired backups whose objects Object Lock still keeps: their deletion moved to
   * `lockedUntil` (or a day later when S3 refused without Stratus knowing the lock), not failed.
   */
  readonly locked: number;
  /** Writes lost to a concurrent change (the next run looks again). */
  readonly raced: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Moves a locked backup's deletion to `until`, and says so. */
async function deferLocked(deps: BackupSweepDeps, backup: BackupRecord, until: string, now: Date) {
  await deps.store.backups.deferDeletion(backup, until, now.toISOString());
  deps.logger.info('backup deletion deferred: its objects are locked (Object Lock)', {
    backupId: backup.backupId,
    clusterId: backup.clusterId,
    status: backup.status,
    until,
  });
}

/** `<iso time>#~` sorts after every `<iso time>#<id>` of that time: the due ones are `<=` it. */
const upTo = (iso: string) => `${iso}#~`;

export async function sweepBackups(deps: BackupSweepDeps): Promise<BackupSweepResult> {
  const counts = { started: 0, skipped: 0, expired: 0, locked: 0, raced: 0 };
  if (!deps.backupBucket) return counts;
  const now = deps.now();
  const limit = deps.limit ?? 100;
  const due = await deps.store.table.queryPage<ClusterRecord>(
    {
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :upTo',
      ExpressionAttributeValues: { ':pk': `BACKUPDUE#${deps.region}`, ':upTo': upTo(now.toISOString()) },
    },
    limit,
  );
  for (const seen of due.items) {
    try {
      counts[await fireSchedule(deps, seen, now)]++;
    } catch (e) {
      if (!(e instanceof StaleStateError)) throw e;
      counts.raced++;
    }
  }
  const expired = await deps.store.table.queryPage<BackupRecord>(
    {
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :upTo',
      ExpressionAttributeValues: { ':pk': `BACKUPEXPIRY#${deps.region}`, ':upTo': upTo(now.toISOString()) },
    },
    limit,
  );
  for (const seen of expired.items) {
    const backup = await deps.store.backups.get(seen.tenantId, seen.backupId);
    // Still running (retention shorter than the backup): the next run deletes it.
    if (!backup || backup.status === 'DELETED' || backup.status === 'PENDING' || backup.status === 'RUNNING')
      continue;
    // A FAILED PostgreSQL backup points at its cluster's whole Barman directory (other backups and
    // the WAL archive): only a backup's own prefix is ever deleted.
    const owns =
      backup.endedAt !== undefined &&
      (backup.error === undefined || backup.storage.prefix.includes(backup.backupId));
    try {
      if (isLocked(backup, now)) {
        await deferLocked(deps, backup, backup.lockedUntil as string, now);
        counts.locked++;
        continue;
      }
      if (owns) await deps.objects.remove(backup.storage);
    } catch (e) {
      if (e instanceof StaleStateError) {
        counts.raced++;
        continue;
      }
      if (!(e instanceof BackupObjectsLockedError)) throw e;
      // S3 holds a lock Stratus did not record (a lock configured after the backup, or set by
      // hand): look again in a day. Some objects may be gone; the rest go then.
      try {
        await deferLocked(deps, backup, new Date(now.getTime() + DAY_MS).toISOString(), now);
        counts.locked++;
      } catch (again) {
        if (!(again instanceof StaleStateError)) throw again;
        counts.raced++;
      }
      continue;
    }
    try {
      await deps.store.backups.markDeleted(backup, now.toISOString());
      counts.expired++;
      deps.logger.info('backup deleted', {
        backupId: backup.backupId,
        clusterId: backup.clusterId,
        why: backup.status === 'DELETING' ? 'DELETE' : 'retention',
      });
    } catch (e) {
      if (!(e instanceof StaleStateError)) throw e;
      counts.raced++;
    }
  }
  return counts;
}

async function fireSchedule(
  deps: BackupSweepDeps,
  seen: ClusterRecord,
  now: Date,
): Promise<'started' | 'skipped'> {
  // The index is eventually consistent: act on the item as it is.
  const cluster = await deps.store.clusters.get(seen.tenantId, seen.clusterId);
  const policy = cluster?.backupPolicy;
  if (
    !cluster ||
    !policy ||
    Date.parse(policy.nextBackupAt) > now.getTime() ||
    cluster.homeRegion !== deps.region
  )
    return 'skipped';
  const next = nextRun(parseCron(policy.schedule), now);
  const nextAt = (next ?? new Date(now.getTime() + 365 * 24 * 3600 * 1000)).toISOString();
  // A PAUSED cluster (no pod to back up) is skipped like a busy one: its next run is scheduled.
  if (cluster.activeOperationId || cluster.status !== 'READY') {
    await deps.store.backups.scheduled(cluster, nextAt);
    deps.logger.info('scheduled backup skipped: the cluster is busy, paused or not READY', {
      clusterId: cluster.clusterId,
      status: cluster.status,
      nextBackupAt: nextAt,
    });
    return 'skipped';
  }
  const plan = planBackup(cluster, {
    tenantId: cluster.tenantId,
    regions: deps.regions,
    apiRegion: deps.region,
    controllers: {},
    correlationId: newId('corr', now.getTime()),
    now,
    requestedBy: 'schedule',
    backupBucket: deps.backupBucket,
    retentionDays: policy.retentionDays,
    ...(policy.restoreTest ? { restoreTest: true } : {}),
  });
  await deps.store.backups.scheduled(cluster, nextAt, plan);
  deps.logger.info('scheduled backup requested', {
    clusterId: cluster.clusterId,
    backupId: plan.backup.backupId,
    operationId: plan.operation.operationId,
    nextBackupAt: nextAt,
  });
  return 'started';
}
