import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Item } from '../../../bench/capacity.js';
import {
  actionOf,
  type CountingProxy,
  credentialRegion,
  eventEntries,
  parseKey,
  parseKubeRequest,
  reportedUnits,
  since,
  startCountingProxy,
  Tallies,
  writeTargets,
} from '../../../bench/counting-proxy.js';

const INDEXES = [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }];
const KEYS = ['pk', 'sk'];

describe('Function: credentialRegion', () => {
  it('reads the region of a SigV4 credential scope, or nothing when there is none', () => {
    // Prepare
    const auth =
      'AWS4-HMAC-SHA256 Credential=local/20261205/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=ab';

    // Act / Assess
    expect(credentialRegion(auth)).toBe('us-east-1');
    expect(credentialRegion('Bearer x')).toBeUndefined();
    expect(actionOf('DynamoDB_20120810.TransactWriteItems')).toBe('TransactWriteItems');
  });
});

describe('Function: parseKubeRequest', () => {
  it('names the verb and the resource of namespaced, cluster-scoped and discovery requests', () => {
    // Act
    const cases = [
      parseKubeRequest(
        'PATCH',
        '/apis/apps/v1/namespaces/ns/statefulsets/db?fieldManager=stratus',
        'application/apply-patch+yaml',
      ),
      parseKubeRequest('GET', '/api/v1/namespaces/ns/services?labelSelector=a%3Db'),
      parseKubeRequest('GET', '/api/v1/namespaces/stratus-cl-1'),
      parseKubeRequest('DELETE', '/api/v1/namespaces/stratus-cl-1'),
      parseKubeRequest('POST', '/api/v1/namespaces/ns/secrets'),
      parseKubeRequest('GET', '/apis/apps/v1/namespaces/ns/statefulsets/db/status'),
      parseKubeRequest('PATCH', '/api/v1/namespaces/ns/configmaps/c', 'application/merge-patch+json'),
      parseKubeRequest('GET', '/apis/apps/v1'),
      parseKubeRequest('GET', '/api'),
    ];

    // Assess
    expect(cases).toEqual([
      { verb: 'apply', resource: 'statefulsets' },
      { verb: 'list', resource: 'services' },
      { verb: 'get', resource: 'namespaces' },
      { verb: 'delete', resource: 'namespaces' },
      { verb: 'create', resource: 'secrets' },
      { verb: 'get', resource: 'statefulsets/status' },
      { verb: 'patch', resource: 'configmaps' },
      { verb: 'discovery', resource: '' },
      { verb: 'discovery', resource: '' },
    ]);
  });
});

describe('Function: writeTargets', () => {
  it('lists every item of single writes and transactions, with its key and kind', () => {
    // Prepare
    const key = { pk: { S: 'a' }, sk: { S: 'b' } };
    const tx = {
      TransactItems: [
        { Put: { TableName: 't', Item: { ...key, v: { S: 'x' } } } },
        { Update: { TableName: 't', Key: key } },
        { Delete: { TableName: 't', Key: key } },
        { ConditionCheck: { TableName: 't', Key: key } },
      ],
    };

    // Act
    const targets = writeTargets('TransactWriteItems', tx, KEYS);

    // Assess
    expect(targets.map((t) => [t.kind, t.key])).toEqual([
      ['put', key],
      ['update', key],
      ['delete', key],
      ['check', key],
    ]);
    expect(writeTargets('GetItem', { TableName: 't', Key: key }, KEYS)).toEqual([]);
  });
});

describe('Function: reportedUnits', () => {
  it('sums one ConsumedCapacity or a list of them', () => {
    // Act / Assess
    expect(reportedUnits({ ConsumedCapacity: { CapacityUnits: 1.5 } })).toBe(1.5);
    expect(reportedUnits({ ConsumedCapacity: [{ CapacityUnits: 2 }, { CapacityUnits: 3 }] })).toBe(5);
    expect(reportedUnits(undefined)).toBe(0);
  });
});

describe('Function: eventEntries', () => {
  it('counts entries and their 64 KB chunks', () => {
    // Prepare
    const body = {
      Entries: [
        { Source: 's', DetailType: 'd', Detail: '{}' },
        { Source: 's', DetailType: 'd', Detail: 'x'.repeat(70_000) },
      ],
    };

    // Act
    const e = eventEntries(body);

    // Assess
    expect(e).toEqual({ entries: 2, chunks: 3, bytes: 4 + 70_002 });
  });
});

