import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config.js';
import {
  type LocalControlPlane,
  type LocalRegion,
  localS3Client,
  startLocalControlPlane,
} from '../../../local/runtime/control-plane.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  sharedDynamoOption,
  shippedConfig,
} from '../../helpers/local.js';

/**
 * Restores across regions over the wire (issue #14): eu-west-1 copies its backups to us-east-1
 * (`backupCopyTo`), the local S3 replication (local/runtime/backup-replicator.ts) copies each
 * backup's objects to us-east-1's copy bucket after a lag, and a cluster created in us-east-1 from
 * an eu-west-1 backup restores from the copy.
 */
const A = 'eu-west-1';
const B = 'us-east-1';

describe('Cross-region restore from a backup copy', () => {
  let cp: LocalControlPlane;
  let a: LocalRegion;
  let b: LocalRegion;
  let s3: S3Client;
  const apiIn = (r: LocalRegion) => apiClient(r.apiUrl, cp.apiKey);
  const keysIn = async (bucket: string, prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key ?? '')
      .sort();

  /** A READY cluster in eu-west-1 and a SUCCEEDED backup of it, known to both regions. */
  const backedUp = async (name: string, engine: string) => {
    const created = await apiIn(a)('POST', '/v1/clusters', { name, engine, region: A });
    expect(created.status).toBe(202);
    expect((await settleOperation(apiIn(a), created.body.operation.id, 30_000)).body.status).toBe(
      'SUCCEEDED',
    );
    const started = await apiIn(a)('POST', `/v1/clusters/${created.body.cluster.id}/backups`);
    expect(started.status).toBe(202);
    expect((await settleOperation(apiIn(a), started.body.operation.id, 30_000)).body.status).toBe(
      'SUCCEEDED',
    );
    await cp.replication?.flush();
    const backup = (await apiIn(a)('GET', `/v1/backups/${started.body.backup.id}`)).body;
    return backup as { id: string; storage: { bucket: string; prefix: string } };
  };

  beforeAll(async () => {
    const shipped = shippedConfig();
    cp = await startLocalControlPlane({
      config: parseConfig({
        ...shipped,
        regions: shipped.regions.map((r) => (r.region === A ? { ...r, backupCopyTo: B } : r)),
      }),
      regions: [A, B],
      readinessDelayMs: 0,
      pollBaseSeconds: 1,
      // Long enough to see a backup that is not copied yet; the tests flush when they want it.
      backupReplication: { lagMs: 60_000, intervalMs: 100 },
      ...sharedDynamoOption(),
    });
    a = cp.region(A);
    b = cp.region(B);
    s3 = localS3Client(cp.endpoints.s3, A);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    s3?.destroy();
    await cp?.stop();
  }, 60_000);

  it("restores a Valkey backup of eu-west-1 into a new cluster in us-east-1, from us-east-1's copy", async () => {
    // Prepare
    const backup = await backedUp('copied-valkey', 'valkey');
    const copies = cp.backupCopiesBucket(B);

    // Act: the replication catches up, then the restore is created in us-east-1
    const before = await keysIn(copies, backup.storage.prefix);
    await cp.backupReplication.flush();
    const after = await keysIn(copies, backup.storage.prefix);
    const restored = await apiIn(b)('POST', '/v1/clusters', {
      name: 'copied-valkey-restored',
      engine: 'valkey',
      region: B,
      restoreFrom: { backupId: backup.id },
    });
    const done = await settleOperation(apiIn(b), restored.body.operation.id, 30_000);

    // Assess: the copy holds the backup's objects under the same keys, and the new cluster, READY
    // in us-east-1, restored from it
    expect(backup.storage.bucket).toBe(cp.backupBucket(A));
    expect(before).toEqual([]);
    expect(after).toEqual(await keysIn(backup.storage.bucket, backup.storage.prefix));
    expect(after).toEqual([`${backup.storage.prefix}dump`]);
    expect(restored.status).toBe(202);
    expect(restored.body.cluster).toMatchObject({
      region: B,
      restoredFrom: { backupId: backup.id, copiedFrom: A },
    });
    expect(done.body.status).toBe('SUCCEEDED');
    const id = restored.body.cluster.id as string;
    expect((await apiIn(b)('GET', `/v1/clusters/${id}`)).body.status).toBe('READY');
    const sts = b.kube
      ?.list()
      .find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === `stratus-${id}`) as
      | { spec: { template: { spec: { initContainers?: Array<{ name: string; env: unknown[] }> } } } }
      | undefined;
    expect(sts?.spec.template.spec.initContainers?.[0]?.env).toContainEqual({
      name: 'RESTORE_URI',
      value: `s3://${copies}/${backup.storage.prefix}`,
    });
  }, 120_000);

  it('fails a restore whose backup is not copied yet with NOT_READY, and succeeds once it is', async () => {
    // Prepare: a PostgreSQL backup (CloudNativePG says at once that it finds no backup to recover)
    const backup = await backedUp('copied-pg', 'postgresql');
    const restore = (name: string) =>
      apiIn(b)('POST', '/v1/clusters', {
        name,
        engine: 'postgresql',
        region: B,
        restoreFrom: { backupId: backup.id },
      });

    // Act
    const early = await restore('copied-pg-early');
    const failed = await settleOperation(apiIn(b), early.body.operation.id, 30_000);
    await cp.backupReplication.flush();
    const later = await restore('copied-pg-later');
    const succeeded = await settleOperation(apiIn(b), later.body.operation.id, 30_000);

    // Assess
    expect(early.status).toBe(202);
    expect(failed.body).toMatchObject({ status: 'FAILED', error: { code: 'NOT_READY' } });
    expect(await keysIn(cp.backupCopiesBucket(B), backup.storage.prefix)).toEqual(
      await keysIn(backup.storage.bucket, backup.storage.prefix),
    );
    expect(succeeded.body.status).toBe('SUCCEEDED');
  }, 120_000);

  it('refuses a restore into eu-west-1 of a us-east-1 backup (no copy that way) with 400 on region', async () => {
    // Prepare: a backup in us-east-1, which copies nowhere
    const created = await apiIn(b)('POST', '/v1/clusters', { name: 'uncopied', engine: 'valkey', region: B });
    await settleOperation(apiIn(b), created.body.operation.id, 30_000);
    const started = await apiIn(b)('POST', `/v1/clusters/${created.body.cluster.id}/backups`);
    expect((await settleOperation(apiIn(b), started.body.operation.id, 30_000)).body.status).toBe(
      'SUCCEEDED',
    );
    await cp.replication?.flush();

    // Act
    const refused = await apiIn(a)('POST', '/v1/clusters', {
      name: 'uncopied-restored',
      engine: 'valkey',
      region: A,
      restoreFrom: { backupId: started.body.backup.id },
    });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(refused.body)).toContain(`holds no copies of its backups`);
  }, 120_000);

  it("deletes a backup's copy when the backup's objects are deleted (deletions replicate)", async () => {
    // Prepare
    const backup = await backedUp('copied-deleted', 'valkey');
    await cp.backupReplication.flush();
    const copied = await keysIn(cp.backupCopiesBucket(B), backup.storage.prefix);

    // Act: the backup is deleted; the reconciler removes its objects, the replication their copies
    const deleted = await apiIn(a)('DELETE', `/v1/backups/${backup.id}`);
    await eventually(
      async () => {
        await a.triggers.schedules[0]?.runNow();
        return keysIn(backup.storage.bucket, backup.storage.prefix);
      },
      (keys) => keys.length === 0,
      30_000,
    );
    await cp.backupReplication.flush();

    // Assess
    expect(copied).toEqual([`${backup.storage.prefix}dump`]);
    expect(deleted.status).toBe(202);
    expect(await keysIn(cp.backupCopiesBucket(B), backup.storage.prefix)).toEqual([]);
  }, 120_000);
});
