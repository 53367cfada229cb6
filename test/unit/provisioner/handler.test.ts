import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QUEUES } from '../../../functions/topology.js';
import { captureEmf } from '../../helpers/emf.js';
import { lambdaContext, sqsRecord } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.PROVISIONING_QUEUE_URL = 'http://sqs.local/000000000000/provisioning';
  process.env.EKS_CLUSTERS = '[{"name":"eks-a","capacityNodes":10}]';
  process.env.KUBE_AUTH = 'kubeconfig';
  // The business metrics are EMF lines on stdout: on here, and read back (captureEmf).
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Stratus';
});
const { handler, queueAgeMs, transientDelaySeconds } = await import(
  '../../../functions/provisioner/handler.js'
);
const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const message = {
  v: 1,
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-1',
  reason: 'dispatch',
  attempt: 0,
};
const operation = {
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-1',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  type: 'CREATE',
  status: 'RUNNING',
  step: 'APPLY',
  deadline: '2999-01-01T00:00:00.000Z',
};

function withReceiveCount(n: number) {
  const r = sqsRecord(message);
  return { ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(n) } };
}

describe('Function: provisioner', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { Key: { pk: 'TENANT#tn-1', sk: 'OPERATION#op-1' } }).resolves({ Item: operation });
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#tn-1', sk: 'CLUSTER#cl-1' } })
      .rejects(new Error('DynamoDB is down'));
    ddb.on(TransactWriteCommand).resolves({});
  });
  afterEach(() => {
    ddb.reset();
    sqs.reset();
  });

  it('reports a failing message as a batch item failure, leaving the operation alone before the last receive', async () => {
    const record = withReceiveCount(1);
    const res = await handler({ Records: [record] }, lambdaContext);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('fails the operation with DELIVERY_FAILED on the last receive, and still sends the message on to the DLQ', async () => {
    const record = withReceiveCount(QUEUES.provisioning.maxReceiveCount);
    const res = await handler({ Records: [record] }, lambdaContext);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    const tx = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(tx[0]?.Update?.ExpressionAttributeValues?.[':error']).toMatchObject({ code: 'DELIVERY_FAILED' });
  });

  it('reports a message that is not a provisioning message, without touching any operation', async () => {
    const record = sqsRecord('{"hello":"world"}');
    const res = await handler({ Records: [record] }, lambdaContext);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  describe('metrics', () => {
    const failures = (deadLettered: number, unreadable: number) => ({
      namespace: 'Stratus',
      dimensions: { queue: 'provisioning' },
      values: {
        ProvisioningMessagesFailed: 1,
        ProvisioningMessagesDeadLettered: deadLettered,
        ProvisioningMessagesUnreadable: unreadable,
      },
      units: {
        ProvisioningMessagesFailed: 'Count',
        ProvisioningMessagesDeadLettered: 'Count',
        ProvisioningMessagesUnreadable: 'Count',
      },
    });

    it("measures each message's time on the queue from its SentTimestamp, by why it was sent", async () => {
      // Prepare
      const now = Date.parse('2026-11-22T06:00:00.000Z');
      vi.useFakeTimers({ now, toFake: ['Date'] });
      const emf = captureEmf();
      const record = withReceiveCount(1);
      const sent = { ...record, attributes: { ...record.attributes, SentTimestamp: String(now - 2_500) } };

      // Act
      await handler({ Records: [sent] }, lambdaContext);
      const points = emf.points();
      emf.restore();
      vi.useRealTimers();

      // Assess: the age, then the failure (the cluster read fails in this file), not dead-lettered yet.
      expect(points).toEqual([
        {
          namespace: 'Stratus',
          dimensions: { reason: 'dispatch' },
          values: { ProvisioningMessageAge: 2_500 },
          units: { ProvisioningMessageAge: 'Milliseconds' },
        },
        failures(0, 0),
      ]);
    });

    it('counts a message failed on its last receive as dead-lettered', async () => {
      // Prepare
      const emf = captureEmf();

      // Act
      await handler({ Records: [withReceiveCount(QUEUES.provisioning.maxReceiveCount)] }, lambdaContext);
      const points = emf.points();
      emf.restore();

      // Assess
      expect(points.at(-1)).toEqual(failures(1, 0));
    });

    it('counts an unreadable message (poison) as unreadable, and dead-lettered on its last receive', async () => {
      // Prepare
      const emf = captureEmf();
      const poison = sqsRecord('not json');
      const last = {
        ...poison,
        attributes: {
          ...poison.attributes,
          ApproximateReceiveCount: String(QUEUES.provisioning.maxReceiveCount),
        },
      };

      // Act
      const res = await handler({ Records: [sqsRecord('{"hello":"world"}'), last] }, lambdaContext);
      const points = emf.points();
      emf.restore();

      // Assess: no age for either (it is not known what they were), one failure each.
      expect(res.batchItemFailures).toHaveLength(2);
      expect(points).toEqual(expect.arrayContaining([failures(0, 1), failures(1, 1)]));
      expect(points).toHaveLength(2);
    });

    it('gives no age for a message without a SentTimestamp', () => {
      const record = sqsRecord(message);
      expect(queueAgeMs({ ...record, attributes: { ...record.attributes, SentTimestamp: '' } }, 5)).toBe(0);
      expect(queueAgeMs({ ...record, attributes: { ...record.attributes, SentTimestamp: '2' } }, 5)).toBe(3);
    });
  });

  describe('transient DynamoDB errors', () => {
    const conflict = () =>
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
      });
    /** A QUEUED operation whose start (QUEUED -> RUNNING, with the claim) meets a concurrent transaction. */
    function claimConflicts(): void {
      ddb
        .on(GetCommand, { Key: { pk: 'TENANT#tn-1', sk: 'OPERATION#op-1' } })
        .resolves({ Item: { ...operation, status: 'QUEUED' } });
      ddb.on(GetCommand, { Key: { pk: 'TENANT#tn-1', sk: 'CLUSTER#cl-1' } }).resolves({
        Item: {
          tenantId: 'tn-1',
          clusterId: 'cl-1',
          region: 'eu-west-1',
          homeRegion: 'eu-west-1',
          engine: 'qdrant',
          activeOperationId: 'op-1',
        },
      });
      ddb.on(TransactWriteCommand).rejects(conflict());
    }
    const retriesOf = (n: number) => ({
      transientRetries: {
        dataType: 'Number',
        stringValue: String(n),
        stringListValues: [],
        binaryListValues: [],
      },
    });

    it('requeues the message after a few seconds on a transaction conflict, instead of failing it', async () => {
      // Prepare: even on the last receive, a conflict is not a delivery failure.
      claimConflicts();
      sqs.on(SendMessageCommand).resolves({});
      const record = withReceiveCount(QUEUES.provisioning.maxReceiveCount);

      // Act
      const res = await handler({ Records: [record] }, lambdaContext);

      // Assess: the message is done with (deleted), a copy comes back in 1-2 s, the operation is untouched.
      expect(res.batchItemFailures).toEqual([]);
      expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
      const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
      expect(sent?.QueueUrl).toBe(process.env.PROVISIONING_QUEUE_URL);
      expect(JSON.parse(sent?.MessageBody ?? '{}')).toEqual(message);
      expect(sent?.DelaySeconds).toBeGreaterThanOrEqual(1);
      expect(sent?.DelaySeconds).toBeLessThanOrEqual(2);
      expect(sent?.MessageAttributes?.transientRetries).toEqual({ DataType: 'Number', StringValue: '1' });
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    });

    it("makes the copy the same delivery as the message it replaces, so it may take over that delivery's claim of the step", async () => {
      // Prepare: the first delivery (receive 2) meets a conflict on the start that carries its claim.
      claimConflicts();
      sqs.on(SendMessageCommand).resolves({});
      const first = withReceiveCount(2);

      // Act: the conflict requeues a copy (a new SQS message, with a new id) ...
      await handler({ Records: [first] }, lambdaContext);
      const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
      // ... which is delivered (receive 1 of the copy), and claims the step.
      ddb.resetHistory();
      const attrs = Object.fromEntries(
        Object.entries(sent?.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          {
            dataType: v.DataType ?? 'String',
            stringValue: v.StringValue,
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      );
      const copy = { ...withReceiveCount(1), messageId: 'copy-of-first', messageAttributes: attrs };
      await handler({ Records: [copy] }, lambdaContext);

      // Assess: the copy claims as the first delivery, one receive later (not as a stranger, whom
      // the claim would refuse while the first delivery's lease runs, leaving the step undone).
      // A queued operation's claim rides on its start transition (docs/cost.md).
      expect(sent?.MessageAttributes?.claimBy?.StringValue).toBe(first.messageId);
      const claim = ddb
        .commandCalls(TransactWriteCommand)
        .flatMap((c) => c.args[0].input.TransactItems ?? [])
        .map((t) => t.Update)
        .find((u) => u?.UpdateExpression?.includes('#claim = :claim'));
      expect(claim?.ExpressionAttributeValues?.[':by']).toBe(first.messageId);
      expect(claim?.ExpressionAttributeValues?.[':receive']).toBe(3);
    });

    it('backs off with each consecutive requeue, and throttled reads count as transient too', async () => {
      // Prepare
      ddb
        .on(GetCommand, { Key: { pk: 'TENANT#tn-1', sk: 'CLUSTER#cl-1' } })
        .rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
      sqs.on(SendMessageCommand).resolves({});
      const record = { ...withReceiveCount(1), messageAttributes: retriesOf(4) };

      // Act
      const res = await handler({ Records: [record] }, lambdaContext);

      // Assess: the fifth retry waits 15-30 s.
      expect(res.batchItemFailures).toEqual([]);
      const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
      expect(sent?.DelaySeconds).toBeGreaterThanOrEqual(15);
      expect(sent?.DelaySeconds).toBeLessThanOrEqual(30);
      expect(sent?.MessageAttributes?.transientRetries?.StringValue).toBe('5');
    });

    it('draws each delay from the upper half of 2^retry seconds, capped at 30', () => {
      expect([transientDelaySeconds(1, () => 0), transientDelaySeconds(1, () => 0.999)]).toEqual([1, 2]);
      expect([transientDelaySeconds(3, () => 0), transientDelaySeconds(3, () => 0.999)]).toEqual([4, 8]);
      expect([transientDelaySeconds(9, () => 0), transientDelaySeconds(9, () => 0.999)]).toEqual([15, 30]);
    });

    it('gives up requeueing after its budget, and the message takes the ordinary path to the DLQ', async () => {
      // Prepare
      claimConflicts();
      const record = { ...withReceiveCount(1), messageAttributes: retriesOf(10) };

      // Act
      const res = await handler({ Records: [record] }, lambdaContext);

      // Assess
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    });

    it('falls back to the ordinary retry when the requeue itself cannot be sent', async () => {
      // Prepare
      claimConflicts();
      sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
      const record = withReceiveCount(1);

      // Act
      const res = await handler({ Records: [record] }, lambdaContext);

      // Assess
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    });
  });
});
