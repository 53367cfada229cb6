/**
 * The chaos run (test/integration/chaos, docs/chaos.md): a workload of cluster lifecycles over
 * several engines and regions, faults injected meanwhile, then the invariants of DESIGN.md
 * section 2 checked against what the table, the buses, the queues and the Kubernetes stand-ins
 * hold. Pure test tooling: it reads state, it never repairs it.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ClusterRecord, OperationRecord } from '../../functions/shared/domain/records.js';
import { specOf } from '../../functions/shared/domain/spec.js';
import { BACKUP_LABEL } from '../../functions/shared/engines/backups.js';
import { engineNames, getBlueprint } from '../../functions/shared/engines/registry.js';
import { namespaceOf } from '../../functions/shared/engines/tenancy.js';
import type { BusEvent } from '../../local/events/bus.js';
import type { KubeStandinFaults } from '../../local/kube-standin/server.js';
import { newSeed, parseSeed, randomSource } from '../../local/random.js';
import {
  type LocalControlPlane,
  type LocalRegion,
  localS3Client,
  type RegionInjections,
} from '../../local/runtime/control-plane.js';
import { madeByController } from './kube-fixtures.js';
import { apiClient, type HttpResult } from './local.js';

export interface ChaosKnobs {
  /**
   * Seed of the run: the workload's choices (start times, which clusters scale and delete), the
   * kill spacing, and, given to the control plane, every fault, duplicate and kill draw.
   */
  readonly seed: number;
  readonly clustersPerRegion: number;
  /** Lifecycles start spread over this time, so requests keep arriving during the chaos. */
  readonly rampMs: number;
  /** Faults, duplicates and kills are active for this long from the start, then cleared. */
  readonly chaosWindowMs: number;
  readonly faults: KubeStandinFaults;
  readonly duplicates: { readonly queue: number; readonly stream: number };
  /** Provisioner kills, spread over the chaos window, alternating regions. */
  readonly kills: number;
  /** Unparseable messages put on each region's provisioning queue: they, and only they, must end in its DLQ. */
  readonly poisonPerRegion: number;
  /** Bound on the whole run after the window (lifecycles finishing, then the system settling). */
  readonly settleTimeoutMs: number;
  /** Share of the clusters that also back up (and restore) or pause and resume (issue #14). */
  readonly dataProtection: number;
}

const envNumber = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

/** The CI seed; `CHAOS_SEED=<n>` replays a run, `CHAOS_SEED=random` picks a new one (printed). */
export const DEFAULT_CHAOS_SEED = 20260305;

function chaosSeed(): number {
  const v = process.env.CHAOS_SEED;
  if (v === undefined || v === '') return DEFAULT_CHAOS_SEED;
  if (v === 'random') return newSeed();
  return parseSeed(v, 'CHAOS_SEED');
}

