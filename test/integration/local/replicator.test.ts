import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dynamoStartTimeoutMs,
  ensureTable,
  LOCAL_CREDENTIALS,
  type LocalDynamo,
  startDynamoLocal,
} from '../../../local/runtime/dynamodb.js';
import {
  type Item,
  type ReplicationEvent,
  type Replicator,
  type ReplicatorOptions,
  startReplicator,
} from '../../../local/runtime/replicator.js';

const [A, B, C] = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;

let dynamo: LocalDynamo | undefined;
const clients = new Map<string, { db: DynamoDBClient; streams: DynamoDBStreamsClient }>();
const running: Replicator[] = [];
let tableCount = 0;

function endpoint(): string {
  if (!dynamo) throw new Error('DynamoDB Local did not start');
  return dynamo.endpoint;
}

/** Clients signed for `region`: DynamoDB Local without sharedDb gives them that region's database. */
function clientsOf(region: string) {
  let c = clients.get(region);
  if (!c) {
    const opts = { endpoint: endpoint(), region, credentials: LOCAL_CREDENTIALS };
    c = { db: new DynamoDBClient(opts), streams: new DynamoDBStreamsClient(opts) };
    clients.set(region, c);
  }
  return c;
}
const db = (region: string) => clientsOf(region).db;

async function freshTable(regions: readonly string[]): Promise<string> {
  const table = `repl-${++tableCount}`;
  for (const region of regions) await ensureTable(db(region), table);
  return table;
}

/** A fresh table in each region and a replicator over it (stopped after the test). */
async function replicate(
  regions: readonly string[],
  over: Partial<Omit<ReplicatorOptions, 'endpoint' | 'tableName' | 'regions'>> = {},
): Promise<{ rep: Replicator; table: string }> {
  const table = await freshTable(regions);
  const rep = await startReplicator({ endpoint: endpoint(), tableName: table, regions, seed: 1, ...over });
  running.push(rep);
  return { rep, table };
}

const keyOf = (pk: string): Item => ({ pk: { S: pk }, sk: { S: 'item' } });
const itemOf = (pk: string, v: string): Item => ({ ...keyOf(pk), v: { S: v } });

async function put(region: string, table: string, pk: string, v: string): Promise<void> {
  await db(region).send(new PutItemCommand({ TableName: table, Item: itemOf(pk, v) }));
}

/** The item's `v` in `region`'s replica (undefined: absent). */
async function valueIn(region: string, table: string, pk: string): Promise<string | undefined> {
  const res = await db(region).send(
    new GetItemCommand({ TableName: table, Key: keyOf(pk), ConsistentRead: true }),
  );
  return res.Item?.v?.S;
}

/** Every record of `region`'s stream, from its beginning (the tables are fresh). */
async function streamOf(
  region: string,
  table: string,
): Promise<Array<{ event: string; pk: string; v?: string }>> {
  const { streams } = clientsOf(region);
  const desc = await db(region).send(new DescribeTableCommand({ TableName: table }));
  const streamArn = desc.Table?.LatestStreamArn as string;
  const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription
    ?.Shards;
  const out: Array<{ event: string; pk: string; v?: string }> = [];
  for (const shard of shards ?? []) {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of res.Records ?? []) {
        const v = r.dynamodb?.NewImage?.v?.S;
        out.push({ event: r.eventName ?? '', pk: r.dynamodb?.Keys?.pk?.S ?? '', ...(v ? { v } : {}) });
      }
      if ((res.Records ?? []).length === 0) break;
      iterator = res.NextShardIterator;
    }
  }
  return out;
}

