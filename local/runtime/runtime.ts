import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Store } from '../../functions/shared/store/store.js';
import type { StratusConfig } from '../../lib/config.js';
import type { LocalBus } from '../events/bus.js';
import type { KubeStandin } from '../kube-standin/server.js';
import { type LocalControlPlane, startLocalControlPlane } from './control-plane.js';
import type { QueueTrigger } from './queue-trigger.js';
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
  /** Level of the functions' logs (see LocalControlPlaneOptions). @default - this process's POWERTOOLS_LOG_LEVEL */
  readonly functionLogLevel?: string;
  /** Also write the functions' log lines to this process's stdout (see LocalControlPlaneOptions). @default true */
  readonly echoFunctionLogs?: boolean;
  /** Serve the web console at `<apiUrl>/console/` (see LocalControlPlaneOptions). @default false */
  readonly console?: boolean;
  /** More origins the API's CORS allows (see LocalControlPlaneOptions). @default none */
  readonly corsOrigins?: readonly string[];
  /** A DynamoDB Local already running, and this runtime's access key in it (see LocalControlPlaneOptions). @default - its own */
  readonly dynamodb?: { readonly endpoint: string; readonly accessKeyId: string };
}

export interface LocalRuntime {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** When the bootstrap admin key expires. */
  readonly apiKeyExpiresAt: string;
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
  /** The control plane it is (one region of it), for what the one-region view does not show. */
  readonly plane: LocalControlPlane;
  stop(): Promise<void>;
}

/**
 * The control plane of one region on this machine: the local control plane (control-plane.ts)
 * with one region, seen as that region. One startup path for one region and several, so a
 * one-region run is wired, isolated and timed exactly like a multi-region one: every function in
 * its own worker thread with only the environment it declares (as in Lambda).
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const region = opts.region ?? opts.config.regions[0]?.region;
  if (!region) throw new Error('no region is configured');
  const plane = await startLocalControlPlane({
    config: opts.config,
    regions: [region],
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
    ...(opts.kubeconfig !== undefined ? { kubeconfigs: { [region]: opts.kubeconfig } } : {}),
    ...(opts.readinessDelayMs !== undefined ? { readinessDelayMs: opts.readinessDelayMs } : {}),
    ...(opts.pollBaseSeconds !== undefined ? { pollBaseSeconds: opts.pollBaseSeconds } : {}),
    ...(opts.visibilityTimeoutSeconds !== undefined
      ? { visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds }
      : {}),
    ...(opts.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: opts.scheduleIntervalMs } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.print ? { print: opts.print } : {}),
    ...(opts.functionLogLevel !== undefined ? { functionLogLevel: opts.functionLogLevel } : {}),
    ...(opts.echoFunctionLogs !== undefined ? { echoFunctionLogs: opts.echoFunctionLogs } : {}),
    ...(opts.console !== undefined ? { console: opts.console } : {}),
    ...(opts.corsOrigins !== undefined ? { corsOrigins: opts.corsOrigins } : {}),
    ...(opts.dynamodb !== undefined ? { dynamodb: opts.dynamodb } : {}),
  });
  const r = plane.region(region);
  return {
    apiUrl: r.apiUrl,
    apiKey: plane.apiKey,
    apiKeyExpiresAt: plane.apiKeyExpiresAt,
    tenantId: plane.tenantId,
    region,
    bus: r.bus,
    ...(r.kube ? { kube: r.kube } : {}),
    store: r.store,
    sqs: r.sqs,
    queueUrls: r.queueUrls,
    names: plane.names,
    triggers: r.triggers,
    plane,
    stop: () => plane.stop(),
  };
}
