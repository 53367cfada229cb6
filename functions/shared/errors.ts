/**
 * Every error a client can receive, with a stable `code`. Handlers throw these; one mapper
 * (functions/api/problem.ts) turns them into `application/problem+json` responses.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_REGION: { status: 400, title: 'The region is not served by Stratus' },
  UNSUPPORTED_ENGINE: { status: 400, title: 'The engine is not supported' },
  UNSUPPORTED_VERSION: { status: 400, title: 'The engine version is not supported' },
  INVALID_QUERY: { status: 400, title: 'A query parameter is not valid' },
  INVALID_PAGE_TOKEN: { status: 400, title: 'The pagination token is not valid' },
  INVALID_HEADER: { status: 400, title: 'A request header is not valid' },
  NO_CHANGES: { status: 400, title: 'The request changes nothing' },
  STORAGE_SHRINK_NOT_ALLOWED: { status: 400, title: 'Storage can grow but not shrink' },
  UPGRADE_NOT_ALLOWED: { status: 400, title: 'This version change is not allowed' },
  SETTING_IMMUTABLE: { status: 400, title: 'A setting fixed at creation cannot change' },
  PAUSE_NOT_SUPPORTED: { status: 400, title: "The cluster's engine cannot be paused" },
  UNAUTHENTICATED: { status: 401, title: 'A valid API key is required' },
  API_KEY_EXPIRED: { status: 401, title: 'The API key has expired; use another key' },
  FORBIDDEN_ROLE: { status: 403, title: "The API key's role does not allow this" },
  QUOTA_EXCEEDED: { status: 403, title: "The tenant's quota does not allow this" },
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  CLUSTER_NOT_FOUND: { status: 404, title: 'Cluster not found' },
  OPERATION_NOT_FOUND: { status: 404, title: 'Operation not found' },
  BACKUP_NOT_FOUND: { status: 404, title: 'Backup not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  CLUSTER_NAME_TAKEN: { status: 409, title: 'A cluster with this name already exists' },
  CLUSTER_BUSY: { status: 409, title: 'The cluster has an operation in progress' },
  CLUSTER_NOT_READY: { status: 409, title: 'The cluster is not in a state that allows this' },
  DELETION_PROTECTED: { status: 409, title: 'The cluster has deletion protection on' },
  CLUSTER_PAUSED: { status: 409, title: 'The cluster is paused; resume it first' },
  CLUSTER_NOT_PAUSED: { status: 409, title: 'The cluster is not paused' },
  BACKUP_IN_PROGRESS: { status: 409, title: 'The backup is still being taken' },
  BACKUP_LOCKED: { status: 409, title: 'The backup is locked (Object Lock) and cannot be deleted yet' },
  BACKUP_NOT_RESTORABLE: { status: 409, title: 'The backup did not succeed and cannot be restored' },
  BACKUPS_NOT_CONFIGURED: { status: 409, title: 'This region has no backup storage' },
  ENDPOINTS_NOT_CONFIGURED: { status: 409, title: 'This region has no gateway for public endpoints' },
  OPERATION_NOT_CANCELLABLE: {
    status: 409,
    title: 'The operation has started applying and cannot be cancelled',
  },
  CONCURRENT_MODIFICATION: {
    status: 409,
    title: 'The resource changed while the request was processed; retry',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  WRONG_REGION: { status: 421, title: 'The request must be sent to the region that manages this resource' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  RATE_LIMITED: {
    status: 429,
    title: "The tenant's API rate limit is used up; retry after Retry-After seconds",
  },
  KUBERNETES_UNAVAILABLE: { status: 503, title: 'The Kubernetes cluster could not be reached; retry later' },
  TEMPORARILY_UNAVAILABLE: { status: 503, title: 'The service is busy; retry after the Retry-After delay' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the client is told about, with a stable code and an optional human detail. */
export class ProblemError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra members of the problem document (e.g. `errors` for validation). */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Response headers that go with it (e.g. `location` of a 421). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    detail?: string,
    extensions: Record<string, unknown> = {},
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(detail ?? ERROR_CODES[code].title, options);
    this.name = 'ProblemError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extensions = extensions;
    this.headers = options?.headers ?? {};
  }
}

/** A field-level validation issue, as reported to clients. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends ProblemError {
  constructor(issues: readonly FieldIssue[], detail?: string) {
    super(
      'VALIDATION_FAILED',
      detail ?? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
      {
        errors: issues,
      },
    );
    this.name = 'ValidationError';
  }
}

/** Thrown by consumers for a failure that retrying cannot fix; the operation is failed with it. */
export class PermanentFailureError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentFailureError';
    this.code = code;
  }
}
