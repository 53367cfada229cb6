import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { ProblemError, ValidationError } from '../shared/errors.js';
import { isId } from '../shared/ids.js';
import {
  ApiKeyListSchema,
  ApiKeySchema,
  BackupListSchema,
  BackupSchema,
  ClusterListSchema,
  ClusterSchema,
  ConnectionSchema,
  CreateApiKeyRequestSchema,
  CreateBackupResponseSchema,
  CreateClusterRequestSchema,
  CreateClusterResponseSchema,
  DryRunQuerySchema,
  DryRunResponseSchema,
  fieldIssues,
  ListClustersQuerySchema,
  OperationListSchema,
  OperationSchema,
  PageQuerySchema,
  RevealedConnectionSchema,
  UpdateClusterRequestSchema,
} from '../shared/schemas/api.js';
import type { Fence, Store } from '../shared/store/store.js';
import type { HttpMethod } from '../topology.js';
import type { KeyProof, Principal } from './auth.js';
import type { Idempotency } from './idempotency.js';
import type { TenantCache } from './tenant-cache.js';

export type Role = 'viewer' | 'editor' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function allows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface RequestContext<Body = unknown, Query = unknown> {
  readonly event: APIGatewayProxyEvent;
  readonly principal: Principal;
  readonly store: Store;
  readonly correlationId: string;
  readonly regions: readonly string[];
  /** The region this API runs in: it writes only what this region owns (docs/data-model.md). */
  readonly apiRegion: string;
  /** Regions taken over by another region -> the managing region (cached for a few seconds). */
  readonly controllers: () => Promise<Readonly<Record<string, string>>>;
  /** This instance's tenant items (read at most 30 s ago): for limits that a transaction re-checks. */
  readonly tenants: TenantCache;
  readonly now: Date;
  readonly body: Body;
  readonly query: Query;
  readonly dryRun: boolean;
  readonly idempotency: Idempotency;
  /**
   * For a `fence` route with a key the instance has seen: the check of the key that the route's
   * transaction must carry (D29); the answer is sent without reading the key once it committed.
   */
  readonly keyFence?: Fence;
}

export interface RouteDef {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  /** `public` needs no key (the OpenAPI document only). */
  readonly role: Role | 'public';
  /** Mutations accept Idempotency-Key and ?dryRun=true. */
  readonly mutation: boolean;
  /**
   * How a request proves its key when the instance has seen it (functions/api/auth.ts, D29):
   * `overlap` only for routes that write nothing, `fence` only for routes whose one write is a
   * transaction that carries `RequestContext.keyFence`. @default 'read'
   */
  readonly keyProof?: KeyProof;
  readonly body?: ZodType;
  readonly query?: ZodType;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: ZodType }>>;
  /** Problem codes this route may answer besides the common ones. */
  readonly errors: readonly string[];
}

const accepted = (what: string) => ({
  description: `${what} accepted; poll the operation`,
  schema: CreateClusterResponseSchema,
});
const dryRun = {
  description: 'dryRun=true: what would happen, nothing written',
  schema: DryRunResponseSchema,
};

/**
 * Every route of the API, with what it needs and answers. The router, the role checks and the
 * OpenAPI document are all built from this table, and a test checks it against topology.ts. The
 * code of each route is loaded by the function that serves it (functions/api/handler.ts,
 * functions/reveal/handler.ts).
 */
