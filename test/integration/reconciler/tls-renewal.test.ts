import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileResult } from '../../../functions/reconciler/handler.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  eventually,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  shippedConfigWithGateways,
  startTestRuntime,
} from '../../helpers/local.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are read freely in assertions
type Any = any;

const NOT_BEFORE = 'stratus.dev/tls-not-before';
const RESTARTED_FOR = 'stratus.dev/tls-restarted-for';

/**
 * Restarts on certificate renewal (functions/reconciler/renewal.ts) over the wire: the reconciler's
 * sweep, run by hand, against the Kubernetes stand-in, which plays cert-manager (the Certificate's
 * `status.notBefore`) and the StatefulSet controller (new pods for a new template). A renewal is
 * played as cert-manager writes it: through the Certificate's `/status`.
 */
describe('Reconciler: restarts on certificate renewal', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // EKS clusters with a gateway (so cert-manager): clusters created there get TLS.
    const config = shippedConfigWithGateways('db.example.test');
    // No scheduled run during the test: each sweep is run by hand.
    rt = await startTestRuntime({ config, scheduleIntervalMs: 3_600_000 });
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  /** One reconciler run (deadlines, then a whole drift sweep), now. */
  async function sweep(): Promise<ReconcileResult['drift']> {
    const s = rt.triggers.schedules[0];
    if (!s) throw new Error('no schedule trigger');
    const result = (await s.runNow()) as ReconcileResult | undefined;
    if (!result) throw new Error('the reconciler run failed (see the log)');
    expect(result.drift.cycleCompleted).toBe(true);
    return result.drift;
  }
  const objectsOf = (namespace: string) =>
    (rt.kube?.list() ?? []).filter((o) => o.metadata.namespace === namespace) as Any[];
  const find = (namespace: string, kind: string, name: string): Any =>
    objectsOf(namespace).find((o: KubeObject) => o.kind === kind && o.metadata.name === name);
  const podUid = (namespace: string) =>
    find(namespace, 'Pod', 'valkey-0')?.metadata.uid as string | undefined;
  /** What cert-manager writes when it renews the certificate (status subresource). */
  async function renew(namespace: string, notBefore: string): Promise<void> {
    const kube = rt.kube;
    if (!kube) throw new Error('no stand-in');
    const res = await fetch(
      `${kube.plainUrl}/apis/cert-manager.io/v1/namespaces/${namespace}/certificates/stratus-tls/status`,
      {
        method: 'PATCH',
        headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ status: { notBefore, revision: 2 } }),
      },
    );
    expect(res.status).toBe(200);
  }

  it('records the certificate of a TLS Valkey cluster, rolls its pods once cert-manager renews it, and only once', async () => {
    // Prepare: a TLS Valkey cluster, READY
    const created = await api('POST', '/v1/clusters', {
      name: 'sessions',
      engine: 'valkey',
      region: rt.region,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.cluster.id as string;
    expect((await settleOperation(api, created.body.operation.id, 30_000)).body.status).toBe('SUCCEEDED');
    const namespace = namespaceOf(id);
    expect(find(namespace, 'StatefulSet', 'valkey').spec.template.spec.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ secret: expect.objectContaining({ secretName: 'stratus-tls' }) }),
      ]),
    );
    const issued = find(namespace, 'Certificate', 'stratus-tls').status.notBefore as string;
    expect(issued).toEqual(expect.any(String));
    const firstPod = await eventually(
      async () => podUid(namespace),
      (uid) => uid !== undefined,
    );

    // Act: a sweep
    const first = await sweep();

    // Assess: recorded on the StatefulSet, the pods left running
    expect(first).toMatchObject({ certificatesRecorded: 1, certificateRestarts: 0, repaired: 0, errors: 0 });
    const recorded = find(namespace, 'StatefulSet', 'valkey');
    expect(recorded.metadata.annotations[NOT_BEFORE]).toBe(issued);
    expect(recorded.spec.template.metadata.annotations?.[RESTARTED_FOR]).toBeUndefined();
    expect(podUid(namespace)).toBe(firstPod);

    // Act: cert-manager renews the certificate; a sweep
    const renewed = new Date(Date.parse(issued) + 60 * 24 * 3600 * 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    await renew(namespace, renewed);
    const second = await sweep();

    // Assess: a rolling restart (the pod template's annotation), the pods recreated
    expect(second).toMatchObject({ certificatesRecorded: 0, certificateRestarts: 1, repaired: 0, errors: 0 });
    const restarted = find(namespace, 'StatefulSet', 'valkey');
    expect(restarted.metadata.annotations[NOT_BEFORE]).toBe(renewed);
    expect(restarted.spec.template.metadata.annotations[RESTARTED_FOR]).toBe(renewed);
    const managers = restarted.metadata.managedFields.map((m: Any) => `${m.manager}:${m.operation}`);
    expect(managers).toContain('stratus-reconciler:Update');
    const secondPod = await eventually(
      async () => podUid(namespace),
      (uid) => uid !== undefined && uid !== firstPod,
    );
    expect(find(namespace, 'Pod', 'valkey-0').metadata.annotations?.[RESTARTED_FOR]).toBe(renewed);

    // Act: a third sweep
    const third = await sweep();

    // Assess: nothing more; the cluster saw no operation and the bus no drift
    expect(third).toMatchObject({ certificatesRecorded: 0, certificateRestarts: 0, repaired: 0, errors: 0 });
    expect(find(namespace, 'StatefulSet', 'valkey').spec.template.metadata.annotations[RESTARTED_FOR]).toBe(
      renewed,
    );
    expect(podUid(namespace)).toBe(secondPod);
    const ops = await api('GET', `/v1/clusters/${id}/operations`);
    expect(ops.body.items.map((o: { type: string }) => o.type)).toEqual(['CREATE']);
    expect(
      rt.bus
        .events()
        .filter((e) => e['detail-type'] === 'Cluster Drift Detected' && e.detail.clusterId === id),
    ).toEqual([]);

    // Act: an UPDATE (public on): the provisioner applies the StatefulSet again, as `stratus`
    const updated = await api('PATCH', `/v1/clusters/${id}`, {
      endpoint: { public: true, allowedCidrs: ['203.0.113.0/24'] },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(202);
    expect((await settleOperation(api, updated.body.operation.id, 30_000)).body.status).toBe('SUCCEEDED');
    const fourth = await sweep();

    // Assess: its apply kept the reconciler's annotations (another field manager's), so no restart
    const applied = find(namespace, 'StatefulSet', 'valkey');
    expect(applied.metadata.annotations[NOT_BEFORE]).toBe(renewed);
    expect(applied.spec.template.metadata.annotations[RESTARTED_FOR]).toBe(renewed);
    expect(fourth).toMatchObject({ certificatesRecorded: 0, certificateRestarts: 0, repaired: 0, errors: 0 });
    expect(podUid(namespace)).toBe(secondPod);
  }, 120_000);
});
