/**
 * The throughput floor of `npm run bench -- --scale` (issue #12, "Throughput"): the work one create
 * needs, run back to back for N clusters without Stratus's pipeline (no API gateway, no Lambda
 * worker threads, no stream or queue pollers, no replication, no events), at the same concurrency
 * over the same regions, against the same local services the scale run uses: DynamoDB Local (a
 * fresh data folder, as there), the local SQS emulator (fauxqs) and the Kubernetes stand-ins.
 *
 * Per cluster, the requests the API, the dispatcher and the provisioner make for a CREATE whose
 * database is ready at the first look (read off the code and docs/cost.md's counters):
 *   API          rate-limit counter (UpdateItem), API key (GetItem), the create transaction
 *                (`store.clusters.create`: TransactWriteItems of cluster, operation, name guard,
 *                usage, control and quota checks);
 *   dispatcher   SendMessage of the provisioning message;
 *   provisioner  ReceiveMessage, GetItem operation and cluster, the start transition, which
 *                claims the step (TransactWriteItems), the blueprint's objects (server-side
 *                applies, the credential Secret's create), the readiness reads, the
 *                complete transition (TransactWriteItems), DeleteMessage.
 * The requests go through the same clients Stratus uses (the store over the AWS SDK, the
 * Kubernetes client over client-node), so what the ratio to Stratus's figure measures is the
 * pipeline around them. Not in the floor: the status publisher's events (an in-process bus
 * locally) and the replicator's copies to the other region (AWS's work, not the control plane's).
 *
 *   node --import tsx bench/throughput-floor.ts [--clusters 200] [--regions eu-west-1,us-east-1]
 *     [--concurrency 20] [--memory] [--out .bench]
 *
 * Prints clusters/s and where the time went (each part's share of the requests' wall time), emits
 * its rows (bench/report.ts) and writes `<out>/throughput-floor.json`. Figures, never assertions.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { KubeConfig } from '@kubernetes/client-node';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '200' },
    regions: { type: 'string', default: 'eu-west-1,us-east-1' },
    concurrency: { type: 'string', default: '20' },
    memory: { type: 'boolean', default: false },
    out: { type: 'string', default: '.bench' },
    engine: { type: 'string', default: 'qdrant' },
  },
});

const { parseConfig } = await import('../lib/config.js');
const { startLocalControlPlane } = await import('../local/runtime/control-plane.js');
const { createTenant } = await import('../functions/shared/tenants.js');
const { hashApiKey } = await import('../functions/shared/domain/apikeys.js');
const { planCreate } = await import('../functions/shared/domain/plan.js');
const { CreateClusterRequestSchema } = await import('../functions/shared/schemas/api.js');
const { windowOf, limitsOf } = await import('../functions/shared/domain/rate-limit.js');
const { specOf } = await import('../functions/shared/domain/spec.js');
const { getBlueprint } = await import('../functions/shared/engines/registry.js');
const { createKubeClient } = await import('../functions/shared/kube/client.js');
const { applyRendered } = await import('../functions/provisioner/workflow.js');
const { emitRows, row } = await import('./report.js');

type Part = 'dynamodb' | 'sqs' | 'kubernetes';

export interface FloorResult {
  readonly clusters: number;
  readonly regions: readonly string[];
  readonly concurrency: number;
  readonly seconds: number;
  readonly clustersPerSecond: number;
  /** Wall time of each part's requests, summed over the clusters (they overlap: concurrency). */
  readonly partSeconds: Record<Part, number>;
  readonly requestsPerCluster: Record<Part, number>;
  readonly loadAverage: { before: number[]; after: number[] };
}

