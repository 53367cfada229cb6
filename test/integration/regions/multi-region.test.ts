import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RegionAccess } from '../../../cli/access.js';
import { handback, takeover } from '../../../cli/regions.js';
import {
  type LocalControlPlane,
  type LocalRegion,
  startLocalControlPlane,
} from '../../../local/runtime/control-plane.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  sharedDynamoOption,
  shippedConfig,
} from '../../helpers/local.js';

/**
 * Two regions over the wire, each with its own replica of the table, replicated with a lag like a
 * global table (local/runtime/replicator.ts): the rules of docs/data-model.md ("Ownership") under
 * concurrency, a partition and a takeover. Figures are printed (`multi-region figures`).
 */
const A = 'eu-west-1';
const B = 'us-east-1';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

describe('Multi-region: one writer per item, on replicas that lag', () => {
  let cp: LocalControlPlane;
  let a: LocalRegion;
  let b: LocalRegion;
  let dataDir: string;
  let access: RegionAccess;
  const apiIn = (r: LocalRegion, key = cp.apiKey) => apiClient(r.apiUrl, key);
  const figures: Record<string, unknown> = {};

  /** Waits for an operation, read in the region that runs it. */
  const settle = (r: LocalRegion, operationId: string, timeoutMs = 30_000) =>
    eventually(
      () => apiIn(r)('GET', `/v1/operations/${operationId}`),
      (res) => res.status === 200 && TERMINAL.includes(res.body.status),
      timeoutMs,
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-regions-'));
    cp = await startLocalControlPlane({
      config: shippedConfig(),
      regions: [A, B],
      dataDir,
      readinessDelayMs: 200,
      pollBaseSeconds: 1,
      visibilityTimeoutSeconds: 3,
      scheduleIntervalMs: 2000,
      seed: 909,
      ...sharedDynamoOption(),
    });
    a = cp.region(A);
    b = cp.region(B);
    access = new RegionAccess({ local: true, dataDir, config: shippedConfig() });
  }, RUNTIME_START_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`multi-region figures: ${JSON.stringify(figures, null, 2)}`);
    access?.destroy();
    await cp?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("writes <data>/kubeconfig for people: a context per EKS cluster of every region, the first region's current", async () => {
    // Act
    const top = parseYaml(await readFile(join(dataDir, 'kubeconfig'), 'utf8')) as {
      contexts: Array<{ name: string }>;
      clusters: Array<{ name: string; cluster: { server: string } }>;
      'current-context': string;
    };
    const regionA = parseYaml(
      await readFile(join(dataDir, 'regions', A, 'kubeconfig'), 'utf8'),
    ) as typeof top;

    // Assess
    const eks = (r: string) =>
      shippedConfig()
        .regions.find((x) => x.region === r)
        ?.eksClusters.map((c) => c.name) ?? [];
    expect(top.contexts.map((c) => c.name).sort()).toEqual([...eks(A), ...eks(B)].sort());
    expect(top['current-context']).toBe(eks(A)[0]);
    expect(top).toEqual(regionA);
    const server = (name: string | undefined) => top.clusters.find((c) => c.name === name)?.cluster.server;
    expect(server(eks(A)[0])).toBe(a.kube?.url);
    expect(server(eks(B)[0])).toBe(b.kube?.url);
  });

  it('answers a mutation sent to the wrong region with 421, the region, its URL and a Location that works', async () => {
    // Prepare
    const created = await apiIn(a)('POST', '/v1/clusters', { name: 'routed', engine: 'qdrant', region: A });
    expect(created.status).toBe(202);
    await settle(a, created.body.operation.id);
    await cp.replication?.flush();

    // Act: B has the cluster (a replica) but does not manage it.
    const wrong = await apiIn(b)('PATCH', `/v1/clusters/${created.body.cluster.id}`, { nodes: 2 });

    // Assess
    expect(wrong.status).toBe(421);
    expect(wrong.body).toMatchObject({ code: 'WRONG_REGION', region: A, apiUrl: a.apiUrl });
    const location = wrong.headers.get('location') ?? '';
    expect(location).toBe(`${a.apiUrl}/v1/clusters/${created.body.cluster.id}`);
    // Following it works.
    const followed = await apiClient('', cp.apiKey)('PATCH', location, { nodes: 2 });
    expect(followed.status).toBe(202);
    await settle(a, followed.body.operation.id);
    // Reads work anywhere, from the local replica.
    expect((await apiIn(b)('GET', `/v1/clusters/${created.body.cluster.id}`)).status).toBe(200);
    // The reveal too goes to the managing region.
    expect((await apiIn(b)('POST', `/v1/clusters/${created.body.cluster.id}/connection/reveal`)).status).toBe(
      421,
    );
  }, 60_000);

  it('keeps each region within its quota, with the same names and the same Idempotency-Key in both, under concurrency', async () => {
    // Prepare: 3 clusters per region (quotas are per region); the limit reaches B after the lag.
    await cp.store.tenants.setQuotas(cp.tenantId, { maxClusters: 3, maxNodes: 100 });
    await cp.replication?.flush();
    const usedBefore = {
      [A]: await a.store.tenants.usage(cp.tenantId, A),
      [B]: await b.store.tenants.usage(cp.tenantId, B),
    };
    const room: Record<string, number> = { [A]: 3 - usedBefore[A].clusters, [B]: 3 - usedBefore[B].clusters };

    // Act: 5 creates per region at once, with the same five names in both regions, and a sixth
    // with the same Idempotency-Key sent to both.
    const creates = [a, b].flatMap((r) =>
      Array.from({ length: 5 }, (_, i) =>
        apiIn(r)('POST', '/v1/clusters', { name: `edge-${i}`, engine: 'valkey', region: r.region }).then(
          (res) => ({
            region: r.region,
            res,
          }),
        ),
      ),
    );
    const results = await Promise.all(creates);

    // Assess: exactly the room each region had, the rest 403 naming the region; names are per region.
    for (const r of [A, B]) {
      const mine = results.filter((x) => x.region === r);
      const accepted = mine.filter((x) => x.res.status === 202);
      expect(accepted).toHaveLength(Math.max(0, room[r] ?? 0));
      for (const refused of mine.filter((x) => x.res.status !== 202)) {
        expect(refused.res.status).toBe(403);
        expect(refused.res.body).toMatchObject({ code: 'QUOTA_EXCEEDED', region: r });
      }
      await Promise.all(accepted.map((x) => settle(cp.region(r), x.res.body.operation.id)));
    }
    await cp.replication?.flush();
    // The usage each region counted is the same in both replicas, and never over the quota.
    for (const r of [A, B]) {
      const inA = await a.store.tenants.usage(cp.tenantId, r);
      const inB = await b.store.tenants.usage(cp.tenantId, r);
      expect(inA).toEqual(inB);
      expect(inA.clusters).toBeLessThanOrEqual(3);
    }

    // Act: the same Idempotency-Key in both regions names two requests, each replayed where it was made.
    await cp.store.tenants.setQuotas(cp.tenantId, { maxClusters: 20, maxNodes: 100 });
    await cp.replication?.flush();
    const key = { 'idempotency-key': 'same-key-both-regions' };
    const [inA, inB] = await Promise.all(
      [a, b].map((r) =>
        apiIn(r)('POST', '/v1/clusters', { name: 'idem', engine: 'qdrant', region: r.region }, key),
      ),
    );
    expect(inA?.status).toBe(202);
    expect(inB?.status).toBe(202);
    expect(inA?.body.cluster.id).not.toBe(inB?.body.cluster.id);
    const replayA = await apiIn(a)(
      'POST',
      '/v1/clusters',
      { name: 'idem', engine: 'qdrant', region: A },
      key,
    );
    expect(replayA.headers.get('idempotent-replayed')).toBe('true');
    expect(replayA.body.cluster.id).toBe(inA?.body.cluster.id);

    // Act: the same name deleted in both regions: each deletion finishes (its own guard).
    const deletes = await Promise.all([
      (async () => {
        await settle(a, inA?.body.operation.id);
        return apiIn(a)('DELETE', `/v1/clusters/${inA?.body.cluster.id}`);
      })(),
      (async () => {
        await settle(b, inB?.body.operation.id);
        return apiIn(b)('DELETE', `/v1/clusters/${inB?.body.cluster.id}`);
      })(),
    ]);
    expect(deletes.map((d) => d.status)).toEqual([202, 202]);
    const ends = await Promise.all([
      settle(a, deletes[0]?.body.operation.id),
      settle(b, deletes[1]?.body.operation.id),
    ]);
    expect(ends.map((e) => e.body.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  }, 120_000);

  it('stops a key revoked in its home region from working in the other region within the replication lag', async () => {
    // Prepare: a key made in the tenant's home region (A); B answers 421 for key management.
    expect((await apiIn(b)('POST', '/v1/api-keys', { name: 'nope', role: 'viewer' })).body).toMatchObject({
      code: 'WRONG_REGION',
      region: A,
    });
    const made = await apiIn(a)('POST', '/v1/api-keys', { name: 'short-lived', role: 'viewer' });
    expect(made.status).toBe(201);
    await eventually(
      () => apiIn(b, made.body.secret)('GET', '/v1/clusters'),
      (r) => r.status === 200,
      10_000,
    );

    // Act: revoke in A, then use it in B until it stops working.
    const revoked = await apiIn(a)('DELETE', `/v1/api-keys/${made.body.id}`);
    expect(revoked.status).toBe(200);
    const t0 = Date.now();
    expect((await apiIn(a, made.body.secret)('GET', '/v1/clusters')).status).toBe(401); // at once at home
    await eventually(
      () => apiIn(b, made.body.secret)('GET', '/v1/clusters'),
      (r) => r.status === 401,
      10_000,
    );
    const boundMs = Date.now() - t0;

    // Assess: within the lag and its jitter, plus the replicator's poll and this loop's own poll.
    figures.revokeBoundMs = boundMs;
    expect(boundMs).toBeLessThan(5_000);
  }, 60_000);

  it('converges after a partition in which both regions kept working, with nothing overwritten', async () => {
    // Prepare
    const before = await apiIn(a)('POST', '/v1/clusters', { name: 'split', engine: 'qdrant', region: A });
    await settle(a, before.body.operation.id);
    await cp.replication?.flush();

    // Act: the regions cannot replicate; each keeps taking writes.
    cp.replication?.pause();
    const pausedAt = Date.now();
    const [scaleA, createB] = await Promise.all([
      apiIn(a)('PATCH', `/v1/clusters/${before.body.cluster.id}`, { nodes: 3 }),
      apiIn(b)('POST', '/v1/clusters', { name: 'split', engine: 'qdrant', region: B }),
    ]);
    expect([scaleA.status, createB.status]).toEqual([202, 202]);
    await Promise.all([settle(a, scaleA.body.operation.id), settle(b, createB.body.operation.id)]);
    // B does not see A's scale yet, and A does not see B's cluster.
    expect((await b.store.clusters.get(cp.tenantId, before.body.cluster.id))?.nodes).toBe(1);
    expect(await a.store.clusters.get(cp.tenantId, createB.body.cluster.id)).toBeUndefined();
    cp.replication?.resume();
    await cp.replication?.flush();
    figures.partitionMs = Date.now() - pausedAt;

    // Assess: the replicas agree (the reconcilers keep writing their cursors: agree once quiet),
    // and each region's writes survived.
    await eventually(
      async () => {
        await cp.replication?.flush();
        return (await cp.replication?.compare()) ?? [];
      },
      (diffs) => diffs.length === 0,
      10_000,
    );
    expect((await b.store.clusters.get(cp.tenantId, before.body.cluster.id))?.nodes).toBe(3);
    expect((await a.store.clusters.get(cp.tenantId, createB.body.cluster.id))?.status).toBe('READY');
    figures.replication = cp.replication?.stats().links.map((l) => ({
      link: `${l.from}->${l.to}`,
      applied: l.applied,
      conflicts: l.conflicts,
      lagMs: l.lag.sinceObserved,
    }));
  }, 90_000);

  it('lets a region take over a failed region, finishes its operations there, and hands them back', async () => {
    // Prepare: A has clusters; then its control plane fails with operations in flight.
    const ready = await apiIn(a)('POST', '/v1/clusters', { name: 'survivor', engine: 'qdrant', region: A });
    await settle(a, ready.body.operation.id);
    await a.suspend();
    // Writes A accepted before failing (made here through A's replica, as its API would have):
    // operations that nobody runs while A is down.
    a.resume();
    const inFlight = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        apiIn(a)('POST', '/v1/clusters', { name: `in-flight-${i}`, engine: 'valkey', region: A }),
      ),
    );
    await a.suspend();
    expect(inFlight.map((r) => r.status)).toEqual([202, 202, 202]);
    await cp.replication?.flush();
    expect((await fetch(`${a.apiUrl}/v1/clusters`)).status).toBe(503); // A is down

    // Act: B takes A over.
    const t0 = Date.now();
    const report = await takeover(access, A, B, { reason: 'test: A is down' });
    expect(report.operations).toBeGreaterThanOrEqual(1);
    // The first mutation of an A cluster accepted by B.
    const scale = await eventually(
      () => apiIn(b)('PATCH', `/v1/clusters/${ready.body.cluster.id}`, { nodes: 2 }),
      (r) => r.status === 202,
      20_000,
    );
    const firstMutationMs = Date.now() - t0;
    // Every in-flight operation ends, run by B on A's Kubernetes.
    const ends = await Promise.all(inFlight.map((r) => settle(b, r.body.operation.id, 60_000)));
    const allTerminalMs = Date.now() - t0;
    expect(ends.map((e) => e.body.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await settle(b, scale.body.operation.id);
    // B ran them on A's EKS clusters (A's stand-in), not on its own.
    for (const r of inFlight) {
      const ns = `stratus-${r.body.cluster.id}`;
      expect(
        a.kube?.list().filter((o) => o.kind === 'StatefulSet' && o.metadata.namespace === ns),
      ).toHaveLength(1);
      expect(b.kube?.list().filter((o) => o.metadata.namespace === ns)).toEqual([]);
    }
    // Creates for A go to B while it manages A.
    const createForA = await apiIn(b)('POST', '/v1/clusters', {
      name: 'born-in-b',
      engine: 'qdrant',
      region: A,
    });
    expect(createForA.status).toBe(202);
    await settle(b, createForA.body.operation.id);
    figures.takeover = { ...report, firstMutationMs, allTerminalMs };

    // Act: A recovers; B hands it back.
    a.resume();
    await cp.replication?.flush();
    expect(
      (await apiIn(a)('PATCH', `/v1/clusters/${ready.body.cluster.id}`, { nodes: 3 })).body,
    ).toMatchObject({
      code: 'WRONG_REGION',
      region: B,
    });
    const back = await handback(access, A, { timeoutMs: 20_000 });
    await cp.replication?.flush();
    const after = await apiIn(a)('PATCH', `/v1/clusters/${ready.body.cluster.id}`, { nodes: 3 });
    expect(after.status).toBe(202);
    await settle(a, after.body.operation.id);
    figures.handback = back;
  }, 180_000);

  it('published every status change once, on the bus of the region that made it', async () => {
    await cp.replication?.flush();
    const seen = new Map<string, Set<string>>();
    for (const r of [a, b]) {
      for (const e of r.bus.events()) {
        const id = String(e.detail.eventId);
        const regions = seen.get(id) ?? new Set<string>();
        regions.add(r.region);
        seen.set(id, regions);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    const onBoth = [...seen].filter(([, regions]) => regions.size > 1).map(([id]) => id);
    expect(onBoth).toEqual([]);
  });
});
