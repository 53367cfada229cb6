import { OperationTimeoutError, StratusApiError } from '../../sdk/index.js';

/** What `stratus` exits with: scripts branch on these (README, "CLI"). */
export const EXIT = {
  OK: 0,
  /** Anything else: a conflict (409), the API unreachable, a server error. */
  ERROR: 1,
  /** Bad usage or input: unknown flag, bad value, 400 / 422 from the API. */
  VALIDATION: 2,
  NOT_FOUND: 3,
  /** No credentials, a key refused (401) or without the role (403). */
  AUTH: 4,
  /** The operation waited for ended FAILED or CANCELLED. */
  OPERATION_FAILED: 5,
  /** --wait gave up (--timeout). */
  TIMEOUT: 6,
} as const;

/** A problem the CLI reports itself (bad flag value, no credentials), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof OperationTimeoutError) return EXIT.TIMEOUT;
  if (error instanceof StratusApiError) {
    if (error.status === 400 || error.status === 422 || error.status === 413 || error.status === 415)
      return EXIT.VALIDATION;
    if (error.status === 404) return EXIT.NOT_FOUND;
    if (error.status === 401 || error.status === 403) return EXIT.AUTH;
  }
  return EXIT.ERROR;
}
