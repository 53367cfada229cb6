/**
 * Local replication that behaves like a DynamoDB global table (version 2019.11.21), for the
 * multi-region local runtime and its tests (docs/decisions.md D20, README "Replication").
 *
 * Replicas: one DynamoDB Local started with `sharedDb: false` keeps one database per access key
 * and region of the client, so a client signed for eu-west-1 and one signed for us-east-1 see two
 * independent tables of the same name, each with its own stream. This module copies every write
 * of one replica to the others, asynchronously:
 *
 * - It reads each replica's stream (every shard, following rollover; from LATEST at start).
 * - A record that is a local write gets a version: the time the replicator read it (a monotonic
 *   clock, so the poll interval is the resolution of "write time") and a sequence number that
 *   breaks ties. It is applied to every other replica at `read time + lagMs + jitter`
 *   (jitter uniform in [0, jitterMs), from a PRNG per link seeded by `seed`), never before an
 *   earlier write of the same item on the same link (per-item order, whatever the jitter).
 * - Apply = PutItem of the whole new image, or DeleteItem for a REMOVE (TTL deletes included), in
 *   the destination's own loop, right after that loop has read the destination's stream, so the
 *   destination's own recent writes are known. Up to 25 due writes of distinct items are applied
 *   at once after one read (one at a time with `onApply`). Last writer wins per item: a write older than the
 *   version the destination holds is dropped and counted as a conflict.
 * - An applied write appears in the destination's stream (its consumers see it, as in AWS); the
 *   replicator recognises that record as the echo of its own apply and does not send it back.
 * - The window: a local write that lands between the destination's last stream read and the
 *   apply is overwritten by an older replicated write. The stream shows the order, so the
 *   replicator detects it when the echo comes through and writes the local winner back (a
 *   "repair"): the replicas converge, but the destination's consumers saw the older image in
 *   between, which AWS would not have shown them.
 *
 * API (`startReplicator(options)` resolves once every stream is read from its current end):
 * - `pause(link?)` / `resume(link?)`: a partition. `link` is `{ from?, to? }` (either may be left
 *   out: every link from a region, to a region, or all). Paused links queue their writes in order;
 *   `resume` applies them, last writer wins. Other links keep flowing.
 * - `flush()`: waits until every write made before the call is applied (or dropped as older) on
 *   every link that is not paused, and its echo read. The lag is still waited for.
 * - `stats()`: per link applied, conflicts, no-ops, echoes, repairs, queued, and lag percentiles
 *   (`sinceObserved`: apply - read time; `sinceWrite`: apply - the previous empty read of the
 *   origin's shard, an upper bound of the time since the write).
 * - `trace()`: the last outcomes (applied, noop, conflict) with their timings; `onApply` sees each.
 * - `compare()`: scans every replica and lists the items they disagree on (tests, start checks).
 * - `stop({ settle? })`: ends every loop and timer; `settle: true` first applies what is queued,
 *   lag and pauses ignored, so that a restart finds the replicas converged.
 *
 * Restarts: reading starts at each stream's end, and what was queued when the process stopped
 * without `settle` is lost (a partition does not survive a restart either). A replica found empty
 * at start while another has items is filled from it first, as adding a replica region does.
 *
 * Wiring (the local control plane): start DynamoDB Local with `sharedDb: false`; per region, a
 * DynamoDBClient signed for that region (LOCAL_CREDENTIALS) runs `ensureTable` and gives that
 * region's own `streamArn`, read by that region's stream triggers with a DynamoDBStreamsClient
 * signed for the same region. Start the replicator once every table exists and before anything
 * writes (the local tenant's key included); stop it with `settle: true` before DynamoDB Local.
 * Handlers need nothing: their AWS_REGION already signs their clients for their own replica.
 */
import { performance } from 'node:perf_hooks';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { type Random, randomSource } from '../random.js';
import { LOCAL_CREDENTIALS } from './dynamodb.js';

export type Item = Record<string, AttributeValue>;

export interface ReplicatorOptions {
  /** DynamoDB Local's endpoint, started with `sharedDb: false`. */
  readonly endpoint: string;
  /** The table's name, the same in every replica (each created with a client signed for its region). */
  readonly tableName: string;
  /** The regions whose replicas are kept in sync (each one's database is the one its clients see). */
  readonly regions: readonly string[];
  /** Fixed part of the delay between reading a write and applying it elsewhere. @default 300 */
  readonly lagMs?: number;
  /** Random part, uniform in [0, jitterMs). @default 200 */
  readonly jitterMs?: number;
  /** Seed of the jitter (one PRNG per link, so a run can be replayed). @default - a random seed, in `stats()` */
  readonly seed?: number;
  /** Interval of stream reads when idle; also the resolution of write times. @default 100 */
  readonly pollIntervalMs?: number;
  /** Fill a replica found empty at start from the first replica that has items. @default true */
  readonly backfill?: boolean;
  /** Outcomes kept for `trace()`. @default 1000 */
  readonly traceSize?: number;
  /**
   * Called (and awaited, before the next apply to that replica) for every outcome. With it, the
   * writes due to a replica are applied one at a time (so that a test can act between two
   * applies); without it, up to 25 writes of distinct items at once.
   */
  readonly onApply?: (event: ReplicationEvent) => void | Promise<void>;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly log?: (line: string) => void;
}

/** Which links a pause or resume affects; a side left out means every region. */
export interface LinkFilter {
  readonly from?: string;
  readonly to?: string;
}

