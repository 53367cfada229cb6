/**
 * Pieces the engines' backups share (issue #14): the Job that dumps a database and uploads the
 * dump to the backup bucket, its ServiceAccount (the per-cluster identity EKS Pod Identity maps to
 * the backup role: no static credentials), the egress it needs, and how a Job's status reads.
 */
import type { BackupStore, ClusterSpec } from '../domain/cluster.js';
import { objectMeta, stratusLabels } from './tenancy.js';
import { tlsVolume, tlsVolumeMount } from './tls.js';
import type { BackupProgress, BackupTarget, KubeObject, RenderContext } from './types.js';
import { containerSecurityContext, num, podSecurityContext, record } from './workload.js';

/**
 * The uploader: the AWS CLI (`aws s3 cp`), which takes its credentials from the pod's identity.
 * Pinned by digest; its tag was not resolved (a public Job definition pins this digest as its
 * AWS CLI image: docs/engines.md, "Backups").
 */
export const BACKUP_TOOL_IMAGE =
  'amazon/aws-cli@sha256:db8d39443ef512d4724becfac59ec9b7c4f8621e7b3c6200be56cd4fc2dc9570';
/** The ServiceAccount backup and restore pods run as; EKS Pod Identity associates it with the backup role. */
export const BACKUP_SERVICE_ACCOUNT = 'stratus-backup';
/** On a backup's objects and pods: which backup they take. */
export const BACKUP_LABEL = 'stratus.dev/backup';
/** On a CloudNativePG Backup: its cluster's Barman destination (`s3://bucket/prefix/`), for people reading it. */
export const BACKUP_DESTINATION_ANNOTATION = 'stratus.dev/backup-destination';
/** On every pod that talks to the backup bucket: what the egress policy selects. */
export const BACKUP_POD_LABEL = 'stratus.dev/backup-pod';
/** What one backup pod may use; the cluster's ResourceQuota keeps room for it (tenancy.ts). */
export const BACKUP_JOB_RESOURCES = { cpu: '250m', memory: '256Mi' } as const;
const UID = 1000;

/** Where one backup's objects go when the engine does not choose (a Job's upload): `<cluster prefix><backupId>/`. */
export function backupObjectsStore(clusterStore: BackupStore, backupId: string): BackupStore {
  return { bucket: clusterStore.bucket, prefix: `${clusterStore.prefix}${backupId}/` };
}

export const s3Uri = (store: BackupStore) => `s3://${store.bucket}/${store.prefix}`;

export const backupJobName = (backupId: string) => `backup-${backupId}`;

/** The ServiceAccount and the egress (HTTPS, to the object store) of backup pods. */
export function backupAccess(spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: objectMeta(spec, ctx, BACKUP_SERVICE_ACCOUNT),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: objectMeta(spec, ctx, 'allow-backup-store'),
      spec: {
        podSelector: { matchLabels: { [BACKUP_POD_LABEL]: 'true' } },
        policyTypes: ['Egress'],
        // S3 has no fixed addresses a NetworkPolicy can name (its prefix list is a VPC notion):
        // HTTPS only, and only from the pods labelled as backup pods.
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
      },
    },
  ];
}

export interface DumpStep {
  /** The engine's image, with its client. */
  readonly image: string;
  /** Writes the dump into /backup. */
  readonly script: string;
  readonly env: readonly Record<string, unknown>[];
  /**
   * The database serves TLS only (`spec.tls`): the dump container gets the cluster's CA (`ca.crt`
   * alone, never the server's key) at DATABASE_TLS_MOUNT, to verify the server with.
   */
  readonly tls?: boolean;
}

/** The certificate Secret's volume with the CA only: a client verifies the server, it needs no key. */
function caVolume() {
  const volume = tlsVolume();
  return { ...volume, secret: { ...volume.secret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } };
}

/**
 * The cluster's own render includes {@link backupAccess} once it has a backup store or restores.
 * A Job that runs `dump` (an init container with the engine's client, writing /backup), then
 * uploads /backup to the backup's prefix. It never retries forever: two retries, then Failed.
 */
