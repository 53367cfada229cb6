import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CATALOG, EVENT_SOURCE } from '../../../functions/shared/events/catalog.js';
import { statusEventOf } from '../../../functions/status-publisher/events.js';
import { streamRecord } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
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
      const res = await handler({ Records: records });
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
      const res = await handler({
        Records: [
          streamRecord({ eventName: 'INSERT', newImage: cluster('PENDING', 1), sequenceNumber: '10' }),
          streamRecord({
            eventName: 'INSERT',
            newImage: cluster('PENDING', 1, { clusterId: 'cl-2' }),
            sequenceNumber: '11',
          }),
        ],
      });
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: '11' }]);
    });

    it('reports the whole chunk when PutEvents throws', async () => {
      eb.on(PutEventsCommand).rejects(new Error('throttled'));
      const res = await handler({
        Records: [
          streamRecord({ eventName: 'INSERT', newImage: cluster('PENDING', 1), sequenceNumber: '20' }),
        ],
      });
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: '20' }]);
    });
  });
});
