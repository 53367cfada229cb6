import * as z from 'zod';
import { BACKUP_STATUSES, CLUSTER_STATUSES, OPERATION_STATUSES, OPERATION_TYPES } from '../domain/cluster.js';

/**
 * The event catalog: every event Stratus publishes, declared once. `source` and `detail-type`
 * never change for a given event; `detail.schemaVersion` changes only on breaking changes.
 * Subscribers deduplicate on `detail.eventId` (stable across redeliveries).
 */
export const EVENT_SOURCE = 'stratus.control-plane';

const common = {
  schemaVersion: z.literal('1'),
  /** Stable id of the logical event: `<entity id>/<statusVersion>`. */
  eventId: z.string(),
  occurredAt: z.iso.datetime(),
  tenantId: z.string(),
  region: z.string(),
  clusterId: z.string(),
  correlationId: z.string().optional(),
};

export const ClusterStatusChangedSchema = z.object({
  ...common,
  operationId: z.string().optional(),
  previousStatus: z.enum(CLUSTER_STATUSES).nullable(),
  status: z.enum(CLUSTER_STATUSES),
  statusReason: z.string().optional(),
  cluster: z.object({
    name: z.string(),
    engine: z.string(),
    version: z.string(),
    nodes: z.int(),
    generation: z.int(),
    observedGeneration: z.int(),
    endpoint: z.string().optional(),
  }),
});

export const OperationStatusChangedSchema = z.object({
  ...common,
  operationId: z.string(),
  operationType: z.enum(OPERATION_TYPES),
  previousStatus: z.enum(OPERATION_STATUSES).nullable(),
  status: z.enum(OPERATION_STATUSES),
  error: z
    .object({ code: z.string(), message: z.string() })
    .describe(
      "Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId.",
    )
    .optional(),
});

export const BackupStatusChangedSchema = z.object({
  ...common,
  backupId: z.string(),
  /** The BACKUP operation that takes it. */
  operationId: z.string(),
  previousStatus: z.enum(BACKUP_STATUSES).nullable(),
  status: z.enum(BACKUP_STATUSES),
  engine: z.string(),
  version: z.string(),
  /** Bytes stored, once SUCCEEDED. */
  sizeBytes: z.int().optional(),
  /** Bucket and prefix of its objects (never credentials). */
  storage: z.object({ bucket: z.string(), prefix: z.string() }),
  error: z
    .object({ code: z.string(), message: z.string() })
    .describe("Why the backup failed (the same as its operation's error).")
    .optional(),
});

