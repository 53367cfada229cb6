/**
 * What one cluster operation costs, counted (docs/cost.md): runs the local control plane with both
 * configured regions, as the product runs, with a counting proxy (bench/counting-proxy.ts) in front
 * of DynamoDB Local, fauxqs, the buses and the Kubernetes stand-ins, and an observer of every
 * Lambda invocation; performs N CREATEs, then N UPDATEs (a scale from 1 to 2 nodes), then N
 * DELETEs of `small` Qdrant clusters in the first region, each operation alone (sent, then waited
 * for until it ended and the pipeline is quiet: replication flushed, events published), and prints
 * per operation type what the operations caused, against the paper floor, with the price per 1,000.
 * Background work is measured apart: one reconciler run per region (with the N clusters, and with
 * none) and the queue pollers' empty receives.
 *
 * Run: `npm run bench -- cost` (or `node --import tsx bench/cost.ts`). Environment:
 * COST_N (operations per type, default 5), COST_READINESS_MS (the stand-in's readiness delay,
 * default 0: a CREATE finds its database ready at once, an UPDATE at its first poll),
 * COST_IDLE_MS (the idle window that counts polling, default 20000). Figures are also written to
 * the git-ignored `.bench/cost.json` (`.bench/cost-readiness-<ms>.json` with a readiness delay).
 * A benchmark prints figures and never asserts.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_RATE_LIMITS } from '../functions/shared/domain/rate-limit.js';
import { FUNCTIONS, type FunctionId, TABLE } from '../functions/topology.js';
import { startLocalControlPlane } from '../local/runtime/control-plane.js';
import { LOCAL_CREDENTIALS } from '../local/runtime/dynamodb.js';
import { apiClient, type HttpResult, shippedConfig } from '../test/helpers/local.js';
import type { Item } from './capacity.js';
import { parseKey, type Snapshot, since, startCountingProxy, type TallyKey } from './counting-proxy.js';
import { type BenchRow, emitRows, row } from './report.js';

const N = Number(process.env.COST_N ?? 5);
const READINESS_MS = Number(process.env.COST_READINESS_MS ?? 0);
const IDLE_MS = Number(process.env.COST_IDLE_MS ?? 20_000);
/** Progress, on stderr (the figures go to stdout). */
const progress = (line: string) => process.stderr.write(`[cost] ${line}\n`);

/**
 * Public prices, us-east-1, as docs/deploy.md ("Prices used") cites them, in dollars per unit.
 * Sources there and in docs/cost.md.
 */
export const PRICES = {
  rru: 0.125 / 1e6,
  wru: 0.625 / 1e6,
  /** Replicated writes: priced as write units (global tables billing). */
  rwru: 0.625 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** arm64, first 7.5 billion GB-s. */
  gbSecond: 0.0000133334,
  event: 1.0 / 1e6,
  /** EKS bills its control plane by the hour, not per API request. */
  kubeRequest: 0,
} as const;

export type OpType = 'CREATE' | 'UPDATE' | 'DELETE';
export type Line = 'rru' | 'wru' | 'rwru' | 'sqs' | 'invocations' | 'gbs' | 'events' | 'kube';

export const LINES: ReadonlyArray<{ line: Line; label: string; price: number }> = [
  { line: 'rru', label: 'DynamoDB read units (RRU)', price: PRICES.rru },
  { line: 'wru', label: 'DynamoDB write units, home region (WRU)', price: PRICES.wru },
  { line: 'rwru', label: 'DynamoDB replicated write units, other region (rWRU)', price: PRICES.rwru },
  { line: 'sqs', label: 'SQS requests', price: PRICES.sqsRequest },
  { line: 'invocations', label: 'Lambda invocations', price: PRICES.lambdaRequest },
  { line: 'gbs', label: 'Lambda GB-s (this machine)', price: PRICES.gbSecond },
  { line: 'events', label: 'EventBridge events (PutEvents entries)', price: PRICES.event },
  { line: 'kube', label: 'Kubernetes API calls', price: PRICES.kubeRequest },
];

/**
 * The paper floor of each line: what the design needs at least, for one operation alone, two
 * regions, items of at most 1 KB, an Idempotency-Key sent, a database ready at the first look
 * (CREATE) or at the first poll (UPDATE, DELETE). Derivations in docs/cost.md, "Floors". The GB-s
 * floor is an estimate from typical AWS latencies (docs/cost.md), not a count. A CREATE's key is
 * checked in its transaction (2 WRU) instead of read (1 RRU): docs/decisions.md, D29. A step's
 * claim rides on the start transition and on the transition that ends the operation at a poll.
 */
