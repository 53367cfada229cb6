import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRendered, prune } from '../../../functions/provisioner/workflow.js';
import { engineNames, getBlueprint } from '../../../functions/shared/engines/registry.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { createKubeClient } from '../../../functions/shared/kube/client.js';
import { fileKubeConfigProvider, type KubeConfigProvider } from '../../../functions/shared/kube/provider.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { type CountingProxy, manualClock, startCountingProxy, startTestStandin } from '../../helpers/kube.js';
import { clusterSpec, madeByController, renderContext } from '../../helpers/kube-fixtures.js';

interface Figures {
  engine: string;
  objects: number;
  /**
   * The provisioner's apply in the delivery that starts a CREATE: apply the objects before the
   * credential Secret, create it (POST, only if absent: nothing to read yet), apply the rest.
   */
  apply: number;
  /** Discovery requests among `apply` (one per apiVersion not seen by this client yet). */
  applyDiscovery: number;
  perPoll: number;
  polls: number;
  /**
   * The same apply again with a warm client (discovery cached): a retry or an update, which read
   * the Secret first (to never rotate it) instead of writing it.
   */
  warmApply: number;
  /**
   * Pruning by listing: one list per kind the blueprint may render (Secrets excepted). A CREATE
   * does not prune, an UPDATE deletes by name what it no longer renders; a rollback lists.
   */
  prune: number;
}

