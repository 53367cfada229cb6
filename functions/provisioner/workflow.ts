import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type BackupAccess,
  backupSessionPolicy,
  PodIdentityError,
  type PodIdentityPort,
} from '../shared/backup-identity.js';
import type { BackupObjects } from '../shared/backup-objects.js';
import { clusterBackupStore } from '../shared/domain/backups.js';
import type { ClusterSpec } from '../shared/domain/cluster.js';
import { TERMINAL_OPERATION_STATUSES } from '../shared/domain/cluster.js';
import { type ExternalEndpoint, PRIVATE_ENDPOINT } from '../shared/domain/endpoint.js';
import { operationErrors } from '../shared/domain/operation-errors.js';
import { backoffSeconds, NoEksClusterError, place } from '../shared/domain/placement.js';
import type {
  ClusterRecord,
  OperationError,
  OperationRecord,
  SpecSnapshot,
} from '../shared/domain/records.js';
import { newRestoreTest } from '../shared/domain/restore-tests.js';
import { specOf } from '../shared/domain/spec.js';
import type { GatewayContext } from '../shared/engines/endpoints.js';
import {
  certificateReady,
  certificateRefs,
  endpointKinds,
  externalCaSecret,
  externalEndpointOf,
  isPublic,
} from '../shared/engines/endpoints.js';
import { getBlueprint } from '../shared/engines/registry.js';
import { clusterSelector, namespaceOf } from '../shared/engines/tenancy.js';
import { DATABASE_TLS_SECRET, tlsOn } from '../shared/engines/tls.js';
import type { Blueprint, KubeObject, PauseState, Readiness, RenderContext } from '../shared/engines/types.js';
import { PermanentFailureError } from '../shared/errors.js';
import { type EksPoolEntry, placementContext } from '../shared/kube/pool.js';
import { lockedUntil, type ObjectLock } from '../shared/object-lock.js';
import type { ProvisioningMessage } from '../shared/schemas/messages.js';
import { type ClaimRequest, StaleStateError, type Store } from '../shared/store/store.js';
import { FUNCTIONS } from '../topology.js';
import { prepareClaims } from './claims.js';

type KubeRef = Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } };

/** What the workflow needs of Kubernetes (an adapter over functions/shared/kube). */
export interface KubePort {
  /** Server-side apply, forced, in order. */
  apply(objects: KubeObject[]): Promise<void>;
  /** Create only if absent; `exists` leaves the live object untouched. */
  create(obj: KubeObject): Promise<'created' | 'exists'>;
  get(ref: KubeRef): Promise<KubeObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    opts: { readonly namespace: string; readonly labelSelector: string },
  ): Promise<KubeObject[]>;
  /** `Orphan` leaves the object's dependents (a StatefulSet's pods) running. */
  delete(
    ref: KubeRef,
    opts?: { readonly propagation?: 'Background' | 'Orphan' },
  ): Promise<'deleted' | 'gone'>;
  deleteNamespace(name: string): Promise<'deleted' | 'gone'>;
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
  readonly eksClusters: readonly EksPoolEntry[];
  readonly now: () => Date;
  readonly logger: Logger;
  readonly pollBaseSeconds: number;
  readonly maxTransientRetries: number;
  /** How long a delivery owns a step if it dies without finishing it. @default STEP_LEASE_SECONDS */
  readonly stepLeaseSeconds?: number;
  /** The backup bucket, to count what a backup stored (absent: BACKUP operations fail). */
  readonly backupObjects?: BackupObjects;
  /**
   * EKS Pod Identity for the pods that write and read backups (functions/shared/backup-identity.ts):
   * absent (locally, where no EKS exists), no association is made.
   */
  readonly backupIdentity?: BackupIdentityDeps;
  /** The backup bucket's Object Lock: a backup records until when its objects are locked. @default - none */
  readonly objectLock?: ObjectLock;
  /**
   * Set by `advance` for the step it claimed: the workflow step the operation moves to is written
   * with the step's finish, in one write (docs/cost.md). @default - written at once (`setStep`)
   */
  readonly nextStep?: (step: OperationRecord['step']) => void;
  /** Set by `advance`: the delivery's claim on its step, made by its first write. @default - none */
  readonly owner?: StepOwner;
}

/**
 * A delivery's claim on the step its message stands for (docs/operations.md, "One delivery owns
 * a step"), made by the delivery's first write, before any side effect: the start transition of
 * a queued operation or the transition that ends an operation at a poll carry it (`carry`);
 * anything else (a Kubernetes write, a message sent, another transition) claims first with its
 * own conditional write (`ensure`). Reads (the operation, the cluster, readiness) may come before.
 */
export interface StepOwner {
  /** Claims the step unless this delivery holds it already. @throws StepLostError */
  ensure(): Promise<void>;
  /**
   * Runs a transition that checks and carries the claim when this delivery does not hold it yet
   * (and `undefined` when it does). @throws StepLostError when the carried claim lost
   */
  carry(transition: (claim: ClaimRequest | undefined) => Promise<void>): Promise<void>;
}

/** Another delivery owns the step: this one does nothing more. */
export class StepLostError extends Error {
  constructor(seq: number, options?: ErrorOptions) {
    super(`step ${seq}: another delivery owns it`, options);
    this.name = 'StepLostError';
  }
}

