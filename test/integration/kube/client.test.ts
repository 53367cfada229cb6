import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient, type KubeClient } from '../../../functions/shared/kube/client.js';
import { KubeApiError } from '../../../functions/shared/kube/errors.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { randomSource } from '../../../local/random.js';
import { kubeConfigFor, manualClock, startTestStandin } from '../../helpers/kube.js';

const cm = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data: { k: name },
});

// biome-ignore lint/suspicious/noExplicitAny: live objects are read freely in assertions
type Any = any;

async function failure(p: Promise<unknown>): Promise<KubeApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KubeApiError);
  return e as KubeApiError;
}

describe('Function: createKubeClient (against the stand-in)', () => {
  let standin: KubeStandin;
  // The stand-in's clock: namespace termination is timed by it, not by the wall clock.
  const clock = manualClock();
  let kube: KubeClient;

  beforeAll(async () => {
    standin = await startTestStandin({ now: clock.now });
    kube = createKubeClient(kubeConfigFor(standin), { fieldManager: 'stratus-test' });
  });
  afterAll(async () => standin.stop());
  afterEach(() => standin.setFaults({}));

  describe('Method: listPage', () => {
    it('pages a cluster-wide list by label with limit/continue, as plain objects with their kind', async () => {
      // Prepare
      await kube.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lp-a' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lp-b' } },
        cm('lp-a', 'one', { lp: 'yes' }),
        cm('lp-a', 'two', { lp: 'yes' }),
        cm('lp-b', 'one', { lp: 'yes' }),
        cm('lp-b', 'other', { lp: 'no' }),
      ]);

      // Act
      const first = await kube.listPage('v1', 'ConfigMap', { labelSelector: 'lp=yes', limit: 2 });
      const second = await kube.listPage('v1', 'ConfigMap', {
        labelSelector: 'lp=yes',
        limit: 2,
        ...(first.continue ? { continue: first.continue } : {}),
      });

      // Assess
      const ids = (p: typeof first) => p.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
      expect(ids(first)).toEqual(['lp-a/one', 'lp-a/two']);
      expect(first.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'one' } });
      expect(first.continue).toEqual(expect.any(String));
      expect(ids(second)).toEqual(['lp-b/one']);
      expect(second.continue).toBeUndefined();
    });

    it('fails with 410 Expired, not retried, when the continue token is too old', async () => {
      // Prepare
      const first = await kube.listPage('v1', 'ConfigMap', { labelSelector: 'lp=yes', limit: 1 });
      clock.advance(300_001);

      // Act
      const e = await failure(
        kube.listPage('v1', 'ConfigMap', {
          labelSelector: 'lp=yes',
          limit: 1,
          continue: first.continue as string,
        }),
      );

      // Assess
      expect(e).toMatchObject({ status: 410, reason: 'Expired', retryable: false });
    });
  });

  describe('Method: apply', () => {
    it('applies in order with one field manager, idempotently, without touching the input', async () => {
      // Prepare
      const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } }, cm('app', 'one')];
      const input = structuredClone(objects);

      // Act
      await kube.apply(objects);
      const first = await kube.get(cm('app', 'one'));
      await kube.apply(objects);
      const second = await kube.get(cm('app', 'one'));

      // Assess
      expect(objects).toEqual(input);
      expect(second?.metadata.resourceVersion).toBe(first?.metadata.resourceVersion);
      expect(second?.metadata.managedFields).toEqual([
        expect.objectContaining({ manager: 'stratus-test', operation: 'Apply' }),
      ]);
    });

    it('rides out RBAC propagation: a 403 just after it applied a RoleBinding in the namespace is retried', async () => {
      // Prepare: the API server's authorization cache lags the RoleBinding by a few requests, as
      // with the per-namespace stratus-provisioner binding on a new namespace.
      standin.setFaults({ rbacLagRequests: 3 });
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'stratus-provisioner', namespace: 'lagging' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'stratus-provisioner' }],
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'stratus-provisioner-namespace',
        },
      };

      // Act
      await kube.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lagging' } },
        binding,
        cm('lagging', 'one'),
      ]);

      // Assess
      expect(await kube.get(cm('lagging', 'one'))).toBeDefined();
    });

    it('keeps a 403 permanent when it applied no RoleBinding in that namespace before', async () => {
      // Prepare: a RoleBinding written earlier (by another call) leaves requests refused.
      standin.setFaults({ rbacLagRequests: 50 });
      await kube.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'denied' } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'b', namespace: 'denied' },
          subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
        },
      ]);

      // Act
      const started = Date.now();
      const err = await failure(kube.apply([cm('denied', 'x')]));

      // Assess
      expect(err).toMatchObject({ status: 403, retryable: false });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('fails with a permanent error when the namespace does not exist', async () => {
      const err = await failure(kube.apply([cm('missing', 'x')]));
      expect(err).toMatchObject({ status: 404, reason: 'NotFound', retryable: false });
      expect(err.message).toContain('ConfigMap missing/x');
    });

    it('fails with a permanent 422 on an invalid object', async () => {
      const err = await failure(kube.apply([cm('app', 'bad', { x: 'not valid!' })]));
      expect(err).toMatchObject({ status: 422, reason: 'Invalid', retryable: false });
    });

    it('fails permanently for a kind the cluster does not serve', async () => {
      const err = await failure(
        kube.apply([
          { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'app' } },
        ]),
      );
      expect(err).toMatchObject({ reason: 'UnknownKind', retryable: false });
    });
  });

  describe('Method: get', () => {
    it('returns plain JSON, and undefined for a missing object', async () => {
      await kube.apply([cm('app', 'plain')]);
      const got = await kube.get(cm('app', 'plain'));
      expect(typeof got?.metadata.creationTimestamp).toBe('string');
      expect(await kube.get(cm('app', 'nope'))).toBeUndefined();
    });

    it('reads cluster-scoped objects', async () => {
      const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
      expect(ns?.status).toEqual({ phase: 'Active' });
    });
  });

  describe('Method: list', () => {
    it('lists by label selector, with apiVersion and kind on every item', async () => {
      // Prepare
      await kube.apply([cm('app', 'l1', { team: 'a' }), cm('app', 'l2', { team: 'b' })]);

      // Act
      const items = await kube.list('v1', 'ConfigMap', { namespace: 'app', labelSelector: 'team=a' });
      const everywhere = await kube.list('v1', 'ConfigMap', { labelSelector: 'team' });

      // Assess
      expect(items.map((i) => [i.apiVersion, i.kind, i.metadata.name])).toEqual([['v1', 'ConfigMap', 'l1']]);
      expect(everywhere.map((i) => i.metadata.name)).toEqual(['l1', 'l2']);
    });
  });

  describe('Method: mergePatch', () => {
    it('sets the fields it names under its own field manager, which a later apply of the object keeps', async () => {
      // Prepare
      const sts = {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'mp-a', annotations: { 'applied-by': 'stratus-test' } },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'valkey/valkey:8.1.1' }] },
          },
        },
      };
      await kube.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mp-a' } }, sts]);
      const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'mp-a' } };

      // Act
      const patched = await kube.mergePatch(
        ref,
        {
          metadata: { annotations: { 'stratus.dev/x': 'a' } },
          spec: { template: { metadata: { annotations: { 'stratus.dev/y': 'b' } } } },
        },
        { fieldManager: 'stratus-other' },
      );
      await kube.apply([sts]);

      // Assess: both annotations set, the applied fields untouched, and kept by the apply
      expect(patched).toBe('patched');
      const live: Any = await kube.get(ref);
      expect(live.metadata.annotations).toEqual({ 'applied-by': 'stratus-test', 'stratus.dev/x': 'a' });
      expect(live.spec.template.metadata.annotations).toEqual({ 'stratus.dev/y': 'b' });
      expect(live.spec.replicas).toBe(1);
      expect(live.metadata.managedFields.map((m: Any) => `${m.manager}:${m.operation}`).sort()).toEqual([
        'stratus-other:Update',
        'stratus-test:Apply',
      ]);
    });

    it('never creates: gone when the object does not exist', async () => {
      // Act
      const result = await kube.mergePatch(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'absent', namespace: 'mp-a' } },
        { metadata: { annotations: { a: 'b' } } },
        { fieldManager: 'stratus-other' },
      );

      // Assess
      expect(result).toBe('gone');
      expect(
        await kube.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'absent', namespace: 'mp-a' },
        }),
      ).toBeUndefined();
    });
  });

  describe('Method: deleteNamespace', () => {
    it('answers deleted while terminating and gone once removed', async () => {
      await kube.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'short-lived' } }]);
      expect(await kube.deleteNamespace('short-lived')).toBe('deleted');
      clock.advance(50); // the stand-in's namespaceTerminationMs (test default)
      expect(await kube.deleteNamespace('short-lived')).toBe('gone');
    });
  });

  describe('error classification', () => {
    it('classifies an injected 503 and a 429 as retryable', async () => {
      standin.setFaults({ errorRate: 1, errorStatus: 503 });
      expect(await failure(kube.get(cm('app', 'one')))).toMatchObject({ status: 503, retryable: true });
      standin.setFaults({ errorRate: 1, errorStatus: 429 });
      expect(await failure(kube.list('v1', 'ConfigMap'))).toMatchObject({ status: 429, retryable: true });
    });

    it('retries a transient failure a bounded number of times before reporting it', async () => {
      await kube.get(cm('app', 'one')); // discovery cached: only the GET itself counts below
      standin.setFaults({ errorRate: 1, errorStatus: 503 });
      const before = standin.stats().errors;
      await failure(kube.get(cm('app', 'one')));
      expect(standin.stats().errors - before).toBe(3);

      standin.setFaults({ errorRate: 1, errorStatus: 422 });
      const permanent = standin.stats().errors;
      await failure(kube.get(cm('app', 'one')));
      expect(standin.stats().errors - permanent).toBe(1);
    });

    it('rides out a flaky API server: 20% of requests fail, an apply fails only if all 3 attempts do', async () => {
      // Prepare: a seeded stand-in of its own, so that the n-th request made under faults meets
      // the n-th draw of the seed (requests are sequential; the client's retry jitter changes
      // timing only). The same draws then say what must happen.
      const seed = 5;
      const flaky = await startTestStandin({ random: randomSource(seed, 'kube:client-test') });
      try {
        const client = createKubeClient(kubeConfigFor(flaky), { fieldManager: 'stratus-test' });
        await client.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } }]);
        const draws = randomSource(seed, 'kube:client-test');
        // Attempts each apply (one PATCH, retried while it fails, 3 attempts) makes; 0 when all fail.
        const expected = Array.from({ length: 20 }, () => {
          for (let attempt = 1; attempt <= 3; attempt++) if (draws() >= 0.2) return attempt;
          return 0;
        });
        const attempts = expected.reduce((n, a) => n + (a === 0 ? 3 : a), 0);
        const requestsBefore = flaky.stats().requests;
        flaky.setFaults({ errorRate: 0.2, errorStatus: 503 });

        // Act
        const landed: boolean[] = [];
        for (let i = 0; i < 20; i++) {
          landed.push(
            await client.apply([cm('app', `flaky-${i}`)]).then(
              () => true,
              () => false,
            ),
          );
        }
        flaky.setFaults({});

        // Assess
        expect(landed).toEqual(expected.map((a) => a > 0));
        expect(flaky.stats().requests - requestsBefore).toBe(attempts);
        expect(flaky.stats().errors).toBe(attempts - landed.filter(Boolean).length);
        // The seed exercises the retry: some applies landed only at their last attempt.
        expect(expected).toContain(3);
        for (const [i, ok] of landed.entries()) {
          expect(await client.get(cm('app', `flaky-${i}`)), `flaky-${i}`).toEqual(
            ok ? expect.objectContaining({ data: { k: `flaky-${i}` } }) : undefined,
          );
        }
      } finally {
        await flaky.stop();
      }
    });

    it('times out a slow API server with a retryable error', async () => {
      // Prepare
      const impatient = createKubeClient(kubeConfigFor(standin), { requestTimeoutMs: 50 });
      standin.setFaults({ latencyMs: 300 });

      // Act
      const err = await failure(impatient.get(cm('app', 'one')));

      // Assess
      expect(err).toMatchObject({ reason: 'Timeout', retryable: true });
    });

    it('reports an unreachable API server as retryable', async () => {
      // Prepare
      const gone = await startTestStandin();
      const client = createKubeClient(kubeConfigFor(gone));
      await gone.stop();

      // Act
      const err = await failure(client.get(cm('app', 'one')));

      // Assess
      expect(err).toMatchObject({ status: undefined, reason: 'ECONNREFUSED', retryable: true });
    });
  });
});
