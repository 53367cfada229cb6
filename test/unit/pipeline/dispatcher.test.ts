import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext, streamRecord } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.PROVISIONING_QUEUE_URL = 'http://sqs.local/000000000000/provisioning';
});
const { handler } = await import('../../../functions/dispatcher/handler.js');
const sqs = mockClient(SQSClient);

const op = (over: Record<string, unknown> = {}) => ({
  entity: 'Operation',
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-1',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  status: 'QUEUED',
  ...over,
});

describe('Function: dispatcher', () => {
  afterEach(() => sqs.reset());

  it('sends one provisioning message per new operation of its region', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const res = await handler(
      {
        Records: [
          streamRecord({ eventName: 'INSERT', newImage: op() }),
          // Written by us-east-1 and replicated here: us-east-1 dispatches it.
          streamRecord({
            eventName: 'INSERT',
            newImage: op({ operationId: 'op-2', region: 'us-east-1', homeRegion: 'us-east-1' }),
          }),
          // A us-east-1 cluster this region manages after a takeover: dispatched here.
          streamRecord({
            eventName: 'INSERT',
            newImage: op({ operationId: 'op-3', region: 'us-east-1', homeRegion: 'eu-west-1' }),
          }),
          streamRecord({ eventName: 'MODIFY', newImage: op({ status: 'RUNNING' }), oldImage: op() }),
          streamRecord({ eventName: 'INSERT', newImage: { entity: 'Cluster', region: 'eu-west-1' } }),
        ],
      },
      lambdaContext,
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 2);
    const bodies = sqs
      .commandCalls(SendMessageCommand)
      .map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}'));
    expect(bodies.map((b) => b.operationId)).toEqual(['op-1', 'op-3']);
    const body = bodies[0];
    expect(body).toEqual({
      v: 1,
      tenantId: 'tn-1',
      operationId: 'op-1',
      clusterId: 'cl-1',
      reason: 'dispatch',
      attempt: 0,
    });
  });

  it("carries the operation's correlation id in the message, so the provisioner's lines carry it too", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    await handler(
      { Records: [streamRecord({ eventName: 'INSERT', newImage: op({ correlationId: 'corr-abcdefgh' }) })] },
      lambdaContext,
    );
    const body = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(body).toMatchObject({ operationId: 'op-1', correlationId: 'corr-abcdefgh' });
  });

  it('reports the records whose message could not be sent, and only those', async () => {
    sqs.on(SendMessageCommand).callsFake((input) => {
      if (String(input.MessageBody).includes('op-bad')) throw new Error('throttled');
      return { MessageId: 'm' };
    });
    const res = await handler(
      {
        Records: [
          streamRecord({ eventName: 'INSERT', newImage: op(), sequenceNumber: '1' }),
          streamRecord({ eventName: 'INSERT', newImage: op({ operationId: 'op-bad' }), sequenceNumber: '2' }),
        ],
      },
      lambdaContext,
    );
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });
});
