import { describe, expect, it, vi } from 'vitest';
import { compareObjects, quantity } from '../../../functions/reconciler/compare.js';
import {
  type DriftKube,
  type DriftSweepDeps,
  LIST_TOKEN_MAX_AGE_MS,
  managedKinds,
  sweepDrift,
} from '../../../functions/reconciler/drift.js';
import type {
  ClusterRecord,
  DriftRepairSuspension,
  OperationRecord,
} from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { specOf } from '../../../functions/shared/domain/spec.js';
import { getBlueprint } from '../../../functions/shared/engines/registry.js';
import { LABELS, namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type {
  ClusterDriftDetected,
  ClusterDriftRepairSuspended,
} from '../../../functions/shared/events/catalog.js';
import { EVENT_CATALOG } from '../../../functions/shared/events/catalog.js';
import { createLogger } from '../../../functions/shared/logger.js';
import { StaleStateError } from '../../../functions/shared/store/store.js';
import {
  clusterIndexKey,
  type DriftCursor,
  type DriftReport,
  type PageKey,
} from '../../../functions/shared/store/sweeps.js';

// biome-ignore lint/suspicious/noExplicitAny: live objects are read freely in assertions
type Any = any;

const NOW = new Date('2026-11-22T10:00:00.000Z');
const REGION = 'eu-west-1';
const EKS = 'stratus-euw1-a';

const cluster = (n: number, over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: `cl-01jd8w00000000000000000${String(n).padStart(3, '0')}`,
  name: `c${n}`,
  engine: 'valkey',
  version: '8.1.1',
  region: REGION,
  homeRegion: REGION,
  nodes: 3,
  sizeName: 'small',
  size: SIZES.small,
  settings: { maxmemoryPolicy: 'noeviction', maxmemoryPercent: 75, appendOnly: true },
  deletionProtection: false,
  status: 'READY',
  generation: 2,
  observedGeneration: 2,
  statusVersion: 5,
  placement: EKS,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

/** What the API server returns for what Stratus applied: server fields, status, normalised values. */
function asLive(objects: KubeObject[]): KubeObject[] {
  return objects.map((o, i) => {
    const live = structuredClone(o) as KubeObject;
    live.metadata = { ...live.metadata, uid: `uid-${i}`, resourceVersion: String(i + 1), generation: 1 };
    if (live.kind === 'Secret') {
      live.data = Object.fromEntries(
        Object.entries((live.stringData ?? {}) as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v).toString('base64'),
        ]),
      );
      delete live.stringData;
    }
    if (live.kind === 'StatefulSet') live.status = { readyReplicas: 3, observedGeneration: 1 };
    if (live.kind === 'Namespace') live.status = { phase: 'Active' };
    return live;
  });
}

/** The live objects of a cluster as the provisioner left them (with its real generated secrets). */
function liveObjectsOf(c: ClusterRecord): KubeObject[] {
  const blueprint = getBlueprint(c.engine);
  if (!blueprint) throw new Error('no blueprint');
  const secrets = Object.fromEntries(blueprint.secretNames.map((n) => [n, `real-${n}`]));
  return asLive(blueprint.render(specOf(c), { secrets, operationId: 'op-x', correlationId: 'corr-x' }));
}

const matches = (o: KubeObject, selector?: string): boolean =>
  (selector ?? '')
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [k, v] = term.split('=');
      return o.metadata.labels?.[k as string] === v;
    });

/** A Kubernetes stand-in in memory: list by kind, namespace and label selector; namespace deletion. */
class FakeKube implements DriftKube {
  objects: KubeObject[] = [];
  lists: string[] = [];
  gets: string[] = [];
  deleted: string[] = [];
  failFor?: string;
  /** Kinds whose reads are forbidden (RBAC), as the API server answers: 403. */
  forbidden = new Set<string>();

