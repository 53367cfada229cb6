import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDef } from '../../../functions/api/routes.js';
import { engineNames } from '../../../functions/shared/engines/registry.js';
import { ERROR_CODES } from '../../../functions/shared/errors.js';
import { httpRoutes } from '../../../functions/topology.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiEvent } from '../../helpers/events.js';
import { RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { assertMatchesOpenApi, assertProblem, documentedProblemCodes } from '../../helpers/openapi.js';
import { fillPath, routeClient } from './client.js';

/**
 * Property: whatever a client sends, the API answers without a 5xx; every error is a
 * problem+json document with a code of ERROR_CODES whose status is the HTTP status; every success
 * matches the OpenAPI document. Most requests go to the real handler in process (the runtime sets
 * its environment and DynamoDB Local behind it); a few hundred go over HTTP through the gateway.
 *
 * Reproduce a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS to change the volume).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_301);
/** Requests per property run, sent concurrently. */
const BATCH = 25;
/** 100 runs: 2,500 requests, CI's volume (the CI run must fit 8 minutes on 2 cores); FUZZ_RUNS=400 is 10,000. */
const IN_PROCESS_RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const HTTP_RUNS = 12;

interface FuzzRequest {
  readonly method: string;
  readonly resource: string;
  readonly params: Record<string, string> | null;
  readonly query: Record<string, string> | null;
  readonly headers: Record<string, string> | null;
  readonly body: string | null;
  readonly base64: boolean;
}

interface Fixture {
  readonly keys: { admin: string; editor: string; viewer: string };
  readonly ids: { clusterId: string; operationId: string; keyId: string };
  readonly tokens: string[];
}

// ---- arbitraries ---------------------------------------------------------------------------

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'.split('');
const wellFormedId = (prefix: string) =>
  fc
    .array(fc.constantFrom(...CROCKFORD), { minLength: 26, maxLength: 26 })
    .map((cs) => `${prefix}-${cs.join('')}`);
const hugeString = fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'é'.repeat(Math.ceil(n / 2)));
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%',
  '/',
  '\\',
  '🦄🔥',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\ud800',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  '-1',
  'NaN',
  '1e309',
  '0x10',
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '\u0024{jndi:ldap://x}',
  'TENANT#x',
);
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  nasty,
);

/** A path parameter: mostly the fixture's id of that kind, else another id, a look-alike or junk. */
function idArb(fx: Fixture, name: string): fc.Arbitrary<string> {
  const own =
    name === 'clusterId' ? fx.ids.clusterId : name === 'operationId' ? fx.ids.operationId : fx.ids.keyId;
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(own) },
    { weight: 2, arbitrary: fc.constantFrom(fx.ids.clusterId, fx.ids.operationId, fx.ids.keyId) },
    { weight: 4, arbitrary: fc.constantFrom('cl', 'op', 'key', 'tn').chain(wellFormedId) },
    { weight: 4, arbitrary: anyText },
    { weight: 1, arbitrary: hugeString },
    { weight: 2, arbitrary: fc.constantFrom(fx.ids.clusterId, fx.ids.operationId).map((id) => `${id}/../x`) },
  );
}

function tokenArb(fx: Fixture): fc.Arbitrary<string> {
  const real = fc.constantFrom(...fx.tokens);
  return fc.oneof(
    real,
    fc.tuple(real, fc.nat(), fc.constantFrom('A', '_', '-', '.', '+', '=', '~')).map(([t, i, c]) => {
      const at = i % t.length;
      return `${t.slice(0, at)}${c}${t.slice(at + 1)}`;
    }),
    fc.tuple(real, fc.nat()).map(([t, n]) => t.slice(0, n % t.length)),
    fc
      .jsonValue()
      .map((v) => `${Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`),
    fc.base64String(),
    anyText,
    fc.integer({ min: 2040, max: 3000 }).map((n) => 'A'.repeat(n)),
  );
}

const limitArb = fc.oneof(
  fc.integer({ min: -5, max: 120 }).map(String),
  fc.constantFrom(
    '',
    'abc',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    '-0',
    '1.5',
    ' 5',
    '5 ',
    '9'.repeat(400),
    '１０',
  ),
  anyText,
);

