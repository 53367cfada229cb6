import { publicOperationError } from '../shared/domain/operation-errors.js';
import type { ClusterRecord, OperationRecord } from '../shared/domain/records.js';
import {
  type ClusterStatusChanged,
  type DetailType,
  EVENT_CATALOG,
  type OperationStatusChanged,
} from '../shared/events/catalog.js';
import { ENTITY } from '../topology.js';

export interface StatusEvent {
  readonly detailType: DetailType;
  readonly detail: ClusterStatusChanged | OperationStatusChanged;
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
  return undefined;
}
