import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeIndex, keys } from '../../../functions/shared/store/store.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { eventValidator } from '../../unit/events/validator.js';

/**
 * The reconciler on its local schedule, against DynamoDB Local and its stream, with the
 * provisioner stopped: as after a crash that lost the operation's messages (fauxqs keeps them in
 * memory only), nothing but the reconciler can end the operation.
 */
describe('Reconciler: deadline sweep', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    rt = await startTestRuntime({ scheduleIntervalMs: 300 });
    api = apiClient(rt.apiUrl, rt.apiKey);
    // The provisioner never runs in this suite.
    await Promise.all(rt.triggers.queues.map((q) => q.stop()));
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  /** Moves an operation's deadline (and its index key) into the past, as if time had passed. */
  async function expireDeadline(operationId: string): Promise<void> {
    const op = await rt.store.operations.get(rt.tenantId, operationId);
    if (!op) throw new Error(`no operation ${operationId}`);
    const deadline = new Date(Date.now() - 60_000).toISOString();
    await rt.store.table.db.send(
      new UpdateCommand({
        TableName: rt.names.table,
        Key: keys.operation(rt.tenantId, operationId),
        UpdateExpression: 'SET deadline = :deadline, gsi2sk = :sk',
        ConditionExpression: 'attribute_exists(gsi2pk)',
        ExpressionAttributeValues: { ':deadline': deadline, ':sk': activeIndex({ ...op, deadline }).gsi2sk },
      }),
    );
  }

  it('marks an operation past its deadline FAILED with DEADLINE_EXCEEDED, releases its cluster, and says so on the bus', async () => {
    // Prepare
    const created = await api('POST', '/v1/clusters', { name: 'stuck', engine: 'qdrant', region: rt.region });
    expect(created.status).toBe(202);
    const { cluster, operation } = created.body;
    const waiting = await api('POST', '/v1/clusters', {
      name: 'waiting',
      engine: 'qdrant',
      region: rt.region,
    });

    // Act
    await expireDeadline(operation.id);

    // Assess: the operation ends, the cluster is released and FAILED.
    const failed = await eventually(
      () => api('GET', `/v1/operations/${operation.id}`),
      (r) => r.body.status !== 'QUEUED',
      15_000,
    );
    expect(failed.body).toMatchObject({ status: 'FAILED', error: { code: 'DEADLINE_EXCEEDED' } });
    expect(failed.body.error.message).toMatch(/did not finish by/);
    const read = await api('GET', `/v1/clusters/${cluster.id}`);
    expect(read.body).toMatchObject({ status: 'FAILED' });
    expect(read.body.activeOperationId).toBeUndefined();

    // One event per change, through the stream and the status publisher, valid against the catalog.
    const [opEvent] = await rt.bus.waitFor(
      {
        'detail-type': ['Operation Status Changed'],
        detail: { operationId: [operation.id], status: ['FAILED'] },
      },
      { timeoutMs: 10_000 },
    );
    expect(opEvent?.detail).toMatchObject({
      previousStatus: 'QUEUED',
      error: { code: 'DEADLINE_EXCEEDED' },
      correlationId: operation.correlationId,
    });
    await rt.bus.waitFor(
      { 'detail-type': ['Cluster Status Changed'], detail: { clusterId: [cluster.id], status: ['FAILED'] } },
      { timeoutMs: 10_000 },
    );
    const validate = eventValidator();
    for (const event of rt.bus.events()) {
      expect(validate.published(event)).toBeUndefined();
      expect(validate.exact(event)).toBeUndefined();
    }

    // Later runs change nothing: the operation left the index, the other one is not due.
    const runs = rt.triggers.schedules[0]?.runs ?? 0;
    await eventually(
      async () => rt.triggers.schedules[0]?.runs ?? 0,
      (n) => n >= runs + 2,
    );
    const sameEvents = rt.bus
      .events()
      .filter(
        (e) =>
          e['detail-type'] === 'Operation Status Changed' &&
          e.detail.operationId === operation.id &&
          e.detail.status === 'FAILED',
      );
    expect(sameEvents).toHaveLength(1);
    const other = await api('GET', `/v1/operations/${waiting.body.operation.id}`);
    expect(other.body.status).toBe('QUEUED');
    expect(rt.triggers.schedules[0]?.failures).toBe(0);
  });
});
