import type { ConnectionInfo } from '../../shared/domain/cluster.js';
import { specOf } from '../../shared/domain/spec.js';
import { getBlueprint } from '../../shared/engines/registry.js';
import { ProblemError } from '../../shared/errors.js';
import type { ApiResponse } from '../http.js';
import { pathId, type RequestContext } from '../routes.js';

export async function readyCluster(ctx: RequestContext) {
  const id = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  const cluster = await ctx.store.clusters.get(ctx.principal.tenantId, id);
  if (!cluster) throw new ProblemError('CLUSTER_NOT_FOUND');
  const blueprint = getBlueprint(cluster.engine);
  if (cluster.status === 'PAUSED' || cluster.status === 'PAUSING' || cluster.paused) {
    throw new ProblemError(
      'CLUSTER_PAUSED',
      `The cluster is ${cluster.status === 'PAUSING' ? 'being paused' : 'paused'}: nothing answers at its endpoint; resume it (POST /v1/clusters/${cluster.clusterId}/resume) to connect`,
    );
  }
  if (!cluster.endpoint || !blueprint || cluster.status === 'DELETING' || cluster.status === 'DELETED') {
    throw new ProblemError(
      'CLUSTER_NOT_READY',
      `The cluster is ${cluster.status}; connection details exist once it is READY`,
    );
  }
  return { cluster, conn: blueprint.connection(specOf(cluster)) };
}

export function connectionDto(clusterId: string, conn: ConnectionInfo) {
  return {
    clusterId,
    endpoint: conn.endpoint,
    host: conn.host,
    port: conn.port,
    ...(conn.credentialRef
      ? { credential: { secretName: conn.credentialRef.name, key: conn.credentialRef.key } }
      : {}),
  };
}

export async function getConnection(ctx: RequestContext): Promise<ApiResponse> {
  const { cluster, conn } = await readyCluster(ctx);
  return { status: 200, body: connectionDto(cluster.clusterId, conn) };
}
