import type { APIGatewayProxyEvent } from 'aws-lambda';
import { planCreate } from '../shared/domain/plan.js';
import { ProblemError, ValidationError } from '../shared/errors.js';
import { isId } from '../shared/ids.js';
import { CreateClusterRequestSchema, fieldIssues } from '../shared/schemas/api.js';
import type { Store } from '../shared/store/store.js';
import type { Principal } from './auth.js';
import { type ApiResponse, jsonBody } from './http.js';
import { clusterDto, operationDto } from './representations.js';

export interface RequestContext {
  readonly event: APIGatewayProxyEvent;
  readonly principal: Principal;
  readonly store: Store;
  readonly correlationId: string;
  readonly regions: readonly string[];
  readonly homeRegion: string;
  readonly now: Date;
}

export type RouteHandler = (ctx: RequestContext) => Promise<ApiResponse>;

function pathParam(
  ctx: RequestContext,
  name: string,
  prefix: string,
  notFound: 'CLUSTER_NOT_FOUND' | 'OPERATION_NOT_FOUND',
): string {
  const value = ctx.event.pathParameters?.[name];
  // A malformed id cannot name anything: answer as for an unknown id, without I/O.
  if (!value || !isId(prefix, value)) throw new ProblemError(notFound);
  return value;
}

async function createCluster(ctx: RequestContext): Promise<ApiResponse> {
  const parsed = CreateClusterRequestSchema.safeParse(jsonBody(ctx.event));
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const { cluster, operation } = planCreate(parsed.data, {
    tenantId: ctx.principal.tenantId,
    regions: ctx.regions,
    homeRegion: ctx.homeRegion,
    correlationId: ctx.correlationId,
    now: ctx.now,
  });
  await ctx.store.createCluster(cluster, operation);
  return {
    status: 202,
    headers: { location: `/v1/operations/${operation.operationId}` },
    body: { cluster: clusterDto(cluster), operation: operationDto(operation) },
  };
}

async function getCluster(ctx: RequestContext): Promise<ApiResponse> {
  const id = pathParam(ctx, 'clusterId', 'cl', 'CLUSTER_NOT_FOUND');
  // The tenant is part of the key: another tenant's id is simply not found.
  const cluster = await ctx.store.getCluster(ctx.principal.tenantId, id);
  if (!cluster) throw new ProblemError('CLUSTER_NOT_FOUND');
  return { status: 200, body: clusterDto(cluster) };
}

async function getOperation(ctx: RequestContext): Promise<ApiResponse> {
  const id = pathParam(ctx, 'operationId', 'op', 'OPERATION_NOT_FOUND');
  const operation = await ctx.store.getOperation(ctx.principal.tenantId, id);
  if (!operation) throw new ProblemError('OPERATION_NOT_FOUND');
  return { status: 200, body: operationDto(operation) };
}

/** Keyed by `METHOD path-template`, exactly as declared in functions/topology.ts. */
export const ROUTE_HANDLERS: Readonly<Record<string, RouteHandler>> = {
  'POST /v1/clusters': createCluster,
  'GET /v1/clusters/{clusterId}': getCluster,
  'GET /v1/operations/{operationId}': getOperation,
};
