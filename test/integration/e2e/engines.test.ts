import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  startTestRuntime,
} from '../../helpers/local.js';

/**
 * The operator-backed engines of issue #15 over HTTP: each is created, reaches READY on the
 * Kubernetes stand-in (which simulates its operator's status), reports its connection, reveals
 * its generated credential, refuses a change to a setting fixed at creation, and is deleted.
 */
describe('End to end: MongoDB, ScyllaDB and YugabyteDB', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  const settle = (opId: string) => settleOperation(api, opId);

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it.each([
    ['mongodb', 27017, 'MongoDBCommunity', { username: 'shop' }],
    ['scylladb', 9042, 'ScyllaCluster', { username: 'other' }],
    ['yugabytedb', 5433, 'YBUniverse', { replicationFactor: 1 }],
  ] as const)(
    '%s: create, READY, connection and reveal, immutable setting refused, delete',
    async (engine, port, kind, fixed) => {
      // Act: create with three nodes (YugabyteDB's default replication factor needs three).
      const created = await api('POST', '/v1/clusters', {
        name: `e2e-${engine}`,
        engine,
        region: rt.region,
        nodes: 3,
      });
      expect(created.status).toBe(202);
      const id = created.body.cluster.id as string;
      expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');

      // Assess: READY, the operator's resource applied, the connection on the engine's port.
      expect((await api('GET', `/v1/clusters/${id}`)).body).toMatchObject({
        status: 'READY',
        engine,
        nodes: 3,
      });
      expect(rt.kube?.list().some((o) => o.kind === kind && o.metadata.namespace === `stratus-${id}`)).toBe(
        true,
      );
      const conn = await api('GET', `/v1/clusters/${id}/connection`);
      expect(conn.status).toBe(200);
      expect(conn.body).toMatchObject({ clusterId: id, port });
      const revealed = await api('POST', `/v1/clusters/${id}/connection/reveal`);
      expect(revealed.status).toBe(200);
      expect(revealed.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // A setting fixed at creation: refused with its own code, naming the setting.
      const refused = await api('PATCH', `/v1/clusters/${id}`, { settings: fixed });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(refused.body).toMatchObject({
        code: 'SETTING_IMMUTABLE',
        errors: [{ path: `settings.${Object.keys(fixed)[0]}` }],
      });

      // Act & Assess: deleted, its namespace gone.
      const deleted = await api('DELETE', `/v1/clusters/${id}`);
      expect(deleted.status).toBe(202);
      expect((await settle(deleted.body.operation.id)).body.status).toBe('SUCCEEDED');
      expect(rt.kube?.list().some((o) => o.metadata.namespace === `stratus-${id}`)).toBe(false);
    },
    60_000,
  );

  it('refuses a YugabyteDB cluster with fewer nodes than its replication factor, and its backups', async () => {
    const few = await api('POST', '/v1/clusters', {
      name: 'e2e-yb-few',
      engine: 'yugabytedb',
      region: rt.region,
    });
    expect(few.status).toBe(400);
    expect(few.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'nodes' }] });

    const created = await api('POST', '/v1/clusters', {
      name: 'e2e-yb-one',
      engine: 'yugabytedb',
      region: rt.region,
      settings: { replicationFactor: 1 },
    });
    expect(created.status).toBe(202);
    await settle(created.body.operation.id);
    const id = created.body.cluster.id as string;
    // Scaling keeps the replication factor; a backup is refused: the engine declares no backups
    // (the region has a bucket, so the refusal is the engine's: UNSUPPORTED_ENGINE, not BACKUPS_NOT_CONFIGURED).
    const scaled = await api('PATCH', `/v1/clusters/${id}`, { nodes: 2 });
    expect(scaled.status).toBe(202);
    expect((await settle(scaled.body.operation.id)).body.status).toBe('SUCCEEDED');
    const universe = rt.kube
      ?.list()
      .find((o) => o.kind === 'YBUniverse' && o.metadata.namespace === `stratus-${id}`) as
      | { spec: { numNodes: number; replicationFactor: number } }
      | undefined;
    expect(universe?.spec).toMatchObject({ numNodes: 2, replicationFactor: 1 });
    const backup = await api('POST', `/v1/clusters/${id}/backups`, {});
    expect(backup.status).toBe(400);
    expect(backup.body.code).toBe('UNSUPPORTED_ENGINE');
  }, 60_000);
});
