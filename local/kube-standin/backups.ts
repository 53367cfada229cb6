/**
 * Simulated backup controllers of the Kubernetes stand-in (issue #14): a backup Job (Qdrant,
 * Valkey, Dragonfly) and a CloudNativePG `Backup` write their objects to the local object store
 * and only then report success, as the real ones do; a write that fails (the object store down, a
 * missing bucket) makes them report failure. Each object is written once per uid, however often
 * the stand-in ticks meanwhile. Restores read: a CloudNativePG recovery, and the `restore` init
 * container of a StatefulSet (Valkey, Qdrant) or a Dragonfly, find the backup's objects in the
 * object store before the database reports ready; without them it never does (the real init
 * container fails, the pod never starts).
 */
import { BACKUP_DESTINATION_ANNOTATION } from '../../functions/shared/engines/backups.js';
import type { KubeObject } from '../../functions/shared/engines/types.js';
import { DEFAULT_STATUS_RULES, type ExtraKind, type StatusRule } from './resources.js';

/** Where the simulated backups write and restores read (the local object store, over the S3 API). */
export interface ObjectWriter {
  put(bucket: string, key: string, body: string): Promise<void>;
  /** How many objects are under the prefix. */
  count(bucket: string, prefix: string): Promise<number>;
}

type Write =
  | { state: 'writing' }
  | { state: 'done'; at: string }
  | { state: 'failed'; at: string; error: string };

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);

