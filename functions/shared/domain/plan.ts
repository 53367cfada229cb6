import { isHttpEngine } from '../engines/endpoints.js';
import { engineNames, getBlueprint } from '../engines/registry.js';
import { ProblemError, ValidationError } from '../errors.js';
import { newId } from '../ids.js';
import type { CreateClusterRequest, UpdateClusterRequest } from '../schemas/api.js';
import { fieldIssues } from '../schemas/api.js';
import { CronError, checkBackupSchedule, nextRun } from './cron.js';
import {
  type EndpointRequest,
  type EndpointSettings,
  endpointSettingsOf,
  PRIVATE_ENDPOINT,
  sameEndpoint,
} from './endpoint.js';
import type { BackupPolicy, ClusterRecord, OperationRecord } from './records.js';
import { SIZES } from './sizes.js';
import { specOf } from './spec.js';

/**
 * A requested backup policy, checked, with its first run after `now`. `restoreTest` needs an
 * engine whose backups Stratus restores.
 */
export function backupPolicyOf(
  req: {
    readonly schedule: string;
    readonly retentionDays: number;
    readonly restoreTest?: boolean | undefined;
  },
  now: Date,
  engine: string,
  lockDays?: number,
): BackupPolicy {
  if (lockDays !== undefined && req.retentionDays < lockDays) {
    throw new ValidationError([
      {
        path: 'backup.retentionDays',
        message: `must be at least ${lockDays}: the backup bucket locks every backup's objects for ${lockDays} days (Object Lock), and retention cannot delete them earlier`,
      },
    ]);
  }
  if (req.restoreTest && !getBlueprint(engine)?.backup?.restore) {
    throw new ValidationError([
      {
        path: 'backup.restoreTest',
        message: `${engine} backups cannot be restored by Stratus yet, so they cannot be restore-tested`,
      },
    ]);
  }
  try {
    const cron = checkBackupSchedule(req.schedule, now);
    const next = nextRun(cron, now) as Date; // checkBackupSchedule found one
    return {
      schedule: req.schedule.trim(),
      retentionDays: req.retentionDays,
      nextBackupAt: next.toISOString(),
      ...(req.restoreTest ? { restoreTest: true } : {}),
    };
  } catch (e) {
    if (e instanceof CronError) throw new ValidationError([{ path: 'backup.schedule', message: e.message }]);
    throw e;
  }
}

/**
 * A restore test restores into one node: an engine whose backups restore into one node only
 * (`restoreSingleNode`, Qdrant) cannot restore-test a cluster of several nodes.
 */
function assertRestoreTestable(engine: string, nodes: number, policy: BackupPolicy | undefined): void {
  if (policy?.restoreTest && nodes > 1 && getBlueprint(engine)?.backup?.restoreSingleNode) {
    throw new ValidationError([
      {
        path: 'backup.restoreTest',
        message: `a backup of a ${nodes}-node ${engine} cluster holds one node's data and cannot be restored, so it cannot be restore-tested: turn restoreTest off, or keep one node`,
      },
    ]);
  }
}

/** How long a CREATE may take before it is failed with DEADLINE_EXCEEDED. */
export const CREATE_DEADLINE_MS = 30 * 60 * 1000;

export interface PlanContext {
  readonly tenantId: string;
  /** Regions Stratus serves. */
  readonly regions: readonly string[];
  /** The region whose API received the request. */
  readonly apiRegion: string;
  /**
   * Regions whose clusters another region manages after a takeover, by region -> managing region
   * (usually empty). The create transaction re-checks it, so a stale copy cannot let a write through.
   */
  readonly controllers: Readonly<Record<string, string>>;
  readonly correlationId: string;
  readonly now: Date;
  /**
   * Regions whose EKS clusters all have a gateway for public endpoints (`endpoints` and each EKS
   * cluster's `gateway` in the deployment config). @default - none: `endpoint.public` is refused
   */
  readonly endpointRegions?: readonly string[];
  /**
   * Regions whose EKS clusters' gateways have a `databaseIssuer`: clusters created there serve TLS
   * themselves (`tls`, engines/tls.ts). @default - none
   */
  readonly tlsRegions?: readonly string[];
  /**
   * The days the region's backup bucket locks each object (Object Lock, `backupObjectLock`): a
   * schedule's `retentionDays` may not be shorter. @default - no lock
   */
  readonly backupLockDays?: number;
}

