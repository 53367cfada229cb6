import { assertHomeRegion } from '../../shared/domain/plan.js';
import { ProblemError } from '../../shared/errors.js';
import { OPERATION_ITEMS } from '../../shared/store/operations.js';
import type { ApiResponse } from '../http.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { operationDto } from '../representations.js';
import { pathId, type RequestContext } from '../routes.js';
import { committing } from '../store-errors.js';

async function loadOperation(ctx: RequestContext) {
  const id = pathId(ctx, 'operationId', 'op', 'OPERATION_NOT_FOUND');
  const operation = await ctx.store.operations.get(ctx.principal.tenantId, id);
  if (!operation) throw new ProblemError('OPERATION_NOT_FOUND');
  return operation;
}

export async function getOperation(ctx: RequestContext): Promise<ApiResponse> {
  return { status: 200, body: operationDto(await loadOperation(ctx)) };
}

export async function listClusterOperations(ctx: RequestContext): Promise<ApiResponse> {
  const clusterId = pathId(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  // The index is keyed by cluster only: check the cluster is the caller's before listing.
  if (!(await ctx.store.clusters.get(ctx.principal.tenantId, clusterId)))
    throw new ProblemError('CLUSTER_NOT_FOUND');
  const q = ctx.query as { limit: number; nextToken?: string };
  const scope = JSON.stringify(['operations', ctx.principal.tenantId, clusterId]);
  const start = q.nextToken ? await decodePageToken(q.nextToken, scope) : undefined;
  const page = await ctx.store.operations.list(clusterId, q.limit, start);
  return {
    status: 200,
    body: {
      items: page.items.filter((o) => o.tenantId === ctx.principal.tenantId).map(operationDto),
      ...(page.lastKey ? { nextToken: await encodePageToken(page.lastKey, scope) } : {}),
    },
  };
}

export async function cancelOperation(ctx: RequestContext): Promise<ApiResponse> {
  const op = await loadOperation(ctx);
  assertHomeRegion(op, ctx.apiRegion);
  if (op.status !== 'QUEUED') {
    throw new ProblemError(
      'OPERATION_NOT_CANCELLABLE',
      `The operation is ${op.status}; only a QUEUED operation (not yet applying) can be cancelled`,
    );
  }
  const cluster = await ctx.store.clusters.get(op.tenantId, op.clusterId);
  if (!cluster) throw new ProblemError('OPERATION_NOT_FOUND');
  const now = ctx.now.toISOString();
  const cancelled = { ...op, status: 'CANCELLED' as const, finishedAt: now, updatedAt: now };
  if (ctx.dryRun) return { status: 200, body: { dryRun: true, outcome: 'CANCEL' } };
  const response: ApiResponse = { status: 200, body: operationDto(cancelled) };
  await committing(ctx.store.operations.cancel(op, cluster, now, ctx.idempotency.record(response)), {
    [OPERATION_ITEMS.operation]: () =>
      new ProblemError(
        'OPERATION_NOT_CANCELLABLE',
        'The operation has already started applying or has finished',
      ),
  });
  return response;
}
