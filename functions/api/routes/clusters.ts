import * as z from 'zod';
import { planRestore, restoreAcrossRegions } from '../../shared/domain/backups.js';
import { planPause, planResume } from '../../shared/domain/pause.js';
import { planCreate, planDelete, planUpdate, wrongRegion } from '../../shared/domain/plan.js';
import { readEnv } from '../../shared/env.js';
import { ProblemError } from '../../shared/errors.js';
import type {
  CreateClusterRequest,
  ListClustersQuery,
  UpdateClusterRequest,
} from '../../shared/schemas/api.js';
import { CLUSTER_ITEMS } from '../../shared/store/clusters.js';
import { API_KEY_FENCE, StaleStateError, type TenantRecord } from '../../shared/store/store.js';
import { backupEnv, endpointEnv } from '../env.js';
import type { ApiResponse } from '../http.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { clusterDto, operationDto } from '../representations.js';
import { pathId, type RequestContext } from '../routes.js';
import { committing } from '../store-errors.js';

/** The regions whose EKS clusters have a gateway: public endpoints are accepted there only. */
const { ENDPOINT_REGIONS: endpointRegions, TLS_REGIONS: tlsRegions } = readEnv(z.object(endpointEnv));
/** Read when the first cluster route runs: the copies of other regions' backups held here, and their lock. */
const { BACKUP_COPIES: copies, BACKUP_OBJECT_LOCK: objectLock } = readEnv(
  z.object({ BACKUP_COPIES: backupEnv.BACKUP_COPIES, BACKUP_OBJECT_LOCK: backupEnv.BACKUP_OBJECT_LOCK }),
);

async function loadCluster(ctx: RequestContext) {
  const id = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  // The tenant is part of the key: another tenant's id is simply not found.
  const cluster = await ctx.store.clusters.get(ctx.principal.tenantId, id);
  if (!cluster) throw new ProblemError('CLUSTER_NOT_FOUND');
  return cluster;
}

/** The tenant as this instance read it (at most 30 s ago), or read now (`fresh`). */
async function loadTenant(ctx: RequestContext, fresh = false): Promise<TenantRecord> {
  const { tenantId } = ctx.principal;
  const nowMs = ctx.now.getTime();
  const tenant = await (fresh ? ctx.tenants.fresh(tenantId, nowMs) : ctx.tenants.get(tenantId, nowMs));
  // A key whose tenant item has not replicated here yet: nothing can be checked against its quota.
  if (!tenant)
    throw new ProblemError('CONCURRENT_MODIFICATION', 'The tenant is not known in this region yet; retry');
  return tenant;
}

const sameLimits = (a: TenantRecord, b: TenantRecord) =>
  a.maxClusters === b.maxClusters && a.maxNodes === b.maxNodes;

/**
 * Runs a quota-checked write with the tenant's limits as this instance last read them, without a
 * read per request (issue #12). The write's transaction checks those limits (`tenantQuota`) with
 * the usage (`quota`), so a stale copy never admits anything; when either failed, or the limits
 * alone refused (`exceedsAlone`), the tenant is read again and, if its limits changed, the write
 * runs once more with them (nothing was written: a transaction is all or nothing). So a quota
 * raised or lowered a moment ago decides at once, as it did with a read per request. `use` sees
 * each tenant record the write runs with, for the answers that name the limits.
 */
async function withTenantLimits<T>(
  ctx: RequestContext,
  use: (tenant: TenantRecord) => void,
  write: (tenant: TenantRecord) => Promise<T>,
): Promise<T> {
  const cached = await loadTenant(ctx);
  use(cached);
  try {
    return await write(cached);
  } catch (e) {
    const quotaFailed =
      e instanceof StaleStateError &&
      e.failed.some((n) => n === CLUSTER_ITEMS.quota || n === CLUSTER_ITEMS.tenantQuota);
    if (!quotaFailed) throw e;
    const current = await loadTenant(ctx, true);
    if (sameLimits(current, cached)) throw e;
    use(current);
    return write(current);
  }
}

const planContext = async (ctx: RequestContext) => ({
  tenantId: ctx.principal.tenantId,
  regions: ctx.regions,
  apiRegion: ctx.apiRegion,
  controllers: await ctx.controllers(),
  correlationId: ctx.correlationId,
  now: ctx.now,
  requestedBy: ctx.principal.keyId,
  endpointRegions,
  tlsRegions,
  ...(objectLock ? { backupLockDays: objectLock.days } : {}),
});

