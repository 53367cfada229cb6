/**
 * What one write costs the Kubernetes stand-in (issue #16: the write path now defaults, prunes,
 * canonicalises and merges lists by key): every engine's rendered objects (3 nodes) applied
 * server-side over the stand-in's plain HTTP URL, one request at a time, in as many namespaces
 * as `--clusters`; first as creates, then the same applies again (no change: the reconciler's
 * usual write). Latency per request, measured by the client, so it includes HTTP and JSON.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { blueprints } from '../functions/shared/engines/registry.js';
import type { KubeObject } from '../functions/shared/engines/types.js';
import { BUILTIN_KINDS, DEFAULT_EXTRA_KINDS, toKindInfo } from '../local/kube-standin/resources.js';
import { startKubeStandin } from '../local/kube-standin/server.js';
import { clusterSpec, renderContext } from '../test/helpers/kube-fixtures.js';
import { type BenchRow, emitRows, row } from './report.js';
import { percentile, summarize } from './stats.js';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '40' } } });
const clusters = Number(values.clusters);

function pathOf(o: KubeObject, plural: string): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${plural}/${o.metadata.name}`;
}

/** The plural of each kind the stand-in serves (its own tables: every engine's kinds). */
const PLURALS: Record<string, string> = Object.fromEntries(
  [...BUILTIN_KINDS, ...DEFAULT_EXTRA_KINDS.map(toKindInfo)].map((k) => [k.kind, k.plural]),
);

const standin = await startKubeStandin({ readinessDelayMs: 0 });
try {
  const objects: KubeObject[] = [];
  const bps = Object.values(blueprints);
  // The first cluster of each engine is the warm-up; the next `clusters` are measured.
  let warmup = 0;
  for (let i = 0; i < clusters + bps.length; i++) {
    if (i === bps.length) warmup = objects.length;
    const bp = bps[i % bps.length];
    if (!bp) continue;
    const id = `cl-01jd8w3k5m7n9p1q3r5s7t${String(i).padStart(4, '0')}`;
    const spec = clusterSpec({
      clusterId: id,
      engine: bp.engine,
      version: bp.versions.at(-1),
      nodes: 3,
      settings: bp.settingsSchema.parse({}),
    });
    const secrets = Object.fromEntries(bp.secretNames.map((name) => [name, `secret-${name}-0123456789`]));
    objects.push(...bp.render(spec, renderContext({ secrets })));
  }
  const apply = async (o: KubeObject) => {
    const plural = PLURALS[o.kind];
    if (!plural) throw new Error(`no plural for ${o.kind}`);
    const response = await fetch(`${standin.plainUrl}${pathOf(o, plural)}?fieldManager=bench&force=true`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${standin.token}`,
        'content-type': 'application/apply-patch+yaml',
      },
      body: JSON.stringify(o),
    });
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`${o.kind} ${o.metadata.name}: ${response.status}`);
  };
  // Warm-up (JIT, CRD schemas loaded): one cluster of each engine, not measured.
  for (const o of objects.slice(0, warmup)) await apply(o);
  for (const o of objects.slice(0, warmup)) await apply(o);
  objects.splice(0, warmup);
  const rows: BenchRow[] = [];
  for (const phase of ['create', 'unchanged'] as const) {
    const samples: number[] = [];
    const cpu = process.cpuUsage();
    for (const o of objects) {
      const t = performance.now();
      await apply(o);
      samples.push((performance.now() - t) * 1000);
    }
    const used = process.cpuUsage(cpu);
    const cpuPerRequest = (used.user + used.system) / objects.length;
    console.log(
      `  stand-in apply (${phase}) ${summarize([...samples], 'µs')}; CPU ${cpuPerRequest.toFixed(0)} µs/request`,
    );
    const sorted = samples.sort((a, b) => a - b);
    rows.push(
      row({
        bench: 'standin-writes',
        name: `server-side apply (${phase}) p50`,
        figure: percentile(sorted, 50),
        unit: 'µs',
        note: `${objects.length} objects of ${clusters} clusters, HTTP, one at a time`,
      }),
      row({
        bench: 'standin-writes',
        name: `server-side apply (${phase}) CPU per request`,
        figure: cpuPerRequest,
        unit: 'µs',
        note: 'client and stand-in in one process',
      }),
    );
  }
  emitRows(rows);
} finally {
  await standin.stop();
}