/** Query parameters: mostly the route's own, mostly valid; sometimes bad values or unknown names. */
function queryArb(fx: Fixture, route: RouteDef): fc.Arbitrary<Record<string, string> | null> {
  const valid: Record<string, fc.Arbitrary<string>> = {
    limit: fc.integer({ min: 1, max: 100 }).map(String),
    nextToken: fc.constantFrom(...fx.tokens),
    dryRun: fc.constantFrom('true', 'true', 'false'),
    engine: fc.constantFrom('qdrant', 'valkey', 'oracle'),
    region: fc.constantFrom('eu-west-1', 'us-east-1'),
    status: fc.constantFrom('READY', 'PENDING', 'DELETED'),
  };
  const invalid: Record<string, fc.Arbitrary<string>> = {
    limit: limitArb,
    nextToken: tokenArb(fx),
    dryRun: fc.oneof(fc.constantFrom('TRUE', '1', '', 'yes'), anyText),
    engine: anyText,
    region: anyText,
    status: fc.oneof(fc.constantFrom('ready', 'RUNNING'), anyText),
  };
  const own = Object.keys((route.query as unknown as { shape?: object } | undefined)?.shape ?? {});
  const names = own.length ? own : ['limit', 'dryRun'];
  const known = fc.record(
    Object.fromEntries(
      names.map((n) => [
        n,
        fc.oneof(
          { weight: 4, arbitrary: valid[n] ?? anyText },
          { weight: 1, arbitrary: invalid[n] ?? anyText },
        ),
      ]),
    ),
    { requiredKeys: [] },
  );
  const extra = fc.dictionary(fc.oneof(anyText, fc.constantFrom('__proto__', 'limit ', 'LIMIT')), anyText, {
    minKeys: 1,
    maxKeys: 3,
  });
  const defined = (q: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
  return fc.oneof(
    { weight: own.length ? 3 : 8, arbitrary: fc.constant(null) },
    { weight: own.length ? 6 : 1, arbitrary: known.map(defined) },
    { weight: 1, arbitrary: fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...defined(k) })) },
  );
}

function headersArb(fx: Fixture): fc.Arbitrary<Record<string, string> | null> {
  const key = fc.constantFrom(fx.keys.admin, fx.keys.admin, fx.keys.editor, fx.keys.viewer);
  const authorization = fc.oneof(
    { weight: 20, arbitrary: key.map((k) => `Bearer ${k}`) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        key.map((k) => `bearer ${k}`),
        key.map((k) => `Bearer  ${k}`),
        key.map((k) => ` Bearer ${k} `),
        key.map((k) => k),
        key.map((k) => `Basic ${Buffer.from(`x:${k}`).toString('base64')}`),
        key.map((k) => `Bearer ${k.slice(0, -1)}`),
        key.map((k) => `Bearer ${k}x`),
        key.map((k) => `Bearer ${k},Bearer ${k}`),
        fc.constant('Bearer '),
        fc.stringMatching(/^Bearer [A-Za-z0-9_-]{20,200}$/),
        anyText.map((t) => `Bearer ${t}`),
        hugeString.map((t) => `Bearer ${t}`),
      ),
    },
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(
          'application/json; charset=utf-8',
          'APPLICATION/JSON',
          'application/merge-patch+json',
          'application/problem+json',
          'application/jsonx',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          '',
        ),
        anyText,
      ),
    },
  );
  const idempotencyKey = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/),
    fc.constantFrom('fuzz-fixed-key', 'a'.repeat(255), 'a'.repeat(256), 'has space', 'ключ', 'k\u0000'),
    anyText,
  );
  const correlationId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{8,100}$/), anyText);
  const casing = (name: string) =>
    fc.constantFrom(
      name,
      name.toUpperCase(),
      name.replace(/(^|-)(\w)/g, (m) => m.toUpperCase()),
    );
  const entry = (name: string, value: fc.Arbitrary<string>) =>
    fc.option(fc.tuple(casing(name), value), { nil: undefined, freq: 3 });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 30,
      arbitrary: fc
        .tuple(
          fc.dictionary(anyText, anyText, { maxKeys: 2 }),
          fc.option(fc.tuple(casing('authorization'), authorization), { nil: undefined, freq: 30 }),
          entry('content-type', contentType),
          entry('idempotency-key', idempotencyKey),
          entry('x-correlation-id', correlationId),
        )
        .map(([extra, ...pairs]) => {
          const headers: Record<string, string> = { ...extra };
          for (const pair of pairs) if (pair) headers[pair[0]] = pair[1];
          return headers;
        }),
    },
  );
}

