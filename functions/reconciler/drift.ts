import type { Logger } from '@aws-lambda-powertools/logger';
import { newOperation, UPDATE_DEADLINE_MS } from '../shared/domain/plan.js';
import type {
  ClusterRecord,
  DriftRepairSeries,
  DriftRepairSuspension,
  OperationRecord,
} from '../shared/domain/records.js';
import { specOf } from '../shared/domain/spec.js';
import { endpointKinds, type GatewayContext } from '../shared/engines/endpoints.js';
import { blueprints, getBlueprint } from '../shared/engines/registry.js';
import { LABELS, MANAGED_BY, namespaceOf } from '../shared/engines/tenancy.js';
import type { Blueprint, KubeKind, KubeObject } from '../shared/engines/types.js';
import type { DriftFinding } from '../shared/events/catalog.js';
import { newId } from '../shared/ids.js';
import type { KubeClient } from '../shared/kube/client.js';
import { StaleStateError, type Store } from '../shared/store/store.js';
import {
  clusterIndexKey,
  type DriftCursor,
  type DriftListPosition,
  type PageKey,
  type Sweeps,
} from '../shared/store/sweeps.js';
import { compareObjects, type ObjectDrift } from './compare.js';
import { driftEvent, findingsHash, type ReconcilerEvent, suspendedEvent } from './events.js';
import { decideRenewal, RENEWAL_FIELD_MANAGER, renewalFields } from './renewal.js';

/** Who asks for repairs: the `requestedBy` of the UPDATE operations the reconciler queues. */
export const RECONCILER_PRINCIPAL = 'reconciler';
/** What blueprints get for generated secrets: Secrets are compared by existence only. */
const SECRET_PLACEHOLDER = 'not-compared';
/** A drift left in place (maintenance, orphans not deleted) is reported again after this long. */
const DEFAULT_REPORT_QUIET_SECONDS = 24 * 3600;

/**
 * The circuit breaker of repairs (issue #10): a drift that comes back after every repair (a
 * mutating webhook, another controller) is repaired at most `maxRepairs` times within
 * `windowSeconds` of its first repair, with a growing wait between repairs
 * (`backoffSeconds * 2^(n-1)` after the n-th); then the reconciler stops repairing it for
 * `suspendSeconds`, marks the cluster (`driftRepairSuspended`) and publishes
 * `Cluster Drift Repair Suspended`. The suspension ends early when the drift clears or the spec
 * changes (a new generation).
 */
export interface DriftRepairPolicy {
  readonly maxRepairs: number;
  readonly windowSeconds: number;
  readonly backoffSeconds: number;
  readonly suspendSeconds: number;
}

export const DEFAULT_REPAIR_POLICY: DriftRepairPolicy = {
  maxRepairs: 3,
  windowSeconds: 3600,
  backoffSeconds: 300,
  suspendSeconds: 24 * 3600,
};

/** What the drift sweep needs of Kubernetes (functions/shared/kube/client.ts). */
export type DriftKube = Pick<KubeClient, 'listPage' | 'get' | 'deleteNamespace' | 'mergePatch'>;

/** Objects per chunk of the sweep's cluster-wide lists (`limit`). */
export const DEFAULT_LIST_PAGE_SIZE = 500;
/** A list whose `continue` token expired (410) is started again up to this many times per run. */
const LIST_RESTARTS = 2;
/**
 * A list older than this is not continued but started again: kube-apiserver honours a `continue`
 * token until etcd compacts the list's revision, about 5 minutes after the list began.
 */
export const LIST_TOKEN_MAX_AGE_MS = 4 * 60_000;
/** Keys per BatchGetItem in the orphan pass (DynamoDB's limit). */
const ORPHAN_BATCH = 100;
const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

export interface DriftSweepDeps {
  readonly store: {
    readonly clusters: Pick<Store['clusters'], 'get' | 'suspendDriftRepair' | 'clearDriftRepair'>;
  };
  readonly sweeps: Pick<
    Sweeps,
    | 'readyClusters'
    | 'clustersByKey'
    | 'driftCursor'
    | 'saveDriftCursor'
    | 'driftReport'
    | 'saveDriftReport'
    | 'requestRepair'
  >;
  /** Kubernetes access for an EKS cluster name (cached by the caller). */
  readonly kube: (eksCluster: string) => Promise<DriftKube>;
  /** Drops cached credentials for an EKS cluster, after a 401. */
  readonly invalidateKube: (eksCluster: string) => void;
  /** Puts one event on the region's bus; throws when the bus did not accept it. */
  readonly publish: (event: ReconcilerEvent) => Promise<void>;
  readonly region: string;
  /** The EKS clusters of the region, scanned for orphan namespaces. */
  readonly eksClusters: readonly string[];
  /** Delete orphan namespaces instead of only reporting them (RECONCILER_DELETE_ORPHANS). */
  readonly deleteOrphans: boolean;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Clusters per index page. */
  readonly pageSize: number;
  /** Index pages per run. */
  readonly maxPages: number;
  /** False when the run must stop (the invocation is running out of time). */
  readonly hasTime: () => boolean;
  /**
   * The Kubernetes API server's CIDRs of an EKS cluster, as the provisioner renders them
   * (`apiServerCidrs` of EKS_CLUSTERS): what the reconciler compares must be what was applied.
   *
   * @default - none configured: the blueprints' default
   */
  readonly kubeApiCidrs?: (eksCluster: string) => readonly string[] | undefined;
  /**
   * The shared gateway of an EKS cluster (`gateway` of EKS_CLUSTERS), as the provisioner renders
   * public endpoints with it; its kinds are listed only there (their CRDs come with the gateway).
   *
   * @default - none: no endpoint objects rendered or listed
   */
  readonly gateway?: (eksCluster: string) => GatewayContext | undefined;
  /** Clusters (or namespaces) checked concurrently. @default 5 */
  readonly concurrency?: number;
  /** Objects per chunk of the cluster-wide lists. @default DEFAULT_LIST_PAGE_SIZE */
  readonly listPageSize?: number;
  /** @default 86400 (a day) */
  readonly reportQuietSeconds?: number;
  /** @default DEFAULT_REPAIR_POLICY */
  readonly repairPolicy?: Partial<DriftRepairPolicy>;
}

