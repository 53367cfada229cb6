import * as z from 'zod';
import { BACKUP_STATUSES, CLUSTER_STATUSES, OPERATION_STATUSES, OPERATION_TYPES } from '../domain/cluster.js';
import { EndpointRequestSchema } from '../domain/endpoint.js';
import { MAX_NODES, SIZE_NAMES } from '../domain/sizes.js';
import { engineNames } from '../engines/registry.js';

/**
 * The /v1 API contract: request bodies are strict (unknown fields are refused), responses are
 * what clients may rely on. Engine, version and region are checked against run-time registries
 * by the domain, so their messages can list what is valid.
 */

export const ClusterNameSchema = z
  .string()
  .min(3, 'must be 3 to 40 characters')
  .max(40, 'must be 3 to 40 characters')
  .regex(
    /^[a-z]([a-z0-9-]*[a-z0-9])?$/,
    'must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen',
  );

/** Scheduled backups: a five-field cron expression in UTC, at most hourly, and their retention. */
export const BackupPolicyRequestSchema = z.strictObject({
  schedule: z.string().min(9).max(100),
  retentionDays: z.int().min(1).max(3650),
  /**
   * Restore each scheduled backup that succeeds into a scratch cluster, check it reaches READY,
   * delete it, and publish `Backup Restore Test Completed` (engines that restore only).
   */
  restoreTest: z.boolean().optional(),
});

/** Checked by the domain (UNSUPPORTED_ENGINE lists them); named here for the OpenAPI document. */
const ENGINE_DESCRIPTION = `The engine: one of ${engineNames().join(', ')} (docs/engines.md).`;

export const CreateClusterRequestSchema = z.strictObject({
  name: ClusterNameSchema,
  engine: z.string().min(1).max(40).describe(ENGINE_DESCRIPTION),
  region: z.string().min(1).max(40),
  version: z.string().min(1).max(40).optional(),
  nodes: z.int().min(1).max(MAX_NODES).default(1),
  size: z.enum(SIZE_NAMES).default('small'),
  settings: z.record(z.string().max(100), z.unknown()).default({}),
  deletionProtection: z.boolean().default(false),
  endpoint: EndpointRequestSchema.optional(),
  /**
   * Create the cluster from a backup (same engine and version). `pointInTime` (PostgreSQL only):
   * recover to that moment, at or after the end of the backup and not in the future.
   */
  backup: BackupPolicyRequestSchema.optional(),
  restoreFrom: z
    .strictObject({
      backupId: z.string().regex(/^bk-[0-9a-hjkmnp-tv-z]{26}$/, 'must be a backup id (bk-...)'),
      pointInTime: z.iso.datetime({ offset: true }).optional(),
    })
    .optional(),
});
export type CreateClusterRequest = z.infer<typeof CreateClusterRequestSchema>;

/** PATCH: every field optional, at least one; unknown fields refused. */
export const UpdateClusterRequestSchema = z
  .strictObject({
    nodes: z.int().min(1).max(MAX_NODES).optional(),
    size: z.enum(SIZE_NAMES).optional(),
    version: z.string().min(1).max(40).optional(),
    settings: z.record(z.string().max(100), z.unknown()).optional(),
    deletionProtection: z.boolean().optional(),
    /** The backup schedule and retention; `null` stops scheduled backups. */
    backup: BackupPolicyRequestSchema.nullable().optional(),
    /** The external endpoint's settings, merged over the current ones (an UPDATE operation). */
    endpoint: EndpointRequestSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'send at least one of: nodes, size, version, settings, deletionProtection, backup, endpoint',
  });
export type UpdateClusterRequest = z.infer<typeof UpdateClusterRequestSchema>;

const limitParam = z.coerce.number().int().min(1).max(100).default(20);

export const ListClustersQuerySchema = z.strictObject({
  limit: limitParam,
  nextToken: z.string().max(2048).optional(),
  region: z.string().max(40).optional(),
  engine: z.string().max(40).optional().describe(ENGINE_DESCRIPTION),
  status: z.enum(CLUSTER_STATUSES).optional(),
});
export type ListClustersQuery = z.infer<typeof ListClustersQuerySchema>;

export const PageQuerySchema = z.strictObject({
  limit: limitParam,
  nextToken: z.string().max(2048).optional(),
});

export const DryRunQuerySchema = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional(),
});

export const API_KEY_ROLES = ['admin', 'editor', 'viewer'] as const;
export const CreateApiKeyRequestSchema = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(API_KEY_ROLES),
  /** When the key stops working: at most 366 days ahead; default 90 days after creation. */
  expiresAt: z.iso.datetime().optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

