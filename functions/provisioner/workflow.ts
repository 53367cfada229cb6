import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterSpec } from '../shared/domain/cluster.js';
import { TERMINAL_OPERATION_STATUSES } from '../shared/domain/cluster.js';
import { operationErrors } from '../shared/domain/operation-errors.js';
import { backoffSeconds, NoEksClusterError, place } from '../shared/domain/placement.js';
import type { ClusterRecord, OperationError, OperationRecord } from '../shared/domain/records.js';
import { specOf } from '../shared/domain/spec.js';
import { getBlueprint } from '../shared/engines/registry.js';
import { namespaceOf } from '../shared/engines/tenancy.js';
import type { Blueprint, KubeObject } from '../shared/engines/types.js';
import { PermanentFailureError } from '../shared/errors.js';
import type { ProvisioningMessage } from '../shared/schemas/messages.js';
import { StaleStateError, type Store } from '../shared/store/store.js';

/** What the workflow needs of Kubernetes (an adapter over functions/shared/kube). */
export interface KubePort {
  apply(objects: KubeObject[]): Promise<void>;
  deleteNamespace(name: string): Promise<'deleted' | 'gone'>;
  get(
    ref: Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } },
  ): Promise<KubeObject | undefined>;
}

/** Classification of a Kubernetes failure, from the Kubernetes layer. */
export interface KubeFailure {
  readonly retryable: boolean;
  readonly unauthorized: boolean;
  readonly message: string;
}

export interface WorkflowDeps {
  readonly store: Store;
  /** Kubernetes access for an EKS cluster name (cached by the caller). */
  readonly kube: (eksCluster: string) => Promise<KubePort>;
  /** Drops cached credentials for an EKS cluster, after a 401. */
  readonly invalidateKube: (eksCluster: string) => void;
  /** Maps an error thrown by KubePort to its classification, or undefined for non-Kubernetes errors. */
  readonly classify: (error: unknown) => KubeFailure | undefined;
  /** Sends the message again after a delay: the durable timer of polls and retries. */
  readonly requeue: (message: ProvisioningMessage, delaySeconds: number) => Promise<void>;
  /** Every region's EKS clusters; a database is placed on one of its own region's. */
  readonly eksClusters: ReadonlyArray<{ name: string; capacityNodes: number; region: string }>;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly pollBaseSeconds: number;
  readonly maxTransientRetries: number;
}

export type Outcome = 'ignored' | 'succeeded' | 'failed' | 'polling' | 'retrying' | 'rolling-back';

const MAX_DELAY_SECONDS = 900; // SQS DelaySeconds limit
const POLL_CAP_SECONDS = 60;

/**
 * Advances one operation by at most one step: claim (QUEUED -> RUNNING), apply, then poll
 * readiness through delayed messages until READY, the deadline, or a permanent failure.
 * Every step is idempotent and every state change is a conditional write, so a duplicate or
 * redelivered message is harmless. Errors that are not classified rethrow: the message goes
 * back to the queue and, after maxReceiveCount, to the DLQ.
 */
