import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../functions/api/routes.js';
import { createTenant } from '../../../functions/shared/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { CALLERS, type Caller, MATRIX, type MatrixFixture, routeKey } from '../../helpers/api-matrix.js';
import { eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { fillPath, type RouteResult, routeClient } from './client.js';

/**
 * Who may call what, and what another tenant can see: every route of ROUTES, called over HTTP
 * (local gateway, real handler, DynamoDB Local) by each caller of tenant A, then by tenant B's
 * admin with tenant A's ids. Every answer is checked against the OpenAPI document.
 */
describe('API access matrix', () => {
  let rt: LocalRuntime;
  let call: ReturnType<typeof routeClient>;
  let fx: MatrixFixture;
  const keys: Partial<Record<Caller, string>> = {};
  let otherAdmin: string;

  async function createKey(role: 'viewer' | 'editor' | 'admin', name: string) {
    const res = await call(rt.apiKey, 'POST', '/v1/api-keys', { body: { name, role } });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  }

  beforeAll(async () => {
    rt = await startTestRuntime();
    call = routeClient(rt.apiUrl);
    const viewer = await createKey('viewer', 'matrix viewer');
    const editor = await createKey('editor', 'matrix editor');
    const admin = await createKey('admin', 'matrix admin');
    const spare = await createKey('viewer', 'matrix spare');
    keys.viewer = viewer.secret;
    keys.editor = editor.secret;
    keys.admin = admin.secret;
    otherAdmin = (await createTenant(rt.store, 'b')).apiKey;

    const created = await call(rt.apiKey, 'POST', '/v1/clusters', {
      body: { name: 'matrix-fixture', engine: 'qdrant', region: rt.region },
    });
    expect(created.status).toBe(202);
    const clusterId = created.body.cluster.id as string;
    const ready = await eventually(
      () => call(rt.apiKey, 'GET', '/v1/clusters/{clusterId}', { params: { clusterId } }),
      (r) => r.body.status === 'READY' || r.body.status === 'FAILED',
    );
    expect(ready.body.status).toBe('READY');
    const backedUp = await call(rt.apiKey, 'POST', '/v1/clusters/{clusterId}/backups', {
      params: { clusterId },
    });
    expect(backedUp.status).toBe(202);
    const backupId = backedUp.body.backup.id as string;
    const backupDone = await eventually(
      () => call(rt.apiKey, 'GET', '/v1/backups/{backupId}', { params: { backupId } }),
      (r) => r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED',
    );
    expect(backupDone.body.status).toBe('SUCCEEDED');
    const allKeys = await call(rt.apiKey, 'GET', '/v1/api-keys', { query: { limit: '100' } });
    fx = {
      region: rt.region,
      tenantId: rt.tenantId,
      clusterId,
      clusterName: 'matrix-fixture',
      endpoint: ready.body.endpoint as string,
      operationId: created.body.operation.id as string,
      backupId,
      backupOperationId: backedUp.body.operation.id as string,
      spareKeyId: spare.id,
      keyIds: (allKeys.body.items as Array<{ id: string }>).map((k) => k.id),
    };
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  const send = (
    key: string | undefined,
    route: (typeof ROUTES)[number],
    req: ReturnType<(typeof MATRIX)[string]['request']>,
  ) => call(key, route.method, route.path, req);

  function expectAnswer(res: RouteResult, expected: { status: number; code?: string }) {
    expect({ status: res.status, code: res.body?.code }, res.text.slice(0, 300)).toEqual({
      status: expected.status,
      code: expected.code,
    });
  }

  it('has an entry for every route of ROUTES, and none for a route that does not exist', () => {
    const routes = ROUTES.map(routeKey);
    expect(routes.filter((r) => !MATRIX[r])).toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !routes.includes(k))).toEqual([]);
  });

  describe('Roles within tenant A', () => {
    describe.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s', (name, route) => {
      it.each(CALLERS)('answers the %s as documented', async (caller) => {
        // Prepare
        const entry = MATRIX[name];
        if (!entry) throw new Error(`no matrix entry for ${name}: add one to test/helpers/api-matrix.ts`);

        // Act
        const res = await send(keys[caller], route, entry.request(fx));

        // Assess
        expectAnswer(res, entry.roles[caller]);
        if (res.status === 200 && route.mutation) expect(res.body.dryRun).toBe(true);
      });
    });

    it('left the fixture as it was: dry runs and refusals wrote nothing', async () => {
      const cluster = await call(keys.viewer, 'GET', '/v1/clusters/{clusterId}', {
        params: { clusterId: fx.clusterId },
      });
      expect(cluster.body).toMatchObject({ status: 'READY', nodes: 1, generation: 1 });
      const list = await call(keys.viewer, 'GET', '/v1/clusters');
      expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([fx.clusterId]);
      const ops = await call(keys.viewer, 'GET', '/v1/clusters/{clusterId}/operations', {
        params: { clusterId: fx.clusterId },
      });
      expect(ops.body.items.map((o: { id: string }) => o.id).sort()).toEqual(
        [fx.operationId, fx.backupOperationId].sort(),
      );
      const backups = await call(keys.viewer, 'GET', '/v1/clusters/{clusterId}/backups', {
        params: { clusterId: fx.clusterId },
      });
      expect(backups.body.items.map((b: { id: string; status: string }) => [b.id, b.status])).toEqual([
        [fx.backupId, 'SUCCEEDED'],
      ]);
      const apiKeys = await call(keys.admin, 'GET', '/v1/api-keys', { query: { limit: '100' } });
      expect(apiKeys.body.items.map((k: { id: string }) => k.id).sort()).toEqual([...fx.keyIds].sort());
      expect(apiKeys.body.items.every((k: { revokedAt?: string }) => k.revokedAt === undefined)).toBe(true);
    });
  });

  describe("Tenant B's admin with tenant A's ids", () => {
    it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
      '%s finds nothing of tenant A',
      async (name, route) => {
        // Prepare
        const entry = MATRIX[name];
        if (!entry) throw new Error(`no matrix entry for ${name}: add one to test/helpers/api-matrix.ts`);
        const req = entry.otherTenant.request(fx);

        // Act
        const res = await send(otherAdmin, route, req);

        // Assess
        expectAnswer(res, entry.otherTenant.expected);
        // Never tenant A's data: not its tenant, endpoint, other ids, or (but for a create) its names.
        const leaks = [
          fx.tenantId,
          fx.endpoint,
          ...fx.keyIds,
          fx.clusterId,
          fx.operationId,
          fx.backupId,
          fx.backupOperationId,
        ];
        if (res.status === 404) {
          expect(Object.keys(res.body).sort()).toEqual([
            'code',
            'detail',
            'instance',
            'status',
            'title',
            'type',
          ]);
          expect(res.body.instance).toBe(fillPath(route.path, req.params));
          const withoutInstance = JSON.stringify({ ...res.body, instance: undefined });
          for (const leak of [...leaks, fx.clusterName]) expect(withoutInstance).not.toContain(leak);
        } else if (route.path !== '/v1/openapi.json') {
          for (const leak of leaks) expect(res.text).not.toContain(leak);
        }
      },
    );

    it("left tenant A's cluster, operation and keys untouched", async () => {
      const cluster = await call(keys.viewer, 'GET', '/v1/clusters/{clusterId}', {
        params: { clusterId: fx.clusterId },
      });
      expect(cluster.body).toMatchObject({ status: 'READY', nodes: 1, generation: 1 });
      expect(cluster.body.activeOperationId).toBeUndefined();
      const op = await call(keys.viewer, 'GET', '/v1/operations/{operationId}', {
        params: { operationId: fx.operationId },
      });
      expect(op.body.status).toBe('SUCCEEDED');
      const apiKeys = await call(keys.admin, 'GET', '/v1/api-keys', { query: { limit: '100' } });
      expect(
        apiKeys.body.items.find((k: { id: string }) => k.id === fx.spareKeyId)?.revokedAt,
      ).toBeUndefined();
      // B's lists hold B's own things only.
      const theirs = await call(otherAdmin, 'GET', '/v1/clusters', { query: { status: 'READY' } });
      expect(theirs.body.items).toEqual([]);
    });
  });
});
