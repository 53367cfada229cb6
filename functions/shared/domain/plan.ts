import { engineNames, getBlueprint } from '../engines/registry.js';
import { ProblemError, ValidationError } from '../errors.js';
import { newId } from '../ids.js';
import type { CreateClusterRequest } from '../schemas/api.js';
import { fieldIssues } from '../schemas/api.js';
import type { ClusterRecord, OperationRecord } from './records.js';
import { SIZES } from './sizes.js';

/** How long a CREATE may take before it is failed with DEADLINE_EXCEEDED. */
export const CREATE_DEADLINE_MS = 30 * 60 * 1000;

export interface PlanContext {
  readonly tenantId: string;
  /** Regions Stratus serves. */
  readonly regions: readonly string[];
  /** The region whose API received the request. */
  readonly homeRegion: string;
  readonly correlationId: string;
  readonly now: Date;
}

/**
 * Turns a validated create request into the cluster and operation to store. Pure: checks the
 * engine, version, settings and region against the registries and the deployment, no I/O.
 */
export function planCreate(
  req: CreateClusterRequest,
  ctx: PlanContext,
): { cluster: ClusterRecord; operation: OperationRecord } {
  if (!ctx.regions.includes(req.region)) {
    throw new ProblemError('INVALID_REGION', `region must be one of: ${ctx.regions.join(', ')}`, {
      regions: ctx.regions,
    });
  }
  // Mutations are accepted only by the home region's API, so conditional writes on a cluster never
  // race across global-table replicas (docs/decisions.md).
  if (req.region !== ctx.homeRegion) {
    throw new ProblemError(
      'WRONG_REGION',
      `This is the ${ctx.homeRegion} API; send requests for ${req.region} clusters to the ${req.region} API`,
      { region: req.region },
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
    nodes: req.nodes,
    sizeName: req.size,
    size: SIZES[req.size],
    settings: settings.data,
    deletionProtection: req.deletionProtection,
    status: 'PENDING',
    generation: 1,
    observedGeneration: 0,
    statusVersion: 1,
    activeOperationId: operationId,
    createdAt: now,
    updatedAt: now,
  };
  const operation: OperationRecord = {
    tenantId: ctx.tenantId,
    operationId,
    clusterId,
    region: req.region,
    type: 'CREATE',
    status: 'QUEUED',
    step: 'APPLY',
    statusVersion: 1,
    targetGeneration: 1,
    correlationId: ctx.correlationId,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(ctx.now.getTime() + CREATE_DEADLINE_MS).toISOString(),
  };
  return { cluster, operation };
}
