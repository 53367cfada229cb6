import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type Item, itemSize } from '../../../bench/capacity.js';
import { clusterDto, operationDto } from '../../../functions/api/representations.js';
import { planCreate, planUpdate } from '../../../functions/shared/domain/plan.js';
import { CreateClusterRequestSchema } from '../../../functions/shared/schemas/api.js';
import { type IdempotencyRecord, Store } from '../../../functions/shared/store/store.js';

/**
 * docs/cost.md, "Lines above 1.25 times the floor": the response an Idempotency-Key record keeps
 * is stored deflated, so the record of a PATCH or DELETE answer stays within one write unit (1 KB).
 */
describe('IdempotencyStore: the stored response', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new Store(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    'stratus-test',
    'eu-west-1',
  );
  afterEach(() => ddb.reset());

  // A scale-up's 202, as the API answers it (a 15-character name, as in bench/cost.ts).
  const ctx = {
    tenantId: 'tn-01jd8w0000000000000000000a',
    regions: ['eu-west-1', 'us-east-1'],
    apiRegion: 'eu-west-1',
    controllers: {},
    correlationId: 'corr-01jd8w0000000000000000000a',
    now: new Date('2026-12-06T00:00:00.000Z'),
    requestedBy: 'key-01jd8w0000000000000000000a',
  };
  const created = planCreate(
    CreateClusterRequestSchema.parse({ name: 'cost-create-001', engine: 'qdrant', region: 'eu-west-1' }),
    ctx,
  );
  const { activeOperationId: _, ...idle } = created.cluster;
  const ready = {
    ...idle,
    status: 'READY' as const,
    observedGeneration: 1,
    statusVersion: 3,
    endpoint: `qdrant.stratus-${idle.clusterId}.svc.cluster.local`,
    port: 6333,
  };
  const plan = planUpdate(ready, { nodes: 2 }, ctx);
  if (plan.kind !== 'operation') throw new Error('expected a spec change');
  const record: IdempotencyRecord = {
    key: 'update-cost-create-001-0',
    requestHash: 'a'.repeat(64),
    response: {
      status: 202,
      headers: { location: `/v1/operations/${plan.operation.operationId}` },
      body: { cluster: clusterDto(plan.cluster), operation: operationDto(plan.operation) },
    },
    createdAt: ctx.now.toISOString(),
  };
  const stored = () => {
    const put = store.idempotency.put(ctx.tenantId, record).Put;
    if (!put?.Item) throw new Error('no Put');
    return put.Item;
  };

  it('keeps a 202 of a scale-up within 1 KB (one write unit), where the body as a map was over it', () => {
    const asMap = { ...stored(), bodyZ: undefined, response: record.response };

    expect(
      itemSize(marshall(stored(), { removeUndefinedValues: true }) as unknown as Item),
    ).toBeLessThanOrEqual(1024);
    expect(itemSize(marshall(asMap, { removeUndefinedValues: true }) as unknown as Item)).toBeGreaterThan(
      1024,
    );
  });

  it('gives back the same response it stored, and reads records stored with the body as a map', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: stored() })
      .resolvesOnce({ Item: { ...stored(), bodyZ: undefined, response: record.response } });

    const now = await store.idempotency.get(ctx.tenantId, record.key);
    const before = await store.idempotency.get(ctx.tenantId, record.key);

    expect(now).toEqual(expect.objectContaining({ key: record.key, response: record.response }));
    expect(before?.response).toEqual(record.response);
  });
});
