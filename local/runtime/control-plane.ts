import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildConsole } from '../../console/build.mjs';
import { Store } from '../../functions/shared/store/store.js';
import type { FunctionDef, FunctionId } from '../../functions/topology.js';
import type { RegionConfig, StratusConfig } from '../../lib/config.js';
import { functionBundles } from '../../lib/function-bundles.js';
import { stratusNames } from '../../lib/names.js';
import { type LocalBus, startLocalBus } from '../events/bus.js';
import { simulatedBackups } from '../kube-standin/backups.js';
import { type KubeStandin, type KubeStandinStats, startKubeStandin } from '../kube-standin/server.js';
import { randomSource } from '../random.js';
import { type BackupReplicator, startBackupReplicator } from './backup-replicator.js';
import { bootstrapKey, pageTokenKey } from './bootstrap.js';
import { Checkpoints } from './checkpoints.js';
import { deleteTable, ensureTable, LOCAL_CREDENTIALS, startDynamoLocal } from './dynamodb.js';
import { FunctionHost } from './function-host.js';
import { type HttpGateway, startHttpGateway } from './http-gateway.js';
import type { QueueTrigger } from './queue-trigger.js';
import {
  createRegionQueues,
  functionEntries,
  functionEnvironment,
  localBackupBucket,
  localBackupCopiesBucket,
  type RegionQueues,
  wireTriggers,
} from './region.js';
import { type Replicator, startReplicator } from './replicator.js';
import type { ScheduleTrigger } from './schedule-trigger.js';
import { startLocalSqs } from './sqs.js';
import type { StreamTrigger } from './stream-trigger.js';