/** A JSON value that breaks a field: wrong type, out of range, huge, unicode. */
const badValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  anyText,
  fc.constantFrom(-1, 0, 1.5, Number.MAX_VALUE, 2 ** 53, Number.MAX_SAFE_INTEGER, true, null, [], {}),
  hugeString,
);

function validBody(route: RouteDef): fc.Arbitrary<Record<string, unknown>> {
  switch (`${route.method} ${route.path}`) {
    case 'POST /v1/clusters':
      return fc.record(
        {
          name: fc.stringMatching(/^fz-[a-z0-9]{1,20}$/),
          engine: fc.constantFrom(...engineNames()),
          region: fc.constantFrom('eu-west-1', 'us-east-1'),
          nodes: fc.integer({ min: 1, max: 3 }),
          size: fc.constantFrom('small', 'medium', 'large'),
          deletionProtection: fc.boolean(),
          settings: fc.constant({}),
        },
        { requiredKeys: ['name', 'engine', 'region'] },
      );
    case 'PATCH /v1/clusters/{clusterId}':
      return fc.record(
        {
          nodes: fc.integer({ min: 1, max: 4 }),
          size: fc.constantFrom('small', 'medium', 'large'),
          version: fc.constantFrom('1.0.0', '1.12.0', '8.0.1'),
          settings: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          deletionProtection: fc.boolean(),
        },
        { requiredKeys: [] },
      );
    case 'POST /v1/api-keys':
      return fc.record(
        {
          name: fc.string({ minLength: 1, maxLength: 100 }),
          role: fc.constantFrom('admin', 'editor', 'viewer'),
          expiresAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        },
        { requiredKeys: ['name', 'role'] },
      );
    default:
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
  }
}

function bodyArb(route: RouteDef): fc.Arbitrary<string | null> {
  const valid = validBody(route);
  const broken = fc
    .tuple(
      valid,
      fc.constantFrom('wrongType', 'unknownField', 'dropField', 'huge', 'protoKey'),
      fc.oneof(anyText, fc.constantFrom('name', 'engine', 'region', 'nodes', 'size', 'role', 'settings')),
      badValue,
    )
    .map(([body, how, field, value]) => {
      const b: Record<string, unknown> = { ...body };
      const keys = Object.keys(b);
      const existing = keys.length ? (keys[field.length % keys.length] as string) : field;
      if (how === 'wrongType') b[existing] = value;
      else if (how === 'unknownField') b[field] = value;
      else if (how === 'dropField') delete b[existing];
      else if (how === 'huge') b.settings = { blob: 'x'.repeat(66 * 1024) };
      else
        return `{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(b).slice(1)}`;
      return JSON.stringify(b);
    });
  const malformed = fc.oneof(
    valid.map((b) => JSON.stringify(b)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))),
    fc.constantFrom(
      '{',
      '}',
      '{"a":}',
      "{'a':1}",
      'NaN',
      '[]',
      '[{}]',
      '"str"',
      '42',
      'null',
      'true',
      '{"a":1}{"b":2}',
      '\ufeff{}',
    ),
    anyText,
    fc.json(),
    fc.string({ unit: 'binary', minLength: 1 }).map((s) => `{"name":"${s}"}`),
    fc.integer({ min: 64 * 1024 - 16, max: 80 * 1024 }).map((n) => `{"name":"${'a'.repeat(n)}"}`),
  );
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((b) => JSON.stringify(b)) },
    { weight: 4, arbitrary: broken },
    { weight: 4, arbitrary: malformed },
    { weight: 2, arbitrary: fc.constant(null) },
  );
}

