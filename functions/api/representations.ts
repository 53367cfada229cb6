import { publicOperationError } from '../shared/domain/operation-errors.js';
import type { ClusterRecord, OperationRecord } from '../shared/domain/records.js';
import type { Cluster, Operation } from '../shared/schemas/api.js';

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
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
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
