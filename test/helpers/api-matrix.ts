import type { RouteDef } from '../../functions/api/routes.js';
import type { ErrorCode } from '../../functions/shared/errors.js';

/**
 * The access matrix of the API: for every route, what each caller of tenant A gets, and what
 * tenant B's admin gets with tenant A's ids. test/integration/api/matrix.test.ts runs it against
 * the local runtime and fails for a route of ROUTES without an entry here.
 */

export type Caller = 'anonymous' | 'viewer' | 'editor' | 'admin';
export const CALLERS: readonly Caller[] = ['anonymous', 'viewer', 'editor', 'admin'];

/** Tenant A's data the matrix calls with. */
export interface MatrixFixture {
  readonly region: string;
  readonly tenantId: string;
  /** A READY cluster, and the (finished) operation that created it. */
  readonly clusterId: string;
  readonly clusterName: string;
  readonly endpoint: string;
  readonly operationId: string;
  /** A SUCCEEDED backup of the cluster, and the (finished) operation that took it. */
  readonly backupId: string;
  readonly backupOperationId: string;
  /** A key nobody calls with: the target of revocations. */
  readonly spareKeyId: string;
  /** Every key id of tenant A. */
  readonly keyIds: readonly string[];
}

export interface Expected {
  readonly status: number;
  readonly code?: ErrorCode;
}

