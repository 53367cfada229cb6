import type { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  advance,
  type KubeFailure,
  type KubePort,
  STEP_LEASE_SECONDS,
  type WorkflowDeps,
} from '../../../functions/provisioner/workflow.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type { ProvisioningMessage } from '../../../functions/shared/schemas/messages.js';
import { StaleStateError, type Store } from '../../../functions/shared/store/store.js';
import { FUNCTIONS, QUEUES } from '../../../functions/topology.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'vectors',
  engine: 'qdrant',
  version: '1.15.5',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 1,
  sizeName: 'small',
  size: SIZES.small,
  settings: {},
  deletionProtection: false,
  status: 'PENDING',
  generation: 1,
  observedGeneration: 0,
  statusVersion: 1,
  activeOperationId: 'op-1',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

const operation = (over: Partial<OperationRecord> = {}): OperationRecord => ({
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  type: 'CREATE',
  status: 'QUEUED',
  step: 'APPLY',
  statusVersion: 1,
  targetGeneration: 1,
  correlationId: 'corr-1',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  deadline: new Date(NOW.getTime() + 60_000).toISOString(),
  ...over,
});

const msg = (over: Partial<ProvisioningMessage> = {}): ProvisioningMessage => ({
  v: 1,
  tenantId: 'tn-1',
  operationId: 'op-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  reason: 'dispatch',
  attempt: 0,
  ...over,
});

class FakeKubeError extends Error {
  constructor(readonly failure: KubeFailure) {
    super(failure.message);
  }
}

function setup(op: OperationRecord, c: ClusterRecord | undefined, live: Array<KubeObject | undefined> = []) {
  // The flat mocks are what the tests assert on; the store's aggregates delegate to them.
  const fns = {
    getOperation: vi.fn(async () => op),
    getCluster: vi.fn(async () => c),
    startOperation: vi.fn(async () => undefined),
    setStep: vi.fn(async () => undefined),
    completeOperation: vi.fn(async () => undefined),
    failOperation: vi.fn(async () => undefined),
    beginRollback: vi.fn(async (o: OperationRecord) => ({ ...o, step: 'ROLLBACK_APPLY' })),
    finishRollback: vi.fn(async () => undefined),
    beginCleanup: vi.fn(async (o: OperationRecord, cause: { code: string; message: string }) => ({
      ...o,
      step: 'CLEANUP',
      cleanup: { cause },
    })),
    claimStep: vi.fn(async () => undefined),
    finishStep: vi.fn(async () => undefined),
  };
  const store = {
    ...fns,
    region: 'eu-west-1',
    clusters: { get: fns.getCluster },
    operations: {
      get: fns.getOperation,
      start: fns.startOperation,
      setStep: fns.setStep,
      complete: fns.completeOperation,
      fail: fns.failOperation,
      beginRollback: fns.beginRollback,
      finishRollback: fns.finishRollback,
      beginCleanup: fns.beginCleanup,
      claimStep: fns.claimStep,
      finishStep: fns.finishStep,
    },
  };
  const applied: KubeObject[][] = [];
  const kube: KubePort = {
    apply: vi.fn(async (objects: KubeObject[]) => {
      applied.push(objects);
    }),
    create: vi.fn(async () => 'created' as const),
    get: vi.fn(async (ref) => (ref.kind === 'Secret' ? undefined : live.shift())),
    list: vi.fn(async () => [] as KubeObject[]),
    delete: vi.fn(async () => 'deleted' as const),
    deleteNamespace: vi.fn(async () => 'deleted' as const),
  };
  const requeue = vi.fn(async () => undefined);
  const deps: WorkflowDeps = {
    store: store as unknown as Store,
    kube: async () => kube,
    invalidateKube: vi.fn(),
    classify: (e) => (e instanceof FakeKubeError ? e.failure : undefined),
    requeue,
    eksClusters: [{ name: 'eks-a', capacityNodes: 10, region: 'eu-west-1' }],
    now: () => NOW,
    logger: { info: vi.fn(), warn: vi.fn(), debug: vi.fn(), error: vi.fn() } as unknown as Logger,
    pollBaseSeconds: 2,
    maxTransientRetries: 3,
  };
  return { store, kube, requeue, deps, applied };
}

/** The error the workflow recorded: the operation's, or the cause a failed CREATE cleans up after. */
function recordedError(store: ReturnType<typeof setup>['store']) {
  const call = (store.failOperation.mock.calls[0] ?? store.beginCleanup.mock.calls[0]) as
    | unknown[]
    | undefined;
  return call?.[1] as { code: string; message: string } | undefined;
}

