/**
 * `npm run bench -- --scale`: many creates through the local control plane, as `npm start` runs
 * it, and what they cost (issue #12). Figures only, never assertions.
 *
 *   node --import tsx bench/scale.ts [--clusters 1000] [--regions eu-west-1,us-east-1]
 *     [--concurrency 20] [--readiness-delay-ms 1500] [--memory | --data <dir>] [--settle-s 20]
 *     [--timeout-s 900] [--cpu-prof] [--log-level INFO] [--engine qdrant] [--out .bench] [--skip-floor]
 *
 * The control plane runs in a child process (`--serve`), started with the options `npm start`
 * uses (bin/local.ts: every region, a data folder, INFO logs to functions.log) plus the stand-in's
 * readiness delay (`--readiness-delay-ms 0`: workloads are ready at the first poll). Its data
 * folder is a fresh `<out>/data-<run>` unless `--data` names one; `--memory` keeps nothing on disk,
 * as the tests do. This process is the client: it creates a tenant-sized load (a tenant with a
 * quota of `--clusters` per region, created in the child), sends the creates round-robin over
 * the regions with `--concurrency` in flight (smallest size, one node), then polls each region's
 * API for READY clusters. It reports the accept time, READY per 10 s, the time to all READY,
 * clusters/s, and per process of the child's tree (the control plane with its worker threads, the
 * SQS emulator and the stand-ins in process; DynamoDB Local's JVM) RSS peak (VmHWM) and after
 * `--settle-s`, and CPU seconds. Results go to `<out>/scale-<run>.json` (git-ignored).
 *
 * Then, unless `--skip-floor`, bench/throughput-floor.ts runs the same creates' DynamoDB, SQS and
 * Kubernetes requests back to back without the pipeline, in a fresh control plane (its own
 * process): the floor of the READY throughput. `<out>/scale.svg` plots READY per region over time
 * (polled every 2 s from the first create on) and the POST latency percentiles per 5 s
 * (bench/scale-plot.ts); the rows of bench/report.ts go to stdout for `npm run bench`.
 *
 * `--cpu-prof` runs the child with `node --cpu-prof` (a profile per thread, the function workers
 * included) and prints where each thread spent its time; `--summarize <dir>` prints that again
 * for the profiles of an earlier run. `--heap-snapshot` writes a heap snapshot of the control plane's
 * main thread after the settle and prints what holds its memory (by constructor).
 *
 * Every exit path (an error, a timeout, Ctrl-C) stops the child, which stops its JVM; a child that
 * does not stop in time is killed with every process it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchRow, emitRows, parseRows, row } from './report.js';
import { type ScaleReport, scalePlotSvg } from './scale-plot.js';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    summarize: { type: 'string' },
    clusters: { type: 'string', default: '1000' },
    regions: { type: 'string', default: 'eu-west-1,us-east-1' },
    concurrency: { type: 'string', default: '20' },
    'readiness-delay-ms': { type: 'string', default: '1500' },
    memory: { type: 'boolean', default: false },
    data: { type: 'string' },
    'settle-s': { type: 'string', default: '20' },
    'timeout-s': { type: 'string', default: '900' },
    'cpu-prof': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'INFO' },
    engine: { type: 'string', default: 'qdrant' },
    out: { type: 'string', default: '.bench' },
    scale: { type: 'boolean', default: false }, // accepted from bench/run.ts
    'skip-floor': { type: 'boolean', default: false },
  },
});

/** What the parent hands the child, and what the child answers once it serves. */
interface ServeConfig {
  readonly regions: string[];
  readonly dataDir?: string;
  readonly readinessDelayMs: number;
  readonly logLevel: string;
  readonly clusters: number;
}
interface Serving {
  readonly apiUrls: Record<string, string>;
  readonly apiKey: string;
  readonly tenantId: string;
  readonly functionsLog: string;
  readonly startMs: number;
}
const READY_MARK = 'STRATUS_SCALE_READY ';
/** The control plane's main thread heap, every 5 s (worker threads have their own heaps, in RSS only). */
const HEAP_MARK = 'STRATUS_SCALE_HEAP ';
/** Which OS thread runs which function (`<function>@<region>` by thread id), every 5 s. */
const THREADS_MARK = 'STRATUS_SCALE_THREADS ';
/** The replicator's backlog and lag per link (the last 10,000 applies), every 5 s. */
const REPLICATION_MARK = 'STRATUS_SCALE_REPLICATION ';

// --- the control plane (child process) --------------------------------------------------------

