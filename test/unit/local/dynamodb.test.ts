import { describe, expect, it } from 'vitest';
import { dynamoStartTimeoutMs, START_TIMEOUT_ENV } from '../../../local/runtime/dynamodb.js';

describe('Function: dynamoStartTimeoutMs', () => {
  it('is two minutes unless the environment says otherwise', () => {
    expect(dynamoStartTimeoutMs({})).toBe(120_000);
    expect(dynamoStartTimeoutMs({ [START_TIMEOUT_ENV]: '' })).toBe(120_000);
  });

  it('reads STRATUS_DYNAMODB_START_TIMEOUT_MS', () => {
    expect(dynamoStartTimeoutMs({ STRATUS_DYNAMODB_START_TIMEOUT_MS: '300000' })).toBe(300_000);
  });

  it.each(['0', '-5', '1.5', 'two minutes'])('refuses %j, naming the variable', (raw) => {
    expect(() => dynamoStartTimeoutMs({ [START_TIMEOUT_ENV]: raw })).toThrow(
      `STRATUS_DYNAMODB_START_TIMEOUT_MS must be a positive whole number of milliseconds, got "${raw}"`,
    );
  });
});
