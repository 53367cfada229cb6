import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepDeadlines } from '../../../functions/reconciler/deadlines.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { createLogger } from '../../../functions/shared/logger.js';
import { activeIndex, keys, StaleStateError, Store } from '../../../functions/shared/store/store.js';
import { Sweeps } from '../../../functions/shared/store/sweeps.js';
import { lambdaContext } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
  process.env.EKS_CLUSTERS = JSON.stringify([{ name: 'stratus-euw1-a', capacityNodes: 10 }]);
});
// No Kubernetes in unit tests: the drift sweep sees EKS clusters without Stratus namespaces.
vi.mock('../../../functions/shared/kube/access.js', () => ({
  kubeAccess: () => ({
    client: async () => ({ listPage: async () => ({ items: [] }), deleteNamespace: async () => 'gone' }),
    invalidate: () => undefined,
  }),
}));
const { handler } = await import('../../../functions/reconciler/handler.js');

const ddb = mockClient(DynamoDBDocumentClient);
const scheduled = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Scheduled Event' as const,
  source: 'aws.events' as const,
  account: '123456789012',
  time: '2026-11-22T06:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {},
};

function operation(n: number, over: Partial<OperationRecord> = {}): Record<string, unknown> {
  const op = {
    tenantId: 'tn-1',
    operationId: `op-${n}`,
    clusterId: `cl-${n}`,
    region: 'eu-west-1',
    homeRegion: 'eu-west-1',
    type: 'CREATE',
    status: 'RUNNING',
    step: 'WAIT_READY',
    statusVersion: 2,
    targetGeneration: 1,
    correlationId: `corr-${n}`,
    createdAt: '2026-11-22T04:00:00.000Z',
    updatedAt: '2026-11-22T04:00:01.000Z',
    deadline: '2026-11-22T05:00:00.000Z',
    ...over,
  } as OperationRecord;
  return { ...keys.operation(op.tenantId, op.operationId), entity: 'Operation', ...activeIndex(op), ...op };
}

function conditionFailed(): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
  });
}

const transactedOperationIds = () =>
  ddb
    .commandCalls(TransactWriteCommand)
    .map((c) => String(c.args[0].input.TransactItems?.[0]?.Update?.Key?.sk).replace('OPERATION#', ''));

