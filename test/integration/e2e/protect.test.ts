import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config.js';
import { localS3Client } from '../../../local/runtime/control-plane.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  shippedConfig,
  startTestRuntime,
} from '../../helpers/local.js';

const LOCK_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Data protection over HTTP (issue #14), on a control plane whose backup buckets have Object
 * Lock (`backupObjectLock`, governance, 7 days): schedules keep backups at least as long, a locked
 * backup cannot be deleted, and retention waits for the lock instead of failing.
 */
describe('End to end: data protection', () => {
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
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    return created.body.cluster.id as string;
  };
  const backUp = async (clusterId: string) => {
    const started = await api('POST', `/v1/clusters/${clusterId}/backups`);
    expect(started.status).toBe(202);
    expect((await settle(started.body.operation.id)).body.status).toBe('SUCCEEDED');
    return (await api('GET', `/v1/backups/${started.body.backup.id}`)).body;
  };
  /** Sets attributes of a backup item, and its expiry index entry, as time passing would. */
  const age = async (backupId: string, set: { expiresAt?: string; lockedUntil?: string }) => {
    const names = Object.keys(set);
    const expression = names.map((n) => `${n} = :${n}`);
    if (set.expiresAt) expression.push('gsi2pk = :pk, gsi2sk = :sk');
    await rt.store.table.db.send(
      new UpdateCommand({
        TableName: rt.store.table.name,
        Key: { pk: `TENANT#${rt.tenantId}`, sk: `BACKUP#${backupId}` },
        UpdateExpression: `SET ${expression.join(', ')}`,
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n) => [`:${n}`, set[n as keyof typeof set]])),
          ...(set.expiresAt
            ? { ':pk': `BACKUPEXPIRY#${rt.region}`, ':sk': `${set.expiresAt}#${backupId}` }
            : {}),
        },
      }),
    );
  };

  beforeAll(async () => {
    const shipped = shippedConfig();
    rt = await startTestRuntime({
      config: parseConfig({ ...shipped, backupObjectLock: { mode: 'governance', days: LOCK_DAYS } }),
    });
    api = apiClient(rt.apiUrl, rt.apiKey);
    bucket = rt.plane.backupBucket(rt.region);
    s3 = localS3Client(rt.plane.endpoints.s3, rt.region);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    s3?.destroy();
    await rt?.stop();
  });

  describe('Object Lock', () => {
    it('refuses a schedule that would delete backups before their lock ends, and takes one as long', async () => {
      // Act
      const short = await api('POST', '/v1/clusters', {
        name: 'lock-short',
        engine: 'valkey',
        region: rt.region,
        backup: { schedule: '0 3 * * *', retentionDays: LOCK_DAYS - 1 },
      });
      const id = await readyCluster({ name: 'lock-sched', engine: 'valkey' });
      const patchShort = await api('PATCH', `/v1/clusters/${id}`, {
        backup: { schedule: '0 3 * * *', retentionDays: 1 },
      });
      const patchLong = await api('PATCH', `/v1/clusters/${id}`, {
        backup: { schedule: '0 3 * * *', retentionDays: LOCK_DAYS },
      });

      // Assess
      for (const refused of [short, patchShort]) {
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ path: 'backup.retentionDays' }],
        });
        expect(refused.body.errors[0].message).toContain(`at least ${LOCK_DAYS}`);
      }
      expect(patchLong.status).toBe(200);
      expect(patchLong.body.backup).toMatchObject({ retentionDays: LOCK_DAYS });
    }, 90_000);

    it('records until when a backup is locked, and refuses its deletion until then with 409 BACKUP_LOCKED', async () => {
      // Prepare
      const id = await readyCluster({ name: 'lock-del', engine: 'valkey' });
      const backup = await backUp(id);

      // Act
      const refused = await api('DELETE', `/v1/backups/${backup.id}`);

      // Assess
      expect(Date.parse(backup.lockedUntil) - Date.parse(backup.endedAt)).toBe(LOCK_DAYS * DAY_MS);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'BACKUP_LOCKED', lockedUntil: backup.lockedUntil });
      expect((await api('GET', `/v1/backups/${backup.id}`)).body.status).toBe('SUCCEEDED');
      expect(await keysUnder(backup.storage.prefix)).not.toHaveLength(0);

      // Act: the lock has passed
      await age(backup.id, { lockedUntil: new Date(Date.now() - 1000).toISOString() });
      const accepted = await api('DELETE', `/v1/backups/${backup.id}`);

      // Assess
      expect(accepted.status).toBe(202);
      expect(accepted.body.status).toBe('DELETING');
    }, 90_000);

    it('defers an expired backup whose lock has not ended, and deletes it once the lock passed', async () => {
      // Prepare: a backup whose retention passed while its objects are still locked
      const id = await readyCluster({ name: 'lock-exp', engine: 'valkey' });
      const backup = await backUp(id);
      const reconciler = rt.triggers.schedules[0];
      await age(backup.id, { expiresAt: new Date(Date.now() - 60_000).toISOString() });

      // Act
      await reconciler?.runNow();

      // Assess: kept, objects and all, its deletion moved to the end of its lock
      const kept = await api('GET', `/v1/backups/${backup.id}`);
      expect(kept.body.status).toBe('SUCCEEDED');
      expect(await keysUnder(backup.storage.prefix)).not.toHaveLength(0);
      const item = await rt.store.table.db.send(
        new GetCommand({
          TableName: rt.store.table.name,
          Key: { pk: `TENANT#${rt.tenantId}`, sk: `BACKUP#${backup.id}` },
        }),
      );
      expect(item.Item?.gsi2sk).toBe(`${backup.lockedUntil}#${backup.id}`);

      // Act: the lock passes too
      const past = new Date(Date.now() - 1000).toISOString();
      await age(backup.id, { lockedUntil: past, expiresAt: past });
      await reconciler?.runNow();

      // Assess
      expect((await api('GET', `/v1/backups/${backup.id}`)).body.status).toBe('DELETED');
      expect(await keysUnder(backup.storage.prefix)).toEqual([]);
    }, 90_000);
  });

  describe('A failed pause', () => {
    it('is rolled back: the workloads scale back, the cluster is READY, the PAUSE FAILED with a stable code, events published', async () => {
      // Prepare: a READY two-node Qdrant; its pause fails midway (the StatefulSet already at 0,
      // then the disruption budget's apply refused once)
      const id = await readyCluster({ name: 'pause-rb', engine: 'qdrant', nodes: 2 });
      const sts = () =>
        rt.kube?.list().find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === `stratus-${id}`);
      rt.kube?.setFaults({
        rejections: [
          { method: 'PATCH', kind: 'PodDisruptionBudget', status: 422, message: 'refused once', times: 1 },
        ],
      });
      try {
        // Act
        const startedAt = Date.now();
        const started = await api('POST', `/v1/clusters/${id}/pause`);
        const done = await settle(started.body.operation.id);
        const rollbackMs = Date.now() - startedAt;

        // Assess: the operation FAILED with the refusal's code and says it rolled back
        expect(done.body).toMatchObject({
          type: 'PAUSE',
          status: 'FAILED',
          error: { code: 'KUBERNETES_REJECTED' },
        });
        expect(done.body.error.message).toContain('rolled back');
        const cluster = (await api('GET', `/v1/clusters/${id}`)).body;
        expect(cluster).toMatchObject({ status: 'READY', statusReason: 'PAUSE_ROLLED_BACK', generation: 3 });
        expect(cluster.paused).not.toBe(true);
        expect(cluster.activeOperationId).toBeUndefined();
        const spec = (sts()?.spec ?? {}) as { replicas?: number };
        expect(spec.replicas).toBe(2);
        const events = await eventually(
          async () =>
            rt.bus
              .events()
              .filter((e) => e.detail.clusterId === id && e['detail-type'] === 'Cluster Status Changed'),
          (es) => es.some((e) => e.detail.status === 'READY' && e.detail.previousStatus !== 'PROVISIONING'),
        );
        const path = events.map((e) => `${e.detail.previousStatus}->${e.detail.status}`);
        expect(path).toEqual(
          expect.arrayContaining(['READY->PAUSING', 'PAUSING->RESUMING', 'RESUMING->READY']),
        );
        const stored = await rt.store.operations.get(rt.tenantId, started.body.operation.id);
        // Figures, printed, never asserted (docs/operations.md, "Pause and resume").
        console.log(
          `pause rollback figures: PAUSE accepted -> FAILED (rolled back, READY) seen ${rollbackMs} ms (100 ms polling); provisioning messages ${(stored?.claim?.seq ?? 0) + 1}; operations 1`,
        );
      } finally {
        rt.kube?.setFaults({});
      }
    }, 120_000);
  });

  describe('Qdrant and Dragonfly restores', () => {
    const restoreInit = (id: string, kind: string) => {
      const obj = rt.kube?.list().find((o) => o.kind === kind && o.metadata.namespace === `stratus-${id}`);
      const spec = (obj?.spec ?? {}) as {
        template?: { spec?: { initContainers?: Array<{ name: string }> } };
        initContainers?: Array<{ name: string }>;
      };
      return (spec.template?.spec?.initContainers ?? spec.initContainers ?? []).map((c) => c.name);
    };

    it('restores a one-node Qdrant from its full storage snapshot, and refuses more nodes', async () => {
      // Prepare
      const id = await readyCluster({ name: 'rs-qdrant', engine: 'qdrant' });
      const backup = await backUp(id);

      // Act
      const tooMany = await api('POST', '/v1/clusters', {
        name: 'rs-qdrant-3',
        engine: 'qdrant',
        region: rt.region,
        nodes: 3,
        restoreFrom: { backupId: backup.id },
      });
      const startedAt = Date.now();
      const restoredId = await readyCluster({
        name: 'rs-qdrant-copy',
        engine: 'qdrant',
        restoreFrom: { backupId: backup.id },
      });
      console.log(
        `restore figures: Qdrant restore CREATE accepted -> SUCCEEDED seen ${Date.now() - startedAt} ms`,
      );

      // Assess
      expect(tooMany.status).toBe(400);
      expect(tooMany.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'nodes' }] });
      const restored = (await api('GET', `/v1/clusters/${restoredId}`)).body;
      expect(restored).toMatchObject({ status: 'READY', restoredFrom: { backupId: backup.id } });
      expect(restoreInit(restoredId, 'StatefulSet')).toEqual(['restore']);
    }, 120_000);

    it('restores a two-node Dragonfly from its RDB, each pod loading it at start', async () => {
      // Prepare
      const id = await readyCluster({ name: 'rs-dragonfly', engine: 'dragonfly', nodes: 2 });
      const backup = await backUp(id);
      expect(await keysUnder(backup.storage.prefix)).not.toHaveLength(0);

      // Act
      const startedAt = Date.now();
      const restoredId = await readyCluster({
        name: 'rs-dragonfly-copy',
        engine: 'dragonfly',
        nodes: 2,
        restoreFrom: { backupId: backup.id },
      });
      console.log(
        `restore figures: Dragonfly (2 nodes) restore CREATE accepted -> SUCCEEDED seen ${Date.now() - startedAt} ms`,
      );

      // Assess
      const restored = (await api('GET', `/v1/clusters/${restoredId}`)).body;
      expect(restored).toMatchObject({ status: 'READY', nodes: 2, restoredFrom: { backupId: backup.id } });
      expect(restoreInit(restoredId, 'Dragonfly')).toEqual(['restore']);
    }, 120_000);
  });
});
