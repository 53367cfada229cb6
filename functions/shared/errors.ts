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
  UNAUTHENTICATED: { status: 401, title: 'A valid API key is required' },
  CLUSTER_NOT_FOUND: { status: 404, title: 'Cluster not found' },
  OPERATION_NOT_FOUND: { status: 404, title: 'Operation not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  CLUSTER_NAME_TAKEN: { status: 409, title: 'A cluster with this name already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  WRONG_REGION: { status: 421, title: "The request must be sent to the cluster's home region" },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the client is told about, with a stable code and an optional human detail. */
export class ProblemError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra members of the problem document (e.g. `errors` for validation). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail?: string,
    extensions: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(detail ?? ERROR_CODES[code].title, options);
    this.name = 'ProblemError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extensions = extensions;
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