describe('Function: advance', () => {
  beforeEach(() => vi.restoreAllMocks());

  it("renders PostgreSQL's API-server egress with the CIDRs of the EKS cluster it is placed on", async () => {
    // Prepare: the placed EKS cluster names its API server's addresses (config apiServerCidrs).
    const { deps, applied } = setup(operation(), cluster({ engine: 'postgresql', version: '17.5' }));
    const pool = [
      { name: 'eks-a', capacityNodes: 10, region: 'eu-west-1', apiServerCidrs: ['10.100.0.0/28'] },
    ];

    // Act
    await advance(msg(), { ...deps, eksClusters: pool });

    // Assess: the same addresses the reconciler renders with, so a configured egress is no drift.
    const policy = applied
      .flat()
      .find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-kube-api') as
      | { spec: { egress: Array<{ to?: Array<{ ipBlock?: { cidr: string } }> }> } }
      | undefined;
    expect(policy?.spec.egress.flatMap((e) => e.to ?? []).map((t) => t.ipBlock?.cidr)).toEqual([
      '10.100.0.0/28',
    ]);
  });

  it('starts a queued operation with its step claimed in the same write, applies the rendered objects and schedules a readiness poll', async () => {
    const { store, requeue, deps, applied } = setup(operation(), cluster());
    expect(await advance(msg(), deps)).toBe('polling');
    expect(store.startOperation).toHaveBeenCalledWith(
      expect.objectContaining({ operationId: 'op-1' }),
      'PROVISIONING',
      'eks-a',
      NOW.toISOString(),
      {
        seq: 0,
        now: NOW.toISOString(),
        until: new Date(NOW.getTime() + STEP_LEASE_SECONDS * 1000).toISOString(),
      },
    );
    // The start is the claim (docs/cost.md): no write of its own.
    expect(store.claimStep).not.toHaveBeenCalled();
    expect(applied[0]?.[0]?.kind).toBe('Namespace');
    expect(applied.flat().map((o) => o.kind)).toContain('StatefulSet');
    expect(store.finishStep).toHaveBeenCalledWith(expect.anything(), 0, {
      step: 'WAIT_READY',
      now: NOW.toISOString(),
    });
    expect(requeue).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'poll', attempt: 0 }),
      expect.any(Number),
    );
  });

  it('does nothing for a terminal operation (a duplicate message)', async () => {
    const { store, kube, deps } = setup(operation({ status: 'SUCCEEDED' }), cluster());
    expect(await advance(msg(), deps)).toBe('ignored');
    expect(kube.apply).not.toHaveBeenCalled();
    expect(store.startOperation).not.toHaveBeenCalled();
  });

  it('leaves an operation another region manages alone (a message left on its old home after a takeover)', async () => {
    // Prepare: this provisioner is eu-west-1's; us-east-1 took the cluster over.
    const { store, kube, deps } = setup(
      operation({ status: 'RUNNING', step: 'WAIT_READY', homeRegion: 'us-east-1' }),
      cluster({ homeRegion: 'us-east-1', status: 'PROVISIONING' }),
    );

    // Act & Assess: no Kubernetes call, no write, not even a failure.
    expect(await advance(msg({ reason: 'poll' }), deps)).toBe('ignored');
    expect(kube.apply).not.toHaveBeenCalled();
    expect(kube.get).not.toHaveBeenCalled();
    expect(store.failOperation).not.toHaveBeenCalled();
    expect(store.setStep).not.toHaveBeenCalled();
    expect(store.finishStep).not.toHaveBeenCalledWith(
      expect.anything(),
      expect.anything(),
      expect.anything(),
    );
  });

  it('stops when another delivery claimed the operation first', async () => {
    const { store, kube, deps } = setup(operation(), cluster());
    store.startOperation.mockRejectedValueOnce(new StaleStateError('lost'));
    expect(await advance(msg(), deps)).toBe('ignored');
    expect(kube.apply).not.toHaveBeenCalled();
  });

  it('completes with the endpoint once the workload is ready, the poll claiming its step in that write', async () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'qdrant', generation: 1 },
      spec: { replicas: 1 },
      status: { readyReplicas: 1, observedGeneration: 1, replicas: 1, availableReplicas: 1 },
    };
    const { store, deps } = setup(
      operation({ status: 'RUNNING', step: 'WAIT_READY' }),
      cluster({ placement: 'eks-a' }),
      [sts as KubeObject],
    );
    expect(await advance(msg({ reason: 'poll', seq: 1 }), deps, { messageId: 'm-2', receiveCount: 1 })).toBe(
      'succeeded',
    );
    expect(store.completeOperation).toHaveBeenCalledWith(
      expect.objectContaining({ operationId: 'op-1' }),
      expect.objectContaining({ endpoint: expect.stringMatching(/:6333$/), port: 6333 }),
      NOW.toISOString(),
      {
        seq: 1,
        now: NOW.toISOString(),
        until: new Date(NOW.getTime() + STEP_LEASE_SECONDS * 1000).toISOString(),
        by: { messageId: 'm-2', receiveCount: 1 },
      },
    );
    expect(store.claimStep).not.toHaveBeenCalled();
    expect(store.finishStep).not.toHaveBeenCalled();
  });

  describe('a CREATE looks at readiness right after applying', () => {
    const readySts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'qdrant', generation: 1 },
      spec: { replicas: 1 },
      status: { readyReplicas: 1, observedGeneration: 1, replicas: 1, availableReplicas: 1 },
    } as KubeObject;

    it('completes in the same delivery when the database is ready at once: no step write, no poll message', async () => {
      const { store, requeue, deps, applied } = setup(operation(), cluster(), [readySts]);
      expect(await advance(msg(), deps)).toBe('succeeded');
      expect(applied.flat().map((o) => o.kind)).toContain('StatefulSet');
      // The start carried the claim: the completion does not carry it again.
      expect(store.completeOperation).toHaveBeenCalledWith(
        expect.objectContaining({ operationId: 'op-1' }),
        expect.objectContaining({ port: 6333 }),
        NOW.toISOString(),
        undefined,
      );
      expect(store.claimStep).not.toHaveBeenCalled();
      expect(store.setStep).not.toHaveBeenCalled();
      expect(requeue).not.toHaveBeenCalled();
    });

    it('schedules the first poll when it is not ready yet', async () => {
      const { store, requeue, deps } = setup(operation(), cluster(), [undefined]);
      expect(await advance(msg(), deps)).toBe('polling');
      expect(store.finishStep).toHaveBeenCalledWith(expect.anything(), 0, {
        step: 'WAIT_READY',
        now: NOW.toISOString(),
      });
      expect(requeue).toHaveBeenCalledWith(
        expect.objectContaining({ reason: 'poll', attempt: 0 }),
        expect.any(Number),
      );
    });

    it("an UPDATE does not: its live status may still be the previous generation's", async () => {
      // The previous spec has the same claims: the StatefulSet is applied without a read.
      const live = cluster({ placement: 'eks-a' });
      const previous = { nodes: live.nodes, size: live.size, version: live.version, settings: live.settings };
      const { store, requeue, kube, deps } = setup(
        operation({
          type: 'UPDATE',
          status: 'RUNNING',
          step: 'APPLY',
          previous: { ...previous, sizeName: live.sizeName, generation: 1, status: 'READY' },
        }),
        live,
        // The first read compares the StatefulSet's claims (none live); a readiness check would
        // read the next and find it ready.
        [undefined, readySts],
      );
      expect(await advance(msg(), deps)).toBe('polling');
      expect(store.completeOperation).not.toHaveBeenCalled();
      expect(store.finishStep).toHaveBeenCalledWith(expect.anything(), 0, {
        step: 'WAIT_READY',
        now: NOW.toISOString(),
      });
      expect(requeue).toHaveBeenCalledTimes(1);
      // The credentials Secret and the StatefulSet's claims were read, never the readiness objects.
      expect((kube.get as ReturnType<typeof vi.fn>).mock.calls.map(([ref]) => ref.kind).sort()).toEqual([
        'Secret',
        'StatefulSet',
      ]);
    });
  });

  it('polls again, with a growing attempt, while the workload is not ready', async () => {
    const { requeue, deps } = setup(
      operation({ status: 'RUNNING', step: 'WAIT_READY' }),
      cluster({ placement: 'eks-a' }),
      [undefined],
    );
    expect(await advance(msg({ reason: 'poll', attempt: 2 }), deps)).toBe('polling');
    expect(requeue).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'poll', attempt: 3 }),
      expect.any(Number),
    );
  });

  it('fails the operation with DEADLINE_EXCEEDED past its deadline', async () => {
    const { store, kube, deps } = setup(
      operation({ deadline: new Date(NOW.getTime() - 1).toISOString() }),
      cluster(),
    );
    expect(await advance(msg(), deps)).toBe('failed');
    expect(store.failOperation).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }),
      NOW.toISOString(),
    );
    expect(kube.apply).not.toHaveBeenCalled();
  });

  it('retries a transient Kubernetes failure with backoff, then gives up with KUBERNETES_UNAVAILABLE', async () => {
    const transient = new FakeKubeError({ retryable: true, unauthorized: false, message: '503' });
    const first = setup(operation(), cluster());
    vi.mocked(first.kube.apply).mockRejectedValue(transient);
    expect(await advance(msg(), first.deps)).toBe('retrying');
    expect(first.requeue).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'retry', attempt: 1 }),
      expect.any(Number),
    );

    const last = setup(operation({ status: 'RUNNING' }), cluster({ placement: 'eks-a' }));
    vi.mocked(last.kube.apply).mockRejectedValue(transient);
    expect(await advance(msg({ reason: 'retry', attempt: 3 }), last.deps)).toBe('cleaning-up');
    expect(recordedError(last.store)).toMatchObject({ code: 'KUBERNETES_UNAVAILABLE' });
  });

  it('fails at once on a permanent Kubernetes rejection', async () => {
    const { store, kube, deps, requeue } = setup(operation(), cluster());
    vi.mocked(kube.apply).mockRejectedValue(
      new FakeKubeError({ retryable: false, unauthorized: false, message: '422 invalid' }),
    );
    expect(await advance(msg(), deps)).toBe('cleaning-up');
    expect(recordedError(store)).toEqual({
      code: 'KUBERNETES_REJECTED',
      message: expect.stringContaining('refused a change'),
    });
    expect(requeue).toHaveBeenCalledTimes(1);
    expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ reason: 'retry' }), 1);
  });

  it('never records raw Kubernetes or AWS text in the operation error: a stable code and a message for the tenant', async () => {
    // Prepare: EKS answers 403 naming the provisioner's role and the account.
    const raw =
      'statefulsets.apps "qdrant" is forbidden: User "arn:aws:sts::123456789012:assumed-role/stratus-prod-Provisioner/x" cannot patch resource';
    const { store, kube, deps } = setup(operation(), cluster());
    vi.mocked(kube.apply).mockRejectedValue(
      new FakeKubeError({ retryable: false, unauthorized: false, message: raw }),
    );

    // Act
    expect(await advance(msg(), deps)).toBe('cleaning-up');

    // Assess: the code is stable, the message names nothing internal, the raw text is logged.
    const error = recordedError(store) as { code: string; message: string };
    expect(error.code).toBe('KUBERNETES_REJECTED');
    expect(error.message).not.toMatch(/arn:aws|123456789012|assumed-role|forbidden/);
    expect(deps.logger.warn).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ correlationId: 'corr-1', detail: raw }),
    );
  });

  it('never records raw text when Kubernetes stays unavailable either', async () => {
    const raw = 'connect ECONNREFUSED 10.0.12.7:443 (https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com)';
    const { store, kube, deps } = setup(operation({ status: 'RUNNING' }), cluster({ placement: 'eks-a' }));
    vi.mocked(kube.apply).mockRejectedValue(
      new FakeKubeError({ retryable: true, unauthorized: false, message: raw }),
    );
    expect(await advance(msg({ reason: 'retry', attempt: 3 }), deps)).toBe('cleaning-up');
    const error = recordedError(store) as { code: string; message: string };
    expect(error.code).toBe('KUBERNETES_UNAVAILABLE');
    expect(error.message).not.toMatch(/10\.0\.12\.7|amazonaws|ECONNREFUSED/);
  });

  it('drops cached credentials on a 401 and retries', async () => {
    const { kube, deps } = setup(operation(), cluster());
    vi.mocked(kube.apply).mockRejectedValue(
      new FakeKubeError({ retryable: false, unauthorized: true, message: '401' }),
    );
    expect(await advance(msg(), deps)).toBe('retrying');
    expect(deps.invalidateKube).toHaveBeenCalledWith('eks-a');
  });

  it('rethrows an unclassified error so the message is redelivered and, in the end, dead-lettered', async () => {
    const { store, deps } = setup(operation(), cluster());
    store.finishStep.mockRejectedValue(new Error('DynamoDB unavailable'));
    await expect(advance(msg(), deps)).rejects.toThrow('DynamoDB unavailable');
  });

  it('never writes an existing credential Secret again: no apply, no create, its value rendered', async () => {
    // Prepare: a CREATE's apply retried (it started before): the Secret is read first.
    const { kube, deps, applied } = setup(operation({ status: 'RUNNING' }), cluster({ placement: 'eks-a' }));
    vi.mocked(kube.get).mockImplementation(async (ref) =>
      ref.kind === 'Secret'
        ? ({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: ref.metadata.name },
            data: { 'api-key': Buffer.from('kept-secret').toString('base64') },
          } as KubeObject)
        : undefined,
    );

    // Act
    expect(await advance(msg(), deps)).toBe('polling');

    // Assess
    expect(applied.flat().map((o) => o.kind)).not.toContain('Secret');
    expect(kube.create).not.toHaveBeenCalled();
    expect(applied.flat().map((o) => o.kind)).toContain('StatefulSet');
  });

  it('creates a missing credential Secret only if absent, and keeps the one another delivery created first', async () => {
    // Prepare: our read finds no Secret; our create meets the one a concurrent delivery made.
    const { kube, deps } = setup(operation({ status: 'RUNNING' }), cluster({ placement: 'eks-a' }));
    const theirs = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'qdrant-api-key' },
      data: { 'api-key': Buffer.from('their-key').toString('base64') },
    } as KubeObject;
    vi.mocked(kube.get).mockResolvedValueOnce(undefined).mockResolvedValueOnce(theirs);
    vi.mocked(kube.create).mockResolvedValue('exists');
    const rendered: string[] = [];
    const realRender = (await import('../../../functions/shared/engines/qdrant.js')).qdrantBlueprint.render;
    const spy = vi
      .spyOn((await import('../../../functions/shared/engines/qdrant.js')).qdrantBlueprint, 'render')
      .mockImplementation((spec, ctx) => {
        rendered.push(ctx.secrets.apiKey ?? '');
        return realRender(spec, ctx);
      });

    // Act
    expect(await advance(msg(), deps)).toBe('polling');

    // Assess: created with POST (never applied), and rendered again with their key.
    expect(kube.create).toHaveBeenCalledWith(expect.objectContaining({ kind: 'Secret' }));
    expect(
      vi
        .mocked(kube.apply)
        .mock.calls.flat(2)
        .map((o) => (o as KubeObject).kind),
    ).not.toContain('Secret');
    expect(rendered.at(-1)).toBe('their-key');
    spy.mockRestore();
  });

  describe('a CREATE this delivery starts does not read its credential Secret first (docs/cost.md)', () => {
    it('creates it only if absent without a read: nothing was applied for the cluster yet', async () => {
      // Prepare
      const { kube, deps, applied } = setup(operation(), cluster());

      // Act
      expect(await advance(msg(), deps)).toBe('polling');

      // Assess: no Secret read; the Secret created (POST) after the objects rendered before it.
      const gets = vi.mocked(kube.get).mock.calls.map(([ref]) => ref.kind);
      expect(gets).not.toContain('Secret');
      expect(kube.create).toHaveBeenCalledWith(expect.objectContaining({ kind: 'Secret' }));
      expect(applied[0]?.[0]?.kind).toBe('Namespace');
      expect(vi.mocked(kube.create).mock.invocationCallOrder[0]).toBeGreaterThan(
        vi.mocked(kube.apply).mock.invocationCallOrder[0] ?? Number.POSITIVE_INFINITY,
      );
    });

    it('keeps a Secret that exists after all: renders with its values and applies again what they changed before it', async () => {
      // Prepare: a blueprint whose object before the Secret carries a secret value (none of the
      // shipped ones does: the guard is for one that would).
      const qdrant = (await import('../../../functions/shared/engines/qdrant.js')).qdrantBlueprint;
      const realRender = qdrant.render;
      const spy = vi.spyOn(qdrant, 'render').mockImplementation((spec, ctx) => {
        const objects = realRender(spec, ctx);
        const at = objects.findIndex((o) => o.kind === 'Secret');
        const uses = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'uses-key' },
          data: { key: ctx.secrets.apiKey ?? '' },
        } as KubeObject;
        return [...objects.slice(0, at), uses, ...objects.slice(at)];
      });
      const { kube, deps, applied } = setup(operation(), cluster());
      vi.mocked(kube.create).mockResolvedValue('exists');
      vi.mocked(kube.get).mockImplementation(async (ref) =>
        ref.kind === 'Secret'
          ? ({
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: ref.metadata.name },
              data: { 'api-key': Buffer.from('their-key').toString('base64') },
            } as KubeObject)
          : undefined,
      );

      try {
        // Act
        expect(await advance(msg(), deps)).toBe('polling');

        // Assess: the ConfigMap applied first with a generated key, then again with theirs, alone.
        const configMaps = applied.flat().filter((o) => o.kind === 'ConfigMap') as Array<
          KubeObject & { data: { key: string } }
        >;
        expect(configMaps).toHaveLength(2);
        expect(configMaps[0]?.data.key).not.toBe('their-key');
        expect(configMaps[1]?.data.key).toBe('their-key');
        const reapplied = applied.find((batch) => batch.includes(configMaps[1] as KubeObject));
        expect(reapplied?.map((o) => o.kind)).toEqual(['ConfigMap']);
        expect(applied.flat().map((o) => o.kind)).not.toContain('Secret');
      } finally {
        spy.mockRestore();
      }
    });
  });

  it('does not look for objects to prune on a CREATE: its namespace holds only what it applied', async () => {
    const { kube, deps } = setup(operation(), cluster());
    expect(operation().type).toBe('CREATE');
    await advance(msg(), deps);
    expect(kube.apply).toHaveBeenCalled();
    expect(kube.list).not.toHaveBeenCalled();
    expect(kube.delete).not.toHaveBeenCalled();
  });

  it('replaces a StatefulSet whose claims an UPDATE grows with an orphaning delete: its pods keep running', async () => {
    // Prepare: the live StatefulSet asks for smaller claims than the spec renders
    const live = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'qdrant', namespace: 'stratus-cl-01jd8w0000000000000000000a' },
      spec: {
        replicas: 1,
        volumeClaimTemplates: [
          { metadata: { name: 'storage' }, spec: { resources: { requests: { storage: '1Gi' } } } },
        ],
      },
    } as KubeObject;
    const { kube, deps } = setup(
      operation({ type: 'UPDATE', status: 'RUNNING', step: 'APPLY' }),
      cluster({ placement: 'eks-a' }),
      [live, undefined],
    );

    // Act
    await advance(msg(), deps);

    // Assess: the delete reached Kubernetes as an orphaning one, before the StatefulSet's apply
    expect(kube.delete).toHaveBeenCalledWith(expect.objectContaining({ kind: 'StatefulSet' }), {
      propagation: 'Orphan',
    });
    const deletedAt = vi.mocked(kube.delete).mock.invocationCallOrder[0] ?? 0;
    const stsApplied = vi
      .mocked(kube.apply)
      .mock.calls.findIndex(([objects]) => objects.some((o) => o.kind === 'StatefulSet'));
    expect(vi.mocked(kube.apply).mock.invocationCallOrder[stsApplied]).toBeGreaterThan(deletedAt);
  });

  it('prunes labelled objects an UPDATE no longer renders, never Secrets nor objects with an owner', async () => {
    // Prepare
    const { kube, deps } = setup(
      operation({ type: 'UPDATE', status: 'RUNNING', step: 'APPLY' }),
      cluster({ placement: 'eks-a' }),
    );
    const stale = (kind: string, name: string, extra = {}) =>
      ({ apiVersion: 'v1', kind, metadata: { name, ...extra } }) as KubeObject;
    vi.mocked(kube.list).mockImplementation(async (_apiVersion, kind) => {
      if (kind === 'Service') return [stale('Service', 'qdrant'), stale('Service', 'qdrant-old')];
      if (kind === 'PodDisruptionBudget')
        return [stale('PodDisruptionBudget', 'by-operator', { ownerReferences: [{ kind: 'X' }] })];
      if (kind === 'Secret') return [stale('Secret', 'old-credentials')];
      return [];
    });

    // Act
    await advance(msg(), deps);

    // Assess: only the unowned, unrendered Service goes; Secrets are not even listed.
    expect(kube.delete).toHaveBeenCalledTimes(1);
    expect(kube.delete).toHaveBeenCalledWith({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'qdrant-old', namespace: 'stratus-cl-01jd8w0000000000000000000a' },
    });
    expect(vi.mocked(kube.list).mock.calls.map((c) => c[1])).not.toContain('Secret');
    expect(vi.mocked(kube.list).mock.calls[0]?.[2]).toEqual({
      namespace: 'stratus-cl-01jd8w0000000000000000000a',
      labelSelector: 'app.kubernetes.io/managed-by=stratus,stratus.dev/cluster=cl-01jd8w0000000000000000000a',
    });
  });

  describe('an UPDATE prunes what its previous spec rendered and this one does not (docs/cost.md)', () => {
    const previous = (c: ClusterRecord) => ({
      nodes: c.nodes,
      sizeName: c.sizeName,
      size: c.size,
      version: c.version,
      settings: c.settings,
      generation: c.generation,
      status: 'READY' as const,
    });

    it('lists nothing and deletes nothing on a scale-up, which drops no object', async () => {
      // Prepare: 1 -> 2 nodes.
      const before = cluster({ placement: 'eks-a', status: 'READY', observedGeneration: 1 });
      const after = { ...before, nodes: 2, generation: 2, status: 'UPDATING' as const };
      const { kube, deps } = setup(
        operation({
          type: 'UPDATE',
          status: 'RUNNING',
          step: 'APPLY',
          targetGeneration: 2,
          previous: previous(before),
        }),
        after,
      );

      // Act
      expect(await advance(msg(), deps)).toBe('polling');

      // Assess
      expect(kube.apply).toHaveBeenCalled();
      expect(kube.list).not.toHaveBeenCalled();
      expect(kube.delete).not.toHaveBeenCalled();
    });

    it('deletes by name what a scale-down no longer renders (Valkey: its read Service and disruption budget), without a list', async () => {
      // Prepare: Valkey 3 -> 1 node.
      const before = cluster({
        engine: 'valkey',
        version: '8.1.1',
        nodes: 3,
        placement: 'eks-a',
        status: 'READY',
        observedGeneration: 1,
      });
      const after = { ...before, nodes: 1, generation: 2, status: 'UPDATING' as const };
      const { kube, deps } = setup(
        operation({
          type: 'UPDATE',
          status: 'RUNNING',
          step: 'APPLY',
          targetGeneration: 2,
          previous: previous(before),
        }),
        after,
      );

      // Act
      expect(await advance(msg(), deps)).toBe('polling');

      // Assess
      expect(kube.list).not.toHaveBeenCalled();
      const deleted = vi.mocked(kube.delete).mock.calls.map(([ref]) => `${ref.kind}/${ref.metadata.name}`);
      expect(deleted.sort()).toEqual(['PodDisruptionBudget/valkey', 'Service/valkey-read']);
      expect(vi.mocked(kube.delete).mock.calls[0]?.[0].metadata.namespace).toBe(
        'stratus-cl-01jd8w0000000000000000000a',
      );
    });
  });

  describe('one delivery owns a step', () => {
    it('does nothing when another delivery claimed the step', async () => {
      const { store, kube, deps, requeue } = setup(operation({ status: 'RUNNING' }), cluster());
      store.claimStep.mockRejectedValueOnce(new StaleStateError('claimed'));
      expect(await advance(msg({ reason: 'retry', attempt: 1, seq: 4 }), deps)).toBe('ignored');
      expect(kube.apply).not.toHaveBeenCalled();
      expect(requeue).not.toHaveBeenCalled();
      expect(store.finishStep).not.toHaveBeenCalled();
    });

    it('claims the step of its seq, sends its successor with seq + 1, then marks the step done', async () => {
      const { store, kube, deps, requeue } = setup(operation({ status: 'RUNNING' }), cluster());
      expect(await advance(msg({ seq: 4 }), deps, { messageId: 'm-1', receiveCount: 2 })).toBe('polling');
      expect(store.claimStep).toHaveBeenCalledWith(
        expect.objectContaining({ operationId: 'op-1' }),
        4,
        NOW.toISOString(),
        new Date(NOW.getTime() + STEP_LEASE_SECONDS * 1000).toISOString(),
        { messageId: 'm-1', receiveCount: 2 },
      );
      expect(store.claimStep.mock.invocationCallOrder[0]).toBeLessThan(
        (kube.apply as ReturnType<typeof vi.fn>).mock.invocationCallOrder[0] ?? 0,
      );
      expect(requeue).toHaveBeenCalledWith(
        expect.objectContaining({ reason: 'poll', seq: 5 }),
        expect.any(Number),
      );
      // The step the apply moved to (WAIT_READY) is recorded in the same write as the mark: no setStep.
      expect(store.finishStep).toHaveBeenCalledWith(expect.objectContaining({ operationId: 'op-1' }), 4, {
        step: 'WAIT_READY',
        now: NOW.toISOString(),
      });
      expect(store.setStep).not.toHaveBeenCalled();
    });

    it('treats a message without seq (a dispatch) as seq 0', async () => {
      const { store, deps, requeue } = setup(operation(), cluster());
      await advance(msg(), deps);
      expect((store.startOperation.mock.calls[0] as unknown[] | undefined)?.[4]).toMatchObject({ seq: 0 });
      expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ seq: 1 }), expect.any(Number));
    });

    it('does nothing when the start that carries its claim loses to another delivery: no Kubernetes call, no message', async () => {
      const { store, kube, deps, requeue } = setup(operation(), cluster());
      store.startOperation.mockRejectedValueOnce(new StaleStateError('claimed', { failed: ['operation'] }));
      expect(await advance(msg(), deps, { messageId: 'm-2', receiveCount: 1 })).toBe('ignored');
      expect(kube.apply).not.toHaveBeenCalled();
      expect(kube.get).not.toHaveBeenCalled();
      expect(requeue).not.toHaveBeenCalled();
      expect(store.finishStep).not.toHaveBeenCalled();
    });

    it('a queued operation that fails before it starts claims its step first (no start to carry it)', async () => {
      const { store, deps } = setup(operation({ deadline: '2026-11-22T09:00:00.000Z' }), cluster());
      store.claimStep.mockRejectedValueOnce(new StaleStateError('claimed'));
      expect(await advance(msg(), deps)).toBe('ignored');
      expect(store.claimStep).toHaveBeenCalledTimes(1);
      expect(store.failOperation).not.toHaveBeenCalled();
    });

    describe('a poll writes nothing before it knows what to write', () => {
      const notReady = { ...operation({ status: 'RUNNING', step: 'WAIT_READY', type: 'UPDATE' }) };

      it('claims its step before it sends the next poll, when the database is not ready', async () => {
        const { store, deps, requeue } = setup(notReady, cluster({ placement: 'eks-a' }), [undefined]);
        expect(await advance(msg({ reason: 'poll', seq: 3 }), deps)).toBe('polling');
        expect(store.claimStep).toHaveBeenCalledTimes(1);
        expect(store.claimStep.mock.invocationCallOrder[0]).toBeLessThan(
          requeue.mock.invocationCallOrder[0] ?? 0,
        );
        expect(store.finishStep).toHaveBeenCalledWith(expect.anything(), 3, undefined);
      });

      it('sends nothing when another delivery owns the step', async () => {
        const { store, deps, requeue } = setup(notReady, cluster({ placement: 'eks-a' }), [undefined]);
        store.claimStep.mockRejectedValueOnce(new StaleStateError('claimed'));
        expect(await advance(msg({ reason: 'poll', seq: 3 }), deps)).toBe('ignored');
        expect(requeue).not.toHaveBeenCalled();
        expect(store.finishStep).not.toHaveBeenCalled();
      });

      it('ends nothing when the completion that carries its claim loses: ignored, not an error to redeliver', async () => {
        const sts = {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'qdrant', generation: 1 },
          spec: { replicas: 1 },
          status: { readyReplicas: 1, observedGeneration: 1, replicas: 1, availableReplicas: 1 },
        } as KubeObject;
        const { store, deps, requeue } = setup(notReady, cluster({ placement: 'eks-a' }), [sts]);
        store.completeOperation.mockRejectedValueOnce(
          new StaleStateError('claimed', { failed: ['operation'] }),
        );
        expect(await advance(msg({ reason: 'poll', seq: 3 }), deps)).toBe('ignored');
        expect(requeue).not.toHaveBeenCalled();
        expect(store.failOperation).not.toHaveBeenCalled();
        expect(store.beginRollback).not.toHaveBeenCalled();
      });

      it('claims its step before failing an operation past its deadline', async () => {
        const { store, deps } = setup(
          { ...notReady, type: 'CREATE', deadline: '2026-11-22T09:00:00.000Z' },
          cluster({ placement: 'eks-a' }),
        );
        expect(await advance(msg({ reason: 'poll', seq: 3 }), deps)).toBe('cleaning-up');
        expect(store.claimStep.mock.invocationCallOrder[0]).toBeLessThan(
          store.beginCleanup.mock.invocationCallOrder[0] ?? 0,
        );
      });
    });

    it('leases a step for less than the visibility timeout and more than the function may run', () => {
      expect(STEP_LEASE_SECONDS).toBeGreaterThan(FUNCTIONS.provisioner.timeoutSeconds);
      expect(STEP_LEASE_SECONDS).toBeLessThan(QUEUES.provisioning.visibilityTimeoutSeconds);
    });
  });

  describe('failed CREATE clean-up', () => {
    it('a rejected CREATE starts cleaning up instead of failing at once', async () => {
      const { store, kube, deps, requeue } = setup(operation(), cluster());
      vi.mocked(kube.apply).mockRejectedValue(
        new FakeKubeError({ retryable: false, unauthorized: false, message: 'forbidden' }),
      );
      expect(await advance(msg(), deps)).toBe('cleaning-up');
      expect(store.beginCleanup).toHaveBeenCalledWith(
        expect.objectContaining({ operationId: 'op-1', status: 'RUNNING' }),
        expect.objectContaining({ code: 'KUBERNETES_REJECTED' }),
        NOW.toISOString(),
        expect.any(String),
      );
      expect(store.failOperation).not.toHaveBeenCalled();
      expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ reason: 'retry', seq: 1 }), 1);
    });

    it('a CREATE that never started fails at once: it applied nothing', async () => {
      const { store, deps } = setup(
        operation({ deadline: new Date(NOW.getTime() - 1).toISOString() }),
        cluster(),
      );
      expect(await advance(msg(), deps)).toBe('failed');
      expect(store.beginCleanup).not.toHaveBeenCalled();
    });

    it('deletes the namespace, waits until it is gone, then fails with the original error', async () => {
      const cause = { code: 'KUBERNETES_REJECTED', message: 'refused' };
      const deleting = setup(
        operation({ status: 'RUNNING', step: 'CLEANUP', cleanup: { cause } }),
        cluster({ placement: 'eks-a', status: 'PROVISIONING' }),
      );
      expect(await advance(msg({ reason: 'retry' }), deleting.deps)).toBe('polling');
      expect(deleting.kube.deleteNamespace).toHaveBeenCalledWith('stratus-cl-01jd8w0000000000000000000a');
      expect(deleting.store.finishStep).toHaveBeenCalledWith(expect.anything(), 0, {
        step: 'CLEANUP_WAIT',
        now: NOW.toISOString(),
      });

      const waiting = setup(
        operation({ status: 'RUNNING', step: 'CLEANUP_WAIT', cleanup: { cause } }),
        cluster({ placement: 'eks-a', status: 'PROVISIONING' }),
        [undefined],
      );
      expect(await advance(msg({ reason: 'poll' }), waiting.deps)).toBe('failed');
      expect(waiting.store.failOperation).toHaveBeenCalledWith(expect.anything(), cause, NOW.toISOString());
    });

    it('fails with the original error, saying the rest stays until a delete, when the clean-up fails too', async () => {
      const cause = { code: 'KUBERNETES_REJECTED', message: 'refused.' };
      const { store, kube, deps } = setup(
        operation({ status: 'RUNNING', step: 'CLEANUP', cleanup: { cause } }),
        cluster({ placement: 'eks-a', status: 'PROVISIONING' }),
      );
      vi.mocked(kube.deleteNamespace).mockRejectedValue(
        new FakeKubeError({ retryable: false, unauthorized: false, message: 'forbidden' }),
      );
      expect(await advance(msg({ reason: 'retry' }), deps)).toBe('failed');
      expect(store.failOperation).toHaveBeenCalledWith(
        expect.anything(),
        { code: 'KUBERNETES_REJECTED', message: expect.stringContaining('deleting the cluster removes it') },
        NOW.toISOString(),
      );
    });
  });

  describe('UPDATE rollback', () => {
    const previous = {
      nodes: 1,
      sizeName: 'small' as const,
      size: SIZES.small,
      version: '1.15.5',
      settings: {},
      generation: 1,
      status: 'READY' as const,
    };
    const update = (over: Partial<OperationRecord> = {}) =>
      operation({ type: 'UPDATE', status: 'RUNNING', targetGeneration: 2, previous, nodeDelta: 2, ...over });

    it('starts rolling back to the previous spec when an update is rejected', async () => {
      const { store, kube, deps, requeue } = setup(
        update(),
        cluster({ nodes: 3, generation: 2, status: 'UPDATING', placement: 'eks-a' }),
      );
      vi.mocked(kube.apply).mockRejectedValue(
        new FakeKubeError({ retryable: false, unauthorized: false, message: '422 invalid' }),
      );
      expect(await advance(msg(), deps)).toBe('rolling-back');
      expect(store.beginRollback).toHaveBeenCalledWith(
        expect.objectContaining({ operationId: 'op-1' }),
        expect.objectContaining({ nodes: 3 }),
        { code: 'KUBERNETES_REJECTED', message: expect.stringContaining('refused a change') },
        NOW.toISOString(),
        expect.any(String),
      );
      expect(store.failOperation).not.toHaveBeenCalled();
      expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ reason: 'retry' }), 1);
    });

    it('re-applies the previous spec and finishes as FAILED with the cluster READY once it is live', async () => {
      const rollback = { cause: { code: 'KUBERNETES_REJECTED', message: '422 invalid' }, generation: 3 };
      const applying = setup(
        update({ step: 'ROLLBACK_APPLY', rollback }),
        cluster({ nodes: 1, generation: 3, status: 'UPDATING', placement: 'eks-a' }),
      );
      expect(await advance(msg({ reason: 'retry' }), applying.deps)).toBe('polling');
      expect(applying.store.finishStep).toHaveBeenCalledWith(expect.anything(), 0, {
        step: 'ROLLBACK_WAIT',
        now: NOW.toISOString(),
      });
      const sts = applying.applied.flat().find((o) => o.kind === 'StatefulSet') as {
        spec?: { replicas?: number };
      };
      expect(sts.spec?.replicas).toBe(1);

      const ready = {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'qdrant', generation: 3 },
        spec: { replicas: 1 },
        status: {
          readyReplicas: 1,
          observedGeneration: 3,
          replicas: 1,
          updatedReplicas: 1,
          availableReplicas: 1,
        },
      };
      const waiting = setup(
        update({ step: 'ROLLBACK_WAIT', rollback }),
        cluster({ nodes: 1, generation: 3, status: 'UPDATING', placement: 'eks-a' }),
        [ready as KubeObject],
      );
      expect(await advance(msg({ reason: 'poll' }), waiting.deps)).toBe('succeeded');
      expect(waiting.store.finishRollback).toHaveBeenCalled();
      expect(waiting.store.completeOperation).not.toHaveBeenCalled();
    });

    it('fails for good, naming both failures, when the rollback fails too', async () => {
      const rollback = { cause: { code: 'KUBERNETES_REJECTED', message: '422 invalid' }, generation: 3 };
      const { store, kube, deps } = setup(
        update({ step: 'ROLLBACK_APPLY', rollback }),
        cluster({ placement: 'eks-a', status: 'UPDATING' }),
      );
      vi.mocked(kube.apply).mockRejectedValue(
        new FakeKubeError({ retryable: false, unauthorized: false, message: 'forbidden' }),
      );
      expect(await advance(msg(), deps)).toBe('failed');
      expect(store.beginRollback).not.toHaveBeenCalled();
      expect(store.failOperation).toHaveBeenCalledWith(
        expect.anything(),
        expect.objectContaining({
          code: 'KUBERNETES_REJECTED',
          message: expect.stringContaining('rolling back to the previous spec failed too'),
        }),
        expect.any(String),
      );
    });
  });
});

