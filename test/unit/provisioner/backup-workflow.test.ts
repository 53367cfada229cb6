import type { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { advance, type KubePort, type WorkflowDeps } from '../../../functions/provisioner/workflow.js';
import type { BackupObjects } from '../../../functions/shared/backup-objects.js';
import { type BackupRecord, planBackup } from '../../../functions/shared/domain/backups.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type { ProvisioningMessage } from '../../../functions/shared/schemas/messages.js';
import type { Store } from '../../../functions/shared/store/store.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');

const ready = (engine: string, version: string): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'db',
  engine,
  version,
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  placement: 'eks-a',
  nodes: 1,
  sizeName: 'small',
  size: SIZES.small,
  settings: {},
  deletionProtection: false,
  status: 'READY',
  generation: 1,
  observedGeneration: 1,
  statusVersion: 3,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
});

/** A BACKUP as the API stored it, RUNNING at `step`, with the cluster it holds and its backup. */
function backupOf(engine: string, version: string, step: OperationRecord['step']) {
  const plan = planBackup(ready(engine, version), {
    tenantId: 'tn-1',
    regions: ['eu-west-1'],
    apiRegion: 'eu-west-1',
    controllers: {},
    correlationId: 'corr-1',
    now: NOW,
    requestedBy: 'key-1',
    backupBucket: 'bucket',
  });
  const op: OperationRecord = { ...plan.operation, status: 'RUNNING', step };
  const backup: BackupRecord = { ...plan.backup, status: 'RUNNING' };
  return { op, cluster: plan.cluster, backup };
}

const msg = (op: OperationRecord, over: Partial<ProvisioningMessage> = {}): ProvisioningMessage => ({
  v: 1,
  tenantId: op.tenantId,
  operationId: op.operationId,
  clusterId: op.clusterId,
  reason: 'poll',
  attempt: 0,
  seq: 1,
  ...over,
});

function setup(
  { op, cluster, backup }: ReturnType<typeof backupOf>,
  live: KubeObject | undefined,
  objects: BackupObjects,
) {
  const store = {
    region: 'eu-west-1',
    clusters: { get: vi.fn(async () => cluster) },
    backups: { get: vi.fn(async () => backup) },
    operations: {
      get: vi.fn(async () => op),
      claimStep: vi.fn(async () => undefined),
      finishStep: vi.fn(async () => undefined),
      setStep: vi.fn(async () => undefined),
      completeBackup: vi.fn(async (_op: OperationRecord, _result: Record<string, unknown>) => undefined),
      fail: vi.fn(async (_op: OperationRecord, _error: { code: string; message: string }) => undefined),
    },
  };
  const applied: KubeObject[] = [];
  const kube: KubePort = {
    apply: vi.fn(async (objs: KubeObject[]) => {
      applied.push(...objs);
    }),
    create: vi.fn(async () => 'created' as const),
    get: vi.fn(async (ref) => (ref.kind === 'Secret' ? undefined : live)),
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
    eksClusters: [{ name: 'eks-a', capacityNodes: 10, region: 'eu-west-1' }],
    now: () => NOW,
    logger: { info: vi.fn(), warn: vi.fn(), debug: vi.fn(), error: vi.fn() } as unknown as Logger,
    pollBaseSeconds: 2,
    maxTransientRetries: 3,
    backupObjects: objects,
  };
  return { store, deps, applied, requeue };
}

const measuring = (result: { objects: number; bytes: number } | Error): BackupObjects => ({
  measure: vi.fn(async () => {
    if (result instanceof Error) throw result;
    return result;
  }),
  remove: vi.fn(async () => 0),
});
const completeJob = {
  status: { conditions: [{ type: 'Complete', status: 'True' }] },
} as unknown as KubeObject;

