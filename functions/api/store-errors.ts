import { ProblemError } from '../shared/errors.js';
import { isTransientStoreError, StaleStateError, TransactionConflictError } from '../shared/store/store.js';

/** What a route answers when a named transaction item's condition failed. */
export type FailureAnswers = Readonly<Record<string, () => ProblemError | Promise<ProblemError>>>;

const concurrent = () =>
  new ProblemError(
    'CONCURRENT_MODIFICATION',
    'The resource changed while this request was processed; read it again and retry',
  );

/**
 * Runs a store write and maps its named failures to the route's answers: the first failed item
 * that has an answer decides. A failure without an answer, or a concurrent transaction, is
 * CONCURRENT_MODIFICATION (409: read again and retry), never a 500.
 */
export async function committing<T>(write: Promise<T>, answers: FailureAnswers): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (e instanceof StaleStateError) {
      for (const name of e.failed) {
        const answer = answers[name];
        if (answer) throw withCause(await answer(), e);
      }
      throw withCause(concurrent(), e);
    }
    if (e instanceof TransactionConflictError) throw withCause(concurrent(), e);
    throw e;
  }
}

function withCause(p: ProblemError, cause: unknown): ProblemError {
  return new ProblemError(p.code, p.message, { ...p.extensions }, { cause, headers: { ...p.headers } });
}

/** What a client is told to wait after a transient store failure: DynamoDB throttling clears within seconds. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * A DynamoDB failure that passes by itself (throttling, an internal error; see
 * `isTransientStoreError`) becomes 503 TEMPORARILY_UNAVAILABLE with `Retry-After`, never a 500.
 * Nothing of the request was stored (a transaction is all or nothing, the Idempotency-Key's
 * record included), so a retry with the same key runs it again. Anything else is returned as is.
 */
export function unavailableIfTransient(e: unknown): unknown {
  if (!isTransientStoreError(e)) return e;
  return new ProblemError(
    'TEMPORARILY_UNAVAILABLE',
    `The database is busy; retry in ${RETRY_AFTER_SECONDS} s (a mutation with the same Idempotency-Key)`,
    {},
    { cause: e, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
  );
}