describe('Function: advance (PAUSE rollback)', () => {
  const previous = {
    nodes: 2,
    sizeName: 'small' as const,
    size: SIZES.small,
    version: '1.15.5',
    settings: {},
    generation: 1,
    status: 'READY' as const,
  };
  const pause = (over: Partial<OperationRecord> = {}) =>
    operation({ type: 'PAUSE', status: 'RUNNING', targetGeneration: 2, previous, nodeDelta: 0, ...over });
  const rejected = new FakeKubeError({ retryable: false, unauthorized: false, message: '422 invalid' });
  const running = (replicas: number, ready: number) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'qdrant', generation: 3 },
      spec: { replicas },
      status: {
        readyReplicas: ready,
        replicas: ready,
        updatedReplicas: ready,
        availableReplicas: ready,
        observedGeneration: 3,
      },
    }) as unknown as KubeObject;

  it('starts rolling a failed PAUSE of a READY cluster back to running, instead of leaving it FAILED', async () => {
    // Prepare
    const { store, kube, deps } = setup(
      pause(),
      cluster({ nodes: 2, generation: 2, status: 'PAUSING', paused: true, placement: 'eks-a' }),
    );
    vi.mocked(kube.apply).mockRejectedValue(rejected);

    // Act
    const outcome = await advance(msg(), deps);

    // Assess
    expect(outcome).toBe('rolling-back');
    expect(store.beginRollback).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'PAUSE' }),
      expect.objectContaining({ paused: true }),
      expect.objectContaining({ code: 'KUBERNETES_REJECTED' }),
      NOW.toISOString(),
      expect.any(String),
    );
    expect(store.failOperation).not.toHaveBeenCalled();
  });

  it('ends the rollback once the pods are back and ready, not once they are gone', async () => {
    // Prepare
    const rollback = { cause: { code: 'KUBERNETES_REJECTED', message: '422 invalid' }, generation: 3 };
    const rolling = pause({ step: 'ROLLBACK_WAIT', rollback });
    const c = cluster({ nodes: 2, generation: 3, status: 'RESUMING', placement: 'eks-a' });
    const stillDown = setup(rolling, c, [running(0, 0), running(0, 0)]);
    const back = setup(rolling, c, [running(2, 2), running(2, 2)]);

    // Act
    const waiting = await advance(msg({ reason: 'poll' }), stillDown.deps);
    const done = await advance(msg({ reason: 'poll' }), back.deps);

    // Assess
    expect(waiting).toBe('polling');
    expect(stillDown.store.finishRollback).not.toHaveBeenCalled();
    expect(done).toBe('succeeded');
    expect(back.store.finishRollback).toHaveBeenCalled();
    expect(back.store.completeOperation).not.toHaveBeenCalled();
  });

  it('does not roll back a RESUME, nor a PAUSE retried on a FAILED paused cluster: both fail as before', async () => {
    // Prepare
    const resume = setup(
      operation({
        type: 'RESUME',
        status: 'RUNNING',
        targetGeneration: 3,
        previous: { ...previous, paused: true, status: 'PAUSED' },
      }),
      cluster({ generation: 3, status: 'RESUMING', placement: 'eks-a' }),
    );
    const retried = setup(
      pause({ previous: { ...previous, paused: true, status: 'FAILED' } }),
      cluster({ generation: 2, status: 'PAUSING', paused: true, placement: 'eks-a' }),
    );
    vi.mocked(resume.kube.apply).mockRejectedValue(rejected);
    vi.mocked(retried.kube.apply).mockRejectedValue(rejected);

    // Act
    const outcomes = [await advance(msg(), resume.deps), await advance(msg(), retried.deps)];

    // Assess
    expect(outcomes).toEqual(['failed', 'failed']);
    expect(resume.store.beginRollback).not.toHaveBeenCalled();
    expect(retried.store.beginRollback).not.toHaveBeenCalled();
  });
});