describe('Function: advance (BACKUP)', () => {
  it('applies the cluster with its backup store and a CloudNativePG Backup, then polls', async () => {
    // Prepare
    const b = backupOf('postgresql', '17.5', 'APPLY');
    const { store, deps, applied, requeue } = setup(b, undefined, measuring({ objects: 1, bytes: 1 }));

    // Act
    const outcome = await advance(msg(b.op), deps);

    // Assess
    expect(outcome).toBe('polling');
    const pg = applied.find((o) => o.kind === 'Cluster') as
      | Record<string, Record<string, unknown>>
      | undefined;
    expect(pg?.spec?.backup).toBeDefined();
    expect(applied.at(-1)).toMatchObject({ kind: 'Backup', metadata: { name: b.backup.backupId } });
    expect(store.operations.finishStep).toHaveBeenCalledWith(expect.anything(), 1, {
      step: 'WAIT_READY',
      now: NOW.toISOString(),
    });
    expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ reason: 'poll' }), expect.any(Number));
  });

  it('records the base backup directory CloudNativePG names, with the bytes stored there', async () => {
    // Prepare
    const b = backupOf('postgresql', '17.5', 'WAIT_READY');
    const objects = measuring({ objects: 2, bytes: 8300 });
    const live = { status: { phase: 'completed', backupId: '20261122T100000' } } as unknown as KubeObject;
    const { store, deps } = setup(b, live, objects);

    // Act
    const outcome = await advance(msg(b.op), deps);

    // Assess
    const storage = {
      bucket: 'bucket',
      prefix: `tn-1/${b.cluster.clusterId}/postgresql/base/20261122T100000/`,
    };
    expect(outcome).toBe('succeeded');
    expect(objects.measure).toHaveBeenCalledWith(storage);
    expect(store.operations.completeBackup).toHaveBeenCalledWith(
      expect.objectContaining({ operationId: b.op.operationId }),
      { storage, sizeBytes: 8300 },
      NOW.toISOString(),
      undefined, // an on-demand backup: no restore test
    );
  });

  it('fails with BACKUP_EMPTY when the engine says done and nothing is stored', async () => {
    // Prepare
    const b = backupOf('valkey', '8.1.1', 'WAIT_READY');
    const { store, deps } = setup(b, completeJob, measuring({ objects: 0, bytes: 0 }));

    // Act
    const outcome = await advance(msg(b.op), deps);

    // Assess
    expect(outcome).toBe('failed');
    expect(store.operations.completeBackup).not.toHaveBeenCalled();
    expect(store.operations.fail.mock.calls[0]?.[1]).toMatchObject({ code: 'BACKUP_EMPTY' });
  });

  it('fails with BACKUP_FAILED when the Job failed, naming no internal detail', async () => {
    // Prepare
    const b = backupOf('valkey', '8.1.1', 'WAIT_READY');
    const failedJob = {
      status: {
        conditions: [{ type: 'Failed', status: 'True', reason: 'arn:aws:iam::123456789012:role/x' }],
      },
    } as unknown as KubeObject;
    const { store, deps } = setup(b, failedJob, measuring({ objects: 1, bytes: 1 }));

    // Act
    await advance(msg(b.op), deps);

    // Assess
    const error = store.operations.fail.mock.calls[0]?.[1];
    expect(error?.code).toBe('BACKUP_FAILED');
    expect(error?.message).not.toMatch(/arn:|123456789012/);
  });

  it('retries an unreachable object store, then fails with OBJECT_STORE_UNAVAILABLE', async () => {
    // Prepare
    const b = backupOf('valkey', '8.1.1', 'WAIT_READY');
    const down = measuring(new Error('connect ECONNREFUSED'));
    const first = setup(b, completeJob, down);
    const last = setup(b, completeJob, down);

    // Act
    const retried = await advance(msg(b.op, { attempt: 0 }), first.deps);
    const gaveUp = await advance(msg(b.op, { attempt: 3 }), last.deps);

    // Assess
    expect(retried).toBe('retrying');
    expect(first.requeue).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'retry', attempt: 1 }),
      expect.any(Number),
    );
    expect(gaveUp).toBe('failed');
    expect(last.store.operations.fail.mock.calls[0]?.[1]).toMatchObject({ code: 'OBJECT_STORE_UNAVAILABLE' });
  });

  it('records until when Object Lock keeps the objects, and moves a shorter retention to the end of the lock', async () => {
    // Prepare: a scheduled backup whose retention (6 days from its request) ends before its lock (7 days from its end)
    const b = backupOf('valkey', '8.1.1', 'WAIT_READY');
    const scheduled = {
      ...b,
      backup: { ...b.backup, scheduled: true, expiresAt: '2026-11-28T10:00:00.000Z' },
    };
    const { store, deps } = setup(scheduled, completeJob, measuring({ objects: 1, bytes: 10 }));
    const onDemand = setup(b, completeJob, measuring({ objects: 1, bytes: 10 }));
    const lock = { mode: 'governance' as const, days: 7 };

    // Act
    await advance(msg(b.op), { ...deps, objectLock: lock });
    await advance(msg(b.op), { ...onDemand.deps, objectLock: lock });

    // Assess
    expect(store.operations.completeBackup.mock.calls[0]?.[1]).toMatchObject({
      lockedUntil: '2026-11-29T10:00:00.000Z',
      expiresAt: '2026-11-29T10:00:00.000Z',
    });
    const kept = onDemand.store.operations.completeBackup.mock.calls[0]?.[1];
    expect(kept?.lockedUntil).toBe('2026-11-29T10:00:00.000Z');
    expect(kept?.expiresAt).toBeUndefined();
  });
});