export interface DriftSweepResult {
  /** READY clusters read from the index and compared with Kubernetes. */
  readonly checked: number;
  readonly clean: number;
  /** Drift found and a repair (an UPDATE by the reconciler) queued. */
  readonly repaired: number;
  /** Drift found on a cluster under maintenance: reported, not repaired. */
  readonly reported: number;
  /** Drift that came back after a recent repair: not repaired again before its back-off ends. */
  readonly backingOff: number;
  /** Drift that came back after every repair: repairs stopped, `Cluster Drift Repair Suspended` sent. */
  readonly suspended: number;
  /** Drift already reported (or its repairs already suspended) and unchanged: no new event. */
  readonly alreadyReported: number;
  /** Not compared or not repaired: busy, changed meanwhile, no blueprint, namespace terminating. */
  readonly skipped: number;
  /** Namespaces labelled as Stratus's whose cluster is gone (reported or deleted). */
  readonly orphans: number;
  readonly orphansDeleted: number;
  /** TLS clusters whose restart target got the `notBefore` of its certificate recorded (renewal.ts). */
  readonly certificatesRecorded: number;
  /** TLS clusters whose pods a rolling restart moved onto a renewed certificate (renewal.ts). */
  readonly certificateRestarts: number;
  /** Clusters or namespaces that could not be checked (Kubernetes, DynamoDB or the bus failed). */
  readonly errors: number;
  readonly pages: number;
  /** The run stopped at its budget; the next run continues from the stored cursor. */
  readonly more: boolean;
  /** This run finished a sweep of every cluster and every EKS cluster's namespaces. */
  readonly cycleCompleted: boolean;
}

type ClusterOutcome =
  | 'clean'
  | 'repaired'
  | 'reported'
  | 'backingOff'
  | 'suspended'
  | 'alreadyReported'
  | 'skipped'
  | 'error';
type NamespaceOutcome = 'owned' | 'orphan' | 'orphanDeleted' | 'orphanAlreadyReported' | 'skipped' | 'error';

interface Counts {
  checked: number;
  clean: number;
  repaired: number;
  reported: number;
  backingOff: number;
  suspended: number;
  alreadyReported: number;
  skipped: number;
  orphans: number;
  orphansDeleted: number;
  certificatesRecorded: number;
  certificateRestarts: number;
  errors: number;
}

/**
 * The UPDATE that repairs drift: the current spec again (no new generation, no node change), so
 * the normal pipeline re-applies every object with server-side apply and waits until it is ready.
 */
export function planRepair(cluster: ClusterRecord, now: Date): OperationRecord {
  return newOperation(
    cluster,
    'UPDATE',
    { correlationId: newId('corr', now.getTime()), now, requestedBy: RECONCILER_PRINCIPAL },
    UPDATE_DEADLINE_MS,
    cluster.generation,
  );
}

/** What the circuit breaker says about a drift found on an idle READY cluster. */
export type RepairDecision =
  /** Queue a repair, recording `series` with it; first forget a void suspension (`clearStale`). */
  | { readonly action: 'repair'; readonly series: DriftRepairSeries; readonly clearStale: boolean }
  /** Repaired recently: wait until `until` before repairing again. */
  | { readonly action: 'wait'; readonly until: string }
  /** Repaired `maxRepairs` times within the window and back again: stop and report. */
  | { readonly action: 'suspend'; readonly series: DriftRepairSeries; readonly until: string }
  /** Already suspended, and the suspension holds. */
  | { readonly action: 'suspended' };

/**
 * The circuit breaker (DriftRepairPolicy), pure. A series counts the repairs of the same findings
 * (`findingsHash`) at the same generation within the window from the first; a suspension holds
 * for the same generation until its end.
 */
export function decideRepair(
  cluster: Pick<ClusterRecord, 'generation' | 'driftRepairs' | 'driftRepairSuspended'>,
  hash: string,
  now: Date,
  policy: DriftRepairPolicy,
): RepairDecision {
  const at = now.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const marker = cluster.driftRepairSuspended;
  if (marker && marker.generation === cluster.generation && Date.parse(marker.until) > at) {
    return { action: 'suspended' };
  }
  const clearStale = marker !== undefined;
  const s = cluster.driftRepairs;
  const inSeries =
    !clearStale &&
    s !== undefined &&
    s.findingsHash === hash &&
    s.generation === cluster.generation &&
    at - Date.parse(s.firstAt) < policy.windowSeconds * 1000;
  if (!inSeries) {
    const first = iso(at);
    return {
      action: 'repair',
      series: {
        findingsHash: hash,
        generation: cluster.generation,
        repairs: 1,
        firstAt: first,
        lastAt: first,
      },
      clearStale,
    };
  }
  if (s.repairs >= policy.maxRepairs) {
    return { action: 'suspend', series: s, until: iso(at + policy.suspendSeconds * 1000) };
  }
  const next = Date.parse(s.lastAt) + policy.backoffSeconds * 1000 * 2 ** (s.repairs - 1);
  if (at < next) return { action: 'wait', until: iso(next) };
  return { action: 'repair', series: { ...s, repairs: s.repairs + 1, lastAt: iso(at) }, clearStale: false };
}

/**
 * Issue #5 (drift): compares each READY cluster homed in the region with what runs in
 * Kubernetes, repairs what differs through the normal pipeline (or reports it, for a cluster under
 * maintenance), then reports namespaces labelled as Stratus's that no cluster wants (orphans).
 *
 * Kubernetes is read kind by kind, not cluster by cluster (issue #12), and in step with the
 * clusters: the index gives the READY clusters in id order, and each kind the blueprints render is
 * listed across all namespaces, by the managed-by label, in chunks (`limit`/`continue`) that come
 * in namespace order, which is the same (a cluster's namespace is `stratus-<clusterId>`). For each
 * page of clusters, each kind's list is read on up to the page's last namespace, keeping what
 * belongs to the page's clusters; each cluster is then compared with its namespace's share. So
 * memory holds a page of clusters and a chunk per kind, not every object, and a run that stops at
 * its budget keeps each list's `continue` token in its cursor: the next run reads on from there
 * (a list older than LIST_TOKEN_MAX_AGE_MS, or whose token expired, 410, starts again). Secrets
 * are the exception: RBAC lets the reconciler `get` each credential Secret by name, never list
 * them.
 *
 * Work is bounded per run (index pages, time) and resumes from the cursor kept in the table; each
 * run ends its cycle at most once. Kubernetes calls per sweep: kinds x chunks per EKS cluster,
 * plus one `get` per credential Secret of each cluster checked; DynamoDB: one index read per page
 * of clusters, one BatchGetItem per 100 namespaces in the orphan pass.
 */
