import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { BackupObjectsLockedError, s3BackupObjects } from '../../../functions/shared/backup-objects.js';
import { assertDeletable, type BackupRecord, planBackup } from '../../../functions/shared/domain/backups.js';
import { backupPolicyOf } from '../../../functions/shared/domain/plan.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { ProblemError, ValidationError } from '../../../functions/shared/errors.js';
import { isLocked, lockedUntil, objectLockEnv } from '../../../functions/shared/object-lock.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');

const cluster: ClusterRecord = {
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'cache',
  engine: 'valkey',
  version: '8.1.1',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
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
};

const succeeded = (over: Partial<BackupRecord> = {}): BackupRecord => ({
  ...planBackup(cluster, {
    tenantId: 'tn-1',
    regions: ['eu-west-1'],
    apiRegion: 'eu-west-1',
    controllers: {},
    correlationId: 'corr-1',
    now: NOW,
    requestedBy: 'key-1',
    backupBucket: 'bucket',
  }).backup,
  status: 'SUCCEEDED',
  endedAt: NOW.toISOString(),
  ...over,
});

const problemCode = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) {
      const issues = e.extensions.errors as Array<{ path: string }>;
      return `VALIDATION ${issues.map((i) => i.path).join(',')}`;
    }
    if (e instanceof ProblemError) return e.code;
    throw e;
  }
  return 'none';
};

describe('Function: objectLockEnv', () => {
  const parse = (raw: string | undefined) => z.object({ v: objectLockEnv }).safeParse({ v: raw });

  it('reads the lock, or none from an empty variable', () => {
    // Assess
    expect(parse('{"mode":"compliance","days":30}').data?.v).toEqual({ mode: 'compliance', days: 30 });
    expect(parse('').data?.v).toBeUndefined();
    expect(parse(undefined).data?.v).toBeUndefined();
  });

  it('refuses a lock S3 would not take', () => {
    // Assess
    expect(parse('{"mode":"legal","days":30}').success).toBe(false);
    expect(parse('{"mode":"governance","days":0}').success).toBe(false);
    expect(parse('not json').success).toBe(false);
  });
});

describe('Function: lockedUntil', () => {
  it('is the end of the backup plus the lock days, and locks until then only', () => {
    // Act
    const until = lockedUntil(NOW, { mode: 'governance', days: 7 });

    // Assess
    expect(until).toBe('2026-11-29T10:00:00.000Z');
    expect(isLocked({ lockedUntil: until }, new Date('2026-11-29T09:59:59.000Z'))).toBe(true);
    expect(isLocked({ lockedUntil: until }, new Date('2026-11-29T10:00:00.000Z'))).toBe(false);
    expect(isLocked({}, NOW)).toBe(false);
  });
});

describe('Function: assertDeletable (Object Lock)', () => {
  it('refuses a locked backup with BACKUP_LOCKED, naming the time, and allows it once the lock passed', () => {
    // Prepare
    const backup = succeeded({ lockedUntil: '2026-11-29T10:00:00.000Z' });

    // Act
    let refused: ProblemError | undefined;
    try {
      assertDeletable(backup, 'eu-west-1', NOW);
    } catch (e) {
      refused = e as ProblemError;
    }

    // Assess
    expect(refused?.code).toBe('BACKUP_LOCKED');
    expect(refused?.message).toContain('2026-11-29T10:00:00.000Z');
    expect(problemCode(() => assertDeletable(backup, 'eu-west-1', new Date('2026-11-30T00:00:00Z')))).toBe(
      'none',
    );
    expect(problemCode(() => assertDeletable(succeeded(), 'eu-west-1', NOW))).toBe('none');
  });
});

describe('Function: backupPolicyOf (Object Lock)', () => {
  it('refuses a retention shorter than the lock, on backup.retentionDays, and takes one as long', () => {
    // Assess
    expect(
      problemCode(() => backupPolicyOf({ schedule: '0 3 * * *', retentionDays: 6 }, NOW, 'valkey', 7)),
    ).toBe('VALIDATION backup.retentionDays');
    expect(backupPolicyOf({ schedule: '0 3 * * *', retentionDays: 7 }, NOW, 'valkey', 7).retentionDays).toBe(
      7,
    );
    expect(backupPolicyOf({ schedule: '0 3 * * *', retentionDays: 1 }, NOW, 'valkey').retentionDays).toBe(1);
  });
});

describe('Function: s3BackupObjects (Object Lock)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'p/a' }, { Key: 'p/b' }] });
  });

  it('reports objects S3 keeps for their lock as locked, not as a failure', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [
        {
          Key: 'p/a',
          Code: 'AccessDenied',
          Message: 'Access Denied because object protected by object lock.',
        },
        {
          Key: 'p/b',
          Code: 'AccessDenied',
          Message: 'Access Denied because object protected by object lock.',
        },
      ],
    });

    // Act
    const error = await s3BackupObjects(new S3Client({ region: 'eu-west-1' }))
      .remove({ bucket: 'b', prefix: 'p/' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(BackupObjectsLockedError);
    expect((error as BackupObjectsLockedError).locked).toBe(2);
  });

  it('still fails on any other refusal', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'p/a', Code: 'AccessDenied', Message: 'Access Denied' }],
    });

    // Act
    const error = await s3BackupObjects(new S3Client({ region: 'eu-west-1' }))
      .remove({ bucket: 'b', prefix: 'p/' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BackupObjectsLockedError);
  });
});
