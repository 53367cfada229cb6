import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRepair } from '../../../functions/reconciler/drift.js';
import type {
  ClusterRecord,
  DriftRepairSeries,
  DriftRepairSuspension,
} from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { clusterItem, StaleStateError, type Store } from '../../../functions/shared/store/store.js';
import { Sweeps } from '../../../functions/shared/store/sweeps.js';
import { startTestTable, TABLE_START_TIMEOUT_MS, type TestTable } from '../../helpers/table.js';

/**
 * The drift circuit breaker's writes against DynamoDB Local: the repair count goes with the repair,
 * and the suspension marker is written only by the cluster's home region, only on the cluster as
 * it was read, and removed only while it is the marker that was read.
 */
const HOME = 'eu-west-1';
const OTHER = 'us-east-1';
const TABLE = 'stratus-test';
const NOW = '2026-11-22T10:00:00.000Z';

describe('Store: drift repair circuit breaker', () => {
  let table: TestTable;
  let home: Store;
  let other: Store;

  const cluster = (n: number, over: Partial<ClusterRecord> = {}): ClusterRecord => ({
    tenantId: 'tn-1',
    clusterId: `cl-01jd8w00000000000000000${String(n).padStart(3, '0')}`,
    name: `c${n}`,
    engine: 'valkey',
    version: '8.1.1',
    region: HOME,
    homeRegion: HOME,
    nodes: 1,
    sizeName: 'small',
    size: SIZES.small,
    settings: {},
    deletionProtection: false,
    status: 'READY',
    generation: 2,
    observedGeneration: 2,
    statusVersion: 5,
    placement: 'stratus-euw1-a',
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  });
  const marker = (c: ClusterRecord, since = '2026-11-22T10:16:00.000Z'): DriftRepairSuspension => ({
    findingsHash: '5c1e0a9b7d3f2e41',
    generation: c.generation,
    repairs: 3,
    objects: [
      {
        kind: 'StatefulSet',
        apiVersion: 'apps/v1',
        name: 'valkey',
        namespace: `stratus-${c.clusterId}`,
        issue: 'changed',
        paths: ['spec.replicas'],
      },
    ],
    since,
    until: '2026-11-23T10:16:00.000Z',
  });
  const put = (c: ClusterRecord) =>
    home.table.db.send(new PutCommand({ TableName: TABLE, Item: clusterItem(c) }));

  beforeAll(async () => {
    table = await startTestTable(TABLE);
    // One replica seen by two regions' stores: the fence, not replication, is under test.
    home = table.store(HOME);
    other = table.store(OTHER);
  }, TABLE_START_TIMEOUT_MS);
  afterAll(async () => table?.stop());

  it('stores the repair count in the transaction that queues the repair', async () => {
    // Prepare
    const c = cluster(1);
    await put(c);
    const series: DriftRepairSeries = {
      findingsHash: '5c1e0a9b7d3f2e41',
      generation: 2,
      repairs: 2,
      firstAt: NOW,
      lastAt: '2026-11-22T10:05:00.000Z',
    };

    // Act
    await new Sweeps(home.table).requestRepair(c, planRepair(c, new Date(NOW)), series);

    // Assess
    expect(await home.clusters.get(c.tenantId, c.clusterId)).toMatchObject({
      status: 'UPDATING',
      statusVersion: 6,
      driftRepairs: series,
    });
  });

  it('writes the suspension marker only from the home region, on the cluster as read', async () => {
    // Prepare
    const c = cluster(2);
    await put(c);

    // Act + Assess: another region is fenced off; a stale read (status version) too.
    await expect(other.clusters.suspendDriftRepair(c, marker(c))).rejects.toThrow(StaleStateError);
    await expect(home.clusters.suspendDriftRepair({ ...c, statusVersion: 4 }, marker(c))).rejects.toThrow(
      StaleStateError,
    );
    expect((await home.clusters.get(c.tenantId, c.clusterId))?.driftRepairSuspended).toBeUndefined();

    await home.clusters.suspendDriftRepair(c, marker(c));
    const stored = await home.clusters.get(c.tenantId, c.clusterId);
    expect(stored?.driftRepairSuspended).toEqual(marker(c));
    expect(stored?.statusVersion).toBe(5); // no status change, no status event
  });

  it('removes the marker and the count only while it is the marker that was read, from the home region', async () => {
    // Prepare
    const c = cluster(3, {
      driftRepairs: { findingsHash: 'x', generation: 2, repairs: 3, firstAt: NOW, lastAt: NOW },
    });
    const read = { ...c, driftRepairSuspended: marker(c) };
    await put(read);

    // Act + Assess: a newer marker (another suspension) is not removed by a stale read...
    await expect(
      home.clusters.clearDriftRepair({ ...c, driftRepairSuspended: marker(c, '2026-11-20T00:00:00.000Z') }),
    ).rejects.toThrow(StaleStateError);
    // ...nor by another region.
    await expect(other.clusters.clearDriftRepair(read)).rejects.toThrow(StaleStateError);

    await home.clusters.clearDriftRepair(read);
    const stored = await home.clusters.get(c.tenantId, c.clusterId);
    expect(stored?.driftRepairSuspended).toBeUndefined();
    expect(stored?.driftRepairs).toBeUndefined();
  });

  it('reads the clusters of the orphan pass by key, 100 per BatchGetItem, absent items left out', async () => {
    // Prepare: 150 clusters (two batches), asked for with 10 keys that name no item and a duplicate.
    const clusters = Array.from({ length: 150 }, (_, i) => cluster(100 + i, { tenantId: `tn-${i % 3}` }));
    await Promise.all(clusters.map(put));
    const missing = Array.from({ length: 10 }, (_, i) => ({ tenantId: 'tn-0', clusterId: `cl-gone${i}` }));
    const sent: number[] = [];
    const sweeps = new Sweeps(home.table);
    const send = home.table.db.send.bind(home.table.db);
    home.table.db.send = ((command: { input: { RequestItems?: Record<string, { Keys: unknown[] }> } }) => {
      const keys = command.input.RequestItems?.[TABLE]?.Keys;
      if (keys) sent.push(keys.length);
      return send(command as never);
    }) as typeof home.table.db.send;

    // Act
    let found: Map<string, ClusterRecord>;
    try {
      found = await sweeps.clustersByKey([...clusters, ...missing, clusters[0] as ClusterRecord]);
    } finally {
      home.table.db.send = send;
    }

    // Assess
    expect(sent).toEqual([100, 60]);
    expect(found.size).toBe(150);
    const c = clusters[42] as ClusterRecord;
    expect(found.get(`${c.tenantId}/${c.clusterId}`)).toEqual(c);
  });
});
