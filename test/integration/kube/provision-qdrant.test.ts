import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qdrantBlueprint } from '../../../functions/shared/engines/qdrant.js';
import { getBlueprint } from '../../../functions/shared/engines/registry.js';
import { clusterSelector, LABELS, namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import { createKubeClient, type KubeClient } from '../../../functions/shared/kube/client.js';
import { KubeApiError } from '../../../functions/shared/kube/errors.js';
import { fileKubeConfigProvider } from '../../../functions/shared/kube/provider.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { kubeConfigFor, manualClock, startTestStandin } from '../../helpers/kube.js';
import { clusterSpec, madeByController, renderContext, TEST_API_KEY } from '../../helpers/kube-fixtures.js';

/** The provisioner's path end to end against the stand-in, through a kubeconfig file. */
describe('Integration: provision a Qdrant cluster on the Kubernetes stand-in', () => {
  let standin: KubeStandin;
  let dir: string;
  let kube: KubeClient;
  const blueprint = getBlueprint('qdrant') ?? qdrantBlueprint;
  const spec = clusterSpec({ nodes: 3, settings: blueprint.settingsSchema.parse({}) });
  const namespace = namespaceOf(spec.clusterId);
  /** The stand-in's clock: readiness and namespace termination happen when a test moves it. */
  const clock = manualClock();
  const READINESS_DELAY_MS = 300;
  const NAMESPACE_TERMINATION_MS = 50;

  beforeAll(async () => {
    standin = await startTestStandin({
      readinessDelayMs: READINESS_DELAY_MS,
      namespaceTerminationMs: NAMESPACE_TERMINATION_MS,
      now: clock.now,
    });
    dir = await mkdtemp(join(tmpdir(), 'stratus-kube-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await standin.writeKubeconfig(kubeconfig);
    const provider = fileKubeConfigProvider(kubeconfig);
    kube = createKubeClient(await provider.get('stratus-eu-west-1-a'));
  });
  afterAll(async () => {
    await standin.stop();
    await rm(dir, { recursive: true });
  });

  it('applies, becomes ready, is labelled for the reconciler, and is deleted with its namespace', async () => {
    // Act: apply, then poll readiness as the provisioner does, the simulated controller's clock
    // standing still between polls however long each takes.
    const objects = blueprint.render(spec, renderContext());
    await kube.apply(objects);
    const poll = async () =>
      blueprint.readiness(spec, await Promise.all(blueprint.readinessRefs(spec).map((r) => kube.get(r))));
    const notYet = await poll();
    clock.advance(READINESS_DELAY_MS - 1);
    const almost = await poll();
    clock.advance(1);
    const ready = await poll();

    // Assess: readiness came from the simulated controller, after its delay and not before.
    expect(notYet).toMatchObject({ ready: false });
    expect(almost).toMatchObject({ ready: false });
    expect(ready).toMatchObject({ ready: true });

    // Assess: everything Stratus rendered is stored and findable by its labels.
    const stored = standin
      .list()
      .filter((o) => o.metadata.namespace === namespace || o.metadata.name === namespace)
      .filter((o) => !madeByController(o));
    expect(stored.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    for (const obj of stored) {
      expect(obj.metadata.labels).toMatchObject({
        [LABELS.managedBy]: 'stratus',
        [LABELS.tenant]: spec.tenantId,
        [LABELS.cluster]: spec.clusterId,
      });
    }
    const owned = await kube.list('apps/v1', 'StatefulSet', {
      labelSelector: clusterSelector(spec.clusterId),
    });
    expect(owned.map((o) => o.metadata.name)).toEqual(['qdrant']);

    // Assess: the key is readable back from the Secret (what a retry uses), and only there.
    const ref = blueprint.connection(spec).credentialRef;
    const secret = await kube.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref?.name ?? '', namespace },
    });
    const data = secret?.data as Record<string, string>;
    expect(Buffer.from(data[ref?.key ?? ''] ?? '', 'base64').toString()).toBe(TEST_API_KEY);
    expect(JSON.stringify(stored.filter((o) => o.kind !== 'Secret'))).not.toContain(TEST_API_KEY);

    // Act: delete, then confirm gone.
    expect(await kube.deleteNamespace(namespace)).toBe('deleted');
    expect(await kube.deleteNamespace(namespace)).toBe('deleted'); // still terminating
    clock.advance(NAMESPACE_TERMINATION_MS);
    expect(await kube.deleteNamespace(namespace)).toBe('gone');

    // Assess
    expect(
      await kube.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
    ).toBeUndefined();
    expect(standin.list().filter((o) => o.metadata.namespace === namespace)).toEqual([]);
  });

  it('re-applying an unchanged cluster is a no-op for the workload (no generation bump)', async () => {
    // Prepare
    const other = clusterSpec({
      clusterId: 'cl-01jd8w3k5m7n9p1q3r5s7t9v9z',
      settings: blueprint.settingsSchema.parse({}),
    });
    await kube.apply(blueprint.render(other, renderContext()));
    const ref = blueprint.readinessRefs(other)[0];
    if (!ref) throw new Error('no readiness ref');
    const before = await kube.get(ref);

    // Act: a later operation re-renders with new annotations only.
    await kube.apply(
      blueprint.render(other, renderContext({ operationId: 'op-01jd8w3k5m7n9p1q3r5s7t9vaa' })),
    );
    const after = await kube.get(ref);

    // Assess
    expect(after?.metadata.generation).toBe(before?.metadata.generation);
    expect(after?.metadata.annotations?.['stratus.dev/operation-id']).toBe('op-01jd8w3k5m7n9p1q3r5s7t9vaa');
  });

  it('reports a wrong token as unauthorized, so the caller refreshes it once', async () => {
    const intruder = createKubeClient(kubeConfigFor(standin, 'not-the-token'));
    const err = await intruder.apply(blueprint.render(spec, renderContext())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 401, unauthorized: true, retryable: false });
  });

  it('reports an injected 503 as retryable', async () => {
    standin.setFaults({ errorRate: 1, errorStatus: 503 });
    try {
      const err = await kube
        .get(
          blueprint.readinessRefs(spec)[0] ?? {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: 'x' },
          },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toMatchObject({
        status: 503,
        reason: 'ServiceUnavailable',
        retryable: true,
        unauthorized: false,
      });
    } finally {
      standin.setFaults({});
    }
  });
});
