/**
 * What the local HTTP API costs next to the table work it needs, measured in the same run
 * against the same DynamoDB Local (issue #12, "API overhead"):
 *   - POST /v1/clusters next to its floor: the create transaction of the same items
 *     (`store.clusters.create`, the TransactWriteItems the route sends, with the check of the
 *     API key that a request of a key the API has seen carries: docs/decisions.md, D29), issued
 *     from this process;
 *   - GET /v1/clusters/{id} next to its floor: the two GetItems it needs (the API key, the cluster);
 *   - an unknown route, answered by the local gateway without a function: the HTTP floor.
 * The pipeline's triggers are stopped first, so the figures are the API's alone. Each figure and
 * its floor alternate request by request (in turn first), so a busy machine slows both alike;
 * the timed requests are plain requests over `node:http` with a keep-alive agent, the transport
 * the floor's AWS SDK requests use (the warm-up checks the answers against the OpenAPI document),
 * so neither the client's validation nor another HTTP client's cost is counted as the API's (fetch
 * costs about 1 ms more per request here, in this process, where the local gateway runs too:
 * docs/cost.md, "API overhead"). POST is also shown against
 * the floor of a create that reads its key (D3): the key's GetItem, then the transaction without
 * the key's check.
 */
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashApiKey } from '../functions/shared/domain/apikeys.js';
import { planCreate } from '../functions/shared/domain/plan.js';
import { CreateClusterRequestSchema } from '../functions/shared/schemas/api.js';
import { startLocalRuntime } from '../local/runtime/runtime.js';
import { apiClient, shippedConfig } from '../test/helpers/local.js';
import { type BenchRow, emitRows, row } from './report.js';
import { percentile } from './stats.js';

const N = Number(process.env.BENCH_API_N ?? 200);

const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
};

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const [samples] = await alternating(n, [fn]);
  return samples ?? [];
}

/** Runs each of `fns` n times, in turns (round i starts with fn i mod k), after a warm-up; samples per fn. */
async function alternating(n: number, fns: Array<(i: number) => Promise<unknown>>): Promise<number[][]> {
  for (let i = 0; i < 20; i++) for (const fn of fns) await fn(-1 - i); // warm-up
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length;
      const t = performance.now();
      await (fns[j] as (i: number) => Promise<unknown>)(i);
      samples[j]?.push(performance.now() - t);
    }
  }
  return samples;
}