/** The claim of `advance`: held once `claimStep` or a transition carrying it succeeded. */
function stepOwner(store: Store, op: OperationRecord, claim: ClaimRequest): StepOwner {
  let held = false;
  return {
    async ensure() {
      if (held) return;
      try {
        await store.operations.claimStep(op, claim.seq, claim.now, claim.until, claim.by);
      } catch (e) {
        if (e instanceof StaleStateError) throw new StepLostError(claim.seq, { cause: e });
        throw e;
      }
      held = true;
    },
    async carry(transition) {
      if (held) return transition(undefined);
      try {
        await transition(claim);
      } catch (e) {
        if (e instanceof StaleStateError) throw new StepLostError(claim.seq, { cause: e });
        throw e;
      }
      held = true;
    },
  };
}

/** `kube` whose writes claim the step first (reads do not need the claim). */
function claimingWrites(kube: KubePort, owner: StepOwner): KubePort {
  return {
    apply: async (objects) => {
      await owner.ensure();
      return kube.apply(objects);
    },
    create: async (obj) => {
      await owner.ensure();
      return kube.create(obj);
    },
    // Every argument passed on: an orphaning delete must stay one (claims.ts).
    delete: async (...args) => {
      await owner.ensure();
      return kube.delete(...args);
    },
    deleteNamespace: async (name) => {
      await owner.ensure();
      return kube.deleteNamespace(name);
    },
    get: (ref) => kube.get(ref),
    list: (apiVersion, kind, opts) => kube.list(apiVersion, kind, opts),
  };
}

export interface BackupIdentityDeps {
  readonly port: PodIdentityPort;
  /** The region's backup bucket: a cluster without a backup store yet gets its prefix there. */
  readonly bucket: string;
  /** The partition of the backup role's ARN, for the session policy's ARNs. */
  readonly partition: string;
}

/** Records the step `op` moves to: with the claimed step's finish when `advance` runs it, else now. */
async function moveTo(deps: WorkflowDeps, op: OperationRecord, step: OperationRecord['step']): Promise<void> {
  await deps.owner?.ensure();
  if (deps.nextStep) deps.nextStep(step);
  else await deps.store.operations.setStep(op, step, deps.now().toISOString());
}

/**
 * The steps that wait (polls): their delivery reads before it writes, and the poll that finds the
 * operation done ends it with the claim in the same write. A BACKUP's wait claims first.
 */
const WAIT_STEPS: ReadonlySet<OperationRecord['step']> = new Set([
  'WAIT_READY',
  'ROLLBACK_WAIT',
  'CLEANUP_WAIT',
]);

export type Outcome =
  | 'ignored'
  | 'succeeded'
  | 'failed'
  | 'polling'
  | 'retrying'
  | 'rolling-back'
  | 'cleaning-up';

/**
 * A delivery's claim on a step lasts twice the provisioner's timeout, so a concurrent duplicate
 * never finds it expired while its holder runs. A delivery that died is taken over at once by
 * the same queue message's redelivery (the claim names its message id), else by any delivery
 * of the step once the lease ran out.
 */
export const STEP_LEASE_SECONDS = 2 * FUNCTIONS.provisioner.timeoutSeconds;

const MAX_DELAY_SECONDS = 900; // SQS DelaySeconds limit
const POLL_CAP_SECONDS = 60;

/**
 * Advances one operation by at most one step: apply, then poll readiness through delayed
 * messages until READY, the deadline, or a permanent failure. A delivery claims the step its
 * message stands for (`seq`, a condition on the operation) before any side effect, in its first
 * write (StepOwner): a duplicate delivery of the same message, concurrent or late, finds it
 * claimed and does nothing, so every message has at most one successor and there is one poll
 * chain per operation. Every state change is a
 * conditional write. Errors that are not classified rethrow: the message goes back to the queue
 * (its redelivery, same `messageId` and a higher receive count, takes the step over) and, after
 * maxReceiveCount, to the DLQ.
 */
export async function advance(
  msg: ProvisioningMessage,
  deps: WorkflowDeps,
  delivery: { readonly messageId?: string; readonly receiveCount?: number } = {},
): Promise<Outcome> {
  const { store, logger } = deps;
  const op = await store.operations.get(msg.tenantId, msg.operationId);
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

  // One delivery owns a step: its claim comes before any side effect (Kubernetes or a message
  // sent), and rides on the delivery's first write where it can (StepOwner; docs/cost.md).
  const seq = msg.seq ?? 0;
  const leaseMs = (deps.stepLeaseSeconds ?? STEP_LEASE_SECONDS) * 1000;
  const owner = stepOwner(store, op, {
    seq,
    now: now.toISOString(),
    until: new Date(now.getTime() + leaseMs).toISOString(),
    ...(delivery.messageId
      ? { by: { messageId: delivery.messageId, receiveCount: delivery.receiveCount ?? 1 } }
      : {}),
  });
  // Every message the step sends is its successor (`seq + 1`); once it is sent, the step is done,
  // and the workflow step it moved to (WAIT_READY after an apply) is written with that mark: one
  // write, not two (docs/cost.md). A delivery that dies in between leaves the step unrecorded, so
  // the successor redoes it (an apply is idempotent) rather than skipping it.
  let next: OperationRecord['step'] | undefined;
  const stepDeps: WorkflowDeps = {
    ...deps,
    kube: async (eksCluster) => claimingWrites(await deps.kube(eksCluster), owner),
    requeue: async (message, delaySeconds) => {
      await owner.ensure();
      await deps.requeue({ ...message, seq: seq + 1 }, delaySeconds);
    },
    nextStep: (step) => {
      next = step;
    },
    owner,
  };
  let outcome: Outcome;
  try {
    // A queued operation's start carries the claim; so does the end of an operation at a poll.
    const deferred = op.status === 'QUEUED' || (op.type !== 'BACKUP' && WAIT_STEPS.has(op.step));
    if (!deferred) await owner.ensure();
    outcome = await runClaimed(msg, stepDeps, op, cluster, now);
  } catch (e) {
    if (!(e instanceof StepLostError)) throw e;
    logger.info('another delivery owns this step', { operationId: op.operationId, seq, reason: msg.reason });
    return 'ignored';
  }
  if (
    outcome === 'polling' ||
    outcome === 'retrying' ||
    outcome === 'rolling-back' ||
    outcome === 'cleaning-up'
  ) {
    await store.operations.finishStep(
      op,
      seq,
      next ? { step: next, now: deps.now().toISOString() } : undefined,
    );
  }
  return outcome;
}

