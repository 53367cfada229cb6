import { KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileResult } from '../../../functions/reconciler/handler.js';
import { engineNames } from '../../../functions/shared/engines/registry.js';
import { LABELS, namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { kubeConfigFor } from '../../helpers/kube.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { eventValidator } from '../../unit/events/validator.js';

/**
 * The reconciler's drift sweep on its local schedule, with the whole pipeline running: a change
 * made by hand in the Kubernetes stand-in is repaired through an UPDATE operation of the
 * reconciler, and a namespace labelled as Stratus's without a cluster is reported.
 */
describe('Reconciler: drift and orphans', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;
  let objects: KubernetesObjectApi;

  beforeAll(async () => {
    rt = await startTestRuntime({ scheduleIntervalMs: 400 });
    api = apiClient(rt.apiUrl, rt.apiKey);
    if (!rt.kube) throw new Error('the test runtime has no Kubernetes stand-in');
    objects = KubernetesObjectApi.makeApiClient(kubeConfigFor(rt.kube));
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  const schedule = () => {
    const s = rt.triggers.schedules[0];
    if (!s) throw new Error('no schedule trigger');
    return s;
  };
  /** Waits for `n` more complete reconciler runs and returns what the last one found. */
  async function runs(n: number): Promise<ReconcileResult> {
    const start = schedule().runs;
    await eventually(
      async () => schedule().runs,
      (r) => r >= start + n + 1,
      20_000,
    );
    return schedule().lastResult as ReconcileResult;
  }
  async function createReady(name: string, engine: string): Promise<string> {
    const created = await api('POST', '/v1/clusters', {
      name,
      engine,
      region: rt.region,
      nodes: 1,
      // One node holds one copy: YugabyteDB's default replication factor (3) needs three.
      ...(engine === 'yugabytedb' ? { settings: { replicationFactor: 1 } } : {}),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const done = await eventually(
      () => api('GET', `/v1/operations/${created.body.operation.id}`),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.body.status),
      30_000,
    );
    expect(done.body.status, JSON.stringify(done.body.error)).toBe('SUCCEEDED');
    return created.body.cluster.id as string;
  }
  const driftEvents = (clusterId: string) =>
    rt.bus
      .events()
      .filter((e) => e['detail-type'] === 'Cluster Drift Detected' && e.detail.clusterId === clusterId);

  it('finds no drift in clusters of every engine as the provisioner applied them', async () => {
    // Prepare
    const ids = await Promise.all(engineNames().map((engine) => createReady(`clean-${engine}`, engine)));

    // Act: two full sweeps after every cluster is READY.
    const last = await runs(2);

    // Assess: no repair, no report, no error (a false positive would queue an UPDATE every sweep).
    expect(last.drift).toMatchObject({
      repaired: 0,
      reported: 0,
      orphans: 0,
      errors: 0,
      cycleCompleted: true,
    });
    expect(last.drift.clean).toBeGreaterThanOrEqual(ids.length);
    for (const id of ids) {
      expect(driftEvents(id)).toEqual([]);
      const ops = await api('GET', `/v1/clusters/${id}/operations`);
      expect(ops.body.items.map((o: { type: string }) => o.type)).toEqual(['CREATE']);
    }
    expect(schedule().failures).toBe(0);
  }, 90_000);

  it('re-applies a StatefulSet deleted by hand through an UPDATE of the reconciler, and says so on the bus', async () => {
    // Prepare
    const clusterId = await createReady('drifting', 'qdrant');
    const namespace = namespaceOf(clusterId);
    const statefulSets = () =>
      (rt.kube?.list() ?? []).filter((o) => o.kind === 'StatefulSet' && o.metadata.namespace === namespace);
    expect(statefulSets()).toHaveLength(1);
    const name = statefulSets()[0]?.metadata.name as string;

    // Act: delete it by hand, as an operator with kubectl would.
    await objects.delete({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace } });
    expect(statefulSets()).toHaveLength(0);

    // Assess: the event, with what was found and what was done.
    const [event] = await rt.bus.waitFor(
      { 'detail-type': ['Cluster Drift Detected'], detail: { clusterId: [clusterId], action: ['repaired'] } },
      { timeoutMs: 15_000 },
    );
    expect(event?.detail.findings).toContainEqual({
      kind: 'StatefulSet',
      apiVersion: 'apps/v1',
      name,
      namespace,
      issue: 'missing',
    });
    // The repair is an UPDATE of the reconciler, through the normal pipeline, that succeeds.
    const operationId = String(event?.detail.eventId).split('/').pop() as string;
    const done = await eventually(
      () => api('GET', `/v1/operations/${operationId}`),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.body.status),
      20_000,
    );
    expect(done.body).toMatchObject({ type: 'UPDATE', status: 'SUCCEEDED', clusterId });
    expect(await rt.store.operations.get(rt.tenantId, operationId)).toMatchObject({
      requestedBy: 'reconciler',
      nodeDelta: 0,
    });
    expect(statefulSets()).toHaveLength(1);
    const cluster = await api('GET', `/v1/clusters/${clusterId}`);
    expect(cluster.body).toMatchObject({ status: 'READY' });
    expect(cluster.body.activeOperationId).toBeUndefined();

    // Repaired once: later sweeps find it clean.
    await runs(2);
    expect(driftEvents(clusterId)).toHaveLength(1);
    const validate = eventValidator();
    for (const e of rt.bus.events()) {
      expect(validate.published(e)).toBeUndefined();
      expect(validate.exact(e)).toBeUndefined();
    }
  }, 90_000);

  it('reports a namespace labelled as Stratus-managed with no cluster behind it, and leaves it', async () => {
    // Prepare
    const clusterId = 'cl-01jd8w0000000000000000orph';
    const name = namespaceOf(clusterId);

    // Act
    await objects.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: { [LABELS.managedBy]: 'stratus', [LABELS.tenant]: rt.tenantId, [LABELS.cluster]: clusterId },
      },
    });

    // Assess
    const [event] = await rt.bus.waitFor(
      { 'detail-type': ['Cluster Drift Detected'], detail: { clusterId: [clusterId] } },
      { timeoutMs: 15_000 },
    );
    expect(event?.detail).toMatchObject({
      tenantId: rt.tenantId,
      action: 'reported',
      findings: [{ kind: 'Namespace', apiVersion: 'v1', name, issue: 'orphan' }],
    });
    // Reported once while it stays (RECONCILER_DELETE_ORPHANS is false): not deleted.
    await runs(2);
    expect(driftEvents(clusterId)).toHaveLength(1);
    expect(rt.kube?.list().some((o) => o.kind === 'Namespace' && o.metadata.name === name)).toBe(true);
  }, 60_000);
});
