/**
 * A counting HTTP proxy for bench/cost.ts: put in front of DynamoDB Local, fauxqs, the local
 * EventBridge bus and the Kubernetes stand-ins (the local control plane's `meter` option), it
 * forwards every request unchanged but for DynamoDB's `ReturnConsumedCapacity`, and counts:
 *
 * - DynamoDB: requests by operation; read units as DynamoDB Local reports them (asked for with
 *   `ReturnConsumedCapacity: INDEXES`, which it accepts in the signed body: it checks no
 *   signature); write units computed from the item before and after each write (bench/capacity.ts;
 *   the proxy reads them itself, uncounted: the before-images ahead of the write, the after-images
 *   once the answer is on its way, the item's next write waiting for them), with DynamoDB Local's
 *   own figure kept beside them as a check; failed conditional writes; `meterMs`, the time the
 *   proxy added to each request beside forwarding it (its waits and reads), which bench/cost.ts
 *   takes off the functions' durations.
 * - SQS: requests by action; receives that returned messages apart from empty ones; messages.
 * - EventBridge: PutEvents requests and entries.
 * - Kubernetes: requests by verb and resource.
 *
 * Each endpoint handed out is this proxy's address plus a path prefix naming the route (service,
 * client, region, target), so one listener serves every client; the prefix is stripped before the
 * request goes on. Counts are tallies of named numbers by key (`Tallies`); the bench diffs
 * snapshots taken between its phases.
 */
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  failedConditionUnits,
  type IndexKeys,
  type Item,
  itemSize,
  readUnits,
  type WriteUnits,
  writeUnits,
} from './capacity.js';

export type MeteredService = 'dynamodb' | 'sqs' | 'eventbridge' | 'kubernetes';

/** One counter's key: what was called, by whom, where. */
export interface TallyKey {
  readonly service: MeteredService | 'lambda';
  /** A function id, `triggers`, `replicator` or `functions` (see LocalMeter.endpoint). */
  readonly client: string;
  /** The region whose replica, queue, bus or cluster the request went to. */
  readonly region: string;
  /** The API action (`PutItem`, `ReceiveMessage`...), the Kubernetes verb, `invoke`. */
  readonly op: string;
  /** What it acted on or how it went: a Kubernetes resource, `empty` receives... */
  readonly detail: string;
}

export type Fields = Record<string, number>;
export type Snapshot = ReadonlyMap<string, Fields>;

const SEP = '\t';
export const keyOf = (k: TallyKey) => [k.service, k.client, k.region, k.op, k.detail].join(SEP);
export function parseKey(key: string): TallyKey {
  const [service, client, region, op, detail] = key.split(SEP);
  return {
    service: service as TallyKey['service'],
    client: client ?? '',
    region: region ?? '',
    op: op ?? '',
    detail: detail ?? '',
  };
}

/** Sums of named numbers by key. */
export class Tallies {
  private readonly map = new Map<string, Fields>();

  add(key: TallyKey, fields: Fields): void {
    const k = keyOf(key);
    const t = this.map.get(k) ?? {};
    for (const [name, value] of Object.entries(fields)) t[name] = (t[name] ?? 0) + value;
    this.map.set(k, t);
  }

  snapshot(): Snapshot {
    return new Map([...this.map].map(([k, f]) => [k, { ...f }]));
  }
}

/** What `after` counted since `before` (keys with nothing new are left out). */
export function since(before: Snapshot, after: Snapshot): Snapshot {
  const out = new Map<string, Fields>();
  for (const [k, f] of after) {
    const b = before.get(k) ?? {};
    const d: Fields = {};
    let any = false;
    for (const [name, value] of Object.entries(f)) {
      const delta = value - (b[name] ?? 0);
      if (delta !== 0) any = true;
      d[name] = delta;
    }
    if (any) out.set(k, d);
  }
  return out;
}

// ---- parsing ---------------------------------------------------------------------------------

