/**
 * Where a local API request's CPU goes (issue #12, "API overhead"): run under
 * `node --cpu-prof --cpu-prof-dir=<dir> --import tsx bench/api-profile.ts <dir>`; it sends
 * BENCH_API_N creates (then as many GETs) to the local API with the pipeline stopped, then reads the
 * api worker's CPU profile and prints its busy time per request by package (mapped back through
 * the bundle's source map), during each phase only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceMapConsumer } from 'source-map-js';
import { startLocalRuntime } from '../local/runtime/runtime.js';
import { shippedConfig } from '../test/helpers/local.js';

const N = Number(process.env.BENCH_API_N ?? 300);
const dir = process.argv[2];

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const clock = () => Number(process.hrtime.bigint() / 1000n);

async function drive(): Promise<Record<string, [number, number]>> {
  const rt = await startLocalRuntime({
    config: shippedConfig(),
    readinessDelayMs: 0,
    echoFunctionLogs: false,
  });
  try {
    const { triggers } = rt;
    await Promise.all([...triggers.streams, ...triggers.queues, ...triggers.schedules].map((t) => t.stop()));
    await rt.store.tenants.setQuotas(rt.tenantId, { maxClusters: 100_000, maxNodes: 100_000 });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${rt.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${rt.apiKey}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as { cluster: { id: string } };
    };
    for (let i = 0; i < 30; i++)
      await call('POST', '/v1/clusters', { name: `warm-${i}`, engine: 'qdrant', region: rt.region });
    const windows: Record<string, [number, number]> = {};
    let t = clock();
    let id = '';
    for (let i = 0; i < N; i++)
      id = (await call('POST', '/v1/clusters', { name: `p-${i}`, engine: 'qdrant', region: rt.region }))
        .cluster.id;
    windows.post = [t, clock()];
    t = clock();
    for (let i = 0; i < N; i++) await call('GET', `/v1/clusters/${id}`);
    windows.get = [t, clock()];
    return windows;
  } finally {
    await rt.stop();
  }
}

function category(source: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (m?.[1]) return m[1];
  if (/functions\/api\//.test(source)) return 'functions/api';
  if (/functions\/shared\/store/.test(source)) return 'functions/shared/store';
  if (/functions\/shared/.test(source)) return 'functions/shared';
  if (/local\/runtime/.test(source)) return 'local/runtime (worker)';
  if (source.startsWith('node:')) return source.replace(/^node:internal\/([^/]+).*$/, 'node:$1');
  return source || `(native) ${fn}`;
}

export function analyse(profile: Profile, windows: Record<string, [number, number]>, n: number) {
  const maps = new Map<string, SourceMapConsumer | null>();
  const consumer = (url: string) => {
    if (!maps.has(url)) {
      try {
        const file = new URL(url).pathname;
        maps.set(url, new SourceMapConsumer(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        maps.set(url, null);
      }
    }
    return maps.get(url) ?? null;
  };
  const catOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, lineNumber, columnNumber, functionName } = node.callFrame;
    let source = url;
    if (url.endsWith('.mjs') || url.endsWith('.js')) {
      const c = url.startsWith('file:') ? consumer(url) : null;
      const pos = c?.originalPositionFor({ line: lineNumber + 1, column: columnNumber });
      if (pos?.source) source = pos.source;
    }
    catOf.set(node.id, category(source, functionName));
  }
  for (const [phase, [from, to]] of Object.entries(windows)) {
    const byCat = new Map<string, number>();
    let ts = profile.startTime;
    profile.samples.forEach((id, i) => {
      ts += profile.timeDeltas[i] ?? 0;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (ts < from || ts > to) return;
      const c = catOf.get(id) ?? '?';
      byCat.set(c, (byCat.get(c) ?? 0) + dt);
    });
    const busy = [...byCat].filter(([c]) => c !== '(idle)').reduce((a, [, v]) => a + v, 0);
    console.log(
      `${phase}: wall ${((to - from) / 1000 / n).toFixed(2)} ms/request, worker busy ${(busy / 1000 / n).toFixed(2)} ms/request`,
    );
    for (const [c, us] of [...byCat].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      if (c === '(idle)') continue;
      console.log(`  ${(us / 1000 / n).toFixed(3).padStart(7)} ms  ${c}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!dir)
    throw new Error('usage: node --cpu-prof --cpu-prof-dir=<dir> --import tsx bench/api-profile.ts <dir>');
  const windows = await drive();
  console.log(JSON.stringify(windows));
  // The workers' profiles are written when they exit (rt.stop() above); the main thread's at exit.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (!text.includes('/api/index.mjs')) continue;
    const profile = JSON.parse(text) as Profile;
    const samples = profile.samples.length;
    console.log(`${f} (${samples} samples)`);
    analyse(profile, windows, N);
  }
}
