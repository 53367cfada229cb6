import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashApiKey } from '../../../functions/shared/domain/apikeys.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { apiEvent } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.STRATUS_REGIONS = 'eu-west-1,us-east-1';
  // The api function's environment (functions/api/env.ts) needs the page-token key or its secret.
  process.env.PAGE_TOKEN_KEY = 'unit-test-key';
  process.env.STRATUS_API_URLS = JSON.stringify({ 'us-east-1': 'https://api.use1.example.com' });
});

const { route } = await import('../../../functions/api/handler.js');

const ddb = mockClient(DynamoDBDocumentClient);
// A key this API instance has not seen, for every test: the instance remembers the keys it read
// (functions/api/auth.ts), and a key seen before is proven differently (see 'Keys seen before').
let keys = 0;
let KEY = '';
const nextKey = () => `stratus_abcdefghijklmnopqrstuvwxyz${String(++keys).padStart(6, '0')}`;
const TENANT = 'tn-01jd8w0000000000000000000a';

function authorized(): void {
  ddb.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(KEY)}`, sk: 'APIKEY' } }).resolves({
    Item: { keyId: 'key-1', tenantId: TENANT, role: 'admin', createdAt: '2026-01-01T00:00:00Z' },
  });
  ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: '#TENANT' } }).resolves({
    Item: { tenantId: TENANT, name: 't', homeRegion: 'eu-west-1', maxClusters: 10, maxNodes: 30 },
  });
  // No region has been taken over.
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CONTROL' } }).resolves({ Items: [] });
}

const auth = { authorization: '' };
const validBody = { name: 'vectors', engine: 'qdrant', region: 'eu-west-1', nodes: 1 };
const create = (body: unknown, headers: Record<string, string> = auth) =>
  route(apiEvent({ method: 'POST', resource: '/v1/clusters', body, headers }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function problem(res: { statusCode: number; headers?: Record<string, unknown>; body: string }) {
  expect(res.headers?.['content-type']).toBe('application/problem+json');
  return JSON.parse(res.body) as { code: string; status: number; detail: string; errors?: unknown[] };
}

describe('Function: api', () => {
  beforeEach(() => {
    KEY = nextKey();
    auth.authorization = `Bearer ${KEY}`;
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    authorized();
  });
  afterEach(() => ddb.reset());

  describe('Route: POST /v1/clusters', () => {
    it('stores the cluster, its name guard and its operation in one transaction and answers 202', async () => {
      // Act
      const res = await create(validBody);

      // Assess
      expect(res.statusCode).toBe(202);
      const body = JSON.parse(res.body);
      expect(body.cluster).toMatchObject({ name: 'vectors', engine: 'qdrant', status: 'PENDING', nodes: 1 });
      expect(body.operation).toMatchObject({ type: 'CREATE', status: 'QUEUED', clusterId: body.cluster.id });
      expect(res.headers?.location).toBe(`/v1/operations/${body.operation.id}`);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
      const tx = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      const puts = tx.filter((i) => i.Put);
      expect(puts.map((i) => i.Put?.Item?.sk)).toEqual([
        'CLUSTERNAME#eu-west-1#vectors',
        `CLUSTER#${body.cluster.id}`,
        `OPERATION#${body.operation.id}`,
      ]);
      expect(puts.every((i) => i.Put?.ConditionExpression === 'attribute_not_exists(pk)')).toBe(true);
      expect(puts.every((i) => i.Put?.Item?.pk === `TENANT#${TENANT}`)).toBe(true);
      // The region's usage is counted in the same transaction, within the tenant's limits as read.
      const quota = tx.find((i) => i.Update)?.Update;
      expect(quota?.Key).toEqual({ pk: `TENANT#${TENANT}`, sk: 'USAGE#eu-west-1' });
      expect(quota?.ConditionExpression).toContain('#n <= :maxN');
      expect(quota?.ExpressionAttributeValues).toMatchObject({ ':c': 1, ':n': 1, ':maxC': 9, ':maxN': 29 });
      // ...fenced by the limits it was checked against and by this region's control of eu-west-1.
      const checks = tx.flatMap((i) => (i.ConditionCheck ? [i.ConditionCheck] : []));
      expect(checks.map((c) => c.Key)).toEqual([
        { pk: 'CONTROL', sk: 'REGION#eu-west-1' },
        { pk: `TENANT#${TENANT}`, sk: '#TENANT' },
      ]);
      expect(checks[1]?.ExpressionAttributeValues).toEqual({ ':mc': 10, ':mn': 30 });
    });

    it('answers 409 CLUSTER_NAME_TAKEN when the name guard exists', async () => {
      ddb.on(TransactWriteCommand).rejects(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [
            { Code: 'None' },
            { Code: 'ConditionalCheckFailed' },
            { Code: 'None' },
            { Code: 'None' },
            { Code: 'None' },
          ],
        }),
      );
      const res = await create(validBody);
      expect(res.statusCode).toBe(409);
      expect(problem(res).code).toBe('CLUSTER_NAME_TAKEN');
    });

    it.each([
      ['unknown field', { ...validBody, colour: 'red' }, 400, 'VALIDATION_FAILED'],
      ['bad name', { ...validBody, name: 'Bad_Name' }, 400, 'VALIDATION_FAILED'],
      ['name too long', { ...validBody, name: `a${'b'.repeat(40)}` }, 400, 'VALIDATION_FAILED'],
      ['nodes not an integer', { ...validBody, nodes: 1.5 }, 400, 'VALIDATION_FAILED'],
      ['too many nodes', { ...validBody, nodes: 100 }, 400, 'VALIDATION_FAILED'],
      ['bad engine', { ...validBody, engine: 'oracle' }, 400, 'UNSUPPORTED_ENGINE'],
      ['bad version', { ...validBody, version: '0.0.1' }, 400, 'UNSUPPORTED_VERSION'],
      ['unknown region', { ...validBody, region: 'mars-north-1' }, 400, 'INVALID_REGION'],
      ['another region', { ...validBody, region: 'us-east-1' }, 421, 'WRONG_REGION'],
      ['bad engine settings', { ...validBody, settings: { nope: true } }, 400, 'VALIDATION_FAILED'],
      ['array body', [validBody], 400, 'MALFORMED_JSON'],
    ])('refuses %s with %i %s and writes nothing', async (_case, body, status, code) => {
      const res = await create(body);
      expect(res.statusCode).toBe(status);
      expect(problem(res).code).toBe(code);
      expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    it('answers 421 with the region, its API URL and a Location to follow', async () => {
      // Act
      const res = await route(
        apiEvent({
          method: 'POST',
          resource: '/v1/clusters',
          path: '/v1/clusters',
          query: { dryRun: 'true' },
          body: { ...validBody, region: 'us-east-1' },
          headers: auth,
        }),
      );

      // Assess
      expect(res.statusCode).toBe(421);
      expect(problem(res)).toMatchObject({
        code: 'WRONG_REGION',
        region: 'us-east-1',
        apiUrl: 'https://api.use1.example.com',
      });
      expect(res.headers?.location).toBe('https://api.use1.example.com/v1/clusters?dryRun=true');
    });

    it('answers 421 naming the managing region when the control fence fails (a takeover it had not seen)', async () => {
      // Prepare: us-east-1 took eu-west-1 over; this API's cached copy does not know yet.
      ddb.on(TransactWriteCommand).rejects(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, ...Array(5).fill({ Code: 'None' })],
        }),
      );
      await create(validBody); // the API caches "no takeover" from here
      ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CONTROL' } }).resolves({
        Items: [{ pk: 'CONTROL', sk: 'REGION#eu-west-1', region: 'eu-west-1', controller: 'us-east-1' }],
      });

      // Act
      const res = await create(validBody);

      // Assess
      expect(res.statusCode).toBe(421);
      expect(problem(res)).toMatchObject({ code: 'WRONG_REGION', region: 'us-east-1' });
      expect(res.headers?.location).toBe('https://api.use1.example.com/v1/clusters');
    });

    it('answers 403 QUOTA_EXCEEDED naming the region when its usage is at the limit', async () => {
      ddb.on(TransactWriteCommand).rejects(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [
            { Code: 'None' },
            { Code: 'None' },
            { Code: 'None' },
            { Code: 'ConditionalCheckFailed' },
            { Code: 'None' },
            { Code: 'None' },
          ],
        }),
      );
      const res = await create(validBody);
      expect(res.statusCode).toBe(403);
      expect(problem(res)).toMatchObject({ code: 'QUOTA_EXCEEDED', region: 'eu-west-1' });
    });

    it('names every offending field of a validation error', async () => {
      const res = await create({ name: 'x', engine: 'qdrant', region: 'eu-west-1', extra: 1 });
      const p = problem(res);
      expect(p.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'name' }),
          expect.objectContaining({ message: 'unknown field(s): extra' }),
        ]),
      );
    });

    it('refuses bodies that are not JSON, not declared as JSON, or too large', async () => {
      const bad = await route(
        apiEvent({ method: 'POST', resource: '/v1/clusters', rawBody: '{"name":', headers: auth }),
      );
      expect(problem(bad).code).toBe('MALFORMED_JSON');
      const type = await route(
        apiEvent({
          method: 'POST',
          resource: '/v1/clusters',
          body: validBody,
          headers: { ...auth, 'content-type': 'text/plain' },
        }),
      );
      expect(type.statusCode).toBe(415);
      const large = await create({ ...validBody, settings: { big: 'x'.repeat(70_000) } });
      expect(large.statusCode).toBe(413);
    });

    it.each([
      ['no header', {}],
      ['not bearer', { authorization: `Basic ${KEY}` }],
      ['unknown key', { authorization: 'Bearer stratus_unknownunknownunknownunknown' }],
    ])('answers 401 UNAUTHENTICATED with %s', async (_case, headers) => {
      const res = await create(validBody, headers);
      expect(res.statusCode).toBe(401);
      expect(problem(res).code).toBe('UNAUTHENTICATED');
      expect(res.headers?.['www-authenticate']).toContain('Bearer');
    });

    it.each([
      ['an expired key', { expiresAt: '2000-01-01T00:00:00Z' }, 'API_KEY_EXPIRED'],
      ['a revoked key', { revokedAt: '2026-01-02T00:00:00Z' }, 'UNAUTHENTICATED'],
      ['a revoked, expired key', { revokedAt: 'x', expiresAt: '2000-01-01T00:00:00Z' }, 'UNAUTHENTICATED'],
    ])('refuses %s with 401 %s', async (_case, fields, code) => {
      ddb.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(KEY)}`, sk: 'APIKEY' } }).resolves({
        Item: { keyId: 'k', tenantId: TENANT, role: 'admin', createdAt: 'x', ...fields },
      });
      const res = await create(validBody);
      expect(res.statusCode).toBe(401);
      expect(problem(res).code).toBe(code);
      expect(res.headers?.['www-authenticate']).toContain('Bearer');
      expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    it('answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when the transaction is throttled, and the same Idempotency-Key then goes through', async () => {
      // Prepare: DynamoDB cancels the transaction for throughput, once.
      ddb
        .on(TransactWriteCommand)
        .rejectsOnce(
          new TransactionCanceledException({
            message: 'cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }, { Code: 'None' }],
          }),
        )
        .resolves({});
      const headers = { ...auth, 'idempotency-key': 'create-vectors-1' };

      // Act
      const first = await create(validBody, headers);
      const retry = await create(validBody, headers);

      // Assess: a clear, retryable answer, never a 500; nothing was recorded, so the retry runs.
      expect(first.statusCode).toBe(503);
      expect(problem(first)).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', status: 503 });
      expect(Number(first.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(first.body).not.toContain('ThrottlingError');
      expect(retry.statusCode).toBe(202);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
      const stored = ddb.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
      expect(stored.map((i) => i.Put?.Item?.sk).filter(Boolean)).toContain(
        'IDEMPOTENCY#eu-west-1#create-vectors-1',
      );
    });

    it.each([
      ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: {} })],
      [
        'ProvisionedThroughputExceededException',
        new ProvisionedThroughputExceededException({ message: 'too much', $metadata: {} }),
      ],
      ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'account limit', $metadata: {} })],
      ['InternalServerError', new InternalServerError({ message: 'oops', $metadata: {} })],
    ])('answers 503 with Retry-After when a read fails with %s', async (_name, error) => {
      // Prepare: the API key read itself fails.
      ddb.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(KEY)}`, sk: 'APIKEY' } }).rejects(error);

      // Act
      const res = await create(validBody);

      // Assess
      expect(res.statusCode).toBe(503);
      expect(problem(res).code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(res.headers?.['retry-after']).toMatch(/^[1-9][0-9]*$/);
    });

    it('answers an opaque 500 problem when DynamoDB fails, without leaking the error', async () => {
      ddb.on(TransactWriteCommand).rejects(new Error('secret internal detail'));
      const res = await create(validBody);
      expect(res.statusCode).toBe(500);
      const p = problem(res);
      expect(p.code).toBe('INTERNAL');
      expect(res.body).not.toContain('secret internal detail');
    });

    describe("the tenant's limits, as this instance last read them", () => {
      /** A tenant of its own per case: the API instance (module scope) keeps what it read for 30 s. */
      function tenantWithKey(suffix: string, limits: { maxClusters: number; maxNodes: number }) {
        const key = `stratus_quotaquotaquotaquotaquotaquota${suffix}`;
        const tenantId = `tn-01jd8w00000000000000000${suffix}`;
        ddb.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(key)}`, sk: 'APIKEY' } }).resolves({
          Item: { keyId: `key-${suffix}`, tenantId, role: 'admin', createdAt: '2026-01-01T00:00:00Z' },
        });
        const setLimits = (l: { maxClusters: number; maxNodes: number }) =>
          ddb
            .on(GetCommand, { Key: { pk: `TENANT#${tenantId}`, sk: '#TENANT' } })
            .resolves({ Item: { tenantId, name: 't', homeRegion: 'eu-west-1', ...l } });
        setLimits(limits);
        const tenantReads = () =>
          ddb.commandCalls(GetCommand).filter((c) => c.args[0].input.Key?.pk === `TENANT#${tenantId}`).length;
        return { headers: { authorization: `Bearer ${key}` }, setLimits, tenantReads };
      }
      /** The create transaction cancelled on the named items (its order: control, nameGuard, tenantQuota, quota, cluster, operation). */
      const cancelled = (...failed: Array<'tenantQuota' | 'quota'>) =>
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: ['control', 'nameGuard', 'tenantQuota', 'quota', 'cluster', 'operation'].map(
            (name) => ({ Code: failed.includes(name as 'quota') ? 'ConditionalCheckFailed' : 'None' }),
          ),
        });
      /** The next transactions fail with `errors`, in order; later ones succeed. */
      const failNext = (...errors: Error[]) =>
        ddb.on(TransactWriteCommand).callsFake(() => {
          const error = errors.shift();
          if (error) throw error;
          return {};
        });
      const tenantCheck = (call: number) =>
        ddb
          .commandCalls(TransactWriteCommand)
          [call]?.args[0].input.TransactItems?.find((i) => i.ConditionCheck?.Key?.sk === '#TENANT')
          ?.ConditionCheck?.ExpressionAttributeValues;

      it('reads the tenant item once, not on every create: the transaction checks the limits it used', async () => {
        // Prepare: a first create reads the tenant (the rate limit needs it too).
        const t = tenantWithKey('a', { maxClusters: 10, maxNodes: 30 });
        expect((await create(validBody, t.headers)).statusCode).toBe(202);
        const readsAfterFirst = t.tenantReads();

        // Act
        const res = await create({ ...validBody, name: 'second' }, t.headers);

        // Assess: no second read; the limits used are fenced in the transaction.
        expect(res.statusCode).toBe(202);
        expect(readsAfterFirst).toBe(1);
        expect(t.tenantReads()).toBe(1);
        expect(tenantCheck(1)).toEqual({ ':mc': 10, ':mn': 30 });
      });

      it('runs the create again with the current limits when they changed since they were read (quota raised)', async () => {
        // Prepare: the instance read 10 clusters; the operator raised it to 20 since.
        const t = tenantWithKey('b', { maxClusters: 10, maxNodes: 30 });
        expect((await create(validBody, t.headers)).statusCode).toBe(202);
        t.setLimits({ maxClusters: 20, maxNodes: 30 });
        failNext(cancelled('tenantQuota', 'quota'));

        // Act
        const res = await create({ ...validBody, name: 'second' }, t.headers);

        // Assess: accepted, by a second transaction checked against the limits read again.
        expect(res.statusCode).toBe(202);
        expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
        expect(tenantCheck(1)).toEqual({ ':mc': 10, ':mn': 30 });
        expect(tenantCheck(2)).toEqual({ ':mc': 20, ':mn': 30 });
        expect(t.tenantReads()).toBe(2);
      });

      it('answers 403 QUOTA_EXCEEDED with the current limits when the quota was lowered since it was read', async () => {
        // Prepare: the instance read 10 clusters; the operator lowered it to 1, which is in use.
        const t = tenantWithKey('c', { maxClusters: 10, maxNodes: 30 });
        expect((await create(validBody, t.headers)).statusCode).toBe(202);
        t.setLimits({ maxClusters: 1, maxNodes: 30 });
        failNext(cancelled('tenantQuota'), cancelled('quota'));

        // Act
        const res = await create({ ...validBody, name: 'second' }, t.headers);

        // Assess
        expect(res.statusCode).toBe(403);
        const p = problem(res);
        expect(p).toMatchObject({ code: 'QUOTA_EXCEEDED', region: 'eu-west-1' });
        expect(p.detail).toContain('allows 1 clusters');
        expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
      });

      it('answers 409 CONCURRENT_MODIFICATION when the limits it read again still fail their check', async () => {
        // Prepare: the limits change under every attempt.
        const t = tenantWithKey('d', { maxClusters: 10, maxNodes: 30 });
        expect((await create(validBody, t.headers)).statusCode).toBe(202);
        t.setLimits({ maxClusters: 11, maxNodes: 30 });
        ddb.on(TransactWriteCommand).rejects(cancelled('tenantQuota'));

        // Act
        const res = await create({ ...validBody, name: 'second' }, t.headers);

        // Assess: two attempts at most, then the usual answer.
        expect(res.statusCode).toBe(409);
        expect(problem(res).code).toBe('CONCURRENT_MODIFICATION');
        expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
      });
    });
  });

  describe('Route: PATCH /v1/clusters/{clusterId}', () => {
    const id = 'cl-01jd8w0000000000000000000c';
    const stored = {
      tenantId: TENANT,
      clusterId: id,
      name: 'vectors',
      engine: 'qdrant',
      version: '1.15.5',
      region: 'eu-west-1',
      homeRegion: 'eu-west-1',
      nodes: 1,
      sizeName: 'small',
      size: SIZES.small,
      settings: {},
      deletionProtection: false,
      status: 'READY',
      generation: 1,
      observedGeneration: 1,
      statusVersion: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const clusterKey = { pk: `TENANT#${TENANT}`, sk: `CLUSTER#${id}` };
    const patch = (body: unknown) =>
      route(
        apiEvent({
          method: 'PATCH',
          resource: '/v1/clusters/{clusterId}',
          pathParameters: { clusterId: id },
          headers: auth,
          body,
        }),
      );
    const clusterConditionFailed = () =>
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
      });

    it('sets deletion protection only on the generation it read, and answers 409 CONCURRENT_MODIFICATION when a spec change won', async () => {
      // Prepare: read at generation 1; a spec change commits before the write.
      ddb
        .on(GetCommand, { Key: clusterKey })
        .resolvesOnce({ Item: stored })
        .resolves({ Item: { ...stored, generation: 2, status: 'UPDATING', activeOperationId: 'op-x' } });
      ddb.on(TransactWriteCommand).rejects(clusterConditionFailed());

      // Act
      const res = await patch({ deletionProtection: true });

      // Assess
      expect(res.statusCode).toBe(409);
      expect(problem(res).code).toBe('CONCURRENT_MODIFICATION');
      const update = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Update;
      expect(update?.ConditionExpression).toContain('generation = :g');
      expect(update?.ExpressionAttributeValues).toMatchObject({ ':g': 1, ':dp': true });
    });

    it('answers 409 CLUSTER_NOT_READY when the cluster is being deleted meanwhile', async () => {
      // Prepare
      ddb
        .on(GetCommand, { Key: clusterKey })
        .resolvesOnce({ Item: stored })
        .resolves({ Item: { ...stored, status: 'DELETING', activeOperationId: 'op-d' } });
      ddb.on(TransactWriteCommand).rejects(clusterConditionFailed());

      // Act
      const res = await patch({ deletionProtection: true });

      // Assess
      expect(res.statusCode).toBe(409);
      expect(problem(res).code).toBe('CLUSTER_NOT_READY');
    });

    it('writes a spec change only over the deletion protection it read', async () => {
      // Prepare
      ddb.on(GetCommand, { Key: clusterKey }).resolves({ Item: stored });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await patch({ nodes: 2 });

      // Assess
      expect(res.statusCode).toBe(202);
      const put = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put;
      expect(put?.ConditionExpression).toContain('deletionProtection = :dp');
      expect(put?.ExpressionAttributeValues).toMatchObject({ ':dp': false, ':g': 1, ':sv': 3 });
    });
  });

  describe('Route: GET /v1/clusters/{clusterId}', () => {
    const id = 'cl-01jd8w0000000000000000000b';
    it('reads only within the caller tenant, so another tenant id is 404', async () => {
      const res = await route(
        apiEvent({
          method: 'GET',
          resource: '/v1/clusters/{clusterId}',
          pathParameters: { clusterId: id },
          headers: auth,
        }),
      );
      expect(res.statusCode).toBe(404);
      expect(problem(res).code).toBe('CLUSTER_NOT_FOUND');
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        Key: { pk: `TENANT#${TENANT}`, sk: `CLUSTER#${id}` },
      });
    });

    it('answers 404 for a malformed id without reading the table', async () => {
      const res = await route(
        apiEvent({
          method: 'GET',
          resource: '/v1/clusters/{clusterId}',
          pathParameters: { clusterId: '../../etc/passwd' },
          headers: auth,
        }),
      );
      expect(res.statusCode).toBe(404);
      expect(ddb).not.toHaveReceivedCommandWith(GetCommand, {
        Key: expect.objectContaining({ sk: expect.stringMatching(/^CLUSTER#/) }),
      });
    });
  });

  describe('Keys seen before (docs/decisions.md, D29)', () => {
    const keyRef = () => ({ pk: `APIKEY#${hashApiKey(KEY)}`, sk: 'APIKEY' });
    const keyReads = () => ddb.commandCalls(GetCommand, { Key: keyRef() }).length;
    const keyItem = (fields: Record<string, unknown> = {}) => ({
      Item: { keyId: 'key-1', tenantId: TENANT, role: 'admin', createdAt: '2026-01-01T00:00:00Z', ...fields },
    });
    /** The transaction's items were cancelled: `failed` (by index) had its condition fail. */
    const cancelled = (items: number, failed: number) =>
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: Array.from({ length: items }, (_, i) => ({
          Code: i === failed ? 'ConditionalCheckFailed' : 'None',
        })),
      });
    const getCluster = (clusterId: string) =>
      route(
        apiEvent({
          method: 'GET',
          resource: '/v1/clusters/{clusterId}',
          pathParameters: { clusterId },
          headers: auth,
        }),
      );

    it('creates without reading the key again: the transaction checks it instead, as the last item', async () => {
      // Act: the first request reads the key; the second relies on its transaction.
      const first = await create(validBody);
      const second = await create({ ...validBody, name: 'vectors-2' });

      // Assess
      expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
      expect(keyReads()).toBe(1);
      const [tx1, tx2] = ddb
        .commandCalls(TransactWriteCommand)
        .map((c) => c.args[0].input.TransactItems ?? []);
      expect(tx1?.some((i) => i.ConditionCheck?.Key?.pk === keyRef().pk)).toBe(false);
      const fence = tx2?.at(-1)?.ConditionCheck;
      expect(fence?.Key).toEqual(keyRef());
      expect(fence?.ConditionExpression).toContain('attribute_not_exists(revokedAt)');
      expect(fence?.ConditionExpression).toContain('expiresAt > :now');
      expect(fence?.ExpressionAttributeValues).toMatchObject({ ':t': TENANT, ':k': 'key-1', ':r': 'admin' });
    });

    it('answers 401 when the key was revoked since it was seen (its check fails), then reads it on every request', async () => {
      // Prepare: seen valid, then revoked; DynamoDB cancels the fenced transaction on the key's check.
      expect((await create(validBody)).statusCode).toBe(202);
      ddb.on(GetCommand, { Key: keyRef() }).resolves(keyItem({ revokedAt: '2026-06-01T00:00:00Z' }));
      ddb.on(TransactWriteCommand).rejects(cancelled(7, 6));

      // Act
      const refused = await create({ ...validBody, name: 'vectors-2' });
      const again = await create({ ...validBody, name: 'vectors-3' });

      // Assess: 401 both times; the second read the key first and sent no transaction.
      expect([refused.statusCode, again.statusCode]).toEqual([401, 401]);
      expect(problem(refused).code).toBe('UNAUTHENTICATED');
      expect(keyReads()).toBe(3);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    });

    it('reads the key before any answer its transaction did not prove: a revoked key gets 401, not the route error', async () => {
      // Prepare: seen valid; then the name guard fails and the key, read again, is revoked.
      expect((await create(validBody)).statusCode).toBe(202);
      ddb.on(TransactWriteCommand).rejects(cancelled(7, 1));
      const nameTaken = await create(validBody);
      ddb.on(GetCommand, { Key: keyRef() }).resolves(keyItem({ revokedAt: '2026-06-01T00:00:00Z' }));
      const revoked = await create(validBody);

      // Assess
      expect(nameTaken.statusCode).toBe(409);
      expect(problem(nameTaken).code).toBe('CLUSTER_NAME_TAKEN');
      expect(revoked.statusCode).toBe(401);
      expect(keyReads()).toBe(3);
    });

    it('does not replay a stored answer to a key revoked since it was seen', async () => {
      // Prepare: seen valid; a create with this Idempotency-Key is on record; the key is then revoked.
      expect((await create(validBody)).statusCode).toBe(202);
      const headers = { ...auth, 'idempotency-key': 'create-vectors-9' };
      ddb
        .on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: 'IDEMPOTENCY#eu-west-1#create-vectors-9' } })
        .resolves({
          Item: { status: 202, body: '{"cluster":{"id":"cl-secret"}}', requestHash: 'x', headers: {} },
        });
      ddb.on(GetCommand, { Key: keyRef() }).resolves(keyItem({ revokedAt: '2026-06-01T00:00:00Z' }));

      // Act
      const res = await create(validBody, headers);

      // Assess
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('cl-secret');
    });

    it('reads the key while a GET reads the cluster, and answers nothing a revoked key may not see', async () => {
      // Prepare: seen valid. The key's read then waits until the cluster's read has started.
      const id = 'cl-01jd8w0000000000000000000c';
      expect((await getCluster(id)).statusCode).toBe(404);
      let clusterReadStarted!: () => void;
      const clusterRead = new Promise<void>((resolve) => {
        clusterReadStarted = resolve;
      });
      ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: `CLUSTER#${id}` } }).callsFake(async () => {
        clusterReadStarted();
        return { Item: { tenantId: TENANT, clusterId: id, name: 'secret-name' } };
      });
      let overlapped = false;
      ddb.on(GetCommand, { Key: keyRef() }).callsFake(async () => {
        overlapped = await Promise.race([clusterRead.then(() => true), sleep(500).then(() => false)]);
        return keyItem({ revokedAt: '2026-06-01T00:00:00Z' });
      });

      // Act
      const res = await getCluster(id);

      // Assess: both reads ran at once; the answer is the key's.
      expect(overlapped).toBe(true);
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('secret-name');
      expect(keyReads()).toBe(2);
    });

    it('reads a seen key again once it has expired, so that a revoked one is answered as revoked', async () => {
      ddb.on(GetCommand, { Key: keyRef() }).resolves(keyItem({ expiresAt: '2026-01-02T00:00:00Z' }));
      vi.useFakeTimers({ now: new Date('2026-01-01T12:00:00Z'), toFake: ['Date'] });
      try {
        expect((await create(validBody)).statusCode).toBe(202);
        vi.setSystemTime(new Date('2026-01-03T00:00:00Z'));
        const expired = await create(validBody);
        ddb
          .on(GetCommand, { Key: keyRef() })
          .resolves(keyItem({ expiresAt: '2026-01-02T00:00:00Z', revokedAt: '2026-01-01T13:00:00Z' }));
        const revoked = await create(validBody);
        expect(problem(expired).code).toBe('API_KEY_EXPIRED');
        expect(problem(revoked).code).toBe('UNAUTHENTICATED');
        expect(keyReads()).toBe(3);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('Per-tenant rate limit', () => {
    it("answers 429 RATE_LIMITED with Retry-After when the tenant's window count refuses, and serves other tenants", async () => {
      // Prepare: a second tenant whose count for this region's window is full.
      const NOISY_KEY = 'stratus_noisynoisynoisynoisynoisynoisynoisy';
      const NOISY = 'tn-01jd8w0000000000000000000n';
      ddb.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(NOISY_KEY)}`, sk: 'APIKEY' } }).resolves({
        Item: { keyId: 'key-n', tenantId: NOISY, role: 'admin', createdAt: '2026-01-01T00:00:00Z' },
      });
      ddb.on(GetCommand, { Key: { pk: `TENANT#${NOISY}`, sk: '#TENANT' } }).resolves({
        Item: {
          tenantId: NOISY,
          homeRegion: 'eu-west-1',
          maxClusters: 1,
          maxNodes: 1,
          apiRate: 5,
          apiBurst: 10,
        },
      });
      ddb
        .on(UpdateCommand, { Key: { pk: `RATE#${NOISY}#eu-west-1` } })
        .rejects(
          new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
        );

      // Act
      const noisy = await create(validBody, { authorization: `Bearer ${NOISY_KEY}` });
      const other = await create(validBody);

      // Assess: refused before any other work, with when to come back.
      expect(noisy.statusCode).toBe(429);
      expect(problem(noisy).code).toBe('RATE_LIMITED');
      expect(Number(noisy.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(noisy.headers?.['retry-after'])).toBeLessThanOrEqual(2);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { pk: `RATE#${NOISY}#eu-west-1`, sk: expect.stringMatching(/^WINDOW#2000#\d+$/) },
        ConditionExpression: 'attribute_not_exists(#n) OR #n <= :max',
      });
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1); // the other tenant's create only
      expect(other.statusCode).toBe(202);
    });
  });

  describe('Routing', () => {
    it('answers 404 ROUTE_NOT_FOUND for an unknown resource', async () => {
      const res = await route(apiEvent({ method: 'GET', resource: '/v1/nope', headers: auth }));
      expect(res.statusCode).toBe(404);
      expect(problem(res).code).toBe('ROUTE_NOT_FOUND');
    });

    it('does not serve the credential reveal, which the reveal function serves, and loads no route code for it', async () => {
      const res = await route(
        apiEvent({
          method: 'POST',
          resource: '/v1/clusters/{clusterId}/connection/reveal',
          path: '/v1/clusters/cl-01jd8w0000000000000000000a/connection/reveal',
          headers: auth,
        }),
      );
      expect(res.statusCode).toBe(404);
      expect(problem(res).code).toBe('ROUTE_NOT_FOUND');
    });

    it('refuses, at module scope, a function whose loaders do not match the routes topology.ts gives it', async () => {
      const { createRouter } = await import('../../../functions/api/router.js');
      expect(() => createRouter('reveal', {})).toThrow(
        'reveal serves POST /v1/clusters/{clusterId}/connection/reveal (topology.ts) but has no loader for it',
      );
      const reveal = async () => async () => ({ status: 200, body: {} });
      expect(() =>
        createRouter('reveal', {
          'POST /v1/clusters/{clusterId}/connection/reveal': reveal,
          'GET /v1/clusters': reveal,
        }),
      ).toThrow('reveal has a loader for GET /v1/clusters, a route topology.ts does not give it');
    });

    it('echoes a well-formed correlation id and replaces a malformed one', async () => {
      const ok = await create(validBody, { ...auth, 'x-correlation-id': 'corr-test-12345' });
      expect(ok.headers?.['x-correlation-id']).toBe('corr-test-12345');
      const bad = await create(validBody, { ...auth, 'x-correlation-id': 'bad id with spaces' });
      expect(bad.headers?.['x-correlation-id']).toMatch(/^corr-/);
    });
  });
});