/** When a write happened, as the replicator knows it: when it read the write in its origin's stream. */
export interface WriteVersion {
  /** Epoch milliseconds (a monotonic clock) at which the record was read. */
  readonly time: number;
  /** Read order across every region: breaks ties of `time` (records of one batch share it). */
  readonly seq: number;
  readonly origin: string;
}

export interface ReplicationEvent {
  readonly from: string;
  readonly to: string;
  readonly keys: Item;
  readonly kind: 'put' | 'delete';
  /** applied: written; noop: the replica already held that image; conflict: dropped as older. */
  readonly outcome: 'applied' | 'noop' | 'conflict';
  readonly version: WriteVersion;
  /** The write happened after this time (the previous read of its shard that did not return it). */
  readonly writtenAfter: number;
  readonly jitterMs: number;
  /** When it was due (read time + lag + jitter, later if an earlier write of the item was due later). */
  readonly dueAt: number;
  /** When the outcome was decided (the write returned, for applied and noop). */
  readonly at: number;
}

export interface LagFigures {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface LinkStats {
  readonly from: string;
  readonly to: string;
  readonly paused: boolean;
  readonly applied: number;
  readonly noops: number;
  readonly conflicts: number;
  /** Records of this link's applies recognised in the destination's stream (and not sent back). */
  readonly echoes: number;
  /** Applies of this link that overwrote a newer local write of the destination (written back). */
  readonly repairs: number;
  readonly queued: number;
  readonly lag: {
    /** Apply - read in the origin's stream (at least lagMs). */
    readonly sinceObserved: LagFigures;
    /** Apply - the latest moment the write can have happened before (an upper bound). */
    readonly sinceWrite: LagFigures;
  };
}

export interface ReplicationStats {
  readonly seed: number;
  readonly lagMs: number;
  readonly jitterMs: number;
  readonly pollIntervalMs: number;
  /** Per region: local writes read from its stream, and echoes expected but never seen. */
  readonly regions: Readonly<Record<string, { readonly observed: number; readonly lostEchoes: number }>>;
  readonly links: readonly LinkStats[];
}

export interface ReplicaDifference {
  readonly keys: Item;
  /** Each replica's item (undefined: absent there). */
  readonly items: Readonly<Record<string, Item | undefined>>;
}

export interface Replicator {
  readonly regions: readonly string[];
  pause(link?: LinkFilter): void;
  resume(link?: LinkFilter): void;
  flush(): Promise<void>;
  stats(): ReplicationStats;
  trace(): readonly ReplicationEvent[];
  compare(): Promise<ReplicaDifference[]>;
  stop(opts?: { readonly settle?: boolean; readonly settleTimeoutMs?: number }): Promise<void>;
}

/** Starts replicating; resolves when every replica's stream is read from its current end. */
export async function startReplicator(options: ReplicatorOptions): Promise<Replicator> {
  const replicator = new LocalReplicator(options);
  try {
    await replicator.start();
  } catch (e) {
    await replicator.stop();
    throw e;
  }
  return replicator;
}

// ---------------------------------------------------------------------------------------------
// Pure pieces (unit-tested): fingerprints, last writer wins, per-item order, echo matching.

/** A stable text of an item (or of keys): same text for the same item whatever the attribute order. */
export function fingerprint(item: Item | null | undefined): string {
  if (!item) return '-';
  return canonicalMap(item);
}

function canonicalMap(map: Record<string, AttributeValue>): string {
  const keys = Object.keys(map)
    .filter((k) => map[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(map[k] as AttributeValue)}`).join(',')}}`;
}

function canonicalValue(v: AttributeValue): string {
  if (v.S !== undefined) return `S${JSON.stringify(v.S)}`;
  if (v.N !== undefined) return `N${v.N}`;
  if (v.B !== undefined) return `B${Buffer.from(v.B).toString('base64')}`;
  if (v.BOOL !== undefined) return `BOOL${v.BOOL}`;
  if (v.NULL !== undefined) return 'NULL';
  // Sets have no order: the same set may come back in another order.
  if (v.SS !== undefined) return `SS${JSON.stringify([...v.SS].sort())}`;
  if (v.NS !== undefined) return `NS${JSON.stringify([...v.NS].sort())}`;
  if (v.BS !== undefined)
    return `BS${JSON.stringify(v.BS.map((b) => Buffer.from(b).toString('base64')).sort())}`;
  if (v.L !== undefined) return `L[${v.L.map(canonicalValue).join(',')}]`;
  if (v.M !== undefined) return `M${canonicalMap(v.M)}`;
  return JSON.stringify(v);
}

/** Last writer wins: is `a` a later write than `b` (absent: nothing known, so yes)? */
export function isNewer(a: WriteVersion, b: WriteVersion | undefined): boolean {
  if (!b) return true;
  return a.time !== b.time ? a.time > b.time : a.seq > b.seq;
}

/** The PRNG of one link: independent of how the regions' loops interleave. */
export function linkRandom(seed: number, from: string, to: string): Random {
  return randomSource(seed, `replication:${from}>${to}`);
}

/** A write read in its origin's stream, waiting to be applied to one destination. */
export interface PendingWrite {
  readonly from: string;
  readonly to: string;
  /** The item's key as text (fingerprint of its key attributes). */
  readonly key: string;
  readonly keys: Item;
  /** The new image; null for a REMOVE. */
  readonly image: Item | null;
  readonly version: WriteVersion;
  readonly writtenAfter: number;
  readonly jitterMs: number;
  readonly dueAt: number;
  /** Enqueue order (ties of dueAt). */
  readonly order: number;
}

/**
 * The writes waiting for one destination, in the order they are due. A write is never due before
 * an earlier write of the same item on the same link, so jitter cannot reorder an item's writes.
 */
export class ApplyQueue {
  private readonly items: PendingWrite[] = [];
  private readonly lastDue = new Map<string, { dueAt: number; count: number }>();

  /** `nextOrder` numbers writes across queues (so `pendingBefore` can compare them). */
  constructor(private readonly nextOrder: () => number = counter()) {}

  push(write: Omit<PendingWrite, 'dueAt' | 'order'> & { readonly dueAt: number }): PendingWrite {
    const itemKey = `${write.from}\n${write.key}`;
    const last = this.lastDue.get(itemKey);
    const queued: PendingWrite = {
      ...write,
      dueAt: Math.max(write.dueAt, last?.dueAt ?? Number.NEGATIVE_INFINITY),
      order: this.nextOrder(),
    };
    this.lastDue.set(itemKey, { dueAt: queued.dueAt, count: (last?.count ?? 0) + 1 });
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1] as PendingWrite).dueAt > queued.dueAt) i--;
    this.items.splice(i, 0, queued);
    return queued;
  }

  /** The first write due at `now` on a link that is not blocked. */
  next(now: number, blocked: (from: string) => boolean): PendingWrite | undefined {
    for (const w of this.items) {
      if (w.dueAt > now) return undefined;
      if (!blocked(w.from)) return w;
    }
    return undefined;
  }

  /**
   * The writes due at `now` on links that are not blocked, in order, at most `max`, one per item:
   * a write whose item is already in the batch stays queued (with every later write of that item),
   * so that the batch's writes can be applied at the same time without reordering an item's writes.
   */
  due(now: number, blocked: (from: string) => boolean, max: number): PendingWrite[] {
    const batch: PendingWrite[] = [];
    const items = new Set<string>();
    for (const w of this.items) {
      if (w.dueAt > now || batch.length >= max) break;
      if (blocked(w.from)) continue;
      if (items.has(w.key)) continue;
      items.add(w.key);
      batch.push(w);
    }
    return batch;
  }

  remove(write: PendingWrite): void {
    const i = this.items.indexOf(write);
    if (i < 0) return;
    this.items.splice(i, 1);
    const itemKey = `${write.from}\n${write.key}`;
    const last = this.lastDue.get(itemKey);
    if (last && last.count <= 1) this.lastDue.delete(itemKey);
    else if (last) this.lastDue.set(itemKey, { ...last, count: last.count - 1 });
  }

  /** When the next write of a link that is not blocked is due (undefined: none). */
  nextDueAt(blocked: (from: string) => boolean): number | undefined {
    return this.items.find((w) => !blocked(w.from))?.dueAt;
  }

  size(from?: string): number {
    return from === undefined ? this.items.length : this.items.filter((w) => w.from === from).length;
  }

  /** Writes enqueued before `order` on links that are not blocked. */
  pendingBefore(order: number, blocked: (from: string) => boolean): number {
    return this.items.filter((w) => w.order < order && !blocked(w.from)).length;
  }

  /** The oldest version waiting (undefined: none), for pruning what a replica holds. */
  oldestTime(): number | undefined {
    let oldest: number | undefined;
    for (const w of this.items) if (oldest === undefined || w.version.time < oldest) oldest = w.version.time;
    return oldest;
  }
}

