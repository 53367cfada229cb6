import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../functions/shared/domain/records.js';
import { StaleStateError, Store } from '../../../functions/shared/store/store.js';

/** docs/cost.md, "Lines above 1.25 times the floor": the provisioner's step record costs one plain write. */
describe('OperationStore.setStep', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new Store(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    'stratus-test',
    'eu-west-1',
  );
  const op = { tenantId: 'tn-1', operationId: 'op-1' } as OperationRecord;

  beforeEach(() => ddb.reset());
  afterEach(() => ddb.reset());

  it('is one conditional UpdateItem (no one-item transaction, which costs twice the units)', async () => {
    ddb.on(UpdateCommand).resolves({});

    await store.operations.setStep(op, 'WAIT_READY', '2026-12-06T00:00:00.000Z');

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'TENANT#tn-1', sk: 'OPERATION#op-1' },
      UpdateExpression: 'SET #step = :step, updatedAt = :now',
      ConditionExpression: '#status = :running AND homeRegion = :me',
      ExpressionAttributeValues: expect.objectContaining({ ':step': 'WAIT_READY', ':me': 'eu-west-1' }),
    });
  });

  it('throws StaleStateError naming the operation when it is no longer running here', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    const error = await store.operations.setStep(op, 'WAIT_READY', 'x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StaleStateError);
    expect((error as StaleStateError).failed).toEqual(['operation']);
  });

  it('finishes a step and records the step it moved to in one conditional write', async () => {
    ddb.on(UpdateCommand).resolves({});

    await store.operations.finishStep(op, 3, { step: 'WAIT_READY', now: '2026-12-06T00:00:00.000Z' });

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #claim.#done = :true, #step = :step, updatedAt = :now',
      ConditionExpression: '#claim.#seq = :seq AND #claim.#region = :me AND #status = :running',
      ExpressionAttributeValues: expect.objectContaining({ ':seq': 3, ':step': 'WAIT_READY' }),
    });
  });
});