/** Mirrors RouteCall of test/integration/api/client.ts (helpers do not import tests). */
export interface MatrixRequest {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface MatrixEntry {
  /** What every caller of tenant A sends: `?dryRun=true` wherever it applies, so the fixture survives. */
  readonly request: (fx: MatrixFixture) => MatrixRequest;
  readonly roles: Readonly<Record<Caller, Expected>>;
  /** Tenant B's admin with tenant A's ids: real calls (no dry run), which must find nothing. */
  readonly otherTenant: {
    readonly request: (fx: MatrixFixture) => MatrixRequest;
    readonly expected: Expected;
  };
}

const OK: Expected = { status: 200 };
const UNAUTHENTICATED: Expected = { status: 401, code: 'UNAUTHENTICATED' };
const FORBIDDEN: Expected = { status: 403, code: 'FORBIDDEN_ROLE' };

const anyone = (e: Expected): Record<Caller, Expected> => ({ anonymous: e, viewer: e, editor: e, admin: e });
const viewer = (e: Expected): Record<Caller, Expected> => ({
  anonymous: UNAUTHENTICATED,
  viewer: e,
  editor: e,
  admin: e,
});
const editor = (e: Expected): Record<Caller, Expected> => ({
  anonymous: UNAUTHENTICATED,
  viewer: FORBIDDEN,
  editor: e,
  admin: e,
});
const admin = (e: Expected): Record<Caller, Expected> => ({
  anonymous: UNAUTHENTICATED,
  viewer: FORBIDDEN,
  editor: FORBIDDEN,
  admin: e,
});

const dryRun = { dryRun: 'true' } as const;
const cluster = (fx: MatrixFixture) => ({ clusterId: fx.clusterId });
const operation = (fx: MatrixFixture) => ({ operationId: fx.operationId });
const clusterNotFound: Expected = { status: 404, code: 'CLUSTER_NOT_FOUND' };
const operationNotFound: Expected = { status: 404, code: 'OPERATION_NOT_FOUND' };
const backup = (fx: MatrixFixture) => ({ backupId: fx.backupId });
const backupNotFound: Expected = { status: 404, code: 'BACKUP_NOT_FOUND' };

export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

export const MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'POST /v1/clusters': {
    request: (fx) => ({ query: dryRun, body: { name: 'matrix-new', engine: 'qdrant', region: fx.region } }),
    roles: editor(OK),
    // No id of A to send: A's cluster name is free in B (names are per tenant).
    otherTenant: {
      request: (fx) => ({
        query: dryRun,
        body: { name: fx.clusterName, engine: 'qdrant', region: fx.region },
      }),
      expected: OK,
    },
  },
  'GET /v1/clusters': {
    request: () => ({}),
    roles: viewer(OK),
    otherTenant: { request: () => ({}), expected: OK },
  },
  'GET /v1/clusters/{clusterId}': {
    request: (fx) => ({ params: cluster(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'PATCH /v1/clusters/{clusterId}': {
    request: (fx) => ({ params: cluster(fx), query: dryRun, body: { nodes: 2 } }),
    roles: editor(OK),
    otherTenant: {
      request: (fx) => ({ params: cluster(fx), body: { nodes: 2 } }),
      expected: clusterNotFound,
    },
  },
  'DELETE /v1/clusters/{clusterId}': {
    request: (fx) => ({ params: cluster(fx), query: dryRun }),
    roles: editor(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'GET /v1/clusters/{clusterId}/operations': {
    request: (fx) => ({ params: cluster(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'GET /v1/clusters/{clusterId}/connection': {
    request: (fx) => ({ params: cluster(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'POST /v1/clusters/{clusterId}/connection/reveal': {
    // Not a mutation (no dry run): the admin's reveal is real, and audited.
    request: (fx) => ({ params: cluster(fx) }),
    roles: admin(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'POST /v1/clusters/{clusterId}/pause': {
    request: (fx) => ({ params: cluster(fx), query: dryRun }),
    roles: editor(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'POST /v1/clusters/{clusterId}/resume': {
    // The fixture's cluster runs: an allowed caller gets past the role check to the 409.
    request: (fx) => ({ params: cluster(fx), query: dryRun }),
    roles: editor({ status: 409, code: 'CLUSTER_NOT_PAUSED' }),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'POST /v1/clusters/{clusterId}/backups': {
    request: (fx) => ({ params: cluster(fx), query: dryRun }),
    roles: editor(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'GET /v1/clusters/{clusterId}/backups': {
    request: (fx) => ({ params: cluster(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: cluster(fx) }), expected: clusterNotFound },
  },
  'GET /v1/backups/{backupId}': {
    request: (fx) => ({ params: backup(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: backup(fx) }), expected: backupNotFound },
  },
  'DELETE /v1/backups/{backupId}': {
    request: (fx) => ({ params: backup(fx), query: dryRun }),
    roles: editor(OK),
    otherTenant: { request: (fx) => ({ params: backup(fx) }), expected: backupNotFound },
  },
  'GET /v1/operations/{operationId}': {
    request: (fx) => ({ params: operation(fx) }),
    roles: viewer(OK),
    otherTenant: { request: (fx) => ({ params: operation(fx) }), expected: operationNotFound },
  },
  'POST /v1/operations/{operationId}/cancel': {
    // The fixture's operation has finished: an allowed caller gets past the role check to the 409.
    request: (fx) => ({ params: operation(fx), query: dryRun }),
    roles: editor({ status: 409, code: 'OPERATION_NOT_CANCELLABLE' }),
    otherTenant: { request: (fx) => ({ params: operation(fx) }), expected: operationNotFound },
  },
  'POST /v1/api-keys': {
    request: () => ({ query: dryRun, body: { name: 'matrix', role: 'viewer' } }),
    roles: admin(OK),
    otherTenant: {
      request: () => ({ query: dryRun, body: { name: 'matrix', role: 'admin' } }),
      expected: OK,
    },
  },
  'GET /v1/api-keys': {
    request: () => ({}),
    roles: admin(OK),
    otherTenant: { request: () => ({}), expected: OK },
  },
  'DELETE /v1/api-keys/{keyId}': {
    request: (fx) => ({ params: { keyId: fx.spareKeyId }, query: dryRun }),
    roles: admin(OK),
    otherTenant: {
      request: (fx) => ({ params: { keyId: fx.spareKeyId } }),
      expected: { status: 404, code: 'API_KEY_NOT_FOUND' },
    },
  },
  'GET /v1/openapi.json': {
    request: () => ({}),
    roles: anyone(OK),
    otherTenant: { request: () => ({}), expected: OK },
  },
};
