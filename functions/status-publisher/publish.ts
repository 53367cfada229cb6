/** A DynamoDB stream batch -> status events on the region's bus (handler.ts wires the clients). */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EVENT_SOURCE } from '../shared/events/catalog.js';
import { publishMetrics, workLogger } from '../shared/observability.js';
import { type OperationMetrics, operationMetricsOf, type StatusEvent, statusEventOf } from './events.js';

const PUT_EVENTS_MAX = 10;

const image = (i: unknown): Record<string, unknown> | undefined =>
  i ? unmarshall(i as Record<string, AttributeValue>) : undefined;

/**
 * Status changes -> the region's bus, ten entries per PutEvents. A record whose entry failed is
 * reported as a batch item failure, so Lambda retries from it (and, after the mapping's retry
 * limit, sends it to the stream failure queue). A record that cannot be turned into an event is
 * a bug: it is reported too, never dropped silently.
 */
export function streamPublisher(deps: {
  readonly eventBridge: EventBridgeClient;
  readonly busName: string;
  readonly region: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const { eventBridge, busName, region, logger, metrics } = deps;
  return async (event) => {
    const failed = new Set<string>();
    const pending: Array<{
      seq: string;
      entry: PutEventsRequestEntry;
      ev: StatusEvent;
      counted?: OperationMetrics;
    }> = [];
    for (const record of event.Records) {
      const seq = record.dynamodb?.SequenceNumber ?? '';
      try {
        const newImage = image(record.dynamodb?.NewImage);
        if (!newImage || newImage.homeRegion !== region) continue;
        const oldImage = image(record.dynamodb?.OldImage);
        const ev = statusEventOf(oldImage, newImage);
        if (!ev) continue;
        const counted = operationMetricsOf(oldImage, newImage);
        pending.push({
          seq,
          ev,
          ...(counted ? { counted } : {}),
          entry: {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: ev.detailType,
            Detail: JSON.stringify(ev.detail),
            Resources: [],
            Time: new Date(ev.detail.occurredAt),
          },
        });
      } catch (error) {
        logger.error('cannot build status event', { error: error as Error, sequenceNumber: seq });
        failed.add(seq);
      }
    }
    for (let i = 0; i < pending.length; i += PUT_EVENTS_MAX) {
      const chunk = pending.slice(i, i + PUT_EVENTS_MAX);
      try {
        const res = await eventBridge.send(new PutEventsCommand({ Entries: chunk.map((c) => c.entry) }));
        chunk.forEach((item, j) => {
          const e = res.Entries?.[j];
          const log = workLogger(logger, item.ev.detail);
          if (e?.ErrorCode) {
            log.warn('event rejected by the bus', { code: e.ErrorCode, message: e.ErrorMessage });
            failed.add(item.seq);
            return;
          }
          log.info('status event published', {
            detailType: item.ev.detailType,
            status: item.ev.detail.status,
          });
          // Counted once its event is out. At least once, like the events: a batch retried after a
          // failure may count a record again (docs/operations.md, "Metrics").
          if (item.counted) {
            publishMetrics(metrics, item.counted.dimensions, item.counted.values);
            publishMetrics(metrics, { region }, item.counted.regionCounts);
          }
        });
      } catch (error) {
        logger.error('PutEvents failed', { error: error as Error });
        for (const c of chunk) failed.add(c.seq);
      }
    }
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
