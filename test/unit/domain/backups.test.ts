import { describe, expect, it } from 'vitest';
import {
  type BackupRecord,
  planBackup,
  planRestore,
  restoreAcrossRegions,
} from '../../../functions/shared/domain/backups.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const ctx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1', 'us-east-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
  backupBucket: 'stratus-test-backups',
};

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'pg',
  engine: 'postgresql',
  version: '16.9',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 1,
  sizeName: 'medium',
  size: SIZES.medium,
  settings: { database: 'app', owner: 'app', maxConnections: 100 },
  deletionProtection: false,
  status: 'READY',
  generation: 4,
  observedGeneration: 4,
  statusVersion: 3,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

const backup = (over: Partial<BackupRecord> = {}): BackupRecord => {
  const { backup: b } = planBackup(cluster({ engine: 'valkey', version: '8.0.2', settings: {} }), ctx);
  return { ...b, status: 'SUCCEEDED', endedAt: '2026-11-22T10:05:00.000Z', ...over };
};

describe('Function: planBackup', () => {
  it('holds the cluster with a BACKUP operation and records a PENDING backup of its spec, with no credentials', () => {
    // Act
    const plan = planBackup(cluster(), ctx);

    // Assess
    expect(plan.operation).toMatchObject({
      type: 'BACKUP',
      status: 'QUEUED',
      backupId: plan.backup.backupId,
    });
    expect(plan.cluster).toMatchObject({
      status: 'READY',
      activeOperationId: plan.operation.operationId,
      backupStore: { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-01jd8w0000000000000000000a/' },
    });
    expect(plan.backup).toMatchObject({
      status: 'PENDING',
      engine: 'postgresql',
      version: '16.9',
      operationId: plan.operation.operationId,
      storage: { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-01jd8w0000000000000000000a/postgresql/' },
      source: { name: 'pg', nodes: 1, size: 'medium', generation: 4 },
    });
    expect(plan.backup.backupId).toMatch(/^bk-[0-9a-z]{26}$/);
    expect(Date.parse(plan.operation.deadline) - NOW.getTime()).toBe(60 * 60 * 1000);
  });

  it('keeps the backup store the cluster already has', () => {
    // Act
    const store = { bucket: 'older-bucket', prefix: 'tn-1/cl-x/' };
    const plan = planBackup(cluster({ backupStore: store }), ctx);

    // Assess
    expect(plan.backup.clusterStore).toEqual(store);
  });

  it.each([
    ['a busy cluster', cluster({ activeOperationId: 'op-1' }), ctx, 'CLUSTER_BUSY'],
    ['a cluster that is not READY', cluster({ status: 'FAILED' }), ctx, 'CLUSTER_NOT_READY'],
    ['another region', cluster({ homeRegion: 'us-east-1' }), ctx, 'WRONG_REGION'],
    ['a region without a bucket', cluster(), { ...ctx, backupBucket: undefined }, 'BACKUPS_NOT_CONFIGURED'],
  ])('refuses %s', (_what, c, context, expected) => {
    expect(code(() => planBackup(c, context))).toBe(expected);
  });
});

describe('Function: planRestore', () => {
  it('restores a SUCCEEDED backup at its version, from its objects', () => {
    // Act
    const b = backup();
    const plan = planRestore(b, { engine: 'valkey' }, NOW);

    // Assess
    expect(plan).toEqual({
      version: '8.0.2',
      source: {
        backupId: b.backupId,
        clusterId: b.clusterId,
        storage: b.storage,
        sourceStore: b.clusterStore,
      },
    });
  });

  it.each([
    ['a missing backup', undefined, { engine: 'valkey' }, 'BACKUP_NOT_FOUND'],
    ['a deleted backup', backup({ status: 'DELETED' }), { engine: 'valkey' }, 'BACKUP_NOT_FOUND'],
    ['a failed backup', backup({ status: 'FAILED' }), { engine: 'valkey' }, 'BACKUP_NOT_RESTORABLE'],
    ['another engine', backup(), { engine: 'postgresql' }, 'VALIDATION_FAILED'],
    ['another version', backup(), { engine: 'valkey', version: '8.1.1' }, 'VALIDATION_FAILED'],
    [
      'a point in time for valkey',
      backup(),
      { engine: 'valkey', pointInTime: '2026-11-22T10:06:00.000Z' },
      'VALIDATION_FAILED',
    ],
  ])('refuses %s', (_what, b, req, expected) => {
    expect(code(() => planRestore(b, req, NOW))).toBe(expected);
  });

  it('accepts a PostgreSQL point in time between the end of the backup and now, only', () => {
    // Prepare
    const { backup: pg } = planBackup(cluster(), ctx);
    const done = { ...pg, status: 'SUCCEEDED' as const, endedAt: '2026-11-22T09:00:00.000Z' };
    const at = (pointInTime: string) => () => planRestore(done, { engine: 'postgresql', pointInTime }, NOW);

    // Assess
    expect(at('2026-11-22T09:30:00+00:00')().source.pointInTime).toBe('2026-11-22T09:30:00.000Z');
    expect(code(at('2026-11-22T08:59:59.000Z'))).toBe('VALIDATION_FAILED');
    expect(code(at('2026-11-22T10:00:01.000Z'))).toBe('VALIDATION_FAILED');
  });

  it("refuses a restore of an engine whose backups Stratus does not restore, and takes Qdrant's", () => {
    // Prepare
    const { backup: q } = planBackup(cluster({ engine: 'qdrant', version: '1.15.5', settings: {} }), ctx);
    const qdrant = { ...q, status: 'SUCCEEDED' as const };
    // A backup record of an engine that declares no backups (MongoDB): nothing restores it.
    const mongodb = {
      ...qdrant,
      engine: 'mongodb',
      version: '8.0.4',
      source: { ...q.source, engine: 'mongodb' },
    };

    // Assess
    expect(code(() => planRestore(mongodb, { engine: 'mongodb' }, NOW))).toBe('VALIDATION_FAILED');
    expect(planRestore(qdrant, { engine: 'qdrant' }, NOW).version).toBe('1.15.5');
  });
});

describe('Function: restoreAcrossRegions', () => {
  const source = {
    backupId: 'bk-1',
    clusterId: 'cl-1',
    storage: { bucket: 'stratus-prod-backups-eu', prefix: 'tn-1/cl-1/bk-1/' },
    sourceStore: { bucket: 'stratus-prod-backups-eu', prefix: 'tn-1/cl-1/' },
  };
  const copies = { 'eu-west-1': 'stratus-prod-backup-copies-123456789012-us-east-1' };

  it('reads a backup of another region from the copy held here, under the same keys', () => {
    expect(restoreAcrossRegions(source, { region: 'eu-west-1' }, 'us-east-1', copies)).toEqual({
      ...source,
      storage: { bucket: copies['eu-west-1'], prefix: 'tn-1/cl-1/bk-1/' },
      sourceStore: { bucket: copies['eu-west-1'], prefix: 'tn-1/cl-1/' },
      copiedFrom: 'eu-west-1',
    });
  });

  it('leaves a same-region restore alone, and refuses another region without a copy (400 on region)', () => {
    expect(restoreAcrossRegions(source, { region: 'us-east-1' }, 'us-east-1', {})).toBe(source);
    let error: unknown;
    try {
      restoreAcrossRegions(source, { region: 'eu-west-1' }, 'us-east-1', {});
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      extensions: { errors: [{ path: 'region', message: expect.stringMatching(/backupCopyTo: us-east-1/) }] },
    });
  });
});