/** The version of an item a replica holds, and its image (to write it back after a clobber). */
export interface Held {
  readonly version: WriteVersion;
  readonly image: Item | null;
}

/** An apply whose record has not yet come through the destination's stream. */
export interface Expectation {
  readonly from: string;
  readonly fp: string;
  readonly version: WriteVersion;
  readonly image: Item | null;
  /** The destination loop's cycle in which it was applied. */
  readonly cycle: number;
  /** The replica already held that image: no record will come. */
  readonly noop: boolean;
}

export type Observation =
  | { readonly kind: 'local'; readonly version: WriteVersion }
  | {
      readonly kind: 'echo';
      readonly expectation: Expectation;
      /** The newer local write this apply overwrote (it happened after the last stream read). */
      readonly clobbered?: Held;
    };

/**
 * What one replica holds, per item, as its stream shows it, and the applies whose records are
 * still to come. No I/O: the replicator feeds it the replica's stream records in order.
 */
export class ReplicaState {
  private readonly held = new Map<string, Held>();
  private readonly expected = new Map<string, Expectation[]>();
  /** Expectations dropped without their record (should stay 0: a record that never came). */
  lostEchoes = 0;

  /**
   * A record of this replica's stream. An echo of an apply (matched by the item's image, in apply
   * order), or a local write, which gets `localVersion()`.
   */
  observe(key: string, image: Item | null, localVersion: () => WriteVersion): Observation {
    const fp = fingerprint(image);
    const list = this.expected.get(key) ?? [];
    const i = list.findIndex((e) => !e.noop && e.fp === fp);
    if (i >= 0) {
      const expectation = list[i] as Expectation;
      // Applies before it whose record did not come were no-ops: the replica holds them too.
      for (const skipped of list.slice(0, i)) this.fold(key, skipped);
      const rest = list.slice(i + 1);
      if (rest.length > 0) this.expected.set(key, rest);
      else this.expected.delete(key);
      const prev = this.held.get(key);
      if (prev && isNewer(prev.version, expectation.version)) {
        // The stream shows a newer local write before this apply: the apply overwrote it.
        return { kind: 'echo', expectation, clobbered: prev };
      }
      this.held.set(key, { version: expectation.version, image });
      return { kind: 'echo', expectation };
    }
    const version = localVersion();
    this.held.set(key, { version, image });
    return { kind: 'local', version };
  }

