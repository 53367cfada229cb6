import type { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advance, type WorkflowDeps } from '../../../functions/provisioner/workflow.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { createKubeClient } from '../../../functions/shared/kube/client.js';
import { classifyKubeError } from '../../../functions/shared/kube/errors.js';
import type { ProvisioningMessage } from '../../../functions/shared/schemas/messages.js';
import { clusterItem, operationItem, Store } from '../../../functions/shared/store/store.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { kubeConfigFor, startTestStandin } from '../../helpers/kube.js';
import { RUNTIME_START_TIMEOUT_MS } from '../../helpers/local.js';
import { startTestTable, type TestTable } from '../../helpers/table.js';

/**
 * Issue #12 (docs/cost.md, "Lines above 1.25 times the floor"): how many times the provisioner
 * writes an operation item over a whole operation, counted at the DynamoDB client. Each write of
 * the item also rewrites its two index entries and is replicated, so every write saved is 3 WRU
 * and 3 replicated WRU. The real workflow and store against DynamoDB Local and the Kubernetes
 * stand-in (ready at once: a CREATE ends in its first delivery, an UPDATE or DELETE at its first
 * poll, as in `bench/cost.ts`).
 */
const REGION = 'eu-west-1';
const TABLE = 'stratus-step-writes';
const NOW = new Date().toISOString();

type Sent = { constructor: { name: string }; input: Record<string, unknown> };

/** The sort keys a write command touches (every item of a transaction, ConditionChecks included). */
function writtenKeys(command: Sent): string[] {
  const { input } = command;
  const keyOf = (i: Record<string, unknown>) =>
    String(((i.Key ?? i.Item) as Record<string, unknown> | undefined)?.sk ?? '');
  switch (command.constructor.name) {
    case 'PutCommand':
    case 'UpdateCommand':
    case 'DeleteCommand':
      return [keyOf(input)];
    case 'TransactWriteCommand':
      return (input.TransactItems as Array<Record<string, Record<string, unknown>>>)
        .filter((t) => !t.ConditionCheck)
        .map((t) => keyOf(Object.values(t)[0] as Record<string, unknown>));
    default:
      return [];
  }
}

