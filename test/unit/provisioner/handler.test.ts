import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QUEUES } from '../../../functions/topology.js';
import { lambdaContext, sqsRecord } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.PROVISIONING_QUEUE_URL = 'http://sqs.local/000000000000/provisioning';
  process.env.EKS_CLUSTERS = '[{"name":"eks-a","capacityNodes":10}]';
  process.env.KUBE_AUTH = 'kubeconfig';
});
const { handler } = await import('../../../functions/provisioner/handler.js');
const ddb = mockClient(DynamoDBDocumentClient);
mockClient(SQSClient);

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
  afterEach(() => ddb.reset());

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
});