/** Polls until `check` holds (reads of a local emulator: a few ms each). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const link = (rep: Replicator, from: string, to: string) => {
  const found = rep.stats().links.find((l) => l.from === from && l.to === to);
  if (!found) throw new Error(`no link ${from}>${to}`);
  return found;
};

beforeAll(async () => {
  dynamo = await startDynamoLocal({ sharedDb: false });
}, dynamoStartTimeoutMs() + 30_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  for (const c of clients.values()) {
    c.db.destroy();
    c.streams.destroy();
  }
  await dynamo?.stop();
});

describe('Function: startDynamoLocal (sharedDb: false)', () => {
  it('gives each region its own database: its own tables, items and stream', async () => {
    // Prepare
    const table = `regional-${++tableCount}`;
    await ensureTable(db(A), table);
    const absentInB = (await db(B).send(new ListTablesCommand({}))).TableNames ?? [];
    await ensureTable(db(B), table);

    // Act
    await put(A, table, 'k', 'from-a');

    // Assess
    expect(absentInB).not.toContain(table);
    expect(await valueIn(A, table, 'k')).toBe('from-a');
    expect(await valueIn(B, table, 'k')).toBeUndefined();
    expect(await streamOf(A, table)).toEqual([{ event: 'INSERT', pk: 'k', v: 'from-a' }]);
    expect(await streamOf(B, table)).toEqual([]);
    // A client signed for another region again sees its own database, not A's.
    const other = new DynamoDBClient({ endpoint: endpoint(), region: C, credentials: LOCAL_CREDENTIALS });
    await expect(other.send(new DescribeTableCommand({ TableName: table }))).rejects.toThrow(
      /non-existent table|not found/i,
    );
    other.destroy();
  });
});

describe('Function: startReplicator', () => {
  it('copies a put to the other region after the lag, not before', async () => {
    // Prepare
    const lagMs = 1000;
    const { rep, table } = await replicate([A, B], { lagMs, jitterMs: 0 });

    // Act
    const writeStarted = performance.now();
    await put(A, table, 'k', 'v1');
    const rightAfter = await valueIn(B, table, 'k');
    const checkedWithin = performance.now() - writeStarted;
    await until(async () => (await valueIn(B, table, 'k')) !== undefined);
    const seenAfter = performance.now() - writeStarted;
    await rep.flush();

    // Assess
    expect(checkedWithin).toBeLessThan(lagMs); // else the first read proves nothing
    expect(rightAfter).toBeUndefined();
    expect(seenAfter).toBeGreaterThanOrEqual(lagMs);
    expect(await valueIn(B, table, 'k')).toBe('v1');
    const figures = link(rep, A, B);
    expect(figures.applied).toBe(1);
    expect(figures.lag.sinceObserved.min).toBeGreaterThanOrEqual(lagMs);
    expect(figures.lag.sinceWrite.min).toBeGreaterThanOrEqual(figures.lag.sinceObserved.min);
  });

  it("shows a write once in the other region's stream and never sends it back (no ping-pong)", async () => {
    // Prepare
    const { rep, table } = await replicate([A, B]);

    // Act
    await put(A, table, 'k', 'v1');
    await rep.flush();
    await sleep(1000); // twice lag + jitter: a bounced write would have come back by now
    await rep.flush();

    // Assess
    expect(await streamOf(A, table)).toEqual([{ event: 'INSERT', pk: 'k', v: 'v1' }]);
    expect(await streamOf(B, table)).toEqual([{ event: 'INSERT', pk: 'k', v: 'v1' }]);
    expect(link(rep, A, B)).toMatchObject({ applied: 1, echoes: 1, conflicts: 0, queued: 0 });
    expect(link(rep, B, A)).toMatchObject({ applied: 0, echoes: 0 });
    expect(rep.stats().regions).toEqual({
      [A]: { observed: 1, lostEchoes: 0 },
      [B]: { observed: 0, lostEchoes: 0 },
    });
  });

  it('converges concurrent writes of one item in three regions to the later write', async () => {
    // Prepare: a lag long enough that each region writes before it receives the other's write
    const { rep, table } = await replicate([A, B, C], { lagMs: 1000, jitterMs: 300 });

    // Act
    await put(A, table, 'k', 'from-a');
    await until(() => rep.stats().regions[A]?.observed === 1); // A's write has its time
    await put(B, table, 'k', 'from-b');
    await rep.flush();

    // Assess
    for (const region of [A, B, C]) expect(await valueIn(region, table, 'k')).toBe('from-b');
    expect(await rep.compare()).toEqual([]);
    expect(link(rep, A, B).conflicts).toBe(1); // B dropped A's older write...
    expect(await streamOf(B, table)).toEqual([{ event: 'INSERT', pk: 'k', v: 'from-b' }]); // ...unseen there
    expect(await streamOf(A, table)).toEqual([
      { event: 'INSERT', pk: 'k', v: 'from-a' },
      { event: 'MODIFY', pk: 'k', v: 'from-b' },
    ]);
    expect(link(rep, B, A).applied + link(rep, B, C).applied).toBe(2);
  });

  it("evaluates a condition against the writing region's replica only, then converges", async () => {
    // Prepare
    const { rep, table } = await replicate([A, B]);
    rep.pause();
    const createOnce = (region: string, v: string) =>
      db(region).send(
        new PutItemCommand({
          TableName: table,
          Item: itemOf('name', v),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

    // Act
    await createOnce(A, 'from-a');
    await until(() => rep.stats().regions[A]?.observed === 1);
    await createOnce(B, 'from-b'); // B's replica has no such item yet: the condition holds there
    const secondInA = createOnce(A, 'again');
    await expect(secondInA).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    rep.resume();
    await rep.flush();

    // Assess: both creates succeeded; the later one is what both regions keep
    expect(await valueIn(A, table, 'name')).toBe('from-b');
    expect(await valueIn(B, table, 'name')).toBe('from-b');
    expect(link(rep, A, B).conflicts).toBe(1);
  });

  it('replicates a transaction item by item, not atomically', async () => {
    // Prepare
    const seenInB: number[] = [];
    const keys = ['t1', 't2', 't3'];
    const countInB = async () => {
      const res = await db(B).send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: keys.map(keyOf), ConsistentRead: true } },
        }),
      );
      return res.Responses?.[table]?.length ?? 0;
    };
    const onApply = async (e: ReplicationEvent) => {
      if (e.to === B) seenInB.push(await countInB()); // awaited before the next apply to B
    };
    const { rep, table } = await replicate([A, B], { jitterMs: 400, onApply });

    // Act
    await db(A).send(
      new TransactWriteItemsCommand({
        TransactItems: keys.map((k) => ({ Put: { TableName: table, Item: itemOf(k, 'tx') } })),
      }),
    );
    await rep.flush();

    // Assess: B held one item of the transaction, then two, then three
    expect(seenInB).toEqual([1, 2, 3]);
    const applies = rep.trace().filter((e) => e.to === B);
    expect(new Set(applies.map((e) => e.jitterMs)).size).toBe(3); // each item drew its own delay
    expect((await streamOf(B, table)).map((r) => r.pk).sort()).toEqual(keys);
  });

  it('replicates a delete (what a TTL expiry writes to the stream), keeping the order of writes', async () => {
    // Prepare
    const { rep, table } = await replicate([A, B], { jitterMs: 500, seed: 3 });

    // Act: three writes of one item within the lag, each drawing its own jitter
    await put(A, table, 'k', 'v1');
    await put(A, table, 'k', 'v2');
    await db(A).send(new DeleteItemCommand({ TableName: table, Key: keyOf('k') }));
    await rep.flush();

    // Assess
    expect(await valueIn(B, table, 'k')).toBeUndefined();
    const inB = await streamOf(B, table);
    expect(inB).toEqual([
      { event: 'INSERT', pk: 'k', v: 'v1' },
      { event: 'MODIFY', pk: 'k', v: 'v2' },
      { event: 'REMOVE', pk: 'k' },
    ]);
    const applies = rep.trace().filter((e) => e.to === B);
    const order = applies.map((e) => e.version.seq);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(applies.at(-1)).toMatchObject({ kind: 'delete', outcome: 'applied' });
  });

  it('holds writes during a partition and converges after it, the lag figures showing it', async () => {
    // Prepare
    const { rep, table } = await replicate([A, B]);
    rep.pause();
    const pausedAt = performance.now();

    // Act
    await put(A, table, 'only-a', 'a');
    await put(B, table, 'only-b', 'b');
    await put(A, table, 'both', 'from-a');
    await until(() => rep.stats().regions[A]?.observed === 2);
    await put(B, table, 'both', 'from-b');
    await sleep(1000); // twice lag + jitter: nothing crosses while paused
    const duringPause = {
      bHasA: await valueIn(B, table, 'only-a'),
      aHasB: await valueIn(A, table, 'only-b'),
      queued: [link(rep, A, B).queued, link(rep, B, A).queued],
      differing: (await rep.compare()).length,
    };
    const pausedFor = performance.now() - pausedAt;
    const resumedAt = performance.timeOrigin + performance.now(); // the replicator's clock
    rep.resume();
    await rep.flush();

    // Assess
    expect(duringPause).toEqual({ bHasA: undefined, aHasB: undefined, queued: [2, 2], differing: 3 });
    expect(await rep.compare()).toEqual([]);
    expect(await valueIn(A, table, 'both')).toBe('from-b');
    expect(await valueIn(B, table, 'only-a')).toBe('a');
    const figures = link(rep, A, B);
    expect(figures).toMatchObject({ applied: 1, conflicts: 1, queued: 0 });
    expect(link(rep, B, A)).toMatchObject({ applied: 2, conflicts: 0 });
    // Every write waited out the partition, and the lag figures count that wait.
    const applied = rep.trace().filter((e) => e.outcome === 'applied');
    const lastRead = Math.max(...applied.map((e) => e.version.time));
    expect(pausedFor).toBeGreaterThanOrEqual(1000);
    expect(applied.every((e) => e.at >= resumedAt)).toBe(true);
    for (const l of [figures, link(rep, B, A)]) {
      expect(l.lag.sinceObserved.min).toBeGreaterThanOrEqual(Math.floor(resumedAt - lastRead));
    }
  });

  it('pauses one direction only', async () => {
    // Prepare
    const { rep, table } = await replicate([A, B]);
    rep.pause({ from: A, to: B });

    // Act
    await put(A, table, 'a', 'a');
    await put(B, table, 'b', 'b');
    await rep.flush(); // waits for the links that flow

    // Assess
    expect(await valueIn(A, table, 'b')).toBe('b');
    expect(await valueIn(B, table, 'a')).toBeUndefined();
    expect(rep.stats().links.map((l) => [l.from, l.to, l.paused, l.queued])).toEqual([
      [A, B, true, 1],
      [B, A, false, 0],
    ]);
    expect(() => rep.pause({ from: 'mars-1' })).toThrow(/mars-1 is not replicated/);
  });

  it('writes back a local write that an apply overwrote in the window before it', async () => {
    // Prepare: two items due at once (held by a pause); B's stream is not read again between
    // their applies (poll interval 1 s), and B writes the other item right after the first apply.
    let overwritten: string | undefined;
    const onApply = async (e: ReplicationEvent) => {
      if (e.to === B && !overwritten) {
        overwritten = e.keys.pk?.S === 'w1' ? 'w2' : 'w1';
        await put(B, table, overwritten, 'local-in-b');
      }
    };
    const { rep, table } = await replicate([A, B], { jitterMs: 0, pollIntervalMs: 1000, onApply });
    rep.pause();

    // Act
    await db(A).send(
      new TransactWriteItemsCommand({
        TransactItems: ['w1', 'w2'].map((k) => ({ Put: { TableName: table, Item: itemOf(k, 'from-a') } })),
      }),
    );
    await until(() => rep.stats().regions[A]?.observed === 2);
    rep.resume();
    await rep.flush();
    await rep.flush(); // B's local write, read after the apply, reaches A

    // Assess: the later (local) write wins in both regions; B's consumers saw the clobber
    const k = overwritten as string;
    expect(await valueIn(B, table, k)).toBe('local-in-b');
    expect(await valueIn(A, table, k)).toBe('local-in-b');
    expect(await rep.compare()).toEqual([]);
    expect(link(rep, A, B).repairs).toBe(1);
    expect((await streamOf(B, table)).filter((r) => r.pk === k).map((r) => r.v)).toEqual([
      'local-in-b',
      'from-a',
      'local-in-b',
    ]);
  });

  it('draws the same delays for the same seed', async () => {
    // Prepare
    const runs = await Promise.all([
      replicate([A, B], { seed: 42 }),
      replicate([A, B], { seed: 42 }),
      replicate([A, B], { seed: 43 }),
    ]);

    // Act
    for (const { table } of runs) {
      for (const k of ['a', 'b', 'c', 'd']) await put(A, table, k, 'v');
    }
    await Promise.all(runs.map(({ rep }) => rep.flush()));

    // Assess
    const delays = runs.map(({ rep }) =>
      [...rep.trace()]
        .sort((x, y) => x.version.seq - y.version.seq)
        .map((e) => Math.round(e.dueAt - e.version.time)),
    );
    expect(delays[0]).toHaveLength(4);
    expect(delays[1]).toEqual(delays[0]);
    expect(delays[2]).not.toEqual(delays[0]);
    expect(runs.map(({ rep }) => rep.stats().seed)).toEqual([42, 42, 43]);
  });

  it('fills a replica that is empty at start from another, as adding a replica region does', async () => {
    // Prepare
    const table = await freshTable([A, B]);
    await put(A, table, 'old', 'before-start');

    // Act
    const rep = await startReplicator({ endpoint: endpoint(), tableName: table, regions: [A, B] });
    running.push(rep);

    // Assess: copied, and not replicated back as a new write
    expect(await valueIn(B, table, 'old')).toBe('before-start');
    await put(B, table, 'new', 'after');
    await rep.flush();
    expect(await rep.compare()).toEqual([]);
    expect(rep.stats().regions).toMatchObject({ [A]: { observed: 0 }, [B]: { observed: 1 } });
  });

  it('refuses a table missing in a region, saying how to create it', async () => {
    // Prepare
    const table = await freshTable([A]);

    // Act
    const start = startReplicator({ endpoint: endpoint(), tableName: table, regions: [A, B] });

    // Assess
    await expect(start).rejects.toThrow(new RegExp(`${table} is not in ${B}'s replica: create it`));
  });

  it('stops every loop and timer, and applies nothing afterwards; settle applies what is queued', async () => {
    // Prepare
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const { rep, table } = await replicate([A, B], { lagMs: 300 });
    const settled = await replicate([A, B], { lagMs: 60_000 });
    settled.rep.pause();

    // Act
    await put(A, table, 'k', 'queued');
    await until(() => rep.stats().regions[A]?.observed === 1);
    await rep.stop();
    await put(A, settled.table, 'k', 'queued');
    await until(() => settled.rep.stats().regions[A]?.observed === 1);
    await settled.rep.stop({ settle: true });
    await sleep(800); // past lag + jitter

    // Assess
    expect(await valueIn(B, table, 'k')).toBeUndefined();
    expect(await valueIn(B, settled.table, 'k')).toBe('queued');
    expect(timers()).toBeLessThanOrEqual(before); // none of the replicators' timers is left
    await expect(rep.flush()).rejects.toThrow(/stopped/);
  });
});
