/**
 * The reconciler at scale (issue #12): seeds N READY clusters in one region (DynamoDB items written
 * directly, and the objects their blueprints render put into the Kubernetes stand-in through its
 * own server-side apply, in process, then loaded from a snapshot file), then runs the real
 * reconciler (`reconcile`, functions/reconciler/run.ts) against DynamoDB Local and the stand-in
 * over HTTP, run after run (each with a Lambda's 50 s budget) until its drift sweep ends a cycle.
 *
 * Two sweeps: one timed (direct connections), one counted (through bench/counting-proxy.ts, which
 * adds a hop, so it is not timed). The floor is measured in the same run without Stratus: one
 * paged list per kind the blueprints render, cluster-wide with the managed-by selector, back to
 * back; and, since RBAC lets the reconciler read each credential Secret only by name
 * (docs/eks.md), the same plus one GET per Secret.
 *
 * Run: `npx tsx bench/reconciler-scale.ts [--clusters N] [--page-size N] [--max-runs N]
 * [--standin-process]` (N clusters per region, default 10000; at most `--max-runs` reconciler runs
 * per sweep, default 200; `--standin-process` serves the stand-in from a child process, so that its
 * CPU is not the reconciler's). Prints clusters, runs, seconds, the peak heap (sampled every
 * 100 ms), Kubernetes calls by verb, DynamoDB calls, the floor and the ratios, and writes
 * `.bench/reconciler-scale.json`. Figures, never assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_DEV = 'false';

import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { RECONCILER_NAMESPACE, type ReconcileResult, reconcile } from '../functions/reconciler/run.js';
import type { ClusterRecord } from '../functions/shared/domain/records.js';
import { SIZES } from '../functions/shared/domain/sizes.js';
import { specOf } from '../functions/shared/domain/spec.js';
import { engineNames, getBlueprint } from '../functions/shared/engines/registry.js';
import { LABELS, MANAGED_BY } from '../functions/shared/engines/tenancy.js';
import { newId } from '../functions/shared/ids.js';
import { kubeAccess } from '../functions/shared/kube/access.js';
import { createLogger } from '../functions/shared/logger.js';
import { createMetrics } from '../functions/shared/observability.js';
import { clusterItem, Store } from '../functions/shared/store/store.js';
import { Sweeps } from '../functions/shared/store/sweeps.js';
import { TABLE } from '../functions/topology.js';
import type { JsonObject } from '../local/kube-standin/fields.js';
import { BUILTIN_KINDS, DEFAULT_EXTRA_KINDS, toKindInfo } from '../local/kube-standin/resources.js';
import { startKubeStandin } from '../local/kube-standin/server.js';
import { ObjectStore } from '../local/kube-standin/store.js';
import {
  ensureTable,
  LOCAL_CREDENTIALS,
  type LocalDynamo,
  startDynamoLocal,
} from '../local/runtime/dynamodb.js';
import { parseKey, startCountingProxy } from './counting-proxy.js';

const REGION = 'eu-west-1';
const EKS = 'stratus-euw1-a';
const TABLE_NAME = 'stratus-bench';
/** The reconciler's Lambda timeout (functions/topology.ts). */
const LAMBDA_TIMEOUT_MS = 50_000;
const progress = (line: string) => process.stderr.write(`[reconciler-scale] ${line}\n`);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive whole number`);
  return v;
}
const N = arg('clusters', 10_000);
/** Items per page of the floor's lists (the reconciler's own page size is in its code). */
const FLOOR_PAGE = arg('page-size', 500);
/** Reconciler runs per sweep at most (a sweep that needs more is reported unfinished). */
const MAX_RUNS = arg('max-runs', 200);
const STANDIN_PROCESS = process.argv.includes('--standin-process');
if (process.argv.includes('--help')) {
  console.log(
    'npx tsx bench/reconciler-scale.ts [--clusters N (10000)] [--page-size N (500)] [--max-runs N (200)] [--standin-process]',
  );
  process.exit(0);
}

/** Where the stand-in serves, in this process or a child's. */
interface Standin {
  /** HTTPS, trusting `caCert`. */
  readonly url: string;
  /** The same API over plain HTTP, for the floor's fetch and the counting proxy. */
  readonly plainUrl: string;
  readonly token: string;
  readonly caCert: string;
  stop(): Promise<void>;
}

/** The stand-in in a child process (`--standin-process`): it stops when its stdin closes. */
async function standinProcess(dataFile: string): Promise<Standin> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, join(import.meta.dirname, 'standin-child.ts'), dataFile],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`stand-in process exited (${code}) before serving`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
  });
  const { url, plainUrl, token, caCert } = JSON.parse(line) as Omit<Standin, 'stop'>;
  return {
    url,
    plainUrl,
    token,
    caCert,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function clusterRecord(i: number, now: string): ClusterRecord {
  const engines = engineNames();
  const engine = engines[i % engines.length] as string;
  // Each engine's default version and settings, as the API stores them for `settings: {}`.
  const bp = getBlueprint(engine);
  const e = { version: bp?.versions.at(-1) ?? '', settings: bp?.settingsSchema.parse({}) ?? {} };
  return {
    tenantId: `tn-bench${String(i % 100).padStart(3, '0')}`,
    clusterId: newId('cl'),
    name: `c${i}`,
    engine,
    version: e.version,
    region: REGION,
    homeRegion: REGION,
    nodes: 1,
    sizeName: 'small',
    size: SIZES.small,
    settings: e.settings,
    deletionProtection: false,
    status: 'READY',
    generation: 1,
    observedGeneration: 1,
    statusVersion: 3,
    placement: EKS,
    createdAt: now,
    updatedAt: now,
  } as ClusterRecord;
}

/** Cluster items, 25 per BatchWriteItem, 8 batches at a time (uncounted: seeding). */
async function seedTable(client: DynamoDBClient, clusters: readonly ClusterRecord[]): Promise<void> {
  const batches: ClusterRecord[][] = [];
  for (let i = 0; i < clusters.length; i += 25) batches.push(clusters.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    for (let b = batches[next++]; b; b = batches[next++]) {
      let items = b.map((c) => ({
        PutRequest: { Item: marshall(clusterItem(c), { removeUndefinedValues: true }) },
      }));
      while (items.length > 0) {
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE_NAME]: items } }));
        items = (res.UnprocessedItems?.[TABLE_NAME] ?? []) as typeof items;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * What the provisioner leaves in Kubernetes: each cluster's rendered objects (with generated
 * secrets), server-side applied by the stand-in's own store, in process, then written as its
 * snapshot file: the same objects as applies over HTTP would leave, in a fraction of the time.
 */
async function seedKube(clusters: readonly ClusterRecord[], file: string): Promise<number> {
  const kinds = [...BUILTIN_KINDS, ...DEFAULT_EXTRA_KINDS.map(toKindInfo)];
  const store = new ObjectStore({
    readinessDelayMs: 0,
    namespaceTerminationMs: 0,
    statusRules: {},
    onChange: () => undefined,
  });
  let objects = 0;
  for (const c of clusters) {
    const blueprint = getBlueprint(c.engine);
    if (!blueprint) throw new Error(`no blueprint for ${c.engine}`);
    const secrets = Object.fromEntries(blueprint.secretNames.map((n) => [n, `secret-${n}-${c.clusterId}`]));
    for (const o of blueprint.render(specOf(c), {
      secrets,
      operationId: 'op-seed',
      correlationId: 'corr-seed',
    })) {
      const kind = kinds.find((k) => k.apiVersion === o.apiVersion && k.kind === o.kind);
      if (!kind) throw new Error(`the stand-in does not serve ${o.apiVersion} ${o.kind}`);
      const ns = kind.namespaced ? o.metadata.namespace : undefined;
      store.apply(kind, ns, o.metadata.name, o as unknown as JsonObject, 'stratus', true);
      objects++;
    }
  }
  store.tick();
  await writeFile(file, JSON.stringify({ ...store.snapshot(), journalSeq: 0 }));
  return objects;
}

/** The kinds the blueprints render (Secrets apart), as the floor lists them. */
function renderedKinds(clusters: readonly ClusterRecord[]): Array<{ apiVersion: string; kind: string }> {
  const seen = new Map<string, { apiVersion: string; kind: string }>();
  const byEngine = new Map<string, ClusterRecord>();
  for (const c of clusters) if (!byEngine.has(c.engine)) byEngine.set(c.engine, c);
  for (const c of byEngine.values()) {
    const blueprint = getBlueprint(c.engine);
    if (!blueprint) continue;
    const secrets = Object.fromEntries(blueprint.secretNames.map((n) => [n, 'x']));
    for (const o of blueprint.render(specOf(c), { secrets, operationId: 'x', correlationId: 'x' })) {
      if (o.apiVersion === 'v1' && o.kind === 'Secret') continue;
      seen.set(`${o.apiVersion}|${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
    }
  }
  return [...seen.values()];
}

