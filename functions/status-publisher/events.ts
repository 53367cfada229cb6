import type { BackupRecord } from '../shared/domain/backups.js';
import { publicOperationError } from '../shared/domain/operation-errors.js';
import type { ClusterRecord, OperationRecord } from '../shared/domain/records.js';
import {
  type BackupStatusChanged,
  type ClusterStatusChanged,
  type DetailType,
  EVENT_CATALOG,
  type OperationStatusChanged,
} from '../shared/events/catalog.js';
import { MetricUnit, type MetricValues } from '../shared/observability.js';
import { ENTITY } from '../topology.js';

export interface StatusEvent {
  readonly detailType: DetailType;
  readonly detail: ClusterStatusChanged | OperationStatusChanged | BackupStatusChanged;
}

type Image = Record<string, unknown> | undefined;

/**
 * The status-change event a stream record stands for, or undefined when the record changed no
 * status. Deterministic: a redelivered record yields the same event, with the same `eventId`.
 */
export function statusEventOf(oldImage: Image, newImage: Image): StatusEvent | undefined {
  if (!newImage) return undefined;
  const previousStatus = (oldImage?.status as string | undefined) ?? null;
  if (previousStatus === newImage.status) return undefined;

  if (newImage.entity === ENTITY.cluster) {
    const c = newImage as unknown as ClusterRecord;
    const detail: ClusterStatusChanged = {
      schemaVersion: '1',
      eventId: `${c.clusterId}/${c.statusVersion}`,
      occurredAt: c.updatedAt,
      tenantId: c.tenantId,
      region: c.region,
      clusterId: c.clusterId,
      ...((c.activeOperationId ?? oldImage?.activeOperationId)
        ? { operationId: (c.activeOperationId ?? oldImage?.activeOperationId) as string }
        : {}),
      previousStatus: previousStatus as ClusterStatusChanged['previousStatus'],
      status: c.status,
      ...(c.statusReason ? { statusReason: c.statusReason } : {}),
      cluster: {
        name: c.name,
        engine: c.engine,
        version: c.version,
        nodes: c.nodes,
        generation: c.generation,
        observedGeneration: c.observedGeneration,
        ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      },
    };
    return {
      detailType: 'Cluster Status Changed',
      detail: EVENT_CATALOG['Cluster Status Changed'].schema.parse(detail),
    };
  }
  if (newImage.entity === ENTITY.operation) {
    const o = newImage as unknown as OperationRecord;
    const detail: OperationStatusChanged = {
      schemaVersion: '1',
      eventId: `${o.operationId}/${o.statusVersion}`,
      occurredAt: o.updatedAt,
      tenantId: o.tenantId,
      region: o.region,
      clusterId: o.clusterId,
      correlationId: o.correlationId,
      operationId: o.operationId,
      operationType: o.type,
      previousStatus: previousStatus as OperationStatusChanged['previousStatus'],
      status: o.status,
      ...(o.error ? { error: publicOperationError(o.error) } : {}),
    };
    return {
      detailType: 'Operation Status Changed',
      detail: EVENT_CATALOG['Operation Status Changed'].schema.parse(detail),
    };
  }
  if (newImage.entity === ENTITY.backup) {
    const b = newImage as unknown as BackupRecord;
    const detail: BackupStatusChanged = {
      schemaVersion: '1',
      eventId: `${b.backupId}/${b.statusVersion}`,
      occurredAt: b.updatedAt,
      tenantId: b.tenantId,
      region: b.region,
      clusterId: b.clusterId,
      backupId: b.backupId,
      operationId: b.operationId,
      previousStatus: previousStatus as BackupStatusChanged['previousStatus'],
      status: b.status,
      engine: b.engine,
      version: b.version,
      ...(b.sizeBytes !== undefined ? { sizeBytes: b.sizeBytes } : {}),
      storage: { bucket: b.storage.bucket, prefix: b.storage.prefix },
      ...(b.error ? { error: publicOperationError(b.error) } : {}),
    };
    return {
      detailType: 'Backup Status Changed',
      detail: EVENT_CATALOG['Backup Status Changed'].schema.parse(detail),
    };
  }
  return undefined;
}

/** The business metrics of an operation's status change (docs/operations.md, "Metrics"). */
export interface OperationMetrics {
  readonly dimensions: { readonly operationType: string; readonly engine: string };
  readonly values: MetricValues;
  /** The same count for the whole region (dimension `region` only): what the alarms watch. */
  readonly regionCounts: Readonly<Record<string, number>>;
}

const COUNTED: Partial<Record<OperationRecord['status'], string>> = {
  SUCCEEDED: 'OperationsSucceeded',
  FAILED: 'OperationsFailed',
  CANCELLED: 'OperationsCancelled',
};

/**
 * What an operation's status change counts: its creation (QUEUED, no previous image) is a start;
 * SUCCEEDED, FAILED and CANCELLED count each, with the operation's duration since its creation.
 * Undefined for a cluster, for RUNNING, and for a record that changed no status.
 */
export function operationMetricsOf(oldImage: Image, newImage: Image): OperationMetrics | undefined {
  if (newImage?.entity !== ENTITY.operation) return undefined;
  const o = newImage as unknown as OperationRecord;
  if ((oldImage?.status ?? null) === o.status) return undefined;
  // Operations created before the engine was recorded on them (records.ts) count as `unknown`.
  const dimensions = { operationType: o.type, engine: o.engine ?? 'unknown' };
  if (!oldImage && o.status === 'QUEUED')
    return { dimensions, values: { OperationsStarted: 1 }, regionCounts: { OperationsStarted: 1 } };
  const counted = COUNTED[o.status];
  if (!counted) return undefined;
  const durationMs = Date.parse(o.finishedAt ?? o.updatedAt) - Date.parse(o.createdAt);
  return {
    dimensions,
    regionCounts: { [counted]: 1 },
    values: {
      [counted]: 1,
      ...(Number.isFinite(durationMs) && durationMs >= 0
        ? { OperationDuration: { value: durationMs, unit: MetricUnit.Milliseconds } }
        : {}),
    },
  };
}