function requestArb(fx: Fixture): fc.Arbitrary<FuzzRequest> {
  const routed = fc.constantFrom(...ROUTES).chain((route) => {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const params = names.length
      ? fc.oneof(
          {
            weight: 9,
            arbitrary: fc
              .tuple(...names.map((n) => idArb(fx, n)))
              .map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i] as string]))),
          },
          { weight: 1, arbitrary: fc.constant(null) },
        )
      : fc.constant(null);
    return fc.record({
      method: fc.oneof(
        { weight: 19, arbitrary: fc.constant(route.method as string) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'get') },
      ),
      resource: fc.constant(route.path),
      params,
      query: queryArb(fx, route),
      headers: headersArb(fx),
      body: bodyArb(route),
    });
  });
  const unrouted = fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    resource: fc.oneof(
      fc.constantFrom('/v1/nope', '/v2/clusters', '/', '/v1/clusters/{clusterId}/x'),
      anyText,
    ),
    params: fc.constant(null),
    query: fc.constant(null),
    headers: headersArb(fx),
    body: fc.constant(null),
  });
  // One body in ten arrives base64-encoded, as API Gateway sends binary media types.
  return fc
    .tuple(fc.oneof({ weight: 19, arbitrary: routed }, { weight: 1, arbitrary: unrouted }), fc.nat(9))
    .map(([r, n]): FuzzRequest => ({ ...r, base64: n === 0 && r.body !== null }));
}

// ---- checks --------------------------------------------------------------------------------

const histogram = new Map<number, number>();
const codes = new Map<string, number>();
const undocumented = new Map<string, number>();
let sent = 0;

const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
const CORRELATION_ID = /^[A-Za-z0-9._-]{8,100}$/;
const isRoute = (method: string, resource: string) =>
  ROUTES.some((r) => r.method === method && r.path === resource);

/**
 * A path segment an HTTP client can send: a string encodeURIComponent cannot encode (a lone
 * surrogate) becomes `x`, and the encoded form stays under 4 KiB. (API Gateway refuses URLs over
 * 8 KiB itself; Node's server behind the local gateway answers 431, without a problem document,
 * when the request line and headers pass 16 KiB.)
 */
function encodable(value: string): string {
  try {
    let v = value;
    while (encodeURIComponent(v).length > 4096) v = v.slice(0, Math.floor(v.length / 2));
    return v;
  } catch {
    return 'x';
  }
}

function describeRequest(r: FuzzRequest): string {
  const text = JSON.stringify(r);
  return text.length > 1500 ? `${text.slice(0, 1500)}...` : text;
}