export async function sweepDrift(deps: DriftSweepDeps): Promise<DriftSweepResult> {
  const { region } = deps;
  const concurrency = deps.concurrency ?? 5;
  const counts: Counts = {
    checked: 0,
    clean: 0,
    repaired: 0,
    reported: 0,
    backingOff: 0,
    suspended: 0,
    alreadyReported: 0,
    skipped: 0,
    orphans: 0,
    orphansDeleted: 0,
    certificatesRecorded: 0,
    certificateRestarts: 0,
    errors: 0,
  };
  let pages = 0;
  const stored = await deps.sweeps.driftCursor(region);
  let cursor: DriftCursor = stored ?? { phase: 'clusters', cycleStartedAt: deps.now().toISOString() };
  const result = (more: boolean, cycleCompleted: boolean): DriftSweepResult => ({
    ...counts,
    pages,
    more,
    cycleCompleted,
  });
  /** Waits for reads begun ahead (the next page's), so that none outlives the run. */
  let drain = async (): Promise<void> => {};
  const stop = async (): Promise<DriftSweepResult> => {
    await drain();
    await deps.sweeps.saveDriftCursor(region, cursor, deps.now().toISOString());
    return result(true, false);
  };

  if (cursor.phase === 'clusters') {
    const { cycleStartedAt } = cursor;
    const lists = new LiveLists(deps, cursor.lists ?? []);
    const at = (startKey: PageKey | undefined, positions: readonly DriftListPosition[]): DriftCursor => ({
      phase: 'clusters',
      cycleStartedAt,
      ...(startKey ? { startKey } : {}),
      ...(positions.length > 0 ? { lists: positions } : {}),
    });
    /** A page of clusters, with the reads of the kinds' lists up to its last namespace begun. */
    const fetchPage = async (startKey: PageKey | undefined) => {
      const page = await deps.sweeps.readyClusters(region, {
        limit: deps.pageSize,
        ...(startKey ? { startKey } : {}),
      });
      return { page, reads: lists.readFor(page.clusters.filter(comparable)) };
    };
    const firstKey = cursor.startKey;
    let ahead: ReturnType<typeof fetchPage> | undefined;
    drain = async () => {
      await ahead?.catch(() => undefined);
      await lists.settled();
    };
    for (;;) {
      if (pages >= deps.maxPages || !deps.hasTime()) return stop();
      const { page, reads } = await (ahead ?? fetchPage(firstKey));
      pages++;
      // The next page and its lists are read while this one is checked.
      ahead = page.next && pages < deps.maxPages ? fetchPage(page.next) : undefined;
      // Not left unhandled if this run stops first; awaited (and thrown) when used.
      ahead?.catch(() => undefined);
      // Where the lists stood before this page (a run stopped mid-page reads on from there: the
      // next clusters' objects may lie in a chunk already passed), and after it (before the next).
      const before = await reads.start;
      const after = async () => (ahead ? (await ahead).reads.start : lists.settled());
      if (page.clusters.length === 0) cursor = at(page.next, await after());
      for (let i = 0; i < page.clusters.length; i += concurrency) {
        const chunk = page.clusters.slice(i, i + concurrency);
        const checks = await Promise.all(chunk.map((c) => checkCluster(deps, c, reads.live)));
        counts.checked += chunk.length;
        for (const { outcome, renewal } of checks) {
          tally(counts, outcome);
          if (renewal === 'recorded') counts.certificatesRecorded++;
          else if (renewal === 'restarted') counts.certificateRestarts++;
          else if (renewal === 'error') counts.errors++;
        }
        const last = chunk[chunk.length - 1] as ClusterRecord;
        const rest = i + concurrency < page.clusters.length;
        // Mid-page, continue after the last cluster checked; at the end of a page, where it ends.
        cursor = rest ? at(clusterIndexKey(region, last), before) : at(page.next, await after());
        if (!deps.hasTime() && (rest || page.next)) return stop();
      }
      if (!page.next) break;
    }
    const first = deps.eksClusters[0];
    if (first === undefined) return finish(deps, cycleStartedAt, result);
    cursor = { phase: 'orphans', eksCluster: first, cycleStartedAt };
  }

  // Orphans: each EKS cluster of the region in turn, from where the last run stopped.
  let index = deps.eksClusters.indexOf(cursor.eksCluster);
  let after = cursor.afterNamespace;
  if (index < 0) {
    index = 0;
    after = undefined;
  }
  for (; index < deps.eksClusters.length; index++) {
    const eksCluster = deps.eksClusters[index] as string;
    if (!deps.hasTime()) {
      cursor = {
        phase: 'orphans',
        eksCluster,
        cycleStartedAt: cursor.cycleStartedAt,
        ...(after ? { afterNamespace: after } : {}),
      };
      return stop();
    }
    const scan = await scanNamespaces(deps, eksCluster, after, counts, concurrency);
    if (scan.stoppedAfter !== undefined) {
      cursor = {
        phase: 'orphans',
        eksCluster,
        afterNamespace: scan.stoppedAfter,
        cycleStartedAt: cursor.cycleStartedAt,
      };
      return stop();
    }
    after = undefined;
  }
  return finish(deps, cursor.cycleStartedAt, result);
}

async function finish(
  deps: DriftSweepDeps,
  cycleStartedAt: string,
  result: (more: boolean, cycleCompleted: boolean) => DriftSweepResult,
): Promise<DriftSweepResult> {
  const now = deps.now().toISOString();
  // The next run starts a new cycle from the first cluster.
  await deps.sweeps.saveDriftCursor(deps.region, { phase: 'clusters', cycleStartedAt: now }, now);
  deps.logger.debug('drift cycle completed', { cycleStartedAt });
  return result(false, true);
}

function tally(counts: Counts, o: ClusterOutcome | NamespaceOutcome): void {
  switch (o) {
    case 'clean':
    case 'repaired':
    case 'reported':
    case 'backingOff':
    case 'suspended':
    case 'alreadyReported':
    case 'skipped':
      counts[o]++;
      return;
    case 'orphan':
      counts.orphans++;
      return;
    case 'orphanDeleted':
      counts.orphans++;
      counts.orphansDeleted++;
      return;
    case 'orphanAlreadyReported':
      counts.orphans++;
      counts.alreadyReported++;
      return;
    case 'error':
      counts.errors++;
      return;
    case 'owned':
      return;
  }
}

// ---- clusters ---------------------------------------------------------------------------------

/** A cluster's check: its drift outcome, and what the renewal step did (renewal.ts). */
interface ClusterCheck {
  readonly outcome: ClusterOutcome;
  readonly renewal?: 'recorded' | 'restarted' | 'error';
}

/** Outcomes after which the cluster stays idle and READY, with nothing queued: its certificate's turn. */
const RENEWAL_AFTER: ReadonlySet<ClusterOutcome> = new Set([
  'clean',
  'backingOff',
  'suspended',
  'alreadyReported',
]);

async function checkCluster(
  deps: DriftSweepDeps,
  listed: ClusterRecord,
  liveOn: (eksCluster: string) => Promise<LiveObjects>,
): Promise<ClusterCheck> {
  const { logger } = deps;
  const keys = { clusterId: listed.clusterId, tenantId: listed.tenantId };
  // Only idle READY clusters: during an operation the objects are meant to differ.
  if (listed.status !== 'READY' || listed.activeOperationId || !listed.placement)
    return { outcome: 'skipped' };
  const blueprint = getBlueprint(listed.engine);
  if (!blueprint) {
    logger.warn('no blueprint for the engine of a cluster; drift not checked', {
      ...keys,
      engine: listed.engine,
    });
    return { outcome: 'skipped' };
  }
  const placement = listed.placement;
  let live: LiveObjects;
  let outcome: ClusterOutcome;
  try {
    live = await liveOn(placement);
    // Lists taken before the cluster last changed may predate what its operation applied.
    if (Date.parse(listed.updatedAt) > live.listedAt) return { outcome: 'skipped' };
    outcome = await checkDrift(deps, blueprint, listed, placement, live);
  } catch (e) {
    if ((e as { unauthorized?: boolean }).unauthorized) deps.invalidateKube(placement);
    logger.error('could not check a cluster for drift', { ...keys, placement, error: e as Error });
    return { outcome: 'error' };
  }
  if (!RENEWAL_AFTER.has(outcome)) return { outcome };
  const renewal = await renewCertificate(deps, blueprint, listed, placement, live);
  return renewal ? { outcome, renewal } : { outcome };
}

