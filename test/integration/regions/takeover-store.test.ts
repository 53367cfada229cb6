import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegionAccess } from '../../../cli/access.js';
import { handback, takeover } from '../../../cli/regions.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { clusterItem, operationItem, StaleStateError } from '../../../functions/shared/store/store.js';
import { createTenant } from '../../../functions/shared/tenants.js';
import {
  ensureTable,
  LOCAL_CREDENTIALS,
  type LocalDynamo,
  startDynamoLocal,
} from '../../../local/runtime/dynamodb.js';
import { createRegionQueues } from '../../../local/runtime/region.js';
import { type LocalSqs, startLocalSqs } from '../../../local/runtime/sqs.js';
import { shippedConfig } from '../../helpers/local.js';

/**
 * `npm run admin -- regions takeover | handback` at the storage level: what moves, what is
 * queued where, and that the old home can no longer write (the fences). One table seen by both
 * regions (no replication lag here; the replicating runtime's tests cover lag and partitions).
 */
const A = 'eu-west-1';
const B = 'us-east-1';
const NOW = '2026-12-01T10:00:00.000Z';

describe('Command: regions takeover / handback', () => {
  let dynamo: LocalDynamo;
  let fauxqs: LocalSqs;
  let dataDir: string;
  let access: RegionAccess;
  let tenantId: string;
  const config = shippedConfig();

  const cluster = (n: number, over: Partial<ClusterRecord> = {}): ClusterRecord => ({
    tenantId,
    clusterId: `cl-01jd8w00000000000000000${String(n).padStart(3, '0')}`,
    name: `c${n}`,
    engine: 'qdrant',
    version: '1.15.5',
    region: A,
    homeRegion: A,
    nodes: 1,
    sizeName: 'small',
    size: SIZES.small,
    settings: {},
    deletionProtection: false,
    status: 'READY',
    generation: 1,
    observedGeneration: 1,
    statusVersion: 3,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  });
  const operation = (c: ClusterRecord, n: number, over: Partial<OperationRecord> = {}): OperationRecord => ({
    tenantId,
    operationId: `op-01jd8w00000000000000000${String(n).padStart(3, '0')}`,
    clusterId: c.clusterId,
    region: c.region,
    homeRegion: c.homeRegion,
    type: 'CREATE',
    status: 'QUEUED',
    step: 'APPLY',
    statusVersion: 1,
    targetGeneration: 1,
    correlationId: `corr-${n}`,
    createdAt: NOW,
    updatedAt: NOW,
    deadline: '2999-01-01T00:00:00.000Z',
    ...over,
  });
  const put = (item: Record<string, unknown>) =>
    access.store(A).table.db.send(new PutCommand({ TableName: 'stratus-prod', Item: item }));

  async function queued(region: string): Promise<string[]> {
    const url = await access.queueUrl(region, 'provisioning');
    const res = await access
      .sqs(region)
      .send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    return (res.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}').operationId as string).sort();
  }

  beforeAll(async () => {
    dynamo = await startDynamoLocal({});
    const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: A, credentials: LOCAL_CREDENTIALS });
    await ensureTable(ddb, 'stratus-prod');
    ddb.destroy();
    fauxqs = await startLocalSqs({ host: '127.0.0.1', defaultRegion: A });
    for (const region of [A, B]) {
      const sqs = new SQSClient({ endpoint: fauxqs.address, region, credentials: LOCAL_CREDENTIALS });
      await createRegionQueues(sqs, { stage: 'prod', visibilityTimeoutSeconds: 30 });
      sqs.destroy();
    }
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-takeover-'));
    await writeFile(
      join(dataDir, 'local.json'),
      JSON.stringify({ region: A, dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: fauxqs.address }),
    );
    access = new RegionAccess({ local: true, dataDir, config });
    ({ tenantId } = await createTenant(access.store(A), 'acme'));
  }, 180_000);

  afterAll(async () => {
    access?.destroy();
    await fauxqs?.stop();
    await dynamo?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('moves a failed region to another, resumes its unfinished operations there, fences the old home, and hands it back', async () => {
    // Prepare: in A, a READY cluster, a cluster being created (QUEUED) and one being updated (RUNNING).
    const ready = cluster(1);
    const creating = cluster(2, { status: 'PENDING', activeOperationId: `op-01jd8w00000000000000000002` });
    const updating = cluster(3, { status: 'UPDATING', activeOperationId: `op-01jd8w00000000000000000003` });
    const create = operation(creating, 2);
    const update = operation(updating, 3, { type: 'UPDATE', status: 'RUNNING', step: 'WAIT_READY' });
    for (const c of [ready, creating, updating]) await put(clusterItem(c));
    for (const o of [create, update]) await put(operationItem(o));

    // Act: B takes A over.
    const lines: string[] = [];
    const report = await takeover(access, A, B, { log: (l) => lines.push(l), reason: 'test: A is down' });

    // Assess: what moved, and where the operations resume.
    expect(report).toMatchObject({ tenants: 1, clusters: 3, operations: 2, skipped: 0 });
    expect(lines[0]).toBe(`${B} now manages ${A} (control written in ${B})`);
    expect(await access.store(B).regions.controllers()).toEqual({ [A]: B });
    for (const c of [ready, creating, updating]) {
      expect(await access.store(B).clusters.get(tenantId, c.clusterId)).toMatchObject({
        region: A,
        homeRegion: B,
      });
    }
    expect(await access.store(B).tenants.get(tenantId)).toMatchObject({
      homeRegion: B,
      originalHomeRegion: A,
    });
    expect(await access.store(B).operations.get(tenantId, update.operationId)).toMatchObject({
      homeRegion: B,
      status: 'RUNNING',
    });
    expect(await queued(B)).toEqual([create.operationId, update.operationId]);
    expect(await queued(A)).toEqual([]);

    // Assess: the old home's writes lose (a provisioner of A that wakes up cannot finish the update)...
    const completeInA = access
      .store(A)
      .operations.complete({ ...update, homeRegion: B }, { endpoint: 'x', port: 1 }, NOW);
    await expect(completeInA).rejects.toBeInstanceOf(StaleStateError);
    // ...and the new home's win.
    await access.store(B).operations.complete({ ...update, homeRegion: B }, { endpoint: 'x', port: 1 }, NOW);
    expect(await access.store(B).clusters.get(tenantId, updating.clusterId)).toMatchObject({
      status: 'READY',
    });

    // Assess: running it again moves nothing more; a chain or a self-takeover is refused.
    expect(await takeover(access, A, B)).toMatchObject({ tenants: 0, clusters: 0, operations: 0 });
    await expect(takeover(access, B, A)).rejects.toThrow(
      `${A} is itself managed by ${B}: hand it back first`,
    );
    await expect(takeover(access, A, A)).rejects.toThrow('--from and --to must differ');

    // Act: A is back; B hands it back.
    const back = await handback(access, A, { timeoutMs: 10_000 });

    // Assess: everything is A's again, the creating cluster's operation resumes in A.
    expect(back).toMatchObject({ tenants: 1, clusters: 3, operations: 1 });
    expect(await access.store(A).regions.controllers()).toEqual({});
    expect(await access.store(A).clusters.get(tenantId, creating.clusterId)).toMatchObject({ homeRegion: A });
    const tenant = await access.store(A).tenants.get(tenantId);
    expect(tenant).toMatchObject({ homeRegion: A });
    expect(tenant).not.toHaveProperty('originalHomeRegion');
    expect(await queued(A)).toEqual([create.operationId]);
    await expect(handback(access, A)).rejects.toThrow(`${A} manages itself: nothing to hand back`);
  }, 60_000);
});
