import { describe, expect, it } from 'vitest';
import { type BackupRecord, planBackup, planRestore } from '../../../functions/shared/domain/backups.js';
import type { BackupStore, ClusterSpec, RestoreSource } from '../../../functions/shared/domain/cluster.js';
import { planCreate } from '../../../functions/shared/domain/plan.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { BACKUP_POD_LABEL, BACKUP_SERVICE_ACCOUNT } from '../../../functions/shared/engines/backups.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { ValidationError } from '../../../functions/shared/errors.js';
import { simulatedBackups } from '../../../local/kube-standin/backups.js';
import { validateRendered } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are read field by field
type Any = any;

const STORE: BackupStore = { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-source/' };
const BACKUP_ID = 'bk-01jd8w3k5m7n9p1q3r5s7t9v5a';
const RESTORE: RestoreSource = {
  backupId: BACKUP_ID,
  clusterId: 'cl-source',
  storage: { bucket: STORE.bucket, prefix: `${STORE.prefix}${BACKUP_ID}/` },
  sourceStore: STORE,
};
const URI = `s3://${STORE.bucket}/${RESTORE.storage.prefix}`;
const ctx = renderContext({ secrets: { apiKey: 'k', password: 'p' } });
const NOW = new Date('2026-12-06T10:00:00.000Z');

const specFor = (bp: Blueprint, over: Partial<ClusterSpec> = {}): ClusterSpec =>
  clusterSpec({ engine: bp.engine, version: bp.versions.at(-1), restore: RESTORE, ...over });
const find = (objects: KubeObject[], kind: string, name?: string): Any =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('Engine restores: Qdrant', () => {
  const bp = blueprints.qdrant as Blueprint;

  it('downloads the full storage snapshot before Qdrant starts, as the backup identity, and validates', () => {
    // Act
    const objects = bp.render(specFor(bp), ctx);

    // Assess
    for (const obj of objects) expect(() => validateRendered(obj), `${obj.kind}`).not.toThrow();
    const template = find(objects, 'StatefulSet').spec.template;
    const pod = template.spec;
    expect(template.metadata.labels[BACKUP_POD_LABEL]).toBe('true');
    expect(pod.serviceAccountName).toBe(BACKUP_SERVICE_ACCOUNT);
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0]).toMatchObject({
      name: 'restore',
      env: expect.arrayContaining([{ name: 'RESTORE_URI', value: URI }]),
      volumeMounts: expect.arrayContaining([
        { name: 'storage', mountPath: '/qdrant/storage' },
        { name: 'restore', mountPath: '/restore' },
      ]),
    });
    expect(pod.initContainers[0].command.join(' ')).toContain('.stratus-restored');
    expect(pod.volumes).toEqual(
      expect.arrayContaining([{ name: 'restore', emptyDir: { sizeLimit: '10Gi' } }]),
    );
    expect(find(objects, 'ServiceAccount', BACKUP_SERVICE_ACCOUNT)).toBeDefined();
  });

  it('recovers the snapshot once: at the first start, guarded by the marker on the storage volume', () => {
    // Act
    const script = find(bp.render(specFor(bp), ctx), 'StatefulSet').spec.template.spec.containers[0]
      .command[2];

    // Assess
    expect(script).toContain('--storage-snapshot "$snapshot"');
    expect(script.indexOf('touch /qdrant/storage/.stratus-restored')).toBeLessThan(
      script.indexOf('--storage-snapshot'),
    );
    expect(script).toMatch(/if \[ ! -e \/qdrant\/storage\/\.stratus-restored \]/);
    expect(script).toContain('exec ./entrypoint.sh "$@"');
  });

  it('starts a restored cluster scaled out later as any other: no restore on its pods', () => {
    // Act
    const pod = find(bp.render(specFor(bp, { nodes: 3 }), ctx), 'StatefulSet').spec.template.spec;

    // Assess
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers[0].command[2]).not.toContain('--storage-snapshot');
  });
});