/** Compares the cluster with what runs and repairs, reports or leaves what differs. */
async function checkDrift(
  deps: DriftSweepDeps,
  blueprint: Blueprint,
  listed: ClusterRecord,
  placement: string,
  live: LiveObjects,
): Promise<ClusterOutcome> {
  const { logger } = deps;
  const keys = { clusterId: listed.clusterId, tenantId: listed.tenantId };
  const drift = await findDrift(deps, blueprint, listed, placement, live);
  if (drift === 'terminating') {
    logger.warn('the namespace of a READY cluster is being deleted; repair once it is gone', keys);
    return 'skipped';
  }
  if (drift.length === 0) {
    // The drift cleared (fixed by hand, the webhook removed): a suspension ends with it.
    if (listed.driftRepairSuspended) await forgetRepairs(deps, listed);
    return 'clean';
  }
  // The index may lag: act on the item as it is now, and only if it is what was compared.
  const cluster = await deps.store.clusters.get(listed.tenantId, listed.clusterId);
  if (
    cluster?.status !== 'READY' ||
    cluster.activeOperationId ||
    cluster.generation !== listed.generation ||
    cluster.statusVersion !== listed.statusVersion
  ) {
    return 'skipped';
  }
  const findings = drift.map((d) => d.finding);
  const changed = drift.map((d) => ({ ...d.finding, paths: d.paths }));
  if (cluster.maintenance) {
    logger.warn('drift on a cluster under maintenance: reported, not repaired', {
      ...keys,
      drift: changed,
    });
    return (await report(deps, cluster, findings)) ? 'reported' : 'alreadyReported';
  }
  const now = deps.now();
  const hash = findingsHash(findings);
  const decision = decideRepair(cluster, hash, now, { ...DEFAULT_REPAIR_POLICY, ...deps.repairPolicy });
  if (decision.action === 'suspended') return 'alreadyReported';
  if (decision.action === 'wait') {
    logger.info('drift back after a recent repair: waiting before repairing again', {
      ...keys,
      until: decision.until,
      repairs: cluster.driftRepairs?.repairs,
      drift: changed,
    });
    return 'backingOff';
  }
  if (decision.action === 'suspend') {
    return (await suspendRepairs(deps, cluster, decision, findings, changed)) ? 'suspended' : 'skipped';
  }
  if (decision.clearStale && !(await forgetRepairs(deps, cluster))) return 'skipped';
  const operation = planRepair(cluster, now);
  try {
    await deps.sweeps.requestRepair(cluster, operation, decision.series);
  } catch (e) {
    if (e instanceof StaleStateError) return 'skipped'; // a user's operation came first
    throw e;
  }
  logger.warn('drift found: repair queued', {
    ...keys,
    operationId: operation.operationId,
    correlationId: operation.correlationId,
    repairs: decision.series.repairs,
    drift: changed,
  });
  await deps.publish({
    detailType: 'Cluster Drift Detected',
    detail: driftEvent({
      eventId: `${cluster.clusterId}/drift/${operation.operationId}`,
      occurredAt: operation.createdAt,
      tenantId: cluster.tenantId,
      region: cluster.region,
      clusterId: cluster.clusterId,
      correlationId: operation.correlationId,
      findings,
      action: 'repaired',
    }),
  });
  return 'repaired';
}

/**
 * The renewal step (renewal.ts): records the certificate a restart target's pods serve, or rolls
 * them onto a renewed one. Acts only on the cluster as it is now (the index may lag): READY, idle,
 * not under maintenance, and what was compared. Logged, counted, nothing published.
 */
async function renewCertificate(
  deps: DriftSweepDeps,
  blueprint: Blueprint,
  listed: ClusterRecord,
  placement: string,
  live: LiveObjects,
): Promise<ClusterCheck['renewal']> {
  const keys = { clusterId: listed.clusterId, tenantId: listed.tenantId };
  const objects = clusterObjects(live, listed.clusterId);
  const spec = specOf(listed);
  if (decideRenewal(listed, blueprint, spec, objects).action === 'none') return undefined;
  try {
    const cluster = await deps.store.clusters.get(listed.tenantId, listed.clusterId);
    if (
      !cluster ||
      cluster.generation !== listed.generation ||
      cluster.statusVersion !== listed.statusVersion
    ) {
      return undefined;
    }
    const decision = decideRenewal(cluster, blueprint, spec, objects);
    if (decision.action === 'none') return undefined;
    const { target } = decision;
    const kube = await deps.kube(placement);
    const ref = {
      apiVersion: target.apiVersion,
      kind: target.kind,
      metadata: { name: target.name, namespace: namespaceOf(listed.clusterId) },
    };
    const done = await kube.mergePatch(ref, decision.patch, { fieldManager: RENEWAL_FIELD_MANAGER });
    if (done === 'gone') return undefined;
    if (decision.action === 'record') {
      deps.logger.info('certificate recorded on its restart target', {
        ...keys,
        target: `${target.kind}/${target.name}`,
        notBefore: decision.notBefore,
      });
      return 'recorded';
    }
    deps.logger.info('certificate renewed: rolling restart of its pods', {
      ...keys,
      target: `${target.kind}/${target.name}`,
      notBefore: decision.notBefore,
      previous: decision.previous,
    });
    return 'restarted';
  } catch (e) {
    if ((e as { unauthorized?: boolean }).unauthorized) deps.invalidateKube(placement);
    deps.logger.error('could not restart a cluster onto its renewed certificate', {
      ...keys,
      placement,
      error: e as Error,
    });
    return 'error';
  }
}

/**
 * Stops repairing a drift: publishes `Cluster Drift Repair Suspended`, then marks the cluster
 * (a conditional write: READY, idle, as read, managed here). The event goes first, so a failure in
 * between publishes it again at the next run under the same id (the series names it), and
 * subscribers deduplicate. Returns false when the cluster changed meanwhile.
 */
