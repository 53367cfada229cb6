import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { FUNCTIONS, type FunctionDef, type FunctionId, QUEUES, type QueueId } from '../functions/topology.js';
import { parseConfig } from '../lib/config.js';
import { stratusNames } from '../lib/names.js';

export const usage = `npm run admin -- dlq list --region <region> [--peek 5] [--json] [--endpoint <url|aws>] [--data .stratus]
npm run admin -- dlq redrive --region <region> [--queue <${Object.keys(QUEUES).join('|')}>] [--max 100] [--endpoint <url|aws>] [--data .stratus]

list     every dead-letter queue of the topology (stratus-<stage>-<queue>-dlq) and stream failure
         queue (stratus-<stage>-<function>-stream-failures): message count and the first --peek
         messages (operation ids). Peeked messages stay in the queue.
redrive  moves up to --max messages of a DLQ back to its source queue (receive, send, delete),
         every topology queue unless --queue. Consumers are idempotent, so a message moved twice
         is harmless. Stream failure queues hold batch metadata, not messages: they are listed,
         never redriven (see docs/operations.md).

Endpoint: --endpoint <url>; or, by default, the SQS emulator of a running \`npm start\`
(sqsEndpoint in <--data>/local.json); --endpoint aws (or no local.json) uses AWS with your
credentials. The stage comes from cdk.json (context.stratus.stage).`;

/** A queue the commands look at: a DLQ of a topology queue, or a stream failure queue. */
export interface DeadLetterQueue {
  /** `provisioning` for the provisioning DLQ, `dispatcher-stream-failures` for a failure queue. */
  readonly id: string;
  readonly name: string;
  /** The queue a redrive sends to; absent for stream failure queues (not redrivable). */
  readonly source?: { readonly id: QueueId; readonly name: string };
}

export interface PeekedMessage {
  readonly messageId: string;
  readonly operationId?: string;
  readonly tenantId?: string;
  readonly clusterId?: string;
  readonly receiveCount?: number;
  readonly sentAt?: string;
  /** What the body says, in one line, when it is not a provisioning message. */
  readonly summary?: string;
}

export interface DlqReport {
  readonly queue: DeadLetterQueue;
  readonly visible: number;
  readonly inFlight: number;
  readonly messages: PeekedMessage[];
}

export interface RedriveReport {
  readonly queue: DeadLetterQueue;
  readonly moved: number;
  /** Messages whose send failed: they stay in the DLQ (visible again after a minute). */
  readonly failed: number;
}

/** The dead-letter queues of the topology for `stage`, by the names lib/queues.ts and the local runtime give them. */
export function deadLetterQueues(stage: string): DeadLetterQueue[] {
  const names = stratusNames(stage);
  const dlqs: DeadLetterQueue[] = (Object.keys(QUEUES) as QueueId[]).map((id) => ({
    id,
    name: names.deadLetterQueue(id),
    source: { id, name: names.queue(id) },
  }));
  const failures = (Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>)
    .filter(([, def]) => def.triggers.some((t) => t.type === 'stream'))
    .map(([fn]) => ({ id: `${fn}-stream-failures`, name: names.streamFailureQueue(fn) }));
  return [...dlqs, ...failures];
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  try {
    const res = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!res.QueueUrl) throw new Error('no QueueUrl in the answer');
    return res.QueueUrl;
  } catch (e) {
    const err = e as Error;
    if (err.name === 'QueueDoesNotExist' || err.name === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new Error(
        `queue ${name} does not exist: wrong --region or stage, or a stack deployed without named queues (StratusQueues 'stage')`,
        { cause: e },
      );
    }
    throw e;
  }
}

