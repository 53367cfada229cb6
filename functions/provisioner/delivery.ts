/**
 * One provisioning message's delivery: parse it, advance its operation one step (workflow.ts), and
 * decide what a failure means for the message (a quick requeue after a transient DynamoDB failure,
 * a batch item failure otherwise, the operation failed on the last receive before the DLQ).
 * The handler (handler.ts) wires the clients; this module holds no module-scope state.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { operationErrors } from '../shared/domain/operation-errors.js';
import { MetricUnit, publishMetrics, withWork } from '../shared/observability.js';
import { type ProvisioningMessage, ProvisioningMessageSchema } from '../shared/schemas/messages.js';
import { isTransientStoreError, type Store } from '../shared/store/store.js';
import { QUEUES } from '../topology.js';
import { advance, type WorkflowDeps } from './workflow.js';

const maxReceiveCount = QUEUES.provisioning.maxReceiveCount;
/**
 * Consecutive requeues of one message after transient DynamoDB failures (about 2-4 minutes of
 * backoff in all); past them, the failure takes the ordinary path (visibility timeout, receives, DLQ).
 */
export const MAX_TRANSIENT_REQUEUES = 10;
/** The message attribute that counts them; a message sent by anything else has none (0). */
const TRANSIENT_RETRIES = 'transientRetries';
/**
 * A transient copy is the same delivery as the message it replaces (workflow.ts: one delivery owns
 * a step): it claims with that message's id, and a receive count above the one that message
 * claimed with, so it takes over the claim instead of being refused as a stranger while the
 * claim's lease runs (which would leave the step undone until the operation's deadline).
 */
const CLAIM_BY = 'claimBy';
const CLAIM_RECEIVE = 'claimReceive';

export interface DeliveryDeps {
  readonly workflow: WorkflowDeps;
  readonly store: Store;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** The batch processor's record handler: resolves when the record is done with, throws to fail it. */
export function recordHandler(deps: DeliveryDeps): (record: SQSRecord) => Promise<void> {
  const { logger, metrics } = deps;
  return async (record) => {
    const lastReceive = Number(record.attributes.ApproximateReceiveCount) >= maxReceiveCount;
    let message: ProvisioningMessage;
    try {
      message = ProvisioningMessageSchema.parse(JSON.parse(record.body));
    } catch (error) {
      // A body that does not parse can never succeed: it fails every receive and so ends in the DLQ.
      logger.error('unreadable provisioning message', { messageId: record.messageId, error: error as Error });
      publishMetrics(metrics, { queue: 'provisioning' }, failureCounts(lastReceive, 1));
      throw error;
    }
    // Time on the queue, by why the message was sent: polls and retries are sent with a delay.
    publishMetrics(
      metrics,
      { reason: message.reason },
      { ProvisioningMessageAge: { value: queueAgeMs(record), unit: MetricUnit.Milliseconds } },
    );
    await withWork(logger, 'provision', message, async (log) => {
      try {
        const outcome = await advance(message, { ...deps.workflow, logger: log }, deliveryOf(record));
        log.debug('advanced', { outcome });
      } catch (error) {
        // A transaction conflict or throttling passes within seconds: rather than wait out the
        // visibility timeout (12 minutes) and use up one of the receives, a copy of the message
        // comes back shortly and this one is done with.
        const retries = transientRetriesOf(record);
        if (isTransientStoreError(error) && retries < MAX_TRANSIENT_REQUEUES) {
          const copy = { message, retry: retries + 1, delivery: deliveryOf(record) };
          if (await requeueTransient(deps, log, copy, error)) return;
        }
        // On the last receive before the DLQ, the operation is failed so that the user learns now,
        // not at its deadline. The message still goes to the DLQ, for inspection and redrive.
        if (lastReceive) {
          await failDelivery(deps.store, log, message, error).catch((e: unknown) =>
            log.error('could not mark the operation DELIVERY_FAILED', { error: e as Error }),
          );
        }
        publishMetrics(metrics, { queue: 'provisioning' }, failureCounts(lastReceive, 0));
        throw error;
      }
    });
  };
}

/** A record reported as a batch item failure; on its last receive, SQS moves it to the DLQ. */
function failureCounts(lastReceive: boolean, unreadable: number) {
  return {
    ProvisioningMessagesFailed: 1,
    ProvisioningMessagesDeadLettered: lastReceive ? 1 : 0,
    ProvisioningMessagesUnreadable: unreadable,
  };
}

/** Milliseconds since the message was sent (SQS `SentTimestamp`), 0 if unknown. */
export function queueAgeMs(record: SQSRecord, now: number = Date.now()): number {
  const sent = Number(record.attributes.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? Math.max(0, now - sent) : 0;
}

/** Who this delivery is, for the step's claim: the message, or the message a transient copy replaces. */
function deliveryOf(record: SQSRecord): { messageId: string; receiveCount: number } {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const by = record.messageAttributes?.[CLAIM_BY]?.stringValue;
  const base = Number(record.messageAttributes?.[CLAIM_RECEIVE]?.stringValue);
  if (by && Number.isInteger(base) && base > 0) return { messageId: by, receiveCount: base + receiveCount };
  return { messageId: record.messageId, receiveCount };
}

function transientRetriesOf(record: SQSRecord): number {
  const n = Number(record.messageAttributes?.[TRANSIENT_RETRIES]?.stringValue ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * The delay before the `retry`-th requeue after a transient failure: up to 2^retry seconds,
 * capped at 30, drawn from the upper half (jitter, so conflicting messages do not meet again).
 */
export function transientDelaySeconds(retry: number, random: () => number = Math.random): number {
  const upper = Math.min(2 ** retry, 30);
  return Math.ceil(upper / 2 + (random() * upper) / 2);
}

/** Sends the message again, delayed; false if that failed too (then the ordinary retry applies). */
async function requeueTransient(
  deps: DeliveryDeps,
  log: Logger,
  copy: {
    message: ProvisioningMessage;
    retry: number;
    delivery: { messageId: string; receiveCount: number };
  },
  error: unknown,
): Promise<boolean> {
  const { message, retry, delivery } = copy;
  const delaySeconds = transientDelaySeconds(retry);
  try {
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
        MessageAttributes: {
          [TRANSIENT_RETRIES]: { DataType: 'Number', StringValue: String(retry) },
          [CLAIM_BY]: { DataType: 'String', StringValue: delivery.messageId },
          [CLAIM_RECEIVE]: { DataType: 'Number', StringValue: String(delivery.receiveCount) },
        },
      }),
    );
  } catch (e) {
    log.error('could not requeue after a transient DynamoDB failure', { error: e as Error });
    return false;
  }
  log.warn('transient DynamoDB failure, requeued', { error: error as Error, retry, delaySeconds });
  return true;
}

async function failDelivery(
  store: Store,
  log: Logger,
  message: ProvisioningMessage,
  error: unknown,
): Promise<void> {
  const op = await store.operations.get(message.tenantId, message.operationId);
  if (!op || op.status === 'SUCCEEDED' || op.status === 'FAILED' || op.status === 'CANCELLED') return;
  // The error's text stays in the log (with the correlation id); the tenant gets a message.
  log.error('operation failed on every receive', {
    correlationId: op.correlationId,
    error: error as Error,
  });
  await store.operations.fail(op, operationErrors.deliveryFailed(), new Date().toISOString());
}
