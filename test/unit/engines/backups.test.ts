import { describe, expect, it } from 'vitest';
import type { BackupStore, ClusterSpec } from '../../../functions/shared/domain/cluster.js';
import {
  BACKUP_POD_LABEL,
  BACKUP_SERVICE_ACCOUNT,
  jobProgress,
} from '../../../functions/shared/engines/backups.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import type { BackupTarget, Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { validateRendered } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are read field by field
type Any = any;

const STORE: BackupStore = { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-1/' };
const BACKUP_ID = 'bk-01jd8w3k5m7n9p1q3r5s7t9v5a';
const ctx = renderContext({ secrets: { apiKey: 'k', password: 'p' } });

function specFor(bp: Blueprint, over: Partial<ClusterSpec> = {}): ClusterSpec {
  return clusterSpec({
    engine: bp.engine,
    version: bp.versions.at(-1),
    nodes: 3,
    backupStore: STORE,
    ...over,
  });
}
function targetFor(bp: Blueprint): BackupTarget {
  const support = bp.backup;
  if (!support) throw new Error(`${bp.engine} has no backups`);
  return { backupId: BACKUP_ID, storage: support.storage(STORE, BACKUP_ID), clusterStore: STORE };
}
const find = (objects: KubeObject[], kind: string, name?: string): Any =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

/** Engines that declare backups (mongodb, scylladb and yugabytedb do not yet: the API refuses them). */
const engines = Object.values(blueprints).filter((bp) => bp.backup);

describe('Engine backups', () => {
  it.each(engines.map((bp) => [bp.engine, bp] as const))(
    '%s: the cluster with a backup store and its backup objects validate against kubernetes-models and the vendored CRDs',
    (_engine, bp) => {
      // Prepare
      const spec = specFor(bp);
      const support = bp.backup;
      expect(support).toBeDefined();

      // Act
      const cluster = bp.render(spec, ctx);
      const backup = support?.render(spec, targetFor(bp), ctx) ?? [];

      // Assess: everything validates, except a CloudNativePG Backup (no vendored CRD for it in ../shared/crds)
      for (const obj of [...cluster, ...backup]) {
        if (obj.apiVersion === 'postgresql.cnpg.io/v1' && obj.kind === 'Backup') continue;
        expect(() => validateRendered(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
      // Backup pods (a Job's, or PostgreSQL's instances) may reach the object store on 443 only.
      const egress = find(cluster, 'NetworkPolicy', 'allow-backup-store');
      expect(egress.spec).toEqual({
        podSelector: { matchLabels: { [BACKUP_POD_LABEL]: 'true' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
      });
    },
  );

  it.each(engines.filter((bp) => bp.engine !== 'postgresql').map((bp) => [bp.engine, bp] as const))(
    '%s: a Job dumps the database and uploads to the backup prefix, as the backup identity, within the quota',
    (_engine, bp) => {
      // Act
      const spec = specFor(bp);
      const cluster = bp.render(spec, ctx);
      const [job] = bp.backup?.render(spec, targetFor(bp), ctx) ?? [];

      // Assess
      expect(job).toMatchObject({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: `backup-${BACKUP_ID}` },
      });
      const pod = (job as Any).spec.template.spec;
      expect(pod.serviceAccountName).toBe(BACKUP_SERVICE_ACCOUNT);
      expect(find(cluster, 'ServiceAccount', BACKUP_SERVICE_ACCOUNT)).toBeDefined();
      expect((job as Any).spec.template.metadata.labels[BACKUP_POD_LABEL]).toBe('true');
      expect(pod.containers[0].env).toContainEqual({
        name: 'BACKUP_URI',
        value: `s3://${STORE.bucket}/${STORE.prefix}${BACKUP_ID}/`,
      });
      expect(JSON.stringify(job)).not.toMatch(/AWS_SECRET|AWS_ACCESS_KEY|"p"/);
      for (const c of [...pod.initContainers, ...pod.containers]) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
        expect(c.resources.limits).toEqual({ cpu: '250m', memory: '256Mi' });
      }
      // Three nodes of 500m / 1Gi, plus one backup pod of 250m / 256Mi.
      expect(find(cluster, 'ResourceQuota').spec.hard).toMatchObject({
        pods: '4',
        'limits.cpu': '1750m',
        'limits.memory': '3328Mi',
      });
    },
  );

  it('leaves a cluster without a backup store as it was (no quota headroom, no backup egress)', () => {
    // Act
    const bp = blueprints.valkey as Blueprint;
    const objects = bp.render(specFor(bp, { backupStore: undefined }), ctx);

    // Assess
    expect(find(objects, 'ResourceQuota').spec.hard).toMatchObject({ pods: '3', 'limits.cpu': '1500m' });
    expect(find(objects, 'NetworkPolicy', 'allow-backup-store')).toBeUndefined();
  });

  describe('PostgreSQL (CloudNativePG)', () => {
    const bp = blueprints.postgresql as Blueprint;

    it('archives to the cluster prefix with the pods identity, and takes a Backup of it', () => {
      // Act
      const spec = specFor(bp);
      const cluster = find(bp.render(spec, ctx), 'Cluster');
      const [backup] = bp.backup?.render(spec, targetFor(bp), ctx) ?? [];

      // Assess
      expect(cluster.spec.backup.barmanObjectStore).toEqual({
        destinationPath: `s3://${STORE.bucket}/tn-1/cl-1`,
        serverName: 'postgresql',
        s3Credentials: { inheritFromIAMRole: true },
        wal: { compression: 'gzip' },
        data: { compression: 'gzip' },
      });
      expect(cluster.spec.inheritedMetadata.labels[BACKUP_POD_LABEL]).toBe('true');
      expect(backup).toMatchObject({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Backup',
        metadata: { name: BACKUP_ID, namespace: `stratus-${spec.clusterId}` },
        spec: { cluster: { name: 'postgresql' }, method: 'barmanObjectStore' },
      });
    });

    it('bootstraps a restored cluster by recovery from the source cluster archive, to a point in time', () => {
      // Prepare
      const restore = {
        backupId: BACKUP_ID,
        clusterId: 'cl-source',
        storage: { bucket: STORE.bucket, prefix: 'tn-1/cl-source/postgresql/base/20261205T231100/' },
        sourceStore: { bucket: STORE.bucket, prefix: 'tn-1/cl-source/' },
      };

      // Act
      const toTime = find(
        bp.render(specFor(bp, { restore: { ...restore, pointInTime: '2026-12-05T23:30:00.000Z' } }), ctx),
        'Cluster',
      );
      const toEnd = find(bp.render(specFor(bp, { restore }), ctx), 'Cluster');

      // Assess: valid against the CRD, no initdb, the source's archive as the external cluster
      expect(() => validateRendered(toTime)).not.toThrow();
      expect(() => validateRendered(toEnd)).not.toThrow();
      expect(toTime.spec.bootstrap).toEqual({
        recovery: {
          source: 'origin',
          database: 'app',
          owner: 'app',
          secret: { name: 'postgresql-credentials' },
          recoveryTarget: { targetTime: '2026-12-05T23:30:00.000Z' },
        },
      });
      expect(toEnd.spec.bootstrap.recovery.recoveryTarget).toEqual({
        backupID: '20261205T231100',
        targetImmediate: true,
      });
      expect(toTime.spec.externalClusters[0].barmanObjectStore.destinationPath).toBe(
        `s3://${STORE.bucket}/tn-1/cl-source`,
      );
    });

    it('reads the Backup phases: running, completed (with the base backup directory), failed', () => {
      // Prepare
      const target = targetFor(bp);
      const progress = (status: Record<string, unknown> | undefined) =>
        bp.backup?.progress(target, status ? ({ status } as unknown as KubeObject) : undefined);

      // Assess
      expect(progress(undefined)?.state).toBe('running');
      expect(progress({ phase: 'running' })?.state).toBe('running');
      expect(progress({ phase: 'completed', backupId: '20261205T231100' })).toEqual({
        state: 'succeeded',
        storage: { bucket: STORE.bucket, prefix: 'tn-1/cl-1/postgresql/base/20261205T231100/' },
      });
      expect(progress({ phase: 'completed' })?.state).toBe('failed');
      expect(progress({ phase: 'failed', error: 'no space' })).toEqual({
        state: 'failed',
        reason: 'CloudNativePG: no space',
      });
    });
  });

  it('restores a Valkey cluster by downloading the backup into its data volume before it starts', () => {
    // Prepare
    const bp = blueprints.valkey as Blueprint;
    const storage = { bucket: STORE.bucket, prefix: `tn-1/cl-source/${BACKUP_ID}/` };

    // Act
    const objects = bp.render(
      specFor(bp, {
        backupStore: undefined,
        restore: { backupId: BACKUP_ID, clusterId: 'cl-source', storage, sourceStore: STORE },
      }),
      ctx,
    );

    // Assess
    for (const obj of objects) expect(() => validateRendered(obj)).not.toThrow();
    const pod = find(objects, 'StatefulSet').spec.template.spec;
    expect(pod.serviceAccountName).toBe(BACKUP_SERVICE_ACCOUNT);
    expect(pod.initContainers[0]).toMatchObject({
      name: 'restore',
      env: expect.arrayContaining([{ name: 'RESTORE_URI', value: `s3://${STORE.bucket}/${storage.prefix}` }]),
      volumeMounts: expect.arrayContaining([{ name: 'data', mountPath: '/data' }]),
    });
  });

  it('reads a Job: Complete, Failed with its reason, else running', () => {
    // Assess
    const job = (conditions: unknown[]) => ({ status: { conditions } }) as unknown as KubeObject;
    expect(jobProgress(undefined).state).toBe('running');
    expect(jobProgress(job([{ type: 'Complete', status: 'True' }]))).toEqual({ state: 'succeeded' });
    expect(jobProgress(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]))).toEqual({
      state: 'failed',
      reason: 'backup Job failed: BackoffLimitExceeded',
    });
    expect(jobProgress(job([{ type: 'Complete', status: 'False' }])).state).toBe('running');
  });
});
