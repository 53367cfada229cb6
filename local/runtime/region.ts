import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import {
  type EnvSource,
  FUNCTIONS,
  type FunctionDef,
  type FunctionId,
  httpRoutes,
  QUEUES,
  type QueueId,
} from '../../functions/topology.js';
import {
  eksPoolEntry,
  endpointRegions,
  type RegionConfig,
  type StratusConfig,
  tlsRegions,
} from '../../lib/config.js';
import { stratusNames } from '../../lib/names.js';
import { randomSource } from '../random.js';
import type { Checkpoints } from './checkpoints.js';
import { type GatewayRoute, type HttpGateway, startHttpGateway } from './http-gateway.js';
import type { Invoke } from './lambda.js';
import { QueueTrigger } from './queue-trigger.js';
import { ScheduleTrigger } from './schedule-trigger.js';
import { StreamTrigger } from './stream-trigger.js';

/*
 * What one region's control plane is made of, from functions/topology.ts: its queues, the
 * environment of each function, and the triggers that call the functions. Shared by the
 * single-region runtime (handlers in this thread) and the multi-region control plane (each
 * function in its own worker thread), so the wiring is written once.
 */

export const functionEntries = (): Array<[FunctionId, FunctionDef]> =>
  Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>;

export interface RegionQueues {
  /** By queue id (`provisioning`), `<id>-dlq`, and `<function>-stream-failures`. */
  readonly urls: Record<string, string>;
  readonly arns: Record<string, string>;
}

/**
 * The topology's queues (with their DLQs) and one failure queue per stream consumer, in the region
 * `sqs` is signed for, created over the SQS API (idempotent: the same attributes return the same queue).
 */
export async function createRegionQueues(
  sqs: SQSClient,
  opts: { readonly stage: string; readonly visibilityTimeoutSeconds: number },
): Promise<RegionQueues> {
  const names = stratusNames(opts.stage);
  const urls: Record<string, string> = {};
  const arns: Record<string, string> = {};
  const create = async (name: string, attributes?: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, ...(attributes ? { Attributes: attributes } : {}) }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`SQS created queue ${name} without a URL or ARN`);
    return { queueUrl: QueueUrl, queueArn: Attributes.QueueArn };
  };
  for (const [id, def] of Object.entries(QUEUES) as Array<[QueueId, (typeof QUEUES)[QueueId]]>) {
    const dlq = await create(names.deadLetterQueue(id));
    const q = await create(names.queue(id), {
      VisibilityTimeout: String(opts.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(def.retentionDays * 86400),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: def.maxReceiveCount,
      }),
    });
    urls[id] = q.queueUrl;
    urls[`${id}-dlq`] = dlq.queueUrl;
    arns[id] = q.queueArn;
  }
  for (const [fn, def] of functionEntries()) {
    if (def.triggers.some((t) => t.type === 'stream')) {
      urls[`${fn}-stream-failures`] = (await create(names.streamFailureQueue(fn))).queueUrl;
    }
  }
  return { urls, arns };
}

export interface EnvContext {
  readonly config: StratusConfig;
  readonly region: RegionConfig;
  readonly names: { readonly table: string; readonly bus: string };
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Each running region's local API URL. */
  readonly apiUrls?: Readonly<Record<string, string>>;
  /** Origins the API's CORS allows (the console's). */
  readonly corsOrigins?: readonly string[];
}

/** The local object store's backup bucket of a region (created by the local control plane). */
export function localBackupBucket(table: string, region: string): string {
  return `${table}-backups-${region}`;
}

/**
 * The local object store's bucket of a region that holds the copies of other regions' backups (those
 * whose `backupCopyTo` names it; lib/region-stack.ts), filled by local/runtime/backup-replicator.ts.
 */
export function localBackupCopiesBucket(table: string, region: string): string {
  return `${table}-backup-copies-${region}`;
}

