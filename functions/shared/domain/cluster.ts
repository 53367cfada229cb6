/**
 * The cluster as the domain sees it: the desired spec (what was asked, `generation`)
 * and the observed state (what runs, `observedGeneration`), as Kubernetes objects do.
 * Pure types and rules: no SDK imports here.
 */
import type { EndpointSettings } from './endpoint.js';

export const CLUSTER_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'READY',
  'UPDATING',
  'DELETING',
  'DELETED',
  'FAILED',
  'PAUSING',
  'PAUSED',
  'RESUMING',
] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

export const OPERATION_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * BACKUP: an on-demand backup of a READY cluster (functions/shared/domain/backups.ts). PAUSE and
 * RESUME: its pods stop and start again, its volumes and backups stay (functions/shared/domain/pause.ts).
 */
export const OPERATION_TYPES = ['CREATE', 'UPDATE', 'DELETE', 'BACKUP', 'PAUSE', 'RESUME'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/**
 * A backup's life: PENDING (its operation is queued), RUNNING, then SUCCEEDED or FAILED; DELETING
 * once deleted (or expired) until the reconciler has removed its objects, then DELETED.
 */
export const BACKUP_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DELETING', 'DELETED'] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

/** Compute, memory and storage of one node, from the API's size plan. */
export interface NodeSize {
  /** Kubernetes CPU quantity per node, e.g. `500m`. */
  readonly cpu: string;
  /** Kubernetes memory quantity per node, e.g. `1Gi`. */
  readonly memory: string;
  /** Persistent volume size per node in GiB. */
  readonly storageGiB: number;
}

/** What a blueprint needs to render a cluster: the desired spec, never the observed state. */
export interface ClusterSpec {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly name: string;
  readonly engine: string;
  readonly version: string;
  readonly region: string;
  readonly nodes: number;
  readonly size: NodeSize;
  /** Engine settings, already validated by the engine's own schema. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly generation: number;
  /**
   * Where the cluster's backups go (the region's backup bucket and the cluster's prefix), set on
   * clusters created or backed up once a backup bucket exists: PostgreSQL renders its WAL archive
   * and base backups there.
   */
  readonly backupStore?: BackupStore;
  /** A cluster created from a backup: what it restores at bootstrap. */
  readonly restore?: RestoreSource;
  /**
   * Paused (PAUSE): the engine renders no running pods (a StatefulSet at 0 replicas, CloudNativePG
   * hibernation) and keeps its volumes. Only set for engines whose blueprint has `pause`.
   */
  readonly paused?: boolean;
  /**
   * Its external endpoint (issue #17): when `public`, every blueprint's render adds the gateway's
   * objects (functions/shared/engines/endpoints.ts). Absent: not public.
   */
  readonly endpoint?: EndpointSettings;
  /**
   * The engine serves TLS only, with the cluster's certificate (engines/tls.ts): set at creation
   * where the EKS clusters' gateways name a `databaseIssuer` (cert-manager) and the engine supports
   * it; never changed.
   */
  readonly tls?: boolean;
}

/** An object store location: a bucket and a key prefix (`/`-terminated). Never credentials. */
export interface BackupStore {
  readonly bucket: string;
  readonly prefix: string;
}

/** The backup a new cluster restores, and for PostgreSQL the moment to recover to. */
export interface RestoreSource {
  readonly backupId: string;
  /** The backed-up cluster: its engine reads its files (PostgreSQL: its WAL archive) from here. */
  readonly clusterId: string;
  /** Where the backup's objects are. */
  readonly storage: BackupStore;
  /** The cluster's backup store (PostgreSQL: the WAL archive the recovery replays). */
  readonly sourceStore: BackupStore;
  /** PostgreSQL only: recover up to this time (ISO 8601), else to the end of the backup. */
  readonly pointInTime?: string;
  /** Restored from the copy held in this region of a backup taken in `copiedFrom` (`backupCopyTo`). */
  readonly copiedFrom?: string;
}

/** Connection details that may be shown to API users (never secret values). */
export interface ConnectionInfo {
  /** In-cluster DNS name of the service, e.g. `qdrant.stratus-cl-abc.svc.cluster.local`. */
  readonly host: string;
  readonly port: number;
  /** `<protocol>://<host>:<port>` */
  readonly endpoint: string;
  /** Where the credential lives: namespace/name/key of a Kubernetes Secret. */
  readonly credentialRef?: { readonly namespace: string; readonly name: string; readonly key: string };
  /**
   * The engine serves TLS with the cluster's certificate (`spec.tls`): verify it as `serverName`
   * with the cluster's CA; `required`: it refuses plain text (all but PostgreSQL 16).
   */
  readonly tls?: { readonly serverName: string; readonly required: boolean };
  /** Engines that also serve gRPC (Qdrant): its port on the same Service. */
  readonly grpcPort?: number;
}