/** The floor: one paged list per kind, cluster-wide, by label, back to back; then one GET per Secret. */
async function floor(
  standin: Standin,
  clusters: readonly ClusterRecord[],
): Promise<{ listMs: number; lists: number; items: number; secretGetMs: number; secretGets: number }> {
  const kinds = [...BUILTIN_KINDS, ...DEFAULT_EXTRA_KINDS.map(toKindInfo)];
  const headers = { authorization: `Bearer ${standin.token}` };
  const selector = encodeURIComponent(`${LABELS.managedBy}=${MANAGED_BY}`);
  let lists = 0;
  let items = 0;
  const t0 = performance.now();
  for (const k of renderedKinds(clusters)) {
    const info = kinds.find((x) => x.apiVersion === k.apiVersion && x.kind === k.kind);
    if (!info) throw new Error(`unknown kind ${k.kind}`);
    const base = `${standin.plainUrl}/${k.apiVersion.includes('/') ? 'apis' : 'api'}/${k.apiVersion}/${info.plural}`;
    let token: string | undefined;
    do {
      const res = await fetch(
        `${base}?labelSelector=${selector}&limit=${FLOOR_PAGE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
        { headers },
      );
      const body = (await res.json()) as { items: unknown[]; metadata?: { continue?: string } };
      if (!res.ok) throw new Error(`floor list ${k.kind}: ${res.status}`);
      lists++;
      items += body.items.length;
      token = body.metadata?.continue || undefined;
    } while (token);
  }
  const listMs = performance.now() - t0;
  // One GET per rendered Secret, 5 at a time (the reconciler's concurrency).
  const refs: string[] = [];
  for (const c of clusters) {
    for (const name of getBlueprint(c.engine)?.render(specOf(c), {
      secrets: { password: 'x', apiKey: 'x' },
      operationId: 'x',
      correlationId: 'x',
    }) ?? []) {
      if (name.apiVersion === 'v1' && name.kind === 'Secret')
        refs.push(
          `${standin.plainUrl}/api/v1/namespaces/${name.metadata.namespace}/secrets/${name.metadata.name}`,
        );
    }
  }
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      for (let u = refs[next++]; u; u = refs[next++]) {
        const res = await fetch(u, { headers });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`floor get ${u}: ${res.status}`);
      }
    }),
  );
  return { listMs, lists, items, secretGetMs: performance.now() - t1, secretGets: refs.length };
}

interface SweepFigures {
  readonly wallMs: number;
  readonly runs: number;
  readonly runMs: number[];
  readonly checked: number;
  readonly clean: number;
  readonly errors: number;
  readonly repaired: number;
  readonly orphans: number;
  /** Heap used when the sweep began (after a collection with --expose-gc). */
  readonly heapAtStartMb: number;
  readonly heapUsedMb: number;
  readonly rssMb: number;
  /** The last run ended the sweep's cycle (false: `--max-runs` ran out first). */
  readonly completed: boolean;
}

/** Runs the reconciler, run after run, until its drift sweep ends a cycle. */
async function sweep(
  dynamoEndpoint: string,
  kubeconfig: string,
  events: { n: number },
): Promise<SweepFigures> {
  const client = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const store = new Store(doc, TABLE_NAME, REGION);
  const deps = {
    store,
    sweeps: new Sweeps(store.table),
    region: REGION,
    eksPool: [{ name: EKS, region: REGION, capacityNodes: 1_000_000 }],
    kube: kubeAccess({ auth: 'kubeconfig', region: REGION, kubeconfig }),
    publish: async () => {
      events.n++;
    },
    deleteOrphans: false,
    logger: createLogger('bench-reconciler'),
    reconcilerMetrics: createMetrics(RECONCILER_NAMESPACE),
    metrics: createMetrics(),
  };
  const totals = { checked: 0, clean: 0, errors: 0, repaired: 0, orphans: 0 };
  const runMs: number[] = [];
  let heapUsed = 0;
  let rss = 0;
  let completed = false;
  const sample = () => {
    const m = process.memoryUsage();
    heapUsed = Math.max(heapUsed, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  // What the seeding left is not the sweep's: collected first when the process allows it
  // (`NODE_OPTIONS=--expose-gc`), and the heap the sweep began with reported beside its peak.
  (globalThis as { gc?: () => void }).gc?.();
  const heapAtStart = process.memoryUsage().heapUsed;
  const sampler = setInterval(sample, 100);
  const t0 = performance.now();
  try {
    for (let run = 1; run <= MAX_RUNS; run++) {
      const start = performance.now();
      let result: ReconcileResult;
      try {
        result = await reconcile(deps, () => LAMBDA_TIMEOUT_MS - (performance.now() - start));
      } catch (e) {
        progress(`run ${run} failed: ${(e as Error).message}`);
        throw e;
      }
      runMs.push(performance.now() - start);
      sample();
      const d = result.drift;
      totals.checked += d.checked;
      totals.clean += d.clean;
      totals.errors += d.errors;
      totals.repaired += d.repaired;
      totals.orphans += d.orphans;
      progress(`run ${run}: ${d.checked} checked in ${Math.round(runMs[runMs.length - 1] ?? 0)} ms`);
      if (d.cycleCompleted) {
        completed = true;
        break;
      }
    }
  } finally {
    clearInterval(sampler);
    client.destroy();
  }
  return {
    wallMs: performance.now() - t0,
    runs: runMs.length,
    runMs: runMs.map(Math.round),
    ...totals,
    heapAtStartMb: Math.round(heapAtStart / 2 ** 20),
    heapUsedMb: Math.round(heapUsed / 2 ** 20),
    rssMb: Math.round(rss / 2 ** 20),
    completed,
  };
}

/** A kubeconfig naming `server`: HTTPS trusting `caCert`, or plain HTTP (a counting proxy). */
async function kubeconfigFile(
  dir: string,
  name: string,
  server: string,
  token: string,
  caCert?: string,
): Promise<string> {
  const path = join(dir, name);
  const tls = caCert
    ? { 'certificate-authority-data': Buffer.from(caCert).toString('base64') }
    : { 'insecure-skip-tls-verify': true };
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: EKS, cluster: { server, ...tls } }],
      users: [{ name: EKS, user: { token } }],
      contexts: [{ name: EKS, context: { cluster: EKS, user: EKS } }],
      'current-context': EKS,
    }),
  );
  return path;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-reconciler-scale-'));
  let dynamo: LocalDynamo | undefined;
  let standin: Standin | undefined;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>> | undefined;
  let seedClient: DynamoDBClient | undefined;
  try {
    progress(`starting DynamoDB Local; ${N} clusters`);
    dynamo = await startDynamoLocal({});
    seedClient = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await ensureTable(seedClient, TABLE_NAME);
    const now = new Date(Date.now() - 3_600_000).toISOString();
    const clusters = Array.from({ length: N }, (_, i) => clusterRecord(i, now));
    const tSeed = performance.now();
    await seedTable(seedClient, clusters);
    const dataFile = join(dir, 'kube-standin.json');
    const objects = await seedKube(clusters, dataFile);
    standin = STANDIN_PROCESS
      ? await standinProcess(dataFile)
      : await startKubeStandin({ readinessDelayMs: 0, dataFile });
    progress(`seeded ${N} clusters, ${objects} objects in ${Math.round(performance.now() - tSeed)} ms`);

    // Timed sweep: direct connections.
    const direct = await kubeconfigFile(dir, 'direct.kubeconfig', standin.url, standin.token, standin.caCert);
    const load = () => loadavg().map((l) => Number(l.toFixed(2)));
    const loadBefore = load();
    const timedEvents = { n: 0 };
    const timed = await sweep(dynamo.endpoint, direct, timedEvents);
    progress(`timed sweep: ${Math.round(timed.wallMs)} ms over ${timed.runs} run(s)`);

    // The floor, back to back, without Stratus.
    const fl = await floor(standin, clusters);
    progress(
      `floor: ${fl.lists} lists in ${Math.round(fl.listMs)} ms, ${fl.secretGets} Secret GETs in ${Math.round(fl.secretGetMs)} ms`,
    );

    // Counted sweep: through the counting proxy.
    proxy = await startCountingProxy({
      readItem: async () => undefined,
      keyAttributes: ['pk', 'sk'],
      indexes: TABLE.indexes,
    });
    const counted = await kubeconfigFile(
      dir,
      'counted.kubeconfig',
      // The proxy reads the traffic: it forwards to the plain-HTTP listener.
      proxy.endpoint('kubernetes', 'reconciler', REGION, standin.plainUrl),
      standin.token,
    );
    const countedRun = await sweep(
      proxy.endpoint('dynamodb', 'reconciler', REGION, dynamo.endpoint),
      counted,
      { n: 0 },
    );
    const kube: Record<string, number> = {};
    const byVerb: Record<string, number> = {};
    const ddb: Record<string, number> = {};
    for (const [k, f] of proxy.tallies.snapshot()) {
      const key = parseKey(k);
      if (key.service === 'kubernetes') {
        const name = `${key.op} ${key.detail}`.trim();
        kube[name] = (kube[name] ?? 0) + (f.requests ?? 0);
        byVerb[key.op] = (byVerb[key.op] ?? 0) + (f.requests ?? 0);
      } else if (key.service === 'dynamodb' && key.op !== 'item') {
        ddb[key.op] = (ddb[key.op] ?? 0) + (f.requests ?? 0);
      }
    }
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const kubeCalls = sum(kube);
    const report = {
      clusters: N,
      objects,
      standin: STANDIN_PROCESS ? 'child process' : 'in process',
      machine: { cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: load() },
      sweep: { ...timed, events: timedEvents.n },
      counted: {
        runs: countedRun.runs,
        checked: countedRun.checked,
        wallMsThroughProxy: Math.round(countedRun.wallMs),
      },
      kubernetes: { total: kubeCalls, byVerb, byVerbResource: kube },
      dynamodb: { total: sum(ddb), byOperation: ddb },
      floor: {
        pageSize: FLOOR_PAGE,
        lists: fl.lists,
        listedItems: fl.items,
        listMs: Math.round(fl.listMs),
        secretGets: fl.secretGets,
        secretGetMs: Math.round(fl.secretGetMs),
      },
      ratio: {
        wallTimeVsListFloor: Number((timed.wallMs / fl.listMs).toFixed(2)),
        wallTimeVsListAndSecretFloor: Number((timed.wallMs / (fl.listMs + fl.secretGetMs)).toFixed(2)),
        kubeCallsVsListFloor: Number((kubeCalls / fl.lists).toFixed(2)),
        kubeCallsVsListAndSecretFloor: Number((kubeCalls / (fl.lists + fl.secretGets)).toFixed(2)),
      },
    };
    await mkdir('.bench', { recursive: true });
    await writeFile('.bench/reconciler-scale.json', `${JSON.stringify(report, null, 2)}\n`);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `reconciler sweep, ${N} READY clusters in ${REGION} (${objects} objects), ${cpus().length} cpus, stand-in ${report.standin}`,
    );
    console.log(
      `  ${N} clusters, ${timed.runs} run(s), ${s(timed.wallMs)}${timed.completed ? '' : ` (cycle NOT completed within --max-runs ${MAX_RUNS})`}`,
    );
    console.log(
      `  load average before ${loadBefore.join(' ')}, after ${report.machine.loadavgAfter.join(' ')}`,
    );
    console.log(
      `  sweep: ${s(timed.wallMs)} over ${timed.runs} run(s) back to back (runs: ${timed.runMs.map((m) => s(m)).join(', ')}); ${timed.checked} checked, ${timed.clean} clean, ${timed.errors} errors; heap ${timed.heapAtStartMb} MB at start, peak ${timed.heapUsedMb} MB (sampled every 100 ms), peak rss ${timed.rssMb} MB`,
    );
    const verbs = ['list', 'get', 'discovery'];
    const other = kubeCalls - verbs.reduce((a, v) => a + (byVerb[v] ?? 0), 0);
    console.log(
      `  Kubernetes calls: ${kubeCalls} (lists ${byVerb.list ?? 0}, gets ${byVerb.get ?? 0}, discovery ${byVerb.discovery ?? 0}${other ? `, other ${other}` : ''})`,
    );
    for (const [k, v] of Object.entries(kube).sort((a, b) => b[1] - a[1]))
      console.log(`    ${String(v).padStart(8)}  ${k}`);
    console.log(`  DynamoDB calls: ${report.dynamodb.total}  ${JSON.stringify(ddb)}`);
    console.log(
      `  floor: ${fl.lists} paged lists (limit ${FLOOR_PAGE}) of ${fl.items} objects in ${s(fl.listMs)}; + ${fl.secretGets} Secret GETs in ${s(fl.secretGetMs)}`,
    );
    console.log(
      `  ratio: time ${report.ratio.wallTimeVsListFloor}x the list floor (${report.ratio.wallTimeVsListAndSecretFloor}x with Secret GETs); calls ${report.ratio.kubeCallsVsListFloor}x (${report.ratio.kubeCallsVsListAndSecretFloor}x)`,
    );
    console.log('  written to .bench/reconciler-scale.json');
    const { emitRows, row } = await import('./report.js'); // rows for bench/run.ts (issue #12)
    emitRows([
      row({
        bench: 'reconciler-scale',
        name: `sweep of ${N} clusters`,
        figure: timed.wallMs / 1000,
        unit: 's',
        floor: (fl.listMs + fl.secretGetMs) / 1000,
        goal: { max: 60, source: 'issue #12' },
        note: 'floor: paged lists per kind + a GET per Secret',
      }),
      row({
        bench: 'reconciler-scale',
        name: `Kubernetes calls, ${N} clusters`,
        figure: kubeCalls,
        unit: 'calls',
        floor: fl.lists + fl.secretGets,
        note: 'floor: paged lists per kind + a GET per Secret',
      }),
    ]);
  } finally {
    await proxy?.stop();
    await standin?.stop();
    seedClient?.destroy();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
