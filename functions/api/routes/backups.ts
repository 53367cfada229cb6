import * as z from 'zod';
import { assertDeletable, planBackup } from '../../shared/domain/backups.js';
import { readEnv } from '../../shared/env.js';
import { ProblemError } from '../../shared/errors.js';
import { BACKUP_ITEMS } from '../../shared/store/store.js';
import { backupEnv } from '../env.js';
import type { ApiResponse } from '../http.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { backupDto, operationDto } from '../representations.js';
import { pathId, type RequestContext } from '../routes.js';
import { committing } from '../store-errors.js';

/** Read when the first backup route runs (the routes are loaded on first use). */
const env = readEnv(z.object(backupEnv));
const backupBucket = env.BACKUP_BUCKET || undefined;

const busyOrChanged = () =>
  new ProblemError(
    'CONCURRENT_MODIFICATION',
    'The cluster changed while this request was processed; read it again and retry',
  );

async function loadCluster(ctx: RequestContext) {
  const id = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  const cluster = await ctx.store.clusters.get(ctx.principal.tenantId, id);
  if (!cluster) throw new ProblemError('CLUSTER_NOT_FOUND');
  return cluster;
}

async function loadBackup(ctx: RequestContext) {
  const id = pathId(ctx, 'backupId', 'bk', 'BACKUP_NOT_FOUND');
  // The tenant is part of the key: another tenant's backup is simply not found.
  const backup = await ctx.store.backups.get(ctx.principal.tenantId, id);
  if (!backup) throw new ProblemError('BACKUP_NOT_FOUND');
  return backup;
}

/** POST /v1/clusters/{id}/backups: 202 with the PENDING backup and its BACKUP operation. */
export async function createBackup(ctx: RequestContext): Promise<ApiResponse> {
  const current = await loadCluster(ctx);
  const plan = planBackup(current, {
    tenantId: ctx.principal.tenantId,
    regions: ctx.regions,
    apiRegion: ctx.apiRegion,
    controllers: await ctx.controllers(),
    correlationId: ctx.correlationId,
    now: ctx.now,
    requestedBy: ctx.principal.keyId,
    backupBucket,
  });
  if (ctx.dryRun)
    return { status: 200, body: { dryRun: true, outcome: 'BACKUP', backup: backupDto(plan.backup) } };
  const response: ApiResponse = {
    status: 202,
    headers: { location: `/v1/operations/${plan.operation.operationId}` },
    body: { backup: backupDto(plan.backup), operation: operationDto(plan.operation) },
  };
  await committing(
    ctx.store.backups.request(
      current,
      plan.cluster,
      plan.operation,
      plan.backup,
      ctx.idempotency.record(response),
    ),
    { [BACKUP_ITEMS.cluster]: busyOrChanged },
  );
  return response;
}

/** GET /v1/clusters/{id}/backups: newest first; a deleted cluster's backups too. */
export async function listClusterBackups(ctx: RequestContext): Promise<ApiResponse> {
  const clusterId = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  // The index is keyed by cluster only: check the cluster is the caller's before listing.
  if (!(await ctx.store.clusters.get(ctx.principal.tenantId, clusterId)))
    throw new ProblemError('CLUSTER_NOT_FOUND');
  const q = ctx.query as { limit: number; nextToken?: string };
  const scope = JSON.stringify(['backups', ctx.principal.tenantId, clusterId]);
  const start = q.nextToken ? await decodePageToken(q.nextToken, scope) : undefined;
  const page = await ctx.store.backups.list(clusterId, q.limit, start);
  return {
    status: 200,
    body: {
      items: page.items.filter((b) => b.tenantId === ctx.principal.tenantId).map(backupDto),
      ...(page.lastKey ? { nextToken: await encodePageToken(page.lastKey, scope) } : {}),
    },
  };
}

export async function getBackup(ctx: RequestContext): Promise<ApiResponse> {
  return { status: 200, body: backupDto(await loadBackup(ctx)) };
}

/**
 * DELETE /v1/backups/{id}: `202` with the backup DELETING; the reconciler removes its objects
 * within a minute and marks it DELETED (the API never touches the bucket: no S3 client in this
 * bundle). Repeated, it answers the backup as it is.
 */
export async function deleteBackup(ctx: RequestContext): Promise<ApiResponse> {
  const backup = await loadBackup(ctx);
  if (backup.status === 'DELETED' || backup.status === 'DELETING') {
    return { status: 202, body: backupDto(backup) };
  }
  assertDeletable(backup, ctx.apiRegion, ctx.now);
  const now = ctx.now.toISOString();
  const deleting = { ...backup, status: 'DELETING' as const, updatedAt: now };
  if (ctx.dryRun) {
    return { status: 200, body: { dryRun: true, outcome: 'DELETE_BACKUP', backup: backupDto(deleting) } };
  }
  const response: ApiResponse = { status: 202, body: backupDto(deleting) };
  await committing(ctx.store.backups.requestDelete(backup, now, ctx.idempotency.record(response)), {
    [BACKUP_ITEMS.backup]: () =>
      new ProblemError(
        'CONCURRENT_MODIFICATION',
        'The backup changed while this request was processed; retry',
      ),
  });
  return response;
}