/**
 * The endpoint settings a request asks for over `current`, for `cluster` (its engine decides
 * whether the gateway checks tokens): a public endpoint needs a region with a gateway.
 */
function plannedEndpoint(
  req: EndpointRequest,
  current: EndpointSettings,
  cluster: ClusterRecord,
  endpointRegions: readonly string[],
): EndpointSettings {
  const blueprint = getBlueprint(cluster.engine);
  const http = blueprint ? isHttpEngine(blueprint, specOf(cluster)) : false;
  const settings = endpointSettingsOf(req, current, { name: cluster.engine, http });
  if (settings.public && !endpointRegions.includes(cluster.region)) {
    throw new ProblemError(
      'ENDPOINTS_NOT_CONFIGURED',
      `${cluster.region} has no gateway for public endpoints (the deployment config's endpoints and gateway: docs/endpoints.md); leave endpoint.public off there`,
      { region: cluster.region },
    );
  }
  return settings;
}

/**
 * Turns a validated create request into the cluster and operation to store. Pure: checks the
 * engine, version, settings and region against the registries and the deployment, no I/O.
 */
export function planCreate(
  req: CreateClusterRequest,
  ctx: PlanContext & { requestedBy?: string },
): { cluster: ClusterRecord; operation: OperationRecord } {
  if (!ctx.regions.includes(req.region)) {
    throw new ProblemError('INVALID_REGION', `region must be one of: ${ctx.regions.join(', ')}`, {
      regions: ctx.regions,
    });
  }
  // Mutations are accepted only by the API of the region that manages the cluster's region, so
  // conditional writes on a cluster never race across global-table replicas (docs/decisions.md).
  const manager = ctx.controllers[req.region] ?? req.region;
  if (manager !== ctx.apiRegion) {
    throw wrongRegion(
      manager,
      `${req.region} clusters are managed by the ${manager} API (this is ${ctx.apiRegion})`,
    );
  }
  const blueprint = getBlueprint(req.engine);
  if (!blueprint) {
    throw new ProblemError('UNSUPPORTED_ENGINE', `engine must be one of: ${engineNames().join(', ')}`, {
      engines: engineNames(),
    });
  }
  const version = req.version ?? blueprint.versions[blueprint.versions.length - 1];
  if (!version || !blueprint.versions.includes(version)) {
    throw new ProblemError(
      'UNSUPPORTED_VERSION',
      `${req.engine} version must be one of: ${blueprint.versions.join(', ')}`,
      { versions: blueprint.versions },
    );
  }
  const settings = blueprint.settingsSchema.safeParse(req.settings);
  if (!settings.success) {
    throw new ValidationError(
      fieldIssues(settings.error).map((i) => ({
        path: i.path ? `settings.${i.path}` : 'settings',
        message: i.message,
      })),
    );
  }
  const specRefusal = blueprint.checkSpec?.(req.nodes, settings.data);
  if (specRefusal) throw new ValidationError([{ path: 'nodes', message: specRefusal }]);
  const backupPolicy = req.backup
    ? backupPolicyOf(req.backup, ctx.now, req.engine, ctx.backupLockDays)
    : undefined;
  assertRestoreTestable(req.engine, req.nodes, backupPolicy);

  const now = ctx.now.toISOString();
  const clusterId = newId('cl', ctx.now.getTime());
  const operationId = newId('op', ctx.now.getTime());
  const cluster: ClusterRecord = {
    tenantId: ctx.tenantId,
    clusterId,
    name: req.name,
    engine: req.engine,
    version,
    region: req.region,
    homeRegion: ctx.apiRegion,
    nodes: req.nodes,
    sizeName: req.size,
    size: SIZES[req.size],
    settings: settings.data,
    deletionProtection: req.deletionProtection,
    ...(backupPolicy ? { backupPolicy } : {}),
    // TLS to the database where the EKS clusters' gateways have a databaseIssuer (cert-manager
    // issues its certificate) and the engine can serve it: fixed for the cluster's life (engines/tls.ts).
    ...(blueprint.tls && (ctx.tlsRegions ?? []).includes(req.region) ? { tls: true } : {}),
    status: 'PENDING',
    generation: 1,
    observedGeneration: 0,
    statusVersion: 1,
    activeOperationId: operationId,
    createdAt: now,
    updatedAt: now,
  };
  const endpointSettings = req.endpoint
    ? plannedEndpoint(req.endpoint, PRIVATE_ENDPOINT, cluster, ctx.endpointRegions ?? [])
    : undefined;
  const operation: OperationRecord = {
    tenantId: ctx.tenantId,
    operationId,
    clusterId,
    region: req.region,
    homeRegion: ctx.apiRegion,
    type: 'CREATE',
    engine: cluster.engine,
    status: 'QUEUED',
    step: 'APPLY',
    statusVersion: 1,
    targetGeneration: 1,
    correlationId: ctx.correlationId,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(ctx.now.getTime() + CREATE_DEADLINE_MS).toISOString(),
    nodeDelta: req.nodes,
    ...(ctx.requestedBy ? { requestedBy: ctx.requestedBy } : {}),
  };
  return { cluster: endpointSettings ? { ...cluster, endpointSettings } : cluster, operation };
}

