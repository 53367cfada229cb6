import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { eventValidator } from '../../unit/events/validator.js';

/**
 * The published event contract (docs/generated/events) against what the real handlers put on
 * the local bus for a cluster's whole creation.
 */
describe('Events: published schemas', () => {
  let rt: LocalRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime();
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('validates every event the bus received while a cluster went to READY', async () => {
    // Prepare
    const api = apiClient(rt.apiUrl, rt.apiKey);
    const validate = eventValidator();

    // Act
    const created = await api('POST', '/v1/clusters', {
      name: 'contract',
      engine: 'qdrant',
      region: rt.region,
    });
    const { cluster, operation } = created.body;
    const done = await eventually(
      () => api('GET', `/v1/operations/${operation.id}`),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.body.status),
    );
    expect(done.body.status, JSON.stringify(done.body.error)).toBe('SUCCEEDED');
    await rt.bus.waitFor(
      { 'detail-type': ['Cluster Status Changed'], detail: { clusterId: [cluster.id], status: ['READY'] } },
      { timeoutMs: 10_000 },
    );
    await rt.bus.waitFor(
      {
        'detail-type': ['Operation Status Changed'],
        detail: { operationId: [operation.id], status: ['SUCCEEDED'] },
      },
      { timeoutMs: 10_000 },
    );

    // Assess
    const events = rt.bus.events();
    expect(events.length).toBeGreaterThanOrEqual(6);
    for (const event of events) {
      expect(validate.published(event), JSON.stringify(event)).toBeUndefined();
      expect(validate.exact(event), JSON.stringify(event)).toBeUndefined();
    }
    // Each logical event once: distinct eventIds.
    const ids = events.map((e) => e.detail.eventId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
