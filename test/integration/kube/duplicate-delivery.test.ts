import type { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advance,
  applyRendered,
  type KubePort,
  type WorkflowDeps,
} from '../../../functions/provisioner/workflow.js';
import type { ClusterRecord, OperationRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { specOf } from '../../../functions/shared/domain/spec.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { valkeyBlueprint } from '../../../functions/shared/engines/valkey.js';
import { createKubeClient, type KubeClient } from '../../../functions/shared/kube/client.js';
import { classifyKubeError } from '../../../functions/shared/kube/errors.js';
import type { ProvisioningMessage } from '../../../functions/shared/schemas/messages.js';
import { clusterItem, operationItem, type Store } from '../../../functions/shared/store/store.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { kubeConfigFor, startTestStandin } from '../../helpers/kube.js';
import { RUNTIME_START_TIMEOUT_MS } from '../../helpers/local.js';
import { startTestTable, type TestTable } from '../../helpers/table.js';

/**
 * Issue #10, item 4: the same provisioning message delivered twice (stream retries re-send
 * records; SQS delivers at least once) must not generate two passwords nor start two poll chains.
 * The real workflow, store and Kubernetes client, against DynamoDB Local and the kube stand-in.
 */
const REGION = 'eu-west-1';
const TABLE = 'stratus-dup';
const NOW = new Date().toISOString();

describe('Integration: duplicate deliveries of one provisioning message', () => {
  let table: TestTable;
  let ddb: DynamoDBDocumentClient;
  let store: Store;
  let standin: KubeStandin;
  let kube: KubeClient;
  let n = 0;

  const silent = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;

  beforeAll(async () => {
    table = await startTestTable(TABLE);
    ddb = table.doc;
    store = table.store(REGION);
    standin = await startTestStandin({ readinessDelayMs: 60_000 });
    kube = createKubeClient(kubeConfigFor(standin));
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    await standin?.stop();
    await table?.stop();
  });

  /** A Valkey CREATE, queued, with its cluster: what the API writes. */
  async function seed(): Promise<{ cluster: ClusterRecord; op: OperationRecord }> {
    n++;
    const suffix = String(n).padStart(3, '0');
    const cluster: ClusterRecord = {
      tenantId: 'tn-dup',
      clusterId: `cl-01jd8w00000000000000000${suffix}`,
      name: `dup${n}`,
      engine: 'valkey',
      version: '8.1.1',
      region: REGION,
      homeRegion: REGION,
      nodes: 1,
      sizeName: 'small',
      size: SIZES.small,
      settings: {},
      deletionProtection: false,
      status: 'PENDING',
      generation: 1,
      observedGeneration: 0,
      statusVersion: 1,
      activeOperationId: `op-01jd8w00000000000000000${suffix}`,
      createdAt: NOW,
      updatedAt: NOW,
    };
    const op: OperationRecord = {
      tenantId: cluster.tenantId,
      operationId: cluster.activeOperationId as string,
      clusterId: cluster.clusterId,
      region: REGION,
      homeRegion: REGION,
      type: 'CREATE',
      status: 'QUEUED',
      step: 'APPLY',
      statusVersion: 1,
      targetGeneration: 1,
      correlationId: `corr-dup-${n}`,
      createdAt: NOW,
      updatedAt: NOW,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await ddb.send(new PutCommand({ TableName: TABLE, Item: clusterItem(cluster) }));
    await ddb.send(new PutCommand({ TableName: TABLE, Item: operationItem(op) }));
    return { cluster, op };
  }

  /**
   * The workflow's dependencies, recording every message it sends and every password it writes.
   * `gate`: Secret reads wait until `gate` deliveries read it (or 1 s passed), so that two
   * concurrent deliveries both read before either writes, whatever the machine's load.
   */
  function harness(gate = 1) {
    const sent: ProvisioningMessage[] = [];
    const passwords: string[] = [];
    let waiting = 0;
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const record = (objects: readonly KubeObject[]) => {
      for (const o of objects) {
        if (o.kind !== 'Secret') continue;
        const s = o as { stringData?: Record<string, string> };
        if (s.stringData?.password) passwords.push(s.stringData.password);
      }
    };
    const port: KubePort = {
      ...kube,
      apply: async (objects) => {
        record(objects);
        await kube.apply(objects);
      },
      create: async (obj) => {
        record([obj]);
        return kube.create(obj);
      },
      get: async (ref) => {
        if (ref.kind === 'Secret' && gate > 1) {
          if (++waiting >= gate) open();
          await Promise.race([opened, new Promise((r) => setTimeout(r, 1_000))]);
        }
        return kube.get(ref);
      },
    };
    const deps: WorkflowDeps = {
      store,
      kube: async () => port,
      invalidateKube: () => {},
      classify: classifyKubeError,
      requeue: async (message) => {
        sent.push(message);
      },
      eksClusters: [{ name: 'eks-a', capacityNodes: 100, region: REGION }],
      now: () => new Date(),
      logger: silent,
      pollBaseSeconds: 1,
      maxTransientRetries: 3,
    };
    return { deps, sent, passwords };
  }

  const storedPassword = async (clusterId: string) => {
    const secret = await kube.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'valkey-credentials', namespace: namespaceOf(clusterId) },
    });
    const data = (secret?.data ?? {}) as Record<string, string>;
    return Buffer.from(data.password ?? '', 'base64').toString('utf8');
  };
  const polls = (sent: ProvisioningMessage[]) => sent.filter((m) => m.reason === 'poll');

  it('the same dispatch delivered twice, one after the other, applies once and starts one poll chain', async () => {
    // Prepare
    const { cluster, op } = await seed();
    const { deps, sent, passwords } = harness();
    const dispatch: ProvisioningMessage = {
      v: 1,
      tenantId: op.tenantId,
      operationId: op.operationId,
      clusterId: op.clusterId,
      reason: 'dispatch',
      attempt: 0,
    };

    // Act
    const first = await advance(dispatch, deps);
    const second = await advance(dispatch, deps);

    // Assess
    expect(first).toBe('polling');
    expect(second).toBe('ignored');
    expect(polls(sent)).toHaveLength(1);
    expect(new Set(passwords).size).toBe(1);
    expect(await storedPassword(cluster.clusterId)).toBe(passwords[0]);
  });

  it('a retry of an APPLY delivered twice at once generates one password and starts one poll chain', async () => {
    // Prepare: the dispatch meets a Kubernetes outage and schedules a retry of the APPLY step.
    const { cluster, op } = await seed();
    const outage = harness();
    standin.setFaults({ errorRate: 1, errorStatus: 503 });
    try {
      expect(
        await advance(
          {
            v: 1,
            tenantId: op.tenantId,
            operationId: op.operationId,
            clusterId: op.clusterId,
            reason: 'dispatch',
            attempt: 0,
          },
          outage.deps,
        ),
      ).toBe('retrying');
    } finally {
      standin.setFaults({});
    }
    const retry = outage.sent.at(-1) as ProvisioningMessage;
    expect(retry.reason).toBe('retry');
    const { deps, sent, passwords } = harness(2);

    // Act: SQS delivers the retry twice, concurrently.
    const outcomes = await Promise.all([advance(retry, deps), advance(retry, deps)]);

    // Assess: one delivery did the step, the other nothing.
    expect(outcomes.sort()).toEqual(['ignored', 'polling']);
    expect(polls(sent)).toHaveLength(1);
    expect(new Set(passwords).size).toBe(1);
    expect(await storedPassword(cluster.clusterId)).toBe(passwords[0]);
  });

  it('a poll delivered twice schedules one next poll', async () => {
    // Prepare
    const { op } = await seed();
    const first = harness();
    await advance(
      {
        v: 1,
        tenantId: op.tenantId,
        operationId: op.operationId,
        clusterId: op.clusterId,
        reason: 'dispatch',
        attempt: 0,
      },
      first.deps,
    );
    const poll = polls(first.sent)[0] as ProvisioningMessage;
    const { deps, sent } = harness();

    // Act
    await Promise.all([advance(poll, deps), advance(poll, deps)]);
    await advance(poll, deps);

    // Assess: the workload is not ready yet (60 s readiness delay): exactly one next poll.
    expect(polls(sent)).toHaveLength(1);
  });

  it('two applies of a new cluster racing on its Secret keep one password: created only if absent', async () => {
    // Prepare: both read "no Secret" before either creates it (the claim is bypassed here).
    const { cluster } = await seed();
    const { deps, passwords } = harness(2);
    const port = await deps.kube('eks-a');
    const spec = specOf(cluster);
    const ids = { operationId: 'op-x', correlationId: 'corr-x' };

    // Act
    const [a, b] = await Promise.all([
      applyRendered(port, valkeyBlueprint, spec, ids),
      applyRendered(port, valkeyBlueprint, spec, ids),
    ]);

    // Assess: one Secret was created; the loser rendered with the winner's password.
    expect(new Set(passwords).size).toBe(2); // each generated a candidate and tried to create it
    const stored = await storedPassword(cluster.clusterId);
    const rendered = (objs: KubeObject[]) =>
      (objs.find((o) => o.kind === 'Secret') as unknown as { stringData: { password: string } }).stringData
        .password;
    expect(rendered(a)).toBe(stored);
    expect(rendered(b)).toBe(stored);
  });

  it('a redelivery of the same queue message takes over the step its dead delivery claimed; a copy does not', async () => {
    // Prepare: the delivery of message m-1 claimed the dispatch step, then died.
    const { op } = await seed();
    const stored = await store.operations.get(op.tenantId, op.operationId);
    if (!stored) throw new Error('not seeded');
    const now = new Date();
    await store.operations.claimStep(
      stored,
      0,
      now.toISOString(),
      new Date(now.getTime() + 240_000).toISOString(),
      {
        messageId: 'm-1',
        receiveCount: 1,
      },
    );
    const { deps, sent } = harness();
    const dispatch: ProvisioningMessage = {
      v: 1,
      tenantId: op.tenantId,
      operationId: op.operationId,
      clusterId: op.clusterId,
      reason: 'dispatch',
      attempt: 0,
    };

    // Act: a copy (another message id), a copy of m-1 received alongside, then m-1 redelivered.
    const copy = await advance(dispatch, deps, { messageId: 'm-2', receiveCount: 1 });
    const alongside = await advance(dispatch, deps, { messageId: 'm-1', receiveCount: 1 });
    const redelivery = await advance(dispatch, deps, { messageId: 'm-1', receiveCount: 2 });

    // Assess
    expect(copy).toBe('ignored');
    expect(alongside).toBe('ignored');
    expect(redelivery).toBe('polling');
    expect(polls(sent)).toHaveLength(1);
  });
});