function parseS3(uri: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) return undefined;
  const prefix = m[2] ?? '';
  return { bucket: m[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Barman names base backups by their start time, `YYYYMMDDTHHMMSS`. */
const barmanId = (iso: string) => iso.replace(/[-:]/g, '').slice(0, 15);

export interface SimulatedBackups {
  readonly extraKinds: readonly ExtraKind[];
  readonly statusRules: Readonly<Record<string, StatusRule>>;
}

export function simulatedBackups(writer: ObjectWriter, now: () => Date = () => new Date()): SimulatedBackups {
  const writes = new Map<string, Write>();
  /** Starts the write of `objects` once; undefined while it runs, then its outcome. */
  const writeOnce = (
    obj: KubeObject,
    objects: (startedAt: string) => Array<{ bucket: string; key: string; body: string }>,
  ) => {
    const id = `${obj.metadata.namespace}/${obj.metadata.name}/${String(obj.metadata.uid ?? '')}`;
    const known = writes.get(id);
    if (known) return known.state === 'writing' ? undefined : known;
    writes.set(id, { state: 'writing' });
    // `at`: when the backup started (CloudNativePG names the base backup after it).
    const at = now().toISOString();
    let targets: Array<{ bucket: string; key: string; body: string }>;
    try {
      targets = objects(at);
    } catch (e) {
      const failed: Write = { state: 'failed', at, error: (e as Error).message };
      writes.set(id, failed);
      return failed;
    }
    // Settled into `writes`, which the next tick reads: never left unobserved.
    Promise.all(targets.map((t) => writer.put(t.bucket, t.key, t.body))).then(
      () => writes.set(id, { state: 'done', at }),
      (e: Error) => writes.set(id, { state: 'failed', at, error: e.name || e.message }),
    );
    return undefined;
  };

  const jobRule: StatusRule = (obj) => {
    const template = record(record(obj.spec).template);
    const containers = list(record(template.spec).containers);
    const uri = containers.flatMap((c) => list(c.env)).find((e) => e.name === 'BACKUP_URI')?.value;
    // Any other Job: done at once, as a Job whose pod exited 0.
    if (typeof uri !== 'string') return completeJob(now().toISOString());
    const outcome = writeOnce(obj, () => {
      const to = parseS3(uri);
      if (!to) throw new Error(`BACKUP_URI is not an s3:// URI: ${uri}`);
      const body = JSON.stringify({ simulated: true, job: obj.metadata.name, at: now().toISOString() });
      return [{ bucket: to.bucket, key: `${to.prefix}dump`, body: body.padEnd(4096, ' ') }];
    });
    if (!outcome) return undefined;
    if (outcome.state === 'done') return completeJob(outcome.at);
    return {
      failed: 3,
      startTime: outcome.at,
      conditions: [
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: outcome.error },
      ],
    };
  };

  const cnpgBackupRule: StatusRule = (obj) => {
    const destination = obj.metadata.annotations?.[BACKUP_DESTINATION_ANNOTATION];
    const outcome = writeOnce(obj, (startedAt) => {
      const to = typeof destination === 'string' ? parseS3(destination) : undefined;
      if (!to) throw new Error('the cluster has no barmanObjectStore');
      const id = barmanId(startedAt);
      const base = `${to.prefix}postgresql/base/${id}/`;
      return [
        { bucket: to.bucket, key: `${base}backup.info`, body: `backup_id=${id}\nstatus=DONE\n` },
        { bucket: to.bucket, key: `${base}data.tar.gz`, body: ''.padEnd(8192, 'x') },
        {
          bucket: to.bucket,
          key: `${to.prefix}postgresql/wals/0000000100000000/000000010000000000000001.gz`,
          body: 'wal',
        },
      ];
    });
    if (!outcome) return undefined;
    if (outcome.state === 'failed') return { phase: 'failed', error: outcome.error };
    return {
      phase: 'completed',
      method: 'barmanObjectStore',
      backupId: barmanId(outcome.at),
      serverName: 'postgresql',
      destinationPath: typeof destination === 'string' ? destination : '',
      startedAt: outcome.at,
      stoppedAt: outcome.at,
    };
  };

  /** Restores read once per object: `true` when the backup's objects are there. */
  const restores = new Map<string, boolean | 'checking'>();
  const healthyCluster = DEFAULT_STATUS_RULES['postgresql.cnpg.io/v1/Cluster'] as StatusRule;
  // A CloudNativePG Cluster bootstrapped by recovery becomes healthy only if the base backup is in
  // the object store; else it reports the phase CloudNativePG stays in (a permanent failure).
  const cnpgClusterRule: StatusRule = (obj) => {
    const spec = record(obj.spec);
    const recovery = record(record(spec.bootstrap).recovery);
    if (Object.keys(recovery).length === 0) return healthyCluster(obj);
    const id = `${obj.metadata.namespace}/${obj.metadata.name}/${String(obj.metadata.uid ?? '')}`;
    const known = restores.get(id);
    if (known === 'checking') return undefined;
    if (known === true) return healthyCluster(obj);
    if (known === false) {
      return {
        phase: 'Cluster cannot proceed to recovery',
        phaseReason: 'no base backup found in the object store',
        instances: 0,
        readyInstances: 0,
      };
    }
    restores.set(id, 'checking');
    const origin = list(spec.externalClusters).find((c) => c.name === recovery.source);
    const destination = record(origin?.barmanObjectStore).destinationPath;
    const to = typeof destination === 'string' ? parseS3(destination) : undefined;
    const target = record(recovery.recoveryTarget);
    const base = typeof target.backupID === 'string' ? `${target.backupID}/` : '';
    if (!to) {
      restores.set(id, false);
      return undefined;
    }
    writer.count(to.bucket, `${to.prefix}postgresql/base/${base}`).then(
      (n) => restores.set(id, n > 0),
      () => restores.set(id, false),
    );
    return undefined;
  };

  /**
   * Whether the backup a pod's `restore` init container downloads (`RESTORE_URI`) is in the
   * object store, read once per object: undefined while it is read, or when nothing restores.
   */
  const restoreFound = (obj: KubeObject, podSpec: Record<string, unknown>): boolean | 'none' | undefined => {
    const init = list(podSpec.initContainers).find((c) => c.name === 'restore');
    const uri = list(init?.env).find((e) => e.name === 'RESTORE_URI')?.value;
    if (typeof uri !== 'string') return 'none';
    const id = `restore/${obj.metadata.namespace}/${obj.metadata.name}/${String(obj.metadata.uid ?? '')}`;
    const known = restores.get(id);
    if (known === 'checking') return undefined;
    if (known !== undefined) return known;
    restores.set(id, 'checking');
    const from = parseS3(uri);
    if (!from) {
      restores.set(id, false);
      return false;
    }
    writer.count(from.bucket, from.prefix).then(
      (n) => restores.set(id, n > 0),
      () => restores.set(id, false),
    );
    return undefined;
  };
  const statefulSet = DEFAULT_STATUS_RULES['apps/v1/StatefulSet'] as StatusRule;
  const statefulSetRule: StatusRule = (obj) => {
    const found = restoreFound(obj, record(record(record(obj.spec).template).spec));
    if (found === undefined) return undefined;
    if (found === false) {
      // Its pods never get past the failing init container: none is ready.
      const status = record(statefulSet(obj));
      return { ...status, readyReplicas: 0, availableReplicas: 0 };
    }
    return statefulSet(obj);
  };
  const dragonfly = DEFAULT_STATUS_RULES['dragonflydb.io/v1alpha1/Dragonfly'] as StatusRule;
  const dragonflyRule: StatusRule = (obj) => {
    const found = restoreFound(obj, record(obj.spec));
    if (found === undefined) return undefined;
    // The operator never reports it ready: its pods never get past the failing init container.
    if (found === false) return { isRollingUpdate: false };
    return dragonfly(obj);
  };

  return {
    // batch/v1 Jobs are built in (resources.ts): only their rule changes.
    extraKinds: [{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Backup' }],
    statusRules: {
      'batch/v1/Job': jobRule,
      'postgresql.cnpg.io/v1/Backup': cnpgBackupRule,
      'postgresql.cnpg.io/v1/Cluster': cnpgClusterRule,
      'apps/v1/StatefulSet': statefulSetRule,
      'dragonflydb.io/v1alpha1/Dragonfly': dragonflyRule,
    },
  };
}

function completeJob(at: string): Record<string, unknown> {
  return {
    succeeded: 1,
    startTime: at,
    completionTime: at,
    conditions: [{ type: 'Complete', status: 'True' }],
  };
}