/** The CI defaults; `CHAOS_*` environment variables override the main ones (docs/chaos.md). */
export function chaosKnobs(): ChaosKnobs {
  return {
    seed: chaosSeed(),
    clustersPerRegion: envNumber('CHAOS_CLUSTERS_PER_REGION', 24),
    rampMs: envNumber('CHAOS_RAMP_MS', 10_000),
    chaosWindowMs: envNumber('CHAOS_WINDOW_MS', 30_000),
    faults: {
      errorRate: envNumber('CHAOS_ERROR_RATE', 0.2),
      errorStatus: 503,
      timeoutRate: envNumber('CHAOS_TIMEOUT_RATE', 0.05),
      timeoutMs: 300,
      dropRate: envNumber('CHAOS_DROP_RATE', 0.02),
      latencyMs: 15,
    },
    duplicates: { queue: envNumber('CHAOS_DUP_QUEUE', 0.2), stream: envNumber('CHAOS_DUP_STREAM', 0.2) },
    kills: envNumber('CHAOS_KILLS', 6),
    poisonPerRegion: 2,
    settleTimeoutMs: envNumber('CHAOS_SETTLE_MS', 120_000),
    dataProtection: envNumber('CHAOS_DATA_PROTECTION', 1 / 3),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** Failure codes a chaos run may legitimately end with (docs/operations.md). */
export const EXPECTED_FAILURE_CODES = ['KUBERNETES_UNAVAILABLE', 'DEADLINE_EXCEEDED', 'DELIVERY_FAILED'];

export interface AcceptedOp {
  readonly region: string;
  readonly clusterId: string;
  readonly operationId: string;
  readonly type: 'CREATE' | 'UPDATE' | 'DELETE' | 'BACKUP' | 'PAUSE' | 'RESUME';
  /** BACKUP: the backup it takes. */
  readonly backupId?: string;
  final?: OperationRecord;
}

/** A request of the workload that the API failed: a 5xx, or no valid answer at all. */
export interface ApiFailure {
  readonly region: string;
  /** e.g. `PATCH /v1/clusters/cl-... (UPDATE chaos-eu-west-1-7)`. */
  readonly request: string;
  readonly status?: number;
  readonly code?: string;
  /** The answer's body (or, without an answer, what went wrong), cut at 500 characters. */
  readonly body: string;
}

export interface ChaosRun {
  readonly knobs: ChaosKnobs;
  readonly accepted: AcceptedOp[];
  /** Answers other than 202 and 5xx to the workload's mutations (a 409 CLUSTER_BUSY, say), by `<type> <status> <code>`. */
  readonly refused: Record<string, number>;
  /** Every 5xx answered to the workload, and every request that got no valid answer: each one fails the run. */
  readonly apiFailures: ApiFailure[];
  readonly clusters: Map<string, { region: string; name: string; engine: string }>;
  readonly poison: Record<string, string[]>;
  /** Kill attempts that cut an invocation short. */
  kills: number;
  /** Distinct `reason: "retry"` messages the provisioning queues delivered (the workflow's own retries). */
  retryMessages: Set<string>;
  /** What each region injected, read once the run settled. */
  injected: Record<string, RegionInjections>;
  /** Lifecycles that had not finished when the settle bound ran out. */
  unfinished: number;
  /** Operations accepted while the chaos was on. */
  acceptedDuringWindow: number;
  readonly timings: { start: number; windowEnd?: number; lifecyclesDone?: number; settled?: number };
}

/** Runs the workload under chaos; resolves once every lifecycle finished and the system settled (or the bound ran out). */
export async function runChaos(cp: LocalControlPlane, knobs: ChaosKnobs): Promise<ChaosRun> {
  // Two streams of the seed, so that the workload's draws and the kill spacing do not shift each other.
  const rng = randomSource(knobs.seed, 'chaos:workload');
  const killSpacing = randomSource(knobs.seed, 'chaos:kill-spacing');
  const protection = randomSource(knobs.seed, 'chaos:data-protection');
  const engines = engineNames();
  const run: ChaosRun = {
    knobs,
    accepted: [],
    refused: {},
    apiFailures: [],
    clusters: new Map(),
    poison: {},
    kills: 0,
    retryMessages: new Set(),
    injected: {},
    unfinished: 0,
    acceptedDuringWindow: 0,
    timings: { start: Date.now() },
  };
  for (const r of cp.regions) {
    for (const q of r.triggers.queues) {
      q.observe = (records) => {
        for (const rec of records) {
          if (rec.body.includes('"reason":"retry"')) run.retryMessages.add(rec.messageId);
        }
      };
    }
  }

  // Chaos on.
  for (const r of cp.regions) {
    r.kube?.setFaults(knobs.faults);
    r.setDuplicates(knobs.duplicates);
  }
  const chaos = (async () => {
    await sleep(1000);
    for (const r of cp.regions) {
      const bodies = Array.from(
        { length: knobs.poisonPerRegion },
        (_, i) => `{"poison":${i},"region":"${r.region}","seed":${knobs.seed}}`,
      );
      run.poison[r.region] = bodies;
      for (const body of bodies) {
        await r.sqs.send(new SendMessageCommand({ QueueUrl: r.queueUrls.provisioning, MessageBody: body }));
      }
    }
    const every = knobs.chaosWindowMs / (knobs.kills + 1);
    for (let k = 0; k < knobs.kills; k++) {
      await sleep(every * (0.5 + killSpacing()));
      const region = cp.regions[k % cp.regions.length];
      if (region && (await region.killProvisioner({ withinMs: 150, waitMs: 3000 }))) run.kills++;
    }
    const left = run.timings.start + knobs.chaosWindowMs - Date.now();
    if (left > 0) await sleep(left);
    // On a slow (busy) machine little may flow through the regions during the window: the chaos
    // then stays on until every fault asked for was injected in every region and the workflow
    // retried at least once, for at most one more window, so that `missingChaos` tests the knobs
    // rather than the machine's speed.
    const extendUntil = run.timings.start + 2 * knobs.chaosWindowMs;
    const injectedNow = () => Object.fromEntries(cp.regions.map((r) => [r.region, r.injected()]));
    while (
      Date.now() < extendUntil &&
      missingFaults(knobs, injectedNow(), run.retryMessages.size).length > 0
    ) {
      await sleep(250);
    }
    for (const r of cp.regions) {
      r.kube?.setFaults({});
      r.setDuplicates({});
    }
    run.timings.windowEnd = Date.now();
    run.acceptedDuringWindow = run.accepted.length;
    return run.timings.windowEnd;
  })();

  // The workload: per cluster, create -> scale (-> scale) (-> delete), each step after the previous ended.
  const plans = cp.regions.flatMap((r) =>
    Array.from({ length: knobs.clustersPerRegion }, (_, i) => ({
      region: r,
      i,
      engine: engines[(i + (r.region === cp.regions[0]?.region ? 0 : 1)) % engines.length] ?? 'qdrant',
      delay: rng() * knobs.rampMs,
      scaleTwice: rng() < 0.5,
      remove: rng() < 0.7,
      // Drawn from its own stream: the draws above stay those of runs before issue #14.
      protect: protection(),
    })),
  );
  let finished = 0;
  const lifecycles = Promise.all(plans.map((p) => lifecycle(cp, run, p).finally(() => finished++)));
  // The settle bound counts from the end of the window (extended or not).
  const bounded = await Promise.race([
    lifecycles.then(() => true),
    chaos.then((windowEnd) => sleep(windowEnd + knobs.settleTimeoutMs - Date.now())).then(() => false),
  ]);
  const windowEnd = await chaos;
  run.timings.lifecyclesDone = Date.now();
  if (!bounded) run.unfinished = plans.length - finished;
  await settle(cp, run, Math.max(10_000, windowEnd + knobs.settleTimeoutMs - Date.now()));
  run.timings.settled = Date.now();
  for (const r of cp.regions) run.injected[r.region] = r.injected();
  return run;
}

/** One line: what each region injected, the kills and the workflow's retries. */
export function injectedLine(run: ChaosRun): string {
  const regions = Object.entries(run.injected).map(
    ([region, i]) =>
      `${region} Kubernetes ${i.kube?.requests ?? 0} requests / ${i.kube?.errors ?? 0} errors, ${i.kube?.timeouts ?? 0} timeouts, ${i.kube?.drops ?? 0} lost responses; ${i.queueCopies} queue copies, ${i.streamBatches} stream batches twice, ${i.kills} kills`,
  );
  return `${regions.join(' | ')} | kills ${run.kills}, workflow retries ${run.retryMessages.size}`;
}

/**
 * The chaos the knobs asked for that did not happen: one line per region and kind of fault whose
 * knob is on but whose count stayed at 0 (a broken knob would otherwise turn the run into a plain
 * end-to-end test). Empty when every fault was injected at least once.
 */
export function missingChaos(run: ChaosRun): string[] {
  const missing = missingFaults(run.knobs, run.injected, run.retryMessages.size);
  if (run.knobs.kills > 0 && run.kills === 0) missing.push('provisioner kills: none (knob on, count 0)');
  return missing;
}

/** The faults that depend on traffic (all but the kills) not injected yet; see `missingChaos`. */
function missingFaults(
  knobs: ChaosKnobs,
  injected: Readonly<Record<string, RegionInjections>>,
  retries: number,
): string[] {
  const { faults, duplicates } = knobs;
  const missing: string[] = [];
  const want = (on: boolean, count: number | undefined, what: string) => {
    if (on && !(count !== undefined && count > 0)) missing.push(`${what}: none (knob on, count ${count})`);
  };
  for (const [region, got] of Object.entries(injected)) {
    want((faults.errorRate ?? 0) > 0, got.kube?.errors, `${region} Kubernetes errors`);
    want((faults.timeoutRate ?? 0) > 0, got.kube?.timeouts, `${region} Kubernetes timeouts`);
    want((faults.dropRate ?? 0) > 0, got.kube?.drops, `${region} Kubernetes lost responses`);
    want(duplicates.queue > 0, got.queueCopies, `${region} queue duplicates`);
    want(duplicates.stream > 0, got.streamBatches, `${region} stream duplicates`);
  }
  want((faults.errorRate ?? 0) + (faults.timeoutRate ?? 0) > 0, retries, 'workflow retries');
  return missing;
}

async function lifecycle(
  cp: LocalControlPlane,
  run: ChaosRun,
  p: {
    region: LocalRegion;
    i: number;
    engine: string;
    delay: number;
    scaleTwice: boolean;
    remove: boolean;
    protect: number;
  },
): Promise<void> {
  await sleep(p.delay);
  const api = apiClient(p.region.apiUrl, cp.apiKey);
  const region = p.region.region;
  const name = `chaos-${region}-${p.i}`;
  const mutate = async (
    type: AcceptedOp['type'],
    method: string,
    path: string,
    body?: unknown,
  ): Promise<AcceptedOp | undefined> => {
    const request = `${method} ${path} (${type} ${name})`;
    for (let attempt = 0; attempt < 5; attempt++) {
      let res: HttpResult;
      try {
        res = await api(method, path, body);
      } catch (e) {
        // No answer, or one that breaks the API contract (apiClient checks it): a failure too.
        run.apiFailures.push({ region, request, body: String((e as Error).message).slice(0, 500) });
        return undefined;
      }
      if (res.status >= 500) {
        run.apiFailures.push({
          region,
          request,
          status: res.status,
          ...(typeof res.body?.code === 'string' ? { code: res.body.code } : {}),
          body: (typeof res.body === 'string' ? res.body : JSON.stringify(res.body)).slice(0, 500),
        });
        return undefined;
      }
      if (res.status === 202) {
        const op: AcceptedOp = {
          region,
          // A BACKUP answers with the backup, not the cluster.
          clusterId: res.body.cluster?.id ?? res.body.backup.clusterId,
          operationId: res.body.operation.id,
          type,
          ...(res.body.backup ? { backupId: res.body.backup.id } : {}),
        };
        run.accepted.push(op);
        op.final = await waitTerminal(cp, op);
        return op;
      }
      const key = `${type} ${res.status} ${res.body?.code ?? ''}`;
      run.refused[key] = (run.refused[key] ?? 0) + 1;
      // A concurrent change (a rollback finishing, say) is worth a retry; anything else is not.
      if (res.body?.code !== 'CONCURRENT_MODIFICATION') return undefined;
      await sleep(200);
    }
    return undefined;
  };

  const created = await mutate('CREATE', 'POST', '/v1/clusters', {
    name,
    engine: p.engine,
    region,
    nodes: 1,
    // One node holds one copy: YugabyteDB's default replication factor (3) needs three.
    ...(p.engine === 'yugabytedb' ? { settings: { replicationFactor: 1 } } : {}),
  });
  if (!created) return;
  run.clusters.set(created.clusterId, { region, name, engine: p.engine });
  const id = created.clusterId;
  // Read where the cluster is managed: that replica is the one the API's conditions see.
  const status = async () => (await p.region.store.clusters.get(cp.tenantId, id))?.status;
  // A protected cluster backs up or pauses instead of scaling: its lifecycle is no longer than the others'.
  // Engines with neither a backup nor a pause (mongodb, scylladb, yugabytedb) scale like the others.
  const protectable =
    getBlueprint(p.engine)?.backup !== undefined || getBlueprint(p.engine)?.pause !== undefined;
  if (protectable && p.protect < run.knobs.dataProtection) {
    await dataProtection(run, p, run.knobs.dataProtection, id, name, status, mutate);
  } else if ((await status()) === 'READY') {
    await mutate('UPDATE', 'PATCH', `/v1/clusters/${id}`, { nodes: 2 });
    if (p.scaleTwice && (await status()) === 'READY')
      await mutate('UPDATE', 'PATCH', `/v1/clusters/${id}`, { nodes: 3 });
  }
  const now = await status();
  if (p.remove || now === 'FAILED') {
    if (now === 'READY' || now === 'FAILED') await mutate('DELETE', 'DELETE', `/v1/clusters/${id}`);
  }
}

type Mutate = (
  type: AcceptedOp['type'],
  method: string,
  path: string,
  body?: unknown,
) => Promise<AcceptedOp | undefined>;

/**
 * Issue #14's operations in the mix, for `share` of the clusters (a third by default; drawn from
 * the seed, per cluster), in place of their scaling: a backup, and for engines that restore, a restore into a new cluster (which then lives
 * and is checked like the others); or a pause, then a resume. Each after the previous ended.
 */
async function dataProtection(
  run: ChaosRun,
  p: { region: LocalRegion; i: number; engine: string; protect: number },
  share: number,
  id: string,
  name: string,
  status: () => Promise<string | undefined>,
  mutate: Mutate,
): Promise<void> {
  if (p.protect >= share || (await status()) !== 'READY') return;
  const blueprint = getBlueprint(p.engine);
  if (blueprint?.pause && (p.protect >= share / 2 || !blueprint.backup)) {
    const paused = await mutate('PAUSE', 'POST', `/v1/clusters/${id}/pause`);
    if (paused && (await status()) === 'PAUSED') await mutate('RESUME', 'POST', `/v1/clusters/${id}/resume`);
    return;
  }
  if (!blueprint?.backup) return;
  const backup = await mutate('BACKUP', 'POST', `/v1/clusters/${id}/backups`);
  if (!backup?.backupId || backup.final?.status !== 'SUCCEEDED' || !getBlueprint(p.engine)?.backup?.restore)
    return;
  const restored = await mutate('CREATE', 'POST', '/v1/clusters', {
    name: `${name}-r`,
    engine: p.engine,
    region: p.region.region,
    restoreFrom: { backupId: backup.backupId },
  });
  if (restored)
    run.clusters.set(restored.clusterId, { region: p.region.region, name: `${name}-r`, engine: p.engine });
}

async function waitTerminal(cp: LocalControlPlane, op: AcceptedOp): Promise<OperationRecord | undefined> {
  for (;;) {
    const rec = await cp.region(op.region).store.operations.get(cp.tenantId, op.operationId);
    if (rec && TERMINAL.includes(rec.status)) return rec;
    await sleep(750);
  }
}

/** Every operation of the workload's clusters: the accepted ones and any the reconciler queued (drift repairs). */
async function allOperations(cp: LocalControlPlane, run: ChaosRun): Promise<OperationRecord[]> {
  const out: OperationRecord[] = [];
  for (const id of run.clusters.keys()) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await cp.store.operations.list(id, 100, start);
      out.push(...page.items);
      start = page.lastKey;
    } while (start);
  }
  return out;
}

