import type { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { advance, type KubePort, type WorkflowDeps } from '../../../functions/provisioner/workflow.js';
import {
  PodIdentityError,
  type PodIdentityPort,
  type PodIdentityRequest,
} from '../../../functions/shared/backup-identity.js';
import { type BackupRecord, planBackup } from '../../../functions/shared/domain/backups.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type { ProvisioningMessage } from '../../../functions/shared/schemas/messages.js';
import type { Store } from '../../../functions/shared/store/store.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const CL = 'cl-01jd8w0000000000000000000a';
const BUCKET = 'stratus-prod-backups-eu-west-1';

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: CL,
  name: 'db',
  engine: 'valkey',
  version: '8.1.1',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  placement: 'eks-a',
  nodes: 1,
  sizeName: 'small',
  size: SIZES.small,
  settings: {},
  deletionProtection: false,
  status: 'PROVISIONING',
  generation: 1,
  observedGeneration: 0,
  statusVersion: 2,
  activeOperationId: 'op-1',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

const operation = (over: Partial<OperationRecord> = {}): OperationRecord => ({
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: CL,
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  type: 'CREATE',
  status: 'RUNNING',
  step: 'APPLY',
  statusVersion: 2,
  targetGeneration: 1,
  correlationId: 'corr-1',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  deadline: new Date(NOW.getTime() + 600_000).toISOString(),
  ...over,
});

const msg = (over: Partial<ProvisioningMessage> = {}): ProvisioningMessage => ({
  v: 1,
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: CL,
  reason: 'dispatch',
  attempt: 0,
  seq: 0,
  ...over,
});

/** The workflow over fakes; `order` records the identity calls and the applies, in the order they ran. */
function setup(
  op: OperationRecord,
  c: ClusterRecord,
  port: Partial<PodIdentityPort> = {},
  backup?: BackupRecord,
) {
  const order: string[] = [];
  const requests: PodIdentityRequest[] = [];
  const identity: PodIdentityPort = {
    ensure: vi.fn(async (req: PodIdentityRequest) => {
      order.push('ensure');
      requests.push(req);
      return 'created' as const;
    }),
    remove: vi.fn(async () => {
      order.push('remove');
      return 1;
    }),
    ...port,
  };
  const store = {
    region: 'eu-west-1',
    clusters: { get: vi.fn(async () => c) },
    backups: {
      get: vi.fn(async () => backup),
    },
    operations: {
      get: vi.fn(async () => op),
      claimStep: vi.fn(async () => undefined),
      finishStep: vi.fn(async () => undefined),
      setStep: vi.fn(async () => undefined),
      complete: vi.fn(async () => undefined),
      completeDeletion: vi.fn(async () => undefined),
      beginCleanup: vi.fn(async (o: OperationRecord, cause: OperationRecord['error']) => ({
        ...o,
        step: 'CLEANUP',
        cleanup: { cause },
      })),
      fail: vi.fn(async () => undefined),
    },
  };
  const kube: KubePort = {
    apply: vi.fn(async (objs: KubeObject[]) => {
      order.push(`apply ${objs.map((o) => o.kind).join(',')}`);
    }),
    create: vi.fn(async () => 'created' as const),
    get: vi.fn(async () => undefined),
    list: vi.fn(async () => [] as KubeObject[]),
    delete: vi.fn(async () => 'deleted' as const),
    deleteNamespace: vi.fn(async () => 'deleted' as const),
  };
  const requeue = vi.fn(async () => undefined);
  const deps: WorkflowDeps = {
    store: store as unknown as Store,
    kube: async () => kube,
    invalidateKube: vi.fn(),
    classify: () => undefined,
    requeue,
    eksClusters: [
      { name: 'eks-a', capacityNodes: 10, region: 'eu-west-1' },
      { name: 'eks-us', capacityNodes: 10, region: 'us-east-1' },
    ],
    now: () => NOW,
    logger: { info: vi.fn(), warn: vi.fn(), debug: vi.fn(), error: vi.fn() } as unknown as Logger,
    pollBaseSeconds: 2,
    maxTransientRetries: 3,
    backupIdentity: { port: identity, bucket: BUCKET, partition: 'aws' },
  };
  return { deps, identity, requests, order, store, requeue };
}

const planCtx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
  backupBucket: BUCKET,
};

const statementsOf = (req: PodIdentityRequest | undefined) =>
  (JSON.parse(req?.policy ?? '{}') as { Statement: Array<{ Action: unknown; Resource: string }> }).Statement;