describe('Function: advance (placement across regions, issue #9)', () => {
  const pool = [
    { name: 'eks-a', capacityNodes: 10, region: 'eu-west-1' },
    { name: 'use1-a', capacityNodes: 10, region: 'us-east-1' },
    { name: 'use1-b', capacityNodes: 10, region: 'us-east-1' },
  ];

  it("places a taken-over region's database on an EKS cluster of its own region, not the managing region's", async () => {
    // Prepare: this region (eu-west-1) manages a us-east-1 database after a takeover
    const { store, deps } = setup(
      operation({ region: 'us-east-1' }),
      cluster({ region: 'us-east-1', homeRegion: 'eu-west-1' }),
    );
    const kube = vi.spyOn(deps, 'kube');

    // Act
    const outcome = await advance(msg(), { ...deps, eksClusters: pool, kube });

    // Assess
    expect(outcome).toBe('polling');
    const placement = (vi.mocked(store.startOperation).mock.calls[0] as unknown[] | undefined)?.[2];
    expect(['use1-a', 'use1-b']).toContain(placement);
    expect(kube).toHaveBeenCalledWith(placement);
  });

  it('fails the operation with NO_EKS_CLUSTER when the pool has no EKS cluster of its region', async () => {
    // Prepare
    const { store, deps } = setup(operation({ region: 'ap-south-1' }), cluster({ region: 'ap-south-1' }));

    // Act
    const outcome = await advance(msg(), { ...deps, eksClusters: pool });

    // Assess
    expect(outcome).toBe('failed');
    expect(store.startOperation).not.toHaveBeenCalled();
    expect(store.failOperation).toHaveBeenCalledWith(
      expect.objectContaining({ operationId: 'op-1' }),
      { code: 'NO_EKS_CLUSTER', message: 'Stratus has no capacity to run databases in ap-south-1' },
      NOW.toISOString(),
    );
  });

  it('keeps a recorded placement without looking at the pool', async () => {
    // Prepare
    const { store, deps } = setup(operation(), cluster({ placement: 'eks-old', region: 'eu-west-1' }));

    // Act
    await advance(msg(), { ...deps, eksClusters: [] });

    // Assess
    expect((vi.mocked(store.startOperation).mock.calls[0] as unknown[] | undefined)?.[2]).toBe('eks-old');
  });
});

