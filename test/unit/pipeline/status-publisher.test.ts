import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CATALOG, EVENT_SOURCE } from '../../../functions/shared/events/catalog.js';
import { statusEventOf } from '../../../functions/status-publisher/events.js';
import { captureEmf } from '../../helpers/emf.js';
import { lambdaContext, streamRecord } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
  // The business metrics are EMF lines on stdout: on here, and read back (captureEmf).
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Stratus';
});
const { handler } = await import('../../../functions/status-publisher/handler.js');
const eb = mockClient(EventBridgeClient);

const cluster = (status: string, statusVersion: number, over: Record<string, unknown> = {}) => ({
  entity: 'Cluster',
  tenantId: 'tn-1',
  clusterId: 'cl-1',
  name: 'vectors',
  engine: 'qdrant',
  version: '1.15.5',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 1,
  generation: 1,
  observedGeneration: 0,
  status,
  statusVersion,
  activeOperationId: 'op-1',
  updatedAt: '2026-11-22T05:00:00.000Z',
  ...over,
});

const operation = (status: string, statusVersion: number, over: Record<string, unknown> = {}) => ({
  entity: 'Operation',
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-1',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  type: 'CREATE',
  engine: 'qdrant',
  status,
  step: 'APPLY',
  statusVersion,
  targetGeneration: 1,
  correlationId: 'corr-abcdefgh',
  createdAt: '2026-11-22T05:00:00.000Z',
  updatedAt: '2026-11-22T05:00:00.000Z',
  deadline: '2026-11-22T06:00:00.000Z',
  ...over,
});

