/**
 * Local mode figures: `npm start` time to ready, and create-to-READY latency through the whole
 * pipeline (API -> DynamoDB Local -> stream -> dispatcher -> fauxqs -> provisioner -> stand-in ->
 * stream -> bus): with the stand-in's default 1.5 s simulated readiness, and with none (what the
 * pipeline itself costs). Latency is the operation's own `finishedAt - createdAt` (the client's
 * 100 ms polling of the API adds nothing to it); the client-side figure is printed too.
 */
import { performance } from 'node:perf_hooks';
import { startLocalRuntime } from '../local/runtime/runtime.js';
import { apiClient, eventually, shippedConfig } from '../test/helpers/local.js';
import { type BenchRow, emitRows, row } from './report.js';
import { percentile, summarize } from './stats.js';

async function createToReady(readinessDelayMs: number | undefined, clusters: number) {
  const t0 = performance.now();
  const rt = await startLocalRuntime({
    config: shippedConfig(),
    echoFunctionLogs: false,
    ...(readinessDelayMs !== undefined ? { readinessDelayMs } : {}),
  });
  const startup = performance.now() - t0;
  try {
    const api = apiClient(rt.apiUrl, rt.apiKey);
    const pipeline: number[] = [];
    const client: number[] = [];
    for (let i = 0; i < clusters; i++) {
      const t = performance.now();
      const res = await api('POST', '/v1/clusters', {
        name: `bench-${i}`,
        engine: 'qdrant',
        region: rt.region,
      });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      const op = await eventually(
        () => api('GET', `/v1/operations/${res.body.operation.id}`),
        (r) => r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED',
        60_000,
      );
      client.push(performance.now() - t);
      if (op.body.status !== 'SUCCEEDED') throw new Error(`create ended ${JSON.stringify(op.body)}`);
      pipeline.push(Date.parse(op.body.finishedAt) - Date.parse(op.body.createdAt));
    }
    return { startup, pipeline, client };
  } finally {
    await rt.stop();
  }
}

export async function benchLocalLatency(clusters = 10): Promise<{ lines: string[]; rows: BenchRow[] }> {
  const slow = await createToReady(undefined, clusters);
  const fast = await createToReady(0, clusters);
  const p50 = (samples: number[]) =>
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    );
  const rows: BenchRow[] = [
    row({ bench: 'local-latency', name: 'local runtime start', figure: slow.startup, unit: 'ms' }),
    row({
      bench: 'local-latency',
      name: 'create -> READY p50, readiness 0 ms',
      figure: p50(fast.pipeline),
      unit: 'ms',
      goal: { max: 1000, source: 'issue #12' },
      note: `${clusters} creates one at a time; operation createdAt -> finishedAt`,
    }),
    row({
      bench: 'local-latency',
      name: 'create -> READY p50, readiness 1500 ms',
      figure: p50(slow.pipeline),
      unit: 'ms',
    }),
  ];
  const lines = [
    `local runtime start (DynamoDB Local, fauxqs, bus, stand-in, API)  ${slow.startup.toFixed(0)} ms`,
    `local create-to-READY, stand-in readiness 1500 ms (operation createdAt -> finishedAt)  ${summarize(slow.pipeline, 'ms')}`,
    `local create-to-READY, stand-in readiness 0 ms (operation createdAt -> finishedAt; goal p50 <= 1000 ms)  ${summarize(fast.pipeline, 'ms')}`,
    `  the same seen by a client polling GET every 100 ms  ${summarize(fast.client, 'ms')}`,
  ];
  return { lines, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, rows } = await benchLocalLatency();
  for (const line of lines) console.log(`  ${line}`);
  emitRows(rows);
}