  /** Last writer wins: may a write of `version` be applied here? */
  accepts(key: string, version: WriteVersion): boolean {
    const last = this.expected.get(key)?.at(-1);
    return isNewer(version, this.held.get(key)?.version) && isNewer(version, last?.version);
  }

  /** An apply was made (`noop`: the replica already held that image, so no record will come). */
  applied(key: string, e: Omit<Expectation, 'fp'>): void {
    const list = this.expected.get(key);
    const expectation: Expectation = { ...e, fp: fingerprint(e.image) };
    if (e.noop && !list) {
      this.fold(key, expectation);
      return;
    }
    // Kept in order behind the applies still expected, then folded when those are seen.
    if (list) list.push(expectation);
    else this.expected.set(key, [expectation]);
  }

  /**
   * After a complete read of the stream that began after cycle `cycle`'s applies: expectations of
   * earlier cycles will get no record (their apply was a no-op, or their record was missed).
   */
  drained(cycle: number): void {
    for (const [key, list] of this.expected) {
      const keep: Expectation[] = [];
      for (const e of list) {
        if (e.cycle < cycle) {
          if (!e.noop) this.lostEchoes++;
          this.fold(key, e);
        } else keep.push(e);
      }
      if (keep.length > 0) this.expected.set(key, keep);
      else this.expected.delete(key);
    }
  }

  get(key: string): Held | undefined {
    return this.held.get(key);
  }

  outstanding(): number {
    let n = 0;
    for (const list of this.expected.values()) n += list.length;
    return n;
  }

  /**
   * Forgets versions older than `before` (no write still to be applied here is older), unless an
   * apply of the item is still expected (a clobber check needs what the stream showed).
   */
  prune(before: number): void {
    for (const [key, h] of this.held) {
      if (h.version.time < before && !this.expected.has(key)) this.held.delete(key);
    }
  }

  size(): number {
    return this.held.size;
  }

  private fold(key: string, e: Expectation): void {
    const prev = this.held.get(key);
    if (!isNewer(e.version, prev?.version)) return;
    this.held.set(key, { version: e.version, image: prev ? prev.image : e.image });
  }
}