async function main(): Promise<void> {
  const n = Number(values.clusters);
  const concurrency = Number(values.concurrency);
  const regions = values.regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });
  const dataDir = values.memory ? undefined : join(out, `floor-data-${Date.now()}`);
  const config = parseConfig(
    (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: { stratus?: unknown } }).context?.stratus,
  );
  const plane = await startLocalControlPlane({
    config,
    regions,
    ...(dataDir ? { dataDir } : {}),
    readinessDelayMs: 0,
    functionLogLevel: 'ERROR',
    echoFunctionLogs: false,
    print: () => undefined,
  });
  try {
    // The tenant, replicated to every region (its items back the create transaction's checks).
    const tenant = await createTenant(plane.store, 'throughput-floor', {
      maxClusters: n,
      maxNodes: n,
      rateLimits: { rate: 1000, burst: 2000 },
      keyLifetimeHours: 24,
    });
    await plane.replication?.flush();
    // Stratus's pipeline off: no API, no pollers, no schedules, no replication.
    for (const r of plane.regions) await r.suspend();
    plane.replication?.pause();

    const keyHash = hashApiKey(tenant.apiKey);
    const perRegion = new Map(
      await Promise.all(
        plane.regions.map(async (r) => {
          if (!r.kube) throw new Error(`region ${r.region} has no Kubernetes stand-in`);
          const kc = new KubeConfig();
          kc.loadFromOptions({
            // HTTPS with the stand-in's CA, as the functions' kubeconfig (the floor of the same path).
            clusters: [
              {
                name: 'standin',
                server: r.kube.url,
                caData: Buffer.from(r.kube.caCert).toString('base64'),
                skipTLSVerify: false,
              },
            ],
            users: [{ name: 'standin', token: r.kube.token }],
            contexts: [{ name: 'standin', cluster: 'standin', user: 'standin' }],
            currentContext: 'standin',
          });
          const eks = config.regions.find((c) => c.region === r.region)?.eksClusters[0]?.name;
          if (!eks) throw new Error(`region ${r.region} has no EKS cluster in cdk.json`);
          const record = await r.store.tenants.get(tenant.tenantId);
          if (!record) throw new Error(`the tenant is not in ${r.region}'s replica`);
          return [r.region, { r, kube: createKubeClient(kc), eks, tenant: record }] as const;
        }),
      ),
    );

    const partMs: Record<Part, number> = { dynamodb: 0, sqs: 0, kubernetes: 0 };
    const requests: Record<Part, number> = { dynamodb: 0, sqs: 0, kubernetes: 0 };
    const timed = async <T>(part: Part, count: number, fn: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await fn();
      } finally {
        partMs[part] += performance.now() - t;
        requests[part] += count;
      }
    };
    const run = Date.now().toString(36);

    const one = async (i: number) => {
      const region = regions[i % regions.length] as string;
      const x = perRegion.get(region);
      if (!x) throw new Error(`no region ${region}`);
      const { r, kube, eks } = x;
      const store = r.store;
      const now = () => new Date();
      // API: rate limit, key, create transaction.
      const limits = limitsOf(x.tenant);
      await timed('dynamodb', 1, () =>
        store.rateLimits.take(tenant.tenantId, windowOf(limits, Date.now()), 1, limits.burst),
      );
      await timed('dynamodb', 1, () => store.apiKeys.get(keyHash));
      const { cluster, operation } = planCreate(
        CreateClusterRequestSchema.parse({
          name: `f${run}-${i}`,
          engine: values.engine,
          region,
          nodes: 1,
          size: 'small',
        }),
        {
          tenantId: tenant.tenantId,
          regions,
          apiRegion: region,
          controllers: {},
          correlationId: `corr-floor-${i}`,
          now: now(),
        },
      );
      await timed('dynamodb', 1, () => store.clusters.create(x.tenant, cluster, operation));
      // Dispatcher: one message. Provisioner: receive it (any of this region's; they are alike).
      const queueUrl = r.queueUrls.provisioning;
      const message = {
        v: 1,
        tenantId: tenant.tenantId,
        operationId: operation.operationId,
        clusterId: cluster.clusterId,
        reason: 'dispatch',
        attempt: 0,
      };
      await timed('sqs', 1, () =>
        r.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) })),
      );
      const received = await timed('sqs', 1, () =>
        r.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 })),
      );
      const op = await timed('dynamodb', 1, () =>
        store.operations.get(tenant.tenantId, operation.operationId),
      );
      const c = await timed('dynamodb', 1, () => store.clusters.get(tenant.tenantId, cluster.clusterId));
      if (!op || !c) throw new Error(`cluster ${cluster.clusterId} or its operation is missing`);
      const t0 = now();
      // The start transition carries the step's claim (docs/cost.md).
      await timed('dynamodb', 1, () =>
        store.operations.start(op, 'PROVISIONING', eks, t0.toISOString(), {
          seq: 0,
          now: t0.toISOString(),
          until: new Date(t0.getTime() + 240_000).toISOString(),
          by: { messageId: received.Messages?.[0]?.MessageId ?? randomUUID(), receiveCount: 1 },
        }),
      );
      const started = { ...op, status: 'RUNNING' as const, step: 'APPLY' as const };
      const spec = specOf({ ...c, placement: eks });
      const blueprint = getBlueprint(c.engine);
      if (!blueprint) throw new Error(`no blueprint for ${c.engine}`);
      await timed('kubernetes', 0, () =>
        applyRendered(
          kube,
          blueprint,
          spec,
          { operationId: op.operationId, correlationId: op.correlationId },
          { fresh: true },
        ),
      );
      const live = await timed('kubernetes', 0, () =>
        Promise.all(blueprint.readinessRefs(spec).map((ref) => kube.get(ref))),
      );
      const readiness = blueprint.readiness(spec, live);
      if (!readiness.ready) throw new Error(`cluster ${cluster.clusterId} not ready at the first look`);
      const conn = blueprint.connection(spec);
      await timed('dynamodb', 1, () =>
        store.operations.complete(started, { endpoint: conn.endpoint, port: conn.port }, now().toISOString()),
      );
      const handle = received.Messages?.[0]?.ReceiptHandle;
      if (handle)
        await timed('sqs', 1, () =>
          r.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle })),
        );
    };

    // Warm-up: one create per region (connections, discovery, JIT), not counted.
    for (let i = 0; i < regions.length; i++) await one(n + i);
    for (const k of Object.keys(partMs) as Part[]) {
      partMs[k] = 0;
      requests[k] = 0;
    }

    const kubeBefore = plane.regions.reduce((sum, r) => sum + kubeCalls(r), 0);
    const loadBefore = loadavg();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          await one(i);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    requests.kubernetes = plane.regions.reduce((sum, r) => sum + kubeCalls(r), 0) - kubeBefore;
    const result: FloorResult = {
      clusters: n,
      regions,
      concurrency,
      seconds,
      clustersPerSecond: n / seconds,
      partSeconds: {
        dynamodb: partMs.dynamodb / 1000,
        sqs: partMs.sqs / 1000,
        kubernetes: partMs.kubernetes / 1000,
      },
      requestsPerCluster: {
        dynamodb: requests.dynamodb / n,
        sqs: requests.sqs / n,
        kubernetes: requests.kubernetes / n,
      },
      loadAverage: { before: loadBefore, after: loadavg() },
    };
    await writeFile(join(out, 'throughput-floor.json'), `${JSON.stringify(result, null, 2)}\n`);
    const total = partMs.dynamodb + partMs.sqs + partMs.kubernetes;
    const share = (p: Part) => `${Math.round((100 * partMs[p]) / total)}%`;
    console.log(
      `throughput floor: ${n} creates over ${regions.join(', ')}, ${concurrency} in flight, without the pipeline (${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')})`,
    );
    console.log(`  ${seconds.toFixed(1)} s: ${result.clustersPerSecond.toFixed(1)} clusters/s`);
    console.log(
      `  per cluster: ${result.requestsPerCluster.dynamodb.toFixed(0)} DynamoDB requests (${share('dynamodb')} of the requests' time), ${result.requestsPerCluster.sqs.toFixed(0)} SQS (${share('sqs')}), ${result.requestsPerCluster.kubernetes.toFixed(1)} Kubernetes (${share('kubernetes')})`,
    );
    emitRows([
      row({
        bench: 'throughput-floor',
        name: `clusters/s, ${n} creates without the pipeline`,
        figure: result.clustersPerSecond,
        unit: 'clusters/s',
        note: 'DynamoDB + SQS + Kubernetes requests of a create, back to back',
      }),
    ]);
  } finally {
    await plane.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** Requests the region's stand-in has served so far. */
function kubeCalls(r: { injected(): { kube?: { requests?: number } } }): number {
  return r.injected().kube?.requests ?? 0;
}

await main();