function describeMessage(m: Message): PeekedMessage {
  const base = {
    messageId: m.MessageId ?? '',
    ...(m.Attributes?.ApproximateReceiveCount
      ? { receiveCount: Number(m.Attributes.ApproximateReceiveCount) }
      : {}),
    ...(m.Attributes?.SentTimestamp
      ? { sentAt: new Date(Number(m.Attributes.SentTimestamp)).toISOString() }
      : {}),
  };
  let body: unknown;
  try {
    body = JSON.parse(m.Body ?? '');
  } catch {
    return { ...base, summary: `not JSON: ${oneLine(m.Body ?? '')}` };
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof b[k] === 'string' ? { [k]: b[k] as string } : {});
  if (typeof b.operationId === 'string') {
    return { ...base, ...str('operationId'), ...str('tenantId'), ...str('clusterId') };
  }
  // A stream failure: Lambda's batch metadata in AWS, the sequence numbers locally.
  const batch = b.DDBStreamBatchInfo as Record<string, unknown> | undefined;
  if (batch) {
    return {
      ...base,
      summary: `stream batch of ${String(batch.batchSize)} on shard ${String(batch.shardId)}, sequence ${String(batch.startSequenceNumber)}..${String(batch.endSequenceNumber)}`,
    };
  }
  return { ...base, summary: oneLine(JSON.stringify(body)) };
}

function oneLine(text: string, limit = 120): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= limit ? flat : `${flat.slice(0, limit - 1)}…`;
}

/**
 * Counts and peeks each dead-letter queue. Peeked messages are received with a visibility
 * timeout, then made visible again at once; dead-letter queues have no redrive policy, so the
 * extra receive moves nothing.
 */
export async function listDeadLetters(
  sqs: SQSClient,
  stage: string,
  opts: { readonly peek: number },
): Promise<DlqReport[]> {
  const reports: DlqReport[] = [];
  for (const queue of deadLetterQueues(stage)) {
    const url = await queueUrl(sqs, queue.name);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const visible = Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    const peeked: Message[] = [];
    while (visible > 0 && peeked.length < opts.peek) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, opts.peek - peeked.length),
          VisibilityTimeout: 30,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      const got = res.Messages ?? [];
      if (got.length === 0) break;
      peeked.push(...got);
    }
    for (let i = 0; i < peeked.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: peeked
            .slice(i, i + 10)
            .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
    reports.push({ queue, visible, inFlight, messages: peeked.map(describeMessage) });
  }
  return reports;
}

/**
 * Moves messages from a DLQ back to its source queue: receive, send (body and attributes as
 * they were), delete only what was sent. A crash between send and delete leaves a duplicate,
 * which the idempotent consumer ignores. A message that fails again returns to the DLQ after
 * maxReceiveCount receives, so a redrive never loops.
 */
export async function redrive(
  sqs: SQSClient,
  stage: string,
  opts: { readonly queues: readonly QueueId[]; readonly max: number },
): Promise<RedriveReport[]> {
  const reports: RedriveReport[] = [];
  for (const queue of deadLetterQueues(stage)) {
    const source = queue.source;
    if (!source || !opts.queues.includes(source.id)) continue;
    const [dlqUrl, sourceUrl] = [await queueUrl(sqs, queue.name), await queueUrl(sqs, source.name)];
    let moved = 0;
    let failed = 0;
    while (moved + failed < opts.max) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, opts.max - moved - failed),
          // Long enough to send and delete; a message whose send failed comes back after it.
          VisibilityTimeout: 60,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) break;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: sourceUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
              ? { MessageAttributes: m.MessageAttributes }
              : {}),
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
      const done = messages.filter((_, i) => ok.has(String(i)));
      failed += messages.length - done.length;
      if (done.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      moved += done.length;
      if (done.length === 0) break;
    }
    reports.push({ queue, moved, failed });
  }
  return reports;
}

interface Target {
  readonly sqs: SQSClient;
  readonly stage: string;
  readonly where: string;
}