export const ROUTES: readonly RouteDef[] = [
  {
    method: 'POST',
    path: '/v1/clusters',
    summary: 'Create a cluster',
    role: 'editor',
    mutation: true,
    keyProof: 'fence',
    body: CreateClusterRequestSchema,
    query: DryRunQuerySchema,
    responses: { 200: dryRun, 202: accepted('Creation') },
    errors: [
      'CLUSTER_NAME_TAKEN',
      'QUOTA_EXCEEDED',
      'INVALID_REGION',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
      'UNSUPPORTED_ENGINE',
      'UNSUPPORTED_VERSION',
      'BACKUP_NOT_FOUND',
      'BACKUP_NOT_RESTORABLE',
    ],
  },
  {
    method: 'GET',
    path: '/v1/clusters',
    summary: 'List clusters (cursor pagination, filters)',
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    query: ListClustersQuerySchema,
    responses: { 200: { description: 'A page of clusters, oldest first', schema: ClusterListSchema } },
    errors: ['INVALID_PAGE_TOKEN', 'INVALID_QUERY'],
  },
  {
    method: 'GET',
    path: '/v1/clusters/{clusterId}',
    summary: 'Read a cluster',
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    responses: { 200: { description: 'The cluster', schema: ClusterSchema } },
    errors: ['CLUSTER_NOT_FOUND'],
  },
  {
    method: 'PATCH',
    path: '/v1/clusters/{clusterId}',
    summary: 'Scale, resize, upgrade, change settings, deletion protection or the backup schedule',
    role: 'editor',
    mutation: true,
    body: UpdateClusterRequestSchema,
    query: DryRunQuerySchema,
    responses: {
      200: {
        description: 'Deletion protection or the backup schedule changed (no operation), or a dry run',
        schema: z.union([ClusterSchema, DryRunResponseSchema]),
      },
      202: accepted('Update'),
    },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_BUSY',
      'CLUSTER_NOT_READY',
      'CLUSTER_PAUSED',
      'NO_CHANGES',
      'STORAGE_SHRINK_NOT_ALLOWED',
      'UPGRADE_NOT_ALLOWED',
      'SETTING_IMMUTABLE',
      'UNSUPPORTED_VERSION',
      'QUOTA_EXCEEDED',
      'WRONG_REGION',
      'UNSUPPORTED_ENGINE',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'DELETE',
    path: '/v1/clusters/{clusterId}',
    summary: 'Delete a cluster',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: { 200: dryRun, 202: accepted('Deletion') },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_BUSY',
      'CLUSTER_NOT_READY',
      'DELETION_PROTECTED',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'POST',
    path: '/v1/clusters/{clusterId}/pause',
    summary: 'Pause a cluster: its pods stop, its volumes, backups and credentials stay',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: { 200: dryRun, 202: accepted('Pause') },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_BUSY',
      'CLUSTER_PAUSED',
      'CLUSTER_NOT_READY',
      'PAUSE_NOT_SUPPORTED',
      'UNSUPPORTED_ENGINE',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'POST',
    path: '/v1/clusters/{clusterId}/resume',
    summary: 'Resume a paused cluster on the volumes it kept',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: { 200: dryRun, 202: accepted('Resume') },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_BUSY',
      'CLUSTER_NOT_PAUSED',
      'CLUSTER_NOT_READY',
      'PAUSE_NOT_SUPPORTED',
      'UNSUPPORTED_ENGINE',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'GET',
    path: '/v1/clusters/{clusterId}/operations',
    summary: "A cluster's operations, newest first",
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    query: PageQuerySchema,
    responses: { 200: { description: 'A page of operations', schema: OperationListSchema } },
    errors: ['CLUSTER_NOT_FOUND', 'INVALID_PAGE_TOKEN', 'INVALID_QUERY'],
  },
  {
    method: 'POST',
    path: '/v1/clusters/{clusterId}/backups',
    summary: 'Back up a cluster now',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: {
      200: dryRun,
      202: { description: 'Backup accepted; poll the operation', schema: CreateBackupResponseSchema },
    },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_BUSY',
      'CLUSTER_NOT_READY',
      'CLUSTER_PAUSED',
      'BACKUPS_NOT_CONFIGURED',
      'UNSUPPORTED_ENGINE',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'GET',
    path: '/v1/clusters/{clusterId}/backups',
    summary: "A cluster's backups, newest first (also after the cluster is deleted)",
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    query: PageQuerySchema,
    responses: { 200: { description: 'A page of backups', schema: BackupListSchema } },
    errors: ['CLUSTER_NOT_FOUND', 'INVALID_PAGE_TOKEN', 'INVALID_QUERY'],
  },
  {
    method: 'GET',
    path: '/v1/backups/{backupId}',
    summary: 'Read a backup',
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    responses: { 200: { description: 'The backup', schema: BackupSchema } },
    errors: ['BACKUP_NOT_FOUND'],
  },
  {
    method: 'DELETE',
    path: '/v1/backups/{backupId}',
    summary: 'Delete a backup: its objects are removed by the pipeline within a minute',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: {
      200: dryRun,
      202: {
        description: 'The backup, DELETING (then DELETED once its objects are gone)',
        schema: BackupSchema,
      },
    },
    errors: [
      'BACKUP_NOT_FOUND',
      'BACKUP_IN_PROGRESS',
      'BACKUP_LOCKED',
      'WRONG_REGION',
      'CONCURRENT_MODIFICATION',
    ],
  },
  {
    method: 'GET',
    path: '/v1/clusters/{clusterId}/connection',
    summary: 'Endpoint, port and credential reference',
    role: 'viewer',
    mutation: false,
    responses: { 200: { description: 'Connection details (no secret value)', schema: ConnectionSchema } },
    errors: ['CLUSTER_NOT_FOUND', 'CLUSTER_NOT_READY', 'CLUSTER_PAUSED'],
  },
  {
    method: 'POST',
    path: '/v1/clusters/{clusterId}/connection/reveal',
    summary: 'Reveal the credential value (admin, audited)',
    role: 'admin',
    mutation: false,
    responses: {
      200: { description: 'Connection details with the secret', schema: RevealedConnectionSchema },
    },
    errors: [
      'CLUSTER_NOT_FOUND',
      'CLUSTER_NOT_READY',
      'CLUSTER_PAUSED',
      'KUBERNETES_UNAVAILABLE',
      'WRONG_REGION',
    ],
  },
  {
    method: 'GET',
    path: '/v1/operations/{operationId}',
    summary: 'Read an operation',
    role: 'viewer',
    mutation: false,
    keyProof: 'overlap',
    responses: { 200: { description: 'The operation', schema: OperationSchema } },
    errors: ['OPERATION_NOT_FOUND'],
  },
  {
    method: 'POST',
    path: '/v1/operations/{operationId}/cancel',
    summary: 'Cancel an operation that has not started applying',
    role: 'editor',
    mutation: true,
    query: DryRunQuerySchema,
    responses: {
      200: {
        description: 'The cancelled operation, or a dry run',
        schema: z.union([OperationSchema, DryRunResponseSchema]),
      },
    },
    errors: ['OPERATION_NOT_FOUND', 'OPERATION_NOT_CANCELLABLE', 'WRONG_REGION', 'CONCURRENT_MODIFICATION'],
  },
  {
    method: 'POST',
    path: '/v1/api-keys',
    summary: 'Create an API key (the secret is shown once)',
    role: 'admin',
    mutation: true,
    body: CreateApiKeyRequestSchema,
    query: DryRunQuerySchema,
    responses: {
      200: dryRun,
      201: { description: 'The key, with its secret (never shown again)', schema: ApiKeySchema },
    },
    errors: ['WRONG_REGION', 'CONCURRENT_MODIFICATION'],
  },
  {
    method: 'GET',
    path: '/v1/api-keys',
    summary: "The tenant's API keys (never their secrets)",
    role: 'admin',
    mutation: false,
    keyProof: 'overlap',
    query: PageQuerySchema,
    responses: { 200: { description: 'A page of keys', schema: ApiKeyListSchema } },
    errors: ['INVALID_PAGE_TOKEN', 'INVALID_QUERY'],
  },
  {
    method: 'DELETE',
    path: '/v1/api-keys/{keyId}',
    summary: 'Revoke an API key (effective on the next request)',
    role: 'admin',
    mutation: true,
    query: DryRunQuerySchema,
    responses: {
      200: {
        description: 'The revoked key, or a dry run',
        schema: z.union([ApiKeySchema, DryRunResponseSchema]),
      },
    },
    errors: ['API_KEY_NOT_FOUND', 'WRONG_REGION', 'CONCURRENT_MODIFICATION'],
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This API, as an OpenAPI 3.1 document',
    role: 'public',
    mutation: false,
    responses: {
      200: { description: 'OpenAPI 3.1 document', schema: z.looseObject({ openapi: z.string() }) },
    },
    errors: [],
  },
];

/** Path parameters are checked before any I/O: a malformed id cannot name anything. */
export function pathId(
  ctx: RequestContext,
  name: string,
  prefix: string,
  notFound: ProblemError['code'],
): string {
  const value = ctx.event.pathParameters?.[name];
  if (!value || !isId(prefix, value)) throw new ProblemError(notFound);
  return value;
}

/** Parses query parameters with a route's schema (absent parameters take their defaults). */
export function parseQuery(schema: ZodType | undefined, event: APIGatewayProxyEvent): unknown {
  const raw = event.queryStringParameters ?? {};
  if (!schema) {
    if (Object.keys(raw).length > 0) {
      throw new ProblemError(
        'INVALID_QUERY',
        `This route takes no query parameters (got: ${Object.keys(raw).join(', ')})`,
      );
    }
    return {};
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ProblemError(
      'INVALID_QUERY',
      fieldIssues(parsed.error)
        .map((i) => `${i.path || 'query'}: ${i.message}`)
        .join('; '),
      {
        errors: fieldIssues(parsed.error),
      },
    );
  }
  return parsed.data;
}

export function parseBody(schema: ZodType, raw: unknown): unknown {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}