describe('Function: reconciler', () => {
  beforeEach(() => {
    // The drift sweep, after deadlines: no cluster in the region, no cursor yet.
    ddb.on(QueryCommand, { IndexName: 'gsi1' }).resolves({ Items: [] });
    ddb.on(GetCommand, { Key: { pk: 'RECONCILER#eu-west-1', sk: 'CURSOR' } }).resolves({});
    // No takeover: the region manages only itself (store.regions.controllers()).
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CONTROL' } }).resolves({ Items: [] });
  });
  afterEach(() => {
    ddb.reset();
    vi.useRealTimers();
  });

  describe('Method: handler', () => {
    it('queries the sparse index of its region for deadlines before now, and fails each with DEADLINE_EXCEEDED', async () => {
      // Prepare
      vi.useFakeTimers({ now: new Date('2026-11-22T06:00:00.000Z'), toFake: ['Date'] });
      ddb
        .on(QueryCommand, { IndexName: 'gsi2' })
        .resolves({ Items: [operation(1), operation(2, { status: 'QUEUED', step: 'APPLY' })] });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        TableName: 'stratus-test',
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :now',
        ExpressionAttributeValues: { ':pk': 'ACTIVE#eu-west-1', ':now': '2026-11-22T06:00:00.000Z' },
        ScanIndexForward: true,
      });
      expect(transactedOperationIds().sort()).toEqual(['op-1', 'op-2']);
      const update = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Update;
      // Only while the deadline is the one that passed (a rollback that began meanwhile has its own).
      expect(update?.ConditionExpression).toBe('#status IN (:queued, :running) AND #deadline = :deadline');
      expect(update?.ExpressionAttributeValues?.[':deadline']).toBe('2026-11-22T05:00:00.000Z');
      expect(update?.ExpressionAttributeValues?.[':error']).toEqual({
        code: 'DEADLINE_EXCEEDED',
        message: expect.stringContaining('did not finish by 2026-11-22T05:00:00.000Z'),
      });
      expect(res.deadlines).toEqual({
        scanned: 2,
        failed: 2,
        failedWithoutCluster: 0,
        alreadyFinished: 0,
        errors: 0,
        pages: 1,
        more: false,
      });
    });

    it('follows LastEvaluatedKey page by page', async () => {
      // Prepare
      ddb
        .on(QueryCommand, { IndexName: 'gsi2' })
        .resolvesOnce({ Items: [operation(1)], LastEvaluatedKey: { pk: 'p1' } })
        .resolvesOnce({ Items: [operation(2)], LastEvaluatedKey: { pk: 'p2' } })
        .resolvesOnce({ Items: [operation(3)] });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      const starts = ddb
        .commandCalls(QueryCommand)
        .filter((c) => c.args[0].input.IndexName === 'gsi2')
        .map((c) => c.args[0].input.ExclusiveStartKey);
      expect(starts).toEqual([undefined, { pk: 'p1' }, { pk: 'p2' }]);
      expect(res.deadlines).toMatchObject({ scanned: 3, failed: 3, pages: 3, more: false });
    });

    it('counts a lost race with the provisioner as already finished, not as an error', async () => {
      // Prepare
      ddb.on(QueryCommand, { IndexName: 'gsi2' }).resolves({ Items: [operation(1)] });
      ddb.on(TransactWriteCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: operation(1, { status: 'SUCCEEDED', step: 'DONE' }) });

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(res.deadlines).toMatchObject({ scanned: 1, failed: 0, alreadyFinished: 1, errors: 0 });
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        Key: keys.operation('tn-1', 'op-1'),
        ConsistentRead: true,
      });
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('fails the operation on its own when it is still active but its cluster is not held by it', async () => {
      // Prepare
      ddb.on(QueryCommand, { IndexName: 'gsi2' }).resolves({ Items: [operation(1)] });
      ddb.on(TransactWriteCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: operation(1) });
      ddb.on(UpdateCommand).resolves({});

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(res.deadlines).toMatchObject({ failed: 0, failedWithoutCluster: 1, errors: 0 });
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        Key: keys.operation('tn-1', 'op-1'),
        ConditionExpression:
          'attribute_exists(pk) AND #status IN (:queued, :running) AND #deadline = :deadline',
        ExpressionAttributeValues: expect.objectContaining({ ':deadline': operation(1).deadline }),
        UpdateExpression: expect.stringContaining('REMOVE gsi2pk, gsi2sk ADD statusVersion :one'),
      });
    });

    it('leaves an operation alone whose deadline moved since the index was read (a rollback began)', async () => {
      // Prepare: the transaction lost; the operation is still RUNNING, with a new deadline.
      ddb.on(QueryCommand, { IndexName: 'gsi2' }).resolves({ Items: [operation(1)] });
      ddb.on(TransactWriteCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({
        Item: { ...operation(1), step: 'ROLLBACK_APPLY', deadline: '2026-11-22T06:15:00.000Z' },
      });

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(res.deadlines).toMatchObject({
        failed: 0,
        failedWithoutCluster: 0,
        alreadyFinished: 1,
        errors: 0,
      });
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('handles the other operations, then fails the run, when one cannot be written', async () => {
      // Prepare
      ddb.on(QueryCommand, { IndexName: 'gsi2' }).resolves({ Items: [operation(1), operation(2)] });
      ddb
        .on(TransactWriteCommand)
        .rejectsOnce(
          Object.assign(new Error('Throughput exceeds the current capacity'), {
            name: 'ThrottlingException',
          }),
        )
        .resolves({});

      // Act + Assess
      await expect(handler(scheduled, lambdaContext)).rejects.toThrow(
        /1 overdue operation\(s\) could not be marked FAILED/,
      );
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    });

    it('does nothing when no operation is overdue', async () => {
      ddb.on(QueryCommand, { IndexName: 'gsi2' }).resolves({ Items: [] });
      const res = await handler(scheduled, lambdaContext);
      expect(res.deadlines).toMatchObject({ scanned: 0, failed: 0, pages: 1, more: false });
      expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    });
  });

  describe('Method: sweepDeadlines', () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const deps = (over: { maxPages?: number; hasTime?: () => boolean } = {}) => ({
      store: new Store(db, 'stratus-test', 'eu-west-1'),
      sweeps: new Sweeps(new Store(db, 'stratus-test', 'eu-west-1').table),
      region: 'eu-west-1',
      now: () => new Date('2026-11-22T06:00:00.000Z'),
      logger: createLogger('test'),
      pageSize: 1,
      maxPages: over.maxPages ?? 10,
      hasTime: over.hasTime ?? (() => true),
    });

    it('stops at its page budget and says there is more', async () => {
      // Prepare
      ddb.on(QueryCommand).callsFake((input) => ({
        Items: [operation(Number(input.ExclusiveStartKey?.n ?? 0))],
        LastEvaluatedKey: { n: Number(input.ExclusiveStartKey?.n ?? 0) + 1 },
      }));
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await sweepDeadlines(deps({ maxPages: 3 }));

      // Assess
      expect(res).toMatchObject({ scanned: 3, failed: 3, pages: 3, more: true });
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, { Limit: 1 });
    });

    it('stops paging when the invocation runs out of time', async () => {
      // Prepare
      ddb
        .on(QueryCommand, { IndexName: 'gsi2' })
        .resolves({ Items: [operation(1)], LastEvaluatedKey: { n: 1 } });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await sweepDeadlines(deps({ hasTime: () => false }));

      // Assess
      expect(res).toMatchObject({ pages: 1, more: true });
    });
  });

  describe('Method: handler (drift)', () => {
    it("sweeps drift after deadlines: the region's READY clusters from gsi1, and its cursor", async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [] });

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        FilterExpression: '#status = :ready',
        ExpressionAttributeValues: { ':pk': 'HOME#eu-west-1', ':prefix': 'CLUSTER#', ':ready': 'READY' },
      });
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        Key: { pk: 'RECONCILER#eu-west-1', sk: 'CURSOR' },
        ConsistentRead: true,
      });
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({
          pk: 'RECONCILER#eu-west-1',
          sk: 'CURSOR',
          cursor: expect.objectContaining({ phase: 'clusters' }),
        }),
      });
      expect(res.drift).toMatchObject({ checked: 0, errors: 0, more: false, cycleCompleted: true });
    });
  });

  describe('Class: Sweeps (drift)', () => {
    const sweeps = new Sweeps(
      new Store(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'stratus-test', 'eu-west-1').table,
    );
    const cluster = {
      tenantId: 'tn-1',
      clusterId: 'cl-1',
      region: 'eu-west-1',
      generation: 3,
      statusVersion: 7,
    } as ClusterRecord;
    const repair = operation(9, {
      clusterId: 'cl-1',
      type: 'UPDATE',
      status: 'QUEUED',
      step: 'APPLY',
      targetGeneration: 3,
      requestedBy: 'reconciler',
    }) as unknown as OperationRecord;

    it('queues a repair in one transaction: the cluster held only if idle, READY and unchanged', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      await sweeps.requestRepair(cluster, repair);

      // Assess
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items[0]?.Update).toMatchObject({
        Key: keys.cluster('tn-1', 'cl-1'),
        ConditionExpression:
          'attribute_not_exists(activeOperationId) AND #status = :ready AND generation = :g AND statusVersion = :sv AND homeRegion = :me',
        ExpressionAttributeValues: expect.objectContaining({
          ':me': 'eu-west-1',
          ':op': 'op-9',
          ':g': 3,
          ':sv': 7,
          ':updating': 'UPDATING',
        }),
      });
      expect(items[1]?.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: expect.objectContaining({
          ...keys.operation('tn-1', 'op-9'),
          entity: 'Operation',
          gsi1pk: 'CLUSTER#cl-1',
          gsi2pk: 'ACTIVE#eu-west-1',
          requestedBy: 'reconciler',
        }),
      });
    });

    it('says StaleStateError when a user operation holds the cluster', async () => {
      ddb.on(TransactWriteCommand).rejects(conditionFailed());
      await expect(sweeps.requestRepair(cluster, repair)).rejects.toBeInstanceOf(StaleStateError);
    });
  });
});