describe('Function: status-publisher', () => {
  afterEach(() => eb.reset());

  describe('Method: statusEventOf', () => {
    it('makes one event per status change, with a stable id from the status version', () => {
      const ev = statusEventOf(cluster('PENDING', 1), cluster('PROVISIONING', 2));
      expect(ev?.detailType).toBe('Cluster Status Changed');
      expect(ev?.detail).toMatchObject({
        eventId: 'cl-1/2',
        previousStatus: 'PENDING',
        status: 'PROVISIONING',
        operationId: 'op-1',
      });
      expect(statusEventOf(cluster('PENDING', 1), cluster('PROVISIONING', 2))).toEqual(ev);
      expect(EVENT_CATALOG['Cluster Status Changed'].schema.safeParse(ev?.detail).success).toBe(true);
    });

    it('makes no event when the status did not change', () => {
      expect(statusEventOf(cluster('READY', 3), cluster('READY', 3, { nodes: 2 }))).toBeUndefined();
    });

    it('makes an event with no previous status for an insert', () => {
      expect(statusEventOf(undefined, cluster('PENDING', 1))?.detail.previousStatus).toBeNull();
    });
  });

  describe('Method: handler', () => {
    it('publishes status changes of its region in chunks of ten and skips the rest', async () => {
      eb.on(PutEventsCommand).callsFake((input) => ({
        FailedEntryCount: 0,
        Entries: input.Entries.map(() => ({ EventId: 'e' })),
      }));
      const records = Array.from({ length: 12 }, (_, i) =>
        streamRecord({
          eventName: 'MODIFY',
          oldImage: cluster('PENDING', i),
          newImage: cluster('PROVISIONING', i + 1),
        }),
      );
      records.push(
        streamRecord({ eventName: 'MODIFY', oldImage: cluster('READY', 1), newImage: cluster('READY', 1) }),
      );
      records.push(
        // Written by us-east-1 (replicated here): its own publisher publishes it, once.
        streamRecord({
          eventName: 'INSERT',
          newImage: cluster('PENDING', 1, { region: 'us-east-1', homeRegion: 'us-east-1' }),
        }),
      );
      const res = await handler({ Records: records }, lambdaContext);
      expect(res.batchItemFailures).toEqual([]);
      expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);
      const entries = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
      expect(entries).toHaveLength(12);
      expect(entries[0]).toMatchObject({
        Source: EVENT_SOURCE,
        DetailType: 'Cluster Status Changed',
        EventBusName: 'stratus-test',
      });
    });

    it('reports exactly the records whose entries the bus rejected', async () => {
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
      });
      const res = await handler(
        {
          Records: [
            streamRecord({ eventName: 'INSERT', newImage: cluster('PENDING', 1), sequenceNumber: '10' }),
            streamRecord({
              eventName: 'INSERT',
              newImage: cluster('PENDING', 1, { clusterId: 'cl-2' }),
              sequenceNumber: '11',
            }),
          ],
        },
        lambdaContext,
      );
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: '11' }]);
    });

    it('reports the whole chunk when PutEvents throws', async () => {
      eb.on(PutEventsCommand).rejects(new Error('throttled'));
      const res = await handler(
        {
          Records: [
            streamRecord({ eventName: 'INSERT', newImage: cluster('PENDING', 1), sequenceNumber: '20' }),
          ],
        },
        lambdaContext,
      );
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: '20' }]);
    });
  });

  describe('Method: handler (metrics)', () => {
    const putOk = () =>
      eb.on(PutEventsCommand).callsFake((input) => ({
        FailedEntryCount: 0,
        Entries: input.Entries.map(() => ({ EventId: 'e' })),
      }));

    it('counts operations started, succeeded and failed by type and engine, with their duration, and for the region', async () => {
      // Prepare
      putOk();
      const emf = captureEmf();
      const done = { updatedAt: '2026-11-22T05:02:30.000Z', finishedAt: '2026-11-22T05:02:30.000Z' };

      // Act
      await handler(
        {
          Records: [
            streamRecord({ eventName: 'INSERT', newImage: operation('QUEUED', 1) }),
            streamRecord({
              eventName: 'MODIFY',
              oldImage: operation('QUEUED', 1),
              newImage: operation('RUNNING', 2),
            }),
            streamRecord({
              eventName: 'MODIFY',
              oldImage: operation('RUNNING', 2),
              newImage: operation('SUCCEEDED', 3, done),
            }),
            streamRecord({
              eventName: 'MODIFY',
              oldImage: operation('RUNNING', 2, { operationId: 'op-2', type: 'UPDATE', engine: 'valkey' }),
              newImage: operation('FAILED', 3, {
                ...done,
                operationId: 'op-2',
                type: 'UPDATE',
                engine: 'valkey',
              }),
            }),
            // A cluster's change counts nothing.
            streamRecord({
              eventName: 'MODIFY',
              oldImage: cluster('PENDING', 1),
              newImage: cluster('READY', 2),
            }),
          ],
        },
        lambdaContext,
      );
      const points = emf.points();
      emf.restore();

      // Assess: per counted change, one data point by type and engine and one count for the
      // region (what the alarms watch); nothing for RUNNING or the cluster.
      const region = (name: string) => ({
        namespace: 'Stratus',
        dimensions: { region: 'eu-west-1' },
        values: { [name]: 1 },
        units: { [name]: 'Count' },
      });
      expect(points).toEqual([
        {
          namespace: 'Stratus',
          dimensions: { operationType: 'CREATE', engine: 'qdrant' },
          values: { OperationsStarted: 1 },
          units: { OperationsStarted: 'Count' },
        },
        region('OperationsStarted'),
        {
          namespace: 'Stratus',
          dimensions: { operationType: 'CREATE', engine: 'qdrant' },
          values: { OperationsSucceeded: 1, OperationDuration: 150_000 },
          units: { OperationsSucceeded: 'Count', OperationDuration: 'Milliseconds' },
        },
        region('OperationsSucceeded'),
        {
          namespace: 'Stratus',
          dimensions: { operationType: 'UPDATE', engine: 'valkey' },
          values: { OperationsFailed: 1, OperationDuration: 150_000 },
          units: { OperationsFailed: 'Count', OperationDuration: 'Milliseconds' },
        },
        region('OperationsFailed'),
      ]);
    });

    it('counts an operation recorded before engines were (no engine) as engine unknown, and only once its event is out', async () => {
      // Prepare
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
      });
      const emf = captureEmf();
      const { engine: _, ...old } = operation('QUEUED', 1);

      // Act
      const res = await handler(
        {
          Records: [
            streamRecord({ eventName: 'INSERT', newImage: old, sequenceNumber: '1' }),
            streamRecord({
              eventName: 'MODIFY',
              oldImage: operation('RUNNING', 2),
              newImage: operation('CANCELLED', 3),
              sequenceNumber: '2',
            }),
          ],
        },
        lambdaContext,
      );
      const points = emf.points();
      emf.restore();

      // Assess: the rejected entry (the cancel) is retried, and counted then.
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
      expect(points).toEqual([
        expect.objectContaining({
          dimensions: { operationType: 'CREATE', engine: 'unknown' },
          values: { OperationsStarted: 1 },
        }),
        expect.objectContaining({ dimensions: { region: 'eu-west-1' }, values: { OperationsStarted: 1 } }),
      ]);
    });
  });
});