/** The step of `op` that `deps.owner` claims: `deps.requeue` sends its successor. */
async function runClaimed(
  msg: ProvisioningMessage,
  deps: WorkflowDeps,
  claimed: OperationRecord,
  cluster: ClusterRecord,
  now: Date,
): Promise<Outcome> {
  const { store, logger } = deps;
  let op = claimed;
  const failWith = async (error: OperationError): Promise<Outcome> => {
    await deps.owner?.ensure();
    if (rollsBack(op)) {
      // A failed UPDATE goes back to the last good spec rather than leaving the cluster half-changed;
      // a failed PAUSE of a READY cluster goes back to running (its pods scaled back, READY).
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
    if (op.type === 'CREATE' && op.status === 'RUNNING' && !op.cleanup) {
      // A failed CREATE may have applied part of the cluster: delete its namespace before the
      // operation ends, so a FAILED cluster holds nothing in Kubernetes.
      try {
        const deadline = new Date(deps.now().getTime() + CLEANUP_DEADLINE_MS).toISOString();
        op = await store.operations.beginCleanup(op, error, deps.now().toISOString(), deadline);
      } catch (e) {
        if (e instanceof StaleStateError) return 'ignored';
        throw e;
      }
      logger.warn('create failed, removing what it applied', {
        operationId: op.operationId,
        code: error.code,
      });
      await deps.requeue({ ...msg, reason: 'retry', attempt: 0 }, 1);
      return 'cleaning-up';
    }
    if (op.cleanup) {
      return fail(deps, op, {
        code: op.cleanup.cause.code,
        message: `${op.cleanup.cause.message} Removing what it had created failed too (${error.code}); deleting the cluster removes it.`,
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
      const start = (claim?: ClaimRequest) =>
        store.operations.start(op, WORKING_STATUS[op.type], placement, now.toISOString(), claim);
      await (deps.owner ? deps.owner.carry(start) : start());
    } catch (e) {
      if (e instanceof StaleStateError) return 'ignored'; // cancelled, or no longer this region's
      throw e;
    }
    op = { ...op, status: 'RUNNING', step: 'APPLY' };
  }

  const spec = specOf(cluster);
  try {
    if (op.type === 'DELETE') return await runDeleteStep(deps, op, cluster, placement, msg);
    if (op.type === 'BACKUP') {
      if (!blueprint)
        throw new PermanentFailureError('UNSUPPORTED_ENGINE', `No blueprint for engine ${cluster.engine}`);
      return await runBackupStep(deps, blueprint, op, spec, placement, msg);
    }
    if (op.step === 'CLEANUP' || op.step === 'CLEANUP_WAIT') {
      return await runCleanupStep(deps, op, cluster, placement, msg);
    }
    if (!blueprint)
      throw new PermanentFailureError('UNSUPPORTED_ENGINE', `No blueprint for engine ${cluster.engine}`);
    // A CREATE this delivery started has applied nothing yet: its credential Secret cannot exist.
    const fresh = claimed.status === 'QUEUED' && op.type === 'CREATE';
    return await runStep(deps, blueprint, op, spec, placement, msg, failWith, fresh);
  } catch (e) {
    if (e instanceof StepLostError) throw e;
    if (e instanceof PodIdentityError) return identityFailure(deps, op, msg, e, failWith);
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

/**
 * Whether a failure is rolled back (D13): an UPDATE, and a PAUSE that began on a READY cluster.
 * Not a RESUME (its previous state is paused: the tenant resumes again), nor a PAUSE retried on a
 * FAILED paused cluster (there is no running state to go back to).
 */
function rollsBack(op: OperationRecord): boolean {
  if (!op.previous || op.rollback) return false;
  if (op.type === 'UPDATE') return true;
  return op.type === 'PAUSE' && op.previous.status === 'READY' && op.previous.paused !== true;
}

/** The cluster's status while its operation runs (a backup leaves a READY cluster READY). */
const WORKING_STATUS = {
  CREATE: 'PROVISIONING',
  UPDATE: 'UPDATING',
  DELETE: 'DELETING',
  BACKUP: 'READY',
  PAUSE: 'PAUSING',
  RESUME: 'RESUMING',
} as const satisfies Record<OperationRecord['type'], ClusterRecord['status']>;
/** A rollback gets its own time budget: the update's deadline may be what failed it. */
const ROLLBACK_DEADLINE_MS = 15 * 60 * 1000;
/** So does the clean-up of a failed CREATE: deleting a namespace takes seconds to minutes. */
const CLEANUP_DEADLINE_MS = 10 * 60 * 1000;

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
  return removeNamespace(
    deps,
    op,
    cluster,
    placement,
    msg,
    { start: 'APPLY', wait: 'WAIT_READY' },
    async () => {
      await ending(deps, (claim) =>
        deps.store.operations.completeDeletion(op, cluster, deps.now().toISOString(), claim),
      );
      deps.logger.info('deleted', { operationId: op.operationId, clusterId: cluster.clusterId });
      return 'succeeded';
    },
  );
}

/**
 * A failed CREATE's clean-up: delete the namespace it started, confirm it is gone, then fail
 * the operation with the error that stopped it (the cluster FAILED, still deletable).
 */
async function runCleanupStep(
  deps: WorkflowDeps,
  op: OperationRecord,
  cluster: ClusterRecord,
  placement: string,
  msg: ProvisioningMessage,
): Promise<Outcome> {
  const cause = op.cleanup?.cause;
  if (!cause) throw new Error('runCleanupStep: the operation is not cleaning up');
  return removeNamespace(
    deps,
    op,
    cluster,
    placement,
    msg,
    { start: 'CLEANUP', wait: 'CLEANUP_WAIT' },
    () => {
      deps.logger.info('failed create cleaned up', {
        operationId: op.operationId,
        clusterId: cluster.clusterId,
      });
      return fail(deps, op, cause);
    },
  );
}

/**
 * The cluster's namespace goes: at step `start` it is deleted (the step moves to `wait`); at
 * `wait`, polls until Kubernetes no longer has it, then `gone()` ends the operation.
 */
async function removeNamespace(
  deps: WorkflowDeps,
  op: OperationRecord,
  cluster: ClusterRecord,
  placement: string,
  msg: ProvisioningMessage,
  steps: { readonly start: OperationRecord['step']; readonly wait: OperationRecord['step'] },
  gone: () => Promise<Outcome>,
): Promise<Outcome> {
  const kube = await deps.kube(placement);
  const namespace = namespaceOf(cluster.clusterId);
  if (op.step === steps.start) {
    await kube.deleteNamespace(namespace);
    await moveTo(deps, op, steps.wait);
    return schedulePoll(deps, msg, 0);
  }
  const live = await kube.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  if (!live) {
    await dropBackupIdentity(deps, op, cluster.clusterId, placement);
    return gone();
  }
  return schedulePoll(deps, msg, msg.reason === 'poll' ? msg.attempt + 1 : 0);
}

/**
 * The cluster's EKS Pod Identity association (functions/shared/backup-identity.ts): the engine's
 * backup ServiceAccount in its namespace gets the region's backup role, narrowed to the cluster's
 * prefix and a restore's source. Only on the provisioner's own region's EKS clusters: after a
 * takeover, another region's clusters keep the associations their region made (docs/eks.md).
 */
async function ensureBackupIdentity(
  deps: WorkflowDeps,
  blueprint: Blueprint,
  spec: ClusterSpec,
  placement: string,
  op: OperationRecord,
): Promise<void> {
  const identity = deps.backupIdentity;
  const support = blueprint.backup;
  if (!identity || !support) return;
  if (!ownEksCluster(deps, placement)) {
    deps.logger.warn('backup identity not managed: the EKS cluster is another region’s', {
      operationId: op.operationId,
      placement,
    });
    return;
  }
  const restore = spec.restore;
  const access: BackupAccess = {
    own: spec.backupStore ?? clusterBackupStore(identity.bucket, spec),
    // A point-in-time restore replays the source's WAL archive; the others read one backup.
    ...(restore ? { restoreFrom: support.pointInTime ? restore.sourceStore : restore.storage } : {}),
  };
  const result = await identity.port.ensure({
    eksCluster: placement,
    namespace: namespaceOf(spec.clusterId),
    serviceAccount: support.identity.serviceAccount,
    policy: backupSessionPolicy(identity.partition, access),
  });
  deps.logger.info('backup identity', {
    operationId: op.operationId,
    serviceAccount: support.identity.serviceAccount,
    result,
  });
}

/**
 * Removes the namespace's associations once it is gone. A failure is logged, never fails the
 * DELETE: an association whose namespace is gone gives nothing to anyone (cluster ids are never
 * reused), and `aws eks list-pod-identity-associations --namespace stratus-<clusterId>` finds it.
 */
async function dropBackupIdentity(
  deps: WorkflowDeps,
  op: OperationRecord,
  clusterId: string,
  placement: string,
): Promise<void> {
  if (!deps.backupIdentity || !ownEksCluster(deps, placement)) return;
  try {
    const removed = await deps.backupIdentity.port.remove({
      eksCluster: placement,
      namespace: namespaceOf(clusterId),
    });
    if (removed > 0) deps.logger.info('backup identity removed', { operationId: op.operationId, removed });
  } catch (e) {
    deps.logger.warn('backup identity not removed', {
      operationId: op.operationId,
      correlationId: op.correlationId,
      namespace: namespaceOf(clusterId),
      detail: String(e),
    });
  }
}

const ownEksCluster = (deps: WorkflowDeps, placement: string) =>
  (deps.eksClusters.find((c) => c.name === placement)?.region ?? deps.store.region) === deps.store.region;

/**
 * An association that could not be made: retried like Kubernetes when EKS said so (throttling,
 * a 5xx), else (refused: the provisioner's `iam:PassRole`, a quota) the operation fails with
 * BACKUP_IDENTITY_FAILED. The raw text goes to the log only.
 */
async function identityFailure(
  deps: WorkflowDeps,
  op: OperationRecord,
  msg: ProvisioningMessage,
  e: PodIdentityError,
  failWith: (error: OperationError) => Promise<Outcome>,
): Promise<Outcome> {
  const logged = { operationId: op.operationId, correlationId: op.correlationId, detail: e.message };
  if (e.retryable && msg.attempt < deps.maxTransientRetries) {
    const delay = backoffSeconds(msg.attempt, deps.pollBaseSeconds, MAX_DELAY_SECONDS);
    deps.logger.warn('EKS Pod Identity failed, retrying', { ...logged, delay });
    await deps.requeue({ ...msg, reason: 'retry', attempt: msg.attempt + 1 }, delay);
    return 'retrying';
  }
  deps.logger.warn('EKS Pod Identity refused the backup identity', logged);
  return failWith(operationErrors.backupIdentityFailed());
}

/** The durable timer: the same message again, delayed by backoff, `attempt` polls in. */
async function schedulePoll(deps: WorkflowDeps, msg: ProvisioningMessage, attempt: number): Promise<Outcome> {
  await deps.requeue(
    { ...msg, reason: 'poll', attempt },
    backoffSeconds(attempt, deps.pollBaseSeconds, POLL_CAP_SECONDS),
  );
  return 'polling';
}

/**
 * BACKUP: at APPLY, the cluster's objects (with its backup store: PostgreSQL archives there) and
 * the engine's backup objects (a CloudNativePG Backup, or a Job); then poll their progress. A
 * success counts what the backup stored under its prefix: nothing stored is a failure
 * (BACKUP_EMPTY), whatever the engine said. The object store unreachable is retried like
 * Kubernetes, then fails the operation (OBJECT_STORE_UNAVAILABLE).
 */
async function runBackupStep(
  deps: WorkflowDeps,
  blueprint: Blueprint,
  op: OperationRecord,
  spec: ClusterSpec,
  placement: string,
  msg: ProvisioningMessage,
): Promise<Outcome> {
  const support = blueprint.backup;
  const backup = op.backupId ? await deps.store.backups.get(op.tenantId, op.backupId) : undefined;
  if (!support || !backup) {
    const e = operationErrors.backupUnsupported(spec.engine);
    throw new PermanentFailureError(e.code, e.message);
  }
  const target = { backupId: backup.backupId, storage: backup.storage, clusterStore: backup.clusterStore };
  const kube = await deps.kube(placement);
  if (op.step === 'APPLY') {
    const ids = {
      operationId: op.operationId,
      correlationId: op.correlationId,
      ...placementContext(deps.eksClusters, placement),
    };
    // Before the Job's pods start: EKS Pod Identity gives credentials to pods created after it.
    await ensureBackupIdentity(deps, blueprint, spec, placement, op);
    // A backup changes no StatefulSet's claims: applied without comparing them.
    await applyRendered(kube, blueprint, spec, ids, { claimsUnchanged: true });
    const objects = support.render(spec, target, { ...ids, secrets: {} });
    await kube.apply(objects);
    deps.logger.info('backup started', { operationId: op.operationId, backupId: backup.backupId, placement });
    await moveTo(deps, op, 'WAIT_READY');
    return schedulePoll(deps, msg, 0);
  }
  const progress = support.progress(target, await kube.get(support.statusRef(spec, target)));
  if (progress.state === 'running') {
    return schedulePoll(deps, msg, msg.reason === 'poll' ? msg.attempt + 1 : 0);
  }
  if (progress.state === 'failed') {
    deps.logger.warn('the backup failed', {
      operationId: op.operationId,
      correlationId: op.correlationId,
      detail: progress.reason,
    });
    return fail(deps, op, operationErrors.backupFailed());
  }
  const storage = progress.storage ?? backup.storage;
  let stored: { objects: number; bytes: number };
  try {
    if (!deps.backupObjects) throw new Error('no backup bucket client');
    stored = await deps.backupObjects.measure(storage);
  } catch (e) {
    const logged = { operationId: op.operationId, correlationId: op.correlationId, detail: String(e) };
    if (msg.attempt >= deps.maxTransientRetries) {
      deps.logger.warn('the object store kept failing, retries ran out', logged);
      return fail(deps, op, operationErrors.objectStoreUnavailable());
    }
    const delay = backoffSeconds(msg.attempt, deps.pollBaseSeconds, MAX_DELAY_SECONDS);
    deps.logger.warn('the object store failed, retrying', { ...logged, delay });
    await deps.requeue({ ...msg, reason: 'retry', attempt: msg.attempt + 1 }, delay);
    return 'retrying';
  }
  if (stored.objects === 0) return fail(deps, op, operationErrors.backupEmpty());
  await deps.owner?.ensure();
  const now = deps.now().toISOString();
  // Object Lock: no object it wrote is locked past its end plus the lock's days, and retention
  // (validated against the lock, but counted from the request) never comes before that.
  const locked = deps.objectLock ? lockedUntil(deps.now(), deps.objectLock) : undefined;
  const expiresAt =
    locked && backup.expiresAt && Date.parse(backup.expiresAt) < Date.parse(locked) ? locked : undefined;
  // A scheduled backup with a restore test: the test is stored with the success, for the reconciler.
  await deps.store.operations.completeBackup(
    op,
    {
      storage,
      sizeBytes: stored.bytes,
      ...(locked ? { lockedUntil: locked } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    },
    now,
    backup.restoreTest ? newRestoreTest(backup, op.correlationId, now) : undefined,
  );
  deps.logger.info('backup stored', {
    operationId: op.operationId,
    backupId: backup.backupId,
    objects: stored.objects,
    bytes: stored.bytes,
  });
  return 'succeeded';
}

async function runStep(
  deps: WorkflowDeps,
  blueprint: Blueprint,
  op: OperationRecord,
  spec: ClusterSpec,
  placement: string,
  msg: ProvisioningMessage,
  failWith: (error: OperationError) => Promise<Outcome>,
  fresh: boolean,
): Promise<Outcome> {
  const kube = await deps.kube(placement);
  const rollingBack = op.step === 'ROLLBACK_APPLY' || op.step === 'ROLLBACK_WAIT';
  // The same API server addresses and gateway the reconciler renders with, so neither is drift.
  const placed = placementContext(deps.eksClusters, placement);
  if (isPublic(spec) && !placed.gateway) {
    // The API refuses it where no EKS cluster has a gateway; a config changed since lands here.
    throw new PermanentFailureError(
      'ENDPOINTS_NOT_CONFIGURED',
      `The EKS cluster of this database has no gateway for public endpoints; turn endpoint.public off`,
    );
  }
  if (tlsOn(spec) && blueprint.tls && !placed.gateway) {
    // Its certificate comes from the gateway's cert-manager issuer, gone from the config since.
    throw new PermanentFailureError(
      'ENDPOINTS_NOT_CONFIGURED',
      `The EKS cluster of this database serves TLS with certificates from its gateway's issuer, which the deployment config no longer has; restore the EKS cluster's gateway`,
    );
  }
  if (op.step === 'APPLY' || op.step === 'ROLLBACK_APPLY') {
    // Pods that restore, or whose database writes backups itself, need their identity at start.
    const identity = blueprint.backup?.identity;
    if (op.type === 'CREATE' && identity && (spec.restore || identity.databasePods)) {
      await ensureBackupIdentity(deps, blueprint, spec, placement, op);
    }
    const ids = { operationId: op.operationId, correlationId: op.correlationId, ...placed };
    // What the spec an UPDATE replaces rendered (generated secrets: object names never depend on
    // secret values): what it no longer renders is pruned.
    const previous =
      op.type === 'UPDATE' && op.previous && !rollingBack
        ? blueprint.render(
            { ...spec, ...specFields(op.previous) },
            { ...ids, secrets: generateSecrets(blueprint) },
          )
        : undefined;
    const objects = await applyRendered(kube, blueprint, spec, ids, {
      fresh: fresh && !rollingBack,
      // Only an UPDATE or a rollback can change a StatefulSet's claims (a bigger size, more nodes on
      // claims a scale down left); a CREATE, PAUSE or RESUME applies the claims it already has.
      claimsUnchanged: !rollingBack && op.type !== 'UPDATE',
    });
    // A CREATE has nothing to prune: its namespace holds only what this operation applied, from
    // the same spec (a retried apply renders the same objects). Saves a list per blueprint kind.
    // An UPDATE deletes what the spec it replaces rendered and this one does not, without a list
    // (docs/cost.md); a rollback, or an UPDATE without its previous spec, lists every kind.
    const pruned =
      op.type === 'CREATE'
        ? []
        : previous
          ? await pruneDropped(kube, namespaceOf(spec.clusterId), previous, objects)
          : await prune(kube, blueprint, spec, objects, placed.gateway);
    deps.logger.info('applied', {
      operationId: op.operationId,
      objects: objects.length,
      pruned: pruned.length,
      placement,
    });
    // A CREATE looks once right away: a database that is ready as soon as it is applied (an
    // operator that reports at once, the local stand-in with no readiness delay) is done in this
    // delivery, without a poll message. Only a CREATE: its objects are new, so their status
    // cannot be an earlier generation's; an UPDATE's could, before its controller has acted.
    if (op.type === 'CREATE' && !rollingBack) {
      const done = await readyOutcome(deps, blueprint, kube, op, spec, placed.gateway, false, failWith);
      if (done) return done;
    }
    await moveTo(deps, op, rollingBack ? 'ROLLBACK_WAIT' : 'WAIT_READY');
    return schedulePoll(deps, msg, 0);
  }
  const done = await readyOutcome(deps, blueprint, kube, op, spec, placed.gateway, rollingBack, failWith);
  return done ?? schedulePoll(deps, msg, msg.reason === 'poll' ? msg.attempt + 1 : 0);
}

/**
 * Reads the cluster's readiness objects: ready ends the operation (or its rollback), a permanent
 * failure fails it; undefined when it is not ready yet.
 */
async function readyOutcome(
  deps: WorkflowDeps,
  blueprint: Blueprint,
  kube: KubePort,
  op: OperationRecord,
  spec: ClusterSpec,
  gateway: GatewayContext | undefined,
  rollingBack: boolean,
  failWith: (error: OperationError) => Promise<Outcome>,
): Promise<Outcome | undefined> {
  const readiness = await pauseAwareReadiness(blueprint, kube, op, spec);
  if (readiness.ready) {
    // Ready once cert-manager issued the certificates: the database's own (TLS) and the gateway's.
    for (const ref of certificateRefs(blueprint, spec, gateway)) {
      const cert = certificateReady(await kube.get(ref), ref.metadata.name);
      if (!cert.ready) return undefined;
    }
    let externalEndpoint: ExternalEndpoint | undefined;
    if (gateway && isPublic(spec)) {
      const ca = await caBundleOf(kube, spec, externalCaSecret(blueprint, spec));
      externalEndpoint = externalEndpointOf(blueprint, spec, gateway, ca);
    }
    const caBundle =
      tlsOn(spec) && blueprint.tls ? await caBundleOf(kube, spec, DATABASE_TLS_SECRET) : undefined;
    const conn = blueprint.connection(spec);
    const observed = {
      endpoint: conn.endpoint,
      port: conn.port,
      ...(externalEndpoint ? { externalEndpoint } : {}),
      ...(caBundle ? { caBundle } : {}),
    };
    await ending(deps, (claim) =>
      rollingBack
        ? deps.store.operations.finishRollback(op, observed, deps.now().toISOString(), claim)
        : deps.store.operations.complete(op, observed, deps.now().toISOString(), claim),
    );
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
  return undefined;
}

/**
 * What ends an operation: for a PAUSE, the engine reporting its pods gone (PauseSupport.state);
 * for a RESUME, its pods back and the usual readiness; for the others, the usual readiness.
 */
async function pauseAwareReadiness(
  blueprint: Blueprint,
  kube: KubePort,
  op: OperationRecord,
  spec: ClusterSpec,
): Promise<Readiness> {
  const pause = blueprint.pause;
  // A PAUSE being rolled back ends as a RESUME does: its pods back and ready.
  const type = op.type === 'PAUSE' && op.rollback ? 'RESUME' : op.type;
  if (type === 'PAUSE' || type === 'RESUME') {
    if (!pause) {
      const e = operationErrors.pauseUnsupported(spec.engine);
      throw new PermanentFailureError(e.code, e.message);
    }
    const state = pause.state(spec, await Promise.all(pause.refs(spec).map((ref) => kube.get(ref))));
    if (type === 'PAUSE') {
      return state.state === 'paused' ? { ready: true } : { ready: false, reason: reasonOf(state) };
    }
    if (state.state !== 'running') return { ready: false, reason: reasonOf(state) };
  }
  const live = await Promise.all(blueprint.readinessRefs(spec).map((ref) => kube.get(ref)));
  return blueprint.readiness(spec, live);
}

const reasonOf = (s: PauseState) => (s.state === 'changing' ? s.reason : s.state);

/**
 * The CA that issued the cluster's certificate, from its Secret's `ca.crt` (cert-manager writes it
 * for CA and Vault issuers; an ACME issuer's, publicly trusted, has none): not secret, shown to
 * the tenant so that clients can verify the gateway.
 */
async function caBundleOf(
  kube: KubePort,
  spec: ClusterSpec,
  secretName: string,
): Promise<string | undefined> {
  const secret = await kube.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: namespaceOf(spec.clusterId) },
  });
  const ca = (secret?.data as Record<string, string> | undefined)?.['ca.crt'];
  return ca ? Buffer.from(ca, 'base64').toString('utf8') : undefined;
}

/**
 * Renders the cluster and applies it in order. Secrets are never applied: a Secret is created
 * only if absent (POST; 409 keeps the live one), because it holds generated credentials that
 * must never change once the database started with them. When the Secret already exists, its
 * values are read back and the objects rendered with them; when another delivery created it
 * between our read and our create, its values win: the rest is rendered again with them, and
 * what was applied before the Secret is applied again where that changed it. With `fresh` (the
 * delivery that started a CREATE: nothing was applied for the cluster yet), the Secret is not
 * read first: one Kubernetes call less (docs/cost.md); the create-if-absent still keeps one that
 * exists. Returns the objects applied (as last rendered).
 */
export async function applyRendered(
  kube: KubePort,
  blueprint: Blueprint,
  spec: ClusterSpec,
  ids: Pick<RenderContext, 'operationId' | 'correlationId' | 'kubeApiCidrs' | 'gateway'>,
  opts: {
    readonly fresh?: boolean;
    /** The live StatefulSets were applied with these claims (a CREATE retried, a PAUSE): no read. */
    readonly claimsUnchanged?: boolean;
  } = {},
): Promise<KubeObject[]> {
  const stored =
    opts.fresh && blueprint.secretNames.length > 0 ? undefined : await readSecrets(kube, blueprint, spec);
  let objects = blueprint.render(spec, { ...ids, secrets: stored ?? generateSecrets(blueprint) });
  let batch: KubeObject[] = [];
  for (let i = 0; i < objects.length; i++) {
    const obj = objects[i] as KubeObject;
    if (obj.kind === 'StatefulSet' && obj.apiVersion === 'apps/v1' && !opts.fresh && !opts.claimsUnchanged) {
      // Its claim templates cannot change in place: compare with the live one, grow the claims and
      // replace it if they differ (claims.ts), after what comes before it (the quota that admits
      // the bigger claims) is applied.
      if (batch.length) await kube.apply(batch);
      batch = [];
      await prepareClaims(kube, obj);
    }
    if (obj.kind !== 'Secret') {
      batch.push(obj);
      continue;
    }
    if (batch.length) await kube.apply(batch);
    batch = [];
    if (stored) continue; // exists: never written again
    if ((await kube.create(obj)) === 'exists') {
      const kept = await readSecrets(kube, blueprint, spec);
      if (!kept) throw new Error(`Secret ${obj.metadata.name} existed a moment ago and is gone; retry`);
      const applied = objects;
      objects = blueprint.render(spec, { ...ids, secrets: kept });
      // Object names and order never depend on secret values: the same index is the same object.
      const changed = objects
        .slice(0, i)
        .filter((o, k) => o.kind !== 'Secret' && JSON.stringify(o) !== JSON.stringify(applied[k]));
      if (changed.length) await kube.apply(changed);
    }
  }
  if (batch.length) await kube.apply(batch);
  return objects;
}

/**
 * The generated credentials kept in the cluster's credential Secret, or undefined when there is
 * no such Secret yet. Values never reach logs, DynamoDB or events.
 */
async function readSecrets(
  kube: KubePort,
  blueprint: Blueprint,
  spec: ClusterSpec,
): Promise<Record<string, string> | undefined> {
  if (blueprint.secretNames.length === 0) return {};
  const ref = blueprint.connection(spec).credentialRef;
  if (!ref) return undefined;
  const existing = await kube.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ref.namespace },
  });
  if (!existing) return undefined;
  const data = (existing.data ?? {}) as Record<string, string>;
  const secrets: Record<string, string> = {};
  for (const name of blueprint.secretNames) {
    const value = data[secretKey(name)];
    if (!value) {
      // Never rotate a value the database may use: stop, and let an operator look.
      const e = operationErrors.credentialsIncomplete();
      throw new PermanentFailureError(e.code, e.message);
    }
    secrets[name] = Buffer.from(value, 'base64').toString('utf8');
  }
  return secrets;
}

