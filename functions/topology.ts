/**
 * The one declaration of Stratus's functions and their triggers (DESIGN.md section 5).
 *
 * `lib/` turns it into AWS resources (NodejsFunction, API Gateway routes, event source
 * mappings with filters, queues); `local/` turns it into in-process triggers that call the very
 * same handlers. Nothing about wiring is written anywhere else, so local runs cannot drift from AWS.
 *
 * This module is data plus pure functions: no SDK, no CDK imports.
 */

/** A filter pattern in Lambda event-filtering / EventBridge pattern syntax. */
export type FilterPattern = Record<string, unknown>;

/** Where an environment variable's value comes from; each runtime resolves these its own way. */
export type EnvSource =
  | { readonly ref: 'table' }
  | { readonly ref: 'queueUrl'; readonly queue: QueueId }
  | { readonly ref: 'bus' }
  | { readonly ref: 'region' }
  | { readonly ref: 'regions' }
  /** Each region's public API base URL, as JSON `{"<region>": "<url>"}` (for 421 answers). */
  | { readonly ref: 'apiUrls' }
  /** Origins allowed by the API's CORS (the web console's), comma-separated; may be empty. */
  | { readonly ref: 'corsOrigins' }
  | { readonly ref: 'kubeAuth' }
  /**
   * Every configured region's EKS clusters, as JSON `[{"name", "capacityNodes", "region"}]`: a
   * region that took over another manages that region's databases on that region's clusters.
   */
  | { readonly ref: 'eksClusters' }
  /** Regions whose EKS clusters have a gateway for public endpoints, comma-separated (lib/config.ts `endpointRegions`). */
  | { readonly ref: 'endpointRegions' }
  /**
   * Regions whose EKS clusters all have a gateway with a `databaseIssuer`: clusters created there
   * serve TLS themselves (lib/config.ts `tlsRegions`), comma-separated.
   */
  | { readonly ref: 'tlsRegions' }
  /**
   * For each other region, the role this function assumes there to reach that region's EKS
   * clusters after a takeover, as JSON `{"<region>": "<role ARN>"}` (`{}` locally, where the
   * kubeconfig decides). Declaring it gives the function a takeover role in every other region
   * (lib/functions.ts; docs/eks.md, "Takeover access").
   */
  | { readonly ref: 'takeoverRoles' }
  /**
   * The secret that signs pagination tokens: its name in AWS, one secret replicated to every
   * region (the local runtime sets the key itself).
   */
  | { readonly ref: 'pageTokenSecret' }
  /** The region's backup bucket's name (lib/backup-bucket.ts; the local object store's bucket). */
  | { readonly ref: 'backupBucket' }
  /** JSON: source region -> the bucket of this region holding copies of its backups (`backupCopyTo`). */
  | { readonly ref: 'backupCopies' }
  /**
   * The ARN of the role the backup pods assume through EKS Pod Identity
   * (`stratus-<stage>-<region>-backup-pods`, lib/backup-identity.ts); empty locally (no EKS).
   */
  | { readonly ref: 'backupRole' }
  /** The backup buckets' Object Lock (`backupObjectLock`), as JSON `{mode, days}`; empty without. */
  | { readonly ref: 'backupObjectLock' }
  | { readonly value: string };

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders, e.g. `/v1/clusters/{clusterId}`. */
  readonly path: string;
}

export type Trigger =
  | { readonly type: 'http'; readonly routes: readonly HttpRoute[] }
  | {
      readonly type: 'stream';
      /** Filter patterns, one of which a record must match (OR), evaluated per region. */
      readonly filters: (region: string) => readonly FilterPattern[];
      readonly batchSize: number;
      readonly maxBatchingWindowSeconds: number;
      /** Retries of a failing record before it goes to the stream failure queue. */
      readonly retryAttempts: number;
      readonly bisectBatchOnError: boolean;
    }
  | {
      readonly type: 'queue';
      readonly queue: QueueId;
      readonly batchSize: number;
      readonly maxBatchingWindowSeconds: number;
      readonly maxConcurrency: number;
    }
  | {
      readonly type: 'schedule';
      /**
       * Runs every `everyMinutes` minutes: an EventBridge schedule rule in AWS, a timer locally.
       * Runs may overlap if one outlasts the interval, so the function must be idempotent.
       */
      readonly everyMinutes: number;
    };