export const FLOORS: Readonly<Record<OpType, Readonly<Record<Line, number>>>> = {
  CREATE: { rru: 4, wru: 34, rwru: 19, sqs: 3, invocations: 6, gbs: 0.19, events: 6, kube: 13 },
  UPDATE: { rru: 8, wru: 28, rwru: 18, sqs: 6, invocations: 7, gbs: 0.22, events: 5, kube: 14 },
  DELETE: { rru: 7, wru: 28, rwru: 19, sqs: 6, invocations: 7, gbs: 0.125, events: 5, kube: 2 },
};

/** Requests that repeat whether or not anything happens: background, never an operation's. */
export function isPolling(k: TallyKey): boolean {
  if (k.service === 'sqs' && k.op === 'ReceiveMessage' && k.detail === 'empty') return true;
  // The replicator reads every replica's stream (a global table's replication, not billed as reads).
  return k.service === 'dynamodb' && k.client === 'replicator' && REPLICATOR_READS.has(k.op);
}

const REPLICATOR_READS = new Set([
  'GetRecords',
  'GetShardIterator',
  'DescribeStream',
  'ListStreams',
  'DescribeTable',
  'Scan',
  'GetItem',
]);

/**
 * The lines of one phase's counts, divided by `per`. GB-s are net of the time the meter added to
 * the functions' DynamoDB requests (`meterMs`: the counting proxy's waits and reads for sizing
 * writes, which Lambda would not spend), at each function's memory.
 */
export function linesOf(delta: Snapshot, per: number): Record<Line, number> {
  const out: Record<Line, number> = {
    rru: 0,
    wru: 0,
    rwru: 0,
    sqs: 0,
    invocations: 0,
    gbs: 0,
    events: 0,
    kube: 0,
  };
  for (const [key, f] of delta) {
    const k = parseKey(key);
    if (isPolling(k)) continue;
    const v = (name: string) => f[name] ?? 0;
    // Per-item tallies explain the units; the request tallies count them.
    if (k.service === 'dynamodb' && k.op === 'item') continue;
    if (k.service === 'dynamodb') {
      // Replicated writes land in the other regions; the functions write their own region's replica.
      if (k.client === 'replicator') out.rwru += v('wru');
      else {
        out.rru += v('rru');
        out.wru += v('wru');
      }
      const fn = FUNCTIONS[k.client as FunctionId] as (typeof FUNCTIONS)[FunctionId] | undefined;
      if (fn) out.gbs -= (fn.memoryMb / 1024) * (v('meterMs') / 1000);
    } else if (k.service === 'sqs') out.sqs += v('requests');
    else if (k.service === 'lambda') {
      out.invocations += v('requests');
      out.gbs += v('gbs');
    } else if (k.service === 'eventbridge') out.events += v('chunks');
    else if (k.service === 'kubernetes') out.kube += v('requests');
  }
  for (const l of Object.keys(out) as Line[]) out[l] /= per;
  return out;
}

/**
 * The floor's allowance of CPU per invocation, in ms (docs/cost.md, "Floors", GB-s): 10 for the
 * API and the provisioner, 5 for the dispatcher and the status publisher.
 */
export const FLOOR_CPU_MS: Readonly<Record<OpType, number>> = {
  CREATE: 10 + 5 + 10 + 3 * 5,
  UPDATE: 10 + 5 + 2 * 10 + 3 * 5,
  DELETE: 10 + 5 + 2 * 10 + 3 * 5,
};

/**
 * Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB: CPU-bound work of
 * `cpuMs` on one core takes `cpuMs x 1769 / memoryMb` there, which bills
 * `memoryMb / 1024 x that`: about 1.73 GB-s per CPU-second below 1,769 MB, whatever the memory.
 */
export function cpuGbs(memoryMb: number, cpuMs: number): number {
  return (memoryMb / 1024) * ((cpuMs * 1769) / Math.min(memoryMb, 1769) / 1000);
}

const TICKS_PER_SECOND = 100;