  async get(ref: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  }): Promise<KubeObject | undefined> {
    this.gets.push(`${ref.kind} ${ref.metadata.namespace}/${ref.metadata.name}`);
    if (this.failFor && ref.metadata.namespace?.includes(this.failFor)) {
      throw Object.assign(new Error('connect ECONNREFUSED'), { retryable: true });
    }
    if (this.forbidden.has(ref.kind)) {
      throw Object.assign(new Error(`get ${ref.kind} ${ref.metadata.name}: Forbidden`), {
        status: 403,
        retryable: false,
      });
    }
    const found = this.objects.find(
      (o) =>
        o.apiVersion === ref.apiVersion &&
        o.kind === ref.kind &&
        o.metadata.namespace === ref.metadata.namespace &&
        o.metadata.name === ref.metadata.name,
    );
    return found ? structuredClone(found) : undefined;
  }

  async list(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<KubeObject[]> {
    this.lists.push(`${kind}${opts.namespace ? ` ${opts.namespace}` : ''}`);
    if (this.failFor && opts.labelSelector?.includes(this.failFor)) {
      throw Object.assign(new Error('connect ECONNREFUSED'), { retryable: true });
    }
    if (this.forbidden.has(kind)) {
      throw Object.assign(new Error(`list ${kind}: Forbidden`), { status: 403, retryable: false });
    }
    return structuredClone(
      this.objects.filter(
        (o) =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          (opts.namespace === undefined || o.metadata.namespace === opts.namespace) &&
          matches(o, opts.labelSelector),
      ),
    );
  }

  /** The token of each list call, by kind (absent: the list's first chunk). */
  tokens: Array<{ kind: string; continue?: string }> = [];
  /** Tokens the API server no longer honours (as after 5 minutes): 410 Expired. */
  expired = new Set<string>();
  issued: string[] = [];

  /** Chunks of a cluster-wide list, in namespace/name order; the token is the offset. */
  async listPage(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; limit: number; continue?: string },
  ): Promise<{ items: KubeObject[]; continue?: string }> {
    this.lists.push(
      `${kind}${opts.namespace ? ` ${opts.namespace}` : ''}${opts.continue ? ' (continued)' : ''}`,
    );
    this.tokens.push({ kind, ...(opts.continue ? { continue: opts.continue } : {}) });
    if (opts.continue && this.expired.has(opts.continue)) {
      throw Object.assign(new Error('list: Expired'), { status: 410, reason: 'Expired', retryable: false });
    }
    if (this.forbidden.has(kind)) {
      throw Object.assign(new Error(`list ${kind}: Forbidden`), { status: 403, retryable: false });
    }
    const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const all = this.objects
      .filter(
        (o) =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          (opts.namespace === undefined || o.metadata.namespace === opts.namespace) &&
          matches(o, opts.labelSelector),
      )
      .sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const from = opts.continue ? Number(opts.continue.split(':')[1]) : 0;
    const items = structuredClone(all.slice(from, from + opts.limit));
    const more = from + opts.limit < all.length;
    const token = `${kind}:${from + opts.limit}:${this.issued.length}`;
    if (more) this.issued.push(token);
    return { items, ...(more ? { continue: token } : {}) };
  }

  async deleteNamespace(name: string): Promise<'deleted' | 'gone'> {
    this.deleted.push(name);
    return 'deleted';
  }

  /** Merge patches sent (RFC 7386), with their field manager. */
  patches: Array<{ target: string; patch: Record<string, unknown>; fieldManager: string }> = [];

  async mergePatch(
    ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
    patch: Record<string, unknown>,
    opts: { fieldManager: string },
  ): Promise<'patched' | 'gone'> {
    if (this.forbidden.has(`patch ${ref.kind}`)) {
      throw Object.assign(new Error(`patch ${ref.kind}: Forbidden`), { status: 403, retryable: false });
    }
    const found = this.objects.find(
      (o) =>
        o.apiVersion === ref.apiVersion &&
        o.kind === ref.kind &&
        o.metadata.namespace === ref.metadata.namespace &&
        o.metadata.name === ref.metadata.name,
    );
    if (!found) return 'gone';
    this.patches.push({
      target: `${ref.kind} ${ref.metadata.namespace}/${ref.metadata.name}`,
      patch,
      fieldManager: opts.fieldManager,
    });
    const merge = (target: Record<string, unknown>, p: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(p)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          const inner = target[k];
          target[k] =
            inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : ({} as object);
          merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
        } else if (v === null) delete target[k];
        else target[k] = v;
      }
    };
    merge(found as Record<string, unknown>, patch);
    return 'patched';
  }

  remove(kind: string, name: string): void {
    this.objects = this.objects.filter((o) => !(o.kind === kind && o.metadata.name === name));
  }

  find(kind: string, name: string): KubeObject {
    const o = this.objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name}`);
    return o;
  }
}

/** The pipeline finished every queued repair: the clusters are READY and idle again. */
function finishRepairs(table: FakeTable): void {
  table.clusters = table.clusters.map(({ activeOperationId: _op, ...c }) =>
    c.status === 'UPDATING' ? { ...c, status: 'READY', statusVersion: c.statusVersion + 1 } : c,
  );
}

/** The table as the drift sweep sees it: the region's clusters by id, its cursor and its reports. */
class FakeTable {
  clusters: ClusterRecord[] = [];
  cursor?: DriftCursor;
  reports = new Map<string, DriftReport>();
  repairs: Array<{ cluster: ClusterRecord; operation: OperationRecord }> = [];
  queries: Array<PageKey | undefined> = [];
  /** Keys per BatchGetItem of the orphan pass. */
  batchGets: number[] = [];
  /** Overrides what a consistent read returns (a change the index has not seen yet). */
  current = new Map<string, ClusterRecord | undefined>();
  repairFails?: Error;

  /** Suspension markers written (`suspendDriftRepair`) and clears (`clearDriftRepair`), by cluster id. */
  suspensions: Array<{ clusterId: string; marker: DriftRepairSuspension }> = [];
  clears: string[] = [];

  /** Replaces the stored cluster `clusterId` (a write the table took). */
  private write(clusterId: string, change: (c: ClusterRecord) => ClusterRecord): void {
    this.clusters = this.clusters.map((c) => (c.clusterId === clusterId ? change(c) : c));
  }

  readonly store: DriftSweepDeps['store'] = {
    clusters: {
      get: async (tenantId: string, clusterId: string) => {
        if (this.current.has(clusterId)) return this.current.get(clusterId);
        return this.clusters.find((c) => c.tenantId === tenantId && c.clusterId === clusterId);
      },
      suspendDriftRepair: async (c, marker) => {
        this.suspensions.push({ clusterId: c.clusterId, marker });
        this.write(c.clusterId, (x) => ({ ...x, driftRepairSuspended: marker }));
      },
      clearDriftRepair: async (c) => {
        this.clears.push(c.clusterId);
        this.write(c.clusterId, ({ driftRepairSuspended: _m, driftRepairs: _s, ...x }) => x);
      },
    },
  };

  readonly sweeps: DriftSweepDeps['sweeps'] = {
    readyClusters: async (region, opts) => {
      this.queries.push(opts.startKey);
      const after = opts.startKey ? String(opts.startKey.gsi1sk) : '';
      const ordered = this.clusters
        .filter((c) => c.region === region)
        .sort((a, b) => a.clusterId.localeCompare(b.clusterId))
        .filter((c) => `CLUSTER#${c.clusterId}` > after);
      const page = ordered.slice(0, opts.limit);
      const last = page[page.length - 1];
      return {
        clusters: page.filter((c) => c.status === 'READY'),
        ...(last && ordered.length > opts.limit ? { next: clusterIndexKey(region, last) } : {}),
      };
    },
    clustersByKey: async (refs) => {
      this.batchGets.push(refs.length);
      if (refs.length > 100) throw new Error('BatchGetItem takes at most 100 keys');
      const found = new Map<string, ClusterRecord>();
      for (const { tenantId, clusterId } of refs) {
        const c = this.current.has(clusterId)
          ? this.current.get(clusterId)
          : this.clusters.find((x) => x.tenantId === tenantId && x.clusterId === clusterId);
        if (c) found.set(`${tenantId}/${clusterId}`, c);
      }
      return found;
    },
    driftCursor: async () => this.cursor,
    saveDriftCursor: async (_region, cursor) => {
      this.cursor = cursor;
    },
    driftReport: async (_region, clusterId) => this.reports.get(clusterId),
    saveDriftReport: async (_region, clusterId, report) => {
      this.reports.set(clusterId, report);
    },
    requestRepair: async (c, operation, series) => {
      if (this.repairFails) throw this.repairFails;
      this.repairs.push({ cluster: c, operation });
      // The repair holds the cluster; `finishRepairs` plays the pipeline bringing it back to READY.
      this.write(c.clusterId, (x) => ({
        ...x,
        status: 'UPDATING',
        activeOperationId: operation.operationId,
        statusVersion: x.statusVersion + 1,
        ...(series ? { driftRepairs: series } : {}),
      }));
    },
  };
}

function setup(over: Partial<DriftSweepDeps> = {}) {
  const kube = new FakeKube();
  const table = new FakeTable();
  const events: ClusterDriftDetected[] = [];
  const suspended: ClusterDriftRepairSuspended[] = [];
  const invalidated: string[] = [];
  const deps = (more: Partial<DriftSweepDeps> = {}): DriftSweepDeps => ({
    store: table.store,
    sweeps: table.sweeps,
    kube: async () => kube,
    invalidateKube: (name) => invalidated.push(name),
    publish: async (event) => {
      // What the bus gets must be valid against the published catalog.
      if (event.detailType === 'Cluster Drift Detected') {
        events.push(EVENT_CATALOG[event.detailType].schema.parse(event.detail));
      } else if (event.detailType === 'Cluster Drift Repair Suspended') {
        suspended.push(EVENT_CATALOG[event.detailType].schema.parse(event.detail));
      }
    },
    region: REGION,
    eksClusters: [EKS],
    deleteOrphans: false,
    now: () => NOW,
    logger: createLogger('test'),
    pageSize: 10,
    maxPages: 10,
    hasTime: () => true,
    ...over,
    ...more,
  });
  /** A READY cluster whose objects run as the provisioner applied them. */
  const add = (c: ClusterRecord): ClusterRecord => {
    table.clusters.push(c);
    kube.objects.push(...liveObjectsOf(c));
    return c;
  };
  return { kube, table, events, suspended, invalidated, deps, add };
}