/** How long UPDATE and DELETE may take. */
export const UPDATE_DEADLINE_MS = 30 * 60 * 1000;
export const DELETE_DEADLINE_MS = 20 * 60 * 1000;

/** 421: the request belongs to another region's API; the API handler adds that API's URL. */
export function wrongRegion(region: string, detail: string): ProblemError {
  return new ProblemError('WRONG_REGION', detail, { region });
}

/** Mutations are only accepted by the region that manages the cluster (docs/decisions.md D8, D18). */
export function assertHomeRegion(cluster: Pick<ClusterRecord, 'homeRegion'>, apiRegion: string): void {
  if (cluster.homeRegion !== apiRegion) {
    throw wrongRegion(
      cluster.homeRegion,
      `This cluster is managed by the ${cluster.homeRegion} API; send changes there (this is ${apiRegion})`,
    );
  }
}

/** At most one operation per cluster: name the one in progress. */
export function assertIdle(cluster: ClusterRecord): void {
  if (cluster.activeOperationId) {
    throw new ProblemError(
      'CLUSTER_BUSY',
      `Operation ${cluster.activeOperationId} is in progress on this cluster; wait for it or cancel it`,
      { operationId: cluster.activeOperationId },
    );
  }
  if (cluster.status === 'DELETED' || cluster.status === 'DELETING') {
    throw new ProblemError('CLUSTER_NOT_READY', `The cluster is ${cluster.status}`);
  }
}

/**
 * A paused cluster (or one whose pause or resume failed, still paused in its spec) runs no pods:
 * what needs them waits for a RESUME (409 CLUSTER_PAUSED, saying what was refused).
 */
export function assertNotPaused(cluster: Pick<ClusterRecord, 'status' | 'paused'>, what: string): void {
  if (cluster.status === 'PAUSED' || cluster.paused) {
    throw new ProblemError(
      'CLUSTER_PAUSED',
      `The cluster is paused: it cannot be ${what} until it is resumed (POST /v1/clusters/{id}/resume)`,
    );
  }
}

export type UpdatePlan =
  | { readonly kind: 'metadata'; readonly cluster: ClusterRecord }
  | { readonly kind: 'operation'; readonly cluster: ClusterRecord; readonly operation: OperationRecord };