/** CPU ms of each function's live execution environments (worker threads, every region), Linux only. */
function functionCpuMs(hosts: ReadonlyArray<[string, { threadIds(): number[] }]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [fn, host] of hosts) {
    for (const tid of host.threadIds()) {
      let stat = '';
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // gone, or no /proc
      }
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND) * 1000;
      out.set(fn, (out.get(fn) ?? 0) + ms);
    }
  }
  return out;
}

const fmt = (v: number) =>
  v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
const money = (v: number) => (v === 0 ? '$0' : `$${v < 0.001 ? v.toFixed(5) : v.toFixed(4)}`);

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
  );
}

/** Every counter of a phase, divided by `per`: service, client, region, op, detail, then the fields. */
function breakdown(delta: Snapshot, per: number): string[] {
  const rows = [...delta]
    .map(([key, f]) => ({ k: parseKey(key), f }))
    .sort((a, b) =>
      `${a.k.service}${a.k.client}${a.k.op}`.localeCompare(`${b.k.service}${b.k.client}${b.k.op}`),
    )
    .map(({ k, f }) => [
      `${k.service} ${k.client}@${k.region} ${k.op}${k.detail ? ` (${k.detail})` : ''}${isPolling(k) ? ' [polling]' : ''}`,
      Object.entries(f)
        .filter(([, v]) => v !== 0)
        .map(([n, v]) => `${n}=${fmt(v / per)}`)
        .join(' '),
    ]);
  return rows.map(([a, b]) => `    ${a}: ${b}`);
}