/** Waits until every operation is terminal and the buses are quiet, within `boundMs`. */
async function settle(cp: LocalControlPlane, run: ChaosRun, boundMs: number): Promise<void> {
  const until = Date.now() + boundMs;
  let lastEvents = -1;
  while (Date.now() < until) {
    const ops = await allOperations(cp, run);
    const events = cp.regions.reduce((n, r) => n + r.bus.events().length, 0);
    const allTerminal = ops.every((o) => TERMINAL.includes(o.status));
    if (allTerminal && events === lastEvents) return;
    lastEvents = events;
    await sleep(2000);
  }
}

// ---- invariants --------------------------------------------------------------------------------

const CLUSTER_TRANSITIONS = new Set([
  'null>PENDING',
  'PENDING>PROVISIONING',
  'PENDING>FAILED',
  'PENDING>DELETED',
  'PROVISIONING>READY',
  'PROVISIONING>FAILED',
  'READY>UPDATING',
  'FAILED>UPDATING',
  'UPDATING>READY',
  'UPDATING>FAILED',
  'READY>DELETING',
  'FAILED>DELETING',
  'DELETING>DELETED',
  'DELETING>FAILED',
  // Pause and resume (issue #14).
  'READY>PAUSING',
  'PAUSING>PAUSED',
  'PAUSING>FAILED',
  // A failed pause rolled back to running (its pods scaled back up).
  'PAUSING>RESUMING',
  'PAUSED>RESUMING',
  'PAUSED>DELETING',
  'FAILED>PAUSING',
  'FAILED>RESUMING',
  'RESUMING>READY',
  'RESUMING>FAILED',
]);
const BACKUP_TRANSITIONS = new Set([
  'null>PENDING',
  'PENDING>RUNNING',
  'PENDING>FAILED',
  'RUNNING>SUCCEEDED',
  'RUNNING>FAILED',
  'SUCCEEDED>DELETING',
  'FAILED>DELETING',
  'DELETING>DELETED',
]);
const OPERATION_TRANSITIONS = new Set([
  'null>QUEUED',
  'QUEUED>RUNNING',
  'QUEUED>FAILED',
  'QUEUED>CANCELLED',
  'RUNNING>SUCCEEDED',
  'RUNNING>FAILED',
]);