describe('Function: reconciler (drift)', () => {
  describe('Method: compareObjects', () => {
    const c = cluster(1);
    const blueprint = getBlueprint('valkey');
    const desired = () =>
      blueprint?.render(specOf(c), {
        secrets: { password: 'placeholder' },
        operationId: 'reconciler',
        correlationId: 'reconciler',
      }) ?? [];

    it('finds nothing when Kubernetes runs what Stratus applied (server fields, status, secret values aside)', () => {
      expect(compareObjects(desired(), liveObjectsOf(c))).toEqual([]);
    });

    it('treats normalised quantities and omitted zero values as equal', () => {
      // Prepare
      const live = liveObjectsOf(c);
      const quota = live.find((o) => o.kind === 'ResourceQuota') as KubeObject;
      const hard = (quota.spec as { hard: Record<string, string> }).hard;
      hard['requests.cpu'] = String(quantity(hard['requests.cpu'] as string));
      const want = desired();
      const sts = want.find((o) => o.kind === 'StatefulSet') as KubeObject;
      (sts.spec as Record<string, unknown>).paused = false;

      // Act + Assess
      expect(compareObjects(want, live)).toEqual([]);
      expect(quantity('1500m')).toBe(1.5);
      expect(quantity('1Gi')).toBe(2 ** 30);
      expect(quantity('8.1.1')).toBeUndefined();
    });

    it('reports a missing object and a changed field, with the paths that differ', () => {
      // Prepare
      const live = liveObjectsOf(c).filter((o) => o.kind !== 'PodDisruptionBudget');
      const sts = live.find((o) => o.kind === 'StatefulSet') as KubeObject;
      (sts.spec as { replicas: number }).replicas = 1;

      // Act
      const drift = compareObjects(desired(), live);

      // Assess
      expect(drift).toEqual([
        {
          finding: expect.objectContaining({ kind: 'StatefulSet', name: 'valkey', issue: 'changed' }),
          paths: ['spec.replicas'],
        },
        {
          finding: {
            kind: 'PodDisruptionBudget',
            apiVersion: 'policy/v1',
            name: 'valkey',
            namespace: namespaceOf(c.clusterId),
            issue: 'missing',
          },
          paths: [],
        },
      ]);
    });
  });

  describe.each([
    ['mongodb', '8.0.32', 'MongoDBCommunity', ['spec', 'members'], 'spec.members'],
    ['scylladb', '2025.1.9', 'ScyllaCluster', ['spec', 'developerMode'], 'spec.developerMode'],
    ['yugabytedb', '2025.1.0.1', 'YBUniverse', ['spec', 'numNodes'], 'spec.numNodes'],
  ] as const)('Method: compareObjects (%s)', (engine, version, kind, path, reported) => {
    const bp = getBlueprint(engine);
    const c = cluster(7, { engine, version, settings: bp?.settingsSchema.parse({}) ?? {} });
    const desired = () =>
      bp?.render(specOf(c), { secrets: { password: 'placeholder' }, operationId: 'r', correlationId: 'r' }) ??
      [];

    it(`finds nothing when the ${kind} runs as applied, and reports a field changed by hand and a deleted one`, () => {
      // Prepare: the operator's status and server fields aside, nothing differs.
      const live = liveObjectsOf(c).map((o) => (o.kind === kind ? { ...o, status: { anything: true } } : o));
      expect(compareObjects(desired(), live)).toEqual([]);
      const cr = live.find((o) => o.kind === kind) as Record<string, Record<string, unknown>>;
      const [top, field] = path;
      (cr[top] as Record<string, unknown>)[field] = field === 'developerMode' ? true : 1;

      // Act
      const drift = compareObjects(
        desired(),
        live.filter((o) => o.kind !== 'Secret'),
      );

      // Assess
      expect(drift).toEqual([
        expect.objectContaining({ finding: expect.objectContaining({ kind: 'Secret', issue: 'missing' }) }),
        { finding: expect.objectContaining({ kind, issue: 'changed' }), paths: [reported] },
      ]);
    });
  });

  describe('Method: sweepDrift', () => {
    it('queues a repair (an UPDATE by the reconciler with no spec change) for a StatefulSet deleted by hand', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      const c = add(cluster(1));
      add(cluster(2));
      kube.objects = kube.objects.filter((o) => o.kind !== 'StatefulSet'); // both clusters' StatefulSets share a name: remove c1's
      kube.objects.push(...liveObjectsOf(cluster(2)).filter((o) => o.kind === 'StatefulSet'));

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({
        checked: 2,
        clean: 1,
        repaired: 1,
        errors: 0,
        more: false,
        cycleCompleted: true,
      });
      expect(table.repairs).toHaveLength(1);
      const { operation } = table.repairs[0] as { operation: OperationRecord };
      expect(operation).toMatchObject({
        clusterId: c.clusterId,
        type: 'UPDATE',
        status: 'QUEUED',
        step: 'APPLY',
        targetGeneration: c.generation,
        nodeDelta: 0,
        requestedBy: 'reconciler',
        previous: { nodes: 3, version: '8.1.1', generation: 2, status: 'READY' },
      });
      expect(events).toEqual([
        expect.objectContaining({
          eventId: `${c.clusterId}/drift/${operation.operationId}`,
          clusterId: c.clusterId,
          tenantId: 'tn-1',
          correlationId: operation.correlationId,
          action: 'repaired',
          findings: [
            {
              kind: 'StatefulSet',
              apiVersion: 'apps/v1',
              name: 'valkey',
              namespace: namespaceOf(c.clusterId),
              issue: 'missing',
            },
          ],
        }),
      ]);
    });

    it("covers a public endpoint's objects where the EKS cluster has a gateway: lists their kinds and repairs an allowlist changed by hand", async () => {
      // Prepare: a public cluster as the provisioner applied it, with the gateway of its EKS cluster
      const gateway = {
        name: 'stratus-gateway',
        namespace: 'stratus-gateway',
        proxyNamespace: 'envoy-gateway-system',
        hostSuffix: 'eu-west-1.db.example.com',
        port: 443,
        issuer: 'stratus-endpoints',
      };
      const { kube, table, events, deps } = setup({ gateway: (eks) => (eks === EKS ? gateway : undefined) });
      const c = cluster(1, { endpointSettings: { public: true, allowedCidrs: ['203.0.113.0/24'] } });
      table.clusters.push(c);
      const bp = getBlueprint(c.engine) as NonNullable<ReturnType<typeof getBlueprint>>;
      kube.objects.push(
        ...asLive(
          bp.render(specOf(c), {
            secrets: { password: 'real' },
            operationId: 'op-x',
            correlationId: 'corr-x',
            gateway,
          }),
        ),
      );
      // biome-ignore lint/suspicious/noExplicitAny: a live object edited by hand
      const policy = kube.objects.find((o) => o.kind === 'SecurityPolicy') as any;
      policy.spec.authorization.rules[0].principal.clientCIDRs = ['0.0.0.0/0'];

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(kube.lists.filter((l) => !l.endsWith('(continued)'))).toEqual(
        expect.arrayContaining(['Certificate', 'ListenerSet', 'TLSRoute', 'HTTPRoute', 'SecurityPolicy']),
      );
      expect(res).toMatchObject({ checked: 1, repaired: 1, errors: 0 });
      expect(events[0]?.findings).toEqual([
        {
          kind: 'SecurityPolicy',
          apiVersion: 'gateway.envoyproxy.io/v1alpha1',
          name: 'stratus-endpoint',
          namespace: namespaceOf(c.clusterId),
          issue: 'changed',
        },
      ]);
    });

    describe('renewal of TLS certificates (renewal.ts)', () => {
      const gateway = {
        name: 'stratus-gateway',
        namespace: 'stratus-gateway',
        proxyNamespace: 'envoy-gateway-system',
        hostSuffix: 'eu-west-1.db.example.com',
        port: 443,
        issuer: 'stratus-endpoints',
      };
      const ISSUED = '2026-11-01T10:00:00Z';
      const RENEWED = '2027-01-01T10:00:00Z';
      /** A TLS cluster as the provisioner applied it, its Certificate issued at ISSUED. */
      function tlsSetup(engine = 'valkey') {
        const s = setup({ gateway: (eks) => (eks === EKS ? gateway : undefined) });
        const bp = getBlueprint(engine) as NonNullable<ReturnType<typeof getBlueprint>>;
        const c = cluster(1, {
          engine,
          version: bp.versions.at(-1) as string,
          settings: bp.settingsSchema.parse({}),
          tls: true,
        });
        s.table.clusters.push(c);
        const secrets = Object.fromEntries(bp.secretNames.map((n) => [n, 'real']));
        s.kube.objects.push(
          ...asLive(bp.render(specOf(c), { secrets, operationId: 'op-x', correlationId: 'corr-x', gateway })),
        );
        s.kube.find('Certificate', 'stratus-tls').status = { notBefore: ISSUED };
        return { ...s, c };
      }

      it('records the certificate on a TLS Valkey cluster, rolls its pods once it is renewed, then does nothing', async () => {
        // Prepare
        const { kube, events, deps } = tlsSetup();
        const sts = () => kube.find('StatefulSet', 'valkey') as Any;

        // Act: first sweep (the certificate as the pods started with it)
        const first = await sweepDrift(deps());

        // Assess: recorded, metadata only
        expect(first).toMatchObject({ clean: 1, certificatesRecorded: 1, certificateRestarts: 0, errors: 0 });
        expect(sts().metadata.annotations['stratus.dev/tls-not-before']).toBe(ISSUED);
        expect(sts().spec.template.metadata.annotations?.['stratus.dev/tls-restarted-for']).toBeUndefined();

        // Act: cert-manager renews it; two more sweeps
        kube.find('Certificate', 'stratus-tls').status = { notBefore: RENEWED };
        const second = await sweepDrift(deps());
        const third = await sweepDrift(deps());

        // Assess: one rolling restart (the pod template's annotation), by the reconciler's field manager
        expect(second).toMatchObject({
          clean: 1,
          certificatesRecorded: 0,
          certificateRestarts: 1,
          errors: 0,
        });
        expect(sts().metadata.annotations['stratus.dev/tls-not-before']).toBe(RENEWED);
        expect(sts().spec.template.metadata.annotations).toMatchObject({
          'stratus.dev/tls-restarted-for': RENEWED,
        });
        expect(third).toMatchObject({ clean: 1, certificatesRecorded: 0, certificateRestarts: 0, errors: 0 });
        expect(kube.patches.map((p) => [p.target, p.fieldManager])).toEqual([
          [`StatefulSet ${namespaceOf('cl-01jd8w00000000000000000001')}/valkey`, 'stratus-reconciler'],
          [`StatefulSet ${namespaceOf('cl-01jd8w00000000000000000001')}/valkey`, 'stratus-reconciler'],
        ]);
        // Nothing on the bus: a renewal is no drift.
        expect(events).toEqual([]);
      });

      it('leaves an engine that reloads by itself (PostgreSQL) alone', async () => {
        // Prepare
        const { kube, deps } = tlsSetup('postgresql');
        kube.find('Certificate', 'stratus-tls').status = { notBefore: RENEWED };

        // Act
        const res = await sweepDrift(deps());

        // Assess
        expect(res).toMatchObject({ clean: 1, certificatesRecorded: 0, certificateRestarts: 0, errors: 0 });
        expect(kube.patches).toEqual([]);
      });

      it('does not restart a cluster the index shows idle when the item is held by an operation, or under maintenance', async () => {
        // Prepare
        const { kube, table, c, deps } = tlsSetup();
        const sts = kube.find('StatefulSet', 'valkey');
        sts.metadata.annotations = { ...sts.metadata.annotations, 'stratus.dev/tls-not-before': ISSUED };
        kube.find('Certificate', 'stratus-tls').status = { notBefore: RENEWED };

        // Act
        table.current.set(c.clusterId, {
          ...c,
          status: 'UPDATING',
          activeOperationId: 'op-01jd8w0000000000000000user',
        });
        const busy = await sweepDrift(deps());
        table.current.set(c.clusterId, { ...c, maintenance: true });
        const maintained = await sweepDrift(deps());

        // Assess
        expect(busy).toMatchObject({ certificateRestarts: 0, errors: 0 });
        expect(maintained).toMatchObject({ certificateRestarts: 0, errors: 0 });
        expect(kube.patches).toEqual([]);
      });

      it('counts a restart the API server refuses (RBAC without patch) as an error, and the drift as clean', async () => {
        // Prepare
        const { kube, deps } = tlsSetup();
        kube.forbidden.add('patch StatefulSet');

        // Act
        const res = await sweepDrift(deps());

        // Assess
        expect(res).toMatchObject({ clean: 1, certificatesRecorded: 0, errors: 1 });
      });
    });

    it('lists each kind once across namespaces, chunk by chunk, whatever the number of clusters', async () => {
      // Prepare: 50 clusters, chunks of 20 objects: every kind takes 3 chunks (one object per
      // cluster) or more.
      const { kube, deps, add } = setup();
      for (let i = 1; i <= 50; i++) add(cluster(i));

      // Act
      const res = await sweepDrift(deps({ listPageSize: 20 }));

      // Assess: no list names a namespace; each kind is listed once (its first chunk) in the
      // cluster pass and Namespaces once more for orphans; the chunks follow from the object counts.
      expect(res).toMatchObject({ checked: 50, clean: 50, errors: 0, cycleCompleted: true });
      expect(kube.lists.filter((l) => l.includes(' stratus-'))).toEqual([]);
      const firsts = kube.lists.filter((l) => !l.endsWith('(continued)'));
      const kinds = managedKinds().map((k) => k.kind);
      expect(firsts.sort()).toEqual([...kinds, 'Namespace'].sort());
      const expected = kinds.reduce((sum, k) => {
        const n = kube.objects.filter((o) => o.kind === k).length;
        return sum + Math.max(1, Math.ceil(n / 20));
      }, 0);
      const namespaces = Math.ceil(50 / 20);
      expect(kube.lists).toHaveLength(expected + namespaces);
      expect(kube.lists.length).toBeLessThan(50);
      // Secrets are read by name, one per cluster (RBAC: never listed).
      expect(kube.gets).toHaveLength(50);
    });

    it("starts a kind's list again when its continue token expired (410), and finds no drift from it", async () => {
      // Prepare: the first continue token handed out is expired by the time it is used.
      const { kube, deps, add } = setup();
      for (let i = 1; i <= 5; i++) add(cluster(i));
      let expiredKind: string | undefined;
      const listPage = kube.listPage.bind(kube);
      kube.listPage = async (apiVersion, kind, opts) => {
        const page = await listPage(apiVersion, kind, opts);
        if (page.continue && expiredKind === undefined) {
          expiredKind = kind;
          kube.expired.add(page.continue);
        }
        return page;
      };

      // Act
      const res = await sweepDrift(deps({ listPageSize: 2 }));

      // Assess: the kind was listed from its start again; no missing objects reported.
      expect(res).toMatchObject({ checked: 5, clean: 5, errors: 0, repaired: 0 });
      expect(kube.lists.filter((l) => l === expiredKind).length).toBeGreaterThanOrEqual(2);
      expect(kube.lists.filter((l) => l === `${expiredKind} (continued)`).length).toBeGreaterThanOrEqual(2);
    });

    it('counts every cluster of an EKS cluster it cannot list as an error', async () => {
      // Prepare
      const { kube, deps, add } = setup();
      add(cluster(1));
      add(cluster(2));
      kube.forbidden.add('StatefulSet');

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ checked: 2, clean: 0, errors: 2, repaired: 0 });
    });

    it('leaves a cluster that changed after the lists began to a later sweep', async () => {
      // Prepare: the cluster became READY after the lists were taken (its updatedAt is later).
      const { kube, deps, add } = setup();
      add(cluster(1, { updatedAt: new Date(NOW.getTime() + 1000).toISOString() }));
      kube.objects = kube.objects.filter((o) => o.kind !== 'StatefulSet');

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ checked: 1, skipped: 1, repaired: 0 });
    });

    it('reads each credential Secret by name and never lists Secrets (it may read no other)', async () => {
      // Prepare
      const { kube, deps, add } = setup();
      const c = add(cluster(1));

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ checked: 1, clean: 1, errors: 0 });
      expect(kube.lists.filter((l) => l.startsWith('Secret'))).toEqual([]);
      expect(kube.gets).toEqual([`Secret ${namespaceOf(c.clusterId)}/valkey-credentials`]);
    });

    it('repairs a credential Secret deleted by hand', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      const c = add(cluster(1));
      kube.remove('Secret', 'valkey-credentials');

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ repaired: 1, errors: 0 });
      expect(table.repairs.map((r) => r.cluster.clusterId)).toEqual([c.clusterId]);
      expect(events[0]?.findings).toEqual([
        {
          kind: 'Secret',
          apiVersion: 'v1',
          name: 'valkey-credentials',
          namespace: namespaceOf(c.clusterId),
          issue: 'missing',
        },
      ]);
    });

    it('repairs a namespace whose RoleBindings predate its read access to the Secret, instead of failing on the 403', async () => {
      // Prepare: a namespace applied before the reconciler was a subject of the secret reader
      // binding: reading the Secret is forbidden until the repair re-applies the binding.
      const { kube, table, events, deps, add } = setup();
      const c = add(cluster(1));
      const binding = kube.objects.find(
        (o) => o.kind === 'RoleBinding' && o.metadata.name === 'stratus-secret-reader',
      ) as KubeObject & { subjects: Array<{ name: string }> };
      binding.subjects = binding.subjects.filter((s) => s.name === 'stratus-secret-reader');
      kube.forbidden.add('Secret');

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ repaired: 1, errors: 0 });
      expect(table.repairs.map((r) => r.cluster.clusterId)).toEqual([c.clusterId]);
      expect(events[0]?.findings).toEqual([
        expect.objectContaining({ kind: 'RoleBinding', name: 'stratus-secret-reader', issue: 'changed' }),
      ]);
    });

    it('counts a cluster whose Secret it may not read, with nothing else to repair, as an error', async () => {
      // Prepare
      const { kube, table, deps, add } = setup();
      add(cluster(1));
      kube.forbidden.add('Secret');

      // Act
      const res = await sweepDrift(deps());

      // Assess: no repair would give it access; the platform's RBAC needs fixing (docs/eks.md).
      expect(res).toMatchObject({ checked: 1, clean: 0, repaired: 0, errors: 1 });
      expect(table.repairs).toEqual([]);
    });

    it('repairs a field changed by hand (replicas scaled down)', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      add(cluster(1));
      (kube.find('StatefulSet', 'valkey').spec as { replicas: number }).replicas = 1;

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ repaired: 1 });
      expect(table.repairs).toHaveLength(1);
      expect(events[0]?.findings).toEqual([
        expect.objectContaining({ kind: 'StatefulSet', issue: 'changed' }),
      ]);
    });

    it('only reports drift of a cluster under maintenance, once while it stays the same', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      const c = add(cluster(1, { maintenance: true }));
      kube.remove('Service', 'valkey-read');

      // Act
      const first = await sweepDrift(deps());
      const second = await sweepDrift(deps());

      // Assess
      expect(first).toMatchObject({ reported: 1, repaired: 0 });
      expect(second).toMatchObject({ reported: 0, alreadyReported: 1 });
      expect(table.repairs).toHaveLength(0);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        clusterId: c.clusterId,
        action: 'reported',
        findings: [{ kind: 'Service', name: 'valkey-read', issue: 'missing' }],
        eventId: expect.stringMatching(new RegExp(`^${c.clusterId}/drift/[0-9a-f]{16}/2026-11-22$`)),
      });
      expect(table.reports.get(c.clusterId)).toMatchObject({ reportedAt: NOW.toISOString() });

      // Different drift is reported at once.
      kube.remove('Service', 'valkey');
      expect(await sweepDrift(deps())).toMatchObject({ reported: 1 });
      expect(events).toHaveLength(2);
    });

    describe('circuit breaker', () => {
      /** A mutating webhook: rewrites the StatefulSet's replicas whenever Stratus applies them. */
      const webhook = (kube: FakeKube) => {
        (kube.find('StatefulSet', 'valkey').spec as { replicas: number }).replicas = 1;
      };

      /** The reconciler every minute for `minutes`, the webhook winning after every repair. */
      async function fight(s: ReturnType<typeof setup>, minutes: number, start = NOW.getTime()) {
        for (let m = 0; m < minutes; m++) {
          const at = new Date(start + m * 60_000);
          await sweepDrift(s.deps({ now: () => at }));
          finishRepairs(s.table); // the UPDATE re-applied the objects...
          webhook(s.kube); // ...and the webhook rewrote them at once
        }
      }

      it('stops repairing a field rewritten after every repair: at most 3 repairs, then one event and a marker', async () => {
        // Prepare
        const s = setup();
        const c = s.add(cluster(1));
        webhook(s.kube);

        // Act: two hours of runs.
        await fight(s, 120);

        // Assess: 3 repairs (not one per run), one suspension event, the marker on the cluster.
        expect(s.table.repairs).toHaveLength(3);
        const times = s.table.repairs.map((r) => r.operation.createdAt);
        // Back-off: 5 min after the first repair, 10 min after the second.
        expect(times).toEqual([
          '2026-11-22T10:00:00.000Z',
          '2026-11-22T10:05:00.000Z',
          '2026-11-22T10:15:00.000Z',
        ]);
        expect(s.suspended).toEqual([
          {
            schemaVersion: '1',
            eventId: expect.stringMatching(
              new RegExp(`^${c.clusterId}/drift-suspended/[0-9a-f]{16}/2026-11-22T10:00:00.000Z$`),
            ),
            occurredAt: '2026-11-22T10:16:00.000Z',
            tenantId: 'tn-1',
            region: REGION,
            clusterId: c.clusterId,
            findings: [expect.objectContaining({ kind: 'StatefulSet', name: 'valkey', issue: 'changed' })],
            repairs: 3,
            suspendedAt: '2026-11-22T10:16:00.000Z',
            suspendedUntil: '2026-11-23T10:16:00.000Z',
          },
        ]);
        expect(s.table.clusters[0]?.driftRepairSuspended).toMatchObject({
          generation: c.generation,
          repairs: 3,
          since: '2026-11-22T10:16:00.000Z',
          until: '2026-11-23T10:16:00.000Z',
          objects: [
            expect.objectContaining({ kind: 'StatefulSet', name: 'valkey', paths: ['spec.replicas'] }),
          ],
        });
        // One 'repaired' drift event per repair, nothing per suspended run.
        expect(s.events.map((e) => e.action)).toEqual(['repaired', 'repaired', 'repaired']);
      });

      it('tries again once the suspension ends, and suspends again if the fight goes on', async () => {
        // Prepare: suspended at 10:16, until 10:16 the next day.
        const s = setup();
        s.add(cluster(1));
        webhook(s.kube);
        await fight(s, 20);
        expect(s.table.repairs).toHaveLength(3);

        // Act: the next day, past the end of the suspension.
        await fight(s, 30, Date.parse('2026-11-23T10:20:00.000Z'));

        // Assess
        expect(s.table.repairs).toHaveLength(6);
        expect(s.suspended).toHaveLength(2);
      });

      it('counts what a run did: backing off between repairs, then already suspended', async () => {
        // Prepare
        const s = setup();
        s.add(cluster(1));
        webhook(s.kube);
        const run = async (iso: string) => {
          const res = await sweepDrift(s.deps({ now: () => new Date(iso) }));
          finishRepairs(s.table);
          webhook(s.kube);
          return res;
        };

        // Act + Assess
        expect(await run('2026-11-22T10:00:00.000Z')).toMatchObject({ repaired: 1 });
        expect(await run('2026-11-22T10:01:00.000Z')).toMatchObject({ repaired: 0, backingOff: 1 });
        expect(await run('2026-11-22T10:05:00.000Z')).toMatchObject({ repaired: 1 });
        expect(await run('2026-11-22T10:15:00.000Z')).toMatchObject({ repaired: 1 });
        expect(await run('2026-11-22T10:16:00.000Z')).toMatchObject({ repaired: 0, suspended: 1 });
        expect(await run('2026-11-22T10:17:00.000Z')).toMatchObject({ repaired: 0, alreadyReported: 1 });
      });

      it('ends the suspension when the drift clears, and counts afresh', async () => {
        // Prepare: suspended.
        const s = setup();
        const c = s.add(cluster(1));
        webhook(s.kube);
        await fight(s, 20);
        expect(s.table.clusters[0]?.driftRepairSuspended).toBeDefined();

        // Act: someone removed the webhook and put the replicas back.
        (s.kube.find('StatefulSet', 'valkey').spec as { replicas: number }).replicas = 3;
        const clean = await sweepDrift(s.deps({ now: () => new Date('2026-11-22T10:30:00.000Z') }));
        webhook(s.kube); // it comes back later
        const again = await sweepDrift(s.deps({ now: () => new Date('2026-11-22T10:31:00.000Z') }));

        // Assess
        expect(clean).toMatchObject({ clean: 1 });
        expect(s.table.clears).toEqual([c.clusterId]);
        expect(again).toMatchObject({ repaired: 1 });
        expect(s.table.clusters[0]?.driftRepairs).toMatchObject({
          repairs: 1,
          firstAt: '2026-11-22T10:31:00.000Z',
        });
      });

      it('ends the suspension when the spec changes (a new generation), and repairs at once', async () => {
        // Prepare: suspended.
        const s = setup();
        s.add(cluster(1));
        webhook(s.kube);
        await fight(s, 20);

        // Act: a user's UPDATE brought generation 3 to READY; the webhook still rewrites.
        s.table.clusters = s.table.clusters.map((x) => ({ ...x, generation: 3, observedGeneration: 3 }));
        const res = await sweepDrift(s.deps({ now: () => new Date('2026-11-22T10:40:00.000Z') }));

        // Assess: the void marker is removed first, then a new series starts.
        expect(res).toMatchObject({ repaired: 1 });
        expect(s.table.clears).toHaveLength(1);
        expect(s.table.clusters[0]?.driftRepairSuspended).toBeUndefined();
        expect(s.table.clusters[0]?.driftRepairs).toMatchObject({ generation: 3, repairs: 1 });
      });

      it('does not suspend a cluster that changed since it was read (the conditional write fails)', async () => {
        // Prepare: three repairs done; the marker write then finds the cluster changed.
        const s = setup();
        s.add(cluster(1));
        webhook(s.kube);
        await fight(s, 16);
        s.table.store.clusters.suspendDriftRepair = async () => {
          throw new StaleStateError('changed');
        };

        // Act
        const res = await sweepDrift(s.deps({ now: () => new Date('2026-11-22T10:16:00.000Z') }));

        // Assess: no repair either; the event (published first) is sent again next time, same id.
        expect(res).toMatchObject({ suspended: 0, skipped: 1, repaired: 0 });
        expect(s.table.repairs).toHaveLength(3);
      });
    });

    it('skips a cluster when a user operation came first (the conditional write fails), without an event', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      add(cluster(1));
      kube.objects = kube.objects.filter((o) => o.kind !== 'StatefulSet');
      table.repairFails = new StaleStateError('held');

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ repaired: 0, skipped: 1, errors: 0 });
      expect(events).toEqual([]);
    });

    it('does not act on a cluster the index shows idle when the item is held by an operation', async () => {
      // Prepare
      const { kube, table, events, deps, add } = setup();
      const c = add(cluster(1));
      kube.objects = kube.objects.filter((o) => o.kind !== 'StatefulSet');
      table.current.set(c.clusterId, { ...c, status: 'UPDATING', activeOperationId: 'op-user' });

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ skipped: 1, repaired: 0 });
      expect(table.repairs).toEqual([]);
      expect(events).toEqual([]);
    });

    it('reports a Stratus-labelled namespace with no cluster behind it, and deletes it only when configured to', async () => {
      // Prepare: the objects of a cluster whose item is gone (or DELETED).
      const { kube, table, events, deps, add } = setup();
      add(cluster(1));
      const gone = cluster(2);
      kube.objects.push(...liveObjectsOf(gone));
      const deleted = cluster(3, { status: 'DELETED' });
      table.clusters.push(deleted);
      kube.objects.push(...liveObjectsOf(deleted));
      // Labelled by hand, without the tenant label: reported, never deleted.
      kube.objects.push({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'scratch', labels: { [LABELS.managedBy]: 'stratus', [LABELS.cluster]: 'cl-x' } },
      });

      // Act
      const reported = await sweepDrift(deps());

      // Assess
      expect(reported).toMatchObject({ checked: 1, clean: 1, orphans: 3, orphansDeleted: 0 });
      expect(kube.deleted).toEqual([]);
      const summary = (list: ClusterDriftDetected[]) =>
        list.map((e) => [e.clusterId, e.action, e.findings[0]?.name]).sort();
      expect(summary(events)).toEqual(
        [
          [gone.clusterId, 'reported', namespaceOf(gone.clusterId)],
          [deleted.clusterId, 'reported', namespaceOf(deleted.clusterId)],
          ['cl-x', 'reported', 'scratch'],
        ].sort(),
      );
      expect(events.find((e) => e.clusterId === gone.clusterId)?.findings).toEqual([
        { kind: 'Namespace', apiVersion: 'v1', name: namespaceOf(gone.clusterId), issue: 'orphan' },
      ]);

      // Act: configured to delete
      const res = await sweepDrift(deps({ deleteOrphans: true }));

      // Assess
      expect(res).toMatchObject({ orphans: 3, orphansDeleted: 2, alreadyReported: 1 });
      expect(kube.deleted.sort()).toEqual(
        [namespaceOf(gone.clusterId), namespaceOf(deleted.clusterId)].sort(),
      );
      expect(summary(events.slice(3))).toEqual(
        [
          [gone.clusterId, 'repaired', namespaceOf(gone.clusterId)],
          [deleted.clusterId, 'repaired', namespaceOf(deleted.clusterId)],
        ].sort(),
      );
    });

    it('does not report a namespace being deleted', async () => {
      const { kube, events, deps } = setup();
      const gone = liveObjectsOf(cluster(2)).filter((o) => o.kind === 'Namespace');
      for (const ns of gone) ns.status = { phase: 'Terminating' };
      kube.objects.push(...gone);
      expect(await sweepDrift(deps())).toMatchObject({ orphans: 0, skipped: 1 });
      expect(events).toEqual([]);
    });

    it('pages through the index within its time budget and continues from its cursor in the next run', async () => {
      // Prepare: 7 clusters, pages of 3, checked 2 at a time; time runs out after the 2nd chunk.
      const { table, deps, add } = setup();
      const all = [1, 2, 3, 4, 5, 6, 7].map((n) => add(cluster(n)));
      let calls = 0;
      const budget = (n: number) => () => calls++ < n;
      const base = { pageSize: 3, concurrency: 2 };

      // Act: run 1 stops mid-page 2, after cluster 5.
      const run1 = await sweepDrift(deps({ ...base, hasTime: budget(4) }));

      // Assess
      expect(run1).toMatchObject({ checked: 5, more: true, cycleCompleted: false, pages: 2 });
      expect(table.cursor).toMatchObject({
        phase: 'clusters',
        startKey: clusterIndexKey(REGION, all[4] as ClusterRecord),
      });
      // Each page is read while the one before it is checked: page 3 was read, not checked.
      expect(table.queries).toEqual([
        undefined,
        clusterIndexKey(REGION, all[2] as ClusterRecord),
        clusterIndexKey(REGION, all[5] as ClusterRecord),
      ]);

      // Act: run 2 resumes after cluster 5 and finishes the cycle (clusters, then orphans).
      const run2 = await sweepDrift(deps({ ...base, hasTime: () => true }));

      // Assess
      expect(run2).toMatchObject({ checked: 2, clean: 2, more: false, cycleCompleted: true });
      expect(table.queries[3]).toEqual(clusterIndexKey(REGION, all[4] as ClusterRecord));
      expect(table.cursor).toEqual({ phase: 'clusters', cycleStartedAt: NOW.toISOString() });

      // Act: run 3 starts a new cycle from the first cluster, and stops at its page budget.
      const run3 = await sweepDrift(deps({ ...base, maxPages: 1 }));

      // Assess
      expect(run3).toMatchObject({ checked: 3, pages: 1, more: true });
      expect(table.queries[table.queries.length - 1]).toBeUndefined();
      expect(table.cursor).toMatchObject({ startKey: clusterIndexKey(REGION, all[2] as ClusterRecord) });
    });

    describe('lists read in step with the clusters', () => {
      /** 30 clusters; index pages of 10, checked 10 at a time; lists in chunks of 10 objects. */
      const thirty = () => {
        const t = setup();
        for (let i = 1; i <= 30; i++) t.add(cluster(i));
        return t;
      };
      const base = { pageSize: 10, concurrency: 10, listPageSize: 10 };
      /** Time for `n` checks of the budget, then none. */
      const budget = (n: number) => {
        let calls = 0;
        return () => calls++ < n;
      };
      const savedToken = (cursor: DriftCursor | undefined, kind: string) =>
        cursor?.phase === 'clusters' ? cursor.lists?.find((l) => l.kind === kind) : undefined;

      it('keeps each list in the cursor when a run stops at its budget, and the next run reads on from that token', async () => {
        // Prepare
        const { kube, table, deps } = thirty();

        // Act: run 1 checks the first page, then runs out of time.
        const run1 = await sweepDrift(deps({ ...base, hasTime: budget(2) }));
        const saved = savedToken(table.cursor, 'StatefulSet');
        const calls = kube.tokens.length;
        const run2 = await sweepDrift(deps(base));

        // Assess: the StatefulSets' list (one per cluster) stood at its second chunk; run 2 read on
        // from that token, never from the first chunk, and found the 20 other clusters clean.
        expect(run1).toMatchObject({ checked: 10, clean: 10, more: true });
        expect(saved).toMatchObject({ eksCluster: EKS, apiVersion: 'apps/v1', continue: expect.any(String) });
        const run2StatefulSets = kube.tokens.slice(calls).filter((t) => t.kind === 'StatefulSet');
        expect(run2StatefulSets[0]).toEqual({ kind: 'StatefulSet', continue: saved?.continue });
        expect(run2StatefulSets.every((t) => t.continue !== undefined)).toBe(true);
        expect(run2).toMatchObject({ checked: 20, clean: 20, repaired: 0, errors: 0, cycleCompleted: true });
      });

      it('lists a kind again from its start when the saved position is older than a token lives', async () => {
        // Prepare
        const { kube, table, deps } = thirty();
        await sweepDrift(deps({ ...base, hasTime: budget(2) }));
        const saved = savedToken(table.cursor, 'StatefulSet');
        const calls = kube.tokens.length;
        const later = new Date(NOW.getTime() + LIST_TOKEN_MAX_AGE_MS + 1000);

        // Act
        const run2 = await sweepDrift(deps({ ...base, now: () => later }));

        // Assess: the old token was never sent; the list began again and nothing was missed.
        const run2StatefulSets = kube.tokens.slice(calls).filter((t) => t.kind === 'StatefulSet');
        expect(saved?.continue).toEqual(expect.any(String));
        expect(run2StatefulSets[0]).toEqual({ kind: 'StatefulSet' });
        expect(run2StatefulSets.some((t) => t.continue === saved?.continue)).toBe(false);
        expect(run2).toMatchObject({ checked: 20, clean: 20, repaired: 0, errors: 0 });
      });

      it('lists a kind again from its start when its saved token expired (410), and finds no drift from it', async () => {
        // Prepare: the API server compacted the revision of the saved StatefulSet list.
        const { kube, table, deps } = thirty();
        await sweepDrift(deps({ ...base, hasTime: budget(2) }));
        const saved = savedToken(table.cursor, 'StatefulSet');
        kube.expired.add(saved?.continue as string);
        const calls = kube.tokens.length;

        // Act
        const run2 = await sweepDrift(deps(base));

        // Assess: the saved token was tried (410), then the list began again.
        const run2StatefulSets = kube.tokens.slice(calls).filter((t) => t.kind === 'StatefulSet');
        expect(run2StatefulSets.slice(0, 2)).toEqual([
          { kind: 'StatefulSet', continue: saved?.continue },
          { kind: 'StatefulSet' },
        ]);
        expect(run2).toMatchObject({ checked: 20, clean: 20, repaired: 0, errors: 0, cycleCompleted: true });
      });

      it('reads the lists again from where the page began when a run stops mid-page (no object is missed)', async () => {
        // Prepare: chunks of 4 objects; run 1 stops after half of the second page.
        const { deps } = thirty();
        const mid = { ...base, concurrency: 5, listPageSize: 4 };

        // Act
        const run1 = await sweepDrift(deps({ ...mid, hasTime: budget(4) }));
        const run2 = await sweepDrift(deps(mid));

        // Assess: clusters 16-20 lie in chunks the lists had passed by the end of run 1.
        expect(run1).toMatchObject({ checked: 15, clean: 15, more: true });
        expect(run2).toMatchObject({ checked: 15, clean: 15, repaired: 0, errors: 0, cycleCompleted: true });
      });

      it('holds a page of clusters and a chunk per kind, not every object: chunks grow with objects, not clusters', async () => {
        // Prepare
        const { kube, deps } = thirty();

        // Act
        const res = await sweepDrift(deps(base));

        // Assess: each kind's list was read once through, in order, with no restart.
        expect(res).toMatchObject({ checked: 30, clean: 30, errors: 0 });
        for (const k of managedKinds()) {
          const firsts = kube.tokens.filter((t) => t.kind === k.kind && t.continue === undefined);
          // Namespaces: once in step with the clusters, once for the orphan pass.
          expect(firsts, k.kind).toHaveLength(k.kind === 'Namespace' ? 2 : 1);
        }
      });
    });

    it('checks nothing against a list that is not in key order (its objects would look missing)', async () => {
      // Prepare: the StatefulSets come back newest namespace first.
      const { kube, table, deps, add } = setup();
      for (let i = 1; i <= 3; i++) add(cluster(i));
      const listPage = kube.listPage.bind(kube);
      kube.listPage = async (apiVersion, kind, opts) => {
        const page = await listPage(apiVersion, kind, opts);
        return kind === 'StatefulSet' ? { ...page, items: [...page.items].reverse() } : page;
      };

      // Act
      const res = await sweepDrift(deps());

      // Assess: errors (the run fails, the alarm fires), no repair queued for a false "missing".
      expect(res).toMatchObject({ checked: 3, clean: 0, errors: 3, repaired: 0 });
      expect(table.repairs).toEqual([]);
    });

    it('reads the clusters of the orphan pass 100 per BatchGetItem (101 namespaces: 2 calls)', async () => {
      // Prepare
      const { table, deps, add } = setup();
      for (let i = 1; i <= 101; i++) add(cluster(i));

      // Act
      const res = await sweepDrift(deps({ maxPages: 20 }));

      // Assess
      expect(res).toMatchObject({ checked: 101, clean: 101, orphans: 0, errors: 0, cycleCompleted: true });
      expect(table.batchGets).toEqual([100, 1]);
    });

    it('keeps the orphan pass position across runs', async () => {
      // Prepare: 5 orphan namespaces, checked 2 at a time; time runs out after the first chunk.
      const { kube, table, events, deps } = setup();
      for (const n of [1, 2, 3, 4, 5])
        kube.objects.push(...liveObjectsOf(cluster(n)).filter((o) => o.kind === 'Namespace'));
      let calls = 0;

      // Act
      const run1 = await sweepDrift(deps({ concurrency: 2, hasTime: () => calls++ < 2 }));
      const cursor1 = table.cursor;
      const run2 = await sweepDrift(deps({ concurrency: 2 }));

      // Assess
      expect(run1).toMatchObject({ orphans: 2, more: true });
      expect(cursor1).toMatchObject({
        phase: 'orphans',
        eksCluster: EKS,
        afterNamespace: expect.any(String),
      });
      expect(table.cursor).toEqual({ phase: 'clusters', cycleStartedAt: NOW.toISOString() });
      expect(run2).toMatchObject({ orphans: 3, more: false, cycleCompleted: true });
      expect(new Set(events.map((e) => e.clusterId)).size).toBe(5);
    });

    it('counts a cluster it cannot read from Kubernetes as an error and checks the others', async () => {
      // Prepare
      const { kube, deps, add } = setup();
      const bad = add(cluster(1));
      add(cluster(2));
      kube.failFor = bad.clusterId;

      // Act
      const res = await sweepDrift(deps());

      // Assess
      expect(res).toMatchObject({ checked: 2, clean: 1, errors: 1 });
    });

    it('skips clusters without a blueprint, busy or not yet placed', async () => {
      const { table, deps } = setup();
      table.clusters.push(cluster(1, { engine: 'mystery' }), cluster(2, { placement: undefined }));
      const spy = vi.fn();
      const res = await sweepDrift(deps({ publish: spy }));
      expect(res).toMatchObject({ checked: 2, skipped: 2 });
      expect(spy).not.toHaveBeenCalled();
    });
  });
});
