import type { ClusterSpec } from './cluster.js';
import type { ClusterRecord } from './records.js';

/** The desired spec of a stored cluster, as blueprints render it. */
export function specOf(c: ClusterRecord): ClusterSpec {
  return {
    tenantId: c.tenantId,
    clusterId: c.clusterId,
    name: c.name,
    engine: c.engine,
    version: c.version,
    region: c.region,
    nodes: c.nodes,
    size: c.size,
    settings: c.settings,
    generation: c.generation,
    ...(c.backupStore ? { backupStore: c.backupStore } : {}),
    ...(c.restoreFrom ? { restore: c.restoreFrom } : {}),
    ...(c.paused ? { paused: true } : {}),
    ...(c.endpointSettings ? { endpoint: c.endpointSettings } : {}),
    ...(c.tls ? { tls: true } : {}),
  };
}