export function backupJob(
  spec: ClusterSpec,
  ctx: RenderContext,
  target: BackupTarget,
  dump: DumpStep,
): KubeObject[] {
  const labels = { [BACKUP_LABEL]: target.backupId };
  const resources = { requests: { ...BACKUP_JOB_RESOURCES }, limits: { ...BACKUP_JOB_RESOURCES } };
  const mounts = [
    { name: 'backup', mountPath: '/backup' },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  return [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: objectMeta(spec, ctx, backupJobName(target.backupId), labels),
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 50 * 60,
        ttlSecondsAfterFinished: 7 * 24 * 3600,
        template: {
          metadata: { labels: { ...stratusLabels(spec), ...labels, [BACKUP_POD_LABEL]: 'true' } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: BACKUP_SERVICE_ACCOUNT,
            enableServiceLinks: false,
            securityContext: podSecurityContext(UID),
            initContainers: [
              {
                name: 'dump',
                image: dump.image,
                command: ['/bin/sh', '-c', `set -eu\n${dump.script}`],
                env: [...dump.env],
                resources,
                securityContext: containerSecurityContext(UID, { readOnlyRootFilesystem: true }),
                volumeMounts: dump.tls ? [...mounts, tlsVolumeMount()] : mounts,
              },
            ],
            containers: [
              {
                name: 'upload',
                image: BACKUP_TOOL_IMAGE,
                command: [
                  '/bin/sh',
                  '-c',
                  'set -eu\naws s3 cp --only-show-errors --recursive /backup "$BACKUP_URI"',
                ],
                env: [
                  { name: 'BACKUP_URI', value: s3Uri(target.storage) },
                  { name: 'HOME', value: '/tmp' },
                ],
                resources,
                securityContext: containerSecurityContext(UID, { readOnlyRootFilesystem: true }),
                volumeMounts: mounts,
              },
            ],
            volumes: [
              { name: 'backup', emptyDir: { sizeLimit: `${spec.size.storageGiB}Gi` } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
              ...(dump.tls ? [caVolume()] : []),
            ],
          },
        },
      },
    },
  ];
}

export function jobRef(spec: ClusterSpec, target: BackupTarget) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: backupJobName(target.backupId), namespace: `stratus-${spec.clusterId}` },
  };
}

/** A Job's progress: its `Complete` or `Failed` condition, else running. */
export function jobProgress(live: KubeObject | undefined): BackupProgress {
  if (!live) return { state: 'running', reason: 'the backup Job is not created yet' };
  const status = record(live.status);
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return { state: 'succeeded' };
  const failed = holds('Failed');
  if (failed) {
    return {
      state: 'failed',
      reason: `backup Job failed: ${String(failed.reason ?? failed.message ?? 'unknown')}`,
    };
  }
  return {
    state: 'running',
    reason: `backup Job: ${num(status.active)} active, ${num(status.failed)} failed`,
  };
}

/** The marker a restore leaves on the data volume: a pod started later never restores again. */
export const RESTORED_MARKER = '.stratus-restored';

/**
 * An init container, with the AWS CLI and the backup identity, that runs `script` with the
 * backup's prefix as `$RESTORE_URI` (`s3://bucket/prefix/`) and `mounts` (plus `/tmp` on the pod's
 * `restore-tmp` volume, which the engine renders).
 */
export function restoreContainer(
  from: BackupStore,
  script: string,
  mounts: readonly { readonly name: string; readonly mountPath: string }[],
) {
  const resources = { requests: { ...BACKUP_JOB_RESOURCES }, limits: { ...BACKUP_JOB_RESOURCES } };
  return {
    name: 'restore',
    image: BACKUP_TOOL_IMAGE,
    command: ['/bin/sh', '-c', `set -eu\n${script}`],
    env: [
      { name: 'RESTORE_URI', value: s3Uri(from) },
      { name: 'HOME', value: '/tmp' },
    ],
    resources,
    securityContext: containerSecurityContext(UID, { readOnlyRootFilesystem: true }),
    volumeMounts: [...mounts, { name: 'restore-tmp', mountPath: '/tmp' }],
  };
}

/** An init container that downloads a backup's objects into `mountPath` of the engine's pod. */
export function restoreInitContainer(from: BackupStore, mountPath: string, volume: string) {
  // Restores into an empty volume only: a pod restarted later keeps the data it has written.
  return restoreContainer(
    from,
    `if [ -e "${mountPath}/${RESTORED_MARKER}" ]; then exit 0; fi\naws s3 cp --only-show-errors --recursive "$RESTORE_URI" "${mountPath}/"\ntouch "${mountPath}/${RESTORED_MARKER}"`,
    [{ name: volume, mountPath }],
  );
}