/** Resolves an environment source the way the CDK resolves it, for one region. */
export function resolveEnvSource(source: EnvSource, ctx: EnvContext): string {
  if ('value' in source) return source.value;
  switch (source.ref) {
    case 'table':
      return ctx.names.table;
    case 'queueUrl':
      return ctx.queueUrls[source.queue] ?? '';
    case 'bus':
      return ctx.names.bus;
    case 'region':
      return ctx.region.region;
    case 'regions':
      return ctx.config.regions.map((r) => r.region).join(',');
    case 'apiUrls':
      return JSON.stringify(ctx.apiUrls ?? {});
    case 'corsOrigins':
      return (ctx.corsOrigins ?? []).join(',');
    case 'eksClusters':
      // Every region's, as in AWS: a region that took over another places on that region's clusters.
      return JSON.stringify(
        ctx.config.regions.flatMap((r) =>
          r.eksClusters.map((c) => eksPoolEntry(c, r.region, ctx.config.endpoints?.domain)),
        ),
      );
    case 'takeoverRoles':
      // No IAM locally: the kubeconfig reaches every region's clusters.
      return '{}';
    case 'kubeAuth':
      return 'kubeconfig';
    case 'pageTokenSecret':
      // No Secrets Manager locally: the key itself is set as PAGE_TOKEN_KEY.
      return '';
    case 'backupBucket':
      return localBackupBucket(ctx.names.table, ctx.region.region);
    case 'backupCopies':
      // As the CDK app passes it: each region that copies its backups here -> the copy bucket.
      return JSON.stringify(
        Object.fromEntries(
          ctx.config.regions
            .filter((r) => r.backupCopyTo === ctx.region.region)
            .map((r) => [r.region, localBackupCopiesBucket(ctx.names.table, ctx.region.region)]),
        ),
      );
    case 'endpointRegions':
      return endpointRegions(ctx.config).join(',');
    case 'tlsRegions':
      return tlsRegions(ctx.config).join(',');
    case 'backupObjectLock':
      // The local object store keeps no lock; Stratus's own rules (retention, 409) apply as in AWS.
      return ctx.config.backupObjectLock ? JSON.stringify(ctx.config.backupObjectLock) : '';
    case 'backupRole':
      // No EKS locally: the stand-in's backup pods need no identity (no association is made).
      return '';
  }
}

/** The environment a function declares in the topology, resolved for one region. */
export function functionEnvironment(def: FunctionDef, ctx: EnvContext): Record<string, string> {
  return Object.fromEntries(
    Object.entries(def.environment).map(([key, source]) => [key, resolveEnvSource(source, ctx)]),
  );
}

/** An invoker of any function; each trigger narrows it to its event and response types. */
export type AnyInvoke = (event: never) => Promise<unknown>;

export interface RegionTriggers {
  readonly streams: StreamTrigger[];
  readonly queues: QueueTrigger[];
  readonly schedules: ScheduleTrigger[];
  readonly gateway: HttpGateway;
  /** Routes and function of the API, to re-attach the gateway after a `detach`. */
  attachApi(): void;
  start(): void;
  stop(): Promise<void>;
}

export interface WireOptions {
  readonly region: string;
  /** Prefix of stream consumer names (checkpoint keys, logs); '' for the single-region runtime. */
  readonly consumerPrefix: string;
  readonly streamArn: string;
  readonly streams: DynamoDBStreamsClient;
  readonly sqs: SQSClient;
  readonly queues: RegionQueues;
  readonly checkpoints: Checkpoints;
  readonly host: string;
  readonly apiPort: number;
  /** A gateway bound earlier (its URL already given to the functions); `apiPort` is then unused. */
  readonly gateway?: HttpGateway;
  readonly scheduleIntervalMs?: number;
  /** Queue pollers per queue mapping. @default 2 */
  readonly queueConcurrency?: number;
  /**
   * Seed of the run's random sources: each trigger's duplicate draws come from its own stream
   * (`queue:<region>/<queue>`, `stream:<region>/<function>`; local/random.ts). @default Math.random
   */
  readonly seed?: number;
  /** How a trigger invokes a function (in this thread, or in the function's worker). */
  readonly invoker: (fn: FunctionId, def: FunctionDef) => AnyInvoke;
  readonly log: (line: string) => void;
}

