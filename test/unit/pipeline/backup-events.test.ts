import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../functions/shared/domain/backups.js';
import { EVENT_CATALOG } from '../../../functions/shared/events/catalog.js';
import { backupItem } from '../../../functions/shared/store/store.js';
import { statusEventOf } from '../../../functions/status-publisher/events.js';

const backup = (over: Partial<BackupRecord> = {}): BackupRecord => ({
  tenantId: 'tn-1',
  backupId: 'bk-01jd8w0000000000000000000b',
  clusterId: 'cl-01jd8w0000000000000000000a',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  engine: 'valkey',
  version: '8.1.1',
  status: 'RUNNING',
  statusVersion: 2,
  operationId: 'op-1',
  storage: { bucket: 'b', prefix: 'tn-1/cl-1/bk-1/' },
  clusterStore: { bucket: 'b', prefix: 'tn-1/cl-1/' },
  source: {
    name: 'cache',
    engine: 'valkey',
    version: '8.1.1',
    nodes: 1,
    size: 'small',
    settings: {},
    generation: 1,
  },
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:01.000Z',
  ...over,
});

describe('Function: statusEventOf (backups)', () => {
  it('publishes a Backup Status Changed per status change, with a stable id and no credentials', () => {
    // Act
    const ev = statusEventOf(
      backupItem(backup()),
      backupItem(
        backup({
          status: 'SUCCEEDED',
          statusVersion: 3,
          sizeBytes: 4096,
          endedAt: '2026-11-22T10:00:05.000Z',
        }),
      ),
    );

    // Assess
    expect(ev?.detailType).toBe('Backup Status Changed');
    expect(ev?.detail).toMatchObject({
      eventId: 'bk-01jd8w0000000000000000000b/3',
      previousStatus: 'RUNNING',
      status: 'SUCCEEDED',
      sizeBytes: 4096,
      storage: { bucket: 'b', prefix: 'tn-1/cl-1/bk-1/' },
      operationId: 'op-1',
    });
    expect(EVENT_CATALOG['Backup Status Changed'].schema.safeParse(ev?.detail).success).toBe(true);
  });

  it('publishes the creation (no previous image) and nothing for a change without a new status', () => {
    // Assess
    expect(
      statusEventOf(undefined, backupItem(backup({ status: 'PENDING', statusVersion: 1 })))?.detail,
    ).toMatchObject({ previousStatus: null, status: 'PENDING' });
    expect(
      statusEventOf(backupItem(backup()), backupItem(backup({ updatedAt: '2026-11-22T10:00:02.000Z' }))),
    ).toBe(undefined);
  });
});
