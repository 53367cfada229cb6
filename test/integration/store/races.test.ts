import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDeadlines } from '../../../functions/reconciler/deadlines.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { createLogger } from '../../../functions/shared/logger.js';
import {
  clusterItem,
  operationItem,
  StaleStateError,
  type Store,
} from '../../../functions/shared/store/store.js';
import { Sweeps } from '../../../functions/shared/store/sweeps.js';
import { startTestTable, TABLE_START_TIMEOUT_MS, type TestTable } from '../../helpers/table.js';

/**
 * Races between two writers of the same items, interleaved deterministically at the store level
 * against DynamoDB Local: both read, one writes, then the other writes with what it read. The
 * second write must lose (a conditional write) rather than undo the first.
 */
const REGION = 'eu-west-1';
const TABLE = 'stratus-races';
const T0 = '2026-12-01T10:00:00.000Z';

describe('Store: races that must not lose a change', () => {
  let table: TestTable;
  let store: Store;
  let sweeps: Sweeps;
  let n = 0;

  const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => {
    n++;
    return {
      tenantId: 'tn-races',
      clusterId: `cl-01jd8w00000000000000000${String(n).padStart(3, '0')}`,
      name: `c${n}`,
      engine: 'qdrant',
      version: '1.15.5',
      region: REGION,
      homeRegion: REGION,
      nodes: 1,
      sizeName: 'small',
      size: SIZES.small,
      settings: {},
      deletionProtection: false,
      status: 'READY',
      generation: 1,
      observedGeneration: 1,
      statusVersion: 3,
      createdAt: T0,
      updatedAt: T0,
      ...over,
    };
  };
  const operation = (c: ClusterRecord, over: Partial<OperationRecord> = {}): OperationRecord => ({
    tenantId: c.tenantId,
    operationId: `op-01jd8w00000000000000000${String(++n).padStart(3, '0')}`,
    clusterId: c.clusterId,
    region: c.region,
    homeRegion: c.homeRegion,
    type: 'UPDATE',
    status: 'QUEUED',
    step: 'APPLY',
    statusVersion: 1,
    targetGeneration: c.generation + 1,
    correlationId: `corr-${n}`,
    createdAt: T0,
    updatedAt: T0,
    deadline: '2999-01-01T00:00:00.000Z',
    nodeDelta: 0,
    ...over,
  });
  const put = (item: Record<string, unknown>) =>
    store.table.db.send(new PutCommand({ TableName: TABLE, Item: item }));

  beforeAll(async () => {
    table = await startTestTable(TABLE);
    store = table.store(REGION);
    sweeps = new Sweeps(store.table);
  }, TABLE_START_TIMEOUT_MS);

  afterAll(async () => table?.stop());

  describe('The provisioner records its step vs a cancellation', () => {
    it('the step write that read a RUNNING operation loses once it is no longer running, and changes nothing', async () => {
      // Prepare: a RUNNING operation, then ended (as a deadline sweep or a rollback would) before the step is recorded.
      const c = cluster();
      const op = operation(c, { status: 'RUNNING' });
      await put(operationItem(op));
      await store.operations.setStep(op, 'WAIT_READY', T0);
      await put(operationItem({ ...op, status: 'FAILED', step: 'WAIT_READY' }));

      // Act
      const late = store.operations.setStep(op, 'ROLLBACK_WAIT', T0);

      // Assess
      await expect(late).rejects.toBeInstanceOf(StaleStateError);
      await expect(late).rejects.toMatchObject({ failed: ['operation'] });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({
        status: 'FAILED',
        step: 'WAIT_READY',
      });
    });
  });

  describe('A transition that carries the step claim vs another delivery of the step (docs/cost.md)', () => {
    const lease = '2999-01-01T00:00:00.000Z';
    const m = (messageId: string, receiveCount = 1) => ({ messageId, receiveCount });

    it('a start by a copy of the dispatch loses to the delivery that claimed the step, and changes nothing; its redelivery wins', async () => {
      // Prepare: a queued UPDATE; the delivery of message m-1 claimed step 0, then died before starting.
      const c = cluster({ status: 'UPDATING' });
      const op = operation(c);
      await put(clusterItem({ ...c, activeOperationId: op.operationId }));
      await put(operationItem(op));
      await store.operations.claimStep(op, 0, T0, lease, m('m-1'));

      // Act: a copy (another message id) starts with its claim, then m-1's redelivery does.
      const copy = store.operations.start(op, 'UPDATING', 'eks-a', T0, {
        seq: 0,
        now: T0,
        until: lease,
        by: m('m-2'),
      });
      await expect(copy).rejects.toMatchObject({ failed: ['operation'] });
      const queued = await store.operations.get(op.tenantId, op.operationId);
      await store.operations.start(op, 'UPDATING', 'eks-a', T0, {
        seq: 0,
        now: T0,
        until: lease,
        by: m('m-1', 2),
      });

      // Assess: the copy changed nothing; the redelivery started the operation and holds the step.
      expect(queued).toMatchObject({ status: 'QUEUED', claim: { seq: 0, by: 'm-1', receive: 1 } });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({
        status: 'RUNNING',
        claim: { seq: 0, region: REGION, by: 'm-1', receive: 2, done: false },
      });
      expect(await store.clusters.get(c.tenantId, c.clusterId)).toMatchObject({ placement: 'eks-a' });
    });

    it('the completion by a late duplicate of an earlier poll loses to the poll that claimed the next step, and changes nothing', async () => {
      // Prepare: a RUNNING UPDATE; poll 2 (message m-3) claimed its step and has not finished it.
      const c = cluster();
      const op = operation(c, { status: 'RUNNING', step: 'WAIT_READY' });
      const held: ClusterRecord = {
        ...c,
        status: 'UPDATING',
        generation: 2,
        activeOperationId: op.operationId,
      };
      await put(clusterItem(held));
      await put(operationItem(op));
      await store.operations.claimStep(op, 1, T0, lease, m('m-2'));
      await store.operations.finishStep(op, 1);
      await store.operations.claimStep(op, 2, T0, lease, m('m-3'));
      const observed = { endpoint: 'db.example:6333', port: 6333 };

      // Act: a late duplicate of poll 1, and a copy of poll 2 received alongside, find the database ready.
      const late = await store.operations
        .complete(op, observed, T0, { seq: 1, now: T0, until: lease, by: m('m-9') })
        .catch((e: unknown) => e);
      const alongside = await store.operations
        .complete(op, observed, T0, { seq: 2, now: T0, until: lease, by: m('m-4') })
        .catch((e: unknown) => e);

      // Assess: both lost on the operation; it still runs, and poll 2 holds its step.
      expect(late).toBeInstanceOf(StaleStateError);
      expect(late).toMatchObject({ failed: ['operation'] });
      expect(alongside).toBeInstanceOf(StaleStateError);
      expect(alongside).toMatchObject({ failed: ['operation'] });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({
        status: 'RUNNING',
        claim: { seq: 2, by: 'm-3', done: false },
      });
      expect(await store.clusters.get(c.tenantId, c.clusterId)).toMatchObject({
        status: 'UPDATING',
        activeOperationId: op.operationId,
      });
      // The successor of poll 2 may end it.
      await store.operations.complete(op, observed, T0, { seq: 3, now: T0, until: lease, by: m('m-5') });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({ status: 'SUCCEEDED' });
    });
  });

  describe('PATCH deletionProtection vs a concurrent spec PATCH', () => {
    it('the spec write that read the old protection loses, and DELETE stays refused', async () => {
      // Prepare: a READY cluster without protection; two requests read it.
      const read = cluster();
      await put(clusterItem(read));
      const readBySpec = await store.clusters.get(read.tenantId, read.clusterId);
      const readByMetadata = await store.clusters.get(read.tenantId, read.clusterId);
      if (!readBySpec || !readByMetadata) throw new Error('cluster not stored');
      const protectedCluster = { ...readByMetadata, deletionProtection: true, updatedAt: T0 };
      const update = operation(readBySpec, {
        previous: { ...readBySpec, generation: readBySpec.generation, status: readBySpec.status },
      });
      const respecced: ClusterRecord = {
        ...readBySpec,
        settings: { note: 'x' },
        generation: readBySpec.generation + 1,
        status: 'UPDATING',
        statusVersion: readBySpec.statusVersion + 1,
        activeOperationId: update.operationId,
      };

      // Act: the metadata write commits first, then the spec write with what it read.
      await store.clusters.updateMetadata(readByMetadata, protectedCluster);
      const spec = store.clusters.updateSpec(undefined, readBySpec, respecced, update);

      // Assess: the spec write lost on the cluster item; the protection stands.
      await expect(spec).rejects.toBeInstanceOf(StaleStateError);
      await expect(spec).rejects.toMatchObject({ failed: ['cluster'] });
      const stored = await store.clusters.get(read.tenantId, read.clusterId);
      expect(stored).toMatchObject({ deletionProtection: true, generation: 1, status: 'READY' });
      expect(await store.operations.get(read.tenantId, update.operationId)).toBeUndefined();
      const del = operation(read, { type: 'DELETE', targetGeneration: read.generation });
      await expect(
        store.clusters.requestDelete(
          { ...read, status: 'DELETING', activeOperationId: del.operationId },
          del,
        ),
      ).rejects.toMatchObject({ failed: ['cluster'] });
    });

    it('a metadata write that read an older spec loses, so its answer never shows a spec that is not desired', async () => {
      // Prepare
      const read = cluster();
      await put(clusterItem(read));
      const update = operation(read, {
        previous: { ...read, generation: read.generation, status: read.status },
      });
      const respecced: ClusterRecord = {
        ...read,
        settings: { note: 'y' },
        generation: read.generation + 1,
        status: 'UPDATING',
        statusVersion: read.statusVersion + 1,
        activeOperationId: update.operationId,
      };

      // Act: the spec write commits first, then the metadata write with the cluster it read before.
      await store.clusters.updateSpec(undefined, read, respecced, update);
      const metadata = store.clusters.updateMetadata(read, { ...read, deletionProtection: true });

      // Assess: the spec change stands, and the metadata write asks for a retry.
      await expect(metadata).rejects.toMatchObject({ failed: ['cluster'] });
      expect(await store.clusters.get(read.tenantId, read.clusterId)).toMatchObject({
        deletionProtection: false,
        generation: 2,
        settings: { note: 'y' },
        activeOperationId: update.operationId,
      });
    });
  });

  describe('deadline sweep vs a rollback that just started', () => {
    it('does not fail an operation whose deadline moved after the sweep read it', async () => {
      // Prepare: an UPDATE past its deadline, RUNNING, holding its cluster.
      const past = '2026-12-01T09:00:00.000Z';
      const now = new Date('2026-12-01T10:30:00.000Z');
      const base = cluster();
      const op = operation(base, {
        status: 'RUNNING',
        step: 'WAIT_READY',
        deadline: past,
        previous: { ...base, generation: base.generation, status: base.status },
      });
      const held: ClusterRecord = {
        ...base,
        settings: { note: 'bad' },
        generation: 2,
        status: 'UPDATING',
        statusVersion: base.statusVersion + 1,
        activeOperationId: op.operationId,
      };
      await put(clusterItem(held));
      await put(operationItem(op));
      const newDeadline = '2026-12-01T11:00:00.000Z';

      // Act: the sweep reads the overdue operation; before it writes, the provisioner begins the rollback.
      let rolledBack = false;
      const result = await sweepDeadlines({
        store,
        sweeps: {
          overdueOperations: async (region, at, opts) => {
            const page = await sweeps.overdueOperations(region, at, opts);
            if (!rolledBack && page.operations.some((o) => o.operationId === op.operationId)) {
              rolledBack = true;
              await store.operations.beginRollback(
                op,
                held,
                { code: 'NOT_READY', message: 'pods never became ready' },
                now.toISOString(),
                newDeadline,
              );
            }
            return page;
          },
          failOperationOnly: (o, e, at) => sweeps.failOperationOnly(o, e, at),
        },
        region: REGION,
        now: () => now,
        logger: createLogger('test'),
        pageSize: 25,
        maxPages: 1,
        hasTime: () => true,
      });

      // Assess: the rollback runs on; nothing was failed.
      expect(rolledBack).toBe(true);
      expect(result).toMatchObject({ scanned: 1, failed: 0, failedWithoutCluster: 0, errors: 0 });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({
        status: 'RUNNING',
        step: 'ROLLBACK_APPLY',
        deadline: newDeadline,
      });
      expect(await store.clusters.get(base.tenantId, base.clusterId)).toMatchObject({
        status: 'UPDATING',
        activeOperationId: op.operationId,
        generation: 3,
        settings: {},
      });
    });

    it('still fails an overdue operation whose deadline did not move', async () => {
      // Prepare
      const base = cluster();
      const op = operation(base, {
        status: 'RUNNING',
        step: 'WAIT_READY',
        deadline: '2026-12-01T09:00:00.000Z',
      });
      await put(clusterItem({ ...base, status: 'UPDATING', activeOperationId: op.operationId }));
      await put(operationItem(op));

      // Act
      const result = await sweepDeadlines({
        store,
        sweeps,
        region: REGION,
        now: () => new Date('2026-12-01T10:30:00.000Z'),
        logger: createLogger('test'),
        pageSize: 25,
        maxPages: 1,
        hasTime: () => true,
      });

      // Assess
      expect(result).toMatchObject({ failed: 1, errors: 0 });
      expect(await store.operations.get(op.tenantId, op.operationId)).toMatchObject({
        status: 'FAILED',
        error: { code: 'DEADLINE_EXCEEDED' },
      });
    });
  });
});