/** A QUEUED operation on an existing cluster, remembering its current spec (for cancel and rollback). */
export function newOperation(
  cluster: ClusterRecord,
  type: OperationRecord['type'],
  ctx: Pick<PlanContext, 'correlationId' | 'now'> & { requestedBy: string },
  deadlineMs: number,
  targetGeneration: number,
): OperationRecord {
  const now = ctx.now.toISOString();
  return {
    tenantId: cluster.tenantId,
    operationId: newId('op', ctx.now.getTime()),
    clusterId: cluster.clusterId,
    region: cluster.region,
    homeRegion: cluster.homeRegion,
    type,
    engine: cluster.engine,
    status: 'QUEUED',
    step: 'APPLY',
    statusVersion: 1,
    targetGeneration,
    correlationId: ctx.correlationId,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(ctx.now.getTime() + deadlineMs).toISOString(),
    requestedBy: ctx.requestedBy,
    nodeDelta: 0,
    previous: {
      nodes: cluster.nodes,
      sizeName: cluster.sizeName,
      size: cluster.size,
      version: cluster.version,
      settings: cluster.settings,
      generation: cluster.generation,
      status: cluster.status,
      ...(cluster.paused ? { paused: true } : {}),
      ...(cluster.endpointSettings ? { endpointSettings: cluster.endpointSettings } : {}),
    },
  };
}

/**
 * A PATCH: scale, resize, upgrade, engine settings, endpoint settings (an UPDATE operation, a new
 * generation), or only deletion protection (applied at once, no operation). Refuses storage
 * shrink, forbidden version changes, invalid settings and requests that change nothing.
 */
