import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  startTestRuntime,
} from '../../helpers/local.js';

/** What EKS answers when the provisioner's role lacks a permission: it names the role and the account. */
const EKS_FORBIDDEN =
  'statefulsets.apps "qdrant" is forbidden: User "arn:aws:sts::123456789012:assumed-role/stratus-prod-Provisioner-1A2B3C/stratus-prod-provisioner" ' +
  'cannot patch resource "statefulsets" in API group "apps" in the namespace "stratus-x"';
const LEAKS = /arn:aws|123456789012|assumed-role|stratus-prod-Provisioner/;

/**
 * The pipeline's clean-ups and its error hygiene, end to end through the local runtime: a
 * CREATE that Kubernetes refuses, and a Valkey cluster scaled down.
 */
describe('End to end: failed creates, pruning and tenant-facing errors (issue #10)', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  const settle = (opId: string) => settleOperation(api, opId, 60_000);
  const objectsIn = (clusterId: string) =>
    (rt.kube?.list() ?? []).filter(
      (o) => o.metadata.namespace === `stratus-${clusterId}` || o.metadata.name === `stratus-${clusterId}`,
    );

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());
  afterEach(() => rt?.kube?.setFaults({}));

  it('a CREATE refused by Kubernetes fails with a stable code and no internals, in the API and in events', async () => {
    // Prepare: the StatefulSet's apply is forbidden, with the text EKS sends.
    rt.kube?.setFaults({
      rejections: [{ method: 'PATCH', kind: 'StatefulSet', status: 403, message: EKS_FORBIDDEN }],
    });

    // Act
    const created = await api('POST', '/v1/clusters', {
      name: 'refused',
      engine: 'qdrant',
      region: rt.region,
    });
    expect(created.status).toBe(202);
    const { cluster, operation } = created.body;
    const done = await settle(operation.id);

    // Assess: the API says what happened without naming the role or the account.
    expect(done.body.status).toBe('FAILED');
    expect(done.body.error.code).toBe('KUBERNETES_REJECTED');
    expect(JSON.stringify(done.body)).not.toMatch(LEAKS);
    const listed = await api('GET', `/v1/clusters/${cluster.id}/operations`);
    expect(JSON.stringify(listed.body)).not.toMatch(LEAKS);

    // Assess: so do the published events.
    await rt.bus.waitFor(
      {
        'detail-type': ['Operation Status Changed'],
        detail: { operationId: [operation.id], status: ['FAILED'] },
      },
      { timeoutMs: 10_000 },
    );
    const events = rt.bus.events().filter((e) => e.detail.clusterId === cluster.id);
    const failed = events.find((e) => e.detail.operationId === operation.id && e.detail.status === 'FAILED');
    expect(failed?.detail.error).toMatchObject({ code: 'KUBERNETES_REJECTED' });
    expect(JSON.stringify(events)).not.toMatch(LEAKS);
  });

  it('a failed CREATE leaves no namespace behind, ends FAILED and can still be deleted', async () => {
    // Prepare: the namespace and the objects before the StatefulSet are applied, then it is refused.
    rt.kube?.setFaults({
      rejections: [{ method: 'PATCH', kind: 'StatefulSet', status: 403, message: EKS_FORBIDDEN }],
    });

    // Act
    const created = await api('POST', '/v1/clusters', {
      name: 'partial',
      engine: 'qdrant',
      region: rt.region,
    });
    const { cluster, operation } = created.body;
    const done = await settle(operation.id);

    // Assess: failed, and its partial namespace is gone.
    expect(done.body).toMatchObject({ status: 'FAILED', error: { code: 'KUBERNETES_REJECTED' } });
    expect((await api('GET', `/v1/clusters/${cluster.id}`)).body).toMatchObject({
      status: 'FAILED',
      statusReason: 'KUBERNETES_REJECTED',
    });
    expect(objectsIn(cluster.id).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);

    // Act: the user deletes the failed cluster.
    rt.kube?.setFaults({});
    const deleted = await api('DELETE', `/v1/clusters/${cluster.id}`);
    expect(deleted.status).toBe(202);

    // Assess
    expect((await settle(deleted.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect((await api('GET', `/v1/clusters/${cluster.id}`)).body.status).toBe('DELETED');
  });

  it('scaling Valkey down to one node prunes the objects it no longer renders (valkey-read, its PDB)', async () => {
    // Prepare: three nodes, with the read Service and the disruption budget.
    const created = await api('POST', '/v1/clusters', {
      name: 'cache',
      engine: 'valkey',
      region: rt.region,
      nodes: 3,
    });
    expect(created.status).toBe(202);
    const id = created.body.cluster.id as string;
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    const before = objectsIn(id).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(before).toContain('Service/valkey-read');
    expect(before).toContain('PodDisruptionBudget/valkey');
    const secretBefore = objectsIn(id).find((o) => o.kind === 'Secret');

    // Act
    const scaled = await api('PATCH', `/v1/clusters/${id}`, { nodes: 1 });
    expect(scaled.status).toBe(202);
    expect((await settle(scaled.body.operation.id)).body.status).toBe('SUCCEEDED');

    // Assess: gone; everything still rendered is kept, the credential Secret untouched.
    const after = objectsIn(id);
    const names = after.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).not.toContain('Service/valkey-read');
    expect(names).not.toContain('PodDisruptionBudget/valkey');
    expect(names).toEqual(
      expect.arrayContaining(['Service/valkey', 'Service/valkey-headless', 'StatefulSet/valkey']),
    );
    const secretAfter = after.find((o) => o.kind === 'Secret');
    expect(secretAfter?.data).toEqual(secretBefore?.data);
  });
});
