import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { randomSource } from '../../../local/random.js';
import { QueueTrigger } from '../../../local/runtime/queue-trigger.js';

const sqsMock = mockClient(SQSClient);
const messages = Array.from({ length: 10 }, (_, i) => ({
  MessageId: `m-${i}`,
  ReceiptHandle: `r-${i}`,
  Body: `body-${i}`,
}));

/** One batch of ten messages through a trigger whose duplicate draws come from `seed`; the bodies copied back. */
async function copiesFor(seed: number): Promise<string[]> {
  sqsMock.reset();
  sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: messages }).resolves({ Messages: [] });
  sqsMock.on(SendMessageCommand).resolves({});
  sqsMock.on(DeleteMessageBatchCommand).resolves({});
  let delivered: (event: SQSEvent) => void = () => undefined;
  const invoked = new Promise<SQSEvent>((resolve) => {
    delivered = resolve;
  });
  const trigger = new QueueTrigger({
    name: 'provisioner',
    client: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: 'http://sqs.local/q',
    queueArn: 'arn:aws:sqs:eu-west-1:000000000000:q',
    region: 'eu-west-1',
    batchSize: 10,
    concurrency: 1,
    invoke: async (event) => {
      delivered(event);
      return { batchItemFailures: [] };
    },
    random: randomSource(seed, 'queue:eu-west-1/provisioning'),
    log: () => undefined,
  });
  trigger.duplicateRate = 0.3;
  trigger.start();
  await invoked;
  await trigger.stop();
  const copies = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input.MessageBody ?? '');
  expect(trigger.duplicated).toBe(copies.length);
  return copies;
}

afterEach(() => {
  sqsMock.reset();
});

describe('Class: QueueTrigger', () => {
  describe('Property: duplicateRate (seeded)', () => {
    it('copies back the messages whose draw falls under the rate, the same ones for the same seed', async () => {
      // Prepare
      const draws = randomSource(3, 'queue:eu-west-1/provisioning');
      const expected = messages.filter(() => draws() < 0.3).map((m) => m.Body);

      // Act
      const first = await copiesFor(3);
      const again = await copiesFor(3);
      const other = await copiesFor(4);

      // Assess
      expect(first).toEqual(expected);
      expect(first.length).toBeGreaterThan(0);
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
    });
  });

  describe('Method: start', () => {
    it('hands message attributes to the function as Lambda does', async () => {
      // Prepare
      sqsMock
        .on(ReceiveMessageCommand)
        .resolvesOnce({
          Messages: [
            {
              MessageId: 'm-a',
              ReceiptHandle: 'r-a',
              Body: '{}',
              MessageAttributes: { transientRetries: { DataType: 'Number', StringValue: '3' } },
            },
          ],
        })
        .resolves({ Messages: [] });
      sqsMock.on(DeleteMessageBatchCommand).resolves({});
      let delivered: (event: SQSEvent) => void = () => undefined;
      const invoked = new Promise<SQSEvent>((resolve) => {
        delivered = resolve;
      });
      const trigger = new QueueTrigger({
        name: 'provisioner',
        client: new SQSClient({ region: 'eu-west-1' }),
        queueUrl: 'http://sqs.local/q',
        queueArn: 'arn:aws:sqs:eu-west-1:000000000000:q',
        region: 'eu-west-1',
        batchSize: 10,
        concurrency: 1,
        invoke: async (event) => {
          delivered(event);
          return { batchItemFailures: [] };
        },
        random: randomSource(1, 'queue:eu-west-1/provisioning'),
        log: () => undefined,
      });

      // Act
      trigger.start();
      const event = await invoked;
      await trigger.stop();

      // Assess
      expect(event.Records[0]?.messageAttributes).toEqual({
        transientRetries: {
          dataType: 'Number',
          stringValue: '3',
          stringListValues: [],
          binaryListValues: [],
        },
      });
    });
  });
});