export const BackupRestoreTestCompletedSchema = z.object({
  ...common,
  /** The backup restored (its cluster is `clusterId`). */
  backupId: z.string(),
  /** SUCCEEDED: the backup restored into a cluster that reached READY; FAILED: it did not (see `error`). */
  result: z.enum(['SUCCEEDED', 'FAILED']),
  engine: z.string(),
  /** The scratch cluster the backup was restored into (deleted once checked), if it was created. */
  scratchClusterId: z.string().optional(),
  /** Its CREATE (the restore). */
  operationId: z.string().optional(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime(),
  /** From the start of the restore to the result. */
  durationSeconds: z.number().optional(),
  error: z
    .object({ code: z.string(), message: z.string() })
    .describe(
      "Why the restore test failed: the restore's own code (e.g. NOT_READY, DEADLINE_EXCEEDED), BACKUP_NOT_FOUND or BACKUP_NOT_RESTORABLE (the backup went before it was tested), RESTORE_TEST_TIMEOUT, RESTORE_TEST_INTERRUPTED (the scratch cluster was deleted meanwhile).",
    )
    .optional(),
});

export const DRIFT_ISSUES = ['missing', 'changed', 'orphan'] as const;
export const DRIFT_ACTIONS = ['repaired', 'reported'] as const;

/** One Kubernetes object that differs from what Stratus wants. */
export const DriftFindingSchema = z.object({
  kind: z.string(),
  apiVersion: z.string(),
  name: z.string(),
  /** Absent for cluster-scoped objects (the Namespace itself). */
  namespace: z.string().optional(),
  /**
   * `missing`: Stratus wants it and Kubernetes lacks it; `changed`: it exists but differs from
   * what Stratus applied; `orphan`: Stratus labelled it but no live cluster wants it.
   */
  issue: z.enum(DRIFT_ISSUES),
});

export const ClusterDriftDetectedSchema = z.object({
  ...common,
  findings: z.array(DriftFindingSchema).min(1),
  /** What the reconciler did about it: `reported` only, or `repaired` (re-applied / removed). */
  action: z.enum(DRIFT_ACTIONS),
});

export const ClusterDriftRepairSuspendedSchema = z.object({
  ...common,
  /** The drift that came back after every repair. */
  findings: z.array(DriftFindingSchema).min(1),
  /** Repairs of this same drift the reconciler queued before it stopped. */
  repairs: z.int().min(1),
  /** When it stopped repairing. */
  suspendedAt: z.iso.datetime(),
  /**
   * Until when it does not repair this drift (it may report it). It tries again after, or sooner
   * when the drift clears or the cluster's spec changes.
   */
  suspendedUntil: z.iso.datetime(),
});

export type ClusterStatusChanged = z.infer<typeof ClusterStatusChangedSchema>;
export type OperationStatusChanged = z.infer<typeof OperationStatusChangedSchema>;
export type BackupStatusChanged = z.infer<typeof BackupStatusChangedSchema>;
export type ClusterDriftDetected = z.infer<typeof ClusterDriftDetectedSchema>;
export type BackupRestoreTestCompleted = z.infer<typeof BackupRestoreTestCompletedSchema>;
export type DriftFinding = z.infer<typeof DriftFindingSchema>;
export type ClusterDriftRepairSuspended = z.infer<typeof ClusterDriftRepairSuspendedSchema>;

/**
 * Every event, by `detail-type`, with its detail schema, a description for the catalog page
 * (docs/events.md, generated by `npm run gen:events`) and an example detail, validated in tests
 * against the published JSON Schema.
 */
export const EVENT_CATALOG = {
  'Cluster Status Changed': {
    schema: ClusterStatusChangedSchema,
    description:
      'A cluster changed status (PENDING, PROVISIONING, READY, UPDATING, PAUSING, PAUSED, RESUMING, DELETING, DELETED, FAILED).',
    example: {
      schemaVersion: '1',
      eventId: 'cl-01m80t0740zk6gkkx8d95khqxj/3',
      occurredAt: '2026-11-22T05:00:12.345Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      operationId: 'op-01m80t07402e1apj2qk6a1q9ay',
      previousStatus: 'PROVISIONING',
      status: 'READY',
      cluster: {
        name: 'vectors',
        engine: 'qdrant',
        version: '1.15.5',
        nodes: 1,
        generation: 1,
        observedGeneration: 1,
        endpoint: 'http://qdrant.stratus-cl-01m80t0740zk6gkkx8d95khqxj.svc.cluster.local:6333',
      },
    } satisfies ClusterStatusChanged,
  },
  'Operation Status Changed': {
    schema: OperationStatusChangedSchema,
    description: 'An operation changed status (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED).',
    example: {
      schemaVersion: '1',
      eventId: 'op-01m80t07402e1apj2qk6a1q9ay/3',
      occurredAt: '2026-11-22T05:30:00.000Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      correlationId: 'corr-01m80t074037az5dypdt40tkgq',
      operationId: 'op-01m80t07402e1apj2qk6a1q9ay',
      operationType: 'CREATE',
      previousStatus: 'RUNNING',
      status: 'FAILED',
      error: {
        code: 'DEADLINE_EXCEEDED',
        message: 'The operation did not finish by 2026-11-22T05:29:00.000Z',
      },
    } satisfies OperationStatusChanged,
  },
  'Backup Status Changed': {
    schema: BackupStatusChangedSchema,
    description:
      'A backup changed status (PENDING, RUNNING, SUCCEEDED, FAILED, DELETED). A restore is a CREATE operation: its cluster and operation events tell its progress, and the cluster names the backup (`restoredFrom`).',
    example: {
      schemaVersion: '1',
      eventId: 'bk-01m80v2r40a1b2c3d4e5f6g7h8/3',
      occurredAt: '2026-11-22T07:00:04.000Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      correlationId: 'corr-01m80v2r40pq8z6y5x4w3v2t1s',
      backupId: 'bk-01m80v2r40a1b2c3d4e5f6g7h8',
      operationId: 'op-01m80v2r40kd3f9g7h5j3k1m9n',
      previousStatus: 'RUNNING',
      status: 'SUCCEEDED',
      engine: 'qdrant',
      version: '1.15.5',
      sizeBytes: 4096,
      storage: {
        bucket: 'stratus-prod-backups-eu-west-1',
        prefix: 'tn-01m7y7kg401gkf4gg94d8dv4yk/cl-01m80t0740zk6gkkx8d95khqxj/bk-01m80v2r40a1b2c3d4e5f6g7h8/',
      },
    } satisfies BackupStatusChanged,
  },
  'Backup Restore Test Completed': {
    schema: BackupRestoreTestCompletedSchema,
    description:
      'A scheduled backup of a schedule with `restoreTest: true` was restored into a scratch cluster, which reached READY (SUCCEEDED) or did not (FAILED, with the code); the scratch cluster is then deleted. Published by the reconciler.',
    example: {
      schemaVersion: '1',
      eventId: 'bk-01m80v2r40a1b2c3d4e5f6g7h8/restore-test',
      occurredAt: '2026-11-22T07:03:10.000Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      correlationId: 'corr-01m80v2r40pq8z6y5x4w3v2t1s',
      backupId: 'bk-01m80v2r40a1b2c3d4e5f6g7h8',
      result: 'FAILED',
      engine: 'postgresql',
      scratchClusterId: 'cl-01m80v6b70s8d7f6g5h4j3k2m1',
      operationId: 'op-01m80v6b70q1w2e3r4t5y6u7i8',
      startedAt: '2026-11-22T07:01:00.000Z',
      finishedAt: '2026-11-22T07:03:10.000Z',
      durationSeconds: 130,
      error: {
        code: 'NOT_READY',
        message:
          'The backup did not restore: the database reported a failure it will not recover from by itself',
      },
    } satisfies BackupRestoreTestCompleted,
  },
  'Cluster Drift Detected': {
    schema: ClusterDriftDetectedSchema,
    description:
      'The reconciler found Kubernetes objects of a cluster that differ from what Stratus wants, or Stratus-labelled objects no cluster wants (orphans).',
    example: {
      schemaVersion: '1',
      eventId: 'cl-01m80t0740zk6gkkx8d95khqxj/drift/5c1e0a9b7d3f2e41',
      occurredAt: '2026-11-22T06:00:00.000Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      findings: [
        {
          kind: 'StatefulSet',
          apiVersion: 'apps/v1',
          name: 'qdrant',
          namespace: 'stratus-cl-01m80t0740zk6gkkx8d95khqxj',
          issue: 'missing',
        },
      ],
      action: 'reported',
    } satisfies ClusterDriftDetected,
  },
  'Cluster Drift Repair Suspended': {
    schema: ClusterDriftRepairSuspendedSchema,
    description:
      'The reconciler stopped repairing a drift that came back after each of its repairs (something, such as a mutating webhook, rewrites the objects): a human has to look.',
    example: {
      schemaVersion: '1',
      eventId: 'cl-01m80t0740zk6gkkx8d95khqxj/drift-suspended/5c1e0a9b7d3f2e41/2026-11-22T06:00:00.000Z',
      occurredAt: '2026-11-22T06:16:00.000Z',
      tenantId: 'tn-01m7y7kg401gkf4gg94d8dv4yk',
      region: 'eu-west-1',
      clusterId: 'cl-01m80t0740zk6gkkx8d95khqxj',
      findings: [
        {
          kind: 'StatefulSet',
          apiVersion: 'apps/v1',
          name: 'qdrant',
          namespace: 'stratus-cl-01m80t0740zk6gkkx8d95khqxj',
          issue: 'changed',
        },
      ],
      repairs: 3,
      suspendedAt: '2026-11-22T06:16:00.000Z',
      suspendedUntil: '2026-11-23T06:16:00.000Z',
    } satisfies ClusterDriftRepairSuspended,
  },
} as const;

export type DetailType = keyof typeof EVENT_CATALOG;
