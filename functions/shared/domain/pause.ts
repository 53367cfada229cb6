/**
 * Pause and resume (issue #14): a PAUSE operation stops a cluster's pods and keeps its volumes
 * (PVCs), its backups, its credentials and its place in the tenant's quota; a RESUME starts them
 * again on the same volumes. Both change the desired spec (`paused`, a new generation), so every
 * render (the provisioner's, the drift reconciler's) is the paused one while the cluster is paused.
 * Pure rules: no SDK imports.
 */
import { getBlueprint } from '../engines/registry.js';
import { ProblemError } from '../errors.js';
import { assertHomeRegion, assertIdle, newOperation, type PlanContext, UPDATE_DEADLINE_MS } from './plan.js';
import type { ClusterRecord, OperationRecord } from './records.js';

/** How long a PAUSE or RESUME may take before it is failed with DEADLINE_EXCEEDED. */
export const PAUSE_DEADLINE_MS = UPDATE_DEADLINE_MS;

export interface PausePlan {
  readonly cluster: ClusterRecord;
  readonly operation: OperationRecord;
}

function assertCanPause(cluster: ClusterRecord): void {
  const blueprint = getBlueprint(cluster.engine);
  if (!blueprint) {
    throw new ProblemError('UNSUPPORTED_ENGINE', `engine ${cluster.engine} is no longer supported`);
  }
  if (!blueprint.pause) {
    throw new ProblemError(
      'PAUSE_NOT_SUPPORTED',
      `${blueprint.displayName} clusters cannot be paused; scale them down or delete them (their backups stay)`,
      { engine: cluster.engine },
    );
  }
}

function plan(
  cluster: ClusterRecord,
  type: 'PAUSE' | 'RESUME',
  ctx: PlanContext & { requestedBy: string },
): PausePlan {
  const operation = newOperation(cluster, type, ctx, PAUSE_DEADLINE_MS, cluster.generation + 1);
  const { statusReason: _reason, ...rest } = cluster;
  return {
    operation,
    cluster: {
      ...rest,
      paused: type === 'PAUSE',
      generation: cluster.generation + 1,
      status: type === 'PAUSE' ? 'PAUSING' : 'RESUMING',
      statusVersion: cluster.statusVersion + 1,
      activeOperationId: operation.operationId,
      updatedAt: ctx.now.toISOString(),
    },
  };
}

/**
 * POST /v1/clusters/{id}/pause: a READY cluster (or one whose earlier pause failed, to try again).
 * Refused: another operation runs (CLUSTER_BUSY), already paused (CLUSTER_PAUSED), not READY
 * (CLUSTER_NOT_READY), an engine without `pause` (PAUSE_NOT_SUPPORTED).
 */
export function planPause(cluster: ClusterRecord, ctx: PlanContext & { requestedBy: string }): PausePlan {
  assertHomeRegion(cluster, ctx.apiRegion);
  assertIdle(cluster);
  if (cluster.status === 'PAUSED') {
    throw new ProblemError('CLUSTER_PAUSED', 'The cluster is already paused');
  }
  const retry = cluster.status === 'FAILED' && cluster.paused === true;
  if (cluster.status !== 'READY' && !retry) {
    throw new ProblemError(
      'CLUSTER_NOT_READY',
      `The cluster is ${cluster.status}; it can be paused once READY`,
    );
  }
  assertCanPause(cluster);
  return plan(cluster, 'PAUSE', ctx);
}

/**
 * POST /v1/clusters/{id}/resume: a PAUSED cluster (or one whose pause or resume failed while
 * paused in its spec). Refused: another operation runs (CLUSTER_BUSY), not paused
 * (CLUSTER_NOT_PAUSED).
 */
export function planResume(cluster: ClusterRecord, ctx: PlanContext & { requestedBy: string }): PausePlan {
  assertHomeRegion(cluster, ctx.apiRegion);
  assertIdle(cluster);
  const paused = cluster.status === 'PAUSED' || (cluster.status === 'FAILED' && cluster.paused === true);
  if (!paused) {
    throw new ProblemError(
      'CLUSTER_NOT_PAUSED',
      `The cluster is ${cluster.status}, not PAUSED; nothing to resume`,
    );
  }
  assertCanPause(cluster);
  return plan(cluster, 'RESUME', ctx);
}