export interface FunctionDef {
  /** Path of the handler module from the repository root. */
  readonly entry: string;
  /** Exported handler name. */
  readonly handler: 'handler';
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly triggers: readonly Trigger[];
  readonly environment: Readonly<Record<string, EnvSource>>;
  /** What the function may do; each runtime grants (CDK) or ignores (local) it. */
  readonly permissions: readonly Permission[];
}

export type Permission =
  | 'table:read'
  | 'table:write'
  /** Strongly consistent reads of up to 100 items per call (BatchGetItem): the reconciler's orphan pass. */
  | 'table:batch-read'
  | 'queue:send'
  | 'bus:put'
  | 'eks:describe'
  | 'eks:access'
  /** Read Secrets in Stratus namespaces (connection reveal): a Kubernetes group, no EKS policy. */
  | 'eks:read-secrets'
  /**
   * Read what Stratus owns in Kubernetes (the reconciler's drift and orphan sweep): the
   * Kubernetes group `stratus-reconciler` only, no EKS access policy (deploy/kubernetes/rbac.yaml
   * grants it the kinds Stratus renders; credential Secrets by name, in their namespace).
   */
  | 'eks:view'
  | 'secret:page-token'
  /** List the backup bucket (what a backup stored). */
  | 'backup:read'
  /** List and delete in the backup bucket (deleted and expired backups, by the reconciler). */
  | 'backup:delete'
  /**
   * Associate the backup role with a cluster's backup ServiceAccount through EKS Pod Identity
   * (create, update, delete associations on the region's EKS clusters; `iam:PassRole` of that role
   * to `pods.eks.amazonaws.com` only).
   */
  | 'backup:identity';

