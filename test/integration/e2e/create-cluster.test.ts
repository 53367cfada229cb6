import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../../functions/shared/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

/**
 * End to end, in process: the real handlers behind the local gateway, DynamoDB Local (streams),
 * fauxqs, the local bus and the Kubernetes stand-in, wired from the topology.
 */
describe('End to end: create a cluster', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('goes from an HTTPS request to a READY cluster in Kubernetes, with its events on the bus', async () => {
    // Act
    const started = Date.now();
    const created = await api('POST', '/v1/clusters', {
      name: 'vectors',
      engine: 'qdrant',
      region: rt.region,
      nodes: 1,
    });

    // Assess
    expect(created.status).toBe(202);
    const { cluster, operation } = created.body;
    expect(created.headers.get('location')).toBe(`/v1/operations/${operation.id}`);
    expect(cluster.status).toBe('PENDING');
    expect(operation.status).toBe('QUEUED');

    const done = await eventually(
      () => api('GET', `/v1/operations/${operation.id}`),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.body.status),
    );
    const createToReadyMs = Date.now() - started;
    expect(done.body.status).toBe('SUCCEEDED');
    const read = await api('GET', `/v1/clusters/${cluster.id}`);
    expect(read.body).toMatchObject({ status: 'READY', observedGeneration: 1, generation: 1 });
    expect(read.body.endpoint).toMatch(/^http:\/\/.+:6333$/);
    expect(read.body.activeOperationId).toBeUndefined();

    // Kubernetes holds the cluster's namespace and workload, labelled for Stratus.
    const objects = rt.kube?.list() ?? [];
    const ns = `stratus-${cluster.id}`;
    const kinds = objects
      .filter((o) => o.metadata.namespace === ns || o.metadata.name === ns)
      .map((o) => o.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace',
        'ResourceQuota',
        'NetworkPolicy',
        'Secret',
        'Service',
        'StatefulSet',
      ]),
    );
    for (const o of objects.filter((x) => x.metadata.namespace === ns)) {
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('stratus');
      expect(o.metadata.labels?.['stratus.dev/cluster']).toBe(cluster.id);
    }

    // The bus saw PENDING -> PROVISIONING -> READY, once each.
    const events = await rt.bus.waitFor(
      { 'detail-type': ['Cluster Status Changed'], detail: { clusterId: [cluster.id] } },
      { count: 3, timeoutMs: 10_000 },
    );
    expect(events.map((e) => `${e.detail.previousStatus}->${e.detail.status}`)).toEqual([
      'null->PENDING',
      'PENDING->PROVISIONING',
      'PROVISIONING->READY',
    ]);
    const opEvents = await rt.bus.waitFor(
      { 'detail-type': ['Operation Status Changed'], detail: { operationId: [operation.id] } },
      { count: 3, timeoutMs: 10_000 },
    );
    expect(opEvents.map((e) => e.detail.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(opEvents.every((e) => e.detail.correlationId === operation.correlationId)).toBe(true);
    // No secret material on the bus.
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.namespace === ns) as {
      data?: Record<string, string>;
    };
    const secretValues = Object.values(secret?.data ?? {}).map((v) =>
      Buffer.from(v, 'base64').toString('utf8'),
    );
    expect(secretValues.length).toBeGreaterThan(0);
    const busText = JSON.stringify(rt.bus.events());
    for (const v of secretValues) expect(busText).not.toContain(v);

    console.log(`create-to-READY (local, readiness delay 300 ms): ${createToReadyMs} ms`);
  });

  it('refuses a second cluster with the same name in the same tenant with 409', async () => {
    const body = { name: 'twins', engine: 'qdrant', region: rt.region };
    expect((await api('POST', '/v1/clusters', body)).status).toBe(202);
    const again = await api('POST', '/v1/clusters', body);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.body.code).toBe('CLUSTER_NAME_TAKEN');
  });

  it("never shows one tenant's cluster or operation to another (404, not 403)", async () => {
    const mine = await api('POST', '/v1/clusters', { name: 'private', engine: 'qdrant', region: rt.region });
    const other = await createTenant(rt.store, 'other');
    const theirs = apiClient(rt.apiUrl, other.apiKey);
    const c = await theirs('GET', `/v1/clusters/${mine.body.cluster.id}`);
    expect(c.status).toBe(404);
    expect(c.body.code).toBe('CLUSTER_NOT_FOUND');
    const o = await theirs('GET', `/v1/operations/${mine.body.operation.id}`);
    expect(o.status).toBe(404);
    // The same name is free in the other tenant.
    expect(
      (await theirs('POST', '/v1/clusters', { name: 'private', engine: 'qdrant', region: rt.region })).status,
    ).toBe(202);
  });

  it('answers unknown routes and bad input over HTTP with problem+json, never 5xx', async () => {
    const cases = [
      await api('GET', '/v1/nothing-here'),
      await api('POST', '/v1/clusters', '{not json'),
      await api('POST', '/v1/clusters', {
        name: 'ok-name',
        engine: 'qdrant',
        region: rt.region,
        extra: true,
      }),
      await api('GET', '/v1/clusters/..%2F..%2Fetc'),
      await apiClient(rt.apiUrl, 'wrong-key-wrong-key-wrong-key')('GET', '/v1/clusters/cl-x'),
    ];
    expect(cases.map((c) => c.status)).toEqual([404, 400, 400, 404, 401]);
    for (const c of cases) expect(c.headers.get('content-type')).toBe('application/problem+json');
  });
});