async function suspendRepairs(
  deps: DriftSweepDeps,
  cluster: ClusterRecord,
  decision: Extract<RepairDecision, { action: 'suspend' }>,
  findings: DriftFinding[],
  changed: Array<DriftFinding & { paths: readonly string[] }>,
): Promise<boolean> {
  const since = deps.now().toISOString();
  const { series } = decision;
  const marker: DriftRepairSuspension = {
    findingsHash: series.findingsHash,
    generation: cluster.generation,
    repairs: series.repairs,
    objects: changed.map((c) => ({
      kind: c.kind,
      apiVersion: c.apiVersion,
      name: c.name,
      ...(c.namespace ? { namespace: c.namespace } : {}),
      issue: c.issue,
      paths: c.paths,
    })),
    since,
    until: decision.until,
  };
  await deps.publish({
    detailType: 'Cluster Drift Repair Suspended',
    detail: suspendedEvent({
      eventId: `${cluster.clusterId}/drift-suspended/${series.findingsHash}/${series.firstAt}`,
      occurredAt: since,
      tenantId: cluster.tenantId,
      region: cluster.region,
      clusterId: cluster.clusterId,
      findings,
      repairs: series.repairs,
      suspendedUntil: decision.until,
    }),
  });
  try {
    await deps.store.clusters.suspendDriftRepair(cluster, marker);
  } catch (e) {
    if (e instanceof StaleStateError) return false;
    throw e;
  }
  deps.logger.warn('drift back after every repair: repairs suspended, reported instead', {
    clusterId: cluster.clusterId,
    tenantId: cluster.tenantId,
    repairs: series.repairs,
    until: decision.until,
    drift: changed,
  });
  return true;
}

/** Removes the repair count and suspension from the cluster; false when the item changed meanwhile. */
async function forgetRepairs(deps: DriftSweepDeps, cluster: ClusterRecord): Promise<boolean> {
  try {
    await deps.store.clusters.clearDriftRepair(cluster);
    return true;
  } catch (e) {
    if (e instanceof StaleStateError) return false;
    throw e;
  }
}

/** What runs on one EKS cluster: Stratus's objects, slimmed, by namespace (Namespaces by name). */
interface LiveObjects {
  /** When listing began (epoch ms): a cluster changed after it is compared in a later run. */
  readonly listedAt: number;
  readonly byNamespace: ReadonlyMap<string, readonly KubeObject[]>;
}

let kindsCache: readonly KubeKind[] | undefined;
/**
 * Every kind a blueprint may render but Secrets (never listed), and Namespace; with a gateway, the
 * public endpoint's kinds too (endpoints.ts `endpointKinds`).
 */
export function managedKinds(gateway?: GatewayContext): readonly KubeKind[] {
  if (!kindsCache) {
    const all = new Map<string, KubeKind>([['v1|Namespace', { apiVersion: 'v1', kind: 'Namespace' }]]);
    for (const b of Object.values(blueprints)) {
      for (const k of b.kinds) if (!isSecret(k)) all.set(`${k.apiVersion}|${k.kind}`, k);
    }
    kindsCache = [...all.values()];
  }
  return gateway ? [...kindsCache, ...endpointKinds(gateway)] : kindsCache;
}

/**
 * Every object of `kind` labelled as Stratus's, across namespaces, chunk by chunk. A `continue`
 * token lives about 5 minutes on a real API server: on 410 Expired the list starts again.
 */
async function listAll(
  deps: DriftSweepDeps,
  kube: DriftKube,
  kind: KubeKind,
  eksCluster: string,
  keep: (o: KubeObject) => KubeObject,
): Promise<KubeObject[]> {
  const limit = deps.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
  let items: KubeObject[] = [];
  let token: string | undefined;
  for (let restarts = 0; ; ) {
    try {
      const page = await kube.listPage(kind.apiVersion, kind.kind, {
        labelSelector: MANAGED_SELECTOR,
        limit,
        ...(token ? { continue: token } : {}),
      });
      for (const o of page.items) items.push(keep(o));
      if (!page.continue) return items;
      token = page.continue;
    } catch (e) {
      if ((e as { status?: number }).status !== 410 || token === undefined || restarts >= LIST_RESTARTS)
        throw e;
      restarts++;
      deps.logger.warn('list continue token expired: listing the kind again', {
        eksCluster,
        kind: kind.kind,
        restarts,
      });
      items = [];
      token = undefined;
    }
  }
}

/**
 * What the comparison reads of a live object: no status (but a Namespace's phase), no annotations,
 * no managedFields; and what the renewal step reads (renewal.ts, `renewalFields`): a Certificate's
 * `status.notBefore`, the `stratus.dev/tls-not-before` annotation.
 */
function slim(o: KubeObject): KubeObject {
  const {
    managedFields: _mf,
    annotations: _a,
    ...metadata
  } = o.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
  };
  const { status, ...rest } = o;
  const renewal = renewalFields(o);
  return {
    ...rest,
    metadata: { ...metadata, ...(renewal.annotations ? { annotations: renewal.annotations } : {}) },
    ...(o.kind === 'Namespace' && status !== undefined
      ? { status }
      : renewal.status
        ? { status: renewal.status }
        : {}),
  } as KubeObject;
}

/** A cluster whose objects are compared (the others are skipped without reading Kubernetes). */
const comparable = (c: ClusterRecord): boolean =>
  c.status === 'READY' && !c.activeOperationId && c.placement !== undefined;

/**
 * The kinds' cluster-wide lists of each EKS cluster, read in step with the pages of clusters
 * (sweepDrift). A list that fails (after its restarts) fails every cluster placed on that EKS
 * cluster for the rest of the run: each would otherwise wait for the same timeout.
 */
class LiveLists {
  private readonly lists = new Map<string, KindList[]>();
  private readonly failed = new Map<string, Error>();

  constructor(
    private readonly deps: DriftSweepDeps,
    private readonly saved: readonly DriftListPosition[],
  ) {}

  /** The reads of the pages begun so far, settled or not: a page's reads begin after them. */
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * Reads, for each EKS cluster the page's clusters are placed on, every kind's list up to the
   * page's last namespace, once the reads for the pages before it are done: what each cluster is
   * compared with, by EKS cluster, and where the lists stood when this page's reads began.
   */
  readFor(clusters: readonly ClusterRecord[]): {
    readonly live: (eksCluster: string) => Promise<LiveObjects>;
    readonly start: Promise<DriftListPosition[]>;
  } {
    const byPlacement = new Map<string, string[]>();
    for (const c of clusters) {
      const namespaces = byPlacement.get(c.placement as string);
      if (namespaces) namespaces.push(namespaceOf(c.clusterId));
      else byPlacement.set(c.placement as string, [namespaceOf(c.clusterId)]);
    }
    const start = this.chain.then(() => this.positions());
    const reads = start.then(() => {
      const byEks = new Map<string, Promise<LiveObjects>>();
      for (const [eksCluster, namespaces] of byPlacement) {
        const read = this.read(eksCluster, namespaces);
        // Failures are seen by each cluster placed there (counted as errors), not left unhandled.
        read.catch(() => undefined);
        byEks.set(eksCluster, read);
      }
      return byEks;
    });
    this.chain = reads.then((byEks) => Promise.allSettled(byEks.values()));
    const none: LiveObjects = { listedAt: 0, byNamespace: new Map() };
    return { live: async (eksCluster) => (await reads).get(eksCluster) ?? none, start };
  }

  /** Where every list stands once the reads begun are done. */
  settled(): Promise<DriftListPosition[]> {
    return this.chain.then(() => this.positions());
  }