export function planUpdate(
  cluster: ClusterRecord,
  req: UpdateClusterRequest,
  ctx: PlanContext & { requestedBy: string },
): UpdatePlan {
  assertHomeRegion(cluster, ctx.apiRegion);
  const blueprint = getBlueprint(cluster.engine);
  if (!blueprint)
    throw new ProblemError('UNSUPPORTED_ENGINE', `engine ${cluster.engine} is no longer supported`);

  const nodes = req.nodes ?? cluster.nodes;
  const sizeName = req.size ?? cluster.sizeName;
  const size = SIZES[sizeName];
  if (size.storageGiB < cluster.size.storageGiB) {
    throw new ProblemError(
      'STORAGE_SHRINK_NOT_ALLOWED',
      `size ${sizeName} has ${size.storageGiB} GiB of storage per node, less than the ${cluster.size.storageGiB} GiB of ${cluster.sizeName}; storage can only grow`,
    );
  }
  const version = req.version ?? cluster.version;
  if (version !== cluster.version) {
    if (!blueprint.versions.includes(version)) {
      throw new ProblemError(
        'UNSUPPORTED_VERSION',
        `${cluster.engine} version must be one of: ${blueprint.versions.join(', ')}`,
        {
          versions: blueprint.versions,
        },
      );
    }
    const refusal = blueprint.checkUpgrade(cluster.version, version);
    if (refusal) throw new ProblemError('UPGRADE_NOT_ALLOWED', refusal);
  }
  let settings = cluster.settings;
  if (req.settings) {
    const parsed = blueprint.settingsSchema.safeParse({ ...cluster.settings, ...req.settings });
    if (!parsed.success) {
      throw new ValidationError(
        fieldIssues(parsed.error).map((i) => ({
          path: i.path ? `settings.${i.path}` : 'settings',
          message: i.message,
        })),
      );
    }
    settings = parsed.data;
    const fixed = (blueprint.immutableSettings ?? []).filter(
      (k) => JSON.stringify(settings[k]) !== JSON.stringify(cluster.settings[k]),
    );
    if (fixed.length > 0) {
      throw new ProblemError(
        'SETTING_IMMUTABLE',
        `${fixed.map((k) => `settings.${k}`).join(', ')} ${fixed.length === 1 ? 'is' : 'are'} set at creation and cannot change`,
        {
          errors: fixed.map((k) => ({
            path: `settings.${k}`,
            message: `${k} is set at creation and cannot change`,
          })),
        },
      );
    }
  }
  if (nodes !== cluster.nodes || req.settings) {
    const refusal = blueprint.checkSpec?.(nodes, settings);
    if (refusal) throw new ValidationError([{ path: 'nodes', message: refusal }]);
  }

  const endpointSettings = req.endpoint
    ? plannedEndpoint(
        req.endpoint,
        cluster.endpointSettings ?? PRIVATE_ENDPOINT,
        cluster,
        ctx.endpointRegions ?? [],
      )
    : cluster.endpointSettings;
  const specChanged =
    nodes !== cluster.nodes ||
    sizeName !== cluster.sizeName ||
    version !== cluster.version ||
    JSON.stringify(settings) !== JSON.stringify(cluster.settings) ||
    !sameEndpoint(endpointSettings, cluster.endpointSettings);
  const protectionChanged =
    req.deletionProtection !== undefined && req.deletionProtection !== cluster.deletionProtection;
  const policyChanged =
    req.backup !== undefined &&
    (req.backup === null
      ? cluster.backupPolicy !== undefined
      : req.backup.schedule.trim() !== cluster.backupPolicy?.schedule ||
        req.backup.retentionDays !== cluster.backupPolicy?.retentionDays ||
        (req.backup.restoreTest ?? false) !== (cluster.backupPolicy?.restoreTest ?? false));
  if (!specChanged && !protectionChanged && !policyChanged) {
    throw new ProblemError('NO_CHANGES', 'Every field sent already has that value');
  }
  const now = ctx.now.toISOString();
  const deletionProtection = req.deletionProtection ?? cluster.deletionProtection;
  const { backupPolicy: _previousPolicy, ...withoutPolicy } = cluster;
  const backupPolicy = policyChanged
    ? req.backup
      ? backupPolicyOf(req.backup, ctx.now, cluster.engine, ctx.backupLockDays)
      : undefined
    : cluster.backupPolicy;
  assertRestoreTestable(cluster.engine, nodes, backupPolicy);
  const metadata = { ...withoutPolicy, deletionProtection, ...(backupPolicy ? { backupPolicy } : {}) };
  if (!specChanged) {
    return { kind: 'metadata', cluster: { ...metadata, updatedAt: now } };
  }
  assertIdle(cluster);
  assertNotPaused(cluster, 'scaled, resized, upgraded or reconfigured');
  if (cluster.status !== 'READY' && cluster.status !== 'FAILED') {
    throw new ProblemError('CLUSTER_NOT_READY', `The cluster is ${cluster.status}; it can change once READY`);
  }
  const operation = {
    ...newOperation(cluster, 'UPDATE', ctx, UPDATE_DEADLINE_MS, cluster.generation + 1),
    nodeDelta: nodes - cluster.nodes,
  };
  return {
    kind: 'operation',
    operation,
    cluster: {
      ...metadata,
      nodes,
      sizeName,
      size,
      version,
      settings,
      ...(endpointSettings ? { endpointSettings } : {}),
      generation: cluster.generation + 1,
      status: 'UPDATING',
      statusVersion: cluster.statusVersion + 1,
      activeOperationId: operation.operationId,
      updatedAt: now,
    },
  };
}

/** A DELETE: refused while another operation runs or deletion protection is on. */
export function planDelete(
  cluster: ClusterRecord,
  ctx: PlanContext & { requestedBy: string },
): { cluster: ClusterRecord; operation: OperationRecord } {
  assertHomeRegion(cluster, ctx.apiRegion);
  assertIdle(cluster);
  if (cluster.deletionProtection) {
    throw new ProblemError(
      'DELETION_PROTECTED',
      'Deletion protection is on: PATCH {"deletionProtection": false} first',
    );
  }
  const operation = newOperation(cluster, 'DELETE', ctx, DELETE_DEADLINE_MS, cluster.generation);
  return {
    operation,
    cluster: {
      ...cluster,
      status: 'DELETING',
      activeOperationId: operation.operationId,
      updatedAt: ctx.now.toISOString(),
    },
  };
}