function generateSecrets(blueprint: Blueprint): Record<string, string> {
  return Object.fromEntries(
    blueprint.secretNames.map((name) => [name, randomBytes(32).toString('base64url')]),
  );
}

/** `apiKey` -> `api-key`: the key under which a blueprint stores a generated secret. */
export function secretKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const refKey = (o: { apiVersion: string; kind: string; metadata: { name: string } }) =>
  `${o.apiVersion}/${o.kind}/${o.metadata.name}`;

/**
 * Deletes what Stratus applied to the cluster's namespace before and no longer renders (a
 * Valkey scaled to one node has no `valkey-read` Service and no disruption budget): one `list`
 * per kind the blueprint may render, by the cluster's labels, then one `delete` per object not
 * rendered now. Never touched: Secrets (credentials), objects with an owner (a controller or an
 * operator made them), objects without Stratus's labels, and kinds the blueprint never renders.
 */
export async function prune(
  kube: KubePort,
  blueprint: Blueprint,
  spec: ClusterSpec,
  rendered: readonly KubeObject[],
  gateway?: GatewayContext,
): Promise<KubeObject[]> {
  const namespace = namespaceOf(spec.clusterId);
  const wanted = new Set(rendered.map(refKey));
  const pruned: KubeObject[] = [];
  // The endpoint's kinds only where the EKS cluster has a gateway (their CRDs come with it).
  for (const { apiVersion, kind } of [...blueprint.kinds, ...endpointKinds(gateway)]) {
    if (kind === 'Secret') continue;
    const live = await kube.list(apiVersion, kind, {
      namespace,
      labelSelector: clusterSelector(spec.clusterId),
    });
    for (const obj of live) {
      const owners = obj.metadata.ownerReferences as unknown[] | undefined;
      if (wanted.has(refKey({ ...obj, apiVersion, kind })) || (owners && owners.length > 0)) continue;
      await kube.delete({ apiVersion, kind, metadata: { name: obj.metadata.name, namespace } });
      pruned.push(obj);
    }
  }
  return pruned;
}

