/**
 * Backups (issue #14): an on-demand backup is a BACKUP operation on a READY cluster, and a Backup
 * item that outlives the cluster. Pure rules: no SDK imports.
 */
import { getBlueprint } from '../engines/registry.js';
import { ProblemError, ValidationError } from '../errors.js';
import { newId } from '../ids.js';
import { isLocked } from '../object-lock.js';
import type { BackupStatus, BackupStore, ClusterStatus, RestoreSource } from './cluster.js';
import { assertHomeRegion, assertIdle, assertNotPaused, newOperation, type PlanContext } from './plan.js';
import type { ClusterRecord, OperationError, OperationRecord } from './records.js';
import type { SizeName } from './sizes.js';

export { BACKUP_STATUSES, type BackupStatus } from './cluster.js';

/** How long a BACKUP may take before it is failed with DEADLINE_EXCEEDED. */
export const BACKUP_DEADLINE_MS = 60 * 60 * 1000;
/** How long a deleted backup's record stays readable (its objects are gone at once). */
export const DELETED_BACKUP_RETENTION_SECONDS = 30 * 24 * 3600;

/** The cluster a backup was taken from, as it was then: what a restore recreates. */
export interface BackupSource {
  readonly name: string;
  readonly engine: string;
  readonly version: string;
  readonly nodes: number;
  readonly size: SizeName;
  readonly settings: Record<string, unknown>;
  readonly generation: number;
}

/** A backup as stored (entity `Backup`): never credentials, only where its objects are. */
export interface BackupRecord {
  readonly tenantId: string;
  readonly backupId: string;
  readonly clusterId: string;
  /** Where the backed-up cluster runs; its backups are in that region's bucket. */
  readonly region: string;
  /** The region managing the cluster when the backup was taken: it alone writes the item. */
  readonly homeRegion: string;
  readonly engine: string;
  readonly version: string;
  readonly status: BackupStatus;
  /** Bumped on every status change; with the id it names one logical event. */
  readonly statusVersion: number;
  /** The BACKUP operation that takes it. */
  readonly operationId: string;
  /**
   * Bucket and prefix of the backup's objects. For PostgreSQL the prefix is the base backup's
   * directory, known once CloudNativePG reports it; until then the cluster's prefix.
   */
  readonly storage: BackupStore;
  /** The cluster's backup store (PostgreSQL: the WAL archive a point-in-time restore replays). */
  readonly clusterStore: BackupStore;
  readonly source: BackupSource;
  /** Bytes stored under `storage`, counted when it succeeded. */
  readonly sizeBytes?: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly error?: OperationError;
  /** Taken by the cluster's schedule (else on demand). */
  readonly scheduled?: boolean;
  /** Its schedule asked for a restore test: once it succeeds, the reconciler restores it (restore-tests.ts). */
  readonly restoreTest?: boolean;
  /** Scheduled backups: when the reconciler deletes it (its cluster's retention when taken). */
  readonly expiresAt?: string;
  /**
   * Object Lock (functions/shared/object-lock.ts): set when it SUCCEEDED, its end plus the
   * bucket's default retention: until then no object it wrote may be deleted, nor may it.
   */
  readonly lockedUntil?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deletedAt?: string;
}

/** The cluster's backup prefix in the region's bucket: `<tenantId>/<clusterId>/`. */
export function clusterBackupStore(bucket: string, cluster: Pick<ClusterRecord, 'tenantId' | 'clusterId'>) {
  return { bucket, prefix: `${cluster.tenantId}/${cluster.clusterId}/` };
}

const BACKUPABLE: readonly ClusterStatus[] = ['READY'];

/**
 * POST /v1/clusters/{id}/backups: a BACKUP operation that holds the cluster (one operation per
 * cluster: no update or delete meanwhile), and a PENDING backup. The cluster keeps its status;
 * it gets its backup store if it had none (PostgreSQL then archives there).
 */
