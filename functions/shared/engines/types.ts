import type { ZodType } from 'zod';
import type { BackupStore, ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import type { GatewayContext } from './endpoints.js';
import type { TlsSupport } from './tls.js';

/** A Kubernetes object as Stratus renders it and the Kubernetes layer applies it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A Kubernetes kind, as the API serves it. */
export interface KubeKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Result of a readiness check over the live objects read back from Kubernetes. */
export type Readiness =
  | { readonly ready: true }
  | { readonly ready: false; readonly reason: string; readonly permanent?: boolean };

/** Context for rendering: values the blueprint cannot derive from the spec. */
export interface RenderContext {
  /** Generated credentials, created once per cluster and kept in Kubernetes only. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Operation and correlation ids, put on every object as annotations. */
  readonly operationId: string;
  readonly correlationId: string;
  /**
   * The Kubernetes API server's addresses (CIDRs) on the EKS cluster the objects go to, for the
   * egress of pods that call it (`regions[].eksClusters[].apiServerCidrs`, lib/config.ts).
   *
   * @default - DEFAULT_KUBE_API_CIDRS (tenancy.ts): the private address ranges
   */
  readonly kubeApiCidrs?: readonly string[];
  /**
   * The shared gateway of the EKS cluster (`regions[].eksClusters[].gateway`, lib/config.ts): a
   * spec with a public endpoint renders its objects for it (endpoints.ts). Absent: none rendered.
   */
  readonly gateway?: GatewayContext;
}

/**
 * An engine plugin. Plain StatefulSet engines and operator-backed engines fit the same shape.
 */
export interface Blueprint {
  readonly engine: string;
  readonly displayName: string;
  /** Supported versions, oldest first; the last is the default. */
  readonly versions: readonly string[];
  /** Engine settings accepted by the API (strict: unknown keys are refused). */
  readonly settingsSchema: ZodType<Record<string, unknown>>;
  /** Names of the generated secrets the engine needs (e.g. `apiKey`). */
  readonly secretNames: readonly string[];
  /**
   * Every namespaced kind `render` may return, for any spec (the tenancy kinds included), but the
   * public endpoint's (endpoints.ts `endpointKinds`, listed only where the EKS cluster has a
   * gateway): a rollback (or an UPDATE without its previous spec) lists these in the cluster's
   * namespace to prune what is no longer rendered; an UPDATE compares the two specs' renders instead.
   */
  readonly kinds: readonly KubeKind[];
  /** All objects for the cluster, in apply order (namespace first). */
  render(spec: ClusterSpec, ctx: RenderContext): KubeObject[];
  /** References of the objects whose live state decides readiness. */
  readinessRefs(
    spec: ClusterSpec,
  ): Array<Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace: string } }>;
  /** Readiness from the live objects (same order as readinessRefs; undefined = not found). */
  readiness(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): Readiness;
  connection(spec: ClusterSpec): ConnectionInfo;
  /**
   * Whether a running cluster may move from `fromVersion` to `toVersion`: undefined when it may,
   * else a message for the API user saying why not (and what to do instead). The same version is
   * always allowed (a no-op).
   */
  checkUpgrade(fromVersion: string, toVersion: string): string | undefined;
  /**
   * Rules across `nodes` and the settings (YugabyteDB's replication factor needs as many nodes):
   * undefined when the pair is valid, else the message for the API user. Checked on create and on
   * every update that changes either.
   */
  checkSpec?(nodes: number, settings: Readonly<Record<string, unknown>>): string | undefined;
  /**
   * Settings fixed at creation (e.g. the bootstrap database); a PATCH that changes one is refused
   * with `SETTING_IMMUTABLE`.
   */
  readonly immutableSettings?: readonly string[];
  /** How the engine backs up and restores (absent: it cannot; the API refuses). */
  readonly backup?: BackupSupport;
  /**
   * How the engine pauses: `render` honours `spec.paused` (no running pods, volumes kept) and this
   * tells when the pods are gone or back. Absent: it cannot pause (PAUSE_NOT_SUPPORTED).
   */
  readonly pause?: PauseSupport;
  /**
   * How the engine serves TLS with the cluster's certificate when `spec.tls` is set (tls.ts), and
   * how the gateway reaches it. Absent: it never serves TLS (the API never sets `spec.tls`).
   */
  readonly tls?: TlsSupport;
}

