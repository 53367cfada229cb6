import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../../functions/shared/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

/**
 * Client retries, cancellation and quotas, with the provisioner paused so that operations stay
 * QUEUED for as long as a test needs.
 */
describe('End to end: retries, cancel and quotas', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
    await Promise.all(rt.triggers.queues.map((q) => q.stop()));
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('answers a repeated Idempotency-Key with the original response and no second operation', async () => {
    const body = { name: 'retry', engine: 'qdrant', region: rt.region };
    const first = await api('POST', '/v1/clusters', body, { 'idempotency-key': 'create-retry-1' });
    const second = await api('POST', '/v1/clusters', body, { 'idempotency-key': 'create-retry-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(first.headers.get('location'));

    const other = await api(
      'POST',
      '/v1/clusters',
      { ...body, nodes: 2 },
      { 'idempotency-key': 'create-retry-1' },
    );
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const ops = await api('GET', `/v1/clusters/${first.body.cluster.id}/operations`);
    expect(ops.body.items).toHaveLength(1);
  });

  it('lets exactly one of many concurrent duplicates win, and all see its response', async () => {
    const body = { name: 'race', engine: 'qdrant', region: rt.region };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api('POST', '/v1/clusters', body, { 'idempotency-key': 'race-1' })),
    );
    const ok = results.filter((r) => r.status === 202);
    // Losers either replay the winner or are told to retry (the winner's record was not visible yet).
    expect(results.every((r) => r.status === 202 || r.body.code === 'CONCURRENT_MODIFICATION')).toBe(true);
    expect(new Set(ok.map((r) => r.body.cluster.id)).size).toBe(1);
    const list = await api('GET', '/v1/clusters');
    expect(list.body.items.filter((c: { name: string }) => c.name === 'race')).toHaveLength(1);
  });

  it('cancels a QUEUED create: the cluster is DELETED, its name and quota are free again', async () => {
    const created = await api('POST', '/v1/clusters', { name: 'undo', engine: 'qdrant', region: rt.region });
    const opId = created.body.operation.id;
    const cancelled = await api('POST', `/v1/operations/${opId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect((await api('GET', `/v1/clusters/${created.body.cluster.id}`)).body.status).toBe('DELETED');
    const again = await api('POST', `/v1/operations/${opId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('OPERATION_NOT_CANCELLABLE');
    expect(
      (await api('POST', '/v1/clusters', { name: 'undo', engine: 'qdrant', region: rt.region })).status,
    ).toBe(202);
    const events = await rt.bus.waitFor(
      { 'detail-type': ['Operation Status Changed'], detail: { operationId: [opId] } },
      { count: 2 },
    );
    expect(events.map((e) => e.detail.status)).toEqual(['QUEUED', 'CANCELLED']);
  });

  it('enforces per-tenant quotas at create with 403 QUOTA_EXCEEDED', async () => {
    const small = await createTenant(rt.store, 'small', { maxClusters: 1, maxNodes: 3 });
    const t = apiClient(rt.apiUrl, small.apiKey);
    const tooBig = await t('POST', '/v1/clusters', {
      name: 'qa-one',
      engine: 'qdrant',
      region: rt.region,
      nodes: 4,
    });
    expect(tooBig.body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(tooBig.status).toBe(403);
    expect(tooBig.body.code).toBe('QUOTA_EXCEEDED');
    expect(
      (await t('POST', '/v1/clusters', { name: 'qa-one', engine: 'qdrant', region: rt.region, nodes: 3 }))
        .status,
    ).toBe(202);
    const second = await t('POST', '/v1/clusters', { name: 'qa-two', engine: 'qdrant', region: rt.region });
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('QUOTA_EXCEEDED');
    const dry = await t('POST', '/v1/clusters?dryRun=true', {
      name: 'qa-two',
      engine: 'qdrant',
      region: rt.region,
    });
    expect(dry.body.code).toBe('QUOTA_EXCEEDED');
  });

  it('completes the queued operations once the provisioner runs again (nothing accepted is lost)', async () => {
    for (const q of rt.triggers.queues) q.start();
    const list = await api('GET', '/v1/clusters');
    const ids: string[] = list.body.items.map((c: { id: string }) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const c = await eventually(
        () => api('GET', `/v1/clusters/${id}`),
        (r) => r.body.status === 'READY',
        30_000,
      );
      expect(c.body.status).toBe('READY');
    }
  }, 60_000);
});