export const ApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(API_KEY_ROLES),
  createdAt: z.iso.datetime(),
  /** When the key stops working (401 API_KEY_EXPIRED). Absent only on keys created before keys expired by default. */
  expiresAt: z.iso.datetime().optional(),
  revokedAt: z.iso.datetime().optional(),
  /** Only in the response that creates the key: it is never shown again. */
  secret: z.string().optional(),
});

/** A public endpoint, through the gateway: TLS always, with the CA to trust. */
const ExternalConnectionSchema = z
  .object({
    /** The URL clients use: every member's host for MongoDB (`mongodb://<host-0>:443,<host-1>:443`). */
    endpoint: z.string(),
    /** The host (MongoDB: the first member's). */
    host: z.string(),
    port: z.int(),
    /** MongoDB: one host per member (split horizon: the driver finds the primary among them). */
    hosts: z.array(z.string()).optional(),
    /** Engines that also serve gRPC (Qdrant): its own host, on the same port, TLS and checks. */
    grpc: z.object({ host: z.string(), port: z.int() }).optional(),
    tls: z.object({
      /** Always true: the gateway accepts TLS only. */
      required: z.literal(true),
      /**
       * The name to send as SNI and to verify the certificate against (the host). Absent with
       * `hosts`: each host is its own (drivers send the host they connect to).
       */
      serverName: z.string().optional(),
      /** PEM of the CA that issued the certificate; absent: a publicly trusted CA (use the system's trust store). */
      caBundle: z.string().optional(),
    }),
  })
  .describe(
    "The cluster's public endpoint through the region's gateway, when `endpoint.public` is on and it is READY (docs/endpoints.md).",
  );

export const ConnectionSchema = z.object({
  clusterId: z.string(),
  /** The in-cluster endpoint: for workloads in the same EKS cluster (see `external` for the rest). */
  endpoint: z.string(),
  host: z.string(),
  port: z.int(),
  /** Engines that also serve gRPC (Qdrant): its in-cluster port, on the same host. */
  grpcPort: z.int().optional(),
  /**
   * Present when the database serves TLS with its own certificate (clusters created where the EKS
   * cluster has a gateway, docs/endpoints.md "TLS end to end"): verify `serverName` with `caBundle`.
   */
  tls: z
    .object({
      /** The database refuses plain text (false only for PostgreSQL 16, which also takes it). */
      required: z.boolean(),
      serverName: z.string(),
      /** PEM of the CA that issued the database's certificate. */
      caBundle: z.string().optional(),
    })
    .optional(),
  /** Where the credential lives; its value is revealed only to admins, and audited. */
  credential: z.object({ secretName: z.string(), key: z.string() }).optional(),
  external: ExternalConnectionSchema.optional(),
});

export const RevealedConnectionSchema = ConnectionSchema.extend({ secret: z.string() });