  /** Where every list stands, for the cursor (lists of a failed EKS cluster start again). */
  positions(): DriftListPosition[] {
    return [...this.lists]
      .filter(([eksCluster]) => !this.failed.has(eksCluster))
      .flatMap(([, kinds]) => kinds.flatMap((k) => k.position() ?? []));
  }

  private async read(eksCluster: string, namespaces: readonly string[]): Promise<LiveObjects> {
    const failure = this.failed.get(eksCluster);
    if (failure) throw failure;
    try {
      const kube = await this.deps.kube(eksCluster);
      let kinds = this.lists.get(eksCluster);
      if (!kinds) {
        kinds = managedKinds(this.deps.gateway?.(eksCluster)).map(
          (kind) =>
            new KindList(
              this.deps,
              kube,
              eksCluster,
              kind,
              this.saved.find(
                (p) =>
                  p.eksCluster === eksCluster && p.apiVersion === kind.apiVersion && p.kind === kind.kind,
              ),
            ),
        );
        this.lists.set(eksCluster, kinds);
      }
      // Kinds are read side by side (each chunk after the previous one of its kind): the wait is
      // the longest kind's, not the sum.
      const shares = await Promise.all(kinds.map((k) => k.readUpTo(namespaces)));
      const byNamespace = new Map<string, KubeObject[]>();
      let listedAt = Number.POSITIVE_INFINITY;
      for (const share of shares) {
        listedAt = Math.min(listedAt, share.listedAt);
        for (const [namespace, objects] of share.byNamespace) {
          const group = byNamespace.get(namespace);
          if (group) group.push(...objects);
          else byNamespace.set(namespace, [...objects]);
        }
      }
      return { listedAt, byNamespace };
    } catch (e) {
      this.failed.set(eksCluster, e as Error);
      this.deps.logger.error('could not list Stratus objects for drift', { eksCluster, error: e as Error });
      throw e;
    }
  }
}

/**
 * One kind's list of one EKS cluster, across namespaces, by the managed-by label, read chunk by
 * chunk as far as the clusters checked need. Items come in key order (namespace, then name): the
 * order of `orderKey`, which namespaces of clusters later in the index never precede.
 */
class KindList {
  /** The chunk being read (slimmed), and how far into it. */
  private chunk: KubeObject[] = [];
  private next = 0;
  /** The token that read `chunk` (undefined: the first chunk), and that of the chunk after it. */
  private chunkToken: string | undefined;
  private nextToken: string | undefined;
  /** No chunk after `chunk`. */
  private last = false;
  /** When the list began (epoch ms); undefined: not begun. */
  private startedAt: number | undefined;
  /** The key of the last item read: a namespace at or before it was passed. */
  private consumed: string | undefined;
  /** The key of the last item read since the list (re)began: keys never go back in a list. */
  private lastKey: string | undefined;
  /** After a restart, the items up to here were read already. */
  private skipUpTo: string | undefined;
  private restarts = 0;
  /** A resumed list: its first read fetches the saved chunk again. */
  private resume: DriftListPosition | undefined;
  private readonly namespaced: boolean;

  constructor(
    private readonly deps: DriftSweepDeps,
    private readonly kube: DriftKube,
    private readonly eksCluster: string,
    private readonly kind: KubeKind,
    saved: DriftListPosition | undefined,
  ) {
    this.namespaced = !(kind.apiVersion === 'v1' && kind.kind === 'Namespace');
    if (saved && deps.now().getTime() - Date.parse(saved.startedAt) <= LIST_TOKEN_MAX_AGE_MS) {
      this.resume = saved;
    } else if (saved) {
      deps.logger.debug('list position too old to continue: listing the kind again', {
        eksCluster,
        kind: kind.kind,
        startedAt: saved.startedAt,
      });
    }
  }

  /** Where the list stands, for the cursor; undefined when it has not begun. */
  position(): DriftListPosition | undefined {
    if (this.resume) return this.resume;
    if (this.startedAt === undefined) return undefined;
    const done = this.last && this.next >= this.chunk.length;
    return {
      eksCluster: this.eksCluster,
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
      startedAt: new Date(this.startedAt).toISOString(),
      ...(done ? { done: true } : this.chunkToken ? { continue: this.chunkToken } : {}),
    };
  }

  /** A namespace's place in the list's order (a Namespace's is its name). */
  private orderOf(namespace: string): string {
    return this.namespaced ? `${namespace}/` : namespace;
  }

  private keyOf(o: KubeObject): string {
    return this.namespaced ? `${o.metadata.namespace ?? ''}/` : o.metadata.name;
  }

  /**
   * Reads on up to the last of `namespaces` and returns their objects. A namespace the list
   * already passed (index and list orders disagree, which ids of one length rule out) is listed on
   * its own instead.
   */
  async readUpTo(
    namespaces: readonly string[],
  ): Promise<{ listedAt: number; byNamespace: Map<string, KubeObject[]> }> {
    const byNamespace = new Map<string, KubeObject[]>();
    const passed = namespaces.filter((n) => this.consumed !== undefined && this.orderOf(n) <= this.consumed);
    const ahead = new Set(namespaces.filter((n) => !passed.includes(n)));
    let upTo: string | undefined;
    for (const n of ahead) if (upTo === undefined || this.orderOf(n) > upTo) upTo = this.orderOf(n);
    let listedAt = this.startedAt ?? this.deps.now().getTime();
    while (upTo !== undefined) {
      if (this.resume === undefined && this.next < this.chunk.length) {
        const o = this.chunk[this.next] as KubeObject;
        const key = this.keyOf(o);
        if (key > upTo) break;
        if (this.lastKey !== undefined && key < this.lastKey) {
          // Paging resumes after the last key served, so lists come in key order; one that does
          // not would make its objects look missing: nothing is compared with it.
          throw new Error(
            `the ${this.kind.kind} list of ${this.eksCluster} is not in key order (${key} after ${this.lastKey}): drift not checked`,
          );
        }
        this.lastKey = key;
        this.next++;
        this.consumed = key;
        if (this.skipUpTo !== undefined && key <= this.skipUpTo) continue;
        const namespace = this.namespaced ? o.metadata.namespace : o.metadata.name;
        if (namespace === undefined || !ahead.has(namespace)) continue;
        const group = byNamespace.get(namespace);
        if (group) group.push(o);
        else byNamespace.set(namespace, [o]);
        continue;
      }
      if (this.resume === undefined && this.last) break;
      await this.fetch();
      if (this.startedAt !== undefined) listedAt = Math.min(listedAt, this.startedAt);
    }
    for (const namespace of passed) {
      this.deps.logger.warn('namespace out of list order: listed on its own', {
        eksCluster: this.eksCluster,
        kind: this.kind.kind,
        namespace,
      });
      byNamespace.set(namespace, await this.listNamespace(namespace));
    }
    return { listedAt, byNamespace };
  }