export function planBackup(
  cluster: ClusterRecord,
  ctx: PlanContext & {
    requestedBy: string;
    backupBucket: string | undefined;
    /** A scheduled backup, kept this many days. */
    retentionDays?: number;
    /** A scheduled backup whose schedule asks for a restore test. */
    restoreTest?: boolean;
  },
): { cluster: ClusterRecord; operation: OperationRecord; backup: BackupRecord } {
  assertHomeRegion(cluster, ctx.apiRegion);
  assertIdle(cluster);
  // Every engine's backup reads the running database (a dump, or CloudNativePG's instances).
  assertNotPaused(cluster, 'backed up');
  if (!BACKUPABLE.includes(cluster.status)) {
    throw new ProblemError(
      'CLUSTER_NOT_READY',
      `The cluster is ${cluster.status}; it can be backed up once READY`,
    );
  }
  if (!ctx.backupBucket) {
    throw new ProblemError('BACKUPS_NOT_CONFIGURED', `Region ${cluster.region} has no backup bucket`);
  }
  const blueprint = getBlueprint(cluster.engine);
  if (!blueprint?.backup) {
    throw new ProblemError('UNSUPPORTED_ENGINE', `${cluster.engine} clusters cannot be backed up`);
  }
  const now = ctx.now.toISOString();
  const backupId = newId('bk', ctx.now.getTime());
  const clusterStore = cluster.backupStore ?? clusterBackupStore(ctx.backupBucket, cluster);
  const operation: OperationRecord = {
    ...newOperation(cluster, 'BACKUP', ctx, BACKUP_DEADLINE_MS, cluster.generation),
    backupId,
  };
  const backup: BackupRecord = {
    tenantId: cluster.tenantId,
    backupId,
    clusterId: cluster.clusterId,
    region: cluster.region,
    homeRegion: cluster.homeRegion,
    engine: cluster.engine,
    version: cluster.version,
    status: 'PENDING',
    statusVersion: 1,
    operationId: operation.operationId,
    storage: blueprint.backup.storage(clusterStore, backupId),
    clusterStore,
    source: {
      name: cluster.name,
      engine: cluster.engine,
      version: cluster.version,
      nodes: cluster.nodes,
      size: cluster.sizeName,
      settings: cluster.settings,
      generation: cluster.generation,
    },
    ...(ctx.retentionDays !== undefined
      ? {
          scheduled: true,
          expiresAt: new Date(ctx.now.getTime() + ctx.retentionDays * 24 * 3600 * 1000).toISOString(),
          ...(ctx.restoreTest ? { restoreTest: true } : {}),
        }
      : {}),
    createdAt: now,
    updatedAt: now,
  };
  return {
    operation,
    backup,
    cluster: {
      ...cluster,
      backupStore: clusterStore,
      activeOperationId: operation.operationId,
      updatedAt: now,
    },
  };
}

/**
 * DELETE /v1/backups/{id}: only a finished backup, only by the region that wrote it, and not while
 * Object Lock keeps its objects (the bucket would keep them anyway: the backup would look deleted
 * while its data stays).
 */
export function assertDeletable(backup: BackupRecord, apiRegion: string, now: Date): void {
  assertHomeRegion(backup, apiRegion);
  if (backup.status === 'PENDING' || backup.status === 'RUNNING') {
    throw new ProblemError(
      'BACKUP_IN_PROGRESS',
      `The backup is ${backup.status}; wait for operation ${backup.operationId} to finish`,
      { operationId: backup.operationId },
    );
  }
  if (isLocked(backup, now)) {
    throw new ProblemError(
      'BACKUP_LOCKED',
      `The backup bucket's Object Lock keeps this backup's objects until ${backup.lockedUntil}; delete it after that`,
      { lockedUntil: backup.lockedUntil },
    );
  }
}

/**
 * What a create with `restoreFrom` restores: the backup must have SUCCEEDED, be of the same
 * engine and version (a restore does not upgrade), and `pointInTime` is accepted only where the
 * engine replays a log to a moment (PostgreSQL), between the end of the backup and `now`.
 */
