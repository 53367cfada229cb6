import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Random } from '../random.js';
import type { Invoke } from './lambda.js';
import { sleep } from './stream-trigger.js';

export interface QueueTriggerOptions {
  readonly name: string;
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  /** Concurrent pollers, like the mapping's concurrency. */
  readonly concurrency: number;
  readonly invoke: Invoke<SQSEvent, SQSBatchResponse | undefined>;
  /** Draws for `duplicateRate` (local/random.ts). @default Math.random */
  readonly random?: Random;
  readonly log: (line: string) => void;
}

/**
 * SQS -> handler, as a Lambda event source mapping with ReportBatchItemFailures does it:
 * messages the handler reports (or all, if it throws) stay on the queue and come back after the
 * visibility timeout; the queue's redrive policy moves them to the DLQ after maxReceiveCount.
 */
export class QueueTrigger {
  private stopped = false;
  private loops: Array<Promise<void>> = [];
  /** Messages handled successfully, for figures and tests. */
  succeeded = 0;
  failed = 0;
  /** Invocations, and those that threw (or were killed): every message of the batch came back. */
  invocations = 0;
  failedInvocations = 0;
  /**
   * Chaos: the fraction (0..1) of received messages of which a copy is put back on the queue at
   * once, so the function sees the message twice, possibly concurrently (SQS standard queues
   * deliver at least once; a producer's retried SendMessage has the same effect). One draw per
   * received message while the rate is above 0.
   */
  duplicateRate = 0;
  /** Copies sent because of `duplicateRate` (each is then received and delivered like any message). */
  duplicated = 0;
  /** Sees every batch before the function does (figures and tests; must not throw). */
  observe?: (records: readonly SQSRecord[]) => void;

  private readonly random: Random;

  constructor(private readonly o: QueueTriggerOptions) {
    this.random = o.random ?? Math.random;
  }

  /** Starts polling; after `stop()`, starts again (tests pause a consumer this way). */
  start(): void {
    this.stopped = false;
    this.loops = Array.from({ length: this.o.concurrency }, () => this.run());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const res = await this.o.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.queueUrl,
            MaxNumberOfMessages: this.o.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = res.Messages ?? [];
        if (messages.length > 0) await this.handle(messages);
      } catch (e) {
        if (!this.stopped) {
          this.o.log(`[${this.o.name}] queue poll error: ${(e as Error).message}`);
          await sleep(500);
        }
      }
    }
  }

  private async handle(messages: Message[]): Promise<void> {
    if (this.duplicateRate > 0) await this.duplicate(messages);
    const records = messages.map((m) => this.toRecord(m));
    this.observe?.(records);
    let failedIds: Set<string>;
    this.invocations++;
    try {
      const res = await this.o.invoke({ Records: records });
      failedIds = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (e) {
      this.failedInvocations++;
      this.o.log(`[${this.o.name}] invocation failed: ${(e as Error).message}`);
      failedIds = new Set(records.map((r) => r.messageId));
    }
    const done = messages.filter((m) => m.MessageId && !failedIds.has(m.MessageId));
    this.succeeded += done.length;
    this.failed += messages.length - done.length;
    if (done.length === 0) return;
    await this.o.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.o.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }

  private async duplicate(messages: Message[]): Promise<void> {
    for (const m of messages) {
      if (this.random() >= this.duplicateRate) continue;
      await this.o.client.send(
        new SendMessageCommand({ QueueUrl: this.o.queueUrl, MessageBody: m.Body ?? '' }),
      );
      this.duplicated++;
    }
  }

  private toRecord(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    return {
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? String(Date.now()),
        SenderId: a.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      // As Lambda passes them (the provisioner counts its transient requeues in one).
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([name, v]) => [
          name,
          {
            dataType: v.DataType ?? 'String',
            ...(v.StringValue === undefined ? {} : { stringValue: v.StringValue }),
            stringListValues: v.StringListValues ?? [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.o.queueArn,
      awsRegion: this.o.region,
    };
  }
}
