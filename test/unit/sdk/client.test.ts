import { describe, expect, it } from 'vitest';
import {
  OperationTimeoutError,
  StratusApiError,
  StratusClient,
  type StratusClientOptions,
  StratusNetworkError,
} from '../../../sdk/index.js';
import { CLUSTER, fakeApi, fakeClock, json, operation, problem } from './fake-api.js';

const EU = 'http://eu.example.test';
const US = 'http://us.example.test';
const CREATE = { name: 'vectors', engine: 'qdrant', region: 'eu-west-1' } as const;

function client(api: ReturnType<typeof fakeApi>, over: Partial<StratusClientOptions> = {}) {
  const clock = fakeClock();
  const stratus = new StratusClient({
    baseUrl: EU,
    apiKey: 'sk-test',
    fetch: api.fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    ...over,
  });
  return { stratus, clock };
}

const accepted = () => json(202, { cluster: CLUSTER, operation: operation('QUEUED') });

describe('Class: StratusClient', () => {
  describe('Method: constructor', () => {
    it('refuses a base URL that is not http(s) and a missing key, with a message', () => {
      // Assess
      expect(() => new StratusClient({ baseUrl: 'localhost:4000', apiKey: 'k' })).toThrow(
        'baseUrl must be an http(s) URL, not "localhost:4000"',
      );
      expect(() => new StratusClient({ baseUrl: EU, apiKey: '' })).toThrow('apiKey is required');
    });
  });

  describe('Method: clusters.create', () => {
    it('sends the key, the body and a new Idempotency-Key, and answers the cluster and its operation', async () => {
      // Prepare
      const api = fakeApi(accepted());
      const { stratus } = client(api);

      // Act
      const first = await stratus.clusters.create(CREATE);
      await stratus.clusters.create(CREATE);

      // Assess
      expect(first).toEqual({ cluster: CLUSTER, operation: operation('QUEUED') });
      const [a, b] = api.requests;
      expect(a?.method).toBe('POST');
      expect(a?.url).toBe(`${EU}/v1/clusters`);
      expect(a?.headers.get('authorization')).toBe('Bearer sk-test');
      expect(a?.body).toEqual(CREATE);
      const keyA = a?.headers.get('idempotency-key');
      expect(keyA).toMatch(/^[A-Za-z0-9_.:-]{1,255}$/);
      expect(b?.headers.get('idempotency-key')).not.toBe(keyA);
    });

    it('keeps the same Idempotency-Key on every retry of 503 and 429, waiting at least Retry-After', async () => {
      // Prepare
      const api = fakeApi(
        problem(503, 'TEMPORARILY_UNAVAILABLE', {}, { 'retry-after': '2' }),
        problem(429, 'RATE_LIMITED', {}, { 'retry-after': '1' }),
        accepted(),
      );
      const { stratus, clock } = client(api);

      // Act
      const result = await stratus.clusters.create(CREATE, { idempotencyKey: 'order-42' });

      // Assess
      expect(result.operation?.id).toBe('op-1');
      expect(api.requests.map((r) => r.headers.get('idempotency-key'))).toEqual([
        'order-42',
        'order-42',
        'order-42',
      ]);
      expect(api.requests.map((r) => r.body)).toEqual([CREATE, CREATE, CREATE]);
      expect(clock.sleeps).toEqual([2000, 1000]);
    });

    it('backs off exponentially with jitter when there is no Retry-After, and gives up after the bound', async () => {
      // Prepare
      const api = fakeApi(problem(503, 'TEMPORARILY_UNAVAILABLE'));
      const { stratus, clock } = client(api, { retry: { retries: 3, baseDelayMs: 100 } });

      // Act
      const error = await stratus.clusters.create(CREATE).catch((e: unknown) => e);

      // Assess: 4 attempts; waits of half (random 0.5) of 100, 200, 400.
      expect(api.requests).toHaveLength(4);
      expect(clock.sleeps).toEqual([50, 100, 200]);
      expect(error).toBeInstanceOf(StratusApiError);
      expect(error).toMatchObject({ status: 503, code: 'TEMPORARILY_UNAVAILABLE' });
    });

    it('does not wait a Retry-After longer than maxRetryAfterMs: the error carries it', async () => {
      // Prepare
      const api = fakeApi(problem(429, 'RATE_LIMITED', {}, { 'retry-after': '120' }));
      const { stratus, clock } = client(api);

      // Act
      const error = await stratus.clusters.create(CREATE).catch((e: unknown) => e);

      // Assess
      expect(api.requests).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
      expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfter: 120 });
    });

    it('throws the problem with its code, status, field errors and correlation id, without retrying a 400', async () => {
      // Prepare
      const api = fakeApi(
        problem(
          400,
          'VALIDATION_FAILED',
          {
            detail: 'nodes: too big',
            errors: [{ path: 'nodes', message: 'Too big: expected number to be <=9' }],
          },
          { 'x-correlation-id': 'corr-7' },
        ),
      );
      const { stratus } = client(api);

      // Act
      const error = await stratus.clusters.create({ ...CREATE, nodes: 12 }).catch((e: unknown) => e);

      // Assess
      expect(api.requests).toHaveLength(1);
      expect(error).toBeInstanceOf(StratusApiError);
      expect(error).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'nodes', message: 'Too big: expected number to be <=9' }],
        correlationId: 'corr-7',
        message: 'title of VALIDATION_FAILED: nodes: too big',
      });
    });

    it('gives an answer that is not problem+json the code HTTP_<status>', async () => {
      // Prepare
      const api = fakeApi(new Response('<html>Bad gateway</html>', { status: 502 }));
      const { stratus } = client(api);

      // Act
      const error = await stratus.clusters.create(CREATE).catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 502, code: 'HTTP_502', title: 'HTTP 502' });
    });

    it('retries a network error with the same key, then throws StratusNetworkError naming the API', async () => {
      // Prepare
      const api = fakeApi(new TypeError('fetch failed'));
      const { stratus } = client(api, { retry: { retries: 2 } });

      // Act
      const error = await stratus.clusters.create(CREATE).catch((e: unknown) => e);

      // Assess
      expect(api.requests).toHaveLength(3);
      expect(new Set(api.requests.map((r) => r.headers.get('idempotency-key'))).size).toBe(1);
      expect(error).toBeInstanceOf(StratusNetworkError);
      expect((error as Error).message).toBe(`could not reach ${EU}: fetch failed`);
    });
  });

  describe('Method: clusters.update', () => {
    it('follows a 421 WRONG_REGION to its Location with the same body and key, then reads the operation and cluster there', async () => {
      // Prepare
      const api = fakeApi(
        problem(
          421,
          'WRONG_REGION',
          { region: 'us-east-1', apiUrl: US },
          { location: `${US}/v1/clusters/cl-1?x=1` },
        ),
        json(202, { cluster: CLUSTER, operation: operation('QUEUED', { type: 'UPDATE' }) }),
        json(200, operation('SUCCEEDED', { type: 'UPDATE' })),
        json(200, { ...CLUSTER, status: 'READY' }),
      );
      const { stratus } = client(api);

      // Act
      const result = await stratus.clusters.update('cl-1', { nodes: 2 });
      const done = await stratus.waitForOperation(result.operation?.id ?? '');
      await stratus.clusters.get('cl-1');

      // Assess
      const [first, second, poll] = api.requests;
      expect(first?.url).toBe(`${EU}/v1/clusters/cl-1`);
      expect(second?.url).toBe(`${US}/v1/clusters/cl-1?x=1`);
      expect(second?.method).toBe('PATCH');
      expect(second?.body).toEqual({ nodes: 2 });
      expect(second?.headers.get('idempotency-key')).toBe(first?.headers.get('idempotency-key'));
      expect(poll?.url).toBe(`${US}/v1/operations/op-1`);
      expect(api.requests[3]?.url).toBe(`${US}/v1/clusters/cl-1`);
      expect(done.status).toBe('SUCCEEDED');
    });

    it('builds the target from apiUrl when a 421 has no Location, and stops after two hops', async () => {
      // Prepare: every region says "the other one".
      const api = fakeApi((req) =>
        problem(421, 'WRONG_REGION', { region: 'x', apiUrl: req.url.startsWith(EU) ? US : EU }),
      );
      const { stratus } = client(api);

      // Act
      const error = await stratus.clusters.delete('cl-1').catch((e: unknown) => e);

      // Assess
      expect(api.requests.map((r) => r.url)).toEqual([
        `${EU}/v1/clusters/cl-1`,
        `${US}/v1/clusters/cl-1`,
        `${EU}/v1/clusters/cl-1`,
      ]);
      expect(error).toMatchObject({ status: 421, code: 'WRONG_REGION', region: 'x' });
    });

    it('does not follow a 421 when followRegion is false', async () => {
      // Prepare
      const api = fakeApi(problem(421, 'WRONG_REGION', { region: 'us-east-1', apiUrl: US }));
      const { stratus } = client(api, { followRegion: false });

      // Act
      const error = await stratus.clusters.update('cl-1', { nodes: 2 }).catch((e: unknown) => e);

      // Assess
      expect(api.requests).toHaveLength(1);
      expect(error).toMatchObject({ code: 'WRONG_REGION', region: 'us-east-1', apiUrl: US });
    });

    it('answers a 200 (deletion protection alone) as the cluster without an operation', async () => {
      // Prepare
      const api = fakeApi(json(200, { ...CLUSTER, deletionProtection: true }));
      const { stratus } = client(api);

      // Act
      const result = await stratus.clusters.update('cl-1', { deletionProtection: true });

      // Assess
      expect(result).toEqual({ cluster: { ...CLUSTER, deletionProtection: true } });
    });
  });

  describe('Method: clusters.createDryRun', () => {
    it('sends dryRun=true and answers the outcome', async () => {
      // Prepare
      const api = fakeApi(json(200, { dryRun: true, outcome: 'CREATE', cluster: CLUSTER }));
      const { stratus } = client(api);

      // Act
      const result = await stratus.clusters.createDryRun(CREATE);

      // Assess
      expect(api.requests[0]?.url).toBe(`${EU}/v1/clusters?dryRun=true`);
      expect(result).toEqual({ dryRun: true, outcome: 'CREATE', cluster: CLUSTER });
    });
  });

  describe('Method: clusters.listAll', () => {
    it('iterates every page in order, fetching the next one only when the previous one is used up', async () => {
      // Prepare
      const pages: Record<string, unknown> = {
        '': { items: [{ id: 'a' }, { id: 'b' }], nextToken: 't1' },
        t1: { items: [{ id: 'c' }], nextToken: 't2' },
        t2: { items: [{ id: 'd' }] },
      };
      const api = fakeApi((req) => json(200, pages[new URL(req.url).searchParams.get('nextToken') ?? '']));
      const { stratus } = client(api);

      // Act
      const iterator = stratus.clusters.listAll({ engine: 'qdrant', limit: 2 });
      const first = await iterator.next();
      const requestsAfterFirst = api.requests.length;
      const rest: string[] = [];
      for await (const c of iterator) rest.push(c.id);

      // Assess
      expect(first.value?.id).toBe('a');
      expect(requestsAfterFirst).toBe(1);
      expect(rest).toEqual(['b', 'c', 'd']);
      expect(api.requests.map((r) => new URL(r.url).search)).toEqual([
        '?engine=qdrant&limit=2',
        '?engine=qdrant&limit=2&nextToken=t1',
        '?engine=qdrant&limit=2&nextToken=t2',
      ]);
      expect(api.requests.every((r) => !r.headers.has('idempotency-key'))).toBe(true);
    });
  });

  describe('Method: waitForOperation', () => {
    it('polls with a growing interval until the operation ends, reporting each state', async () => {
      // Prepare
      const api = fakeApi(
        json(200, operation('QUEUED')),
        json(200, operation('RUNNING')),
        json(200, operation('RUNNING')),
        json(200, operation('FAILED', { error: { code: 'PROVISIONING_FAILED', message: 'boom' } })),
      );
      const { stratus, clock } = client(api);
      const seen: Array<[string, number]> = [];

      // Act
      const done = await stratus.waitForOperation('op-1', {
        onProgress: (op, ms) => seen.push([op.status, ms]),
      });

      // Assess: a FAILED operation resolves (the caller reads status and error).
      expect(done).toMatchObject({ status: 'FAILED', error: { code: 'PROVISIONING_FAILED' } });
      expect(clock.sleeps).toEqual([500, 750, 1125]);
      expect(seen).toEqual([
        ['QUEUED', 0],
        ['RUNNING', 500],
        ['RUNNING', 1250],
        ['FAILED', 2375],
      ]);
    });

    it('throws OperationTimeoutError with the last state once the timeout has passed', async () => {
      // Prepare
      const api = fakeApi(json(200, operation('RUNNING')));
      const { stratus, clock } = client(api);

      // Act
      const error = await stratus
        .waitForOperation('op-1', { timeout: 2000, pollIntervalMs: 400, maxPollIntervalMs: 800 })
        .catch((e: unknown) => e);

      // Assess: waits never go past the deadline.
      expect(error).toBeInstanceOf(OperationTimeoutError);
      expect(error).toMatchObject({ operationId: 'op-1', timeoutMs: 2000, operation: { status: 'RUNNING' } });
      expect(clock.sleeps).toEqual([400, 600, 800, 200]);
    });

    it('throws the problem of a missing operation', async () => {
      // Prepare
      const api = fakeApi(problem(404, 'OPERATION_NOT_FOUND'));
      const { stratus } = client(api);

      // Act
      const error = await stratus.waitForOperation('op-nope').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 404, code: 'OPERATION_NOT_FOUND' });
    });
  });
});