export async function advance(msg: ProvisioningMessage, deps: WorkflowDeps): Promise<Outcome> {
  const { store, logger } = deps;
  let op = await store.operations.get(msg.tenantId, msg.operationId);
  if (!op || TERMINAL_OPERATION_STATUSES.includes(op.status)) {
    logger.info('nothing to do', { operationId: msg.operationId, status: op?.status ?? 'missing' });
    return 'ignored';
  }
  // Another region manages it now (a takeover or handback): a message left on this region's
  // queue must not act. Every transition also checks `homeRegion`, so a stale read loses anyway.
  if (op.homeRegion !== store.region) {
    logger.info('managed by another region', { operationId: op.operationId, homeRegion: op.homeRegion });
    return 'ignored';
  }
  const cluster = await store.clusters.get(op.tenantId, op.clusterId);
  const now = deps.now();
  if (!cluster || cluster.activeOperationId !== op.operationId) {
    return fail(deps, op, {
      code: 'CLUSTER_STATE_MISMATCH',
      message: 'The cluster is not held by this operation',
    });
  }
  const failWith = async (error: OperationError): Promise<Outcome> => {
    if (!op) return 'ignored';
    if (op.type === 'UPDATE' && op.previous && !op.rollback) {
      // A failed UPDATE goes back to the last good spec rather than leaving the cluster half-changed.
      try {
        const deadline = new Date(deps.now().getTime() + ROLLBACK_DEADLINE_MS).toISOString();
        op = await store.operations.beginRollback(op, cluster, error, deps.now().toISOString(), deadline);
      } catch (e) {
        if (e instanceof StaleStateError) return 'ignored';
        throw e;
      }
      logger.warn('update failed, rolling back', { operationId: op.operationId, code: error.code });
      await deps.requeue({ ...msg, reason: 'retry', attempt: 0 }, 1);
      return 'rolling-back';
    }
    if (op.rollback) {
      return fail(deps, op, {
        code: op.rollback.cause.code,
        message: `${op.rollback.cause.message}; rolling back to the previous spec failed too: ${error.message}`,
      });
    }
    return fail(deps, op, error);
  };

  if (now.getTime() > Date.parse(op.deadline)) {
    return failWith(operationErrors.deadlineExceeded(op.deadline));
  }
  const blueprint = getBlueprint(cluster.engine);
  if (!blueprint && op.type !== 'DELETE') {
    return failWith({ code: 'UNSUPPORTED_ENGINE', message: `No blueprint for engine ${cluster.engine}` });
  }

  let placement = cluster.placement;
  if (placement === undefined) {
    try {
      placement = place(cluster.clusterId, cluster.region, deps.eksClusters);
    } catch (e) {
      if (e instanceof NoEksClusterError) {
        logger.error('no EKS cluster for the database region', {
          operationId: op.operationId,
          detail: e.message,
        });
        return failWith(operationErrors.noCapacity(e.region));
      }
      throw e;
    }
  }
  if (op.status === 'QUEUED') {
    try {
      await store.operations.start(op, WORKING_STATUS[op.type], placement, now.toISOString());
    } catch (e) {
      if (e instanceof StaleStateError) return 'ignored'; // another delivery claimed it
      throw e;
    }
    op = { ...op, status: 'RUNNING', step: 'APPLY' };
  }

  const spec = specOf(cluster);
  try {
    if (op.type === 'DELETE') return await runDeleteStep(deps, op, cluster, placement, msg);
    if (!blueprint)
      throw new PermanentFailureError('UNSUPPORTED_ENGINE', `No blueprint for engine ${cluster.engine}`);
    return await runStep(deps, blueprint, op, spec, placement, msg, failWith);
  } catch (e) {
    const failure = deps.classify(e);
    if (e instanceof PermanentFailureError) return failWith({ code: e.code, message: e.message });
    if (!failure) throw e;
    // The raw text names the provisioner's role, the account and the API server: it goes to the
    // log, with the correlation id the tenant sees; the operation gets a code and a message.
    const logged = { operationId: op.operationId, correlationId: op.correlationId, detail: failure.message };
    if (failure.unauthorized) deps.invalidateKube(placement);
    if (failure.retryable || failure.unauthorized) {
      if (msg.attempt >= deps.maxTransientRetries) {
        logger.warn('Kubernetes kept failing, retries ran out', { ...logged, attempts: msg.attempt });
        return failWith(operationErrors.kubernetesUnavailable());
      }
      const delay = backoffSeconds(msg.attempt, deps.pollBaseSeconds, MAX_DELAY_SECONDS);
      logger.warn('transient Kubernetes failure, retrying', { ...logged, delay });
      await deps.requeue({ ...msg, reason: 'retry', attempt: msg.attempt + 1 }, delay);
      return 'retrying';
    }
    logger.warn('Kubernetes rejected a request', logged);
    return failWith(operationErrors.kubernetesRejected());
  }
}

const WORKING_STATUS = { CREATE: 'PROVISIONING', UPDATE: 'UPDATING', DELETE: 'DELETING' } as const;
/** A rollback gets its own time budget: the update's deadline may be what failed it. */
const ROLLBACK_DEADLINE_MS = 15 * 60 * 1000;

/**
 * DELETE: delete the cluster's namespace (Kubernetes removes everything in it), confirm it is
 * gone, then forget the cluster. Nothing Stratus created lives outside that namespace.
 */