describe('Function: advance (public endpoint, issue #17)', () => {
  beforeEach(() => vi.restoreAllMocks());

  const GATEWAY = {
    name: 'stratus-gateway',
    namespace: 'stratus-gateway',
    proxyNamespace: 'envoy-gateway-system',
    hostSuffix: 'eu-west-1.db.example.com',
    port: 443,
    issuer: 'stratus-endpoints',
  };
  const pool = [{ name: 'eks-a', capacityNodes: 10, region: 'eu-west-1', gateway: GATEWAY }];
  const publicCluster = () =>
    cluster({ endpointSettings: { public: true, allowedCidrs: ['203.0.113.0/24'], tokenCheck: true } });
  const readySts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'qdrant', generation: 1 },
    spec: { replicas: 1 },
    status: { readyReplicas: 1, observedGeneration: 1, replicas: 1, availableReplicas: 1 },
  } as KubeObject;
  const certificate = (ready: boolean) =>
    ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'stratus-endpoint' },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }) as KubeObject;
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  /** Kubernetes as it stands: the StatefulSet ready, the Certificate as given, its Secret with `ca.crt`. */
  function kubeWith(setup0: ReturnType<typeof setup>, cert: KubeObject) {
    const kube: KubePort = {
      ...setup0.kube,
      get: vi.fn(async (ref) => {
        if (ref.kind === 'StatefulSet') return readySts;
        if (ref.kind === 'Certificate') return cert;
        if (ref.kind === 'Secret' && ref.metadata.name === 'stratus-endpoint-tls')
          return {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: ref.metadata,
            data: { 'ca.crt': Buffer.from(CA).toString('base64') },
          } as KubeObject;
        return undefined;
      }),
    };
    return kube;
  }

  it('applies the gateway objects, and is not READY until cert-manager issued the certificate', async () => {
    // Prepare
    const s = setup(operation(), publicCluster());
    const kube = kubeWith(s, certificate(false));

    // Act
    const outcome = await advance(msg(), { ...s.deps, eksClusters: pool, kube: async () => kube });

    // Assess
    expect(outcome).toBe('polling');
    expect(s.store.completeOperation).not.toHaveBeenCalled();
    const applied = (kube.apply as ReturnType<typeof vi.fn>).mock.calls.flatMap((c) => c[0] as KubeObject[]);
    expect(applied.filter((o) => o.metadata.name === 'stratus-endpoint').map((o) => o.kind)).toEqual([
      'Certificate',
      'ListenerSet',
      'HTTPRoute',
      'SecurityPolicy',
    ]);
  });

  it('stores the external host, port and the CA from the certificate Secret once it is issued', async () => {
    // Prepare
    const s = setup(operation({ status: 'RUNNING', step: 'WAIT_READY' }), publicCluster());
    const kube = kubeWith(s, certificate(true));

    // Act
    const outcome = await advance(msg({ reason: 'poll' }), {
      ...s.deps,
      eksClusters: pool,
      kube: async () => kube,
    });

    // Assess
    expect(outcome).toBe('succeeded');
    expect(s.store.completeOperation).toHaveBeenCalledWith(
      expect.objectContaining({ operationId: 'op-1' }),
      expect.objectContaining({
        port: 6333,
        externalEndpoint: {
          host: 'cl-01jd8w0000000000000000000a.eu-west-1.db.example.com',
          port: 443,
          caBundle: CA,
        },
      }),
      NOW.toISOString(),
      // The step claim rides on the completion at a poll (issue #12).
      expect.objectContaining({ now: NOW.toISOString() }),
    );
  });

  it("waits on a TLS cluster for the database's own certificate too, then stores its CA for in-cluster clients", async () => {
    // Prepare
    const s = setup(
      operation({ status: 'RUNNING', step: 'WAIT_READY' }),
      cluster({
        tls: true,
        endpointSettings: { public: true, allowedCidrs: ['203.0.113.0/24'], tokenCheck: true },
      }),
    );
    const DB_CA = '-----BEGIN CERTIFICATE-----\nDBCA\n-----END CERTIFICATE-----\n';
    let databaseCertReady = false;
    const kube = kubeWith(s, certificate(true));
    const get = kube.get as ReturnType<typeof vi.fn>;
    const base = get.getMockImplementation() as KubePort['get'];
    get.mockImplementation(async (ref) => {
      if (ref.kind === 'Certificate' && ref.metadata.name === 'stratus-tls')
        return { ...certificate(databaseCertReady), metadata: { name: 'stratus-tls' } } as KubeObject;
      if (ref.kind === 'Secret' && ref.metadata.name === 'stratus-tls')
        return {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: ref.metadata,
          data: { 'ca.crt': Buffer.from(DB_CA).toString('base64') },
        } as KubeObject;
      return base(ref);
    });
    const deps = { ...s.deps, eksClusters: pool, kube: async () => kube };

    // Act
    const waiting = await advance(msg({ reason: 'poll' }), deps);
    databaseCertReady = true;
    const done = await advance(msg({ reason: 'poll' }), deps);

    // Assess
    expect(waiting).toBe('polling');
    expect(done).toBe('succeeded');
    expect(s.store.completeOperation).toHaveBeenCalledTimes(1);
    expect(s.store.completeOperation).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({
        endpoint: 'https://qdrant.stratus-cl-01jd8w0000000000000000000a.svc.cluster.local:6333',
        caBundle: DB_CA,
        // Qdrant is re-encrypted to: outside, clients see the gateway's certificate and its CA;
        // with TLS its gRPC port is exposed too, on its own host.
        externalEndpoint: expect.objectContaining({
          caBundle: CA,
          grpcHost: 'cl-01jd8w0000000000000000000a-grpc.eu-west-1.db.example.com',
        }),
      }),
      NOW.toISOString(),
      expect.anything(),
    );
  });

  it('fails a TLS cluster placed on an EKS cluster without a gateway (its certificate issuer is gone), applying nothing', async () => {
    // Prepare
    const s = setup(operation(), cluster({ tls: true }));

    // Act
    await advance(msg(), s.deps);

    // Assess
    expect(recordedError(s.store)?.code).toBe('ENDPOINTS_NOT_CONFIGURED');
    expect(recordedError(s.store)?.message).toMatch(/issuer/);
    expect(s.kube.apply).not.toHaveBeenCalled();
  });

  it('fails a public cluster placed on an EKS cluster without a gateway (ENDPOINTS_NOT_CONFIGURED), applying nothing', async () => {
    // Prepare
    const s = setup(operation(), publicCluster());

    // Act
    await advance(msg(), s.deps);

    // Assess
    expect(recordedError(s.store)?.code).toBe('ENDPOINTS_NOT_CONFIGURED');
    expect(s.kube.apply).not.toHaveBeenCalled();
  });
});
