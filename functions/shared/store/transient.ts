import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactionConflictError } from './core.js';

/*
 * Which DynamoDB failures pass by themselves. The SDK already retries throttling a few times
 * within one call; what still fails is worth retrying a few seconds later, not a bug: the API
 * answers 503 with Retry-After, the provisioner requeues the message with a short delay.
 */

/** Error names DynamoDB (or the SDK for it) uses for a failure that a later retry may pass. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  // A single-item write met an item that a transaction is changing.
  'TransactionConflictException',
  // Multi-region strongly consistent tables: a concurrent write in another region.
  'ReplicatedWriteConflictException',
]);

/** Cancellation reasons of a transaction that say "not now", as opposed to "never" (a failed condition, a validation error). */
const TRANSIENT_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'ReplicatedWriteConflict',
]);

/**
 * True for a DynamoDB failure that is expected to pass if the same request is retried shortly:
 * throttling, an internal error, or a transaction cancelled only by conflicts or throttling (a
 * cancellation with any failed condition is a lost race, `StaleStateError`, never transient).
 */
export function isTransientStoreError(e: unknown): boolean {
  if (e instanceof TransactionConflictError) return true;
  if (e instanceof TransactionCanceledException) {
    const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None').filter((c) => c !== 'None');
    return codes.length > 0 && codes.every((c) => TRANSIENT_REASONS.has(c));
  }
  return e instanceof Error && TRANSIENT_NAMES.has(e.name);
}