export interface QueueDef {
  /** Visibility timeout: at least 6x the consumer's timeout, as AWS recommends. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the queue's DLQ. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
}

export const QUEUES = {
  provisioning: { visibilityTimeoutSeconds: 6 * 120, maxReceiveCount: 5, retentionDays: 4 },
} as const satisfies Record<string, QueueDef>;
export type QueueId = keyof typeof QUEUES;

/** The single table's key schema, indexes and stream: CDK creates it, the local runtime too. */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    // Clusters of a region (reconciler); operations of a cluster, newest first; API keys of a tenant.
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    // Sparse: only non-terminal operations, by region and deadline (the reconciler's sweep).
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  ttlAttribute: 'ttl',
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

/** Entity names stored in the `entity` attribute of every table item. */
export const ENTITY = {
  cluster: 'Cluster',
  operation: 'Operation',
  backup: 'Backup',
} as const;

/** The namespace of the business metrics (functions/shared/observability.ts, docs/operations.md). */
export const METRICS_NAMESPACE = 'Stratus';

const commonEnv = {
  TABLE_NAME: { ref: 'table' },
  STRATUS_REGION: { ref: 'region' },
  // The business metrics' namespace (functions/shared/observability.ts, docs/operations.md).
  POWERTOOLS_METRICS_NAMESPACE: { value: METRICS_NAMESPACE },
} as const satisfies Record<string, EnvSource>;

export const FUNCTIONS = {
  api: {
    entry: 'functions/api/handler.ts',
    handler: 'handler',
    description: 'Stratus HTTPS API (/v1): validates, authenticates, stores requests',
    memoryMb: 1024,
    timeoutSeconds: 29,
    triggers: [
      {
        type: 'http',
        routes: [
          { method: 'POST', path: '/v1/clusters' },
          { method: 'GET', path: '/v1/clusters' },
          { method: 'GET', path: '/v1/clusters/{clusterId}' },
          { method: 'PATCH', path: '/v1/clusters/{clusterId}' },
          { method: 'DELETE', path: '/v1/clusters/{clusterId}' },
          { method: 'POST', path: '/v1/clusters/{clusterId}/pause' },
          { method: 'POST', path: '/v1/clusters/{clusterId}/resume' },
          { method: 'GET', path: '/v1/clusters/{clusterId}/operations' },
          { method: 'GET', path: '/v1/clusters/{clusterId}/connection' },
          { method: 'POST', path: '/v1/clusters/{clusterId}/backups' },
          { method: 'GET', path: '/v1/clusters/{clusterId}/backups' },
          { method: 'GET', path: '/v1/backups/{backupId}' },
          { method: 'DELETE', path: '/v1/backups/{backupId}' },
          { method: 'GET', path: '/v1/operations/{operationId}' },
          { method: 'POST', path: '/v1/operations/{operationId}/cancel' },
          { method: 'POST', path: '/v1/api-keys' },
          { method: 'GET', path: '/v1/api-keys' },
          { method: 'DELETE', path: '/v1/api-keys/{keyId}' },
          { method: 'GET', path: '/v1/openapi.json' },
        ],
      },
    ],
    environment: {
      ...commonEnv,
      STRATUS_REGIONS: { ref: 'regions' },
      STRATUS_API_URLS: { ref: 'apiUrls' },
      STRATUS_CORS_ORIGINS: { ref: 'corsOrigins' },
      PAGE_TOKEN_SECRET_ID: { ref: 'pageTokenSecret' },
      BACKUP_BUCKET: { ref: 'backupBucket' },
      BACKUP_COPIES: { ref: 'backupCopies' },
      ENDPOINT_REGIONS: { ref: 'endpointRegions' },
      TLS_REGIONS: { ref: 'tlsRegions' },
      BACKUP_OBJECT_LOCK: { ref: 'backupObjectLock' },
    },
    permissions: ['table:read', 'table:write', 'secret:page-token'],
  },
  reveal: {
    entry: 'functions/reveal/handler.ts',
    handler: 'handler',
    description:
      'Stratus HTTPS API, credential reveal (admin, audited): reads the Secret in Kubernetes; the one route that needs EKS access',
    memoryMb: 512,
    timeoutSeconds: 29,
    triggers: [
      { type: 'http', routes: [{ method: 'POST', path: '/v1/clusters/{clusterId}/connection/reveal' }] },
    ],
    environment: {
      ...commonEnv,
      STRATUS_REGIONS: { ref: 'regions' },
      STRATUS_API_URLS: { ref: 'apiUrls' },
      STRATUS_CORS_ORIGINS: { ref: 'corsOrigins' },
      EKS_CLUSTERS: { ref: 'eksClusters' },
      TAKEOVER_ROLE_ARNS: { ref: 'takeoverRoles' },
      KUBE_AUTH: { ref: 'kubeAuth' },
    },
    // table:write: the audit record of every reveal, and the rate-limit windows.
    permissions: ['table:read', 'table:write', 'eks:describe', 'eks:read-secrets'],
  },
  dispatcher: {
    entry: 'functions/dispatcher/handler.ts',
    handler: 'handler',
    description: 'Stream -> provisioning queue: fans out new operations homed in this region',
    memoryMb: 256,
    timeoutSeconds: 30,
    triggers: [
      {
        type: 'stream',
        filters: (region) => [
          {
            eventName: ['INSERT'],
            // homeRegion: the region that wrote it. Each region's stream also carries the other
            // regions' writes (global-table replication); only the writer acts on them.
            dynamodb: { NewImage: { entity: { S: [ENTITY.operation] }, homeRegion: { S: [region] } } },
          },
        ],
        batchSize: 100,
        maxBatchingWindowSeconds: 0,
        retryAttempts: 10,
        bisectBatchOnError: true,
      },
    ],
    // No TABLE_NAME: the dispatcher reads the stream, never the table (functions/dispatcher/env.ts).
    environment: {
      STRATUS_REGION: { ref: 'region' },
      PROVISIONING_QUEUE_URL: { ref: 'queueUrl', queue: 'provisioning' },
    },
    permissions: ['queue:send'],
  },
  provisioner: {
    entry: 'functions/provisioner/handler.ts',
    handler: 'handler',
    description: 'Applies clusters to Kubernetes and records their status',
    memoryMb: 512,
    timeoutSeconds: 120,
    triggers: [
      {
        type: 'queue',
        queue: 'provisioning',
        batchSize: 5,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 20,
      },
    ],
    environment: {
      ...commonEnv,
      PROVISIONING_QUEUE_URL: { ref: 'queueUrl', queue: 'provisioning' },
      EKS_CLUSTERS: { ref: 'eksClusters' },
      TAKEOVER_ROLE_ARNS: { ref: 'takeoverRoles' },
      KUBE_AUTH: { ref: 'kubeAuth' },
      BACKUP_BUCKET: { ref: 'backupBucket' },
      BACKUP_ROLE_ARN: { ref: 'backupRole' },
      BACKUP_OBJECT_LOCK: { ref: 'backupObjectLock' },
    },
    permissions: [
      'table:read',
      'table:write',
      'queue:send',
      'eks:describe',
      'eks:access',
      'backup:read',
      'backup:identity',
    ],
  },
  statusPublisher: {
    entry: 'functions/status-publisher/handler.ts',
    handler: 'handler',
    description:
      'Stream -> EventBridge: publishes status changes of clusters, operations and backups homed here',
    memoryMb: 256,
    timeoutSeconds: 30,
    triggers: [
      {
        type: 'stream',
        filters: (region) => [
          {
            eventName: ['INSERT', 'MODIFY'],
            dynamodb: {
              NewImage: {
                entity: { S: [ENTITY.cluster, ENTITY.operation, ENTITY.backup] },
                homeRegion: { S: [region] },
              },
            },
          },
        ],
        batchSize: 100,
        maxBatchingWindowSeconds: 0,
        retryAttempts: 10,
        bisectBatchOnError: true,
      },
    ],
    // No TABLE_NAME: it reads the stream, never the table (functions/status-publisher/env.ts).
    environment: { STRATUS_REGION: { ref: 'region' }, EVENT_BUS_NAME: { ref: 'bus' } },
    permissions: ['bus:put'],
  },
  reconciler: {
    entry: 'functions/reconciler/handler.ts',
    handler: 'handler',
    description:
      'Scheduled: fails operations past their deadline; fires backup schedules and deletes expired backups; repairs or reports drift and orphans in Kubernetes',
    memoryMb: 256,
    // Shorter than the schedule interval, so runs rarely overlap (they may: every write is conditional).
    timeoutSeconds: 50,
    triggers: [{ type: 'schedule', everyMinutes: 1 }],
    environment: {
      ...commonEnv,
      EVENT_BUS_NAME: { ref: 'bus' },
      EKS_CLUSTERS: { ref: 'eksClusters' },
      TAKEOVER_ROLE_ARNS: { ref: 'takeoverRoles' },
      KUBE_AUTH: { ref: 'kubeAuth' },
      // 'true' deletes orphan namespaces; that needs namespace delete in RBAC (docs/eks.md).
      RECONCILER_DELETE_ORPHANS: { value: 'false' },
      BACKUP_BUCKET: { ref: 'backupBucket' },
    },
    permissions: [
      'table:read',
      'table:write',
      'table:batch-read',
      'bus:put',
      'eks:describe',
      'eks:view',
      'backup:delete',
    ],
  },
} as const satisfies Record<string, FunctionDef>;

export type FunctionId = keyof typeof FUNCTIONS;

/** All HTTP routes, for routers and for API Gateway. */
export function httpRoutes(): Array<HttpRoute & { fn: FunctionId }> {
  return (Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>).flatMap(([fn, def]) =>
    def.triggers.flatMap((t) => (t.type === 'http' ? t.routes.map((r) => ({ ...r, fn })) : [])),
  );
}

/**
 * The functions that reach other regions' EKS clusters after a takeover: those that declare
 * `{ ref: 'takeoverRoles' }`. Each has a takeover role in every other region.
 */
export function takeoverFunctions(): FunctionId[] {
  return (Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>).flatMap(([fn, def]) =>
    Object.values(def.environment).some((s) => 'ref' in s && s.ref === 'takeoverRoles') ? [fn] : [],
  );
}
