import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { documentClient } from '../../functions/shared/aws.js';
import { hashApiKey } from '../../functions/shared/domain/apikeys.js';
import { Store } from '../../functions/shared/store/store.js';
import { createTenant } from '../../functions/shared/tenants.js';
import type { FunctionId } from '../../functions/topology.js';
import type { RegionConfig, StratusConfig } from '../../lib/config.js';
import { type LocalBus, startLocalBus } from '../events/bus.js';
import { type KubeStandin, startKubeStandin } from '../kube-standin/server.js';
import { randomSource } from '../random.js';
import { Checkpoints } from './checkpoints.js';
import { ensureTable, LOCAL_CREDENTIALS, startDynamoLocal } from './dynamodb.js';
import { lambdaInvoker, oneAtATime } from './lambda.js';
import type { QueueTrigger } from './queue-trigger.js';
import { createRegionQueues, functionEntries, functionEnvironment, wireTriggers } from './region.js';
import type { ScheduleTrigger } from './schedule-trigger.js';
import type { StreamTrigger } from './stream-trigger.js';

export interface LocalRuntimeOptions {
  readonly config: StratusConfig;
  /** Region to run; its API accepts that region's clusters. @default the first configured region */
  readonly region?: string;
  /** Where state is kept across restarts (DynamoDB, stand-in objects, events, checkpoints). @default in memory */
  readonly dataDir?: string;
  readonly host?: string;
  /** @default 0 (random) */
  readonly apiPort?: number;
  /** A real cluster's kubeconfig instead of the stand-in. */
  readonly kubeconfig?: string;
  /** Stand-in: time until applied workloads report ready. @default 1500 */
  readonly readinessDelayMs?: number;
  /** First readiness poll delay (seconds; exponential backoff after). @default 1 */
  readonly pollBaseSeconds?: number;
  /**
   * Visibility timeout of local queues. AWS uses the topology's value (6x the consumer timeout);
   * locally a shorter one makes failed messages come back in seconds. @default 10
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Interval of schedule triggers (the reconciler); tests make it shorter. @default the topology's rate */
  readonly scheduleIntervalMs?: number;
  /** Seed of the stand-in's fault draws and the triggers' duplicate draws (see LocalControlPlaneOptions). @default - unseeded */
  readonly seed?: number;
  readonly print?: (line: string) => void;
}