async function serve(cfg: ServeConfig): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { parseConfig } = await import('../lib/config.js');
  const { startLocalControlPlane } = await import('../local/runtime/control-plane.js');
  const { createTenant } = await import('../functions/shared/tenants.js');
  const config = parseConfig(
    (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: { stratus?: unknown } }).context?.stratus,
  );
  const t0 = Date.now();
  const plane = await startLocalControlPlane({
    config,
    regions: cfg.regions,
    ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
    readinessDelayMs: cfg.readinessDelayMs,
    functionLogLevel: cfg.logLevel,
    echoFunctionLogs: false,
    print: (line) => console.log(line),
  });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    plane.stop().then(
      () => process.exit(code),
      (e: Error) => {
        console.error(`stop failed: ${e.message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(0));
  // The parent went away (even killed): stdin closes, and this process stops with its JVM.
  process.stdin.on('end', () => stop(0));
  process.stdin.resume();
  try {
    // A tenant with room for the whole load in every region, not throttled by the API's rate limit.
    const tenant = await createTenant(plane.store, 'scale-bench', {
      maxClusters: cfg.clusters,
      maxNodes: cfg.clusters,
      rateLimits: { rate: 1000, burst: 2000 },
      keyLifetimeHours: 24,
    });
    await plane.replication?.flush();
    const serving: Serving = {
      apiUrls: Object.fromEntries(plane.regions.map((r) => [r.region, r.apiUrl])),
      apiKey: tenant.apiKey,
      tenantId: tenant.tenantId,
      functionsLog: plane.functionsLog,
      startMs: Date.now() - t0,
    };
    console.log(`${READY_MARK}${JSON.stringify(serving)}`);
    const mb = (n: number) => Math.round(n / 1048576);
    setInterval(() => {
      const m = process.memoryUsage();
      console.log(
        `${HEAP_MARK}${JSON.stringify({ heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) })}`,
      );
      const threads: Record<string, string> = {};
      for (const r of plane.regions)
        for (const [fn, host] of Object.entries(r.functions))
          for (const tid of host.threadIds()) threads[tid] = `${fn}@${r.region}`;
      console.log(`${THREADS_MARK}${JSON.stringify(threads)}`);
      const stats = plane.replication?.stats();
      if (stats)
        console.log(
          `${REPLICATION_MARK}${JSON.stringify(
            stats.links.map((l) => ({
              link: `${l.from}>${l.to}`,
              queued: l.queued,
              applied: l.applied,
              lagP50: l.lag.sinceObserved.p50,
              lagP99: l.lag.sinceObserved.p99,
              lagMax: l.lag.sinceObserved.max,
            })),
          )}`,
        );
    }, 5000).unref();
  } catch (e) {
    console.error(`scale bench: ${(e as Error).message}`);
    stop(1);
  }
}

// --- the load (this process) --------------------------------------------------------------------

interface ProcSample {
  readonly pid: number;
  readonly name: string;
  readonly rssMb: number;
  readonly hwmMb: number;
  readonly cpuS: number;
}

async function main(): Promise<void> {
  const n = positive('clusters', values.clusters);
  const concurrency = positive('concurrency', values.concurrency);
  const readinessDelayMs = nonNegative('readiness-delay-ms', values['readiness-delay-ms']);
  const settleS = nonNegative('settle-s', values['settle-s']);
  const timeoutMs = positive('timeout-s', values['timeout-s']) * 1000;
  const regions = values.regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const run = new Date().toISOString().replace(/[:.]/g, '-');
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });
  const dataDir = values.memory ? undefined : resolve(values.data ?? join(out, `data-${run}`));
  const profDir = join(out, `prof-${run}`);
  const logFile = join(out, `scale-${run}.log`);
  const report: Record<string, unknown> = {
    run,
    node: process.version,
    params: { clusters: n, regions, concurrency, readinessDelayMs, dataDir: dataDir ?? 'memory', settleS },
  };
  console.log(
    `scale: ${n} creates over ${regions.join(', ')}, ${concurrency} in flight, readiness ${readinessDelayMs} ms, data ${dataDir ?? 'in memory'}`,
  );

  const child = spawn(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
      ...(values['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2', '--diagnostic-dir', profDir] : []),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--serve',
      JSON.stringify({
        regions,
        ...(dataDir ? { dataDir } : {}),
        readinessDelayMs,
        logLevel: values['log-level'],
        clusters: n,
      } satisfies ServeConfig),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const tree = new ProcessTree(child);
  const sampler = new Sampler(tree);
  // Whatever happens to this process, the child's tree goes with it.
  const killAll = () => tree.kill();
  process.on('exit', killAll);
  // Ends the run early: Ctrl-C, or the control plane died (e.g. out of memory).
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.once(signal, () => reject(new Error(`interrupted (${signal})`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`the control plane exited (${code ?? signal}) during the run; see ${logFile}`)),
    );
  });
  interrupted.catch(() => undefined);
  const logLines: string[] = [];
  const keep = (line: string) => {
    logLines.push(line);
  };
  const serving = new Promise<Serving>((ok, fail) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith(READY_MARK)) ok(JSON.parse(line.slice(READY_MARK.length)) as Serving);
      else if (line.startsWith(HEAP_MARK)) sampler.heap(JSON.parse(line.slice(HEAP_MARK.length)));
      else if (line.startsWith(REPLICATION_MARK))
        sampler.replication.push({
          t: Math.round((Date.now() - sampler.t0) / 1000),
          links: JSON.parse(line.slice(REPLICATION_MARK.length)),
        });
      else if (line.startsWith(THREADS_MARK))
        Object.assign(sampler.threadNames, JSON.parse(line.slice(THREADS_MARK.length)));
      else keep(line);
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) =>
      keep(`stderr: ${line}`),
    );
    child.once('exit', (code, signal) =>
      fail(new Error(`the control plane exited (${code ?? signal}) before serving; see ${logFile}`)),
    );
  });
  serving.catch(() => undefined);

  sampler.start();
  try {
    const t0 = Date.now();
    const s = await Promise.race([serving, interrupted, timeout(300_000, 'the control plane start')]);
    report.startMs = Date.now() - t0;
    console.log(`  control plane up in ${report.startMs} ms (pid ${child.pid})`);

    await runLoad(s, { n, concurrency, regions, engine: values.engine, run, timeoutMs }, interrupted, report);
    console.log(`  settling ${settleS} s...`);
    await Promise.race([sleep(settleS * 1000), interrupted]);
    report.processes = processFigures(sampler.peak, tree.sample());
    report.timeline = sampler.timeline;
    report.otherLoad = machineFigures(sampler.timeline);
    report.mainHeap = heapFigures(sampler.heaps);
    report.threadCpu = threadCpu(child.pid ?? 0, sampler.threadNames);
    report.replication = sampler.replication;
    if (values['heap-snapshot']) report.heapSnapshot = await takeHeapSnapshot(child, profDir);
  } catch (e) {
    report.error = (e as Error).message;
    console.error(`scale: ${(e as Error).message}`);
    report.processes = processFigures(sampler.peak, tree.sample());
    report.timeline = sampler.timeline;
    report.otherLoad = machineFigures(sampler.timeline);
    report.mainHeap = heapFigures(sampler.heaps);
  } finally {
    sampler.stop();
    const stopStart = Date.now();
    const graceful = await tree.stop(60_000);
    report.stop = { ms: Date.now() - stopStart, graceful };
    process.off('exit', killAll);
    await writeFile(logFile, `${logLines.join('\n')}\n`);
  }
  if (values['cpu-prof']) {
    report.cpuProfile = await summarizeProfiles(profDir);
  }
  // The floor of the same work without the pipeline, once the control plane has stopped.
  const floor =
    values['skip-floor'] || report.error ? undefined : await throughputFloor(n, regions, concurrency);
  if (floor) report.floor = floor;
  const file = join(out, `scale-${run}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const svg = join(out, 'scale.svg');
  await writeFile(svg, scalePlotSvg(report as ScaleReport));
  printReport(report);
  console.log(`  results ${file}; plot ${svg}; control plane output ${logFile}`);
  emitRows(scaleRows(report, floor));
  if (dataDir && !values.data) await rm(dataDir, { recursive: true, force: true });
  process.exit(report.error ? 1 : 0);
}

/** bench/throughput-floor.ts in its own process, at the same load: its clusters/s and printed lines. */
async function throughputFloor(
  n: number,
  regions: readonly string[],
  concurrency: number,
): Promise<{ clustersPerSecond: number; rows: BenchRow[] } | undefined> {
  console.log(`  throughput floor: the same ${n} creates without the pipeline...`);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./throughput-floor.ts', import.meta.url)),
      '--clusters',
      String(n),
      '--regions',
      regions.join(','),
      '--concurrency',
      String(concurrency),
      '--out',
      resolve(values.out),
      ...(values.memory ? ['--memory'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    stdout += c;
  });
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  const { rows, text } = parseRows(stdout);
  for (const line of text.split('\n').filter(Boolean)) console.log(`  ${line}`);
  const rate = rows[0]?.figure;
  if (code !== 0 || rate === undefined) {
    console.error(`  throughput floor failed (exit ${code})`);
    return undefined;
  }
  return { clustersPerSecond: rate, rows };
}

/** The rows of bench/report.ts: throughput against its floor, accept latency, memory per process. */
function scaleRows(
  r: Record<string, unknown>,
  floor: { clustersPerSecond: number; rows: BenchRow[] } | undefined,
) {
  const n = (r.params as { clusters: number }).clusters;
  const rows: BenchRow[] = [];
  const rate = r.readyPerSecond as number | null | undefined;
  rows.push(
    row({
      bench: 'scale',
      name: `READY throughput, ${n} creates, readiness ${(r.params as { readinessDelayMs: number }).readinessDelayMs} ms`,
      figure: rate ?? 0,
      unit: 'clusters/s',
      ...(floor ? { floor: floor.clustersPerSecond } : {}),
      goal: { min: 50, source: 'issue #12' },
      note: rate ? 'floor: bench/throughput-floor.ts, same load' : `not all READY: ${r.ready ?? 0} of ${n}`,
    }),
  );
  if (r.allReadyS)
    rows.push(row({ bench: 'scale', name: `all ${n} READY`, figure: r.allReadyS as number, unit: 's' }));
  const accept = r.accept as { latencyMs: { p50: number; p99: number } } | undefined;
  if (accept) {
    rows.push(
      row({
        bench: 'scale',
        name: 'POST /v1/clusters p50 under load',
        figure: accept.latencyMs.p50,
        unit: 'ms',
      }),
    );
    rows.push(
      row({
        bench: 'scale',
        name: 'POST /v1/clusters p99 under load',
        figure: accept.latencyMs.p99,
        unit: 'ms',
      }),
    );
  }
  for (const p of (r.processes as Array<{ name: string; peakRssMb: number; settledRssMb: number | null }>) ??
    []) {
    if (p.settledRssMb === null) continue; // gone before the end (esbuild's service, a first JVM)
    rows.push(
      row({
        bench: 'scale',
        name: `${p.name} RSS settled (peak ${p.peakRssMb} MB)`,
        figure: p.settledRssMb,
        unit: 'MB',
      }),
    );
  }
  return rows;
}

interface LoadOptions {
  readonly n: number;
  readonly concurrency: number;
  readonly regions: readonly string[];
  readonly engine: string;
  readonly run: string;
  readonly timeoutMs: number;
}

/** Sends the creates and waits for READY; figures go into `report` as they come (a failed run keeps them). */
async function runLoad(
  s: Serving,
  o: LoadOptions,
  interrupted: Promise<never>,
  report: Record<string, unknown>,
): Promise<void> {
  const api = async (region: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.apiUrls[region]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${s.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: figures only; fields are read defensively
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, retryAfter: Number(res.headers.get('retry-after') ?? 0) };
  };

  // Creates: round-robin over the regions, `concurrency` in flight; 409/429/503 are retried.
  const tag = o.run.slice(11, 19).replace(/-/g, '');
  const acceptMs: number[] = [];
  /** Each accepted create: [seconds since the first send, its POST latency in ms], for the plot. */
  const acceptSamples: Array<[number, number]> = [];
  report.acceptSamples = acceptSamples;
  const retries: Record<string, number> = {};
  let next = 0;
  const t0 = Date.now();
  const sender = async () => {
    for (;;) {
      const i = next++;
      if (i >= o.n) return;
      const region = o.regions[i % o.regions.length] as string;
      const body = { name: `s${tag}-${i}`, engine: o.engine, region, nodes: 1, size: 'small' };
      for (let attempt = 0; ; attempt++) {
        const t = Date.now();
        const res = await api(region, 'POST', '/v1/clusters', body).catch((e: Error) => ({
          status: 0,
          body: e.message,
          retryAfter: 0,
        }));
        if (res.status === 202) {
          acceptMs.push(Date.now() - t);
          acceptSamples.push([Math.round((Date.now() - t0) / 100) / 10, Date.now() - t]);
          break;
        }
        const why = `${res.status} ${typeof res.body === 'object' ? res.body?.code : res.body}`;
        retries[why] = (retries[why] ?? 0) + 1;
        if (![0, 409, 429, 500, 503].includes(res.status) || attempt >= 20)
          throw new Error(`create ${body.name} in ${region}: ${why} after ${attempt + 1} attempt(s)`);
        await sleep(res.retryAfter > 0 ? res.retryAfter * 1000 : Math.min(100 * 2 ** attempt, 5000));
      }
    }
  };
  // READY, as each region's API shows its own clusters.
  const countReady = async (): Promise<number | undefined> => {
    let total = 0;
    const byRegion: Record<string, number> = {};
    try {
      for (const region of o.regions) {
        const before = total;
        let token: string | undefined;
        do {
          const q = `?status=READY&region=${region}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
          const res = await api(region, 'GET', `/v1/clusters${q}`);
          if (res.status !== 200) return undefined;
          total += (res.body.items ?? res.body.clusters ?? []).length;
          token = res.body.nextToken;
        } while (token);
        byRegion[region] = total - before;
      }
      readySeries.push({ t: Math.round((Date.now() - t0) / 100) / 10, byRegion, total });
      return total;
    } catch {
      return undefined; // the API did not answer in time
    }
  };
  /** READY clusters per region at every poll (about every 2 s), for the plot. */
  const readySeries: Array<{ t: number; byRegion: Record<string, number>; total: number }> = [];
  report.readySeries = readySeries;
  // READY while the creates are still being sent too (every 2 s), for the plot.
  let accepting = true;
  const earlyPolls = (async () => {
    while (accepting) {
      await countReady();
      await sleep(2000);
    }
  })();
  try {
    await Promise.race([Promise.all(Array.from({ length: o.concurrency }, sender)), interrupted]);
  } finally {
    accepting = false;
  }
  await earlyPolls;
  const acceptedAt = Date.now();
  const acceptS = (acceptedAt - t0) / 1000;
  const sorted = [...acceptMs].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  report.accept = {
    seconds: acceptS,
    perSecond: o.n / acceptS,
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: sorted.at(-1) ?? 0 },
    retries,
  };
  console.log(`  ${o.n} creates accepted in ${acceptS.toFixed(1)} s (${(o.n / acceptS).toFixed(1)}/s)`);

  const per10s: Array<{ t: number; ready: number | null }> = [];
  report.readyPer10s = per10s;
  let ready = 0;
  let unanswered = 0;
  let allReadyS: number | undefined;
  let nextMark = 10;
  for (;;) {
    const c = await countReady();
    const t = (Date.now() - t0) / 1000;
    if (c === undefined) unanswered++;
    else ready = c;
    report.ready = ready;
    report.unansweredPolls = unanswered;
    while (t >= nextMark) {
      per10s.push({ t: nextMark, ready: c ?? null });
      console.log(
        `  t=${String(nextMark).padStart(4)} s  READY ${c ?? `? (API did not answer; last ${ready})`}`,
      );
      nextMark += 10;
    }
    if (ready >= o.n) {
      allReadyS = t;
      break;
    }
    if (Date.now() - t0 > o.timeoutMs) break;
    await Promise.race([sleep(2000), interrupted]);
  }
  report.allReadyS = allReadyS ?? null;
  report.readyPerSecond = allReadyS ? o.n / allReadyS : null;
  // From the last accept: how fast the pipeline drains what is queued.
  report.drainPerSecond = allReadyS ? o.n / (allReadyS - acceptS) : null;
}

// --- processes -------------------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux
/** The child and every process it started (DynamoDB Local's JVM, in its own process group). */
class ProcessTree {
  private readonly known = new Map<number, string>();
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((ok) => child.once('exit', () => ok()));
    if (child.pid) this.known.set(child.pid, 'control plane (node)');
  }

  /** Every live process of the tree, found through /proc (parent pids). */
  pids(): Map<number, string> {
    const root = this.child.pid;
    if (!root) return new Map();
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readText(`/proc/${entry}/stat`);
      const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : Number.NaN;
      if (Number.isFinite(ppid)) parents.set(Number(entry), ppid);
    }
    const out = new Map<number, string>();
    const visit = (pid: number) => {
      if (!parents.has(pid)) return;
      out.set(pid, this.known.get(pid) ?? nameOf(pid));
      for (const [p, pp] of parents) if (pp === pid) visit(p);
    };
    visit(root);
    for (const [pid, name] of out) if (!this.known.has(pid)) this.known.set(pid, name);
    return out;
  }

  sample(): ProcSample[] {
    const out: ProcSample[] = [];
    for (const [pid, name] of this.pids()) {
      const status = readText(`/proc/${pid}/status`);
      const stat = readText(`/proc/${pid}/stat`);
      if (!status || !stat) continue;
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({
        pid,
        name,
        rssMb: kb('VmRSS') / 1024,
        hwmMb: kb('VmHWM') / 1024,
        cpuS: (Number(f[11]) + Number(f[12])) / TICKS,
      });
    }
    return out;
  }

  /** SIGTERM (the child stops its JVM), then, past `graceMs`, SIGKILL for every process of the tree. */
  async stop(graceMs: number): Promise<boolean> {
    this.pids(); // remember the JVM's pid before its parent goes
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const graceful = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    this.kill();
    return graceful;
  }

  /** SIGKILL to every process of the tree seen so far (and their groups). Synchronous. */
  kill(): void {
    for (const pid of this.known.keys()) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }
}

function nameOf(pid: number): string {
  const cmd = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
  if (/DynamoDBLocal/.test(cmd)) return 'DynamoDB Local (java)';
  if (/esbuild/.test(cmd)) return 'esbuild service (bundling)';
  return cmd.slice(0, 60) || `pid ${pid}`;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Samples the tree every second: peak RSS per process and a timeline (every 5 s). */
class Sampler {
  readonly peak = new Map<number, ProcSample>();
  /** The replicator's links over time. */
  readonly replication: Array<{ t: number; links: unknown }> = [];
  /** Function worker threads of the control plane: OS thread id -> `<function>@<region>`. */
  readonly threadNames: Record<string, string> = {};
  /** The main thread's heap as the control plane reports it. */
  readonly heaps: Array<{ t: number } & Record<string, number>> = [];
  readonly timeline: Array<{
    t: number;
    rssMb: Record<string, number>;
    cpuS: Record<string, number>;
    /** CPU seconds used on the machine by processes outside this run (another engineer's tests). */
    otherCpuS: number;
  }> = [];
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  readonly t0 = Date.now();
  private readonly machine0 = machineCpuS();
  private readonly own0 = ownCpuS();
  private tree0 = 0;

  constructor(private readonly tree: ProcessTree) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  heap(figures: Record<string, number>): void {
    this.heaps.push({ t: Math.round((Date.now() - this.t0) / 1000), ...figures });
  }

  private tick(): void {
    const samples = this.tree.sample();
    // CPU of the tree's processes that exited (e.g. esbuild's service) is not counted: small.
    const treeCpu = samples.reduce((n, s) => n + s.cpuS, 0);
    for (const s of samples) {
      const p = this.peak.get(s.pid);
      if (!p || s.rssMb > p.rssMb || s.hwmMb > p.hwmMb || s.cpuS > p.cpuS)
        this.peak.set(s.pid, {
          ...s,
          rssMb: Math.max(s.rssMb, p?.rssMb ?? 0),
          hwmMb: Math.max(s.hwmMb, p?.hwmMb ?? 0),
        });
    }
    if (this.ticks++ % 5 === 0) {
      this.timeline.push({
        t: Math.round((Date.now() - this.t0) / 1000),
        rssMb: Object.fromEntries(samples.map((s) => [s.name, Math.round(s.rssMb)])),
        cpuS: Object.fromEntries(samples.map((s) => [s.name, Math.round(s.cpuS * 10) / 10])),
        otherCpuS:
          Math.round(
            (machineCpuS() - this.machine0 - (treeCpu - this.tree0) - (ownCpuS() - this.own0)) * 10,
          ) / 10,
      });
    }
  }
}

/** CPU seconds the whole machine spent busy since boot (/proc/stat: user, nice, system, irq, softirq, steal). */
function machineCpuS(): number {
  const f = (readText('/proc/stat') ?? '').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / TICKS;
}

/** CPU seconds of this process (the load generator). */
function ownCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU the rest of the machine used during the run: another engineer's work slows this one. */
function machineFigures(timeline: ReadonlyArray<{ t: number; otherCpuS: number }>) {
  const last = timeline.at(-1);
  return {
    otherCpuS: last?.otherCpuS ?? 0,
    otherCores: last && last.t > 0 ? Math.round((100 * last.otherCpuS) / last.t) / 100 : 0,
  };
}

/**
 * CPU seconds of the control plane's threads, by what they run: the main thread (triggers, the API
 * gateway, the SQS emulator, the buses, the Kubernetes stand-ins, the replicator), each function's
 * worker threads (both regions together), and the rest (V8's GC and compiler helpers, libuv's
 * file system pool). Real CPU time, unlike a profile's samples, which count a thread waiting for a
 * core as busy.
 */
function threadCpu(pid: number, names: Record<string, string>) {
  const cpuOf = (tid: string) => {
    const stat = readText(`/proc/${pid}/task/${tid}/stat`);
    if (!stat) return 0;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  };
  const out: Record<string, number> = {};
  let total = 0;
  for (const tid of existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : []) {
    const cpu = cpuOf(tid);
    total += cpu;
    const name =
      tid === String(pid) ? 'main thread' : names[tid] ? `fn ${names[tid]?.split('@')[0]}` : 'other threads';
    out[name] = (out[name] ?? 0) + cpu;
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [
        k,
        { cpuS: Math.round(v * 10) / 10, pct: Math.round((1000 * v) / Math.max(total, 0.01)) / 10 },
      ]),
  );
}

/** The main thread's heap: peak and last (after the settle), and every sample. */
function heapFigures(heaps: ReadonlyArray<{ t: number } & Record<string, number>>) {
  const used = heaps.map((h) => h.heapUsedMb ?? 0);
  return {
    peakUsedMb: Math.max(0, ...used),
    lastUsedMb: used.at(-1) ?? null,
    last: heaps.at(-1) ?? null,
    samples: heaps,
  };
}

function processFigures(peak: Map<number, ProcSample>, now: ProcSample[]) {
  return [...peak.values()].map((p) => {
    const current = now.find((s) => s.pid === p.pid);
    return {
      pid: p.pid,
      name: p.name,
      peakRssMb: Math.round(Math.max(p.hwmMb, p.rssMb)),
      settledRssMb: current ? Math.round(current.rssMb) : null,
      cpuS: Math.round((current?.cpuS ?? p.cpuS) * 10) / 10,
    };
  });
}

// --- CPU profiles ------------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Per thread (one .cpuprofile each): busy time, and the functions and files with most self time. */
async function summarizeProfiles(dir: string) {
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const threads = [];
  for (const f of files) {
    const p = JSON.parse(await readFile(join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    for (const [i, id] of p.samples.entries()) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
    const fns = new Map<string, number>();
    const sources = new Map<string, number>();
    let idle = 0;
    let total = 0;
    for (const [id, us] of self) {
      const node = byId.get(id);
      if (!node) continue;
      total += us;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') {
        if (functionName === '(idle)') idle += us;
      }
      const name = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
      fns.set(name, (fns.get(name) ?? 0) + us);
      const src = sourceOf(url, functionName);
      sources.set(src, (sources.get(src) ?? 0) + us);
    }
    // Shares of the busy time (idle left out).
    const busy = Math.max(1, total - idle);
    const top = (m: Map<string, number>, k: number) =>
      [...m]
        .filter(([name]) => !name.startsWith('(idle)'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([name, us]) => ({
          name,
          ms: Math.round(us / 1000),
          pct: Math.round((1000 * us) / busy) / 10,
        }));
    threads.push({
      file: f,
      thread: threadOf(p),
      wallS: Math.round((p.endTime - p.startTime) / 1e5) / 10,
      busyS: Math.round((total - idle) / 1e5) / 10,
      topFunctions: top(fns, 15),
      topSources: top(sources, 10),
    });
  }
  return threads.sort((a, b) => b.busyS - a.busyS);
}

/** Names a thread by the function bundle it loaded (workers) or as the main thread. */
function threadOf(p: Profile): string {
  const bundles = new Set<string>();
  for (const n of p.nodes) {
    const m = /\.build\/functions\/(?:[\w-]+\/)?([\w-]+)\/index\.mjs$/.exec(n.callFrame.url);
    if (m?.[1] && m[1] !== 'local-worker') bundles.add(m[1]);
  }
  return bundles.size > 0 ? `worker: ${[...bundles].join(',')}` : 'main';
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*?\/(node_modules|local|functions|\.build|bench|lib)\//, '$1/');
}

function sourceOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1] && !url.includes('.build/')) return nm[1];
  if (url.startsWith('node:')) return url;
  return shortUrl(url).split('/').slice(0, 3).join('/');
}

// --- heap snapshot ---------------------------------------------------------------------------

/** Signals the child (started with --heapsnapshot-signal) and summarises the snapshot it writes. */
async function takeHeapSnapshot(child: ChildProcess, dir: string) {
  await mkdir(dir, { recursive: true });
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  child.kill('SIGUSR2');
  const deadline = Date.now() + 180_000;
  let file: string | undefined;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await sleep(2000);
    file ??= readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === lastSize) break;
    lastSize = size;
  }
  if (!file) return { error: 'no heap snapshot was written' };
  console.log(`  heap snapshot ${join(dir, file)}`);
  return { file: join(dir, file), ...summarizeHeapSnapshot(await readFile(join(dir, file), 'utf8')) };
}

/** Self size by node type and constructor name: what holds the heap. */
function summarizeHeapSnapshot(text: string) {
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    const size = snap.nodes[i + sizeAt] as number;
    const name =
      type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt] as number] : '';
    const key = `${type}${name ? ` ${name}` : ''}`;
    const e = by.get(key) ?? { bytes: 0, count: 0 };
    e.bytes += size;
    e.count++;
    by.set(key, e);
    total += size;
  }
  return {
    totalMb: Math.round(total / 1048576),
    top: [...by]
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, 25)
      .map(([name, e]) => ({ name, mb: Math.round((10 * e.bytes) / 1048576) / 10, count: e.count })),
  };
}

// --- report ------------------------------------------------------------------------------------

function printReport(r: Record<string, unknown>): void {
  const load = r as {
    accept?: { seconds: number; perSecond: number };
    allReadyS?: number | null;
    readyPerSecond?: number | null;
    drainPerSecond?: number | null;
    ready?: number;
    processes?: Array<{
      name: string;
      pid: number;
      peakRssMb: number;
      settledRssMb: number | null;
      cpuS: number;
    }>;
    cpuProfile?: Array<{
      thread: string;
      busyS: number;
      wallS: number;
      topFunctions: Array<{ name: string; ms: number; pct: number }>;
    }>;
  };
  console.log('scale results');
  if (r.error) console.log(`  error           ${String(r.error)}`);
  const other = r.otherLoad as { otherCpuS: number; otherCores: number } | undefined;
  if (other)
    console.log(
      `  other processes ${other.otherCpuS} CPU s during the run (${other.otherCores} of the machine's cores on average)`,
    );
  if (load.accept)
    console.log(
      `  accept          ${load.accept.seconds.toFixed(1)} s (${load.accept.perSecond.toFixed(1)}/s)`,
    );
  console.log(
    `  all READY       ${load.allReadyS ? `${load.allReadyS.toFixed(1)} s` : `not reached (READY ${load.ready ?? 0})`}` +
      (load.readyPerSecond
        ? `  ${load.readyPerSecond.toFixed(2)} clusters/s (${load.drainPerSecond?.toFixed(2)}/s after the last accept)`
        : ''),
  );
  const threads = r.threadCpu as Record<string, { cpuS: number; pct: number }> | undefined;
  if (threads)
    console.log(
      `  control plane CPU by thread: ${Object.entries(threads)
        .map(([k, v]) => `${k} ${v.cpuS} s (${v.pct}%)`)
        .join(', ')}`,
    );
  const replication = r.replication as
    | Array<{ t: number; links: Array<{ link: string; queued: number; lagP99: number; lagMax: number }> }>
    | undefined;
  for (const link of replication?.at(-1)?.links.map((l) => l.link) ?? []) {
    const series = (replication ?? []).map((x) => ({ t: x.t, l: x.links.find((l) => l.link === link) }));
    const peak = series.reduce((m, x) => ((x.l?.queued ?? 0) > (m?.l?.queued ?? 0) ? x : m), series[0]);
    const last = series.at(-1)?.l;
    console.log(
      `  replication ${link}: backlog peak ${peak?.l?.queued ?? 0} writes at t=${peak?.t} s; lag p99 ${last?.lagP99} ms, max ${last?.lagMax} ms (last 10,000 applies)`,
    );
  }
  const heap = r.mainHeap as { peakUsedMb: number; lastUsedMb: number | null } | undefined;
  if (heap)
    console.log(`  main thread heap used: peak ${heap.peakUsedMb} MB, settled ${heap.lastUsedMb ?? '-'} MB`);
  for (const p of load.processes ?? [])
    console.log(
      `  ${p.name.padEnd(28)} pid ${String(p.pid).padEnd(8)} peak RSS ${String(p.peakRssMb).padStart(5)} MB  settled ${String(p.settledRssMb ?? '-').padStart(5)} MB  CPU ${p.cpuS} s`,
    );
  const snapshot = r.heapSnapshot as
    | { totalMb?: number; top?: Array<{ name: string; mb: number; count: number }> }
    | undefined;
  if (snapshot?.top) {
    console.log(`  main thread heap snapshot: ${snapshot.totalMb} MB`);
    for (const e of snapshot.top.slice(0, 15))
      console.log(`      ${String(e.mb).padStart(7)} MB  ${String(e.count).padStart(8)}  ${e.name}`);
  }
  for (const t of load.cpuProfile ?? []) {
    console.log(`  profile ${t.thread}: busy ${t.busyS} s of ${t.wallS} s (shares of the busy time)`);
    for (const f of t.topFunctions.slice(0, 8)) console.log(`      ${String(f.pct).padStart(5)}%  ${f.name}`);
  }
}

// --- helpers -----------------------------------------------------------------------------------

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a whole number above 0, got ${v}`);
  return n;
}

function nonNegative(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, 0 or more, got ${v}`);
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
    t.unref();
  });
}

// Last: the classes above are initialised by now.
if (values.serve !== undefined) await serve(JSON.parse(values.serve) as ServeConfig);
else if (values.summarize !== undefined)
  printReport({ cpuProfile: await summarizeProfiles(values.summarize) });
else if (import.meta.url === `file://${process.argv[1]}`) await main();