async function runDeleteStep(
  deps: WorkflowDeps,
  op: OperationRecord,
  cluster: ClusterRecord,
  placement: string,
  msg: ProvisioningMessage,
): Promise<Outcome> {
  const kube = await deps.kube(placement);
  const namespace = namespaceOf(cluster.clusterId);
  if (op.step === 'APPLY') {
    await kube.deleteNamespace(namespace);
    await deps.store.operations.setStep(op, 'WAIT_READY', deps.now().toISOString());
    return schedulePoll(deps, msg, 0);
  }
  const live = await kube.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  if (!live) {
    await deps.store.operations.completeDeletion(op, cluster, deps.now().toISOString());
    deps.logger.info('deleted', { operationId: op.operationId, clusterId: cluster.clusterId });
    return 'succeeded';
  }
  return schedulePoll(deps, msg, msg.reason === 'poll' ? msg.attempt + 1 : 0);
}

/** The durable timer: the same message again, delayed by backoff, `attempt` polls in. */
async function schedulePoll(deps: WorkflowDeps, msg: ProvisioningMessage, attempt: number): Promise<Outcome> {
  await deps.requeue(
    { ...msg, reason: 'poll', attempt },
    backoffSeconds(attempt, deps.pollBaseSeconds, POLL_CAP_SECONDS),
  );
  return 'polling';
}

async function runStep(
  deps: WorkflowDeps,
  blueprint: Blueprint,
  op: OperationRecord,
  spec: ClusterSpec,
  placement: string,
  msg: ProvisioningMessage,
  failWith: (error: OperationError) => Promise<Outcome>,
): Promise<Outcome> {
  const kube = await deps.kube(placement);
  const rollingBack = op.step === 'ROLLBACK_APPLY' || op.step === 'ROLLBACK_WAIT';
  if (op.step === 'APPLY' || op.step === 'ROLLBACK_APPLY') {
    const secrets = await ensureSecrets(kube, blueprint, spec);
    const objects = blueprint.render(spec, {
      secrets,
      operationId: op.operationId,
      correlationId: op.correlationId,
    });
    await kube.apply(objects);
    await deps.store.operations.setStep(
      op,
      rollingBack ? 'ROLLBACK_WAIT' : 'WAIT_READY',
      deps.now().toISOString(),
    );
    deps.logger.info('applied', { operationId: op.operationId, objects: objects.length, placement });
    return schedulePoll(deps, msg, 0);
  }
  const live = await Promise.all(blueprint.readinessRefs(spec).map((ref) => kube.get(ref)));
  const readiness = blueprint.readiness(spec, live);
  if (readiness.ready) {
    const conn = blueprint.connection(spec);
    const observed = { endpoint: conn.endpoint, port: conn.port };
    if (rollingBack) await deps.store.operations.finishRollback(op, observed, deps.now().toISOString());
    else await deps.store.operations.complete(op, observed, deps.now().toISOString());
    deps.logger.info('ready', { operationId: op.operationId, clusterId: spec.clusterId });
    return 'succeeded';
  }
  if (readiness.permanent) {
    deps.logger.warn('the database reported a permanent failure', {
      operationId: op.operationId,
      correlationId: op.correlationId,
      detail: readiness.reason,
    });
    return failWith(operationErrors.notReady());
  }
  return schedulePoll(deps, msg, msg.reason === 'poll' ? msg.attempt + 1 : 0);
}

/**
 * Generated credentials are created once and kept only in Kubernetes: a retry reads them back
 * instead of rotating them. Values never reach logs, DynamoDB or events.
 */
export async function ensureSecrets(
  kube: KubePort,
  blueprint: Blueprint,
  spec: ClusterSpec,
): Promise<Record<string, string>> {
  if (blueprint.secretNames.length === 0) return {};
  const ref = blueprint.connection(spec).credentialRef;
  const existing = ref
    ? await kube.get({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: ref.name, namespace: ref.namespace },
      })
    : undefined;
  const data = (existing?.data ?? {}) as Record<string, string>;
  const secrets: Record<string, string> = {};
  for (const name of blueprint.secretNames) {
    const stored = data[secretKey(name)];
    secrets[name] = stored
      ? Buffer.from(stored, 'base64').toString('utf8')
      : randomBytes(32).toString('base64url');
  }
  return secrets;
}

/** `apiKey` -> `api-key`: the key under which a blueprint stores a generated secret. */
export function secretKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

async function fail(deps: WorkflowDeps, op: OperationRecord, error: OperationError): Promise<Outcome> {
  try {
    await deps.store.operations.fail(op, error, deps.now().toISOString());
  } catch (e) {
    if (e instanceof StaleStateError) return 'ignored';
    throw e;
  }
  deps.logger.warn('operation failed', { operationId: op.operationId, code: error.code });
  return 'failed';
}