/** An S3 client of the local object store (fauxqs serves S3 on the SQS emulator's endpoint). */
export function localS3Client(endpoint: string, region: string): S3Client {
  return new S3Client({ endpoint, region, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
}

export interface LocalControlPlaneOptions {
  readonly config: StratusConfig;
  /** Regions to run, each with its own API, queues, bus, Kubernetes stand-in and functions. @default every configured region */
  readonly regions?: readonly string[];
  /** Where state is kept across restarts. @default in memory */
  readonly dataDir?: string;
  readonly host?: string;
  /** API port of the first region; the next regions take the following ports. @default 0 (random) */
  readonly apiPort?: number;
  /** Real clusters' kubeconfigs by region, instead of the stand-ins. */
  readonly kubeconfigs?: Readonly<Record<string, string>>;
  /** Stand-ins: time until applied workloads report ready. @default 1500 */
  readonly readinessDelayMs?: number;
  /** First readiness poll delay (seconds; exponential backoff after). @default 1 */
  readonly pollBaseSeconds?: number;
  /** Visibility timeout of local queues (see LocalRuntimeOptions). @default 10 */
  readonly visibilityTimeoutSeconds?: number;
  /** Interval of schedule triggers (the reconciler). @default the topology's rate */
  readonly scheduleIntervalMs?: number;
  /** Pollers per queue mapping. @default 2 */
  readonly queueConcurrency?: number;
  /**
   * Seed of every chaos draw: each Kubernetes stand-in's faults (`kube:<region>`), each queue's
   * and stream consumer's duplicate deliveries (`queue:<region>/<queue>`,
   * `stream:<region>/<function>`) and each function's kill timing (`kill:<function>@<region>`)
   * draw from their own stream of this seed (local/random.ts), so a seeded run replays its faults.
   * @default - unseeded (Math.random)
   */
  readonly seed?: number;
  /**
   * Replication between the regions' replicas (local/runtime/replicator.ts, README "Replication"):
   * the lag of every write plus a uniform jitter. Each region always has its own replica.
   * @default { lagMs: 300, jitterMs: 200 }
   */
  readonly replication?: { readonly lagMs?: number; readonly jitterMs?: number };
  /**
   * S3 replication of the backup buckets of regions with `backupCopyTo` to their copy buckets
   * (local/runtime/backup-replicator.ts): how long a new backup object takes to be copied.
   * @default { lagMs: 1000, intervalMs: 200 }
   */
  readonly backupReplication?: { readonly lagMs?: number; readonly intervalMs?: number };
  readonly print?: (line: string) => void;
  /**
   * Level of the functions' logs (POWERTOOLS_LOG_LEVEL), e.g. `INFO`.
   * @default - this process's POWERTOOLS_LOG_LEVEL, else Powertools' default (INFO)
   */
  readonly functionLogLevel?: string;
  /**
   * Also write every function's log lines to this process's stdout and stderr, as well as to
   * `functionsLog`. @default true
   */
  readonly echoFunctionLogs?: boolean;
  /**
   * Figures only (bench/cost.ts): something (a counting proxy) put in front of every service
   * endpoint the functions, the queue triggers and the replicator are given, and an observer of
   * every invocation. @default - the endpoints themselves, no observer
   */
  readonly meter?: LocalMeter;
  /**
   * Serve the web console at `/console/` on every region's API (README, "Console"), built first if
   * stale (console/build.mjs); every region's API then allows every region's origin (CORS), so the
   * console of one region can switch to another region's API. @default false
   */
  readonly console?: boolean;
  /** More origins the APIs' CORS allows (`STRATUS_CORS_ORIGINS` of `npm start`). @default none */
  readonly corsOrigins?: readonly string[];
  /**
   * A DynamoDB Local already running, in memory and without `-sharedDb`, to use instead of
   * starting one (the tests share one JVM: test/helpers/global-setup.ts). DynamoDB Local keeps one
   * database per access key and region, so this control plane's replicas are the databases of
   * `accessKeyId`: control planes given different keys share the JVM without seeing each other's
   * tables, items or streams. Their tables are deleted on stop: with `dataDir`, the table is then
   * the one thing not kept across restarts.
   * @default - a DynamoDB Local of its own, stopped on stop
   */
  readonly dynamodb?: { readonly endpoint: string; readonly accessKeyId: string };
}

/** A service whose endpoint `LocalMeter.endpoint` may replace. */
export type MeteredService = 'dynamodb' | 'sqs' | 'eventbridge' | 'kubernetes';

/** See `LocalControlPlaneOptions.meter`. */
export interface LocalMeter {
  /**
   * The URL to give `client` instead of `url`: `client` is a function id, `triggers` (the region's
   * own SQS client: queue pollers and stream failure sends), `replicator` (`region` is then
   * `all`) or `functions` (every region's kubeconfig names each region's Kubernetes stand-in).
   */
  endpoint(service: MeteredService, client: string, region: string, url: string): string;
  /** An invocation ended after `ms` in its execution environment (see FunctionHostOptions.onInvocation). */
  invocation(fn: FunctionId, region: string, ms: number, failed: boolean): void;
}

/** One region of the local control plane, seen from the thread that started it. */
export interface LocalRegion {
  readonly region: string;
  readonly apiUrl: string;
  readonly bus: LocalBus;
  readonly kube?: KubeStandin;
  /** This region's view of the table, writing as this region (docs/data-model.md, "Ownership"). */
  readonly store: Store;
  /** An SQS client signed for this region (fauxqs keeps regions apart, as SQS does). */
  readonly sqs: SQSClient;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly triggers: {
    readonly streams: StreamTrigger[];
    readonly queues: QueueTrigger[];
    readonly schedules: ScheduleTrigger[];
  };
  /** Each function's execution environment (a worker thread). */
  readonly functions: Readonly<Record<FunctionId, FunctionHost>>;
  /**
   * The region's control plane goes down (its API answers 503; its stream, queue and schedule
   * triggers stop, so none of its functions run) or comes back: a region failure, for takeover
   * tests. Its replica and stand-ins stay, as a region's data plane would.
   */
  suspend(): Promise<void>;
  resume(): void;
  /** Stops the region's queue consumers (messages wait on the queue); `resumeQueues` restarts them. */
  pauseQueues(): Promise<void>;
  resumeQueues(): void;
  /** Chaos: at-least-once delivery made visible (see QueueTrigger and StreamTrigger `duplicateRate`). */
  setDuplicates(rates: { readonly queue?: number; readonly stream?: number }): void;
  /** Chaos: kills the provisioner's environment while it handles a batch (see FunctionHost). */
  killProvisioner(opts?: { readonly withinMs?: number; readonly waitMs?: number }): Promise<boolean>;
  /** Chaos: what was injected in this region so far. */
  injected(): RegionInjections;
}

/** Faults injected in one region since it started. */
export interface RegionInjections {
  /** The Kubernetes stand-in's requests and faults (none with a real cluster). */
  readonly kube?: KubeStandinStats;
  /** Copies of received messages put back on the region's queues (`setDuplicates({ queue })`). */
  readonly queueCopies: number;
  /** Stream batches delivered to a function a second time (`setDuplicates({ stream })`). */
  readonly streamBatches: number;
  /** Provisioner invocations killed mid-batch (`killProvisioner`). */
  readonly kills: number;
}

export interface LocalControlPlane {
  readonly apiKey: string;
  /** When the bootstrap admin key expires (a start after that, or within its last hour, issues a new one). */
  readonly apiKeyExpiresAt: string;
  readonly tenantId: string;
  /** The first region's view of the table (the local tenant is homed there); each region has its own (`LocalRegion.store`). */
  readonly store: Store;
  readonly names: { readonly table: string; readonly bus: string };
  readonly regions: readonly LocalRegion[];
  region(name: string): LocalRegion;
  /** `s3`: the local object store (fauxqs serves S3 on the SQS endpoint), with a backup bucket per region. */
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly s3: string };
  /** Each region's backup bucket in the local object store. */
  backupBucket(region: string): string;
  /** The bucket in `region` that holds copies of the backups of regions with `backupCopyTo: region`. */
  backupCopiesBucket(region: string): string;
  /**
   * S3 replication of backups to the copy buckets (regions with `backupCopyTo`; with none, it
   * copies nothing): pause, resume, flush, stats.
   */
  readonly backupReplication: BackupReplicator;
  /** Replication between the regions' replicas (absent with one region): pause, resume, flush, stats. */
  readonly replication?: Replicator;
  /**
   * Every function's stdout and stderr, one JSON object a line, each with the `function` and
   * `region` that wrote it: `<dataDir>/functions.log`, or in a temporary directory (README, "Logs").
   */
  readonly functionsLog: string;
  stop(): Promise<void>;
}

/**
 * Several regions of the control plane on this machine. Shared, as in AWS: the table (DynamoDB
 * Local with `sharedDb`, standing in for a global table without replication lag) and the SQS
 * endpoint (one fauxqs; queues are per region, same names, as SQS keeps them). Per region: the
 * queues, the bus, a Kubernetes stand-in, the API, the triggers, and one worker thread per
 * function (its Lambda execution environment) whose `process.env` is that region's, so each
 * region's handlers load with their own configuration. Triggers (the stream and queue pollers,
 * the schedules, the API gateway) run in this thread, as AWS runs them outside the function.
 */
export async function startLocalControlPlane(opts: LocalControlPlaneOptions): Promise<LocalControlPlane> {
  const print = opts.print ?? (() => undefined);
  const host = opts.host ?? '127.0.0.1';
  const wanted = opts.regions ?? opts.config.regions.map((r) => r.region);
  const regionConfigs: RegionConfig[] = wanted.map((name) => {
    const rc = opts.config.regions.find((r) => r.region === name);
    if (!rc) {
      throw new Error(
        `region ${name} is not configured; configured: ${opts.config.regions.map((r) => r.region).join(', ')}`,
      );
    }
    return rc;
  });
  if (regionConfigs.length === 0) throw new Error('no region to run');
  // The table's replicas are the databases of this access key (one per region) in DynamoDB Local.
  const dynamoCredentials = opts.dynamodb
    ? { accessKeyId: opts.dynamodb.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey }
    : LOCAL_CREDENTIALS;
  const stage = opts.config.stage;
  const stratus = stratusNames(stage);
  const names = { table: stratus.table, bus: stratus.bus };
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const scratch = dataDir ?? (await mkdtemp(join(tmpdir(), 'stratus-')));
  if (dataDir) await mkdir(dataDir, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  // Closed last (stops run in reverse), after every function wrote its last line.
  const functionsLog = join(scratch, 'functions.log');
  const logFile = createWriteStream(functionsLog, { flags: 'a' });
  logFile.on('error', (e) => print(`cannot write ${functionsLog}: ${e.message}`));
  stops.push(() => new Promise<void>((done) => logFile.end(done)));
  const echo = opts.echoFunctionLogs ?? true;

  try {
    const first = regionConfigs[0]?.region ?? '';
    // DynamoDB Local first: a JVM takes seconds to start. A failure elsewhere abandons its start
    // rather than waiting for it.
    const abandon = new AbortController();
    const shared = opts.dynamodb;
    const dynamoStarting: Promise<{ readonly endpoint: string; stop(): Promise<void> }> = shared
      ? Promise.resolve({ endpoint: shared.endpoint, stop: async () => undefined })
      : startDynamoLocal({
          signal: abandon.signal,
          // One database per region (DynamoDB Local keys them by the client's region): a replica each.
          sharedDb: false,
          ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
        });
    dynamoStarting.catch(() => undefined); // awaited below; a failure surfaces there
    stops.push(async () => {
      abandon.abort();
      // A start that failed or was abandoned has stopped its JVM already.
      await (await dynamoStarting.catch(() => undefined))?.stop();
    });
    // The functions' bundles (lib/function-bundles.ts), built only if a source changed since the
    // last build, while the JVM starts: the execution environments load them, as Lambda does.
    const bundles = functionBundles();
    // The console's site likewise (console/build.mjs), while the rest starts.
    const consoleBuilding = opts.console ? buildConsole() : Promise.resolve(undefined);
    consoleBuilding.catch(() => undefined); // awaited below; a failure surfaces there
    const localSqs = await startLocalSqs({ host, defaultRegion: first });
    stops.push(() => localSqs.stop());
    // The object store: fauxqs serves S3 on the same endpoint (in memory: backups do not survive
    // a restart of `npm start`). One backup bucket per region, as the CDK app creates.
    const s3 = localS3Client(localSqs.address, first);
    stops.push(async () => s3.destroy());
    for (const rc of regionConfigs) {
      await s3.send(new CreateBucketCommand({ Bucket: localBackupBucket(names.table, rc.region) }));
    }
    // A region another running region copies its backups to has a copy bucket (the CDK app's
    // `BackupCopies`), which the backup replication fills.
    const copyLinks = regionConfigs.flatMap((rc) =>
      rc.backupCopyTo && regionConfigs.some((d) => d.region === rc.backupCopyTo)
        ? [
            {
              source: localBackupBucket(names.table, rc.region),
              destination: localBackupCopiesBucket(names.table, rc.backupCopyTo),
            },
          ]
        : [],
    );
    for (const destination of new Set(copyLinks.map((l) => l.destination))) {
      await s3.send(new CreateBucketCommand({ Bucket: destination }));
    }
    const backupReplication = startBackupReplicator(s3, copyLinks, {
      ...(opts.backupReplication?.lagMs !== undefined ? { lagMs: opts.backupReplication.lagMs } : {}),
      ...(opts.backupReplication?.intervalMs !== undefined
        ? { intervalMs: opts.backupReplication.intervalMs }
        : {}),
      onError: (e, link) =>
        print(`backup replication ${link.source} -> ${link.destination}: ${(e as Error).message}`),
    });
    stops.push(() => backupReplication.stop());
    const backupSimulation = simulatedBackups({
      put: async (bucket, key, body) => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      },
      count: async (bucket, prefix) =>
        ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).length,
    });
    const pageKey = await pageTokenKey(dataDir);
    const checkpoints = await Checkpoints.open(
      dataDir ? join(dataDir, 'stream-checkpoints.json') : undefined,
    );

    // Per region, what does not need the table's endpoint, while DynamoDB Local starts.
    const standins: Array<{
      index: number;
      regionConfig: RegionConfig;
      bus: LocalBus;
      kube: KubeStandin | undefined;
      kubeconfig: string;
      sqs: SQSClient;
      queues: RegionQueues;
      gateway: HttpGateway;
    }> = [];
    for (const [index, regionConfig] of regionConfigs.entries()) {
      const region = regionConfig.region;
      const regionDir = dataDir ? join(dataDir, 'regions', region) : undefined;
      const bus = await startLocalBus({
        host,
        busNames: [names.bus],
        defaultRegion: region,
        print,
        ...(regionDir ? { logFile: join(regionDir, 'events.jsonl') } : {}),
      });
      stops.push(() => bus.stop());
      // The archive of lib/bus.ts (every event of this account, 30 days), kept in memory.
      bus.createArchive({
        name: `${names.bus}-archive`,
        busName: names.bus,
        pattern: { account: ['000000000000'] },
        retentionDays: 30,
      });
      let kube: KubeStandin | undefined;
      let kubeconfig = opts.kubeconfigs?.[region];
      if (!kubeconfig) {
        const standin = await startKubeStandin({
          host,
          readinessDelayMs: opts.readinessDelayMs ?? 1500,
          random: randomSource(opts.seed, `kube:${region}`),
          extraKinds: backupSimulation.extraKinds,
          statusRules: backupSimulation.statusRules,
          ...(regionDir ? { dataFile: join(regionDir, 'kube-standin.json') } : {}),
        });
        kube = standin;
        stops.push(() => standin.stop());
        kubeconfig = join(scratch, 'regions', region, 'kubeconfig');
        await standin.writeKubeconfig(kubeconfig);
      }

      const sqs = new SQSClient({
        endpoint: opts.meter?.endpoint('sqs', 'triggers', region, localSqs.address) ?? localSqs.address,
        region,
        credentials: LOCAL_CREDENTIALS,
        useQueueUrlAsEndpoint: false,
      });
      stops.push(async () => sqs.destroy());
      const queues = await createRegionQueues(sqs, {
        stage,
        visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds ?? 10,
      });
      // The API binds now, answering 503 until its function is wired, so that every region's
      // environment can name every region's API (421 answers).
      const gateway = await startHttpGateway({ host, port: opts.apiPort ? opts.apiPort + index : 0 });
      stops.push(() => gateway.stop());
      standins.push({ index, regionConfig, bus, kube, kubeconfig, sqs, queues, gateway });
    }
    const apiUrls = Object.fromEntries(standins.map((x) => [x.regionConfig.region, x.gateway.url]));
    const corsOrigins = [
      ...new Set([
        ...(opts.console ? standins.flatMap((x) => consoleOrigins(x.gateway.url)) : []),
        ...(opts.corsOrigins ?? []),
      ]),
    ];
    const consoleDir = opts.console ? await consoleBuilding : undefined;
    for (const x of standins) {
      x.gateway.configure({
        corsOrigins,
        ...(consoleDir
          ? {
              console: {
                dir: consoleDir,
                config: {
                  regions: standins.map((y) => ({ region: y.regionConfig.region, apiUrl: y.gateway.url })),
                  defaultRegion: x.regionConfig.region,
                },
                apiOrigins: standins.map((y) => y.gateway.url),
              },
            }
          : {}),
      });
    }
    // Every region's kubeconfig names every region's EKS clusters (a context per EKS cluster name,
    // pointing at that region's stand-in), as every region's functions may reach every region's
    // EKS clusters in AWS (takeover, docs/eks.md): a region that took another over then applies to
    // the other region's stand-in, not its own.
    const contexts = standins.flatMap((x) =>
      x.kube
        ? x.regionConfig.eksClusters.map((c) => ({
            name: c.name,
            // A meter reads the traffic: it forwards to the stand-in's plain-HTTP listener.
            url:
              x.kube && opts.meter
                ? opts.meter.endpoint('kubernetes', 'functions', x.regionConfig.region, x.kube.plainUrl)
                : (x.kube?.url ?? ''),
            token: x.kube?.token ?? '',
            caCert: x.kube?.caCert ?? '',
          }))
        : [],
    );
    for (const x of standins) {
      const current = x.regionConfig.eksClusters[0]?.name;
      if (x.kube && current) await writeFile(x.kubeconfig, kubeconfigFor(contexts, current), { mode: 0o600 });
    }
    // The same at the top of the data folder, for people: `kubectl --kubeconfig .stratus/kubeconfig`
    // reaches the first region's stand-in, `--context <EKS cluster>` any region's.
    const firstCurrent = standins.find((x) => x.kube)?.regionConfig.eksClusters[0]?.name;
    if (firstCurrent) {
      await writeFile(join(scratch, 'kubeconfig'), kubeconfigFor(contexts, firstCurrent), { mode: 0o600 });
    }

    // The functions read the table's endpoint at load, and its port is known once the JVM serves
    // it (a port taken by another process in between is replaced): so they start after it.
    const dynamo = await dynamoStarting;
    const dynamoEndpoint = dynamo.endpoint;
    const prepared: Array<{
      index: number;
      region: string;
      bus: LocalBus;
      kube: KubeStandin | undefined;
      sqs: SQSClient;
      streams: DynamoDBStreamsClient;
      queues: RegionQueues;
      gateway: HttpGateway;
      functions: Record<FunctionId, FunctionHost>;
    }> = [];
    for (const { index, regionConfig, bus, kube, kubeconfig, sqs, queues, gateway } of standins) {
      const region = regionConfig.region;
      const streams = new DynamoDBStreamsClient({
        endpoint: dynamoEndpoint,
        region,
        credentials: dynamoCredentials,
      });
      stops.push(async () => streams.destroy());

      // What the Lambda service gives every function of the region, plus the local endpoints.
      const baseEnv: Record<string, string> = {
        ...definedEnv(process.env),
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: dynamoCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: dynamoCredentials.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
        AWS_ENDPOINT_URL_SQS: localSqs.address,
        AWS_ENDPOINT_URL_S3: localSqs.address,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        KUBECONFIG: kubeconfig,
        POLL_BASE_SECONDS: String(opts.pollBaseSeconds ?? 1),
        PAGE_TOKEN_KEY: pageKey,
        // No X-Ray daemon here: the Tracer stays off (it is off outside Lambda anyway), quietly.
        POWERTOOLS_TRACE_ENABLED: 'false',
        ...(opts.functionLogLevel ? { POWERTOOLS_LOG_LEVEL: opts.functionLogLevel } : {}),
      };
      const envContext = {
        config: opts.config,
        region: regionConfig,
        names,
        queueUrls: queues.urls,
        apiUrls,
        corsOrigins,
      };
      const functions = {} as Record<FunctionId, FunctionHost>;
      for (const [fn, def] of functionEntries()) {
        const meter = opts.meter;
        const metered: Record<string, string> = meter
          ? {
              AWS_ENDPOINT_URL_DYNAMODB: meter.endpoint('dynamodb', fn, region, dynamoEndpoint),
              AWS_ENDPOINT_URL_SQS: meter.endpoint('sqs', fn, region, localSqs.address),
              AWS_ENDPOINT_URL_EVENTBRIDGE: meter.endpoint('eventbridge', fn, region, bus.url),
            }
          : {};
        const hostFn = new FunctionHost({
          name: `${fn}@${region}`,
          functionName: stratus.localFunction(fn),
          entryUrl: pathToFileURL(bundles.file(fn)).href,
          workerFile: bundles.localWorker,
          handler: def.handler,
          timeoutSeconds: def.timeoutSeconds,
          env: { ...baseEnv, ...metered, ...functionEnvironment(def, envContext) },
          maxEnvironments: environmentsFor(def, opts.queueConcurrency ?? 2),
          random: randomSource(opts.seed, `kill:${fn}@${region}`),
          ...(meter
            ? { onInvocation: (ms: number, failed: boolean) => meter.invocation(fn, region, ms, failed) }
            : {}),
          log: print,
          output: (line, stream) => {
            logFile.write(`${functionLogLine(fn, region, line, stream)}\n`);
            if (echo) (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);
          },
        });
        functions[fn] = hostFn;
        stops.push(() => hostFn.stop());
      }
      prepared.push({ index, region, bus, kube, sqs, streams, queues, gateway, functions });
    }

    // Cold starts up front, all at once, so the first requests are not slowed by module loading;
    // meanwhile the table, the local tenant and its key.
    const warming = Promise.all(prepared.flatMap((p) => Object.values(p.functions).map((f) => f.warm())));
    warming.catch(() => undefined); // awaited below; a failure surfaces there
    // Each region's view of the table: a client signed for the region, the table's stream there,
    // and a store that writes as that region.
    const replicas = new Map<string, { store: Store; streamArn: string }>();
    for (const { region } of prepared) {
      const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: dynamoCredentials });
      stops.push(async () => ddb.destroy());
      const { streamArn } = await ensureTable(ddb, names.table);
      // A shared DynamoDB Local outlives this control plane: its replicas go with it (stops run in
      // reverse, so after every function, trigger and the replicator are stopped).
      if (shared) stops.push(() => deleteTable(ddb, names.table));
      const doc = DynamoDBDocumentClient.from(ddb, {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      });
      replicas.set(region, { store: new Store(doc, names.table, region), streamArn });
    }
    const replica = (region: string) => {
      const r = replicas.get(region);
      if (!r) throw new Error(`no replica for ${region}`);
      return r;
    };
    // Replicas are kept in step like a global table's, before anything writes.
    let replication: Replicator | undefined;
    if (prepared.length > 1) {
      const started = await startReplicator({
        endpoint: opts.meter?.endpoint('dynamodb', 'replicator', 'all', dynamo.endpoint) ?? dynamo.endpoint,
        tableName: names.table,
        regions: prepared.map((p) => p.region),
        credentials: dynamoCredentials,
        lagMs: opts.replication?.lagMs ?? 300,
        jitterMs: opts.replication?.jitterMs ?? 200,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        log: print,
      });
      replication = started;
      // Stops run in reverse: after the functions and triggers, before DynamoDB Local.
      stops.push(() => started.stop({ settle: true }));
    }
    // The local tenant is homed in the first region, which alone writes it.
    const store = replica(first).store;
    const { apiKey, tenantId, expiresAt: apiKeyExpiresAt } = await bootstrapKey(store, dataDir);
    // Every region knows the local tenant and its key before the APIs are announced.
    await replication?.flush();
    await warming;

    const regions: LocalRegion[] = [];
    for (const { index, region, bus, kube, sqs, streams, queues, gateway, functions } of prepared) {
      const triggers = await wireTriggers({
        region,
        consumerPrefix: `${region}/`,
        streamArn: replica(region).streamArn,
        streams,
        sqs,
        queues,
        checkpoints,
        host,
        apiPort: opts.apiPort ? opts.apiPort + index : 0,
        gateway,
        ...(opts.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: opts.scheduleIntervalMs } : {}),
        ...(opts.queueConcurrency !== undefined ? { queueConcurrency: opts.queueConcurrency } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        invoker: (fn) => functions[fn].invoke,
        log: print,
      });
      triggers.start();
      stops.push(() => triggers.stop());

      regions.push({
        region,
        apiUrl: triggers.gateway.url,
        bus,
        store: replica(region).store,
        ...(kube ? { kube } : {}),
        sqs,
        queueUrls: queues.urls,
        triggers: { streams: triggers.streams, queues: triggers.queues, schedules: triggers.schedules },
        functions,
        suspend: async () => {
          gateway.detach();
          await Promise.all(
            [...triggers.streams, ...triggers.queues, ...triggers.schedules].map((t) => t.stop()),
          );
        },
        resume: () => {
          triggers.start();
          triggers.attachApi();
        },
        pauseQueues: async () => {
          await Promise.all(triggers.queues.map((q) => q.stop()));
        },
        resumeQueues: () => {
          for (const q of triggers.queues) q.start();
        },
        setDuplicates: (rates) => {
          for (const q of triggers.queues) q.duplicateRate = rates.queue ?? 0;
          for (const s of triggers.streams) s.duplicateRate = rates.stream ?? 0;
        },
        killProvisioner: (kill = {}) =>
          functions.provisioner.killDuringInvocation({
            withinMs: kill.withinMs ?? 200,
            ...(kill.waitMs !== undefined ? { waitMs: kill.waitMs } : {}),
          }),
        injected: () => ({
          ...(kube ? { kube: kube.stats() } : {}),
          queueCopies: triggers.queues.reduce((n, q) => n + q.duplicated, 0),
          streamBatches: triggers.streams.reduce((n, t) => n + t.duplicated, 0),
          kills: functions.provisioner.kills,
        }),
      });
    }

    if (dataDir) {
      await writeFile(
        join(dataDir, 'local.json'),
        `${JSON.stringify(
          {
            apiUrl: regions[0]?.apiUrl,
            apiKey,
            apiKeyExpiresAt,
            region: first,
            regions: Object.fromEntries(regions.map((r) => [r.region, { apiUrl: r.apiUrl }])),
            dynamodbEndpoint: dynamoEndpoint,
            ...(shared ? { dynamodbAccessKeyId: dynamoCredentials.accessKeyId } : {}),
            sqsEndpoint: localSqs.address,
            functionsLog,
          },
          null,
          2,
        )}\n`,
        { mode: 0o600 },
      );
    }

    return {
      functionsLog,
      apiKey,
      apiKeyExpiresAt,
      tenantId,
      store,
      names,
      regions,
      region: (name) => {
        const r = regions.find((x) => x.region === name);
        if (!r) throw new Error(`region ${name} is not running`);
        return r;
      },
      endpoints: { dynamodb: dynamoEndpoint, sqs: localSqs.address, s3: localSqs.address },
      backupBucket: (region: string) => localBackupBucket(names.table, region),
      backupCopiesBucket: (region: string) => localBackupCopiesBucket(names.table, region),
      backupReplication,
      ...(replication ? { replication } : {}),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * The origins of a page served by the gateway at `url`: as bound, and as `localhost` when bound to
 * the loopback address (what a person types).
 */
function consoleOrigins(url: string): string[] {
  const u = new URL(url);
  return u.hostname === '127.0.0.1' ? [u.origin, `${u.protocol}//localhost:${u.port}`] : [u.origin];
}

/**
 * Environments a function may use at once: as many as the pollers of its queue mapping, a few for
 * the API (concurrent requests), one for stream and schedule consumers (one batch at a time).
 */
function environmentsFor(def: FunctionDef, queueConcurrency: number): number {
  if (def.triggers.some((t) => t.type === 'http')) return 4;
  if (def.triggers.some((t) => t.type === 'queue')) return queueConcurrency;
  return 1;
}

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** A kubeconfig with one context per EKS cluster name, each pointing at its region's stand-in. */
function kubeconfigFor(
  contexts: ReadonlyArray<{ name: string; url: string; token: string; caCert: string }>,
  current: string,
): string {
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const c of contexts) {
    lines.push(
      `- name: ${c.name}`,
      '  cluster:',
      `    server: ${c.url}`,
      // Plain HTTP (a meter's proxy): client-node only accepts it with TLS verification
      // explicitly skipped. HTTPS: the stand-in's CA, which kubectl trusts too.
      c.url.startsWith('http://')
        ? '    insecure-skip-tls-verify: true'
        : `    certificate-authority-data: ${Buffer.from(c.caCert).toString('base64')}`,
    );
  }
  lines.push('users:');
  for (const c of contexts) lines.push(`- name: ${c.name}`, '  user:', `    token: ${c.token}`);
  lines.push('contexts:');
  for (const c of contexts) {
    lines.push(
      `- name: ${c.name}`,
      '  context:',
      `    cluster: ${c.name}`,
      `    user: ${c.name}`,
      '    namespace: default',
    );
  }
  lines.push(`current-context: ${current}`, 'preferences: {}', '');
  return lines.join('\n');
}

/**
 * A line of `functions.log`: the function's JSON log line (or metrics line) with the function and
 * region that wrote it in front; any other text as `message`.
 */
export function functionLogLine(
  fn: string,
  region: string,
  line: string,
  stream: 'stdout' | 'stderr',
): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // not JSON: kept as text below
  }
  const body =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : { stream, message: line };
  return JSON.stringify({ function: fn, region, ...body });
}