/** The spec fields an operation's `previous` snapshot keeps. */
function specFields(
  p: SpecSnapshot,
): Pick<ClusterSpec, 'nodes' | 'size' | 'version' | 'settings' | 'generation' | 'endpoint'> {
  return {
    nodes: p.nodes,
    size: p.size,
    version: p.version,
    settings: p.settings,
    generation: p.generation,
    // A spec that turns the public endpoint off drops its objects: the previous spec rendered them.
    endpoint: p.endpointSettings ?? PRIVATE_ENDPOINT,
  };
}

/**
 * An UPDATE's prune without a list: deletes each object the previous spec rendered (`before`) and `rendered`
 * (this spec's) does not (a Valkey scaled to one node drops `valkey-read` and its disruption
 * budget), by name; one already gone is fine. Secrets are never deleted. What the previous spec
 * rendered is known exactly by rendering it again with the same blueprint, so a scale-up, which
 * drops nothing, makes no Kubernetes call here where `prune` made one list per kind. What it does
 * not see: an object that an older version of the blueprint rendered and this version renders
 * for neither spec (docs/cost.md; a rollback, which runs `prune`, removes those).
 */
export async function pruneDropped(
  kube: KubePort,
  namespace: string,
  before: readonly KubeObject[],
  rendered: readonly KubeObject[],
): Promise<KubeObject[]> {
  const wanted = new Set(rendered.map(refKey));
  const dropped = before.filter(
    (o) => o.kind !== 'Secret' && o.kind !== 'Namespace' && !wanted.has(refKey(o)),
  );
  for (const o of dropped) {
    await kube.delete({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.metadata.name, namespace },
    });
  }
  return dropped;
}

/** A transition that ends the operation: it carries the delivery's claim if not made yet. */
function ending(deps: WorkflowDeps, transition: (claim: ClaimRequest | undefined) => Promise<void>) {
  return deps.owner ? deps.owner.carry(transition) : transition(undefined);
}

async function fail(deps: WorkflowDeps, op: OperationRecord, error: OperationError): Promise<Outcome> {
  await deps.owner?.ensure();
  try {
    await deps.store.operations.fail(op, error, deps.now().toISOString());
  } catch (e) {
    if (e instanceof StaleStateError) return 'ignored';
    throw e;
  }
  deps.logger.warn('operation failed', { operationId: op.operationId, code: error.code });
  return 'failed';
}