describe('Class: Tallies', () => {
  it('sums fields by key, and `since` keeps only what changed between two snapshots', () => {
    // Prepare
    const t = new Tallies();
    const key = {
      service: 'sqs' as const,
      client: 'triggers',
      region: 'eu-west-1',
      op: 'SendMessage',
      detail: '',
    };
    const other = { ...key, op: 'DeleteMessageBatch' };
    t.add(key, { requests: 1 });
    t.add(other, { requests: 1 });
    const before = t.snapshot();

    // Act
    t.add(key, { requests: 2, messages: 2 });
    const delta = since(before, t.snapshot());

    // Assess
    expect([...delta].map(([k, f]) => [parseKey(k), f])).toEqual([[key, { requests: 2, messages: 2 }]]);
  });
});

describe('Function: startCountingProxy', () => {
  let upstream: Server | undefined;
  let proxy: CountingProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await new Promise((r) => upstream?.close(r) ?? r(undefined));
  });

  it('forwards without its prefix, asks DynamoDB for consumed capacity, and counts units from the item images', async () => {
    // Prepare: an upstream that records what it got and answers like DynamoDB.
    const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ ConsumedCapacity: { TableName: 't', CapacityUnits: 1 } }));
      });
    });
    await new Promise<void>((r) => upstream?.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    // The item grows from nothing to an indexed item: 1 unit for the table, 1 for gsi1.
    const images: Array<Item | undefined> = [
      undefined,
      { pk: { S: 'a' }, sk: { S: 'b' }, gsi1pk: { S: 'p' }, gsi1sk: { S: 's' } },
    ];
    proxy = await startCountingProxy({
      readItem: async () => images.shift(),
      keyAttributes: KEYS,
      indexes: INDEXES,
    });
    const endpoint = proxy.endpoint('dynamodb', 'api', 'eu-west-1', target);

    // Act
    const res = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.PutItem',
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20261205/eu-west-1/dynamodb/aws4_request',
      },
      body: JSON.stringify({ TableName: 't', Item: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    });
    await res.text();
    await settled(proxy);

    // Assess
    expect(res.status).toBe(200);
    expect(seen[0]?.url).toBe('/');
    expect(seen[0]?.body.ReturnConsumedCapacity).toBe('INDEXES');
    const counted = [...proxy.tallies.snapshot()].map(([k, f]) => [parseKey(k).op, f]);
    expect(counted).toEqual([
      ['item', { writes: 1, wru: 2, bytes: 20, overKb: 0 }],
      [
        'PutItem',
        {
          requests: 1,
          items: 1,
          wru: 2,
          wruTable: 1,
          wruIndexes: 1,
          reported: 1,
          meterMs: expect.any(Number),
        },
      ],
    ]);
  });

  it("answers a write before reading its after-image, and the item's next write waits for that read", async () => {
    // Prepare: an upstream answering like DynamoDB; the proxy's reads of the item are held by the test.
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('{}'));
    });
    await new Promise<void>((r) => upstream?.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const reads: Array<{ release: (item: Item | undefined) => void }> = [];
    proxy = await startCountingProxy({
      readItem: () =>
        new Promise<Item | undefined>((resolve) => {
          reads.push({ release: resolve });
        }),
      keyAttributes: KEYS,
      indexes: INDEXES,
    });
    const endpoint = proxy.endpoint('dynamodb', 'api', 'eu-west-1', target);
    const put = () =>
      fetch(`${endpoint}/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' },
        body: JSON.stringify({ TableName: 't', Item: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      }).then((r) => r.text());
    const item = { pk: { S: 'a' }, sk: { S: 'b' } };

    // Act: the first write's before-image, then its answer while its after-image is not read yet.
    const first = put();
    await until(() => reads.length === 1);
    reads[0]?.release(undefined);
    await first;
    const readsWhenAnswered = reads.length;
    const second = put();
    await new Promise((r) => setTimeout(r, 50));
    const readsBeforeRelease = reads.length;
    reads[1]?.release(item);
    await until(() => reads.length === 3);
    reads[2]?.release(item);
    await until(() => reads.length === 4);
    reads[3]?.release(item);
    await second;
    await settled(proxy);

    // Assess: answered with its after-read pending; the second write read nothing until then.
    expect(readsWhenAnswered).toBe(2);
    expect(readsBeforeRelease).toBe(2);
    const puts = proxy.tallies
      .snapshot()
      .get([...proxy.tallies.snapshot().keys()].find((k) => parseKey(k).op === 'PutItem') ?? '');
    expect(puts).toMatchObject({ requests: 2, items: 2 });
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!done()) throw new Error('condition not reached in 1 s');
}

/** Waits until the proxy has nothing in flight (writes still being sized included). */
function settled(proxy: CountingProxy): Promise<void> {
  return until(() => proxy.inFlight() === 0);
}
