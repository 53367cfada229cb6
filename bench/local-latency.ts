/**
 * Local mode figures: `npm start` time to ready, and create-to-READY latency through the whole
 * pipeline (API -> DynamoDB Local -> stream -> dispatcher -> fauxqs -> provisioner -> stand-in
 * with its default 1.5 s simulated readiness -> stream -> bus).
 */
import { performance } from 'node:perf_hooks';
import { startLocalRuntime } from '../local/runtime/runtime.js';
import { apiClient, eventually, shippedConfig } from '../test/helpers/local.js';
import { summarize } from './stats.js';

export async function benchLocalLatency(clusters = 10): Promise<string[]> {
  const t0 = performance.now();
  const rt = await startLocalRuntime({ config: shippedConfig() });
  const startup = performance.now() - t0;
  try {
    const api = apiClient(rt.apiUrl, rt.apiKey);
    const samples: number[] = [];
    for (let i = 0; i < clusters; i++) {
      const t = performance.now();
      const res = await api('POST', '/v1/clusters', {
        name: `bench-${i}`,
        engine: 'qdrant',
        region: rt.region,
      });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      await eventually(
        () => api('GET', `/v1/clusters/${res.body.cluster.id}`),
        (r) => r.body.status === 'READY',
        60_000,
      );
      samples.push(performance.now() - t);
    }
    return [
      `local runtime start (DynamoDB Local, fauxqs, bus, stand-in, API)  ${startup.toFixed(0)} ms`,
      `local create-to-READY (stand-in readiness 1500 ms, first poll 1 s)  ${summarize(samples, 'ms')}`,
    ];
  } finally {
    await rt.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await benchLocalLatency()) console.log(`  ${line}`);
}