async function main(): Promise<void> {
  const config = shippedConfig();
  const regions = config.regions.map((r) => r.region);
  const home = regions[0];
  if (!home || regions.length < 2) throw new Error('cdk.json configures fewer than two regions');

  const readers = new Map<string, DynamoDBClient>();
  const readItem = async (endpoint: string, region: string, tableName: string, key: Item) => {
    const id = `${endpoint} ${region}`;
    let db = readers.get(id);
    if (!db) {
      db = new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
      readers.set(id, db);
    }
    const res = await db.send(
      new GetItemCommand({ TableName: tableName, Key: key as never, ConsistentRead: true }),
    );
    return res.Item as Item | undefined;
  };
  const proxy = await startCountingProxy({
    readItem,
    keyAttributes: [TABLE.partitionKey, TABLE.sortKey],
    indexes: TABLE.indexes,
  });
  const t0 = performance.now();
  const plane = await startLocalControlPlane({
    config,
    readinessDelayMs: READINESS_MS,
    // The reconciler runs only when this bench runs it (background, counted apart).
    scheduleIntervalMs: 24 * 3600_000,
    echoFunctionLogs: false,
    functionLogLevel: 'ERROR',
    meter: {
      endpoint: (service, client, region, url) => proxy.endpoint(service, client, region, url),
      invocation: (fn, region, ms, failed) => {
        const billedMs = Math.ceil(ms);
        proxy.tallies.add(
          { service: 'lambda', client: fn, region, op: 'invoke', detail: failed ? 'failed' : '' },
          {
            requests: 1,
            ms,
            billedMs,
            gbs: (FUNCTIONS[fn as FunctionId].memoryMb / 1024) * (billedMs / 1000),
          },
        );
      },
    },
  });
  const startupMs = performance.now() - t0;
  progress(`control plane started in ${(startupMs / 1000).toFixed(1)} s`);
  // Interrupted (Ctrl-C, a timeout): stop every child process (DynamoDB Local's JVM) first.
  const interrupted = async () => {
    await plane.stop().catch(() => undefined);
    await proxy.stop().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const report: Record<string, unknown> = {
    at: new Date().toISOString(),
    node: process.version,
    n: N,
    readinessDelayMs: READINESS_MS,
    regions,
    startupMs,
    loadAverageAtStart: loadavg(),
  };
  const out: string[] = [];
  const print = (line: string) => {
    out.push(line);
    console.log(line);
  };
  try {
    // As a deployed tenant: the default rate limit (the local tenant's is far higher).
    await plane.store.tenants.setRateLimits(plane.tenantId, DEFAULT_RATE_LIMITS);
    const api = apiClient(plane.region(home).apiUrl, plane.apiKey);
    const run = `${Date.now().toString(36)}`;

    /** Waits until the pipeline is quiet: replication flushed, no counter but polling moving for 2 s. */
    const quiet = async () => {
      const moving = (s: Snapshot) =>
        JSON.stringify(
          [...s].filter(([k]) => !isPolling(parseKey(k))).sort(([a], [b]) => a.localeCompare(b)),
        );
      let last = '';
      let previous = proxy.tallies.snapshot();
      const until = Date.now() + 120_000;
      while (Date.now() < until) {
        await plane.replication?.flush();
        await new Promise((r) => setTimeout(r, 2000));
        const snap = proxy.tallies.snapshot();
        const now = moving(snap);
        if (now === last && proxy.inFlight() === 0) return;
        if (process.env.COST_DEBUG)
          progress(
            `moving: ${[...since(previous, snap).keys()].filter((k) => !isPolling(parseKey(k))).join(' | ')}`,
          );
        previous = snap;
        last = now;
      }
      progress('still not quiet after 120 s: counting on');
    };
    const settle = async (operationId: string) => {
      const until = Date.now() + 180_000;
      while (Date.now() < until) {
        const op = await plane.store.operations.get(plane.tenantId, operationId);
        if (op && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.status)) return op;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`operation ${operationId} did not end within 180 s`);
    };

    await quiet();
    const hosts = plane.regions.flatMap((r) => Object.entries(r.functions));
    const phases: Record<
      string,
      { delta: Snapshot; per: number; ms: number; failed: number; cpuMs: Record<string, number> }
    > = {};
    const clusters: string[] = [];
    const phase = async (type: OpType, send: (i: number) => Promise<HttpResult>) => {
      const before = proxy.tallies.snapshot();
      const cpuBefore = functionCpuMs(hosts);
      const started = performance.now();
      let failed = 0;
      for (let i = 0; i < N; i++) {
        const res = await send(i);
        if (res.status !== 202) throw new Error(`${type} ${i}: ${res.status} ${JSON.stringify(res.body)}`);
        const body = res.body as { cluster: { id: string }; operation: { id: string } };
        if (type === 'CREATE') clusters.push(body.cluster.id);
        const op = await settle(body.operation.id);
        if (op.status !== 'SUCCEEDED') failed++;
        await quiet();
        progress(`${type} ${i + 1}/${N}: ${op.status}`);
      }
      const cpuAfter = functionCpuMs(hosts);
      phases[type] = {
        delta: since(before, proxy.tallies.snapshot()),
        per: N,
        ms: performance.now() - started,
        failed,
        cpuMs: Object.fromEntries(
          [...cpuAfter]
            .map(([fn, ms]): [string, number] => [fn, (ms - (cpuBefore.get(fn) ?? 0)) / N])
            .filter(([, ms]) => ms > 0),
        ),
      };
    };
    const key = (type: string, i: number) => ({ 'idempotency-key': `cost-${run}-${type}-${i}` });
    await phase('CREATE', (i) =>
      api(
        'POST',
        '/v1/clusters',
        { name: `cost-${run}-${i}`, engine: 'qdrant', region: home, nodes: 1, size: 'small' },
        key('create', i),
      ),
    );
    await phase('UPDATE', (i) => api('PATCH', `/v1/clusters/${clusters[i]}`, { nodes: 2 }, key('update', i)));

    // Background with the N clusters: one reconciler run per region, then an idle window.
    const background: Record<string, { delta: Snapshot; per: number; ms: number }> = {};
    const reconcile = async (label: string) => {
      for (const region of regions) {
        const before = proxy.tallies.snapshot();
        const started = performance.now();
        for (const s of plane.region(region).triggers.schedules) await s.runNow();
        await quiet();
        background[`reconciler@${region}, ${label}`] = {
          delta: since(before, proxy.tallies.snapshot()),
          per: 1,
          ms: performance.now() - started,
        };
      }
    };
    await reconcile(`${N} clusters`);
    {
      const before = proxy.tallies.snapshot();
      const started = performance.now();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const ms = performance.now() - started;
      // Per minute.
      background['idle (per minute)'] = {
        delta: since(before, proxy.tallies.snapshot()),
        per: ms / 60_000,
        ms,
      };
    }

    await phase('DELETE', (i) => api('DELETE', `/v1/clusters/${clusters[i]}`, undefined, key('delete', i)));
    await reconcile('no cluster');

    report.loadAverageAtEnd = loadavg();
    print(
      `Cost per operation, ${regions.join(' + ')}, qdrant small; stand-in readiness ${READINESS_MS} ms; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores (GB-s are this machine's durations, not Lambda's)`,
    );
    const summary: Record<string, Record<string, unknown>> = {};
    const rows: BenchRow[] = [];
    for (const type of ['CREATE', 'UPDATE', 'DELETE'] as const) {
      const p = phases[type];
      if (!p) continue;
      const measured = linesOf(p.delta, p.per);
      print(
        `${type} (${N} operations, each alone; ${p.failed} not SUCCEEDED; ${(p.ms / N / 1000).toFixed(1)} s each incl. waiting for quiet)`,
      );
      const lines = [['  per operation', 'measured', 'floor', 'ratio', 'per 1,000']];
      let total = 0;
      for (const { line, label, price } of LINES) {
        const floor = FLOORS[type][line];
        const m = measured[line];
        total += m * price * 1000;
        rows.push(
          row({
            bench: 'cost',
            name: `${type} ${label}`,
            figure: m,
            unit: line === 'gbs' ? 'GB-s' : 'per op',
            floor,
            goal: { ratio: 1.25, source: 'issue #12' },
            note:
              line === 'gbs' ? 'floor: an estimate from typical AWS latencies' : `COST_N=${N}, paper floor`,
          }),
        );
        lines.push([
          `  ${label}`,
          fmt(m),
          fmt(floor),
          floor > 0 ? `${(m / floor).toFixed(2)}x` : '-',
          money(m * price * 1000),
        ]);
      }
      lines.push(['  total of these lines', '', '', '', money(total)]);
      rows.push(
        row({ bench: 'cost', name: `${type} price of these lines per 1,000`, figure: total, unit: '$' }),
      );
      for (const r of table(lines)) print(r);
      // Wall time on this machine is mostly waiting for a core: the functions' own CPU, and what
      // it would bill at Lambda's CPU share (docs/cost.md, "Lines above 1.25 times the floor").
      const cpu = Object.entries(p.cpuMs);
      const cpuTotal = cpu.reduce((a, [, ms]) => a + ms, 0);
      const cpuBilled = cpu.reduce((a, [fn, ms]) => a + cpuGbs(FUNCTIONS[fn as FunctionId].memoryMb, ms), 0);
      print(
        `  functions' CPU (thread time, 10 ms ticks): ${fmt(cpuTotal)} ms per operation (${cpu.map(([fn, ms]) => `${fn} ${fmt(ms)}`).join(', ')}), the floor allows ${FLOOR_CPU_MS[type]}; at Lambda's CPU share that CPU alone bills ${fmt(cpuBilled)} GB-s`,
      );
      rows.push(
        row({
          bench: 'cost',
          name: `${type} functions' CPU (this machine)`,
          figure: cpuTotal,
          unit: 'ms',
          floor: FLOOR_CPU_MS[type],
          note: "the floor's allowance: 10 ms per API or provisioner invocation, 5 per dispatcher or publisher",
        }),
      );
      print('  breakdown per operation:');
      for (const r of breakdown(p.delta, p.per)) print(r);
      summary[type] = {
        measured,
        floor: FLOORS[type],
        per1000: total,
        seconds: p.ms / 1000,
        cpuMs: p.cpuMs,
        cpuGbs: cpuBilled,
      };
    }
    print('Background (not counted in the operations above)');
    for (const [label, b] of Object.entries(background)) {
      const l = linesOf(b.delta, b.per);
      print(
        `  ${label}: ${LINES.map(({ line, label: name }) => `${name.replace(/ \(.*\)$/, '')} ${fmt(l[line])}`).join(', ')}`,
      );
      for (const r of breakdown(b.delta, b.per)) print(r);
    }
    print(
      `  (local pollers: 2 per queue, 1 s long polls; AWS's event source mapping long-polls 20 s with 5 pollers, docs/cost.md)`,
    );
    report.summary = summary;
    report.phases = Object.fromEntries(
      Object.entries(phases).map(([k, p]) => [k, { ...p, delta: Object.fromEntries(p.delta) }]),
    );
    report.background = Object.fromEntries(
      Object.entries(background).map(([k, b]) => [k, { ...b, delta: Object.fromEntries(b.delta) }]),
    );
    report.printed = out;
    await mkdir('.bench', { recursive: true });
    const file = READINESS_MS ? `.bench/cost-readiness-${READINESS_MS}.json` : '.bench/cost.json';
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    print(`written: ${file}`);
    emitRows(rows);
  } finally {
    await plane.stop();
    await proxy.stop();
    for (const db of readers.values()) db.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