const quotaExceeded = (tenant: TenantRecord, region: string) => () =>
  new ProblemError(
    'QUOTA_EXCEEDED',
    `The tenant's quota allows ${tenant.maxClusters} clusters and ${tenant.maxNodes} nodes in each region; ${region} has no room for this`,
    { region },
  );

const quotaChanged = () =>
  new ProblemError(
    'CONCURRENT_MODIFICATION',
    "The tenant's quota changed while this request was processed; retry",
  );

const busyOrChanged = () =>
  new ProblemError(
    'CONCURRENT_MODIFICATION',
    'The cluster changed while this request was processed; read it again and retry',
  );

/** Quota, checked ahead of the write for dry runs (the write itself enforces it atomically). */
async function assertQuota(
  ctx: RequestContext,
  tenant: TenantRecord,
  region: string,
  clusters: number,
  nodes: number,
) {
  const used = await ctx.store.tenants.usage(tenant.tenantId, region);
  if (used.clusters + clusters > tenant.maxClusters || used.nodes + nodes > tenant.maxNodes) {
    throw quotaExceeded(tenant, region)();
  }
}

/** A create with `restoreFrom`: the backup (the caller's own), checked against the request. */
async function restoreOf(ctx: RequestContext, req: CreateClusterRequest) {
  if (!req.restoreFrom) return undefined;
  const backup = await ctx.store.backups.get(ctx.principal.tenantId, req.restoreFrom.backupId);
  const restore = planRestore(
    backup,
    {
      engine: req.engine,
      nodes: req.nodes,
      ...(req.version ? { version: req.version } : {}),
      ...(req.restoreFrom.pointInTime ? { pointInTime: req.restoreFrom.pointInTime } : {}),
    },
    ctx.now,
  );
  if (backup && backup.region !== req.region) {
    // This API's copies are its own region's: only for a cluster of this region.
    const here = req.region === ctx.apiRegion ? copies : {};
    return { ...restore, source: restoreAcrossRegions(restore.source, backup, req.region, here) };
  }
  return restore;
}