  /** Reads the next chunk (the saved one, when resuming); a list too old or expired starts again. */
  private async fetch(): Promise<void> {
    const now = this.deps.now().getTime();
    let token: string | undefined;
    if (this.resume) {
      const saved = this.resume;
      this.resume = undefined;
      this.startedAt = Date.parse(saved.startedAt);
      if (saved.done) {
        this.chunk = [];
        this.next = 0;
        this.last = true;
        return;
      }
      token = saved.continue;
    } else if (this.startedAt === undefined) {
      token = undefined;
    } else if (now - this.startedAt > LIST_TOKEN_MAX_AGE_MS) {
      this.restart('list too old to continue');
      token = undefined;
    } else {
      token = this.nextToken;
    }
    if (token === undefined) this.startedAt = now;
    try {
      const page = await this.kube.listPage(this.kind.apiVersion, this.kind.kind, {
        labelSelector: MANAGED_SELECTOR,
        limit: this.deps.listPageSize ?? DEFAULT_LIST_PAGE_SIZE,
        ...(token ? { continue: token } : {}),
      });
      this.chunk = page.items.map(slim);
      this.next = 0;
      this.chunkToken = token;
      this.nextToken = page.continue;
      this.last = !page.continue;
    } catch (e) {
      if ((e as { status?: number }).status !== 410 || token === undefined || this.restarts >= LIST_RESTARTS)
        throw e;
      this.restarts++;
      this.restart('list continue token expired (410)');
      this.startedAt = undefined;
    }
  }

  /** Lists again from the first chunk, skipping what was read already. */
  private restart(why: string): void {
    this.deps.logger.warn(`${why}: listing the kind again`, {
      eksCluster: this.eksCluster,
      kind: this.kind.kind,
      restarts: this.restarts,
    });
    this.skipUpTo = this.consumed;
    this.lastKey = undefined;
    this.chunk = [];
    this.next = 0;
    this.chunkToken = undefined;
    this.nextToken = undefined;
    this.last = false;
  }

  private async listNamespace(namespace: string): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.kube.listPage(this.kind.apiVersion, this.kind.kind, {
        labelSelector: MANAGED_SELECTOR,
        limit: this.deps.listPageSize ?? DEFAULT_LIST_PAGE_SIZE,
        ...(this.namespaced ? { namespace } : {}),
        ...(token ? { continue: token } : {}),
      });
      for (const o of page.items) {
        if ((this.namespaced ? o.metadata.namespace : o.metadata.name) === namespace) items.push(slim(o));
      }
      token = page.continue;
    } while (token);
    return items;
  }
}

/**
 * Renders what Stratus wants and takes what runs from the cluster-wide lists (`live`): the
 * objects of the cluster's namespace that carry its labels, as a list by the cluster's labels
 * would return them. Secrets are the exception: the reconciler may not list them (it would read
 * every value); it `get`s each rendered one by name, which the namespace's `stratus-secret-reader`
 * RoleBinding allows (docs/eks.md, section 7).
 */
