import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  startTestRuntime,
} from '../../helpers/local.js';

/** The whole cluster lifecycle over HTTP: create, scale, resize, protect, delete. */
describe('End to end: cluster lifecycle', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  const settle = (opId: string) => settleOperation(api, opId);

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('scales, refuses a storage shrink and a busy mutation, protects, deletes, and frees the name', async () => {
    const created = await api('POST', '/v1/clusters', {
      name: 'life',
      engine: 'qdrant',
      region: rt.region,
      size: 'medium',
    });
    expect(created.status).toBe(202);
    const id = created.body.cluster.id as string;

    // A mutation while the CREATE runs is refused, naming the operation.
    const busy = await api('PATCH', `/v1/clusters/${id}`, { nodes: 2 });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: 'CLUSTER_BUSY', operationId: created.body.operation.id });

    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');

    // Scale: an UPDATE operation, a new generation, observed once READY.
    const scaled = await api('PATCH', `/v1/clusters/${id}`, { nodes: 3 });
    expect(scaled.status).toBe(202);
    expect(scaled.body.operation.type).toBe('UPDATE');
    expect(scaled.body.cluster).toMatchObject({ nodes: 3, generation: 2, status: 'UPDATING' });
    expect((await settle(scaled.body.operation.id)).body.status).toBe('SUCCEEDED');
    const afterScale = await api('GET', `/v1/clusters/${id}`);
    expect(afterScale.body).toMatchObject({
      status: 'READY',
      nodes: 3,
      generation: 2,
      observedGeneration: 2,
    });
    const sts = rt.kube
      ?.list()
      .find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === `stratus-${id}`) as
      | { spec?: { replicas?: number } }
      | undefined;
    expect(sts?.spec?.replicas).toBe(3);

    // Storage can grow but not shrink.
    const shrink = await api('PATCH', `/v1/clusters/${id}`, { size: 'small' });
    expect(shrink.status).toBe(400);
    expect(shrink.body.code).toBe('STORAGE_SHRINK_NOT_ALLOWED');
    const nothing = await api('PATCH', `/v1/clusters/${id}`, { nodes: 3 });
    expect(nothing.body.code).toBe('NO_CHANGES');

    // Deletion protection: applied at once, and DELETE is refused until it is turned off.
    const protectedRes = await api('PATCH', `/v1/clusters/${id}`, { deletionProtection: true });
    expect(protectedRes.status).toBe(200);
    expect(protectedRes.body.deletionProtection).toBe(true);
    const refused = await api('DELETE', `/v1/clusters/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DELETION_PROTECTED');
    expect((await api('PATCH', `/v1/clusters/${id}`, { deletionProtection: false })).status).toBe(200);

    // Delete: the namespace goes, the cluster stays readable as DELETED, the name is free again.
    const deleted = await api('DELETE', `/v1/clusters/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.operation.type).toBe('DELETE');
    expect((await settle(deleted.body.operation.id)).body.status).toBe('SUCCEEDED');
    const gone = await api('GET', `/v1/clusters/${id}`);
    expect(gone.body.status).toBe('DELETED');
    expect(
      rt.kube
        ?.list()
        .some((o) => o.metadata.namespace === `stratus-${id}` || o.metadata.name === `stratus-${id}`),
    ).toBe(false);
    const list = await api('GET', '/v1/clusters');
    expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(id);
    expect(
      (await api('GET', '/v1/clusters?status=DELETED')).body.items.map((c: { id: string }) => c.id),
    ).toContain(id);
    expect(
      (await api('POST', '/v1/clusters', { name: 'life', engine: 'qdrant', region: rt.region })).status,
    ).toBe(202);

    // History, newest first.
    const ops = await api('GET', `/v1/clusters/${id}/operations`);
    expect(ops.body.items.map((o: { type: string }) => o.type)).toEqual(['DELETE', 'UPDATE', 'CREATE']);

    // Every status change of the cluster produced one event, in order.
    const events = await rt.bus.waitFor(
      { detail: { clusterId: [id] }, 'detail-type': ['Cluster Status Changed'] },
      { count: 7 },
    );
    expect(events.map((e) => e.detail.status)).toEqual([
      'PENDING',
      'PROVISIONING',
      'READY',
      'UPDATING',
      'READY',
      'DELETING',
      'DELETED',
    ]);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(7);
  }, 60_000);

  // A StatefulSet's volumeClaimTemplates cannot change (kube-apiserver answers 422, as the
  // stand-in does): growing the storage expands the claims, then replaces the StatefulSet without
  // its pods (orphan cascade), so the UPDATE succeeds instead of rolling back.
  it.each([
    ['qdrant', 'storage'],
    ['valkey', 'data'],
  ] as const)(
    '%s: grows the storage of every node, the StatefulSet replaced in place',
    async (engine, claim) => {
      const created = await api('POST', '/v1/clusters', {
        name: `grow-${engine}`,
        engine,
        region: rt.region,
        nodes: 2,
      });
      const id = created.body.cluster.id as string;
      expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
      const namespace = `stratus-${id}`;
      const inNamespace = (kind: string) =>
        (rt.kube?.list() ?? []).filter(
          (o) => o.kind === kind && o.metadata.namespace === namespace,
        ) as Array<{
          metadata: { name: string; uid?: string };
          spec?: Record<string, unknown> & { resources?: { requests?: { storage?: string } } };
        }>;
      const claimsBefore = inNamespace('PersistentVolumeClaim');
      expect(claimsBefore.map((c) => c.spec?.resources?.requests?.storage)).toEqual(['10Gi', '10Gi']);
      const stsBefore = inNamespace('StatefulSet')[0];

      const grown = await api('PATCH', `/v1/clusters/${id}`, { size: 'medium' });
      expect(grown.status).toBe(202);
      const op = await settle(grown.body.operation.id);
      expect(op.body).toMatchObject({ status: 'SUCCEEDED', type: 'UPDATE' });
      expect(op.body.error).toBeUndefined();
      expect((await api('GET', `/v1/clusters/${id}`)).body).toMatchObject({
        status: 'READY',
        size: 'medium',
        generation: 2,
        observedGeneration: 2,
      });

      // The same claims (same uid: the data stays), each grown; the StatefulSet a new object whose
      // template asks for the new size, so a node added later gets it too.
      const claimsAfter = inNamespace('PersistentVolumeClaim');
      expect(
        claimsAfter.map((c) => [c.metadata.name, c.metadata.uid, c.spec?.resources?.requests?.storage]),
      ).toEqual(claimsBefore.map((c) => [c.metadata.name, c.metadata.uid, '50Gi']));
      expect(claimsAfter.map((c) => c.metadata.name)).toEqual([
        `${claim}-${engine}-0`,
        `${claim}-${engine}-1`,
      ]);
      const stsAfter = inNamespace('StatefulSet')[0];
      expect(stsAfter?.metadata.uid).not.toBe(stsBefore?.metadata.uid);
      const templates = (stsAfter?.spec?.volumeClaimTemplates ?? []) as Array<{
        spec: { resources: { requests: { storage: string } } };
      }>;
      expect(templates.map((t) => t.spec.resources.requests.storage)).toEqual(['50Gi']);
    },
    60_000,
  );

  it('reports connection details to viewers and reveals the credential to admins only, audited', async () => {
    const created = await api('POST', '/v1/clusters', { name: 'conn', engine: 'qdrant', region: rt.region });
    const id = created.body.cluster.id as string;
    const early = await api('GET', `/v1/clusters/${id}/connection`);
    expect([200, 409]).toContain(early.status);
    await settle(created.body.operation.id);

    const conn = await api('GET', `/v1/clusters/${id}/connection`);
    expect(conn.status).toBe(200);
    expect(conn.body).toMatchObject({ clusterId: id, port: 6333 });
    expect(conn.body.secret).toBeUndefined();

    const editorKey = await api('POST', '/v1/api-keys', { name: 'ci', role: 'editor' });
    expect(editorKey.status).toBe(201);
    const editor = apiClient(rt.apiUrl, editorKey.body.secret);
    const denied = await editor('POST', `/v1/clusters/${id}/connection/reveal`);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN_ROLE');

    const revealed = await api('POST', `/v1/clusters/${id}/connection/reveal`);
    expect(revealed.status).toBe(200);
    const secret = rt.kube
      ?.list()
      .find((o) => o.kind === 'Secret' && o.metadata.namespace === `stratus-${id}`) as unknown as {
      data: Record<string, string>;
    };
    const stored = Object.values(secret.data).map((v) => Buffer.from(v, 'base64').toString('utf8'));
    expect(stored).toContain(revealed.body.secret);
  }, 60_000);

  it('creates, lists and revokes API keys; a revoked key stops at the next request', async () => {
    const created = await api('POST', '/v1/api-keys', { name: 'temp', role: 'viewer' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^stratus_/);
    const viewer = apiClient(rt.apiUrl, created.body.secret);
    expect((await viewer('GET', '/v1/clusters')).status).toBe(200);
    expect(
      (await viewer('POST', '/v1/clusters', { name: 'nope', engine: 'qdrant', region: rt.region })).status,
    ).toBe(403);

    const listed = await api('GET', '/v1/api-keys');
    const entry = listed.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(entry).toMatchObject({ name: 'temp', role: 'viewer' });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    expect((await api('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(200);
    const after = await viewer('GET', '/v1/clusters');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');
  });

  it('validates a dry run fully and writes nothing', async () => {
    const before = (await api('GET', '/v1/clusters')).body.items.length;
    const dry = await api('POST', '/v1/clusters?dryRun=true', {
      name: 'dry',
      engine: 'qdrant',
      region: rt.region,
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, outcome: 'CREATE' });
    const bad = await api('POST', '/v1/clusters?dryRun=true', {
      name: 'life',
      engine: 'qdrant',
      region: rt.region,
    });
    expect(bad.body.code).toBe('CLUSTER_NAME_TAKEN');
    expect((await api('GET', '/v1/clusters')).body.items.length).toBe(before);
    expect(
      (await api('POST', '/v1/clusters', { name: 'dry', engine: 'qdrant', region: rt.region })).status,
    ).toBe(202);
  });

  it('rolls a failed update back to the last good spec and says so', async () => {
    const created = await api('POST', '/v1/clusters', {
      name: 'rollback',
      engine: 'qdrant',
      region: rt.region,
    });
    const id = created.body.cluster.id as string;
    await settle(created.body.operation.id);
    const usageBefore = await rt.store.tenants.usage(rt.tenantId, rt.region);

    // Kubernetes rejects everything (422) while the update applies...
    rt.kube?.setFaults({ errorRate: 1, errorStatus: 422 });
    const update = await api('PATCH', `/v1/clusters/${id}`, { nodes: 3 });
    expect(update.status).toBe(202);
    const opId = update.body.operation.id as string;
    await eventually(
      () => rt.store.operations.get(rt.tenantId, opId),
      (o) => o?.rollback !== undefined,
    );
    // ...and recovers for the rollback.
    rt.kube?.setFaults({});

    const op = await settle(opId);
    expect(op.body.status).toBe('FAILED');
    expect(op.body.error.code).toBe('KUBERNETES_REJECTED');
    expect(op.body.error.message).toContain('rolled back');
    const c = await api('GET', `/v1/clusters/${id}`);
    expect(c.body).toMatchObject({
      status: 'READY',
      statusReason: 'UPDATE_ROLLED_BACK',
      nodes: 1,
      generation: 3,
      observedGeneration: 3,
    });
    const sts = rt.kube
      ?.list()
      .find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === `stratus-${id}`) as
      | { spec?: { replicas?: number } }
      | undefined;
    expect(sts?.spec?.replicas).toBe(1);
    expect(await rt.store.tenants.usage(rt.tenantId, rt.region)).toEqual(usageBefore);
  }, 60_000);
});
