import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../../functions/shared/store/store.js';
import { lambdaContext } from '../../helpers/events.js';

// Every region's EKS clusters, as EKS_CLUSTERS carries them since issue #9.
const scanned = vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
  process.env.EKS_CLUSTERS = JSON.stringify([
    { name: 'stratus-euw1-a', capacityNodes: 10, region: 'eu-west-1' },
    { name: 'stratus-euw1-b', capacityNodes: 10, region: 'eu-west-1' },
    { name: 'stratus-use1-a', capacityNodes: 10, region: 'us-east-1' },
    { name: 'stratus-aps1-a', capacityNodes: 10, region: 'ap-south-1' },
  ]);
  return [] as string[];
});
// The orphan scan asks for one client per EKS cluster it scans; none has Stratus namespaces.
vi.mock('../../../functions/shared/kube/access.js', () => ({
  kubeAccess: () => ({
    client: async (eksCluster: string) => {
      scanned.push(eksCluster);
      return { listPage: async () => ({ items: [] }), deleteNamespace: async () => 'gone' };
    },
    invalidate: () => undefined,
  }),
}));
const { handler } = await import('../../../functions/reconciler/handler.js');

const ddb = mockClient(DynamoDBDocumentClient);
const scheduled = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Scheduled Event' as const,
  source: 'aws.events' as const,
  account: '123456789012',
  time: '2026-11-22T06:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {},
};

const control = (region: string, controller: string) => ({
  ...keys.regionControl(region),
  entity: 'RegionControl',
  region,
  controller,
  changedAt: '2026-11-22T05:00:00.000Z',
});

describe('Function: reconciler (regions it manages, issue #9)', () => {
  beforeEach(() => {
    scanned.length = 0;
    // No overdue operation, no READY cluster, no cursor: the run goes straight to the orphan scan.
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
  });
  afterEach(() => ddb.reset());

  describe('Method: handler', () => {
    it("scans only its own region's EKS clusters when no region is taken over", async () => {
      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(scanned).toEqual(['stratus-euw1-a', 'stratus-euw1-b']);
      expect(res.drift).toMatchObject({ errors: 0, cycleCompleted: true });
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'CONTROL' },
        ConsistentRead: true,
      });
    });

    it('also scans the EKS clusters of a region it took over, and not those of another controller', async () => {
      // Prepare: eu-west-1 took over us-east-1; us-west-2 took over ap-south-1
      ddb
        .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CONTROL' } })
        .resolves({ Items: [control('us-east-1', 'eu-west-1'), control('ap-south-1', 'us-west-2')] });

      // Act
      await handler(scheduled, lambdaContext);

      // Assess
      expect(scanned.sort()).toEqual(['stratus-euw1-a', 'stratus-euw1-b', 'stratus-use1-a']);
    });

    it('scans none of its own EKS clusters while another region controls it', async () => {
      // Prepare: us-east-1 took over eu-west-1 (this region's control plane came back before the handback)
      ddb
        .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CONTROL' } })
        .resolves({ Items: [control('eu-west-1', 'us-east-1')] });

      // Act
      const res = await handler(scheduled, lambdaContext);

      // Assess
      expect(scanned).toEqual([]);
      expect(res.drift).toMatchObject({ errors: 0, orphans: 0 });
    });

    it('reads the controllers once per run', async () => {
      // Act
      await handler(scheduled, lambdaContext);

      // Assess
      const controlQueries = ddb
        .commandCalls(QueryCommand)
        .filter((c) => c.args[0].input.ExpressionAttributeValues?.[':pk'] === 'CONTROL');
      expect(controlQueries).toHaveLength(1);
    });
  });
});