async function findDrift(
  deps: DriftSweepDeps,
  blueprint: Blueprint,
  cluster: ClusterRecord,
  placement: string,
  listed: LiveObjects,
): Promise<ObjectDrift[] | 'terminating'> {
  const secrets = Object.fromEntries(blueprint.secretNames.map((n) => [n, SECRET_PLACEHOLDER]));
  const kubeApiCidrs = deps.kubeApiCidrs?.(placement);
  const gateway = deps.gateway?.(placement);
  const desired = blueprint.render(specOf(cluster), {
    secrets,
    operationId: RECONCILER_PRINCIPAL,
    correlationId: RECONCILER_PRINCIPAL,
    ...(kubeApiCidrs ? { kubeApiCidrs } : {}),
    ...(gateway ? { gateway } : {}),
  });
  const namespace = namespaceOf(cluster.clusterId);
  const live = clusterObjects(listed, cluster.clusterId);
  const ns = live.find((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
  if (ns && isTerminating(ns)) return 'terminating';
  const unreadable: KubeObject[] = [];
  if (ns) {
    const secretRefs = desired.filter((o) => o.metadata.namespace === namespace && isSecret(o));
    const kube = await deps.kube(placement);
    const secretsLive = await Promise.all(secretRefs.map((ref) => readSecret(kube, ref, cluster.clusterId)));
    secretsLive.forEach((s, i) => {
      if (s === 'forbidden') unreadable.push(secretRefs[i] as KubeObject);
      else if (s) live.push(s);
    });
  }
  // The Kubernetes client sends rendered objects as they are and reads them back under their real
  // field names, so both sides compare directly.
  const drift = compareObjects(
    unreadable.length === 0 ? desired : desired.filter((o) => !unreadable.includes(o)),
    live,
  );
  if (unreadable.length > 0 && drift.length === 0) {
    // Nothing to repair would give the reconciler access: the platform's RBAC lacks it.
    throw new Error(
      `Forbidden to read Secret ${unreadable.map((o) => o.metadata.name).join(', ')} in ${namespace}: is the stratus-reconciler group bound (docs/eks.md, section 7)?`,
    );
  }
  // A Secret that cannot be read is not reported missing; with other drift (typically the
  // stratus-secret-reader RoleBinding of a namespace applied before it named the reconciler) the
  // repair re-applies everything, after which it can be read.
  return drift;
}

/**
 * The objects of the cluster's namespace that carry its labels, as a list by the cluster's labels
 * would return them.
 */
function clusterObjects(listed: LiveObjects, clusterId: string): KubeObject[] {
  return (listed.byNamespace.get(namespaceOf(clusterId)) ?? []).filter(
    (o) => o.metadata.labels?.[LABELS.cluster] === clusterId,
  );
}

const isSecret = (o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean =>
  o.apiVersion === 'v1' && o.kind === 'Secret';

/**
 * The live Secret without its values (only its existence is compared), undefined when it does not
 * exist or lost the cluster's labels (as a `list` by label would not find it), `forbidden` when
 * RBAC does not let the reconciler read it.
 */
async function readSecret(
  kube: DriftKube,
  ref: KubeObject,
  clusterId: string,
): Promise<KubeObject | undefined | 'forbidden'> {
  try {
    const live = await kube.get({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.metadata.name, namespace: ref.metadata.namespace as string },
    });
    const labels = live?.metadata.labels ?? {};
    if (!live || labels[LABELS.managedBy] !== MANAGED_BY || labels[LABELS.cluster] !== clusterId)
      return undefined;
    const { data: _data, stringData: _stringData, ...rest } = live;
    return rest as KubeObject;
  } catch (e) {
    if ((e as { status?: number }).status === 403) return 'forbidden';
    throw e;
  }
}

const isTerminating = (o: KubeObject): boolean =>
  o.metadata.deletionTimestamp !== undefined ||
  (o.status as { phase?: string } | undefined)?.phase === 'Terminating';

/**
 * Publishes a `reported` drift unless the same findings were reported within the quiet period;
 * returns whether it published. The event goes first and the memo after, so a failure in between
 * reports again (at least once); the event id (findings digest + UTC day) lets subscribers
 * deduplicate that.
 */
async function report(
  deps: DriftSweepDeps,
  owner: { tenantId: string; clusterId: string },
  findings: DriftFinding[],
): Promise<boolean> {
  const now = deps.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const hash = findingsHash(findings);
  const last = await deps.sweeps.driftReport(deps.region, owner.clusterId);
  if (last && last.findingsHash === hash && last.ttl > nowSeconds) return false;
  const occurredAt = now.toISOString();
  await deps.publish({
    detailType: 'Cluster Drift Detected',
    detail: driftEvent({
      eventId: `${owner.clusterId}/drift/${hash}/${occurredAt.slice(0, 10)}`,
      occurredAt,
      tenantId: owner.tenantId,
      region: deps.region,
      clusterId: owner.clusterId,
      findings,
      action: 'reported',
    }),
  });
  await deps.sweeps.saveDriftReport(deps.region, owner.clusterId, {
    findingsHash: hash,
    reportedAt: occurredAt,
    ttl: nowSeconds + (deps.reportQuietSeconds ?? DEFAULT_REPORT_QUIET_SECONDS),
  });
  return true;
}

// ---- orphans ----------------------------------------------------------------------------------

/**
 * Lists the namespaces labelled `app.kubernetes.io/managed-by=stratus` of one EKS cluster and
 * checks those after `after` (by name), within the time budget: one chunked list per EKS cluster
 * per run (namespaces only: one small object per database cluster); their clusters are read from
 * the table 100 at a time (BatchGetItem), and the checkpoint by name bounds the reads per run.
 */
async function scanNamespaces(
  deps: DriftSweepDeps,
  eksCluster: string,
  after: string | undefined,
  counts: Counts,
  concurrency: number,
): Promise<{ stoppedAfter?: string }> {
  let namespaces: KubeObject[];
  try {
    const kube = await deps.kube(eksCluster);
    namespaces = await listAll(deps, kube, { apiVersion: 'v1', kind: 'Namespace' }, eksCluster, slim);
  } catch (e) {
    if ((e as { unauthorized?: boolean }).unauthorized) deps.invalidateKube(eksCluster);
    deps.logger.error('could not list Stratus namespaces for orphans', { eksCluster, error: e as Error });
    counts.errors++;
    return {};
  }
  // Names sort as the list returns them; sorted again, as the checkpoint compares names.
  const todo = namespaces
    .filter((n) => after === undefined || n.metadata.name > after)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const read = (batch: readonly KubeObject[]) => {
    const owners = deps.sweeps.clustersByKey(batch.flatMap((ns) => ownerOf(ns) ?? []));
    owners.catch(() => undefined); // awaited below; not left unhandled if the run stops first
    return owners;
  };
  if (todo.length === 0) return {};
  let next = read(todo.slice(0, ORPHAN_BATCH));
  for (let i = 0; i < todo.length; i += ORPHAN_BATCH) {
    const batch = todo.slice(i, i + ORPHAN_BATCH);
    const reading = next;
    // The next batch's clusters are read while this one is checked.
    if (i + ORPHAN_BATCH < todo.length) next = read(todo.slice(i + ORPHAN_BATCH, i + 2 * ORPHAN_BATCH));
    let owners: ReadonlyMap<string, ClusterRecord>;
    try {
      owners = await reading;
    } catch (e) {
      deps.logger.error('could not read the clusters of namespaces for orphans', {
        eksCluster,
        error: e as Error,
      });
      counts.errors += batch.length;
      continue;
    }
    for (let j = 0; j < batch.length; j += concurrency) {
      const chunk = batch.slice(j, j + concurrency);
      const outcomes = await Promise.all(chunk.map((ns) => checkNamespace(deps, eksCluster, ns, owners)));
      for (const o of outcomes) tally(counts, o);
      if (i + j + concurrency < todo.length && !deps.hasTime()) {
        await next.catch(() => undefined); // no read outlives the run
        return { stoppedAfter: (chunk[chunk.length - 1] as KubeObject).metadata.name };
      }
    }
  }
  return {};
}

/** The cluster a namespace's labels name; undefined when they name none. */
function ownerOf(ns: KubeObject): { tenantId: string; clusterId: string } | undefined {
  const labels = ns.metadata.labels ?? {};
  const clusterId = labels[LABELS.cluster];
  const tenantId = labels[LABELS.tenant];
  return clusterId && tenantId ? { tenantId, clusterId } : undefined;
}

async function checkNamespace(
  deps: DriftSweepDeps,
  eksCluster: string,
  ns: KubeObject,
  owners: ReadonlyMap<string, ClusterRecord>,
): Promise<NamespaceOutcome> {
  const { logger } = deps;
  const name = ns.metadata.name;
  if (isTerminating(ns)) return 'skipped';
  const labels = ns.metadata.labels ?? {};
  const clusterId = labels[LABELS.cluster];
  const tenantId = labels[LABELS.tenant];
  try {
    if (clusterId && tenantId) {
      const cluster = owners.get(`${tenantId}/${clusterId}`);
      // A cluster being created has its item before its namespace; a deleted one keeps its item
      // (DELETED) until its namespace is gone, then for its retention.
      const wanted =
        cluster !== undefined &&
        cluster.status !== 'DELETED' &&
        (cluster.placement === undefined || cluster.placement === eksCluster);
      if (wanted) return 'owned';
    }
    const findings: DriftFinding[] = [{ kind: 'Namespace', apiVersion: 'v1', name, issue: 'orphan' }];
    const owner = { tenantId: tenantId ?? 'unknown', clusterId: clusterId ?? name };
    // Only a namespace Stratus itself would have made for that cluster is ever deleted.
    const deletable = deps.deleteOrphans && clusterId && tenantId && name === namespaceOf(clusterId);
    if (deletable) {
      const kube = await deps.kube(eksCluster);
      await kube.deleteNamespace(name);
      logger.warn('orphan namespace deleted', { eksCluster, namespace: name, ...owner });
      const occurredAt = deps.now().toISOString();
      await deps.publish({
        detailType: 'Cluster Drift Detected',
        detail: driftEvent({
          eventId: `${owner.clusterId}/drift/${findingsHash(findings)}/deleted`,
          occurredAt,
          tenantId: owner.tenantId,
          region: deps.region,
          clusterId: owner.clusterId,
          findings,
          action: 'repaired',
        }),
      });
      return 'orphanDeleted';
    }
    logger.warn('orphan namespace: labelled as Stratus-managed, no cluster wants it', {
      eksCluster,
      namespace: name,
      ...owner,
    });
    return (await report(deps, owner, findings)) ? 'orphan' : 'orphanAlreadyReported';
  } catch (e) {
    if ((e as { unauthorized?: boolean }).unauthorized) deps.invalidateKube(eksCluster);
    logger.error('could not check a namespace for orphans', {
      eksCluster,
      namespace: name,
      error: e as Error,
    });
    return 'error';
  }
}