describe('Integration: writes of the operation item per operation (issue #12)', () => {
  let table: TestTable;
  let standin: KubeStandin;
  let store: Store;
  /** Sort keys of every item written since the last `take()`. */
  let written: string[] = [];
  const take = () => {
    const out = written;
    written = [];
    return out;
  };
  const silent = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;

  beforeAll(async () => {
    table = await startTestTable(TABLE);
    standin = await startTestStandin({ readinessDelayMs: 0, namespaceTerminationMs: 0 });
    const doc = table.doc;
    const counting = {
      send: (command: Sent) => {
        written.push(...writtenKeys(command));
        return doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    store = new Store(counting, TABLE, REGION);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    await standin?.stop();
    await table?.stop();
  });

  /** Runs a message and every message it sends, one after the other, until the chain ends. */
  async function run(first: ProvisioningMessage): Promise<string[]> {
    const kube = createKubeClient(kubeConfigFor(standin));
    const queue: ProvisioningMessage[] = [first];
    const outcomes: string[] = [];
    const deps: WorkflowDeps = {
      store,
      kube: async () => kube,
      invalidateKube: () => {},
      classify: classifyKubeError,
      requeue: async (message) => {
        queue.push(message);
      },
      eksClusters: [{ name: 'eks-a', capacityNodes: 100, region: REGION }],
      now: () => new Date(),
      logger: silent,
      pollBaseSeconds: 1,
      maxTransientRetries: 3,
    };
    let n = 0;
    for (let m = queue.shift(); m; m = queue.shift()) {
      outcomes.push(await advance(m, deps, { messageId: `m-${++n}`, receiveCount: 1 }));
    }
    return outcomes;
  }

  const message = (op: OperationRecord): ProvisioningMessage => ({
    v: 1,
    tenantId: op.tenantId,
    operationId: op.operationId,
    clusterId: op.clusterId,
    reason: 'dispatch',
    attempt: 0,
  });
  const operationWrites = (keys: string[], op: OperationRecord) =>
    keys.filter((k) => k === `OPERATION#${op.operationId}`).length;

  it('CREATE: 2 (the start, which claims the step, and the completion); UPDATE and DELETE: 3 (the start, the step moved to WAIT_READY, the completion, which claims the poll)', async () => {
    // Prepare: a queued Qdrant CREATE, as the API writes it.
    const c: ClusterRecord = {
      tenantId: 'tn-writes',
      clusterId: 'cl-01jd8w00000000000000000w01',
      name: 'w1',
      engine: 'qdrant',
      version: '1.15.5',
      region: REGION,
      homeRegion: REGION,
      nodes: 1,
      sizeName: 'small',
      size: SIZES.small,
      settings: {},
      deletionProtection: false,
      status: 'PENDING',
      generation: 1,
      observedGeneration: 0,
      statusVersion: 1,
      activeOperationId: 'op-01jd8w00000000000000000w01',
      createdAt: NOW,
      updatedAt: NOW,
    };
    const create: OperationRecord = {
      tenantId: c.tenantId,
      operationId: c.activeOperationId as string,
      clusterId: c.clusterId,
      region: REGION,
      homeRegion: REGION,
      type: 'CREATE',
      status: 'QUEUED',
      step: 'APPLY',
      statusVersion: 1,
      targetGeneration: 1,
      correlationId: 'corr-w1',
      createdAt: NOW,
      updatedAt: NOW,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await table.doc.send(new PutCommand({ TableName: TABLE, Item: clusterItem(c) }));
    await table.doc.send(new PutCommand({ TableName: TABLE, Item: operationItem(create) }));

    // Act: CREATE
    take();
    const created = await run(message(create));
    const createWrites = operationWrites(take(), create);

    // Act: UPDATE, scale 1 -> 2 nodes (queued as the API does)
    const ready = await store.clusters.get(c.tenantId, c.clusterId);
    if (!ready) throw new Error('no cluster');
    const update: OperationRecord = {
      ...create,
      operationId: 'op-01jd8w00000000000000000w02',
      type: 'UPDATE',
      targetGeneration: 2,
      correlationId: 'corr-w2',
      nodeDelta: 0,
      previous: { ...ready, status: ready.status },
    };
    await store.clusters.updateSpec(
      undefined,
      ready,
      {
        ...ready,
        nodes: 2,
        generation: 2,
        status: 'UPDATING',
        statusVersion: ready.statusVersion + 1,
        activeOperationId: update.operationId,
      },
      update,
    );
    take();
    const updated = await run(message(update));
    const updateWrites = operationWrites(take(), update);

    // Act: DELETE
    const scaled = await store.clusters.get(c.tenantId, c.clusterId);
    if (!scaled) throw new Error('no cluster');
    const del: OperationRecord = {
      ...create,
      operationId: 'op-01jd8w00000000000000000w03',
      type: 'DELETE',
      targetGeneration: scaled.generation,
      correlationId: 'corr-w3',
      previous: { ...scaled, status: scaled.status },
    };
    await store.clusters.requestDelete(
      { ...scaled, status: 'DELETING', activeOperationId: del.operationId },
      del,
    );
    take();
    const deleted = await run(message(del));
    const deleteWrites = operationWrites(take(), del);

    // Assess
    expect(created).toEqual(['succeeded']);
    expect(updated).toEqual(['polling', 'succeeded']);
    expect(deleted).toEqual(['polling', 'succeeded']);
    expect({ create: createWrites, update: updateWrites, delete: deleteWrites }).toEqual({
      create: 2,
      update: 3,
      delete: 3,
    });
    expect(await store.operations.get(del.tenantId, del.operationId)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
