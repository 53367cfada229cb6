import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  startTestRuntime,
} from '../../helpers/local.js';

/**
 * Pause and resume over HTTP (issue #14): a PAUSE stops the pods (the StatefulSet at 0 replicas,
 * CloudNativePG hibernation, Dragonfly at 0), keeps the PVCs, refuses what needs a running
 * database, and a RESUME brings the same cluster back to READY on the same volumes.
 */
describe('End to end: pause and resume', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  const settle = (opId: string) => settleOperation(api, opId, 30_000);
  const readyCluster = async (body: Record<string, unknown>) => {
    const created = await api('POST', '/v1/clusters', { region: rt.region, ...body });
    expect(created.status).toBe(202);
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    return created.body.cluster.id as string;
  };
  const inNamespace = (id: string, kind: string) =>
    (rt.kube?.list() ?? []).filter(
      (o) => o.kind === kind && o.metadata.namespace === `stratus-${id}`,
    ) as KubeObject[];
  const pvcNames = (id: string) =>
    inNamespace(id, 'PersistentVolumeClaim')
      .map((o) => o.metadata.name)
      .sort();
  const status = (o: KubeObject | undefined) => (o?.status ?? {}) as Record<string, unknown>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('pauses a Qdrant cluster (no ready replica, PVCs kept), refuses what needs it running, and resumes it to READY', async () => {
    // Prepare: a READY two-node cluster with its two PVCs
    const id = await readyCluster({ name: 'paused-qdrant', engine: 'qdrant', nodes: 2 });
    await eventually(
      async () => pvcNames(id),
      (names) => names.length === 2,
      10_000,
    );
    const volumes = pvcNames(id);
    expect(volumes).toEqual(['storage-qdrant-0', 'storage-qdrant-1']);
    const dry = await api('POST', `/v1/clusters/${id}/pause?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dryRun: true,
      outcome: 'PAUSE',
      cluster: { status: 'PAUSING', paused: true },
    });
    expect((await api('GET', `/v1/clusters/${id}`)).body.status).toBe('READY');

    // Act: pause, with an Idempotency-Key sent twice
    const headers = { 'Idempotency-Key': `pause-${id}` };
    const startedAt = Date.now();
    const paused = await api('POST', `/v1/clusters/${id}/pause`, undefined, headers);
    const replayed = await api('POST', `/v1/clusters/${id}/pause`, undefined, headers);
    const busy = await api('POST', `/v1/clusters/${id}/resume`);
    const done = await settle(paused.body.operation.id);
    const pauseMs = Date.now() - startedAt;

    // Assess: PAUSED, generation 2, no pod, the same PVCs
    expect(paused.status).toBe(202);
    expect(paused.headers.get('location')).toBe(`/v1/operations/${paused.body.operation.id}`);
    expect(paused.body).toMatchObject({
      cluster: { status: 'PAUSING', paused: true, generation: 2 },
      operation: { type: 'PAUSE', status: 'QUEUED' },
    });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.operation.id).toBe(paused.body.operation.id);
    expect(busy.body.code).toBe('CLUSTER_BUSY');
    expect(done.body).toMatchObject({ type: 'PAUSE', status: 'SUCCEEDED' });
    const read = await api('GET', `/v1/clusters/${id}`);
    expect(read.body).toMatchObject({ status: 'PAUSED', paused: true, generation: 2, observedGeneration: 2 });
    expect(read.body.activeOperationId).toBeUndefined();
    const sts = inNamespace(id, 'StatefulSet')[0];
    expect((sts?.spec as { replicas?: number } | undefined)?.replicas).toBe(0);
    expect(status(sts)).toMatchObject({ replicas: 0, readyReplicas: 0 });
    expect(pvcNames(id)).toEqual(volumes);

    // Assess: what needs the database running is refused, with a code
    const refusals = {
      connection: await api('GET', `/v1/clusters/${id}/connection`),
      reveal: await api('POST', `/v1/clusters/${id}/connection/reveal`),
      scale: await api('PATCH', `/v1/clusters/${id}`, { nodes: 3 }),
      backup: await api('POST', `/v1/clusters/${id}/backups`),
      pauseAgain: await api('POST', `/v1/clusters/${id}/pause`),
    };
    for (const [what, res] of Object.entries(refusals)) {
      expect({ what, status: res.status, code: res.body.code }).toEqual({
        what,
        status: 409,
        code: 'CLUSTER_PAUSED',
      });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    // Metadata still changes (no pod needed)
    const protect = await api('PATCH', `/v1/clusters/${id}`, { deletionProtection: true });
    expect(protect.status).toBe(200);
    expect(protect.body.status).toBe('PAUSED');
    expect((await api('PATCH', `/v1/clusters/${id}`, { deletionProtection: false })).status).toBe(200);

    // Assess: the drift reconciler leaves the paused cluster paused
    await rt.triggers.schedules[0]?.runNow();
    expect((await api('GET', `/v1/clusters/${id}`)).body).toMatchObject({ status: 'PAUSED' });
    expect((inNamespace(id, 'StatefulSet')[0]?.spec as { replicas?: number } | undefined)?.replicas).toBe(0);

    // Act: resume
    const resumeAt = Date.now();
    const resumed = await api('POST', `/v1/clusters/${id}/resume`);
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({
      cluster: { status: 'RESUMING', generation: 3 },
      operation: { type: 'RESUME' },
    });
    const resumedDone = await settle(resumed.body.operation.id);
    const resumeMs = Date.now() - resumeAt;

    // Assess: READY on the same volumes, connection answered again, not paused any more
    expect(resumedDone.body).toMatchObject({ type: 'RESUME', status: 'SUCCEEDED' });
    const after = await api('GET', `/v1/clusters/${id}`);
    expect(after.body).toMatchObject({ status: 'READY', generation: 3, observedGeneration: 3 });
    expect(after.body.paused).toBeUndefined();
    expect(status(inNamespace(id, 'StatefulSet')[0])).toMatchObject({ readyReplicas: 2 });
    expect(pvcNames(id)).toEqual(volumes);
    expect((await api('GET', `/v1/clusters/${id}/connection`)).status).toBe(200);
    expect((await api('POST', `/v1/clusters/${id}/resume`)).body.code).toBe('CLUSTER_NOT_PAUSED');

    // Events: the cluster's statuses in order
    const events = await rt.bus.waitFor(
      { 'detail-type': ['Cluster Status Changed'], detail: { clusterId: [id] } },
      { count: 7 },
    );
    expect(events.map((e) => e.detail.status)).toEqual([
      'PENDING',
      'PROVISIONING',
      'READY',
      'PAUSING',
      'PAUSED',
      'RESUMING',
      'READY',
    ]);
    const ops = [paused.body.operation.id, resumed.body.operation.id];
    const stored = await Promise.all(ops.map((o) => rt.store.operations.get(rt.tenantId, o)));
    // Figures, printed, never asserted (README, "Pause and resume").
    console.log(
      `pause figures: PAUSE accepted -> SUCCEEDED seen ${pauseMs} ms, RESUME ${resumeMs} ms (100 ms polling); ` +
        `provisioning messages ${stored.map((o) => (o?.claim?.seq ?? 0) + 1).join(' and ')}; operations 1 each`,
    );
  }, 120_000);

  it('hibernates a PostgreSQL cluster with the CloudNativePG annotation and rehydrates it', async () => {
    const id = await readyCluster({ name: 'paused-pg', engine: 'postgresql' });
    const pg = () => inNamespace(id, 'Cluster')[0];
    await eventually(
      async () => pvcNames(id),
      (names) => names.length === 1,
      10_000,
    );

    const paused = await api('POST', `/v1/clusters/${id}/pause`);
    expect((await settle(paused.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect(pg()?.metadata.annotations?.['cnpg.io/hibernation']).toBe('on');
    expect(status(pg())).toMatchObject({
      readyInstances: 0,
      conditions: expect.arrayContaining([
        expect.objectContaining({ type: 'cnpg.io/hibernation', status: 'True', reason: 'Hibernated' }),
      ]),
    });
    expect(pvcNames(id)).toEqual(['postgresql-1']);
    expect((await api('GET', `/v1/clusters/${id}`)).body.status).toBe('PAUSED');

    const resumed = await api('POST', `/v1/clusters/${id}/resume`);
    expect((await settle(resumed.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect(pg()?.metadata.annotations?.['cnpg.io/hibernation']).toBeUndefined();
    expect(status(pg())).toMatchObject({ readyInstances: 1, phase: 'Cluster in healthy state' });
    expect(pvcNames(id)).toEqual(['postgresql-1']);
    expect((await api('GET', `/v1/clusters/${id}`)).body.status).toBe('READY');
  }, 120_000);

  it('pauses Dragonfly through its operator (replicas 0, the snapshot PVC kept) and deletes the paused cluster', async () => {
    const id = await readyCluster({ name: 'paused-df', engine: 'dragonfly' });
    await eventually(
      async () => pvcNames(id),
      (names) => names.length === 1,
      10_000,
    );
    const paused = await api('POST', `/v1/clusters/${id}/pause`);
    expect((await settle(paused.body.operation.id)).body.status).toBe('SUCCEEDED');
    const df = inNamespace(id, 'Dragonfly')[0];
    expect((df?.spec as { replicas?: number } | undefined)?.replicas).toBe(0);
    expect(status(inNamespace(id, 'StatefulSet')[0])).toMatchObject({ replicas: 0, readyReplicas: 0 });
    expect(pvcNames(id)).toEqual(['df-dragonfly-0']);

    // A deleted paused cluster goes (its namespace and PVCs with it), quota freed
    const deleted = await api('DELETE', `/v1/clusters/${id}`);
    expect(deleted.status).toBe(202);
    expect((await settle(deleted.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect((await api('GET', `/v1/clusters/${id}`)).body.status).toBe('DELETED');
    expect(pvcNames(id)).toEqual([]);
  }, 120_000);

  it('cancels a QUEUED pause: the cluster is READY again at its previous generation, not paused', async () => {
    // Prepare: a READY cluster, the provisioner's queue stopped so that the PAUSE stays QUEUED
    const id = await readyCluster({ name: 'paused-cancel', engine: 'valkey' });
    await Promise.all(rt.triggers.queues.map((q) => q.stop()));
    try {
      const paused = await api('POST', `/v1/clusters/${id}/pause`);
      expect((await api('GET', `/v1/clusters/${id}`)).body).toMatchObject({
        status: 'PAUSING',
        generation: 2,
      });

      // Act
      const cancelled = await api('POST', `/v1/operations/${paused.body.operation.id}/cancel`);

      // Assess
      expect(cancelled.body.status).toBe('CANCELLED');
      const read = await api('GET', `/v1/clusters/${id}`);
      expect(read.body).toMatchObject({ status: 'READY', generation: 1, observedGeneration: 1 });
      expect(read.body.paused).toBeUndefined();
      expect(read.body.activeOperationId).toBeUndefined();
      expect((await api('GET', `/v1/clusters/${id}/connection`)).status).toBe(200);
    } finally {
      for (const q of rt.triggers.queues) q.start();
    }
  }, 60_000);

  it('answers unknown clusters and viewers with the usual problems', async () => {
    expect((await api('POST', '/v1/clusters/cl-00000000000000000000000000/pause')).body.code).toBe(
      'CLUSTER_NOT_FOUND',
    );
    expect((await api('POST', '/v1/clusters/not-an-id/resume')).body.code).toBe('CLUSTER_NOT_FOUND');
  });
});
