import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../../local/runtime/control-plane.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  startTestRuntime,
} from '../../helpers/local.js';

/**
 * Backups over HTTP (issue #14): a backup runs as a BACKUP operation through the queue and the
 * provisioner, the Kubernetes stand-in's simulated backup writes its objects to the local object
 * store, DELETE removes them, a new cluster restores from it, and failures end FAILED with a code.
 */
describe('End to end: backups and restore', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;
  let s3: S3Client;
  let bucket: string;

  const settle = (opId: string) => settleOperation(api, opId, 30_000);
  const keysUnder = async (prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key,
    );
  const readyCluster = async (body: Record<string, unknown>) => {
    const created = await api('POST', '/v1/clusters', { region: rt.region, ...body });
    expect(created.status).toBe(202);
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    return created.body.cluster.id as string;
  };

  beforeAll(async () => {
    rt = await startTestRuntime();
    api = apiClient(rt.apiUrl, rt.apiKey);
    bucket = rt.plane.backupBucket(rt.region);
    s3 = localS3Client(rt.plane.endpoints.s3, rt.region);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    s3?.destroy();
    await rt?.stop();
  });

  it('fails a backup whose object store is down with BACKUP_FAILED, and leaves the cluster READY', async () => {
    // Prepare: the bucket is gone (still empty: this test runs first)
    const id = await readyCluster({ name: 'bk-down', engine: 'valkey' });
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    try {
      // Act
      const started = await api('POST', `/v1/clusters/${id}/backups`);
      const done = await settle(started.body.operation.id);

      // Assess
      expect(done.body).toMatchObject({ type: 'BACKUP', status: 'FAILED', error: { code: 'BACKUP_FAILED' } });
      const backup = await api('GET', `/v1/backups/${started.body.backup.id}`);
      expect(backup.body).toMatchObject({ status: 'FAILED', error: { code: 'BACKUP_FAILED' } });
      const cluster = await api('GET', `/v1/clusters/${id}`);
      expect(cluster.body.status).toBe('READY');
      expect(cluster.body.activeOperationId).toBeUndefined();
    } finally {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  }, 90_000);

  it('backs up a Valkey cluster into the object store, lists it, restores it into a new cluster, and deletes it', async () => {
    // Prepare
    const id = await readyCluster({ name: 'bk-valkey', engine: 'valkey', version: '8.0.2' });
    const dry = await api('POST', `/v1/clusters/${id}/backups?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, outcome: 'BACKUP', backup: { status: 'PENDING' } });

    // Act: a backup, with an Idempotency-Key sent twice
    const headers = { 'Idempotency-Key': `bk-${id}` };
    const startedAt = Date.now();
    const started = await api('POST', `/v1/clusters/${id}/backups`, undefined, headers);
    const replayed = await api('POST', `/v1/clusters/${id}/backups`, undefined, headers);
    const busy = await api('PATCH', `/v1/clusters/${id}`, { nodes: 2 });
    const done = await settle(started.body.operation.id);
    // Figures, printed, never asserted (README, "Backups and restore").
    const stored = await rt.store.operations.get(rt.tenantId, started.body.operation.id);
    console.log(
      `backup figures: accepted -> SUCCEEDED seen ${Date.now() - startedAt} ms (100 ms polling); ` +
        `provisioning messages ${(stored?.claim?.seq ?? 0) + 1}; operations 1`,
    );

    // Assess: one BACKUP operation, SUCCEEDED; the backup records where it is and what it was taken from
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/operations/${started.body.operation.id}`);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.backup.id).toBe(started.body.backup.id);
    expect(busy.body.code).toBe('CLUSTER_BUSY');
    expect(done.body).toMatchObject({ type: 'BACKUP', status: 'SUCCEEDED' });
    const backupId = started.body.backup.id as string;
    const backup = (await api('GET', `/v1/backups/${backupId}`)).body;
    expect(backup).toMatchObject({
      status: 'SUCCEEDED',
      engine: 'valkey',
      version: '8.0.2',
      clusterId: id,
      storage: { bucket, prefix: `${rt.tenantId}/${id}/${backupId}/` },
      source: { name: 'bk-valkey', engine: 'valkey', nodes: 1, size: 'small' },
    });
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(Date.parse(backup.endedAt)).toBeGreaterThanOrEqual(Date.parse(backup.startedAt));
    expect(JSON.stringify(backup)).not.toMatch(/secret|password|credential/i);
    expect(await keysUnder(backup.storage.prefix)).toEqual([`${backup.storage.prefix}dump`]);
    const listed = await api('GET', `/v1/clusters/${id}/backups?limit=1`);
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([backupId]);
    expect(listed.body.nextToken).toBeDefined();
    expect((await api('GET', `/v1/clusters/${id}`)).body.status).toBe('READY');
    const events = await rt.bus.waitFor(
      { 'detail-type': ['Backup Status Changed'], detail: { backupId: [backupId] } },
      { count: 3 },
    );
    expect(events.map((e) => e.detail.status)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);

    // Act: restore into a new cluster
    const restored = await api('POST', '/v1/clusters', {
      name: 'bk-valkey-restored',
      engine: 'valkey',
      region: rt.region,
      restoreFrom: { backupId },
    });
    expect(restored.status).toBe(202);
    expect((await settle(restored.body.operation.id)).body.status).toBe('SUCCEEDED');

    // Assess: READY, naming its backup; its pods download the backup before Valkey starts
    const newId = restored.body.cluster.id as string;
    expect((await api('GET', `/v1/clusters/${newId}`)).body).toMatchObject({
      status: 'READY',
      version: '8.0.2',
      restoredFrom: { backupId },
    });
    const sts = rt.kube
      ?.list()
      .find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === `stratus-${newId}`) as
      | { spec: { template: { spec: { initContainers?: Array<{ name: string; env: unknown[] }> } } } }
      | undefined;
    expect(sts?.spec.template.spec.initContainers?.[0]).toMatchObject({
      name: 'restore',
      env: expect.arrayContaining([
        { name: 'RESTORE_URI', value: `s3://${bucket}/${backup.storage.prefix}` },
      ]),
    });

    // Act: delete the backup; the reconciler's next run removes its objects
    const deleted = await api('DELETE', `/v1/backups/${backupId}`);
    const deletingRestore = await api('POST', '/v1/clusters', {
      name: 'bk-valkey-deleting',
      engine: 'valkey',
      region: rt.region,
      restoreFrom: { backupId },
    });
    await rt.triggers.schedules[0]?.runNow();

    // Assess: its objects are gone, the record says DELETED, the list no longer shows it
    expect(deleted.status).toBe(202);
    expect(deleted.body.status).toBe('DELETING');
    expect(deletingRestore.body.code).toBe('BACKUP_NOT_RESTORABLE');
    expect(await keysUnder(backup.storage.prefix)).toEqual([]);
    expect((await api('GET', `/v1/backups/${backupId}`)).body.status).toBe('DELETED');
    expect((await api('GET', `/v1/clusters/${id}/backups`)).body.items).toEqual([]);
    const again = await api('POST', '/v1/clusters', {
      name: 'bk-valkey-again',
      engine: 'valkey',
      region: rt.region,
      restoreFrom: { backupId },
    });
    expect(again.body.code).toBe('BACKUP_NOT_FOUND');
  }, 120_000);

  it('backs up PostgreSQL with a CloudNativePG Backup, restores it to a point in time, and fails a restore whose objects are gone', async () => {
    // Prepare
    const id = await readyCluster({ name: 'bk-pg', engine: 'postgresql' });

    // Act
    const started = await api('POST', `/v1/clusters/${id}/backups`);
    const done = await settle(started.body.operation.id);

    // Assess: the base backup's directory, named by CloudNativePG, holds the objects
    expect(done.body.status).toBe('SUCCEEDED');
    const backupId = started.body.backup.id as string;
    const backup = (await api('GET', `/v1/backups/${backupId}`)).body;
    expect(backup.storage.prefix).toMatch(
      new RegExp(`^${rt.tenantId}/${id}/postgresql/base/\\d{8}T\\d{6}/$`),
    );
    expect(await keysUnder(backup.storage.prefix)).toHaveLength(2);
    const pgCluster = rt.kube
      ?.list()
      .find((o) => o.kind === 'Cluster' && o.metadata.namespace === `stratus-${id}`) as
      | { spec: { backup?: { barmanObjectStore?: { destinationPath: string } } } }
      | undefined;
    expect(pgCluster?.spec.backup?.barmanObjectStore?.destinationPath).toBe(
      `s3://${bucket}/${rt.tenantId}/${id}`,
    );

    // Act: point-in-time validation, then a restore to a moment after the backup
    const future = await api('POST', '/v1/clusters', {
      name: 'bk-pg-future',
      engine: 'postgresql',
      region: rt.region,
      restoreFrom: { backupId, pointInTime: new Date(Date.now() + 3_600_000).toISOString() },
    });
    const before = await api('POST', '/v1/clusters', {
      name: 'bk-pg-before',
      engine: 'postgresql',
      region: rt.region,
      restoreFrom: { backupId, pointInTime: '2020-01-01T00:00:00Z' },
    });
    const otherEngine = await api('POST', '/v1/clusters', {
      name: 'bk-pg-qdrant',
      engine: 'qdrant',
      region: rt.region,
      restoreFrom: { backupId },
    });
    const pointInTime = new Date().toISOString();
    const restored = await api('POST', '/v1/clusters', {
      name: 'bk-pg-restored',
      engine: 'postgresql',
      region: rt.region,
      restoreFrom: { backupId, pointInTime },
    });

    // Assess
    expect(future.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'restoreFrom.pointInTime' }],
    });
    expect(before.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'restoreFrom.pointInTime' }],
    });
    expect(otherEngine.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'engine' }] });
    expect(restored.status).toBe(202);
    expect((await settle(restored.body.operation.id)).body.status).toBe('SUCCEEDED');
    const newId = restored.body.cluster.id as string;
    expect((await api('GET', `/v1/clusters/${newId}`)).body).toMatchObject({
      status: 'READY',
      restoredFrom: { backupId, pointInTime },
    });
    const recovered = rt.kube
      ?.list()
      .find((o) => o.kind === 'Cluster' && o.metadata.namespace === `stratus-${newId}`) as
      | { spec: { bootstrap: Record<string, unknown>; externalClusters: unknown[] } }
      | undefined;
    expect(recovered?.spec.bootstrap).toEqual({
      recovery: expect.objectContaining({ source: 'origin', recoveryTarget: { targetTime: pointInTime } }),
    });
    expect(recovered?.spec.externalClusters).toEqual([
      expect.objectContaining({
        name: 'origin',
        barmanObjectStore: expect.objectContaining({
          destinationPath: `s3://${bucket}/${rt.tenantId}/${id}`,
        }),
      }),
    ]);

    // Act: the base backup's objects vanish behind Stratus's back (not through the API)
    const keys = await keysUnder(backup.storage.prefix);
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
    const orphaned = await api('POST', '/v1/clusters', {
      name: 'bk-pg-nothing',
      engine: 'postgresql',
      region: rt.region,
      restoreFrom: { backupId },
    });

    // Assess: CloudNativePG cannot recover: the CREATE fails with a clear code, and cleans up
    const failed = await settle(orphaned.body.operation.id);
    expect(failed.body).toMatchObject({ status: 'FAILED', error: { code: 'NOT_READY' } });
  }, 120_000);

  it('refuses a point in time for an engine that restores whole snapshots, and a backup of a busy cluster', async () => {
    // Prepare
    const id = await readyCluster({ name: 'bk-refused', engine: 'valkey' });
    const started = await api('POST', `/v1/clusters/${id}/backups`);

    // Act
    const second = await api('POST', `/v1/clusters/${id}/backups`);
    await settle(started.body.operation.id);
    const pitr = await api('POST', '/v1/clusters', {
      name: 'bk-refused-pitr',
      engine: 'valkey',
      region: rt.region,
      restoreFrom: { backupId: started.body.backup.id, pointInTime: new Date().toISOString() },
    });
    const unknown = await api('GET', '/v1/backups/bk-00000000000000000000000000');

    // Assess
    expect(second.body).toMatchObject({ code: 'CLUSTER_BUSY', operationId: started.body.operation.id });
    expect(pitr.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'restoreFrom.pointInTime' }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('BACKUP_NOT_FOUND');
  }, 90_000);

  it('fires a due schedule through the reconciler, and deletes the backup once its retention passed', async () => {
    // Prepare: an hourly schedule (a schedule more frequent than hourly is refused)
    const tooOften = await api('POST', '/v1/clusters', {
      name: 'bk-often',
      engine: 'valkey',
      region: rt.region,
      backup: { schedule: '*/5 * * * *', retentionDays: 7 },
    });
    const id = await readyCluster({
      name: 'bk-scheduled',
      engine: 'valkey',
      backup: { schedule: '0 * * * *', retentionDays: 7 },
    });
    const before = (await api('GET', `/v1/clusters/${id}`)).body;
    const patched = await api('PATCH', `/v1/clusters/${id}`, {
      backup: { schedule: '15 */2 * * *', retentionDays: 3 },
    });
    const reconciler = rt.triggers.schedules[0];
    const table = rt.store.table;
    const past = new Date(Date.now() - 60_000).toISOString();
    // As if the next run's time had come: the item and its sparse index entry.
    await table.db.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: `TENANT#${rt.tenantId}`, sk: `CLUSTER#${id}` },
        UpdateExpression: 'SET backupPolicy.nextBackupAt = :past, gsi2sk = :sk',
        ExpressionAttributeValues: { ':past': past, ':sk': `${past}#${id}` },
      }),
    );

    // Act: the reconciler's run fires it
    await reconciler?.runNow();
    const ops = await eventually(
      () => api('GET', `/v1/clusters/${id}/operations`),
      (r) => r.body.items.some((o: { type: string }) => o.type === 'BACKUP'),
    );
    const op = ops.body.items.find((o: { type: string }) => o.type === 'BACKUP');
    const done = await settle(op.id);

    // Assess: a scheduled backup with its expiry, and the next run moved on
    expect(tooOften.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'backup.schedule' }] });
    expect(before.backup).toMatchObject({ schedule: '0 * * * *', retentionDays: 7 });
    expect(before.backup.nextBackupAt).toMatch(/:00:00\.000Z$/);
    expect(patched.status).toBe(200);
    expect(patched.body.backup).toMatchObject({ schedule: '15 */2 * * *', retentionDays: 3 });
    expect(done.body.status).toBe('SUCCEEDED');
    const [scheduled] = (await api('GET', `/v1/clusters/${id}/backups`)).body.items;
    expect(scheduled).toMatchObject({ status: 'SUCCEEDED', scheduled: true, operationId: op.id });
    expect(Date.parse(scheduled.expiresAt) - Date.parse(scheduled.createdAt)).toBe(3 * 24 * 3600 * 1000);
    expect(Date.parse((await api('GET', `/v1/clusters/${id}`)).body.backup.nextBackupAt)).toBeGreaterThan(
      Date.now(),
    );
    expect(await keysUnder(scheduled.storage.prefix)).toHaveLength(1);

    // Act: its retention passes
    await table.db.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: `TENANT#${rt.tenantId}`, sk: `BACKUP#${scheduled.id}` },
        UpdateExpression: 'SET expiresAt = :past, gsi2sk = :sk',
        ExpressionAttributeValues: { ':past': past, ':sk': `${past}#${scheduled.id}` },
      }),
    );
    await reconciler?.runNow();

    // Assess: deleted by the pipeline, objects and all; the schedule can be turned off
    expect((await api('GET', `/v1/backups/${scheduled.id}`)).body.status).toBe('DELETED');
    expect(await keysUnder(scheduled.storage.prefix)).toEqual([]);
    const off = await api('PATCH', `/v1/clusters/${id}`, { backup: null });
    expect(off.status).toBe(200);
    expect(off.body.backup).toBeUndefined();
  }, 120_000);
});