export interface LocalRuntime {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly tenantId: string;
  readonly region: string;
  readonly bus: LocalBus;
  readonly kube?: KubeStandin;
  readonly store: Store;
  readonly sqs: SQSClient;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly names: { readonly table: string; readonly bus: string };
  readonly triggers: {
    readonly streams: StreamTrigger[];
    readonly queues: QueueTrigger[];
    readonly schedules: ScheduleTrigger[];
  };
  stop(): Promise<void>;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * The whole control plane of one region on this machine: the stand-ins, then the very handlers
 * that run in Lambda, wired from functions/topology.ts exactly as lib/ wires them in AWS.
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const print = opts.print ?? (() => undefined);
  const host = opts.host ?? '127.0.0.1';
  const regionConfig: RegionConfig | undefined = opts.region
    ? opts.config.regions.find((r) => r.region === opts.region)
    : opts.config.regions[0];
  if (!regionConfig) {
    throw new Error(
      `region ${opts.region} is not configured; configured: ${opts.config.regions.map((r) => r.region).join(', ')}`,
    );
  }
  const region = regionConfig.region;
  const stage = opts.config.stage;
  const names = { table: `stratus-${stage}`, bus: `stratus-${stage}` };
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const scratch = dataDir ?? (await mkdtemp(join(tmpdir(), 'stratus-')));
  if (dataDir) await mkdir(dataDir, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    // Stand-ins.
    const dynamo = await startDynamoLocal(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {});
    stops.push(() => dynamo.stop());
    const fauxqs = await startFauxqs({ port: 0, host, logger: false, defaultRegion: region });
    stops.push(() => fauxqs.stop());
    const bus = await startLocalBus({
      host,
      busNames: [names.bus],
      defaultRegion: region,
      print,
      ...(dataDir ? { logFile: join(dataDir, 'events.jsonl') } : {}),
    });
    stops.push(() => bus.stop());
    let kube: KubeStandin | undefined;
    let kubeconfig = opts.kubeconfig;
    if (!kubeconfig) {
      kube = await startKubeStandin({
        host,
        readinessDelayMs: opts.readinessDelayMs ?? 1500,
        random: randomSource(opts.seed, `kube:${region}`),
        ...(dataDir ? { dataFile: join(dataDir, 'kube-standin.json') } : {}),
      });
      stops.push(() => kube?.stop() ?? Promise.resolve());
      kubeconfig = join(scratch, 'kubeconfig');
      await kube.writeKubeconfig(kubeconfig);
    }

    // The environment every handler reads, resolved like the CDK resolves it.
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.address,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KUBECONFIG: kubeconfig,
      POLL_BASE_SECONDS: String(opts.pollBaseSeconds ?? 1),
      PAGE_TOKEN_KEY: await pageTokenKey(dataDir),
    });

    const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => ddb.destroy());
    const { streamArn } = await ensureTable(ddb, names.table);

    const queues = createRegionQueues(fauxqs, {
      stage,
      region,
      visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds ?? 10,
    });
    const queueUrls = queues.urls;
    const functions = functionEntries();
    const envContext = { config: opts.config, region: regionConfig, names, queueUrls };
    for (const [, def] of functions) Object.assign(process.env, functionEnvironment(def, envContext));

    // Handlers are loaded after the environment is set: they read it at module scope, as in Lambda.
    const handlers = {} as Record<FunctionId, Handler>;
    for (const [fn, def] of functions) {
      const mod = (await import(pathToFileURL(resolve(def.entry)).href)) as Record<string, Handler>;
      const h = mod[def.handler];
      if (!h) throw new Error(`${def.entry} does not export ${def.handler}`);
      handlers[fn] = h;
    }

    const store = new Store(documentClient(), names.table, region);
    const { apiKey, tenantId } = await bootstrapKey(store, dataDir);

    const sqs = new SQSClient({
      endpoint: fauxqs.address,
      region,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    stops.push(async () => sqs.destroy());
    const streams = new DynamoDBStreamsClient({
      endpoint: dynamo.endpoint,
      region,
      credentials: LOCAL_CREDENTIALS,
    });
    stops.push(async () => streams.destroy());
    const checkpoints = await Checkpoints.open(
      dataDir ? join(dataDir, 'stream-checkpoints.json') : undefined,
    );

    const triggers = await wireTriggers({
      region,
      consumerPrefix: '',
      streamArn,
      streams,
      sqs,
      queues,
      checkpoints,
      host,
      apiPort: opts.apiPort ?? 0,
      ...(opts.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: opts.scheduleIntervalMs } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      // Batch consumers share one module instance here: they run one invocation at a time, as in a
      // Lambda sandbox. The API stays concurrent (its handler keeps no per-request module state).
      invoker: (fn, def) => {
        const invoke = lambdaInvoker(fn, handlers[fn], def.timeoutSeconds, print);
        return def.triggers.some((t) => t.type === 'http') ? invoke : oneAtATime(invoke);
      },
      log: print,
    });
    const api = triggers.gateway;
    triggers.start();
    stops.push(() => triggers.stop());

    if (dataDir) {
      await writeFile(
        join(dataDir, 'local.json'),
        `${JSON.stringify({ apiUrl: api.url, apiKey, region, dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: fauxqs.address }, null, 2)}\n`,
        {
          mode: 0o600,
        },
      );
    }

    return {
      apiUrl: api.url,
      apiKey,
      tenantId,
      region,
      bus,
      ...(kube ? { kube } : {}),
      store,
      sqs,
      queueUrls,
      names,
      triggers: { streams: triggers.streams, queues: triggers.queues, schedules: triggers.schedules },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The pagination-token HMAC key, kept in the data folder so tokens survive a restart. */
export async function pageTokenKey(dataDir: string | undefined): Promise<string> {
  if (!dataDir) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'page-token.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('base64url');
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}

/** Reuses the key of `.stratus/local.json` while it is valid, else creates the local tenant and key. */
export async function bootstrapKey(
  store: Store,
  dataDir: string | undefined,
): Promise<{ apiKey: string; tenantId: string }> {
  if (dataDir) {
    try {
      const saved = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as { apiKey?: string };
      if (saved.apiKey) {
        const key = await store.apiKeys.get(hashApiKey(saved.apiKey));
        if (key && !key.revokedAt) return { apiKey: saved.apiKey, tenantId: key.tenantId };
      }
    } catch {
      // no saved key yet
    }
  }
  const { apiKey, tenantId } = await createTenant(store, 'local');
  return { apiKey, tenantId };
}