/** The region of a SigV4 `Authorization` header's credential scope (`Credential=AKID/date/region/...`). */
export function credentialRegion(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=[^/]+\/\d{8}\/([^/]+)\//)?.[1];
}

/** `DynamoDB_20120810.PutItem` -> `PutItem`; `AmazonSQS.SendMessage` -> `SendMessage`. */
export function actionOf(target: string | string[] | undefined): string {
  const t = Array.isArray(target) ? target[0] : target;
  return t?.split('.').pop() ?? 'unknown';
}

export interface KubeRequest {
  /** get, list, watch, create, apply, patch, update, delete, deletecollection, discovery. */
  readonly verb: string;
  /** The resource (plural, with its subresource: `statefulsets/status`), '' for discovery. */
  readonly resource: string;
}

/** The verb and resource of a Kubernetes API request, from its method, path and content type. */
export function parseKubeRequest(method: string, url: string, contentType?: string): KubeRequest {
  const parsed = new URL(url, 'http://x');
  const segs = parsed.pathname.split('/').filter(Boolean);
  let rest: string[];
  if (segs[0] === 'api' && segs.length > 2) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length > 3) rest = segs.slice(3);
  else return { verb: 'discovery', resource: '' };
  let resource: string | undefined;
  let name: string | undefined;
  let sub: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [, , resource, name, sub] = rest;
  else [resource, name, sub] = rest;
  const full = `${resource ?? ''}${sub ? `/${sub}` : ''}`;
  const m = method.toUpperCase();
  let verb: string;
  if (m === 'GET') verb = parsed.searchParams.get('watch') === 'true' ? 'watch' : name ? 'get' : 'list';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = contentType?.includes('apply-patch') ? 'apply' : 'patch';
  else if (m === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else verb = m.toLowerCase();
  return { verb, resource: full };
}

/** One item a DynamoDB write request touches. */
export interface WriteTarget {
  readonly table: string;
  readonly key: Item;
  readonly kind: 'put' | 'update' | 'delete' | 'check';
}

type Json = Record<string, unknown>;