export function planRestore(
  backup: BackupRecord | undefined,
  req: {
    readonly engine: string;
    readonly version?: string;
    readonly pointInTime?: string;
    /** The nodes of the cluster it creates. @default 1 */
    readonly nodes?: number;
  },
  now: Date,
): { source: RestoreSource; version: string } {
  if (!backup || backup.status === 'DELETED') throw new ProblemError('BACKUP_NOT_FOUND');
  if (backup.status !== 'SUCCEEDED') {
    throw new ProblemError(
      'BACKUP_NOT_RESTORABLE',
      `The backup is ${backup.status}; only a SUCCEEDED backup restores`,
    );
  }
  const issues: { path: string; message: string }[] = [];
  if (!getBlueprint(backup.engine)?.backup?.restore) {
    issues.push({
      path: 'restoreFrom',
      message: `${backup.engine} backups cannot be restored by Stratus yet`,
    });
  }
  if (req.engine !== backup.engine) {
    issues.push({ path: 'engine', message: `the backup is of a ${backup.engine} cluster` });
  }
  if (getBlueprint(backup.engine)?.backup?.restoreSingleNode) {
    if (backup.source.nodes > 1) {
      issues.push({
        path: 'restoreFrom',
        message: `the backup was taken from a ${backup.source.nodes}-node ${backup.engine} cluster and holds one node's data only: it cannot be restored`,
      });
    } else if ((req.nodes ?? 1) > 1) {
      issues.push({
        path: 'nodes',
        message: `${backup.engine} restores a backup into one node only: create it with nodes 1`,
      });
    }
  }
  const version = req.version ?? backup.version;
  if (version !== backup.version) {
    issues.push({
      path: 'version',
      message: `the backup is of version ${backup.version}; restore it with that version`,
    });
  }
  if (req.pointInTime !== undefined) {
    const blueprint = getBlueprint(backup.engine);
    const at = Date.parse(req.pointInTime);
    if (!blueprint?.backup?.pointInTime) {
      issues.push({
        path: 'restoreFrom.pointInTime',
        message: `${backup.engine} restores whole snapshots only; point-in-time recovery is for postgresql`,
      });
    } else if (backup.endedAt && at < Date.parse(backup.endedAt)) {
      issues.push({
        path: 'restoreFrom.pointInTime',
        message: `must be at or after the end of the backup (${backup.endedAt})`,
      });
    } else if (at > now.getTime()) {
      issues.push({ path: 'restoreFrom.pointInTime', message: 'must not be in the future' });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    version,
    source: {
      backupId: backup.backupId,
      clusterId: backup.clusterId,
      storage: backup.storage,
      sourceStore: backup.clusterStore,
      ...(req.pointInTime !== undefined ? { pointInTime: new Date(req.pointInTime).toISOString() } : {}),
    },
  };
}

/**
 * A restore into another region than the backup's: allowed when that region holds a copy of the
 * backup's region's backups (`copies`: source region -> the copy bucket here, from `backupCopyTo`,
 * lib/config.ts), read from the copy (same keys). Else `400` on `region`.
 */
export function restoreAcrossRegions(
  source: RestoreSource,
  backup: Pick<BackupRecord, 'region'>,
  region: string,
  copies: Readonly<Record<string, string>>,
): RestoreSource {
  if (backup.region === region) return source;
  const bucket = copies[backup.region];
  if (!bucket) {
    throw new ValidationError([
      {
        path: 'region',
        message: `the backup is stored in ${backup.region} and ${region} holds no copies of its backups; restore it into a cluster in ${backup.region}, or set backupCopyTo: ${region} for ${backup.region}`,
      },
    ]);
  }
  return {
    ...source,
    storage: { bucket, prefix: source.storage.prefix },
    sourceStore: { bucket, prefix: source.sourceStore.prefix },
    copiedFrom: backup.region,
  };
}