/** The provisioner's path for every engine, through a kubeconfig file, counting API requests. */
describe('Integration: provision every engine on the Kubernetes stand-in', () => {
  let standin: KubeStandin;
  let proxy: CountingProxy;
  let dir: string;
  let provider: KubeConfigProvider;
  const figures: Figures[] = [];
  /** The stand-in's clock, moved by the provisioner's poll interval between polls. */
  const clock = manualClock();
  const READINESS_DELAY_MS = 300;
  const POLL_INTERVAL_MS = 100;
  const NAMESPACE_TERMINATION_MS = 50;

  beforeAll(async () => {
    standin = await startTestStandin({
      readinessDelayMs: READINESS_DELAY_MS,
      namespaceTerminationMs: NAMESPACE_TERMINATION_MS,
      now: clock.now,
    });
    proxy = await startCountingProxy(standin);
    dir = await mkdtemp(join(tmpdir(), 'stratus-engines-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, proxy.kubeconfigYaml(standin), { mode: 0o600 });
    provider = fileKubeConfigProvider(kubeconfig);
  });
  afterAll(async () => {
    if (figures.length > 0) {
      console.log(
        [
          'Kubernetes API calls per create (3 nodes; cold client = first use of an EKS token):',
          'engine      objects  apply  (discovery)  = create  per-poll  polls  warm-apply  prune (a rollback)',
          ...figures.map((f) =>
            [
              f.engine.padEnd(11),
              String(f.objects).padStart(7),
              String(f.apply).padStart(6),
              `(${f.applyDiscovery})`.padStart(12),
              String(f.apply).padStart(9),
              String(f.perPoll).padStart(9),
              String(f.polls).padStart(6),
              String(f.warmApply).padStart(11),
              String(f.prune).padStart(18),
            ].join(' '),
          ),
        ].join('\n'),
      );
    }
    await proxy?.stop();
    await standin?.stop();
    if (dir) await rm(dir, { recursive: true });
  });

  it.each(engineNames())('%s: renders, applies, becomes ready, connects, and is deleted', async (engine) => {
    const bp = getBlueprint(engine);
    if (!bp) throw new Error(`no blueprint ${engine}`);
    const spec = clusterSpec({
      engine,
      clusterId: `cl-it-${engine}`,
      version: bp.versions.at(-1),
      nodes: 3,
      settings: bp.settingsSchema.parse({}),
    });
    const namespace = namespaceOf(spec.clusterId);
    // A fresh client, as after a new EKS token: its discovery cache is empty.
    const kube = createKubeClient(await provider.get('stratus-eu-west-1-a'));
    const count = async (fn: () => Promise<unknown>) => {
      proxy.reset();
      await fn();
      return { total: proxy.total(), discovery: proxy.counts()['GET discovery'] ?? 0 };
    };

    // Act: create as the provisioner's first delivery of a CREATE does (nothing to read yet).
    let objects: KubeObject[] = [];
    const apply = await count(async () => {
      objects = await applyRendered(kube, bp, spec, renderContext(), { fresh: true });
    });
    const pruning = await count(async () => {
      expect(await prune(kube, bp, spec, objects)).toEqual([]);
    });
    const secret = objects.find((o) => o.kind === 'Secret') as { stringData?: Record<string, string> };
    const secrets = secret?.stringData ?? {};
    const live = () => Promise.all(bp.readinessRefs(spec).map((ref) => kube.get(ref)));
    const first = bp.readiness(spec, await live());
    let polls = 0;
    let perPoll = 0;
    for (;;) {
      proxy.reset();
      const readiness = bp.readiness(spec, await live());
      polls += 1;
      perPoll = proxy.total();
      if (!readiness.ready && readiness.permanent) throw new Error(readiness.reason);
      if (readiness.ready) break;
      if (polls > READINESS_DELAY_MS / POLL_INTERVAL_MS)
        throw new Error(`${engine}: not ready after ${polls} polls`);
      clock.advance(POLL_INTERVAL_MS);
    }

    // Assess: not ready until the simulated controller or operator converged, then ready.
    expect(first).toMatchObject({ ready: false });
    // Ready on the poll at which the clock reached the delay: neither sooner nor later.
    expect(polls).toBe(READINESS_DELAY_MS / POLL_INTERVAL_MS + 1);

    // Assess: everything rendered is stored; the credentials read back unchanged (no rotation on retry).
    const stored = standin
      .list()
      .filter((o) => o.metadata.namespace === namespace || o.metadata.name === namespace)
      .filter((o) => !madeByController(o));
    expect(stored.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    let again: KubeObject[] = [];
    const warmApply = await count(async () => {
      // A redelivered CREATE: its StatefulSet already has these claims (no read to compare them).
      again = await applyRendered(kube, bp, spec, renderContext(), { claimsUnchanged: true });
    });
    expect(again).toEqual(objects);

    // Assess: connection info names an address in the namespace and a stored credential.
    const conn = bp.connection(spec);
    const [service, serviceNamespace] = conn.host.split('.');
    expect(serviceNamespace).toBe(namespace);
    expect(conn.host).toBe(`${service}.${namespace}.svc.cluster.local`);
    // `scheme://host:port`, with MongoDB's replica set and auth source as a query.
    expect(conn.endpoint.split('/?')[0]).toBe(`${conn.endpoint.split('://')[0]}://${conn.host}:${conn.port}`);
    const rendered = stored.find((o) => o.kind === 'Service' && o.metadata.name === service) as
      | { spec: { ports: Array<{ port: number }> } }
      | undefined;
    if (rendered) expect(rendered.spec.ports.map((p) => p.port)).toContain(conn.port);
    // Otherwise the operator creates the Service from its custom resource, which readiness reads.
    else expect(stored.map((o) => o.kind)).toContain(bp.readinessRefs(spec)[0]?.kind);
    const ref = conn.credentialRef;
    if (!ref) throw new Error('no credentialRef');
    const liveSecret = await kube.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace },
    });
    const data = (liveSecret?.data ?? {}) as Record<string, string>;
    const value = Buffer.from(data[ref.key] ?? '', 'base64').toString();
    expect(Object.values(secrets)).toContain(value);

    // Act: delete, then confirm gone.
    expect(await kube.deleteNamespace(namespace)).toBe('deleted');
    clock.advance(NAMESPACE_TERMINATION_MS);
    expect(await kube.deleteNamespace(namespace)).toBe('gone');

    // Assess
    expect(standin.list().filter((o) => o.metadata.namespace === namespace)).toEqual([]);
    figures.push({
      engine,
      objects: objects.length,
      apply: apply.total,
      applyDiscovery: apply.discovery,
      perPoll,
      polls,
      warmApply: warmApply.total,
      prune: pruning.total,
    });
    // Discovery once per apiVersion; one PATCH per object but the Secret, which is created (POST)
    // without a read on the create, and read and never written again on a re-apply.
    expect(warmApply.total).toBe(objects.length);
    expect(apply.total - apply.discovery).toBe(objects.length);
    expect(pruning.total - pruning.discovery).toBe(bp.kinds.filter((k) => k.kind !== 'Secret').length);
  });
});