type ObjectRef = Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace: string } };

/** Where a pause or a resume stands, read from the live objects. */
export type PauseState =
  /** No pod of the database runs any more; its volumes are kept. */
  | { readonly state: 'paused' }
  /** The pods are back (the blueprint's readiness then says whether the database serves). */
  | { readonly state: 'running' }
  | { readonly state: 'changing'; readonly reason: string };

/**
 * An engine's pause: a PAUSE is done when `state` says `paused`; a RESUME when it says `running`
 * and the blueprint's `readiness` is ready.
 */
export interface PauseSupport {
  /** How the engine stops its pods, for people (docs, logs): e.g. `StatefulSet scaled to 0`. */
  readonly method: string;
  /** The objects whose live state tells whether the pods are gone. */
  refs(spec: ClusterSpec): ObjectRef[];
  /** From the live objects (same order as `refs`; undefined = not found). */
  state(spec: ClusterSpec, live: ReadonlyArray<KubeObject | undefined>): PauseState;
}

/** One backup the provisioner takes: its id and where its objects go. */
export interface BackupTarget {
  readonly backupId: string;
  /** Where the backup's objects are expected (BackupSupport.storage). */
  readonly storage: BackupStore;
  /** The cluster's prefix in the bucket. */
  readonly clusterStore: BackupStore;
}

/** A backup's progress, read from the object that takes it. */
export type BackupProgress =
  | { readonly state: 'running'; readonly reason: string }
  /** `storage`: where the engine put it, when it chose (CloudNativePG names its base backups). */
  | { readonly state: 'succeeded'; readonly storage?: BackupStore }
  | { readonly state: 'failed'; readonly reason: string };

/**
 * An engine's backups: the Kubernetes objects that take one (an operator's backup resource or a
 * Job), how to read their progress, and whether a restore can replay to a point in time.
 */
export interface BackupSupport {
  /** A restore may name a `pointInTime` (the engine archives a log it can replay). */
  readonly pointInTime: boolean;
  /** A new cluster can be created from one of its backups (`restoreFrom`). */
  readonly restore: boolean;
  /**
   * A backup holds one node's data and restores into one node only (Qdrant: a full storage
   * snapshot is one node's, and restoring one is refused in distributed mode). The API refuses a
   * restore of a backup taken from several nodes, or into several nodes. @default false
   */
  readonly restoreSingleNode?: boolean;
  /**
   * Who writes the backups: the ServiceAccount the engine's backup (and restore) pods run as,
   * which EKS Pod Identity associates with the region's backup role in the cluster's namespace
   * (functions/shared/backup-identity.ts). `databasePods`: the database's own pods run as it
   * (CloudNativePG's instances archive their WAL), so the association must exist before they
   * start, at the cluster's creation; otherwise it is made before the first backup's Job.
   */
  readonly identity: { readonly serviceAccount: string; readonly databasePods: boolean };
  /** Where a backup's objects go, before it runs. */
  storage(clusterStore: BackupStore, backupId: string): BackupStore;
  /** The objects that take the backup, applied after the cluster's own (never pruned). */
  render(spec: ClusterSpec, target: BackupTarget, ctx: RenderContext): KubeObject[];
  /** The object whose status tells the backup's progress. */
  statusRef(
    spec: ClusterSpec,
    target: BackupTarget,
  ): Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace: string } };
  progress(target: BackupTarget, live: KubeObject | undefined): BackupProgress;
}