export interface ChaosReport {
  readonly problems: string[];
  readonly figures: Record<string, unknown>;
}

/** Checks the invariants; every violation is one line in `problems`, with the ids to look at. */
export async function checkInvariants(cp: LocalControlPlane, run: ChaosRun): Promise<ChaosReport> {
  const problems: string[] = [];
  // 0. The replicas agree (last writer wins converged, no item left overwritten by an older copy).
  if (cp.replication) {
    // The reconcilers keep running (and writing their cursors) while the replicas are scanned one
    // after the other, so one comparison can catch an item between a write and its copy. A
    // difference counts when the very same disagreement (the same copies of the same item) is
    // still there after two more flushes: last writer wins must converge, not merely be converging.
    const sorted = (_k: string, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v;
    const fingerprintOf = (d: { keys: unknown; items: unknown }) => JSON.stringify([d.keys, d.items], sorted);
    await cp.replication.flush();
    let differences = await cp.replication.compare();
    for (let again = 0; again < 2 && differences.length > 0; again++) {
      const before = new Set(differences.map(fingerprintOf));
      await cp.replication.flush();
      differences = (await cp.replication.compare()).filter((d) => before.has(fingerprintOf(d)));
    }
    for (const d of differences) {
      problems.push(
        `replicas disagree on ${JSON.stringify(d.keys)}: ${JSON.stringify(d.items).slice(0, 300)}`,
      );
    }
  }
  const clusters = new Map<string, ClusterRecord>();
  for (const id of run.clusters.keys()) {
    const c = await cp.store.clusters.get(cp.tenantId, id);
    if (c) clusters.set(id, c);
    else problems.push(`cluster ${id} accepted (202) but not in the table`);
  }

  // 1. Nothing accepted is lost: every 202 has an operation, in a terminal state.
  const outcomes: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const op of run.accepted) {
    const rec = await cp.store.operations.get(cp.tenantId, op.operationId);
    if (!rec) {
      problems.push(`operation ${op.operationId} (${op.type}) answered 202 but does not exist`);
      continue;
    }
    op.final = rec;
    const key = `${op.type} ${rec.status}${rec.error ? ` ${rec.error.code}` : ''}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (rec.error) {
      const reason = `${rec.error.code}: ${rec.error.message.replace(/(cl|op|tn)-[0-9a-z]+/g, '<id>').slice(0, 160)}`;
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
    if (!TERMINAL.includes(rec.status))
      problems.push(`operation ${op.operationId} (${op.type}) is still ${rec.status}`);
    if (rec.status === 'FAILED' && !EXPECTED_FAILURE_CODES.includes(rec.error?.code ?? '')) {
      problems.push(
        `operation ${op.operationId} (${op.type}) FAILED with unexpected ${rec.error?.code}: ${rec.error?.message}`,
      );
    }
  }

  // Operations nobody accepted through the API: the reconciler's drift repairs. They must end too.
  const acceptedIds = new Set(run.accepted.map((o) => o.operationId));
  const others = (await allOperations(cp, run)).filter((o) => !acceptedIds.has(o.operationId));
  for (const rec of others) {
    const key = `${rec.type} by ${rec.requestedBy ?? '?'} ${rec.status}${rec.error ? ` ${rec.error.code}` : ''}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (!TERMINAL.includes(rec.status))
      problems.push(
        `operation ${rec.operationId} (${rec.type} by ${rec.requestedBy}) is still ${rec.status}`,
      );
  }

  // 2. What runs matches what the table says, in the cluster's home region only; nothing extra.
  let orphans = 0;
  for (const [id, c] of clusters) {
    const ns = namespaceOf(id);
    for (const r of cp.regions) {
      const objects = r.kube?.list() ?? [];
      const namespace = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === ns);
      if (r.region !== c.region) {
        if (namespace) problems.push(`cluster ${id} (home ${c.region}) has a namespace in ${r.region}`);
        continue;
      }
      if (c.status === 'READY') {
        if (!namespace) problems.push(`cluster ${id} is READY but its namespace is missing`);
        const bp = getBlueprint(c.engine);
        const ref = bp?.readinessRefs(specOf(c))[0];
        const workload = ref
          ? objects.find(
              (o) =>
                o.kind === ref.kind && o.metadata.namespace === ns && o.metadata.name === ref.metadata.name,
            )
          : undefined;
        const generation = workload?.metadata.annotations?.['stratus.dev/generation'];
        if (!workload) problems.push(`cluster ${id} is READY but its ${ref?.kind ?? 'workload'} is missing`);
        else if (generation !== String(c.generation))
          problems.push(
            `cluster ${id} is READY at generation ${c.generation} but runs generation ${generation}`,
          );
        if (c.observedGeneration !== c.generation)
          problems.push(
            `cluster ${id} is READY with observedGeneration ${c.observedGeneration} != ${c.generation}`,
          );
        // Exactly the objects the blueprint renders: none missing, none extra (a duplicate under another name, say).
        if (bp) {
          const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
          const secrets = Object.fromEntries(bp.secretNames.map((n) => [n, 'x']));
          const want = new Set(
            bp
              .render(specOf(c), { secrets, operationId: 'chaos', correlationId: 'chaos' })
              .filter((o) => o.metadata.namespace === ns)
              .map(key),
          );
          // Not what Stratus applies: PVCs and operator-made objects (the simulated controllers'),
          // and a backup's Job or CloudNativePG Backup (applied by its BACKUP, never pruned).
          const applied = (o: (typeof objects)[number]) =>
            !madeByController(o) && !o.metadata.labels?.[BACKUP_LABEL];
          const have = new Set(objects.filter((o) => o.metadata.namespace === ns && applied(o)).map(key));
          for (const k of have) if (!want.has(k)) problems.push(`cluster ${id}: unexpected object ${k}`);
          for (const k of want) if (!have.has(k)) problems.push(`cluster ${id}: missing object ${k}`);
        }
        const replicas = (workload as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
        if (workload?.kind === 'StatefulSet' && replicas !== c.nodes)
          problems.push(`cluster ${id} wants ${c.nodes} node(s), its StatefulSet has ${replicas}`);
      } else if (c.status === 'DELETED') {
        if (namespace) problems.push(`cluster ${id} is DELETED but its namespace still exists`);
      } else if (c.status === 'PAUSED') {
        if (!namespace) problems.push(`cluster ${id} is PAUSED but its namespace is missing`);
      } else if (c.status !== 'FAILED') {
        problems.push(`cluster ${id} is still ${c.status} after the run settled`);
      }
    }
  }
  for (const r of cp.regions) {
    for (const o of r.kube?.list() ?? []) {
      const ns = o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace;
      if (!ns?.startsWith('stratus-cl-')) continue;
      const id = ns.slice('stratus-'.length);
      const c = clusters.get(id);
      if (!c || c.region !== r.region || c.status === 'DELETED') {
        orphans++;
        if (o.kind === 'Namespace')
          problems.push(`namespace ${ns} in ${r.region} belongs to no live cluster of that region`);
      }
    }
  }

  // No duplicate clusters: every listed cluster is one the workload created, names unique per tenant.
  const listed: ClusterRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cp.store.clusters.list(cp.tenantId, {}, 100, start);
    listed.push(...page.items);
    start = page.lastKey;
  } while (start);
  const names = new Map<string, string[]>();
  for (const c of listed) {
    if (!run.clusters.has(c.clusterId))
      problems.push(`cluster ${c.clusterId} (${c.name}) exists but was never accepted`);
    names.set(c.name, [...(names.get(c.name) ?? []), c.clusterId]);
  }
  for (const [name, ids] of names)
    if (ids.length > 1) problems.push(`name ${name} is used by ${ids.join(', ')}`);
  const createsPerName = new Map<string, number>();
  for (const { name } of run.clusters.values()) createsPerName.set(name, (createsPerName.get(name) ?? 0) + 1);
  for (const [name, n] of createsPerName) if (n > 1) problems.push(`name ${name} was accepted ${n} times`);

  // 6. Exactly one logical event per status change, on the home region's bus; identical copies.
  let wireEvents = 0;
  let logicalEvents = 0;
  const drift: string[] = [];
  const driftClusters = new Set<string>();
  const byEntity = new Map<string, Array<{ version: number; previous: string | null; status: string }>>();
  for (const r of cp.regions) {
    const copies = new Map<string, BusEvent[]>();
    for (const e of r.bus.events(cp.names.bus)) {
      wireEvents++;
      if (e['detail-type'] === 'Cluster Drift Detected') {
        const d = e.detail as {
          clusterId?: string;
          action?: string;
          findings?: Array<Record<string, string>>;
        };
        for (const f of d.findings ?? []) drift.push(`${d.action} ${f.kind}/${f.name} ${f.issue}`);
        driftClusters.add(String(d.clusterId));
        continue;
      }
      const eventId = String(e.detail.eventId);
      copies.set(eventId, [...(copies.get(eventId) ?? []), e]);
      if (e.detail.region !== r.region)
        problems.push(
          `event ${eventId} of region ${String(e.detail.region)} published on the ${r.region} bus`,
        );
    }
    for (const [eventId, list] of copies) {
      logicalEvents++;
      const payloads = new Set(list.map((e) => JSON.stringify([e['detail-type'], e.detail])));
      if (payloads.size > 1) problems.push(`event ${eventId} has ${payloads.size} different payloads`);
      const first = list[0];
      if (!first) continue;
      const [entityId, version] = eventId.split('/');
      const key = `${first['detail-type']}|${entityId}`;
      byEntity.set(key, [
        ...(byEntity.get(key) ?? []),
        {
          version: Number(version),
          previous: (first.detail.previousStatus as string | null) ?? null,
          status: String(first.detail.status),
        },
      ]);
    }
  }
  const finalStatus = new Map<string, string>();
  for (const [id, c] of clusters) finalStatus.set(`Cluster Status Changed|${id}`, c.status);
  for (const op of run.accepted)
    if (op.final) finalStatus.set(`Operation Status Changed|${op.operationId}`, op.final.status);
  problems.push(...(await checkBackups(cp, run, finalStatus)));
  for (const [key, expected] of finalStatus) {
    const chain = (byEntity.get(key) ?? []).sort((a, b) => a.version - b.version);
    const allowed = key.startsWith('Cluster')
      ? CLUSTER_TRANSITIONS
      : key.startsWith('Backup')
        ? BACKUP_TRANSITIONS
        : OPERATION_TRANSITIONS;
    let prev: string | null = null;
    for (const step of chain) {
      if (step.previous !== prev) {
        problems.push(
          `${key}: event v${step.version} says ${step.previous} -> ${step.status}, the one before ended at ${prev}`,
        );
      }
      if (!allowed.has(`${step.previous}>${step.status}`))
        problems.push(`${key}: unexpected transition ${step.previous} -> ${step.status}`);
      prev = step.status;
    }
    if (prev !== expected) problems.push(`${key}: last event says ${prev}, the table says ${expected}`);
  }
  for (const key of byEntity.keys()) {
    if (!finalStatus.has(key)) problems.push(`${key}: events for something the workload did not create`);
  }

  // 3. The DLQs hold the poisoned messages and nothing else; no stream record gave up.
  const dlq: Record<string, number> = {};
  for (const r of cp.regions) {
    const expected = new Set(run.poison[r.region] ?? []);
    // A poison message reaches the DLQ after maxReceiveCount receives, one visibility timeout
    // apart: it may still be on its way when the workload has settled.
    const bodies = await drainUntil(r, r.queueUrls['provisioning-dlq'] ?? '', expected, DLQ_WAIT_MS);
    dlq[r.region] = bodies.length;
    for (const b of bodies)
      if (!expected.has(b))
        problems.push(`DLQ of ${r.region} holds an unexpected message: ${b.slice(0, 200)}`);
    for (const b of expected)
      if (!bodies.includes(b)) problems.push(`poison message not in the DLQ of ${r.region}: ${b}`);
    for (const [name, url] of Object.entries(r.queueUrls)) {
      if (!name.endsWith('-stream-failures')) continue;
      const failed = await drain(r, url);
      if (failed.length > 0)
        problems.push(`${r.region} ${name} holds ${failed.length} record batch(es) that gave up`);
    }
  }

  const sum = <T>(f: (r: LocalRegion) => T[]) => cp.regions.flatMap(f);
  const injected = Object.values(run.injected);
  const figures = {
    seed: run.knobs.seed,
    operations: run.accepted.length,
    operationsAcceptedDuringChaos: run.acceptedDuringWindow,
    outcomes,
    failures,
    refused: run.refused,
    apiFailures: run.apiFailures.length,
    clusters: {
      accepted: run.clusters.size,
      byStatus: count([...clusters.values()].map((c) => `${c.region} ${c.status}`)),
      byEngine: count([...run.clusters.values()].map((c) => c.engine)),
    },
    injected: run.injected,
    duplicates: {
      queueCopies: injected.reduce((n, i) => n + i.queueCopies, 0),
      streamBatches: injected.reduce((n, i) => n + i.streamBatches, 0),
      eventsOnTheWire: wireEvents,
      logicalEvents,
    },
    kills: run.kills,
    failedInvocations: sum((r) => r.triggers.queues.map((q) => q.failedInvocations)).reduce(
      (a, b) => a + b,
      0,
    ),
    retryMessages: run.retryMessages.size,
    drift: { clusters: driftClusters.size, findings: count(drift) },
    dlq,
    orphanObjects: orphans,
    unfinishedLifecycles: run.unfinished,
    wallMs: {
      total: (run.timings.settled ?? Date.now()) - run.timings.start,
      window: (run.timings.windowEnd ?? 0) - run.timings.start,
      lifecycles: (run.timings.lifecyclesDone ?? 0) - run.timings.start,
    },
  };
  return { problems, figures };
}