/** The items a write request touches (none for reads and other actions). */
export function writeTargets(action: string, body: Json, keyAttributes: readonly string[]): WriteTarget[] {
  const keyOfItem = (item: Item): Item =>
    Object.fromEntries(keyAttributes.filter((a) => a in item).map((a) => [a, item[a] as Item[string]]));
  const one = (kind: WriteTarget['kind'], x: Json): WriteTarget => ({
    table: String(x.TableName),
    kind,
    key: kind === 'put' ? keyOfItem(x.Item as Item) : (x.Key as Item),
  });
  switch (action) {
    case 'PutItem':
      return [one('put', body)];
    case 'UpdateItem':
      return [one('update', body)];
    case 'DeleteItem':
      return [one('delete', body)];
    case 'TransactWriteItems':
      return ((body.TransactItems as Json[]) ?? []).map((t) => {
        if (t.Put) return one('put', t.Put as Json);
        if (t.Update) return one('update', t.Update as Json);
        if (t.Delete) return one('delete', t.Delete as Json);
        return one('check', t.ConditionCheck as Json);
      });
    case 'BatchWriteItem':
      return Object.entries((body.RequestItems as Record<string, Json[]>) ?? {}).flatMap(([table, reqs]) =>
        reqs.map((r) =>
          r.PutRequest
            ? one('put', { TableName: table, Item: (r.PutRequest as Json).Item })
            : one('delete', { TableName: table, Key: (r.DeleteRequest as Json).Key }),
        ),
      );
    default:
      return [];
  }
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

/** The capacity units a DynamoDB response reports (one object, or one per table). */
export function reportedUnits(response: Json | undefined): number {
  const cc = response?.ConsumedCapacity;
  const list = Array.isArray(cc) ? cc : cc ? [cc] : [];
  return list.reduce((n: number, c) => n + Number((c as Json).CapacityUnits ?? 0), 0);
}

/** Whether a read asked for strong consistency (transactional reads count as such). */
export function consistentRead(action: string, body: Json): boolean {
  return action === 'TransactGetItems' || body.ConsistentRead === true;
}

/** Sum of the units of each write of a request. */
export function sumUnits(units: readonly WriteUnits[]): { table: number; indexes: number; total: number } {
  const table = units.reduce((n, u) => n + u.table, 0);
  const total = units.reduce((n, u) => n + u.total, 0);
  return { table, indexes: total - table, total };
}

/** The entries of a PutEvents request and the bytes EventBridge bills each by (64 KB chunks). */
export function eventEntries(body: Json): { entries: number; chunks: number; bytes: number } {
  const entries = (body.Entries as Json[]) ?? [];
  let chunks = 0;
  let total = 0;
  for (const e of entries) {
    const bytes =
      Buffer.byteLength(String(e.Source ?? '')) +
      Buffer.byteLength(String(e.DetailType ?? '')) +
      Buffer.byteLength(String(e.Detail ?? '')) +
      ((e.Resources as string[] | undefined) ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0) +
      (e.Time ? 14 : 0);
    chunks += Math.max(1, Math.ceil(bytes / 65_536));
    total += bytes;
  }
  return { entries: entries.length, chunks, bytes: total };
}

// ---- the proxy -------------------------------------------------------------------------------

export interface CountingProxyOptions {
  /**
   * Reads an item as it is now from `region`'s replica at `endpoint` (DynamoDB Local; uncounted:
   * the proxy's own reads, to size each write).
   */
  readonly readItem: (
    endpoint: string,
    region: string,
    table: string,
    key: Item,
  ) => Promise<Item | undefined>;
  /** The table's key attributes and indexes. */
  readonly keyAttributes: readonly string[];
  readonly indexes: readonly IndexKeys[];
  readonly host?: string;
}

interface Route {
  readonly service: MeteredService;
  readonly client: string;
  readonly region: string;
  readonly target: URL;
}

export interface CountingProxy {
  readonly url: string;
  /** The endpoint to give `client` instead of `target` (LocalMeter.endpoint). */
  endpoint(service: MeteredService, client: string, region: string, target: string): string;
  readonly tallies: Tallies;
  /**
   * Requests still being forwarded, long polls excepted, and writes still being sized (the bench
   * waits for none before a snapshot).
   */
  inFlight(): number;
  stop(): Promise<void>;
}

export async function startCountingProxy(opts: CountingProxyOptions): Promise<CountingProxy> {
  const routes: Route[] = [];
  const tallies = new Tallies();
  let inFlight = 0;
  /** Writes whose after-images are still being read (their tallies are not in yet). */
  let sizing = 0;
  /**
   * The last write of each item still being sized: the next write of the item waits for it, so
   * that each write's before and after images are its own, while the writer does not wait for the
   * proxy's after-reads (the meter's own work, not the function's: docs/cost.md, GB-s).
   */
  const itemLocks = new Map<string, Promise<void>>();

  const forward = (
    route: Route,
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = request(
        {
          host: route.target.hostname,
          port: route.target.port,
          method,
          path: `${route.target.pathname.replace(/\/$/, '')}${path}`,
          headers: { ...headers, host: route.target.host, 'content-length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const json = (b: Buffer): Json | undefined => {
    try {
      return b.length ? (JSON.parse(b.toString('utf8')) as Json) : undefined;
    } catch {
      return undefined;
    }
  };

  async function dynamodb(
    route: Route,
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ) {
    const started = performance.now();
    const action = actionOf(headers['x-amz-target']);
    const region = credentialRegion(headers.authorization) ?? route.region;
    const key = { service: 'dynamodb' as const, client: route.client, region, op: action, detail: '' };
    const body = json(raw) ?? {};
    const metered = READS.has(action) || WRITES.has(action);
    const sent = metered ? Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: 'INDEXES' })) : raw;
    const targets = WRITES.has(action) ? writeTargets(action, body, opts.keyAttributes) : [];
    const read = (t: WriteTarget) => opts.readItem(route.target.href, region, t.table, t.key);
    // Queue behind the previous write of each item until its after-image is read.
    const lockKeys = [
      ...new Set(targets.map((t) => `${region}\u0000${t.table}\u0000${JSON.stringify(t.key)}`)),
    ];
    const previous = lockKeys.map((k) => itemLocks.get(k));
    let unlock: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const release = () => {
      unlock();
      for (const k of lockKeys) if (itemLocks.get(k) === held) itemLocks.delete(k);
    };
    for (const k of lockKeys) itemLocks.set(k, held);
    let before: Array<Item | undefined>;
    let res: Awaited<ReturnType<typeof forward>>;
    let forwardMs = 0;
    try {
      await Promise.all(previous);
      before = await Promise.all(targets.map(read));
      const f0 = performance.now();
      res = await forward(route, method, path, headers, sent);
      forwardMs = performance.now() - f0;
    } catch (e) {
      release();
      throw e;
    }
    /** The time the proxy added to this request: its waits and reads beside the forwarding. */
    const meterMs = performance.now() - started - forwardMs;
    const out = json(res.body);
    if (!WRITES.has(action) || res.status !== 200) release();
    if (res.status !== 200) {
      const type =
        String(out?.__type ?? '')
          .split('#')
          .pop() ?? 'error';
      // A failed conditional write is charged (bench/capacity.ts); a cancelled transaction is
      // counted, not priced (docs/cost.md).
      const wru = type === 'ConditionalCheckFailedException' ? failedConditionUnits(before[0]) : 0;
      tallies.add({ ...key, detail: type }, { requests: 1, failed: 1, wru, meterMs });
      return res;
    }
    if (READS.has(action)) {
      tallies.add(key, {
        requests: 1,
        rru: readUnits(reportedUnits(out), consistentRead(action, body)),
        reported: reportedUnits(out),
        items: Array.isArray(out?.Items) ? out.Items.length : out?.Item ? 1 : 0,
        meterMs,
      });
    } else if (WRITES.has(action)) {
      // The answer goes back now; the after-images are read behind it (the item stays locked).
      sizing++;
      sizeWrite(action, key, targets, before, read, reportedUnits(out), meterMs)
        .catch((e: unknown) => tallies.add({ ...key, detail: `unsized: ${String(e)}` }, { requests: 1 }))
        .finally(() => {
          sizing--;
          release();
        });
    } else {
      tallies.add(key, { requests: 1, meterMs });
    }
    return res;
  }

  /** Reads a successful write's after-images and tallies its units (see `dynamodb`). */
  async function sizeWrite(
    action: string,
    key: TallyKey,
    targets: WriteTarget[],
    before: Array<Item | undefined>,
    read: (t: WriteTarget) => Promise<Item | undefined>,
    reported: number,
    meterMs: number,
  ): Promise<void> {
    const after = await Promise.all(targets.map((t) => (t.kind === 'check' ? undefined : read(t))));
    const units = targets.map((t, i) =>
      writeUnits({
        before: before[i],
        after: t.kind === 'check' ? before[i] : after[i],
        transactional: action === 'TransactWriteItems',
        indexes: opts.indexes,
        conditionCheck: t.kind === 'check',
      }),
    );
    // Per item written: its entity, how, and its size (the larger image), to explain the units.
    targets.forEach((t, i) => {
      const image = (t.kind === 'check' ? before[i] : (after[i] ?? before[i])) ?? {};
      const entity = String((image.entity as { S?: string } | undefined)?.S ?? '(absent)');
      const bytes = Math.max(before[i] ? itemSize(before[i]) : 0, after[i] ? itemSize(after[i]) : 0);
      tallies.add(
        { ...key, op: 'item', detail: `${action} ${t.kind} ${entity}` },
        { writes: 1, wru: units[i]?.total ?? 0, bytes, overKb: bytes > 1024 ? 1 : 0 },
      );
    });
    const sum = sumUnits(units);
    tallies.add(key, {
      requests: 1,
      items: targets.length,
      wru: sum.total,
      wruTable: sum.table,
      wruIndexes: sum.indexes,
      // DynamoDB Local's own figure, right for single-item writes only (bench/capacity.ts).
      reported,
      meterMs,
    });
  }

  async function sqs(route: Route, method: string, path: string, headers: IncomingHttpHeaders, raw: Buffer) {
    const action = actionOf(headers['x-amz-target']);
    const region = credentialRegion(headers.authorization) ?? route.region;
    const res = await forward(route, method, path, headers, raw);
    const out = json(res.body);
    const body = json(raw) ?? {};
    let detail = res.status === 200 ? '' : 'failed';
    const fields: Fields = { requests: 1 };
    if (action === 'ReceiveMessage' && res.status === 200) {
      const n = Array.isArray(out?.Messages) ? out.Messages.length : 0;
      detail = n > 0 ? 'messages' : 'empty';
      fields.messages = n;
    } else if (action === 'SendMessage') fields.messages = 1;
    else if (action.endsWith('Batch')) fields.messages = ((body.Entries as unknown[]) ?? []).length;
    tallies.add({ service: 'sqs', client: route.client, region, op: action, detail }, fields);
    return res;
  }

  async function eventbridge(
    route: Route,
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ) {
    const action = actionOf(headers['x-amz-target']);
    const res = await forward(route, method, path, headers, raw);
    const e = eventEntries(json(raw) ?? {});
    const failedEntries = Number(json(res.body)?.FailedEntryCount ?? 0);
    tallies.add(
      { service: 'eventbridge', client: route.client, region: route.region, op: action, detail: '' },
      { requests: 1, entries: e.entries, chunks: e.chunks, bytes: e.bytes, failedEntries },
    );
    return res;
  }

  async function kubernetes(
    route: Route,
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ) {
    const k = parseKubeRequest(method, path, headers['content-type']);
    const res = await forward(route, method, path, headers, raw);
    tallies.add(
      { service: 'kubernetes', client: route.client, region: route.region, op: k.verb, detail: k.resource },
      { requests: 1, ...(res.status >= 400 ? { [`status${res.status}`]: 1 } : {}) },
    );
    return res;
  }

  const handlers = { dynamodb, sqs, eventbridge, kubernetes };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/m(\d+)(\/.*)?$/.exec(req.url ?? '');
      const route = m ? routes[Number(m[1])] : undefined;
      if (!route) {
        res.writeHead(404).end(`no route for ${req.url}`);
        return;
      }
      // Long polls (queue receives, stream reads) are always pending: not counted as in flight.
      const target = String(req.headers['x-amz-target'] ?? '');
      const polling = target === 'AmazonSQS.ReceiveMessage' || target.startsWith('DynamoDBStreams_');
      if (!polling) inFlight++;
      handlers[route.service](route, req.method ?? 'GET', m?.[2] ?? '/', req.headers, Buffer.concat(chunks))
        .then(
          (up) => {
            const headers = { ...up.headers };
            delete headers['transfer-encoding'];
            headers['content-length'] = String(up.body.length);
            res.writeHead(up.status, headers).end(up.body);
          },
          (e: Error) => res.writeHead(502).end(`counting proxy: ${e.message}`),
        )
        .finally(() => {
          if (!polling) inFlight--;
        });
    });
  });
  // Keep-alive sockets would hold `close()` open; requests are short.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const url = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tallies,
    inFlight: () => inFlight + sizing,
    endpoint(service, client, region, target) {
      routes.push({ service, client, region, target: new URL(target) });
      return `${url}/m${routes.length - 1}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
