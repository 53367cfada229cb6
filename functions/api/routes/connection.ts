import type { ConnectionInfo } from '../../shared/domain/cluster.js';
import type { ClusterRecord } from '../../shared/domain/records.js';
import { specOf } from '../../shared/domain/spec.js';
import { externalScheme, gatewayBackend } from '../../shared/engines/endpoints.js';
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

/**
 * The cluster's connection: the in-cluster endpoint (TLS-only with the CA to trust on TLS
 * clusters), and the public one through the gateway when the cluster is public and became READY
 * with it (`external`: TLS, with the CA to trust). Shown while the desired spec is public: an
 * UPDATE turning it off hides it at once.
 */
export function connectionDto(cluster: ClusterRecord, conn: ConnectionInfo) {
  const external = cluster.endpointSettings?.public ? cluster.externalEndpoint : undefined;
  const scheme = externalScheme(gatewayBackend(conn).scheme);
  const hosts = external?.hosts ?? (external ? [external.host] : []);
  // Member by member (MongoDB's split horizon): the in-cluster options (replica set, TLS, auth
  // source) apply outside too, and each host is its own TLS server name.
  const options = external?.hosts ? (conn.endpoint.split('?')[1] ?? '') : '';
  return {
    clusterId: cluster.clusterId,
    endpoint: conn.endpoint,
    host: conn.host,
    port: conn.port,
    ...(conn.grpcPort ? { grpcPort: conn.grpcPort } : {}),
    ...(conn.tls
      ? {
          tls: {
            required: conn.tls.required,
            serverName: conn.tls.serverName,
            ...(cluster.caBundle ? { caBundle: cluster.caBundle } : {}),
          },
        }
      : {}),
    ...(conn.credentialRef
      ? { credential: { secretName: conn.credentialRef.name, key: conn.credentialRef.key } }
      : {}),
    ...(external
      ? {
          external: {
            endpoint: `${scheme}://${hosts.map((h) => `${h}:${external.port}`).join(',')}${options ? `/?${options}` : ''}`,
            host: external.host,
            port: external.port,
            ...(external.hosts ? { hosts: [...external.hosts] } : {}),
            ...(external.grpcHost ? { grpc: { host: external.grpcHost, port: external.port } } : {}),
            tls: {
              required: true as const,
              ...(external.hosts ? {} : { serverName: external.host }),
              ...(external.caBundle ? { caBundle: external.caBundle } : {}),
            },
          },
        }
      : {}),
  };
}

export async function getConnection(ctx: RequestContext): Promise<ApiResponse> {
  const { cluster, conn } = await readyCluster(ctx);
  return { status: 200, body: connectionDto(cluster, conn) };
}
