/**
 * `npm run bench`: runs the benches, each in its own process (handlers read their configuration
 * once, at load), one after the other; each prints its own figures as it goes and emits its rows
 * (bench/report.ts). At the end: one table of every row (figure, floor, ratio, goal, met), and
 * the same as JSON in `.bench/results.json` (git-ignored) with the machine it ran on. Figures
 * only, never assertions (issue #12).
 *
 *   npm run bench                          # the default set (below, all but the opt-in ones), the scale load at 200 clusters
 *   npm run bench -- --scale               # the same, with the scale load at 1,000 clusters
 *   npm run bench -- --only cost,scale     # only these (names below); `npm run bench -- cost` too
 *   npm run bench -- --list                # the benches and what they measure
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type BenchRow, formatTable, met, parseRows } from './report.js';

interface Bench {
  readonly name: string;
  readonly file: string;
  readonly args?: readonly string[];
  /** Node options before the bench's file (`--expose-gc`). */
  readonly nodeArgs?: readonly string[];
  /** What it measures, for `--list`. */
  readonly about: string;
  /** Only with `--only` (too long for the default set). */
  readonly optIn?: boolean;
}

/** Cheap first, so that the quick figures are on screen early. */
const BENCHES = (scale: boolean): Bench[] => [
  {
    name: 'api-handler',
    file: 'bench/api-handler.ts',
    about: 'the API handler in process, DynamoDB mocked (our code alone)',
  },
  {
    name: 'api-overhead',
    file: 'bench/api-overhead.ts',
    about: 'local HTTP POST and GET against the DynamoDB requests they need',
  },
  {
    name: 'local-latency',
    file: 'bench/local-latency.ts',
    about: 'local start time and create -> READY through the whole pipeline',
  },
  {
    name: 'standin-writes',
    file: 'bench/standin-writes.ts',
    about:
      "the Kubernetes stand-in's cost per server-side apply (every engine's objects; creates, then unchanged)",
  },
  { name: 'bundles', file: 'bench/bundles.ts', about: 'function bundle sizes and module load times' },
  { name: 'synth', file: 'bench/synth.ts', about: 'cdk synth of three regions' },
  {
    name: 'reconciler-scale',
    file: 'bench/reconciler-scale.ts',
    // The stand-in in its own process, so that its CPU is not the reconciler's; a collection before
    // the sweep, so that its heap figure is the sweep's (about 2 minutes in all on 2 cores).
    args: ['--clusters', '10000', '--standin-process'],
    nodeArgs: ['--expose-gc'],
    about:
      'one drift sweep of 10,000 clusters against its floor (paged lists per kind + a GET per Secret), and its Kubernetes calls',
  },
  {
    name: 'cost',
    file: 'bench/cost.ts',
    about: 'requests per CREATE, UPDATE, DELETE against the paper floor (docs/cost.md)',
  },
  {
    name: 'scale',
    file: 'bench/scale.ts',
    args: scale
      ? ['--clusters', '1000', '--readiness-delay-ms', '0']
      : ['--clusters', '200', '--readiness-delay-ms', '0', '--settle-s', '5'],
    about: `${scale ? '1,000' : '200'} creates over two regions, zero readiness delay, and the throughput floor of the same work (bench/throughput-floor.ts); .bench/scale.svg`,
  },
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: 'boolean', default: false },
    only: { type: 'string' },
    list: { type: 'boolean', default: false },
    out: { type: 'string', default: '.bench/results.json' },
  },
});

const all = BENCHES(values.scale);
if (values.list) {
  for (const b of all) console.log(`${b.name.padEnd(18)} ${b.about}`);
  process.exit(0);
}
const wanted = (values.only ?? positionals.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted.filter((w) => !all.some((b) => b.name === w));
if (unknown.length > 0) {
  console.error(`unknown bench(es): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? all.filter((b) => wanted.includes(b.name)) : all.filter((b) => !b.optIn);

const env = {
  ...process.env,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/** Runs one bench: its output goes to the screen as it comes (marker lines kept apart). */
function runBench(b: Bench): Promise<{ rows: BenchRow[]; code: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...(b.nodeArgs ?? []), '--import', 'tsx', b.file, ...(b.args ?? [])],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const rows: BenchRow[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const parsed = parseRows(lines.join('\n'));
      rows.push(...parsed.rows);
      if (lines.length > 0 && parsed.text.trim()) process.stdout.write(`${parsed.text}\n`);
    });
    child.once('exit', (code, signal) => {
      const parsed = parseRows(pending);
      rows.push(...parsed.rows);
      if (parsed.text.trim()) process.stdout.write(`${parsed.text}\n`);
      resolve({ rows, code: code ?? (signal ? 128 : 1), ms: performance.now() - t0 });
    });
  });
}

// Ctrl-C reaches the running bench too (same process group): it stops its own children, then this
// process prints the table of what it has and runs no further bench.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});

const startedAt = new Date();
const loadBefore = loadavg();
console.log(
  `Stratus benchmarks: ${selected.map((b) => b.name).join(', ')} (node ${process.version}, ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, ${startedAt.toISOString()})`,
);
const rows: BenchRow[] = [];
const runs: Array<{ bench: string; exitCode: number; seconds: number }> = [];
for (const b of selected) {
  if (interrupted) break;
  console.log(`\n== ${b.name} (${b.file}${b.args ? ` ${b.args.join(' ')}` : ''})`);
  const r = await runBench(b);
  rows.push(...r.rows);
  runs.push({ bench: b.name, exitCode: r.code, seconds: Math.round(r.ms / 100) / 10 });
  if (r.code !== 0) console.log(`   ${b.name} failed (exit ${r.code}); its rows so far are kept`);
}
const loadAfter = loadavg();

console.log(
  `\nStratus benchmarks, ${rows.length} figures (ratio = figure / floor; floors measured in the same run unless the note says otherwise)`,
);
for (const line of formatTable(rows)) console.log(`  ${line}`);
const failed = runs.filter((r) => r.exitCode !== 0);
if (failed.length > 0)
  console.log(`  failed: ${failed.map((r) => `${r.bench} (exit ${r.exitCode})`).join(', ')}`);
console.log(
  `  load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
);

await mkdir(values.out.replace(/\/[^/]*$/, '') || '.', { recursive: true });
await writeFile(
  values.out,
  `${JSON.stringify(
    {
      date: startedAt.toISOString(),
      machine: {
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryMb: Math.round(totalmem() / 1048576),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
      },
      scale: values.scale,
      runs,
      rows: rows.map((r) => ({ ...r, met: met(r) ?? null })),
    },
    null,
    2,
  )}\n`,
);
console.log(`  written: ${values.out}`);
process.exit(failed.length > 0 ? 1 : 0);