function target(values: { region?: string; endpoint?: string; data?: string }): Target {
  if (!values.region) throw new Error('--region is required');
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: { stratus?: unknown } };
  const config = parseConfig(cdk.context?.stratus);
  if (!config.regions.some((r) => r.region === values.region)) {
    throw new Error(
      `region ${values.region} is not configured (cdk.json: ${config.regions.map((r) => r.region).join(', ')})`,
    );
  }
  let endpoint = values.endpoint;
  let where = endpoint ? `SQS at ${endpoint}` : `SQS in ${values.region}`;
  const localFile = join(values.data ?? '.stratus', 'local.json');
  if (endpoint === undefined && existsSync(localFile)) {
    const local = JSON.parse(readFileSync(localFile, 'utf8')) as { sqsEndpoint?: string };
    if (local.sqsEndpoint) {
      endpoint = local.sqsEndpoint;
      where = `local SQS at ${endpoint} (from ${localFile}; --endpoint aws for AWS)`;
    }
  }
  if (endpoint === 'aws') {
    endpoint = undefined;
    where = `SQS in ${values.region}`;
  }
  const sqs = new SQSClient({
    region: values.region,
    // Queue URLs of an emulator name hosts that may not resolve: always use the endpoint.
    useQueueUrlAsEndpoint: false,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }
      : {}),
  });
  return { sqs, stage: config.stage, where };
}

function count(raw: string | undefined, name: string, fallback: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

export async function run(args: string[], print: (line: string) => void = console.log): Promise<void> {
  const [command, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      region: { type: 'string' },
      endpoint: { type: 'string' },
      data: { type: 'string' },
      queue: { type: 'string' },
      max: { type: 'string' },
      peek: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (command !== 'list' && command !== 'redrive') throw new Error(`unknown command "${command ?? ''}"`);
  const { sqs, stage, where } = target(values);
  try {
    if (command === 'list') {
      const reports = await listDeadLetters(sqs, stage, { peek: count(values.peek, 'peek', 5) });
      if (values.json) {
        print(JSON.stringify(reports, null, 2));
        return;
      }
      print(`Dead-letter queues of stratus-${stage} (${where}):`);
      for (const r of reports) {
        const hint = r.queue.source
          ? r.visible > 0
            ? `  -> npm run admin -- dlq redrive --region ${values.region} --queue ${r.queue.source.id}`
            : ''
          : r.visible > 0
            ? '  (stream batch metadata: not redrivable, see docs/operations.md)'
            : '';
        print(`${r.queue.name}: ${r.visible} message(s), ${r.inFlight} in flight${hint}`);
        for (const m of r.messages) {
          const what = m.operationId
            ? `operation ${m.operationId} (tenant ${m.tenantId ?? '?'}, cluster ${m.clusterId ?? '?'})`
            : (m.summary ?? '');
          const meta = [
            m.receiveCount !== undefined ? `received ${m.receiveCount}x` : '',
            m.sentAt ? `sent ${m.sentAt}` : '',
          ]
            .filter(Boolean)
            .join(', ');
          print(`  ${m.messageId}  ${what}${meta ? `  [${meta}]` : ''}`);
        }
      }
      return;
    }
    const queueIds = Object.keys(QUEUES) as QueueId[];
    if (values.queue !== undefined && !queueIds.includes(values.queue as QueueId)) {
      throw new Error(
        `--queue must be one of ${queueIds.join(', ')} (stream failure queues cannot be redriven)`,
      );
    }
    const reports = await redrive(sqs, stage, {
      queues: values.queue ? [values.queue as QueueId] : queueIds,
      max: count(values.max, 'max', 100),
    });
    if (values.json) {
      print(JSON.stringify(reports, null, 2));
      return;
    }
    for (const r of reports) {
      print(
        `${r.queue.name} -> ${r.queue.source?.name}: moved ${r.moved}${r.failed > 0 ? `, ${r.failed} failed to send (still in the DLQ)` : ''} (${where})`,
      );
    }
  } catch (e) {
    const refused = (err: unknown): boolean =>
      err instanceof Error &&
      ((err as { code?: string }).code === 'ECONNREFUSED' || err.message.includes('ECONNREFUSED'));
    if (refused(e) || refused((e as Error).cause)) {
      throw new Error(`cannot reach ${where}: is \`npm start\` running? (or pass --endpoint aws)`, {
        cause: e,
      });
    }
    throw e;
  } finally {
    sqs.destroy();
  }
}