/**
 * No lost backups (issue #14): every accepted BACKUP has its backup item, in the state its
 * operation ended with; a SUCCEEDED one has a size and its objects in its region's bucket. Adds
 * each backup's final status for the event chain check.
 */
async function checkBackups(
  cp: LocalControlPlane,
  run: ChaosRun,
  finalStatus: Map<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  const s3 = localS3Client(cp.endpoints.s3, cp.regions[0]?.region ?? 'eu-west-1');
  try {
    for (const op of run.accepted.filter((o) => o.type === 'BACKUP')) {
      const backup = op.backupId ? await cp.store.backups.get(cp.tenantId, op.backupId) : undefined;
      if (!backup) {
        problems.push(`backup of operation ${op.operationId} answered 202 but does not exist`);
        continue;
      }
      finalStatus.set(`Backup Status Changed|${backup.backupId}`, backup.status);
      const ended = op.final?.status;
      const expected = ended === 'SUCCEEDED' ? 'SUCCEEDED' : ended === undefined ? undefined : 'FAILED';
      if (backup.status !== expected)
        problems.push(`backup ${backup.backupId} is ${backup.status}, its operation ended ${ended}`);
      if (backup.status !== 'SUCCEEDED') continue;
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: backup.storage.bucket, Prefix: backup.storage.prefix }),
      );
      if (!backup.sizeBytes || (listed.KeyCount ?? 0) === 0)
        problems.push(
          `backup ${backup.backupId} SUCCEEDED but its objects are not in ${backup.storage.bucket}`,
        );
    }
  } finally {
    s3.destroy();
  }
  return problems;
}

function count(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys.sort()) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** How long the checks wait for the poison messages to reach the DLQ: 5 receives x 10 s, and margin. */
const DLQ_WAIT_MS = 90_000;

/** Drains `queueUrl` until every body of `expected` was seen, or `waitMs` passed: all it drained. */
async function drainUntil(
  r: LocalRegion,
  queueUrl: string,
  expected: ReadonlySet<string>,
  waitMs: number,
): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  const bodies = await drain(r, queueUrl);
  while ([...expected].some((b) => !bodies.includes(b)) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 1_000));
    bodies.push(...(await drain(r, queueUrl)));
  }
  return bodies;
}

async function drain(r: LocalRegion, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const res = await r.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
  }
}