/** Creates every trigger of the topology for one region; `start()` starts polling. */
export async function wireTriggers(o: WireOptions): Promise<RegionTriggers> {
  const streams: StreamTrigger[] = [];
  const queues: QueueTrigger[] = [];
  const schedules: ScheduleTrigger[] = [];
  const http = new Map<FunctionId, Invoke<APIGatewayProxyEvent, APIGatewayProxyResult>>();
  for (const [fn, def] of functionEntries()) {
    const invoke = o.invoker(fn, def);
    for (const trigger of def.triggers) {
      if (trigger.type === 'stream') {
        const failures = o.queues.urls[`${fn}-stream-failures`] ?? '';
        streams.push(
          new StreamTrigger({
            name: `${o.consumerPrefix}${fn}`,
            client: o.streams,
            streamArn: o.streamArn,
            region: o.region,
            filters: trigger.filters(o.region),
            batchSize: trigger.batchSize,
            retryAttempts: trigger.retryAttempts,
            invoke: invoke as Invoke<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>,
            onFailure: async (records, reason) => {
              await o.sqs.send(
                new SendMessageCommand({
                  QueueUrl: failures,
                  MessageBody: JSON.stringify({
                    reason,
                    sequenceNumbers: records.map((r) => r.dynamodb?.SequenceNumber),
                  }),
                }),
              );
            },
            checkpoints: o.checkpoints,
            random: randomSource(o.seed, `stream:${o.region}/${fn}`),
            log: o.log,
          }),
        );
      } else if (trigger.type === 'queue') {
        queues.push(
          new QueueTrigger({
            name: `${o.consumerPrefix}${fn}`,
            client: o.sqs,
            queueUrl: o.queues.urls[trigger.queue] ?? '',
            queueArn: o.queues.arns[trigger.queue] ?? '',
            region: o.region,
            batchSize: trigger.batchSize,
            concurrency: o.queueConcurrency ?? 2,
            invoke: invoke as Invoke<SQSEvent, SQSBatchResponse | undefined>,
            random: randomSource(o.seed, `queue:${o.region}/${trigger.queue}`),
            log: o.log,
          }),
        );
      } else if (trigger.type === 'schedule') {
        schedules.push(
          new ScheduleTrigger({
            name: `${o.consumerPrefix}${fn}`,
            region: o.region,
            intervalMs: o.scheduleIntervalMs ?? trigger.everyMinutes * 60_000,
            invoke: invoke as Invoke<ScheduledEvent, unknown>,
            log: o.log,
          }),
        );
      } else {
        http.set(fn, invoke as Invoke<APIGatewayProxyEvent, APIGatewayProxyResult>);
      }
    }
  }
  if (http.size === 0) throw new Error('the topology declares no HTTP function');
  // Last, as the one part that listens once created: nothing is left running if anything above throws.
  const routes: GatewayRoute[] = httpRoutes().flatMap((route) => {
    const invoke = http.get(route.fn);
    return invoke ? [{ route, invoke }] : [];
  });
  let gateway: HttpGateway;
  if (o.gateway) {
    gateway = o.gateway;
    gateway.attach(routes);
  } else {
    gateway = await startHttpGateway({ host: o.host, port: o.apiPort, routes });
  }
  const all = [...streams, ...queues, ...schedules];
  return {
    streams,
    queues,
    schedules,
    gateway,
    attachApi: () => gateway.attach(routes),
    start: () => {
      for (const t of all) t.start();
    },
    stop: async () => {
      await Promise.all(all.map((t) => t.stop()));
      await gateway.stop();
    },
  };
}
