import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sqsClient } from '../shared/aws.js';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { instrumented, withWork } from '../shared/observability.js';
import { type ProvisioningMessage, ProvisioningMessageSchema } from '../shared/schemas/messages.js';
import { ENTITY } from '../topology.js';
import { DispatcherEnv } from './env.js';

const { PROVISIONING_QUEUE_URL: queueUrl, STRATUS_REGION: region } = readEnv(DispatcherEnv);

const logger = createLogger('stratus-dispatcher');
const sqs = sqsClient();
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * A new operation of a cluster this region manages (`homeRegion`) -> one provisioning message. Safe to repeat: the
 * provisioner's conditional transitions make a duplicate message a no-op.
 */
async function recordHandler(record: DynamoDBRecord): Promise<void> {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return;
  const item = unmarshall(image as Record<string, AttributeValue>);
  // The event source mapping filters on these; checking again keeps a mis-wired filter harmless.
  if (item.entity !== ENTITY.operation || item.homeRegion !== region || item.status !== 'QUEUED') return;
  const message: ProvisioningMessage = ProvisioningMessageSchema.parse({
    v: 1,
    tenantId: item.tenantId,
    operationId: item.operationId,
    clusterId: item.clusterId,
    reason: 'dispatch',
    attempt: 0,
    // The message carries the request's correlation id to the provisioner's log lines.
    ...(typeof item.correlationId === 'string' ? { correlationId: item.correlationId } : {}),
  });
  await withWork(logger, 'dispatch', message, async (log) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    log.info('operation dispatched');
  });
}

export const handler = instrumented(logger, async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false }),
);
