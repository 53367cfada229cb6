import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { compilePattern } from '../events/pattern.js';
import type { Random } from '../random.js';
import type { Checkpoints } from './checkpoints.js';
import type { Invoke } from './lambda.js';

export interface StreamTriggerOptions {
  readonly name: string;
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly region: string;
  readonly filters: ReadonlyArray<Record<string, unknown>>;
  readonly batchSize: number;
  readonly retryAttempts: number;
  readonly invoke: Invoke<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>;
  /** Where records that exhausted their retries go (the mapping's onFailure destination). */
  readonly onFailure: (records: DynamoDBRecord[], reason: string) => Promise<void>;
  readonly checkpoints: Checkpoints;
  /** Pause between stream reads when no shard had records. @default 200 */
  readonly pollIntervalMs?: number;
  /** Draws for `duplicateRate` (local/random.ts). @default Math.random */
  readonly random?: Random;
  readonly log: (line: string) => void;
}

interface ShardState {
  iterator?: string;
  done: boolean;
  parent?: string;
}

/** DynamoDB Streams -> handler, as a Lambda event source mapping does it. */
export class StreamTrigger {
  private readonly shards = new Map<string, ShardState>();
  private stopped = false;
  private loop?: Promise<void>;
  private readonly match: Array<(e: unknown) => boolean>;
  private lastDescribe = 0;
  /** Records delivered to the handler (after filtering), for figures and tests. */
  delivered = 0;
  /**
   * Chaos: the fraction (0..1) of batches delivered a second time, as Lambda does when a batch
   * succeeded but its checkpoint was lost. At-least-once delivery made visible. One draw per batch
   * read from the stream while the rate is above 0.
   */
  duplicateRate = 0;
  /**
   * Batches delivered to the function a second time because of `duplicateRate` (a batch none of
   * whose records passes the filters reaches the function neither time and is not counted).
   */
  duplicated = 0;
  private readonly random: Random;

  constructor(private readonly o: StreamTriggerOptions) {
    this.match = o.filters.map((f) => compilePattern(f, { dialect: 'lambda' }));
    this.random = o.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        await this.discover();
        for (const [shardId, state] of this.shards) {
          if (this.stopped) break;
          if (state.done || (state.parent && this.shards.get(state.parent)?.done === false)) continue;
          busy = (await this.pollShard(shardId, state)) || busy;
        }
      } catch (e) {
        if (!this.stopped) this.o.log(`[${this.o.name}] stream poll error: ${(e as Error).message}`);
      }
      if (!busy) await sleep(this.o.pollIntervalMs ?? 200);
    }
  }

  private async discover(): Promise<void> {
    if (Date.now() - this.lastDescribe < 1000 && this.shards.size > 0) return;
    this.lastDescribe = Date.now();
    let start: string | undefined;
    do {
      const res = await this.o.client.send(
        new DescribeStreamCommand({ StreamArn: this.o.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of res.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
        this.shards.set(shard.ShardId, {
          done: false,
          ...(shard.ParentShardId ? { parent: shard.ParentShardId } : {}),
        });
      }
      start = res.StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  /** Returns true when records were read, so the loop polls again at once. */
  private async pollShard(shardId: string, state: ShardState): Promise<boolean> {
    if (!state.iterator) {
      const after = this.o.checkpoints.get(this.o.name, shardId);
      const res = await this.o.client
        .send(
          new GetShardIteratorCommand({
            StreamArn: this.o.streamArn,
            ShardId: shardId,
            ...(after
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
        .catch(async (e) => {
          // A checkpoint past the stream's retention (or from another database): start over.
          if (!after) throw e;
          return this.o.client.send(
            new GetShardIteratorCommand({
              StreamArn: this.o.streamArn,
              ShardId: shardId,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          );
        });
      state.iterator = res.ShardIterator;
      if (!state.iterator) {
        state.done = true;
        return false;
      }
    }
    const res = await this.o.client.send(
      new GetRecordsCommand({ ShardIterator: state.iterator, Limit: this.o.batchSize }),
    );
    const records = (res.Records ?? []).map((r) => this.toLambdaRecord(r));
    if (records.length > 0) {
      await this.deliver(records);
      if (this.duplicateRate > 0 && this.random() < this.duplicateRate) {
        if ((await this.deliver(records)) > 0) this.duplicated++;
      }
      const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
      if (last) await this.o.checkpoints.set(this.o.name, shardId, last);
    }
    if (res.NextShardIterator) state.iterator = res.NextShardIterator;
    else state.done = true;
    return records.length > 0;
  }

  /**
   * Filters, then invokes with retries from the first failed record, as Lambda does. Returns how
   * many records passed the filters (0: the function was not invoked).
   */
  private async deliver(all: DynamoDBRecord[]): Promise<number> {
    let records = all.filter((r) => this.match.some((m) => m(r)));
    const matched = records.length;
    let attempt = 0;
    while (records.length > 0 && !this.stopped) {
      let failedFrom = -1;
      let reason = '';
      try {
        const res = await this.o.invoke({ Records: records });
        const failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failed.size > 0) {
          failedFrom = records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
          // An identifier that names no record fails the whole batch, as in Lambda.
          if (failedFrom < 0) failedFrom = 0;
          reason = 'batch item failure';
        }
      } catch (e) {
        failedFrom = 0;
        reason = (e as Error).message;
      }
      this.delivered += failedFrom < 0 ? records.length : failedFrom;
      if (failedFrom < 0) return matched;
      records = records.slice(failedFrom);
      attempt++;
      if (attempt > this.o.retryAttempts) {
        this.o.log(
          `[${this.o.name}] ${records.length} record(s) exhausted ${this.o.retryAttempts} retries: ${reason}`,
        );
        await this.o.onFailure(records, reason);
        return matched;
      }
      await sleep(Math.min(100 * 2 ** attempt, 5000));
    }
    return matched;
  }

  private toLambdaRecord(r: StreamRecord): DynamoDBRecord {
    const d = r.dynamodb;
    return {
      eventID: r.eventID,
      eventName: r.eventName as DynamoDBRecord['eventName'],
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.o.region,
      eventSourceARN: this.o.streamArn,
      dynamodb: {
        ...(d?.ApproximateCreationDateTime
          ? { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }
          : {}),
        Keys: d?.Keys as never,
        ...(d?.NewImage ? { NewImage: d.NewImage as never } : {}),
        ...(d?.OldImage ? { OldImage: d.OldImage as never } : {}),
        SequenceNumber: d?.SequenceNumber,
        SizeBytes: d?.SizeBytes,
        StreamViewType: d?.StreamViewType as never,
      },
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