export const ClusterSchema = z.object({
  id: z.string(),
  name: z.string(),
  engine: z.string(),
  version: z.string(),
  region: z.string(),
  nodes: z.int(),
  size: z.enum(SIZE_NAMES),
  settings: z.record(z.string(), z.unknown()),
  deletionProtection: z.boolean(),
  status: z.enum(CLUSTER_STATUSES),
  statusReason: z.string().optional(),
  generation: z.int(),
  observedGeneration: z.int(),
  activeOperationId: z.string().optional(),
  /**
   * True from a PAUSE until its RESUME: no pods run, volumes and backups are kept (also on a
   * FAILED cluster whose pause or resume failed; resume it, or delete it).
   */
  paused: z.boolean().optional(),
  endpoint: z.string().optional(),
  /** The external endpoint's settings (`endpoint` on create and PATCH; `endpoint` here is the in-cluster URL). */
  endpointSettings: z
    .object({
      public: z.boolean(),
      allowedCidrs: z.array(z.string()),
      /** HTTP engines (Qdrant): the gateway checks the API key. */
      tokenCheck: z.boolean().optional(),
    })
    .optional(),
  /** Scheduled backups: the schedule (cron, UTC), their retention and the next run. */
  backup: z
    .object({
      schedule: z.string(),
      retentionDays: z.int(),
      nextBackupAt: z.iso.datetime(),
      restoreTest: z.boolean().optional(),
    })
    .optional(),
  /** A restore test's scratch cluster (never listed, not counted in the quota): the backup it restores. */
  restoreTestOf: z.string().optional(),
  /** Created from a backup: which, and to what moment. */
  restoredFrom: z
    .object({
      backupId: z.string(),
      pointInTime: z.iso.datetime().optional(),
      /** Restored from this region's copy of a backup taken in `copiedFrom` (`backupCopyTo`). */
      copiedFrom: z.string().optional(),
    })
    .optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Cluster = z.infer<typeof ClusterSchema>;

export const OperationSchema = z.object({
  id: z.string(),
  type: z.enum(OPERATION_TYPES),
  status: z.enum(OPERATION_STATUSES),
  clusterId: z.string(),
  region: z.string(),
  correlationId: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  deadline: z.iso.datetime(),
  error: z
    .object({ code: z.string(), message: z.string() })
    .describe(
      "Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId.",
    )
    .optional(),
});
export type Operation = z.infer<typeof OperationSchema>;

export const CreateClusterResponseSchema = z.object({ cluster: ClusterSchema, operation: OperationSchema });

const BackupStoreSchema = z
  .object({ bucket: z.string(), prefix: z.string() })
  .describe("Where the backup is stored: the region's backup bucket and a key prefix. Never credentials.");

export const BackupSchema = z.object({
  id: z.string(),
  clusterId: z.string(),
  region: z.string(),
  engine: z.string(),
  version: z.string(),
  status: z.enum(BACKUP_STATUSES),
  /** Bytes stored, once SUCCEEDED. */
  sizeBytes: z.int().optional(),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime().optional(),
  storage: BackupStoreSchema,
  /** The cluster as it was when the backup was taken: what a restore recreates. */
  source: z.object({
    name: z.string(),
    engine: z.string(),
    version: z.string(),
    nodes: z.int(),
    size: z.enum(SIZE_NAMES),
    settings: z.record(z.string(), z.unknown()),
    generation: z.int(),
  }),
  /** The BACKUP operation that takes it. */
  operationId: z.string(),
  /** Taken by the cluster's schedule; deleted by Stratus at `expiresAt` (its retention). */
  scheduled: z.boolean().optional(),
  expiresAt: z.iso.datetime().optional(),
  /**
   * Object Lock (a deployment option): its objects cannot be deleted before this time, so neither
   * can the backup (`409 BACKUP_LOCKED`); retention waits for it.
   */
  lockedUntil: z.iso.datetime().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  deletedAt: z.iso.datetime().optional(),
});
export type Backup = z.infer<typeof BackupSchema>;
export const CreateBackupResponseSchema = z.object({ backup: BackupSchema, operation: OperationSchema });
export const BackupListSchema = z.object({ items: z.array(BackupSchema), nextToken: z.string().optional() });
export const ClusterListSchema = z.object({
  items: z.array(ClusterSchema),
  nextToken: z.string().optional(),
});
export const OperationListSchema = z.object({
  items: z.array(OperationSchema),
  nextToken: z.string().optional(),
});
export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema), nextToken: z.string().optional() });
export const DryRunResponseSchema = z.object({
  dryRun: z.literal(true),
  /** What would happen: the operation type that would be queued, or the change applied at once. */
  outcome: z.enum([
    'CREATE',
    'UPDATE',
    'DELETE',
    'METADATA_UPDATE',
    'CANCEL',
    'BACKUP',
    'DELETE_BACKUP',
    'PAUSE',
    'RESUME',
  ]),
  cluster: ClusterSchema.optional(),
  backup: BackupSchema.optional(),
});

/** RFC 9457: extension members (e.g. `operationId`, `regions`) are allowed beyond these. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** CLUSTER_BUSY: the operation in progress. */
  operationId: z.string().optional(),
  /** INVALID_REGION, UNSUPPORTED_ENGINE, UNSUPPORTED_VERSION: what is valid. */
  regions: z.array(z.string()).optional(),
  engines: z.array(z.string()).optional(),
  versions: z.array(z.string()).optional(),
  /**
   * WRONG_REGION: the region whose API takes the request (the `Location` header names the same
   * resource there); QUOTA_EXCEEDED and CLUSTER_NAME_TAKEN: the region the quota or name is in.
   */
  region: z.string().optional(),
  /** WRONG_REGION: the base URL of that region's API, when the deployment knows it. */
  apiUrl: z.string().optional(),
  /** CLUSTER_NAME_TAKEN: the name. */
  name: z.string().optional(),
  /** PAUSE_NOT_SUPPORTED: the cluster's engine. */
  engine: z.string().optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** Turns zod issues into the API's field issues (`path` in dotted form). */
export function fieldIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      return { path, message: `unknown field(s): ${i.keys.join(', ')}` };
    }
    return { path, message: i.message };
  });
}
