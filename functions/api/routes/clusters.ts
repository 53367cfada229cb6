import { planCreate, planDelete, planUpdate } from '../../shared/domain/plan.js';
import { ProblemError } from '../../shared/errors.js';
import type {
  CreateClusterRequest,
  ListClustersQuery,
  UpdateClusterRequest,
} from '../../shared/schemas/api.js';
import type { ApiResponse } from '../http.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { clusterDto, operationDto } from '../representations.js';
import { pathId, type RequestContext } from '../routes.js';

async function loadCluster(ctx: RequestContext) {
  const id = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  // The tenant is part of the key: another tenant's id is simply not found.
  const cluster = await ctx.store.getCluster(ctx.principal.tenantId, id);
  if (!cluster) throw new ProblemError('CLUSTER_NOT_FOUND');
  return cluster;
}

const planContext = (ctx: RequestContext) => ({
  tenantId: ctx.principal.tenantId,
  regions: ctx.regions,
  homeRegion: ctx.homeRegion,
  correlationId: ctx.correlationId,
  now: ctx.now,
  requestedBy: ctx.principal.keyId,
});

/** Quota, checked ahead of the write for dry runs (the write itself enforces it atomically). */
async function assertQuota(ctx: RequestContext, clusters: number, nodes: number): Promise<void> {
  const tenant = await ctx.store.getTenant(ctx.principal.tenantId);
  if (!tenant || tenant.clusterHeadroom < clusters || tenant.nodeHeadroom < nodes) {
    throw new ProblemError(
      'QUOTA_EXCEEDED',
      `The tenant's quota allows ${tenant?.maxClusters ?? 0} clusters and ${tenant?.maxNodes ?? 0} nodes`,
    );
  }
}

export async function createCluster(ctx: RequestContext): Promise<ApiResponse> {
  const { cluster, operation } = planCreate(ctx.body as CreateClusterRequest, planContext(ctx));
  if (ctx.dryRun) {
    await assertQuota(ctx, 1, cluster.nodes);
    const taken = await ctx.store.getClusterName(cluster.tenantId, cluster.name);
    if (taken)
      throw new ProblemError(
        'CLUSTER_NAME_TAKEN',
        `A cluster named "${cluster.name}" already exists in this tenant`,
      );
    return { status: 200, body: { dryRun: true, outcome: 'CREATE', cluster: clusterDto(cluster) } };
  }
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${operation.operationId}` },
    body: { cluster: clusterDto(cluster), operation: operationDto(operation) },
  };
  await ctx.store.createCluster(cluster, operation, ctx.idempotency.record(response));
  return response;
}

export async function getCluster(ctx: RequestContext): Promise<ApiResponse> {
  return { status: 200, body: clusterDto(await loadCluster(ctx)) };
}

export async function listClusters(ctx: RequestContext): Promise<ApiResponse> {
  const q = ctx.query as ListClustersQuery;
  const filters = {
    ...(q.region ? { region: q.region } : {}),
    ...(q.engine ? { engine: q.engine } : {}),
    ...(q.status ? { status: q.status } : {}),
  };
  // A token is valid only for the tenant and the filters it was issued for.
  const scope = JSON.stringify(['clusters', ctx.principal.tenantId, filters]);
  const start = q.nextToken ? await decodePageToken(q.nextToken, scope) : undefined;
  const page = await ctx.store.listClusters(ctx.principal.tenantId, filters, q.limit, start);
  return {
    status: 200,
    body: {
      items: page.items.map(clusterDto),
      ...(page.lastKey ? { nextToken: await encodePageToken(page.lastKey, scope) } : {}),
    },
  };
}

export async function updateCluster(ctx: RequestContext): Promise<ApiResponse> {
  const current = await loadCluster(ctx);
  const plan = planUpdate(current, ctx.body as UpdateClusterRequest, planContext(ctx));
  if (plan.kind === 'metadata') {
    if (ctx.dryRun)
      return {
        status: 200,
        body: { dryRun: true, outcome: 'METADATA_UPDATE', cluster: clusterDto(plan.cluster) },
      };
    const response: ApiResponse = { status: 200, body: clusterDto(plan.cluster) };
    await ctx.store.updateClusterMetadata(current, plan.cluster, ctx.idempotency.record(response));
    return response;
  }
  const delta = plan.operation.nodeDelta ?? 0;
  if (ctx.dryRun) {
    if (delta > 0) await assertQuota(ctx, 0, delta);
    return { status: 200, body: { dryRun: true, outcome: 'UPDATE', cluster: clusterDto(plan.cluster) } };
  }
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${plan.operation.operationId}` },
    body: { cluster: clusterDto(plan.cluster), operation: operationDto(plan.operation) },
  };
  await ctx.store.updateClusterSpec(current, plan.cluster, plan.operation, ctx.idempotency.record(response));
  return response;
}

export async function deleteCluster(ctx: RequestContext): Promise<ApiResponse> {
  const current = await loadCluster(ctx);
  const { cluster, operation } = planDelete(current, planContext(ctx));
  if (ctx.dryRun)
    return { status: 200, body: { dryRun: true, outcome: 'DELETE', cluster: clusterDto(cluster) } };
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${operation.operationId}` },
    body: { cluster: clusterDto(cluster), operation: operationDto(operation) },
  };
  await ctx.store.requestDelete(cluster, operation, ctx.idempotency.record(response));
  return response;
}