/** The property's assertions on one answer; throws with the request on a violation. */
function check(
  r: FuzzRequest,
  status: number,
  headers: Record<string, unknown>,
  text: string,
  via: string,
): void {
  sent++;
  count(histogram, status);
  try {
    if (status >= 500) throw new Error(`a ${status} answer: ${text.slice(0, 500)}`);
    const contentType = (headers['content-type'] as string | undefined) ?? null;
    const body: unknown = text ? JSON.parse(text) : undefined;
    const routed = isRoute(r.method, r.resource);
    if (status >= 400) {
      const p = assertProblem(status, contentType, body);
      count(codes, p.code);
      if (routed) {
        const documented = documentedProblemCodes(r.method, r.resource, status).includes(p.code);
        const key = `${r.method} ${r.resource} ${status} ${p.code}`;
        if (!documented) {
          count(undocumented, key);
          throw new Error(`undocumented problem: ${key}`);
        } else {
          assertMatchesOpenApi(r.method, r.resource, status, contentType, body);
        }
      } else if (!['ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED'].includes(p.code)) {
        throw new Error(`an unrouted request answered ${p.code}`);
      }
    } else {
      if (!routed) throw new Error(`an unrouted request answered ${status}`);
      count(codes, `${status}`);
      assertMatchesOpenApi(r.method, r.resource, status, contentType, body);
    }
    // A well-formed X-Correlation-Id is echoed; otherwise the API makes one.
    const correlation = headers['x-correlation-id'];
    if (typeof correlation !== 'string' || !CORRELATION_ID.test(correlation)) {
      throw new Error(`no usable x-correlation-id: ${String(correlation)}`);
    }
    const given = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === 'x-correlation-id')?.[1];
    if (given !== undefined && CORRELATION_ID.test(given) && correlation !== given) {
      throw new Error(`x-correlation-id ${given} was not echoed (got ${correlation})`);
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}\n  via ${via}; request: ${describeRequest(r)}`);
  }
}

function toEvent(r: FuzzRequest): APIGatewayProxyEvent {
  const body = r.body === null ? null : r.base64 ? Buffer.from(r.body, 'utf8').toString('base64') : r.body;
  return {
    ...apiEvent({ method: r.method, resource: r.resource }),
    // As API Gateway gives it: decoded.
    path: r.resource.replace(/\{(\w+)\}/g, (_, name: string) => r.params?.[name] ?? ''),
    headers: r.headers as APIGatewayProxyEvent['headers'],
    queryStringParameters: r.query,
    pathParameters: r.params,
    body,
    isBase64Encoded: r.base64,
  };
}

// ---- the test ------------------------------------------------------------------------------

describe('API fuzzing: bad input never breaks the API', () => {
  let rt: LocalRuntime;
  let savedEnv: NodeJS.ProcessEnv | undefined;
  let fx: Fixture;
  let route: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    // Fuzzing looks for answers that break the contract, not for the rate limit (its own tests in
    // rate-limit.test.ts and keys-audit-limits.test.ts): the tenant gets the highest limit, so the
    // in-process burst (thousands of requests a second) reaches the routes instead of a 429.
    await rt.store.tenants.setRateLimits(rt.tenantId, { rate: 10_000, burst: 100_000 });
    // The HTTP functions in this thread too (thousands of requests in-process), loaded with their
    // own environments, as the Lambda runtime loads them; each request goes to the function that
    // serves its route, as the gateway sends it (an unknown route to the API's answer).
    const functions = rt.plane.region(rt.region).functions;
    // Put back in afterAll: later files of this worker share its process (vitest.config.ts), and a
    // local runtime passes its process's environment on to its functions.
    savedEnv = { ...process.env };
    Object.assign(process.env, functions.api.env);
    const api = (await import('../../../functions/api/handler.js')).route;
    Object.assign(process.env, functions.reveal.env);
    const reveal = (await import('../../../functions/reveal/handler.js')).route;
    const servedBy = new Map(httpRoutes().map((r) => [`${r.method} ${r.path}`, r.fn]));
    route = (event) =>
      servedBy.get(`${event.httpMethod} ${event.resource}`) === 'reveal' ? reveal(event) : api(event);
    const call = routeClient(rt.apiUrl);
    const key = async (role: string) =>
      (await call(rt.apiKey, 'POST', '/v1/api-keys', { body: { name: `fuzz ${role}`, role } })).body as {
        id: string;
        secret: string;
      };
    const editor = await key('editor');
    const viewer = await key('viewer');
    const spare = await key('viewer');
    const created = await call(rt.apiKey, 'POST', '/v1/clusters', {
      body: { name: 'fuzz-fixture', engine: 'qdrant', region: rt.region },
    });
    await call(rt.apiKey, 'POST', '/v1/clusters', {
      body: { name: 'fuzz-second', engine: 'valkey', region: rt.region },
    });
    const tokens = [
      (await call(rt.apiKey, 'GET', '/v1/clusters', { query: { limit: '1' } })).body.nextToken,
      (await call(rt.apiKey, 'GET', '/v1/clusters', { query: { limit: '1', engine: 'qdrant' } })).body
        .nextToken,
      (await call(rt.apiKey, 'GET', '/v1/api-keys', { query: { limit: '1' } })).body.nextToken,
    ].filter((t): t is string => typeof t === 'string');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    fx = {
      keys: { admin: rt.apiKey, editor: editor.secret, viewer: viewer.secret },
      ids: { clusterId: created.body.cluster.id, operationId: created.body.operation.id, keyId: spare.id },
      tokens,
    };
  }, RUNTIME_START_TIMEOUT_MS);

  afterAll(async () => {
    if (savedEnv) {
      for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
      Object.assign(process.env, savedEnv);
    }
    await rt?.stop();
    const top = [...codes.entries()].sort((a, b) => b[1] - a[1]);
    console.log(
      [
        `fuzz: seed ${SEED}, ${sent} requests`,
        `  statuses: ${[...histogram.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}=${n}`)
          .join(' ')}`,
        `  answers: ${top.map(([c, n]) => `${c}=${n}`).join(' ')}`,
        `  known undocumented problems seen: ${undocumented.size}`,
        ...[...undocumented.entries()].sort().map(([k, n]) => `    ${k} (${n})`),
      ].join('\n'),
    );
  });

  it(`answers ${IN_PROCESS_RUNS * BATCH} requests to the handler in process (seed ${SEED})`, async () => {
    // Act + Assess: check() throws on the first answer that breaks the property.
    const started = Date.now();
    const checkedBefore = sent;
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb(fx), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const results = await Promise.all(batch.map((r) => route(toEvent(r))));
        results.forEach((res, i) => {
          check(batch[i] as FuzzRequest, res.statusCode, res.headers ?? {}, res.body, 'handler');
        });
      }),
      { numRuns: IN_PROCESS_RUNS, seed: SEED },
    );
    // Assess: every request was answered and checked (none skipped, the property not vacuous).
    expect(sent - checkedBefore).toBe(IN_PROCESS_RUNS * BATCH);
    console.log(`fuzz: in process, ${IN_PROCESS_RUNS * BATCH} requests in ${Date.now() - started} ms`);
  }, 180_000);

  it(`answers ${HTTP_RUNS * BATCH} requests over HTTP through the gateway (seed ${SEED})`, async () => {
    // Only what an HTTP client can send: header names and values of visible ASCII, no body on GET.
    const http = (r: FuzzRequest): FuzzRequest => ({
      ...r,
      // An empty or dot segment would make another path (which the gateway answers 404).
      params: Object.fromEntries(
        [...r.resource.matchAll(/\{(\w+)\}/g)].map(([, k = '']) => {
          const v = r.params?.[k] ?? '';
          return [k, v === '' || v === '.' || v === '..' ? 'x' : encodable(v)];
        }),
      ),
      headers: Object.fromEntries(
        Object.entries(r.headers ?? {}).filter(
          ([k, v]) =>
            /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v),
        ),
      ),
      body: r.method === 'GET' ? null : r.body,
      base64: false,
    });
    const started = Date.now();
    const checkedBefore = sent;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          requestArb(fx)
            .filter((r) => isRoute(r.method, r.resource))
            .map(http),
          { minLength: BATCH, maxLength: BATCH },
        ),
        async (batch) => {
          await Promise.all(
            batch.map(async (r) => {
              const query = r.query ? `?${new URLSearchParams(r.query)}` : '';
              const res = await fetch(`${rt.apiUrl}${fillPath(r.resource, r.params ?? {})}${query}`, {
                method: r.method,
                headers: r.headers ?? {},
                ...(r.body === null ? {} : { body: r.body }),
              });
              check(r, res.status, Object.fromEntries(res.headers), await res.text(), 'HTTP');
            }),
          );
        },
      ),
      { numRuns: HTTP_RUNS, seed: SEED },
    );
    // Assess: every request was answered and checked.
    expect(sent - checkedBefore).toBe(HTTP_RUNS * BATCH);
    console.log(`fuzz: over HTTP, ${HTTP_RUNS * BATCH} requests in ${Date.now() - started} ms`);
  }, 120_000);

  it('knows every status the API can answer (the histogram holds no surprise)', () => {
    const documented = new Set<number>([200, 201, 202, ...Object.values(ERROR_CODES).map((c) => c.status)]);
    expect([...histogram.keys()].filter((s) => !documented.has(s))).toEqual([]);
  });
});
