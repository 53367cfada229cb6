import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  isTransientStoreError,
  StaleStateError,
  TransactionConflictError,
} from '../../../functions/shared/store/store.js';

const meta = { $metadata: {} };
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    ...meta,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('Function: isTransientStoreError', () => {
  it.each([
    ['a transaction cancelled by a conflicting transaction', cancelled('None', 'TransactionConflict')],
    ['a transaction cancelled by throttling', cancelled('ThrottlingError', 'None')],
    [
      'a transaction cancelled by conflicts and throughput',
      cancelled('TransactionConflict', 'ProvisionedThroughputExceeded'),
    ],
    ['the store’s own TransactionConflictError', new TransactionConflictError('x')],
    ['ThrottlingException', new ThrottlingException({ message: 'm', ...meta })],
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'm', ...meta }),
    ],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'm', ...meta })],
    ['InternalServerError', new InternalServerError({ message: 'm', ...meta })],
    ['a single write meeting a transaction', new TransactionConflictException({ message: 'm', ...meta })],
  ])('is true for %s', (_what, error) => {
    expect(isTransientStoreError(error)).toBe(true);
  });

  it.each([
    ['a transaction with a failed condition', cancelled('ConditionalCheckFailed', 'None')],
    [
      'a transaction with a failed condition and a conflict',
      cancelled('ConditionalCheckFailed', 'TransactionConflict'),
    ],
    ['a transaction with a validation error', cancelled('ValidationError')],
    ['a transaction cancelled without reasons', cancelled()],
    ['a lost race', new StaleStateError('x', { failed: ['cluster'] })],
    ['a failed condition', new ConditionalCheckFailedException({ message: 'm', ...meta })],
    ['a missing table', new ResourceNotFoundException({ message: 'm', ...meta })],
    ['a plain error', new Error('boom')],
    ['a non-error', 'ThrottlingException'],
  ])('is false for %s', (_what, error) => {
    expect(isTransientStoreError(error)).toBe(false);
  });
});