export async function createCluster(ctx: RequestContext): Promise<ApiResponse> {
  const req = ctx.body as CreateClusterRequest;
  const restore = await restoreOf(ctx, req);
  const planned = planCreate(restore ? { ...req, version: restore.version } : req, await planContext(ctx));
  const operation = planned.operation;
  const cluster = restore ? { ...planned.cluster, restoreFrom: restore.source } : planned.cluster;
  const nameTaken = () =>
    new ProblemError(
      'CLUSTER_NAME_TAKEN',
      `A cluster named "${cluster.name}" already exists in ${cluster.region} in this tenant`,
      { name: cluster.name, region: cluster.region },
    );
  if (ctx.dryRun) {
    // Not written, so not checked by a transaction: the limits as they are now.
    await assertQuota(ctx, await loadTenant(ctx, true), cluster.region, 1, cluster.nodes);
    if (await ctx.store.clusters.getByName(cluster.tenantId, cluster.region, cluster.name)) throw nameTaken();
    return { status: 200, body: { dryRun: true, outcome: 'CREATE', cluster: clusterDto(cluster) } };
  }
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${operation.operationId}` },
    body: { cluster: clusterDto(cluster), operation: operationDto(operation) },
  };
  let tenant: TenantRecord | undefined;
  const write = withTenantLimits(
    ctx,
    (t) => {
      tenant = t;
    },
    (t) => ctx.store.clusters.create(t, cluster, operation, ctx.idempotency.record(response), ctx.keyFence),
  );
  await committing(write, {
    // Its copy of the controllers was stale: read them afresh to name the managing region.
    [CLUSTER_ITEMS.control]: async () => {
      const manager = (await ctx.store.regions.controllers())[cluster.region] ?? cluster.region;
      return wrongRegion(
        manager,
        `${cluster.region} clusters are managed by the ${manager} API (this is ${ctx.apiRegion})`,
      );
    },
    [CLUSTER_ITEMS.nameGuard]: nameTaken,
    [CLUSTER_ITEMS.quota]: () => quotaExceeded(tenant as TenantRecord, cluster.region)(),
    [CLUSTER_ITEMS.tenantQuota]: quotaChanged,
    // The key was revoked (or expired) since this instance read it: the router reads it and answers 401.
    [API_KEY_FENCE]: () => new ProblemError('UNAUTHENTICATED', 'The API key is not valid'),
  });
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
  const page = await ctx.store.clusters.list(ctx.principal.tenantId, filters, q.limit, start);
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
  const plan = planUpdate(current, ctx.body as UpdateClusterRequest, await planContext(ctx));
  if (plan.kind === 'metadata') {
    if (ctx.dryRun)
      return {
        status: 200,
        body: { dryRun: true, outcome: 'METADATA_UPDATE', cluster: clusterDto(plan.cluster) },
      };
    const response: ApiResponse = { status: 200, body: clusterDto(plan.cluster) };
    await committing(
      ctx.store.clusters.updateMetadata(current, plan.cluster, ctx.idempotency.record(response)),
      {
        // Deleted meanwhile (nothing to protect any more), or changed since read (retry).
        [CLUSTER_ITEMS.cluster]: async () => {
          const now = await ctx.store.clusters.get(current.tenantId, current.clusterId);
          return now?.status === 'DELETING' || now?.status === 'DELETED'
            ? new ProblemError('CLUSTER_NOT_READY', 'The cluster is being deleted')
            : busyOrChanged();
        },
      },
    );
    return response;
  }
  const delta = plan.operation.nodeDelta ?? 0;
  if (ctx.dryRun) {
    if (delta > 0) await assertQuota(ctx, await loadTenant(ctx, true), current.region, 0, delta);
    return { status: 200, body: { dryRun: true, outcome: 'UPDATE', cluster: clusterDto(plan.cluster) } };
  }
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${plan.operation.operationId}` },
    body: { cluster: clusterDto(plan.cluster), operation: operationDto(plan.operation) },
  };
  const update = (t: TenantRecord | undefined) =>
    ctx.store.clusters.updateSpec(t, current, plan.cluster, plan.operation, ctx.idempotency.record(response));
  let tenant: TenantRecord | undefined;
  const write =
    delta > 0
      ? withTenantLimits(
          ctx,
          (t) => {
            tenant = t;
          },
          update,
        )
      : update(undefined);
  await committing(write, {
    [CLUSTER_ITEMS.cluster]: busyOrChanged,
    ...(delta > 0
      ? { [CLUSTER_ITEMS.quota]: () => quotaExceeded(tenant as TenantRecord, current.region)() }
      : {}),
    [CLUSTER_ITEMS.tenantQuota]: quotaChanged,
  });
  return response;
}

export async function deleteCluster(ctx: RequestContext): Promise<ApiResponse> {
  const current = await loadCluster(ctx);
  const { cluster, operation } = planDelete(current, await planContext(ctx));
  if (ctx.dryRun)
    return { status: 200, body: { dryRun: true, outcome: 'DELETE', cluster: clusterDto(cluster) } };
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${operation.operationId}` },
    body: { cluster: clusterDto(cluster), operation: operationDto(operation) },
  };
  await committing(ctx.store.clusters.requestDelete(cluster, operation, ctx.idempotency.record(response)), {
    [CLUSTER_ITEMS.cluster]: busyOrChanged,
  });
  return response;
}

/**
 * POST /v1/clusters/{id}/pause and /resume: a PAUSE or RESUME operation (a new generation with
 * `paused` changed), written like a PATCH's (the cluster as read, no operation in progress). The
 * tenant's quota is untouched: a paused cluster keeps its volumes, so it keeps counting (README).
 */
async function pauseOrResume(ctx: RequestContext, type: 'PAUSE' | 'RESUME'): Promise<ApiResponse> {
  const current = await loadCluster(ctx);
  const plan = (type === 'PAUSE' ? planPause : planResume)(current, await planContext(ctx));
  if (ctx.dryRun)
    return { status: 200, body: { dryRun: true, outcome: type, cluster: clusterDto(plan.cluster) } };
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${plan.operation.operationId}` },
    body: { cluster: clusterDto(plan.cluster), operation: operationDto(plan.operation) },
  };
  await committing(
    ctx.store.clusters.updateSpec(
      undefined,
      current,
      plan.cluster,
      plan.operation,
      ctx.idempotency.record(response),
    ),
    { [CLUSTER_ITEMS.cluster]: busyOrChanged },
  );
  return response;
}

export const pauseCluster = (ctx: RequestContext) => pauseOrResume(ctx, 'PAUSE');
export const resumeCluster = (ctx: RequestContext) => pauseOrResume(ctx, 'RESUME');