export async function benchApiOverhead(n = N): Promise<{ lines: string[]; rows: BenchRow[] }> {
  const rt = await startLocalRuntime({
    config: shippedConfig(),
    readinessDelayMs: 0,
    echoFunctionLogs: false,
  });
  try {
    const { triggers } = rt;
    await Promise.all([...triggers.streams, ...triggers.queues, ...triggers.schedules].map((t) => t.stop()));
    const api = apiClient(rt.apiUrl, rt.apiKey);
    await rt.store.tenants.setQuotas(rt.tenantId, { maxClusters: 10_000, maxNodes: 100_000 });
    const tenant = await rt.store.tenants.get(rt.tenantId);
    if (!tenant) throw new Error('no bootstrap tenant');
    const body = (name: string) => ({ name, engine: 'qdrant', region: rt.region });

    const headers = { authorization: `Bearer ${rt.apiKey}`, 'content-type': 'application/json' };
    const agent = new Agent({ keepAlive: true });
    const send = (method: string, path: string, json?: unknown, sent: Record<string, string> = headers) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const body = json === undefined ? undefined : JSON.stringify(json);
        const req = request(
          `${rt.apiUrl}${path}`,
          {
            method,
            agent,
            headers: {
              ...sent,
              ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    // Warm-up, checked against the OpenAPI document (test/helpers/local.ts); the timed requests are not.
    const checked = await api('POST', '/v1/clusters', body('api-checked'));
    if (checked.status !== 202) throw new Error(`create: ${checked.status} ${JSON.stringify(checked.body)}`);
    const keyHash = hashApiKey(rt.apiKey);
    const key = await rt.store.apiKeys.get(keyHash);
    if (!key) throw new Error('no bootstrap key');
    const floorCreate = async (prefix: string, i: number, fenced: boolean) => {
      const { cluster, operation } = planCreate(CreateClusterRequestSchema.parse(body(`${prefix}-${i}`)), {
        tenantId: rt.tenantId,
        regions: [rt.region],
        apiRegion: rt.region,
        controllers: {},
        correlationId: `corr-bench-${prefix}-${i}`,
        now: new Date(),
      });
      const fence = fenced ? rt.store.apiKeys.fence(keyHash, key, new Date().toISOString()) : undefined;
      await rt.store.clusters.create(tenant, cluster, operation, undefined, fence);
    };
    const [post, postFloor, postFloorKey] = await alternating(n, [
      async (i) => {
        const res = await send('POST', '/v1/clusters', body(`api-${i}`));
        if (res.status !== 202) throw new Error(`create: ${res.status} ${res.text}`);
      },
      (i) => floorCreate('floor', i, true),
      async (i) => {
        await rt.store.apiKeys.get(keyHash);
        await floorCreate('floorkey', i, false);
      },
    ]);
    const created = await api('POST', '/v1/clusters', body('api-get'));
    const id = (created.body as { cluster: { id: string } }).cluster.id;
    if ((await api('GET', `/v1/clusters/${id}`)).status !== 200) throw new Error('get: not 200');
    const [get, getFloor] = await alternating(n, [
      async () => {
        const res = await send('GET', `/v1/clusters/${id}`);
        if (res.status !== 200) throw new Error(`get: ${res.status}`);
      },
      async () => {
        await rt.store.apiKeys.get(keyHash);
        await rt.store.clusters.get(rt.tenantId, id);
      },
    ]);
    // The function's pipeline without DynamoDB: a create without a key is refused (401) by the
    // api worker before any read, so this is the gateway, the worker hand-off, middy, logging and JSON.
    const noKey = await timed(n, async () => {
      const res = await send('POST', '/v1/clusters', body('no-key'), { 'content-type': 'application/json' });
      if (res.status !== 401) throw new Error(`no key: ${res.status}`);
    });
    const unknown = await timed(n, async () => {
      await send('GET', '/v1/nothing-here', undefined, {});
    });

    const line = (label: string, samples: number[], floor: number[], goal: number) => {
      const a = stats(samples);
      const f = stats(floor);
      return `${label.padEnd(52)} p50 ${a.p50.toFixed(1)} ms (floor ${f.p50.toFixed(1)}, ${(a.p50 / f.p50).toFixed(2)}x)  p99 ${a.p99.toFixed(1)} ms (floor ${f.p99.toFixed(1)}, ${(a.p99 / f.p99).toFixed(2)}x)  goal <= ${goal}x`;
    };
    const u = stats(unknown);
    const k = stats(noKey);
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const goal12 = (ratio: number) => ({ ratio, source: 'issue #12' });
    const pair = (name: string, samples: number[], floor: number[], ratio: number, note: string) => {
      const a = stats(samples);
      const f = stats(floor);
      return [
        row({
          bench: 'api-overhead',
          name: `${name} p50`,
          figure: a.p50,
          unit: 'ms',
          floor: f.p50,
          goal: goal12(ratio),
          note,
        }),
        row({
          bench: 'api-overhead',
          name: `${name} p99`,
          figure: a.p99,
          unit: 'ms',
          floor: f.p99,
          goal: goal12(ratio),
          note,
        }),
      ];
    };
    const rows: BenchRow[] = [
      ...pair(
        'POST /v1/clusters',
        post ?? [],
        postFloor ?? [],
        1.5,
        "floor: the create TransactWriteItems (with the key's check)",
      ),
      ...pair(
        'POST /v1/clusters (floor with key read)',
        post ?? [],
        postFloorKey ?? [],
        1.5,
        'floor: key GetItem + TransactWriteItems',
      ),
      ...pair('GET /v1/clusters/{id}', get ?? [], getFloor ?? [], 2, 'floor: two GetItems'),
      row({ bench: 'api-overhead', name: 'unknown route (gateway alone) p50', figure: u.p50, unit: 'ms' }),
      row({
        bench: 'api-overhead',
        name: 'POST without a key (401, no DynamoDB) p50',
        figure: k.p50,
        unit: 'ms',
      }),
    ];
    const lines = [
      `local API overhead (n=${n} each, pipeline stopped; floors measured in the same run, alternating; load average at the end ${load})`,
      `  ${line('POST /v1/clusters vs the create TransactWriteItems', post ?? [], postFloor ?? [], 1.5)}`,
      `  ${line('POST /v1/clusters vs key GetItem + TransactWriteItems', post ?? [], postFloorKey ?? [], 1.5)}`,
      `  ${line('GET /v1/clusters/{id} vs two GetItems', get ?? [], getFloor ?? [], 2)}`,
      `  unknown route (the gateway alone, no function)          p50 ${u.p50.toFixed(1)} ms  p99 ${u.p99.toFixed(1)} ms`,
      `  POST /v1/clusters without a key (401 from the function, no DynamoDB) p50 ${k.p50.toFixed(1)} ms  p99 ${k.p99.toFixed(1)} ms`,
    ];
    agent.destroy();
    return { lines, rows };
  } finally {
    await rt.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, rows } = await benchApiOverhead();
  for (const line of lines) console.log(`  ${line}`);
  emitRows(rows);
}