describe('Engine restores: Dragonfly', () => {
  const bp = blueprints.dragonfly as Blueprint;

  it('downloads the backup RDB into the snapshot volume of every pod before Dragonfly starts, validated against the CRD', () => {
    // Act
    const objects = bp.render(specFor(bp, { nodes: 3 }), ctx);

    // Assess
    for (const obj of objects) expect(() => validateRendered(obj), `${obj.kind}`).not.toThrow();
    const df = find(objects, 'Dragonfly').spec;
    expect(df.serviceAccountName).toBe(BACKUP_SERVICE_ACCOUNT);
    expect(df.podMetadata.labels[BACKUP_POD_LABEL]).toBe('true');
    expect(df.initContainers).toHaveLength(1);
    expect(df.initContainers[0]).toMatchObject({
      name: 'restore',
      env: expect.arrayContaining([{ name: 'RESTORE_URI', value: URI }]),
      volumeMounts: expect.arrayContaining([{ name: 'df', mountPath: '/dragonfly/snapshots' }]),
    });
    const script = df.initContainers[0].command[2];
    // The epoch's timestamp: the oldest name Dragonfly loads, so its own later snapshots win.
    expect(script).toContain('/dragonfly/snapshots/dump-1970-01-01T00:00:00.rdb');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's expansion of the backup's prefix
    expect(script).toContain('${RESTORE_URI}dump.rdb');
    expect(df.additionalVolumes).toEqual([{ name: 'restore-tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('keeps its own ServiceAccount and no init container when it does not restore', () => {
    // Act
    const df = find(bp.render(specFor(bp, { restore: undefined }), ctx), 'Dragonfly').spec;

    // Assess
    expect(df.serviceAccountName).toBe('dragonfly');
    expect(df.initContainers).toBeUndefined();
    expect(df.podMetadata.labels[BACKUP_POD_LABEL]).toBeUndefined();
  });
});

const cluster = (engine: string, nodes: number): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'src',
  engine,
  version: (blueprints[engine] as Blueprint).versions.at(-1) as string,
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes,
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
const planCtx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
};
const succeededBackup = (engine: string, nodes: number): BackupRecord => ({
  ...planBackup(cluster(engine, nodes), { ...planCtx, backupBucket: 'b' }).backup,
  status: 'SUCCEEDED',
  endedAt: NOW.toISOString(),
});
const issues = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError)
      return (e.extensions.errors as Array<{ path: string }>).map((i) => i.path);
    throw e;
  }
  return [];
};

describe('Function: planRestore (engines that restore into one node)', () => {
  it('restores a one-node Qdrant backup into one node, and refuses more nodes or a multi-node backup', () => {
    // Assess
    expect(
      issues(() => planRestore(succeededBackup('qdrant', 1), { engine: 'qdrant', nodes: 1 }, NOW)),
    ).toEqual([]);
    expect(
      issues(() => planRestore(succeededBackup('qdrant', 1), { engine: 'qdrant', nodes: 3 }, NOW)),
    ).toEqual(['nodes']);
    expect(
      issues(() => planRestore(succeededBackup('qdrant', 3), { engine: 'qdrant', nodes: 1 }, NOW)),
    ).toEqual(['restoreFrom']);
  });

  it('restores Dragonfly into any number of nodes', () => {
    // Assess
    expect(
      issues(() => planRestore(succeededBackup('dragonfly', 3), { engine: 'dragonfly', nodes: 3 }, NOW)),
    ).toEqual([]);
  });

  it('refuses a restore test for a Qdrant cluster of several nodes, and takes it for one node', () => {
    // Prepare
    const create = (nodes: number) =>
      planCreate(
        {
          name: 'vectors',
          engine: 'qdrant',
          region: 'eu-west-1',
          nodes,
          size: 'small',
          settings: {},
          deletionProtection: false,
          backup: { schedule: '0 3 * * *', retentionDays: 7, restoreTest: true },
        },
        planCtx,
      );

    // Assess
    expect(issues(() => create(2))).toEqual(['backup.restoreTest']);
    expect(create(1).cluster.backupPolicy?.restoreTest).toBe(true);
  });
});

describe('Kubernetes stand-in: simulated restores', () => {
  const kube = (objects: KubeObject[]) =>
    objects.map((o) => ({ ...o, metadata: { ...o.metadata, uid: 'u-1' } }));
  const settle = async (rule: (o: KubeObject) => Record<string, unknown> | undefined, obj: KubeObject) => {
    for (let i = 0; i < 50; i++) {
      const status = rule(obj);
      if (status !== undefined) return status;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('the simulated controller never answered');
  };
  const simulation = (objects: number, seen: string[] = []) =>
    simulatedBackups({
      put: async () => undefined,
      count: async (bucket, prefix) => {
        seen.push(`${bucket}/${prefix}`);
        return objects;
      },
    }).statusRules;

  it('makes a restored Qdrant ready only once the backup is in the object store', async () => {
    // Prepare
    const [sts] = kube([
      find(blueprints.qdrant?.render(specFor(blueprints.qdrant as Blueprint), ctx) ?? [], 'StatefulSet'),
    ]);
    const seen: string[] = [];

    // Act
    const found = await settle(simulation(1, seen)['apps/v1/StatefulSet'] as never, sts as KubeObject);
    const missing = await settle(simulation(0)['apps/v1/StatefulSet'] as never, sts as KubeObject);

    // Assess
    expect(seen).toEqual([`${STORE.bucket}/${RESTORE.storage.prefix}`]);
    expect(found).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect(missing).toMatchObject({ replicas: 1, readyReplicas: 0 });
  });

  it('makes a restored Dragonfly Ready only once the backup is in the object store', async () => {
    // Prepare
    const [df] = kube([
      find(blueprints.dragonfly?.render(specFor(blueprints.dragonfly as Blueprint), ctx) ?? [], 'Dragonfly'),
    ]);

    // Act
    const found = await settle(simulation(1)['dragonflydb.io/v1alpha1/Dragonfly'] as never, df as KubeObject);
    const missing = await settle(
      simulation(0)['dragonflydb.io/v1alpha1/Dragonfly'] as never,
      df as KubeObject,
    );

    // Assess
    expect(found).toMatchObject({ phase: 'Ready' });
    expect(missing.phase).toBeUndefined();
  });
});
