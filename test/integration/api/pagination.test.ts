import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../../functions/shared/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { routeClient } from './client.js';

/**
 * Cursor pagination of GET /v1/clusters over HTTP: complete and stable pages, filters, and page
 * tokens that only work for the tenant and the query they were issued for.
 */
describe('Pagination: GET /v1/clusters', () => {
  let rt: LocalRuntime;
  let call: ReturnType<typeof routeClient>;
  let otherTenant: string;
  /** Created clusters by name, in creation order. */
  const ids = new Map<string, string>();
  const engines: Record<string, 'qdrant' | 'valkey'> = {
    'page-q1': 'qdrant',
    'page-v1': 'valkey',
    'page-q2': 'qdrant',
    'page-q3': 'qdrant',
    'page-v2': 'valkey',
    'page-q4': 'qdrant',
    'page-v3': 'valkey',
  };
  const deleted = 'page-v3';

  const list = (query: Record<string, string>, key?: string) =>
    call(key ?? rt.apiKey, 'GET', '/v1/clusters', { query });

  /** Follows nextToken to the end; returns the ids of each page. */
  async function pages(query: Record<string, string>): Promise<string[][]> {
    const out: string[][] = [];
    let token: string | undefined;
    do {
      const res = await list({ ...query, ...(token ? { nextToken: token } : {}) });
      expect(res.status, res.text).toBe(200);
      out.push(res.body.items.map((c: { id: string }) => c.id));
      token = res.body.nextToken;
      expect(out.length, 'more pages than clusters').toBeLessThan(20);
    } while (token);
    return out;
  }

  const idsOf = (...names: string[]) => names.map((n) => ids.get(n) as string).sort();
  const alive = () => [...ids.keys()].filter((n) => n !== deleted);

  beforeAll(async () => {
    rt = await startTestRuntime();
    call = routeClient(rt.apiUrl);
    otherTenant = (await createTenant(rt.store, 'other')).apiKey;
    for (const [name, engine] of Object.entries(engines)) {
      const res = await call(rt.apiKey, 'POST', '/v1/clusters', {
        body: { name, engine, region: rt.region },
      });
      expect(res.status, res.text).toBe(202);
      ids.set(name, res.body.cluster.id);
    }
    await eventually(
      () => list({ status: 'READY', limit: '100' }),
      (r) => r.body.items.length === ids.size,
      45_000,
    );
    const gone = await call(rt.apiKey, 'DELETE', '/v1/clusters/{clusterId}', {
      params: { clusterId: ids.get(deleted) as string },
    });
    expect(gone.status, gone.text).toBe(202);
    await eventually(
      () =>
        call(rt.apiKey, 'GET', '/v1/clusters/{clusterId}', {
          params: { clusterId: ids.get(deleted) as string },
        }),
      (r) => r.body.status === 'DELETED',
      45_000,
    );
  }, RUNTIME_START_TIMEOUT_MS + 90_000);
  afterAll(async () => rt?.stop());

  it('returns every cluster exactly once, oldest first, in pages of at most `limit`', async () => {
    // Act
    const first = await pages({ limit: '2' });
    const again = await pages({ limit: '2' });

    // Assess
    const flat = first.flat();
    expect(first.every((p) => p.length <= 2)).toBe(true);
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(new Set(flat).size).toBe(flat.length);
    // Ids are time-ordered, so id order is creation order; DELETED clusters are not listed.
    expect(flat).toEqual(idsOf(...alive()));
    expect(again).toEqual(first);
  });

  it.each([
    ['engine=qdrant', { engine: 'qdrant' }, ['page-q1', 'page-q2', 'page-q3', 'page-q4']],
    ['engine=valkey', { engine: 'valkey' }, ['page-v1', 'page-v2']],
    ['status=READY', { status: 'READY' }, ['page-q1', 'page-v1', 'page-q2', 'page-q3', 'page-v2', 'page-q4']],
    ['status=DELETED', { status: 'DELETED' }, ['page-v3']],
    ['status=FAILED', { status: 'FAILED' }, []],
    [
      'region=<home>',
      { region: 'eu-west-1' },
      ['page-q1', 'page-v1', 'page-q2', 'page-q3', 'page-v2', 'page-q4'],
    ],
    ['region=us-east-1', { region: 'us-east-1' }, []],
    ['engine=valkey&status=DELETED', { engine: 'valkey', status: 'DELETED' }, ['page-v3']],
    ['engine=postgresql', { engine: 'postgresql' }, []],
  ])('filters by %s, page after page', async (_case, filters, expected) => {
    // Act
    const result = await pages({ ...filters, limit: '1' });
    const whole = await list({ ...filters, limit: '100' });

    // Assess
    expect(result.flat()).toEqual(idsOf(...expected));
    expect(whole.body.items.map((c: { id: string }) => c.id)).toEqual(idsOf(...expected));
    for (const c of whole.body.items) {
      if ('engine' in filters) expect(c.engine).toBe(filters.engine);
      if ('status' in filters) expect(c.status).toBe(filters.status);
    }
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=101', { limit: '101' }],
    ['limit=two', { limit: 'two' }],
    ['limit=1.5', { limit: '1.5' }],
    ['status=RUNNING', { status: 'RUNNING' }],
    ['an unknown parameter', { colour: 'red' }],
  ])('refuses %s with 400 INVALID_QUERY', async (_case, query) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_QUERY');
  });

  describe('Page tokens', () => {
    let token: string;
    let secondPage: string[];

    beforeAll(async () => {
      const first = await list({ limit: '2' });
      token = first.body.nextToken;
      secondPage = (await list({ limit: '2', nextToken: token })).body.items.map((c: { id: string }) => c.id);
    });

    const refused = async (query: Record<string, string>, key?: string) => {
      const res = await list(query, key);
      return { status: res.status, code: res.body.code };
    };
    const INVALID = { status: 400, code: 'INVALID_PAGE_TOKEN' };

    it('is opaque: it does not show the tenant, the table key or the filters, even decoded', () => {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      const decoded = Buffer.from(token, 'base64url').toString('latin1');
      for (const shown of [token, decoded]) {
        expect(shown).not.toContain(rt.tenantId);
        expect(shown).not.toContain('TENANT');
        expect(shown).not.toContain('CLUSTER');
      }
    });

    it('may be used with another page size (limit is not part of the query it is bound to)', async () => {
      const res = await list({ limit: '100', nextToken: token });
      expect(res.body.items.map((c: { id: string }) => c.id)).toEqual(idsOf(...alive()).slice(2));
    });

    it('refuses a token edited in any one character with 400 INVALID_PAGE_TOKEN', async () => {
      // Prepare: at every position, a character of the base64url alphabet and one outside it.
      const edits: string[] = [];
      for (let i = 0; i < token.length; i++) {
        for (const c of [token[i] === 'A' ? 'B' : 'A', i % 2 ? '+' : '=']) {
          const edited = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
          edits.push(edited);
        }
      }

      // Act
      const answers: Array<{ status: number; code: string }> = [];
      for (let i = 0; i < edits.length; i += 16) {
        answers.push(
          ...(await Promise.all(edits.slice(i, i + 16).map((t) => refused({ limit: '2', nextToken: t })))),
        );
      }

      // Assess
      const accepted = edits.filter(
        (_, i) => answers[i]?.status !== 400 || answers[i]?.code !== 'INVALID_PAGE_TOKEN',
      );
      expect(accepted).toEqual([]);
      console.log(`page token: ${edits.length} one-character edits refused`);
    });

    it.each([
      ['with a filter added', { engine: 'qdrant' }],
      ['with another status filter', { status: 'READY' }],
      ['with a region filter', { region: 'eu-west-1' }],
    ])('refuses a token used %s', async (_case, filters) => {
      expect(await refused({ limit: '2', nextToken: token, ...filters })).toEqual(INVALID);
    });

    it('refuses a token of one filter used with another', async () => {
      const qdrant = (await list({ engine: 'qdrant', limit: '1' })).body.nextToken as string;
      expect(qdrant).toBeDefined();
      expect(await refused({ engine: 'valkey', limit: '1', nextToken: qdrant })).toEqual(INVALID);
      expect(await refused({ limit: '1', nextToken: qdrant })).toEqual(INVALID);
      expect((await list({ engine: 'qdrant', limit: '1', nextToken: qdrant })).status).toBe(200);
    });

    it("refuses tenant A's token in tenant B, with the same query", async () => {
      expect(await refused({ limit: '2', nextToken: token }, otherTenant)).toEqual(INVALID);
    });

    it('refuses a clusters token on another list', async () => {
      const keys = await call(rt.apiKey, 'GET', '/v1/api-keys', { query: { limit: '1', nextToken: token } });
      expect({ status: keys.status, code: keys.body.code }).toEqual(INVALID);
      const ops = await call(rt.apiKey, 'GET', '/v1/clusters/{clusterId}/operations', {
        params: { clusterId: ids.get('page-q1') as string },
        query: { limit: '1', nextToken: token },
      });
      expect({ status: ops.status, code: ops.body.code }).toEqual(INVALID);
    });

    it.each([
      ['truncated', () => token.slice(0, -4)],
      [
        'without its authentication tag',
        () => Buffer.from(token, 'base64url').subarray(0, -16).toString('base64url'),
      ],
      ['with a suffix', () => `${token}.x`],
      ['a cursor in clear', () => Buffer.from('{"pk":"TENANT#x","sk":"CLUSTER#"}').toString('base64url')],
      ['garbage', () => 'not-a-token'],
      ['only a dot', () => '.'],
    ])('refuses %s', async (_case, make) => {
      expect(await refused({ limit: '2', nextToken: make() })).toEqual(INVALID);
    });

    it('refuses a token longer than 2048 characters as an invalid query', async () => {
      const res = await list({ limit: '2', nextToken: `${token}${'A'.repeat(2048)}` });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'INVALID_QUERY' });
    });

    it('still works unedited, and gives the second page', async () => {
      const res = await list({ limit: '2', nextToken: token });
      expect(res.body.items.map((c: { id: string }) => c.id)).toEqual(secondPage);
      expect(secondPage).toEqual(idsOf(...alive()).slice(2, 4));
    });
  });
});