describe('Function: advance (backup identity)', () => {
  it("associates CloudNativePG's ServiceAccount before the first apply of a PostgreSQL cluster", async () => {
    // Prepare
    const { deps, order, requests } = setup(operation(), cluster({ engine: 'postgresql', version: '17.5' }));

    // Act
    await advance(msg(), deps);

    // Assess
    expect(order[0]).toBe('ensure');
    expect(order.slice(1).every((o) => o.startsWith('apply'))).toBe(true);
    expect(requests[0]).toMatchObject({
      eksCluster: 'eks-a',
      namespace: `stratus-${CL}`,
      serviceAccount: 'postgresql',
    });
    expect(statementsOf(requests[0])[0]?.Resource).toBe(`arn:aws:s3:::${BUCKET}/tn-1/${CL}/*`);
  });

  it('makes no association at the creation of an engine whose backups run in Jobs', async () => {
    // Prepare
    const { deps, identity } = setup(operation(), cluster());

    // Act
    await advance(msg(), deps);

    // Assess
    expect(identity.ensure).not.toHaveBeenCalled();
  });

  it('lets a restored cluster read the backup it restores, from its start', async () => {
    // Prepare
    const restoreFrom = {
      backupId: 'bk-1',
      clusterId: 'cl-src',
      storage: { bucket: BUCKET, prefix: 'tn-1/cl-src/bk-1/' },
      sourceStore: { bucket: BUCKET, prefix: 'tn-1/cl-src/' },
    };
    const { deps, order, requests } = setup(operation(), cluster({ restoreFrom }));

    // Act
    await advance(msg(), deps);

    // Assess
    expect(order[0]).toBe('ensure');
    expect(requests[0]?.serviceAccount).toBe('stratus-backup');
    const reads = statementsOf(requests[0]).filter((s) => s.Action === 's3:GetObject');
    expect(reads.map((s) => s.Resource)).toEqual([`arn:aws:s3:::${BUCKET}/tn-1/cl-src/bk-1/*`]);
  });

  it("associates the backup Job's ServiceAccount before the Job is applied", async () => {
    // Prepare
    const c = cluster({ status: 'READY', observedGeneration: 1 });
    const plan = planBackup({ ...c, activeOperationId: undefined }, planCtx);
    const { deps, order, requests } = setup(
      { ...plan.operation, status: 'RUNNING', step: 'APPLY', operationId: 'op-1' },
      { ...plan.cluster, activeOperationId: 'op-1' },
      {},
      plan.backup,
    );

    // Act
    await advance(msg(), deps);

    // Assess
    expect(requests[0]?.serviceAccount).toBe('stratus-backup');
    expect(order.indexOf('ensure')).toBeLessThan(order.findIndex((o) => o.includes('Job')));
  });

  it('removes the associations once the namespace is gone, and a failure to do so does not fail the DELETE', async () => {
    // Prepare
    const remove = vi.fn(async () => {
      throw new PodIdentityError('AccessDeniedException', false);
    });
    const { deps, store } = setup(
      operation({ type: 'DELETE', step: 'WAIT_READY' }),
      cluster({ status: 'DELETING' }),
      { remove },
    );

    // Act
    const outcome = await advance(msg({ reason: 'poll' }), deps);

    // Assess
    expect(remove).toHaveBeenCalledWith({ eksCluster: 'eks-a', namespace: `stratus-${CL}` });
    expect(outcome).toBe('succeeded');
    expect(store.operations.completeDeletion).toHaveBeenCalled();
  });

  it('retries throttling, and fails a refused association with BACKUP_IDENTITY_FAILED', async () => {
    // Prepare
    const throttled = setup(operation(), cluster({ engine: 'postgresql', version: '17.5' }), {
      ensure: vi.fn(async () => {
        throw new PodIdentityError('ThrottlingException: arn:aws:iam::123456789012:role/x', true);
      }),
    });
    const refused = setup(operation(), cluster({ engine: 'postgresql', version: '17.5' }), {
      ensure: vi.fn(async () => {
        throw new PodIdentityError('AccessDeniedException: arn:aws:iam::123456789012:role/x', false);
      }),
    });

    // Act
    const retried = await advance(msg(), throttled.deps);
    const failed = await advance(msg(), refused.deps);

    // Assess
    expect(retried).toBe('retrying');
    expect(throttled.requeue).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'retry', attempt: 1 }),
      expect.any(Number),
    );
    expect(failed).toBe('cleaning-up');
    const cause = refused.store.operations.beginCleanup.mock.calls[0]?.[1];
    expect(cause?.code).toBe('BACKUP_IDENTITY_FAILED');
    expect(cause?.message).not.toMatch(/arn:|123456789012/);
  });

  it("leaves another region's EKS cluster to that region (a takeover)", async () => {
    // Prepare
    const { deps, identity } = setup(
      operation(),
      cluster({ engine: 'postgresql', version: '17.5', placement: 'eks-us' }),
    );

    // Act
    await advance(msg(), deps);

    // Assess
    expect(identity.ensure).not.toHaveBeenCalled();
  });
});
