import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../functions/shared/domain/backups.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import {
  newRestoreTest,
  planScratchCluster,
  RESTORE_TEST_DEADLINE_MS,
  restoreTestOutcome,
  scratchName,
} from '../../../functions/shared/domain/restore-tests.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const backup: BackupRecord = {
  tenantId: 'tn-1',
  backupId: 'bk-01jd8w0000000000000000000b',
  clusterId: 'cl-01jd8w0000000000000000000a',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  engine: 'valkey',
  version: '8.0.2',
  status: 'SUCCEEDED',
  statusVersion: 3,
  operationId: 'op-1',
  storage: { bucket: 'b', prefix: 'tn-1/cl-1/bk-1/' },
  clusterStore: { bucket: 'b', prefix: 'tn-1/cl-1/' },
  source: {
    name: 'cache',
    engine: 'valkey',
    version: '8.0.2',
    nodes: 3,
    size: 'medium',
    settings: {},
    generation: 2,
  },
  scheduled: true,
  restoreTest: true,
  endedAt: NOW.toISOString(),
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
};
const test = {
  ...newRestoreTest(backup, 'corr-1', NOW.toISOString()),
  status: 'RUNNING' as const,
  startedAt: NOW.toISOString(),
};
const op = (over: Partial<OperationRecord>) => ({ status: 'RUNNING', ...over }) as OperationRecord;
const cluster = (over: Partial<ClusterRecord>) => ({ status: 'PROVISIONING', ...over }) as ClusterRecord;

describe('Restore tests', () => {
  it('plan a one-node scratch cluster of the backed-up size, restoring the backup, marked and named after it', () => {
    const { cluster: c, operation } = planScratchCluster(test, backup, { homeRegion: 'eu-west-1', now: NOW });
    expect(c).toMatchObject({
      name: scratchName(backup.backupId),
      nodes: 1,
      sizeName: 'medium',
      version: '8.0.2',
      restoreTestOf: backup.backupId,
      restoreFrom: { backupId: backup.backupId, storage: backup.storage },
      deletionProtection: false,
    });
    expect(c.name).toMatch(/^rt-[0-9a-z]{26}$/);
    expect(operation).toMatchObject({ type: 'CREATE', requestedBy: 'restore-test', correlationId: 'corr-1' });
  });

  it('refuse a backup that is no longer restorable with the API code', () => {
    const code = (b: BackupRecord | undefined) => {
      try {
        planScratchCluster(test, b, { homeRegion: 'eu-west-1', now: NOW });
        return 'none';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(undefined)).toBe('BACKUP_NOT_FOUND');
    expect(code({ ...backup, status: 'DELETING' })).toBe('BACKUP_NOT_RESTORABLE');
  });

  it('conclude from the scratch CREATE: SUCCEEDED, its failure code, interrupted, timed out, or not yet', () => {
    const later = new Date(NOW.getTime() + 60_000);
    expect(restoreTestOutcome(test, op({ status: 'RUNNING' }), cluster({}), later)).toBeUndefined();
    expect(
      restoreTestOutcome(test, op({ status: 'SUCCEEDED' }), cluster({ status: 'READY' }), later),
    ).toEqual({
      status: 'SUCCEEDED',
    });
    expect(
      restoreTestOutcome(
        test,
        op({ status: 'FAILED', error: { code: 'NOT_READY', message: 'x' } }),
        cluster({ status: 'FAILED' }),
        later,
      ),
    ).toMatchObject({ status: 'FAILED', error: { code: 'NOT_READY' } });
    expect(restoreTestOutcome(test, op({}), cluster({ status: 'DELETING' }), later)).toMatchObject({
      error: { code: 'RESTORE_TEST_INTERRUPTED' },
    });
    expect(restoreTestOutcome(test, undefined, undefined, later)).toMatchObject({
      error: { code: 'RESTORE_TEST_INTERRUPTED' },
    });
    const tooLate = new Date(NOW.getTime() + RESTORE_TEST_DEADLINE_MS + 1);
    expect(restoreTestOutcome(test, op({}), cluster({}), tooLate)).toMatchObject({
      error: { code: 'RESTORE_TEST_TIMEOUT' },
    });
  });
});
