import type { BackupRecord } from '../shared/domain/backups.js';
import { publicOperationError } from '../shared/domain/operation-errors.js';
import type { ClusterRecord, OperationRecord } from '../shared/domain/records.js';
import type { Backup, Cluster, Operation } from '../shared/schemas/api.js';

/** What the API shows of a stored cluster: never placement, tenant or secret material. */
export function clusterDto(c: ClusterRecord): Cluster {
  return {
    id: c.clusterId,
    name: c.name,
    engine: c.engine,
    version: c.version,
    region: c.region,
    nodes: c.nodes,
    size: c.sizeName,
    settings: c.settings,
    deletionProtection: c.deletionProtection,
    status: c.status,
    ...(c.statusReason ? { statusReason: c.statusReason } : {}),
    generation: c.generation,
    observedGeneration: c.observedGeneration,
    ...(c.activeOperationId ? { activeOperationId: c.activeOperationId } : {}),
    ...(c.paused ? { paused: true } : {}),
    ...(c.restoreTestOf ? { restoreTestOf: c.restoreTestOf } : {}),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.endpointSettings
      ? {
          endpointSettings: {
            public: c.endpointSettings.public,
            allowedCidrs: [...c.endpointSettings.allowedCidrs],
            ...(c.endpointSettings.tokenCheck !== undefined
              ? { tokenCheck: c.endpointSettings.tokenCheck }
              : {}),
          },
        }
      : {}),
    ...(c.backupPolicy
      ? {
          backup: {
            schedule: c.backupPolicy.schedule,
            retentionDays: c.backupPolicy.retentionDays,
            nextBackupAt: c.backupPolicy.nextBackupAt,
            ...(c.backupPolicy.restoreTest ? { restoreTest: true } : {}),
          },
        }
      : {}),
    ...(c.restoreFrom
      ? {
          restoredFrom: {
            backupId: c.restoreFrom.backupId,
            ...(c.restoreFrom.pointInTime ? { pointInTime: c.restoreFrom.pointInTime } : {}),
            ...(c.restoreFrom.copiedFrom ? { copiedFrom: c.restoreFrom.copiedFrom } : {}),
          },
        }
      : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function operationDto(o: OperationRecord): Operation {
  return {
    id: o.operationId,
    type: o.type,
    status: o.status,
    clusterId: o.clusterId,
    region: o.region,
    correlationId: o.correlationId,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    ...(o.startedAt ? { startedAt: o.startedAt } : {}),
    ...(o.finishedAt ? { finishedAt: o.finishedAt } : {}),
    deadline: o.deadline,
    // Redacted again: items written before errors were redacted on write may hold raw text.
    ...(o.error ? { error: publicOperationError(o.error) } : {}),
  };
}

/** What the API shows of a backup: where it is (bucket and prefix), never credentials or the tenant. */
export function backupDto(b: BackupRecord): Backup {
  return {
    id: b.backupId,
    clusterId: b.clusterId,
    region: b.region,
    engine: b.engine,
    version: b.version,
    status: b.status,
    ...(b.sizeBytes !== undefined ? { sizeBytes: b.sizeBytes } : {}),
    ...(b.startedAt ? { startedAt: b.startedAt } : {}),
    ...(b.endedAt ? { endedAt: b.endedAt } : {}),
    storage: { bucket: b.storage.bucket, prefix: b.storage.prefix },
    source: b.source,
    operationId: b.operationId,
    ...(b.scheduled ? { scheduled: true } : {}),
    ...(b.expiresAt ? { expiresAt: b.expiresAt } : {}),
    ...(b.lockedUntil ? { lockedUntil: b.lockedUntil } : {}),
    ...(b.error ? { error: publicOperationError(b.error) } : {}),
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
    ...(b.deletedAt ? { deletedAt: b.deletedAt } : {}),
  };
}