/** Nearest-rank percentiles of a sample (zeros when empty). */
export function lagFigures(samples: readonly number[]): LagFigures {
  if (samples.length === 0) return { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return {
    count: sorted.length,
    min: Math.round(sorted[0] as number),
    p50: Math.round(at(50)),
    p95: Math.round(at(95)),
    p99: Math.round(at(99)),
    max: Math.round(sorted[sorted.length - 1] as number),
  };
}

// ---------------------------------------------------------------------------------------------
// The replicator: one loop per region, reading its stream then applying what is due to it.

const DESCRIBE_EVERY_MS = 5_000;
const PRUNE_EVERY_MS = 10_000;
/** Versions older than this (and than anything queued) are forgotten. */
const PRUNE_AGE_MS = 10_000;
const SAMPLES_PER_LINK = 10_000;
const GET_RECORDS_LIMIT = 1000;
/**
 * Writes applied to a replica at once (distinct items, after one read of its stream). One at a
 * time, a burst of creates (issue #12: 1,000 clusters, some 6,000 writes per region) queued 3,000
 * writes and lagged 88 s behind, at ~25 applies a second per link: each apply waited for a fresh
 * stream read and its own PutItem round trip.
 */
const APPLY_BATCH = 25;

/** Epoch milliseconds from a monotonic clock (wall-clock steps cannot reorder writes). */
const now = () => performance.timeOrigin + performance.now();

interface Shard {
  iterator?: string;
  done: boolean;
  parent?: string;
  /** The last record read (or skipped at start): reading goes on after it. */
  lastSeq?: string;
  /** When the last read of this shard was sent: a later record was written after it. */
  lastReadAt: number;
}

interface Waiter {
  readonly cycle: number;
  resolve(): void;
  reject(e: Error): void;
}

interface RegionRuntime {
  readonly name: string;
  readonly db: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  streamArn: string;
  readonly shards: Map<string, Shard>;
  lastDescribe: number;
  readonly state: ReplicaState;
  readonly queue: ApplyQueue;
  /** Items whose local winner must be written back (key -> keys). */
  readonly repairs: Map<string, Item>;
  /** Cycles started and completed (a cycle: read the stream, then apply what is due). */
  started: number;
  completed: number;
  readonly waiters: Waiter[];
  lastDrainAt: number;
  lastPrune: number;
  observed: number;
  timer?: NodeJS.Timeout;
  wake?: () => void;
  wakeAt: number;
  loop?: Promise<void>;
}

interface LinkCounters {
  applied: number;
  noops: number;
  conflicts: number;
  echoes: number;
  repairs: number;
  readonly sinceObserved: number[];
  readonly sinceWrite: number[];
  readonly random: () => number;
}

class LocalReplicator implements Replicator {
  readonly regions: readonly string[];
  private readonly lagMs: number;
  private readonly jitterMs: number;
  private readonly seed: number;
  private readonly pollIntervalMs: number;
  private readonly log: (line: string) => void;
  private readonly runtimes = new Map<string, RegionRuntime>();
  private readonly links = new Map<string, LinkCounters>();
  private readonly paused = new Set<string>();
  private readonly events: ReplicationEvent[] = [];
  private seq = 0;
  private enqueued = 0;
  private settling = false;
  private stopped = false;
  private stopping?: Promise<void>;

  constructor(private readonly o: ReplicatorOptions) {
    const regions = [...o.regions];
    if (regions.length === 0) throw new Error('startReplicator: give at least one region');
    if (new Set(regions).size !== regions.length)
      throw new Error(`startReplicator: regions must be distinct, got ${regions.join(', ')}`);
    this.regions = regions;
    this.lagMs = nonNegative('lagMs', o.lagMs ?? 300);
    this.jitterMs = nonNegative('jitterMs', o.jitterMs ?? 200);
    this.pollIntervalMs = nonNegative('pollIntervalMs', o.pollIntervalMs ?? 100) || 1;
    this.seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.log = o.log ?? (() => undefined);
    const credentials = o.credentials ?? LOCAL_CREDENTIALS;
    for (const name of regions) {
      this.runtimes.set(name, {
        name,
        db: new DynamoDBClient({ endpoint: o.endpoint, region: name, credentials }),
        streams: new DynamoDBStreamsClient({ endpoint: o.endpoint, region: name, credentials }),
        streamArn: '',
        shards: new Map(),
        lastDescribe: 0,
        state: new ReplicaState(),
        queue: new ApplyQueue(() => this.enqueued++),
        repairs: new Map(),
        started: 0,
        completed: 0,
        waiters: [],
        lastDrainAt: 0,
        lastPrune: now(),
        observed: 0,
        wakeAt: 0,
      });
      for (const to of regions) {
        if (to === name) continue;
        this.links.set(linkId(name, to), {
          applied: 0,
          noops: 0,
          conflicts: 0,
          echoes: 0,
          repairs: 0,
          sinceObserved: [],
          sinceWrite: [],
          random: linkRandom(this.seed, name, to),
        });
      }
    }
  }

  async start(): Promise<void> {
    const empty: RegionRuntime[] = [];
    const full: RegionRuntime[] = [];
    for (const r of this.runtimes.values()) {
      await this.describeTable(r);
      const res = await r.db.send(new ScanCommand({ TableName: this.o.tableName, Limit: 1 }));
      ((res.Items?.length ?? 0) > 0 ? full : empty).push(r);
    }
    for (const r of full) await this.positionAtEnd(r);
    const source = full[0];
    if (source && empty.length > 0 && this.o.backfill !== false) {
      for (const r of empty) {
        const copied = await this.copyAll(source, r);
        this.log(`[replicator] ${r.name}'s replica was empty: ${copied} item(s) copied from ${source.name}`);
      }
    }
    for (const r of empty) await this.positionAtEnd(r);
    for (const r of this.runtimes.values()) r.loop = this.run(r);
  }

  pause(link: LinkFilter = {}): void {
    for (const id of this.matching(link)) this.paused.add(id);
  }

  resume(link: LinkFilter = {}): void {
    for (const id of this.matching(link)) this.paused.delete(id);
    for (const r of this.runtimes.values()) this.nudge(r, now());
  }

  async flush(): Promise<void> {
    await this.everyCycle(); // every write made before the call is read
    const target = this.enqueued;
    for (;;) {
      const waiting = [...this.runtimes.values()].some(
        (r) => r.queue.pendingBefore(target, (from) => this.blocked(from, r.name)) > 0 || r.repairs.size > 0,
      );
      if (!waiting) break;
      await this.everyCycle();
    }
    // The last applies' echoes are read (and a clobber written back) within two more cycles.
    await this.everyCycle();
    await this.everyCycle();
  }

  stats(): ReplicationStats {
    const regions: Record<string, { observed: number; lostEchoes: number }> = {};
    for (const r of this.runtimes.values()) {
      regions[r.name] = { observed: r.observed, lostEchoes: r.state.lostEchoes };
    }
    const links: LinkStats[] = [];
    for (const [id, c] of this.links) {
      const [from, to] = id.split('>') as [string, string];
      links.push({
        from,
        to,
        paused: this.paused.has(id),
        applied: c.applied,
        noops: c.noops,
        conflicts: c.conflicts,
        echoes: c.echoes,
        repairs: c.repairs,
        queued: this.runtime(to).queue.size(from),
        lag: { sinceObserved: lagFigures(c.sinceObserved), sinceWrite: lagFigures(c.sinceWrite) },
      });
    }
    return {
      seed: this.seed,
      lagMs: this.lagMs,
      jitterMs: this.jitterMs,
      pollIntervalMs: this.pollIntervalMs,
      regions,
      links,
    };
  }

  trace(): readonly ReplicationEvent[] {
    return [...this.events];
  }

  async compare(): Promise<ReplicaDifference[]> {
    const byRegion = new Map<string, Map<string, Item>>();
    const keysOf = new Map<string, Item>();
    for (const r of this.runtimes.values()) {
      const items = new Map<string, Item>();
      await this.scanAll(r, (page) => {
        for (const item of page) {
          const keys = this.keysOf(item);
          const key = fingerprint(keys);
          items.set(key, item);
          keysOf.set(key, keys);
        }
      });
      byRegion.set(r.name, items);
    }
    const out: ReplicaDifference[] = [];
    for (const [key, keys] of keysOf) {
      const items: Record<string, Item | undefined> = {};
      const fps = new Set<string>();
      for (const [region, map] of byRegion) {
        items[region] = map.get(key);
        fps.add(fingerprint(map.get(key)));
      }
      if (fps.size > 1) out.push({ keys, items });
    }
    return out;
  }

  stop(opts: { readonly settle?: boolean; readonly settleTimeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      if (opts.settle && [...this.runtimes.values()].every((r) => r.loop)) {
        this.settling = true;
        for (const r of this.runtimes.values()) this.nudge(r, now());
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            this.flush(),
            new Promise<void>((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out')), opts.settleTimeoutMs ?? 10_000);
            }),
          ]);
        } catch (e) {
          this.log(`[replicator] could not apply what was queued before stopping: ${(e as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
      this.stopped = true;
      for (const r of this.runtimes.values()) r.wake?.();
      await Promise.all([...this.runtimes.values()].map((r) => r.loop));
      for (const r of this.runtimes.values()) {
        for (const w of r.waiters.splice(0)) w.reject(new Error('the replicator was stopped'));
        r.db.destroy();
        r.streams.destroy();
      }
    })();
    return this.stopping;
  }

  // --- the loop --------------------------------------------------------------------------------

  private async run(r: RegionRuntime): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const cycle = ++r.started;
      try {
        await this.drain(r);
        r.state.drained(cycle);
        await this.applyDue(r, cycle);
        if (now() - r.lastPrune > PRUNE_EVERY_MS) this.prune(r);
        r.completed = cycle;
        for (const w of r.waiters.filter((x) => x.cycle <= cycle)) {
          r.waiters.splice(r.waiters.indexOf(w), 1);
          w.resolve();
        }
        failures = 0;
      } catch (e) {
        if (this.stopped) break;
        failures++;
        this.log(`[replicator] ${r.name}: ${(e as Error).message} (attempt ${failures}, retrying)`);
        if (failures >= 3) {
          const error = new Error(`replicator: ${r.name} keeps failing: ${(e as Error).message}`, {
            cause: e,
          });
          for (const w of r.waiters.splice(0)) w.reject(error);
        }
      }
      if (this.stopped) break;
      await this.sleep(
        r,
        failures > 0 ? Math.min(this.pollIntervalMs * 2 ** failures, 2_000) : this.idleFor(r),
      );
    }
  }

  private idleFor(r: RegionRuntime): number {
    if (r.repairs.size > 0 || r.waiters.length > 0) return 0;
    const due = r.queue.nextDueAt((from) => this.blocked(from, r.name));
    if (due === undefined) return this.pollIntervalMs;
    return Math.max(0, Math.min(this.pollIntervalMs, due - now()));
  }

  private sleep(r: RegionRuntime, ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(r.timer);
        r.timer = undefined;
        r.wake = undefined;
        resolve();
      };
      r.wake = wake;
      r.wakeAt = now() + ms;
      r.timer = setTimeout(wake, ms);
    });
  }

  /** Wakes `r` by `at` if it sleeps longer. */
  private nudge(r: RegionRuntime, at: number): void {
    const wake = r.wake;
    if (!wake || at >= r.wakeAt) return;
    clearTimeout(r.timer);
    r.wakeAt = at;
    r.timer = setTimeout(wake, Math.max(0, at - now()));
  }

  /** Resolves after a cycle of every region that starts after this call. */
  private everyCycle(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the replicator was stopped'));
    return Promise.all(
      [...this.runtimes.values()].map(
        (r) =>
          new Promise<void>((resolve, reject) => {
            r.waiters.push({ cycle: r.started + 1, resolve, reject });
            this.nudge(r, now());
          }),
      ),
    ).then(() => undefined);
  }

  // --- reading a replica's stream ---------------------------------------------------------------

  private async describeTable(r: RegionRuntime): Promise<void> {
    const res = await r.db.send(new DescribeTableCommand({ TableName: this.o.tableName })).catch((e) => {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
      throw new Error(
        `replicator: table ${this.o.tableName} is not in ${r.name}'s replica: create it with a client ` +
          `signed for ${r.name} (ensureTable) before starting the replicator (${(e as Error).message})`,
        { cause: e },
      );
    });
    const view = res.Table?.StreamSpecification?.StreamViewType;
    const arn = res.Table?.LatestStreamArn;
    if (!arn || !res.Table?.StreamSpecification?.StreamEnabled || !view?.startsWith('NEW_')) {
      throw new Error(
        `replicator: ${r.name}'s table ${this.o.tableName} needs a stream with new images ` +
          `(NEW_IMAGE or NEW_AND_OLD_IMAGES), it has ${view ?? 'none'}`,
      );
    }
    r.streamArn = arn;
    this.keyNames = (res.Table?.KeySchema ?? []).flatMap((k) => (k.AttributeName ? [k.AttributeName] : []));
  }

  /**
   * Every open shard is read from its end from now on; closed ones are skipped. The records there
   * are skipped rather than a LATEST iterator taken: DynamoDB Local numbers records per database,
   * not per table, and refuses (TrimmedDataAccessException) an iterator taken on an empty shard
   * once another table's write has used the next number. Knowing the last record makes that
   * recoverable (see readShard).
   */
  private async positionAtEnd(r: RegionRuntime): Promise<void> {
    for (const s of await this.listShards(r)) {
      const shardId = s.ShardId as string;
      const shard: Shard = {
        done: Boolean(s.SequenceNumberRange?.EndingSequenceNumber),
        lastReadAt: now(),
        ...(s.ParentShardId ? { parent: s.ParentShardId } : {}),
      };
      r.shards.set(shardId, shard);
      if (!shard.done) await this.readShard(r, shardId, shard, { skip: true });
    }
    r.lastDescribe = now();
  }

  private async listShards(r: RegionRuntime) {
    const out = [];
    let start: string | undefined;
    do {
      const res = await r.streams.send(
        new DescribeStreamCommand({
          StreamArn: r.streamArn,
          ...(start ? { ExclusiveStartShardId: start } : {}),
        }),
      );
      out.push(...(res.StreamDescription?.Shards ?? []).filter((s) => s.ShardId));
      start = res.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return out;
  }

  /** Shards that appeared since (a rollover) are read from their start. */
  private async discover(r: RegionRuntime): Promise<void> {
    r.lastDescribe = now();
    for (const s of await this.listShards(r)) {
      const shardId = s.ShardId as string;
      if (r.shards.has(shardId)) continue;
      r.shards.set(shardId, {
        done: false,
        lastReadAt: now(),
        ...(s.ParentShardId ? { parent: s.ParentShardId } : {}),
      });
    }
  }

  /** Reads every shard of `r`'s stream to its current end, handling each record in order. */
  private async drain(r: RegionRuntime): Promise<void> {
    if (now() - r.lastDescribe > DESCRIBE_EVERY_MS) await this.discover(r);
    for (;;) {
      let ended = false;
      for (const [shardId, shard] of r.shards) {
        if (shard.done) continue;
        if (shard.parent && r.shards.get(shard.parent)?.done === false) continue; // parent first
        ended = (await this.readShard(r, shardId, shard)) || ended;
      }
      if (!ended) break;
      await this.discover(r); // a shard closed: its children hold what follows
    }
    r.lastDrainAt = now();
  }

  /**
   * Reads one shard to its current end (records handled in order, or only skipped); true when the
   * shard closed. An iterator DynamoDB Local refuses (see positionAtEnd) or that expired is taken
   * again after the last record read, or from the shard's start if none was: records already
   * read are skipped by sequence number.
   */
  private async readShard(
    r: RegionRuntime,
    shardId: string,
    shard: Shard,
    opts: { readonly skip?: boolean } = {},
  ): Promise<boolean> {
    let retakes = 0;
    for (;;) {
      if (!shard.iterator) {
        const it = await r.streams.send(
          new GetShardIteratorCommand({
            StreamArn: r.streamArn,
            ShardId: shardId,
            ...(shard.lastSeq
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSeq }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        if (!it.ShardIterator) {
          shard.done = true;
          return true;
        }
        shard.iterator = it.ShardIterator;
      }
      const sentAt = now();
      let res: GetRecordsCommandOutput;
      try {
        res = await r.streams.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: GET_RECORDS_LIMIT }),
        );
      } catch (e) {
        const name = (e as Error).name;
        if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw e;
        if (++retakes > 2) throw e;
        shard.iterator = undefined;
        continue;
      }
      const at = now();
      const after = shard.lastSeq === undefined ? undefined : BigInt(shard.lastSeq);
      const records = (res.Records ?? []).filter((rec) => {
        const seq = rec.dynamodb?.SequenceNumber;
        return seq !== undefined && (after === undefined || BigInt(seq) > after);
      });
      if (!opts.skip) for (const record of records) this.onRecord(r, record, at, shard.lastReadAt);
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) shard.lastSeq = last;
      shard.lastReadAt = sentAt;
      if (!res.NextShardIterator) {
        shard.done = true;
        shard.iterator = undefined;
        return true;
      }
      shard.iterator = res.NextShardIterator;
      if ((res.Records ?? []).length === 0) return false;
    }
  }

  private onRecord(r: RegionRuntime, record: StreamRecord, at: number, writtenAfter: number): void {
    const keys = record.dynamodb?.Keys as Item | undefined;
    if (!keys) return;
    const key = fingerprint(keys);
    const image =
      record.eventName === 'REMOVE' ? null : ((record.dynamodb?.NewImage as Item | undefined) ?? null);
    if (record.eventName !== 'REMOVE' && !image) {
      this.log(
        `[replicator] ${r.name}: a ${record.eventName} record without its new image cannot be replicated`,
      );
      return;
    }
    const seen = r.state.observe(key, image, () => ({ time: at, seq: ++this.seq, origin: r.name }));
    if (seen.kind === 'echo') {
      const { from } = seen.expectation;
      const link = from === r.name ? undefined : this.links.get(linkId(from, r.name));
      if (link) link.echoes++;
      if (seen.clobbered) {
        if (link) link.repairs++;
        r.repairs.set(key, keys);
        this.log(
          `[replicator] ${r.name}: an apply from ${from} overwrote a newer local write of ${key}: writing it back`,
        );
      }
      return;
    }
    r.observed++;
    for (const d of this.runtimes.values()) {
      if (d === r) continue;
      const link = this.links.get(linkId(r.name, d.name)) as LinkCounters;
      const jitterMs = link.random() * this.jitterMs;
      const queued = d.queue.push({
        from: r.name,
        to: d.name,
        key,
        keys,
        image,
        version: seen.version,
        writtenAfter,
        jitterMs,
        dueAt: at + this.lagMs + jitterMs,
      });
      if (!this.blocked(r.name, d.name)) this.nudge(d, queued.dueAt);
    }
  }

  // --- applying to a replica -------------------------------------------------------------------

  private blocked(from: string, to: string): boolean {
    return !this.settling && this.paused.has(linkId(from, to));
  }

  private async applyDue(r: RegionRuntime, cycle: number): Promise<void> {
    const blocked = (from: string) => this.blocked(from, r.name);
    while (!this.stopped) {
      for (const [key, keys] of [...r.repairs]) {
        await this.repair(r, key, keys, cycle);
        r.repairs.delete(key);
      }
      const due = r.queue.due(
        this.settling ? Number.POSITIVE_INFINITY : now(),
        blocked,
        this.o.onApply ? 1 : APPLY_BATCH,
      );
      if (due.length === 0) return;
      // Know this replica's own writes made meanwhile before deciding (a stream read is cheap).
      if (now() - r.lastDrainAt > this.pollIntervalMs) {
        await this.drain(r);
        continue;
      }
      const accepted: PendingWrite[] = [];
      for (const w of due) {
        if (r.state.accepts(w.key, w.version)) {
          accepted.push(w);
          continue;
        }
        r.queue.remove(w);
        (this.links.get(linkId(w.from, r.name)) as LinkCounters).conflicts++;
        await this.record(w, 'conflict', now());
      }
      // Distinct items: their order does not matter. Every write that succeeded is recorded (its
      // echo must not be taken for a local write) before a failure is rethrown.
      const outcomes = await Promise.allSettled(
        accepted.map(async (w) => ({ w, noop: await this.write(r, w.keys, w.image), at: now() })),
      );
      let failure: unknown;
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          failure ??= outcome.reason;
          continue;
        }
        const { w, noop, at } = outcome.value;
        const link = this.links.get(linkId(w.from, r.name)) as LinkCounters;
        r.state.applied(w.key, { from: w.from, version: w.version, image: w.image, cycle, noop });
        r.queue.remove(w);
        if (noop) link.noops++;
        else link.applied++;
        push(link.sinceObserved, at - w.version.time);
        push(link.sinceWrite, at - w.writtenAfter);
        await this.record(w, noop ? 'noop' : 'applied', at);
      }
      if (failure !== undefined) throw failure;
    }
  }

  /** Writes the local winner back after an apply overwrote it. */
  private async repair(r: RegionRuntime, key: string, keys: Item, cycle: number): Promise<void> {
    const winner = r.state.get(key);
    if (!winner) return;
    const noop = await this.write(r, keys, winner.image);
    r.state.applied(key, { from: r.name, version: winner.version, image: winner.image, cycle, noop });
  }

  /** PutItem of the whole image, or DeleteItem; true when the replica already held exactly that. */
  private async write(r: RegionRuntime, keys: Item, image: Item | null): Promise<boolean> {
    if (image) {
      const res = await r.db.send(
        new PutItemCommand({ TableName: this.o.tableName, Item: image, ReturnValues: 'ALL_OLD' }),
      );
      return res.Attributes !== undefined && fingerprint(res.Attributes) === fingerprint(image);
    }
    const res = await r.db.send(
      new DeleteItemCommand({ TableName: this.o.tableName, Key: keys, ReturnValues: 'ALL_OLD' }),
    );
    return res.Attributes === undefined;
  }

  private async record(w: PendingWrite, outcome: ReplicationEvent['outcome'], at: number): Promise<void> {
    const event: ReplicationEvent = {
      from: w.from,
      to: w.to,
      keys: w.keys,
      kind: w.image ? 'put' : 'delete',
      outcome,
      version: w.version,
      writtenAfter: w.writtenAfter,
      jitterMs: w.jitterMs,
      dueAt: w.dueAt,
      at,
    };
    this.events.push(event);
    if (this.events.length > (this.o.traceSize ?? 1000)) this.events.shift();
    try {
      await this.o.onApply?.(event);
    } catch (e) {
      this.log(`[replicator] onApply failed: ${(e as Error).message}`);
    }
  }

  private prune(r: RegionRuntime): void {
    r.lastPrune = now();
    r.state.prune(Math.min(now() - PRUNE_AGE_MS, r.queue.oldestTime() ?? Number.POSITIVE_INFINITY));
  }

  // --- scans -----------------------------------------------------------------------------------

  private async scanAll(r: RegionRuntime, onPage: (items: Item[]) => void | Promise<void>): Promise<void> {
    let start: Item | undefined;
    do {
      const res: ScanCommandOutput = await r.db.send(
        new ScanCommand({ TableName: this.o.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      await onPage(res.Items ?? []);
      start = res.LastEvaluatedKey;
    } while (start);
  }

  /** A new replica gets every item of an existing one, as adding a replica region does. */
  private async copyAll(source: RegionRuntime, target: RegionRuntime): Promise<number> {
    let copied = 0;
    await this.scanAll(source, async (items) => {
      for (let i = 0; i < items.length; i += 25) {
        let requests: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > 0) await new Promise((res) => setTimeout(res, Math.min(50 * 2 ** attempt, 1000)));
          const res = await target.db.send(
            new BatchWriteItemCommand({ RequestItems: { [this.o.tableName]: requests } }),
          );
          requests = res.UnprocessedItems?.[this.o.tableName] ?? [];
        }
      }
      copied += items.length;
    });
    return copied;
  }

  private keyNames: string[] = [];

  private keysOf(item: Item): Item {
    const names = this.keyNames;
    return Object.fromEntries(
      names.filter((n) => item[n] !== undefined).map((n) => [n, item[n] as AttributeValue]),
    );
  }

  private matching(link: LinkFilter): string[] {
    for (const region of [link.from, link.to]) {
      if (region !== undefined && !this.runtimes.has(region))
        throw new Error(`replicator: ${region} is not replicated (regions: ${this.regions.join(', ')})`);
    }
    return [...this.links.keys()].filter((id) => {
      const [from, to] = id.split('>');
      return (link.from === undefined || link.from === from) && (link.to === undefined || link.to === to);
    });
  }

  private runtime(name: string): RegionRuntime {
    return this.runtimes.get(name) as RegionRuntime;
  }
}

function counter(): () => number {
  let n = 0;
  return () => n++;
}

function linkId(from: string, to: string): string {
  return `${from}>${to}`;
}

function push(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > SAMPLES_PER_LINK) samples.shift();
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`startReplicator: ${name} must be >= 0, got ${value}`);
  return value;
}
