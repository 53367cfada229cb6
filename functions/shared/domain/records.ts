import type {
  BackupStore,
  ClusterStatus,
  NodeSize,
  OperationStatus,
  OperationType,
  RestoreSource,
} from './cluster.js';
import type { EndpointSettings, ExternalEndpoint } from './endpoint.js';
import type { SizeName } from './sizes.js';

/** The cluster as stored: desired spec plus observed state. */
export interface ClusterRecord {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly name: string;
  readonly engine: string;
  readonly version: string;
  /** Where the database runs (its EKS clusters' region); fixed at creation. */
  readonly region: string;
  /**
   * The region whose control plane manages the cluster and alone writes its items: `region`,
   * unless a takeover moved its control elsewhere (docs/data-model.md, docs/operations.md).
   */
  readonly homeRegion: string;
  readonly nodes: number;
  readonly sizeName: SizeName;
  readonly size: NodeSize;
  readonly settings: Record<string, unknown>;
  readonly deletionProtection: boolean;
  readonly status: ClusterStatus;
  /** Bumped on every spec change. */
  readonly generation: number;
  /** The generation that last reached READY. */
  readonly observedGeneration: number;
  /** Bumped on every status change; with the id it names one logical event. */
  readonly statusVersion: number;
  readonly activeOperationId?: string;
  /** EKS cluster the database is placed on, fixed at creation. */
  readonly placement?: string;
  readonly endpoint?: string;
  readonly port?: number;
  readonly statusReason?: string;
  /**
   * Set by an operator on the item while they work on the cluster by hand: the reconciler then
   * reports drift (`Cluster Drift Detected`, action `reported`) instead of re-applying it.
   */
  readonly maintenance?: boolean;
  /** The reconciler's repairs of one drift, counted to stop a fight (functions/reconciler/drift.ts). */
  readonly driftRepairs?: DriftRepairSeries;
  /** Set by the reconciler when it stopped repairing a drift that comes back after every repair. */
  readonly driftRepairSuspended?: DriftRepairSuspension;
  /** Where its backups go (set at creation, or by its first backup). */
  readonly backupStore?: BackupStore;
  /** Created from a backup: what its CREATE restored. */
  readonly restoreFrom?: RestoreSource;
  /** Scheduled backups (the reconciler fires them) and how long they are kept. */
  readonly backupPolicy?: BackupPolicy;
  /**
   * Desired: no pods (set by PAUSE, cleared by RESUME, a new generation each time). The cluster is
   * PAUSED once its pods are gone; a failed pause or resume leaves it FAILED with this still set.
   */
  readonly paused?: boolean;
  /**
   * A restore test's scratch cluster (the backup it restores): out of the tenant's list and quota,
   * deleted by the reconciler once the test has its result (functions/reconciler/restore-tests.ts).
   */
  readonly restoreTestOf?: string;
  /**
   * The external endpoint's settings (issue #17; part of the desired spec, changed by an UPDATE).
   * Absent: PRIVATE_ENDPOINT (not public).
   */
  readonly endpointSettings?: EndpointSettings;
  /** Observed: where the public endpoint answers, set when the cluster becomes READY with one. */
  readonly externalEndpoint?: ExternalEndpoint;
  /**
   * Serves TLS only, with its own certificate (engines/tls.ts): set at creation where the EKS
   * clusters have a gateway (cert-manager) and the engine supports it; never changed after.
   */
  readonly tls?: boolean;
  /** Observed: PEM of the CA of the database's certificate (TLS clusters), set when READY. */
  readonly caBundle?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Repairs the reconciler queued for the same drift (same findings) at the same generation, since
 * `firstAt`. Written with each repair, in the same transaction.
 */
export interface DriftRepairSeries {
  /** Digest of the findings (functions/reconciler/events.ts `findingsHash`). */
  readonly findingsHash: string;
  readonly generation: number;
  readonly repairs: number;
  readonly firstAt: string;
  readonly lastAt: string;
}

/** One object that kept drifting, and the fields that differed. */
export interface DriftedObject {
  readonly kind: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly namespace?: string;
  readonly issue: 'missing' | 'changed' | 'orphan';
  /** Dotted paths of the fields that differed (empty for a missing object). */
  readonly paths: readonly string[];
}

/**
 * The reconciler no longer repairs this drift (something rewrites it after every repair, e.g. a
 * mutating webhook): it reported it instead (`Cluster Drift Repair Suspended`). Void once `until`
 * passes, the generation changes (a spec change), or the drift clears.
 */
export interface DriftRepairSuspension {
  readonly findingsHash: string;
  readonly generation: number;
  /** Repairs queued within the window before giving up. */
  readonly repairs: number;
  readonly objects: readonly DriftedObject[];
  readonly since: string;
  readonly until: string;
}

/** A cluster's backup schedule (cron, UTC), its scheduled backups' retention, and its next run. */
export interface BackupPolicy {
  readonly schedule: string;
  readonly retentionDays: number;
  readonly nextBackupAt: string;
  /** Each scheduled backup that succeeds is restored into a scratch cluster, checked READY, deleted. */
  readonly restoreTest?: boolean;
}

/** The spec fields an UPDATE changes, kept on the operation so a cancel can restore them. */
export interface SpecSnapshot {
  readonly nodes: number;
  readonly sizeName: SizeName;
  readonly size: NodeSize;
  readonly version: string;
  readonly settings: Record<string, unknown>;
  readonly generation: number;
  readonly status: ClusterStatus;
  /** PAUSE and RESUME: whether the cluster was paused (a cancel puts it back). */
  readonly paused?: boolean;
  /** The endpoint settings it had (absent: PRIVATE_ENDPOINT), for a cancel or a rollback. */
  readonly endpointSettings?: EndpointSettings;
}

export interface OperationError {
  readonly code: string;
  readonly message: string;
}

export interface OperationRecord {
  readonly tenantId: string;
  readonly operationId: string;
  readonly clusterId: string;
  readonly region: string;
  /** The region that runs the operation: its cluster's `homeRegion` (dispatcher and publisher filter on it). */
  readonly homeRegion: string;
  readonly type: OperationType;
  /** Its cluster's engine, for the operation metrics by type and engine (absent on older records). */
  readonly engine?: string;
  readonly status: OperationStatus;
  /** The workflow step reached, so a redelivered message resumes instead of redoing. */
  readonly step:
    | 'APPLY'
    | 'WAIT_READY'
    | 'ROLLBACK_APPLY'
    | 'ROLLBACK_WAIT'
    | 'CLEANUP'
    | 'CLEANUP_WAIT'
    | 'DONE';
  readonly statusVersion: number;
  /** The cluster generation this operation brings to life. */
  readonly targetGeneration: number;
  readonly correlationId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly deadline: string;
  readonly error?: OperationError;
  /** The key that asked for it (audit). */
  readonly requestedBy?: string;
  /** UPDATE and DELETE: the cluster as it was, for cancel. */
  readonly previous?: SpecSnapshot;
  /** Node count change this operation reserved in the tenant's quota. */
  readonly nodeDelta?: number;
  /** A failed UPDATE being rolled back: why it failed, and the generation that restores the previous spec. */
  readonly rollback?: { readonly cause: OperationError; readonly generation: number };
  /** A failed CREATE removing what it applied before it ends FAILED with `cause`. */
  readonly cleanup?: { readonly cause: OperationError };
  /** The provisioner delivery that owns the current workflow step (docs/operations.md, "One delivery owns a step"). */
  readonly claim?: StepClaim;
  /** BACKUP: the backup it takes. */
  readonly backupId?: string;
}

/**
 * A provisioning message's claim on its operation's next step: `seq` is the message's, `region`
 * the provisioner's that claimed it, `by` the queue message id (its redelivery may take the step
 * over), `until` when any delivery may take it over if its holder died, `done` once the step
 * sent its successor.
 */
export interface StepClaim {
  readonly seq: number;
  readonly region: string;
  readonly by?: string;
  /** The SQS receive count of the delivery that claimed it. */
  readonly receive?: number;
  readonly until: string;
  readonly done: boolean;
}
