import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KubeStandin, startKubeStandin } from '../../../local/kube-standin/server.js';
import { kubeConfigFor, type ManualClock, manualClock, startTestStandin } from '../../helpers/kube.js';

type Obj = KubernetesObject & Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: test navigation of nested objects
type Any = any;

/** The Kubernetes Status body of a failed call (client-node 1.4 keeps it as a string). */
async function statusOf(p: Promise<unknown>): Promise<{
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<Record<string, string>> } & Record<string, unknown>;
}> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      const body = JSON.parse(e.body as string);
      expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: e.code });
      return body;
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

const ns = (name: string, labels: Record<string, string> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const configMap = (namespace: string, name: string, data: Record<string, string>, labels = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});
const statefulSet = (namespace: string, replicas: number, image = 'nginx:1'): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', namespace },
  spec: {
    replicas,
    serviceName: 'db',
    selector: { matchLabels: { app: 'db' } },
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } },
  },
});

describe('Kubernetes stand-in (through @kubernetes/client-node)', () => {
  let standin: KubeStandin;
  let api: KubernetesObjectApi;
  /** The stand-in's clock: simulated controllers converge when a test moves it, not on a timer. */
  let clock: ManualClock;
  const READINESS_DELAY_MS = 150;
  const NAMESPACE_TERMINATION_MS = 50;
  const apply = (obj: Obj, manager = 'test', force = false) =>
    api.patch(
      structuredClone(obj),
      undefined,
      undefined,
      manager,
      force,
      PatchStrategy.ServerSideApply,
    ) as Promise<Obj>;

  beforeAll(async () => {
    clock = manualClock();
    standin = await startTestStandin({
      readinessDelayMs: READINESS_DELAY_MS,
      namespaceTerminationMs: NAMESPACE_TERMINATION_MS,
      now: clock.now,
    });
    api = KubernetesObjectApi.makeApiClient(kubeConfigFor(standin));
  });
  afterAll(async () => standin.stop());
  afterEach(() => standin.setFaults({}));

  describe('discovery and authentication', () => {
    it('serves APIResourceLists for built-in groups and configured custom kinds', async () => {
      // Act
      const res = await fetch(`${standin.plainUrl}/apis/postgresql.cnpg.io/v1`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });
      const core = await fetch(`${standin.plainUrl}/api/v1`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });

      // Assess
      expect(await res.json()).toMatchObject({
        kind: 'APIResourceList',
        groupVersion: 'postgresql.cnpg.io/v1',
        resources: [{ name: 'clusters', kind: 'Cluster', namespaced: true }],
      });
      const coreList = (await core.json()) as {
        resources: Array<{ kind: string; name: string; namespaced: boolean }>;
      };
      expect(coreList.resources).toContainEqual(
        expect.objectContaining({ kind: 'Namespace', namespaced: false }),
      );
      expect(coreList.resources).toContainEqual(
        expect.objectContaining({ kind: 'PersistentVolumeClaim', name: 'persistentvolumeclaims' }),
      );
    });

    it('answers 404 for an API group it does not serve', async () => {
      const res = await fetch(`${standin.plainUrl}/apis/unknown.example.com/v1`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });
      expect(res.status).toBe(404);
    });

    it('rejects a missing or wrong bearer token with a 401 Status', async () => {
      // Prepare
      const wrong = KubernetesObjectApi.makeApiClient(kubeConfigFor(standin, 'wrong'));

      // Act
      const status = await statusOf(
        wrong.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
      );
      const anonymous = await fetch(`${standin.plainUrl}/api/v1/namespaces`);

      // Assess
      expect(status).toMatchObject({ code: 401, reason: 'Unauthorized' });
      expect(anonymous.status).toBe(401);
    });

    it('writes a kubeconfig that client-node loads from a file', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'standin-'));
      const path = join(dir, 'config');
      await standin.writeKubeconfig(path);
      const kc = new KubeConfig();
      kc.loadFromFile(path);

      // Act
      const got = await KubernetesObjectApi.makeApiClient(kc).read({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'kube-system' },
      });

      // Assess
      expect(kc.getCurrentContext()).toBe('stratus-local');
      expect(got.metadata?.name).toBe('kube-system');
      await rm(dir, { recursive: true });
    });
  });

  describe('create, read, replace, delete', () => {
    beforeAll(async () => {
      await api.create(ns('crud'));
    });

    it('creates with server fields set and refuses a duplicate with 409 AlreadyExists', async () => {
      // Act
      const created = (await api.create(configMap('crud', 'one', { a: '1' }))) as Obj;
      const duplicate = await statusOf(api.create(configMap('crud', 'one', { a: '1' })));

      // Assess
      expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
      expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
      expect(duplicate).toMatchObject({
        code: 409,
        reason: 'AlreadyExists',
        message: 'configmaps "one" already exists',
        details: { name: 'one', kind: 'configmaps' },
      });
    });

    it('answers 404 NotFound for a missing object and for a missing namespace', async () => {
      const missing = await statusOf(
        api.read({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x', namespace: 'crud' } }),
      );
      const noNamespace = await statusOf(api.create(configMap('nowhere', 'one', {})));

      expect(missing).toMatchObject({
        code: 404,
        reason: 'NotFound',
        message: 'statefulsets.apps "x" not found',
      });
      expect(noNamespace).toMatchObject({
        code: 404,
        reason: 'NotFound',
        message: 'namespaces "nowhere" not found',
        details: { name: 'nowhere', kind: 'namespaces' },
      });
    });

    it('refuses invalid names and label values with 422 Invalid', async () => {
      const badName = await statusOf(api.create(configMap('crud', 'Not_Valid', {})));
      const badLabel = await statusOf(api.create(configMap('crud', 'ok', {}, { team: 'has space' })));

      expect(badName).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(badLabel).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(badLabel.details?.causes?.[0]?.field).toBe('metadata.labels.team');
    });

    it('replaces with optimistic concurrency: a stale resourceVersion is a 409 Conflict', async () => {
      // Prepare
      const created = (await api.create(statefulSet('crud', 1))) as Obj;
      const rv = created.metadata?.resourceVersion as string;
      const labelled = {
        ...statefulSet('crud', 1),
        metadata: { name: 'db', namespace: 'crud', labels: { a: 'b' }, resourceVersion: rv },
      };

      // Act
      const relabelled = (await api.replace(labelled)) as Obj;
      const stale = await statusOf(
        api.replace({ ...statefulSet('crud', 2), metadata: { ...labelled.metadata, resourceVersion: rv } }),
      );
      const scaled = (await api.replace({
        ...statefulSet('crud', 2),
        metadata: { ...labelled.metadata, resourceVersion: relabelled.metadata?.resourceVersion },
      })) as Obj;

      // Assess
      expect(relabelled.metadata?.generation).toBe(1); // metadata only: no generation bump
      expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(stale.message).toContain('the object has been modified');
      expect(scaled.metadata?.generation).toBe(2);
      expect(scaled.metadata?.uid).toBe(created.metadata?.uid);
    });

    it('merge-patches, and deletes with a Success Status', async () => {
      // Prepare
      await api.create(configMap('crud', 'patched', { a: '1', b: '2' }));

      // Act
      const patched = (await api.patch(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'patched', namespace: 'crud' },
          data: { a: null, c: '3' },
        } as never,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      )) as Obj;
      const deleted = await api.delete(configMap('crud', 'patched', {}));
      const again = await statusOf(api.delete(configMap('crud', 'patched', {})));

      // Assess
      expect(patched.data).toEqual({ b: '2', c: '3' });
      expect(deleted).toMatchObject({
        kind: 'Status',
        status: 'Success',
        details: { name: 'patched', kind: 'configmaps' },
      });
      expect(again.code).toBe(404);
    });

    it('stores Secret stringData as base64 data', async () => {
      await api.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'crud' },
        stringData: { k: 'v' },
      } as Obj);
      const secret = (await api.read({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'crud' },
      })) as Obj;
      expect(secret.data).toEqual({ k: Buffer.from('v').toString('base64') });
      expect(secret.stringData).toBeUndefined();
    });
  });

  describe('server-side apply', () => {
    beforeAll(async () => {
      await apply(ns('ssa'));
    });

    it('creates, then updates, and a repeated apply is a no-op', async () => {
      // Act
      const first = await apply(configMap('ssa', 'cfg', { a: '1' }));
      const again = await apply(configMap('ssa', 'cfg', { a: '1' }));
      const changed = await apply(configMap('ssa', 'cfg', { a: '2' }));

      // Assess
      expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
      expect(Number(changed.metadata?.resourceVersion)).toBeGreaterThan(
        Number(first.metadata?.resourceVersion),
      );
      expect(changed.data).toEqual({ a: '2' });
      expect(changed.metadata?.managedFields).toEqual([
        expect.objectContaining({
          manager: 'test',
          operation: 'Apply',
          fieldsV1: expect.objectContaining({ 'f:data': { 'f:a': {} } }),
        }),
      ]);
    });

    it('requires a fieldManager', async () => {
      const status = await statusOf(
        api.patch(
          configMap('ssa', 'cfg', {}),
          undefined,
          undefined,
          undefined,
          undefined,
          PatchStrategy.ServerSideApply,
        ),
      );
      expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
    });

    it('reports conflicts between managers unless forced, and removes fields a manager stops applying', async () => {
      // Prepare
      await apply(configMap('ssa', 'shared', { owned: 'x', dropped: 'y' }), 'alice');

      // Act
      const conflict = await statusOf(apply(configMap('ssa', 'shared', { owned: 'z' }), 'bob'));
      const forced = await apply(configMap('ssa', 'shared', { owned: 'z' }), 'bob', true);
      const trimmed = await apply(configMap('ssa', 'shared', {}, { keep: 'me' }), 'alice');

      // Assess
      expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(conflict.details?.causes).toEqual([
        { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.owned' },
      ]);
      expect(forced.data).toEqual({ owned: 'z', dropped: 'y' });
      // alice lost `owned` to bob and no longer applies `dropped`: only bob's field remains.
      expect(trimmed.data).toEqual({ owned: 'z' });
      expect(trimmed.metadata?.labels).toEqual({ keep: 'me' });
    });

    // Issue #16: lists merge by their keys, as kube-apiserver's structured merge does
    // (containers by name, ports by containerPort + protocol, env by name; k8s.io/api core/v1).
    it('lets a second manager add a container without a conflict, and both containers stay', async () => {
      // Prepare
      await apply(statefulSet('ssa', 1, 'nginx:1'), 'alice');
      const sidecar: Obj = {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'ssa' },
        spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1' }] } } },
      };

      // Act
      const merged = await apply(sidecar, 'bob');
      const reapplied = await apply(statefulSet('ssa', 1, 'nginx:1'), 'alice');

      // Assess
      const containers = (o: Obj) =>
        ((o.spec as Any).template.spec.containers as Array<{ name: string; image: string }>).map(
          (c) => `${c.name}=${c.image}`,
        );
      expect(containers(merged)).toEqual(['db=nginx:1', 'sidecar=busybox:1']);
      expect(containers(reapplied)).toEqual(['db=nginx:1', 'sidecar=busybox:1']);
      const bob = (merged.metadata?.managedFields ?? []).find((m) => m.manager === 'bob');
      expect((bob?.fieldsV1 as Any)?.['f:spec']['f:template']['f:spec']['f:containers']).toEqual({
        'k:{"name":"sidecar"}': { 'f:image': {}, 'f:name': {} },
      });
    });

    it("conflicts on one container field only, and a forced apply keeps the other manager's other containers", async () => {
      // Prepare
      const twoContainers = statefulSet('ssa', 1, 'nginx:1');
      twoContainers.metadata = { name: 'pair', namespace: 'ssa' };
      (twoContainers.spec as Any).template.spec.containers.push({
        name: 'metrics',
        image: 'exporter:1',
        ports: [{ containerPort: 9100 }],
      });
      await apply(twoContainers, 'alice');
      const newImage: Obj = {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'pair', namespace: 'ssa' },
        spec: { template: { spec: { containers: [{ name: 'db', image: 'nginx:2' }] } } },
      };

      // Act
      const conflict = await statusOf(apply(newImage, 'bob'));
      const forced = await apply(newImage, 'bob', true);
      // alice drops the metrics container: it goes, as nobody else manages it.
      const withoutMetrics = structuredClone(twoContainers);
      (withoutMetrics.spec as Any).template.spec.containers.pop();
      const trimmed = await apply(withoutMetrics, 'alice', true);

      // Assess
      expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(conflict.details?.causes).toEqual([
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "alice"',
          field: '.spec.template.spec.containers[name="db"].image',
        },
      ]);
      const containers = (o: Obj) => (o.spec as Any).template.spec.containers as Array<Record<string, Any>>;
      expect(containers(forced).map((c) => `${c.name}=${c.image}`)).toEqual([
        'db=nginx:2',
        'metrics=exporter:1',
      ]);
      expect(containers(forced)[1]?.ports).toEqual([{ containerPort: 9100, protocol: 'TCP' }]);
      expect(containers(trimmed).map((c) => `${c.name}=${c.image}`)).toEqual(['db=nginx:1']);
    });

    it('merges Service ports by port and protocol, and env by name', async () => {
      // Prepare
      const service = (ports: Array<Record<string, Any>>): Obj => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'ssa' },
        spec: { ports },
      });
      await apply(service([{ name: 'http', port: 80 }]), 'alice');

      // Act
      const merged = await apply(service([{ name: 'dns', port: 53, protocol: 'UDP' }]), 'bob');
      const tcpAgain = await statusOf(apply(service([{ name: 'web', port: 80, protocol: 'TCP' }]), 'bob'));

      // Assess
      expect((merged.spec as Any).ports.map((p: Any) => `${p.name}:${p.port}/${p.protocol}`)).toEqual([
        'http:80/TCP',
        'dns:53/UDP',
      ]);
      // Port 80 without a protocol is the TCP port 80: renaming it conflicts with alice.
      expect(tcpAgain.details?.causes?.[0]?.field).toBe('.spec.ports[port=80,protocol="TCP"].name');
    });

    it("merges a custom resource's list by the keys its CRD declares (CNPG postgresql.extensions by name)", async () => {
      // Prepare: postgresql.cnpg.io_clusters.yaml, spec.postgresql.extensions:
      // x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [name]
      const cluster = (extensions: Array<Record<string, Any>>): Obj => ({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: 'pg', namespace: 'ssa' },
        spec: { instances: 1, postgresql: { extensions } },
      });
      await apply(cluster([{ name: 'vector', image: { reference: 'pgvector:1' } }]), 'alice');

      // Act
      const merged = await apply(cluster([{ name: 'postgis', image: { reference: 'postgis:3' } }]), 'bob');

      // Assess
      expect((merged.spec as Any).postgresql.extensions.map((e: Any) => e.name)).toEqual([
        'vector',
        'postgis',
      ]);
    });

    it('creates into a missing namespace with 404, like the API server', async () => {
      const status = await statusOf(apply(configMap('absent', 'cfg', {})));
      expect(status).toMatchObject({ code: 404, message: 'namespaces "absent" not found' });
    });
  });

  // Issue #16: what kube-apiserver does to an object on write (defaults.ts, quantity.ts, structural.ts).
  describe('what the server does on write', () => {
    beforeAll(async () => {
      await apply(ns('write'));
    });
    const raw = (method: string, path: string, body: unknown, contentType = 'application/json') =>
      fetch(`${standin.plainUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${standin.token}`, 'content-type': contentType },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Any }));

    it('stores quantities in canonical form and fills the defaults a real server fills', async () => {
      // Prepare
      const sts = statefulSet('write', 2);
      (sts.spec as Any).template.spec.containers[0].resources = {
        requests: { cpu: '1000m', memory: '1024Mi' },
        limits: { cpu: 0.5, memory: '1536Mi' },
      };

      // Act
      const stored = await apply(sts);
      const service = await apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: 'write' },
        spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] },
      });

      // Assess
      const container = (stored.spec as Any).template.spec.containers[0];
      expect(container.resources).toEqual({
        requests: { cpu: '1', memory: '1Gi' },
        limits: { cpu: '500m', memory: '1536Mi' },
      });
      expect(container).toMatchObject({
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
      });
      expect(stored.spec).toMatchObject({
        podManagementPolicy: 'OrderedReady',
        revisionHistoryLimit: 10,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      });
      expect(service.spec).toMatchObject({
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ports: [{ port: 5432, protocol: 'TCP', targetPort: 5432 }],
      });
      // Defaults are nobody's fields: the applier owns only what it sent.
      const owned = JSON.stringify(stored.metadata?.managedFields);
      expect(owned).not.toContain('podManagementPolicy');
    });

    it('refuses a value that is not a quantity with 400', async () => {
      const sts = statefulSet('write', 1);
      sts.metadata = { name: 'badq', namespace: 'write' };
      (sts.spec as Any).template.spec.containers[0].resources = { requests: { cpu: 'lots' } };
      const status = await statusOf(apply(sts));
      expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
      expect(status.message).toContain('quantities must match the regular expression');
    });

    it('refuses a StatefulSet whose selector does not match its template labels with 422', async () => {
      const sts = statefulSet('write', 1);
      sts.metadata = { name: 'mismatch', namespace: 'write' };
      (sts.spec as Any).template.metadata.labels = { app: 'other' };
      const status = await statusOf(apply(sts));
      expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(status.details?.causes).toEqual([
        expect.objectContaining({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid' }),
      ]);
      expect(status.message).toContain('`selector` does not match template `labels`');
    });

    it('prunes unknown fields of a custom resource on create, fills its CRD defaults, refuses them under Strict and under server-side apply, and wrong types with 422', async () => {
      // Prepare
      const cluster = (spec: Record<string, Any>, name = 'pg'): Obj => ({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name, namespace: 'write' },
        spec,
      });
      const path = '/apis/postgresql.cnpg.io/v1/namespaces/write/clusters';

      // Act
      const pruned = await raw(
        'POST',
        `${path}?fieldValidation=Ignore`,
        cluster({ instances: 1, storage: { size: '1Gi' }, notInTheCrd: 'x' }),
      );
      const strict = await raw(
        'POST',
        `${path}?fieldValidation=Strict`,
        cluster({ instances: 1, notInTheCrd: 'x' }, 'strict'),
      );
      const applied = await statusOf(apply(cluster({ instances: 1, notInTheCrd: 'x' }, 'applied')));
      const badType = await statusOf(apply(cluster({ instances: 'one' }, 'typed')));
      const badValue = await raw('POST', `${path}?fieldValidation=Sloppy`, cluster({ instances: 1 }, 'x'));
      const warned = await fetch(`${standin.plainUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${standin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(cluster({ instances: 1, extra: 1 }, 'warned')),
      });

      // Assess
      expect(pruned.status).toBe(201);
      expect(pruned.body.spec).not.toHaveProperty('notInTheCrd');
      expect(pruned.body.spec).toMatchObject({ instances: 1, logLevel: 'info' });
      // Quantities in custom resources are strings to the API server: kept as written.
      expect(pruned.body.spec.storage.size).toBe('1Gi');
      expect(strict).toMatchObject({
        status: 400,
        body: {
          reason: 'BadRequest',
          message:
            'Cluster in version "v1" cannot be handled as a Cluster: strict decoding error: unknown field "spec.notInTheCrd"',
        },
      });
      // Server-side apply converts to the schema whatever fieldValidation says (KEP-2885).
      expect(applied).toMatchObject({
        code: 400,
        message:
          'failed to create typed patch object (write/applied; postgresql.cnpg.io/v1, Kind=Cluster): .spec.notInTheCrd: field not declared in schema',
      });
      expect(badType).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(badType.message).toContain(
        'Cluster.postgresql.cnpg.io "typed" is invalid: spec.instances: Invalid value',
      );
      expect(badValue.status).toBe(400);
      // The default (Warn): created, the field dropped, and a Warning header naming it.
      expect(warned.status).toBe(201);
      expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.extra\\""');
    });
  });

  describe("the public endpoints' kinds under their vendored CRDs (deploy/crds)", () => {
    it('defaults a TLSRoute as Gateway API v1.5.1 does, prunes an unknown field, and refuses a wrong type with 422', async () => {
      // Prepare
      await apply(ns('gw'));
      const route = (name: string, spec: Record<string, Any>): Obj => ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'TLSRoute',
        metadata: { name, namespace: 'gw' },
        spec,
      });
      const path = '/apis/gateway.networking.k8s.io/v1/namespaces/gw/tlsroutes';
      const spec = {
        parentRefs: [{ name: 'stratus-endpoint', sectionName: 'db' }],
        hostnames: ['db.example.com'],
        rules: [{ backendRefs: [{ name: 'postgresql-rw', port: 5432 }] }],
      };

      // Act
      const created = await fetch(`${standin.plainUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${standin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(route('db', { ...spec, passthrough: true })),
      });
      const body = (await created.json()) as Any;
      const badType = await statusOf(
        apply(route('typed', { ...spec, rules: [{ backendRefs: [{ name: 'x', port: 'five' }] }] })),
      );

      // Assess
      expect(created.status).toBe(201);
      expect(created.headers.get('warning')).toBe('299 - "unknown field \\"spec.passthrough\\""');
      expect(body.spec).not.toHaveProperty('passthrough');
      expect(body.spec.parentRefs).toEqual([
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'stratus-endpoint', sectionName: 'db' },
      ]);
      expect(body.spec.rules[0].backendRefs).toEqual([
        { group: '', kind: 'Service', name: 'postgresql-rw', port: 5432, weight: 1 },
      ]);
      expect(badType).toMatchObject({ code: 422, reason: 'Invalid' });
    });
  });

  describe('lists and label selectors', () => {
    beforeAll(async () => {
      await apply(ns('sel'));
      await apply(configMap('sel', 'a', {}, { tier: 'db', env: 'prod' }));
      await apply(configMap('sel', 'b', {}, { tier: 'web', env: 'prod' }));
      await apply(configMap('sel', 'c', {}, { tier: 'cache' }));
    });
    const names = async (selector?: string) =>
      (
        await api.list('v1', 'ConfigMap', 'sel', undefined, undefined, undefined, undefined, selector)
      ).items.map((i) => i.metadata?.name);

    it.each([
      [undefined, ['a', 'b', 'c']],
      ['tier=db', ['a']],
      ['tier==db', ['a']],
      ['tier!=db', ['b', 'c']],
      ['tier in (db, cache)', ['a', 'c']],
      ['tier notin (db)', ['b', 'c']],
      ['env', ['a', 'b']],
      ['!env', ['c']],
      ['env=prod,tier in (web)', ['b']],
    ])('selects %s', async (selector, expected) => {
      expect(await names(selector)).toEqual(expected);
    });

    it('refuses a selector it cannot parse with 400', async () => {
      const status = await statusOf(
        api.list('v1', 'ConfigMap', 'sel', undefined, undefined, undefined, undefined, 'a in b'),
      );
      expect(status.code).toBe(400);
    });

    it('lists across namespaces and, like the API server, leaves apiVersion/kind off built-in items', async () => {
      const res = await fetch(`${standin.plainUrl}/api/v1/configmaps?labelSelector=tier%3Ddb`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });
      const body = (await res.json()) as { kind: string; items: Array<Record<string, unknown>> };
      expect(body.kind).toBe('ConfigMapList');
      expect(body.items).toHaveLength(1);
      expect(body.items[0]?.kind).toBeUndefined();
    });
  });

  describe('chunked lists (limit, continue)', () => {
    // Five ConfigMaps over three namespaces, two of them labelled away from the selector.
    beforeAll(async () => {
      for (const n of ['pg-b', 'pg-a', 'pg-c']) await apply(ns(n));
      await apply(configMap('pg-b', 'x', {}, { paged: 'yes' }));
      await apply(configMap('pg-a', 'y', {}, { paged: 'yes' }));
      await apply(configMap('pg-a', 'x', {}, { paged: 'yes' }));
      await apply(configMap('pg-c', 'z', {}, { paged: 'no' }));
      await apply(configMap('pg-c', 'a', {}, { paged: 'yes' }));
    });
    type Page = {
      items: Array<{ metadata: { name: string; namespace: string } }>;
      metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string };
    };
    const page = async (query: string) => {
      const res = await fetch(`${standin.plainUrl}/api/v1/configmaps?${query}`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });
      return { status: res.status, body: (await res.json()) as Page & { reason?: string; code?: number } };
    };
    const ids = (p: Page) => p.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);

    it('pages a cluster-wide list in key order, with a continue token until the last chunk', async () => {
      // Act
      const first = await page('labelSelector=paged%3Dyes&limit=2');
      const second = await page(`labelSelector=paged%3Dyes&limit=2&continue=${first.body.metadata.continue}`);

      // Assess: namespace then name; with a selector the remaining count is unknown (left out);
      // the last chunk has no token.
      expect(ids(first.body)).toEqual(['pg-a/x', 'pg-a/y']);
      expect(first.body.metadata.continue).toEqual(expect.any(String));
      expect(first.body.metadata.remainingItemCount).toBeUndefined();
      expect(ids(second.body)).toEqual(['pg-b/x', 'pg-c/a']);
      expect(second.body.metadata.continue).toBeUndefined();
      expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    });

    it('gives remainingItemCount without a selector, and the whole list without a limit', async () => {
      // Act
      const whole = await page('');
      const chunk = await page('limit=1');

      // Assess
      expect(whole.body.metadata.continue).toBeUndefined();
      expect(chunk.body.items).toHaveLength(1);
      expect(chunk.body.metadata.remainingItemCount).toBe(whole.body.items.length - 1);
    });

    it('answers 410 Expired for a token older than its lifetime, 400 for one that is not a token', async () => {
      // Prepare
      const first = await page('labelSelector=paged%3Dyes&limit=1');
      clock.advance(300_001);

      // Act
      const expired = await page(
        `labelSelector=paged%3Dyes&limit=1&continue=${first.body.metadata.continue}`,
      );
      const bad = await page('limit=1&continue=not-a-token');

      // Assess
      expect(expired.status).toBe(410);
      expect(expired.body).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    });
  });

  describe('simulated controllers', () => {
    beforeAll(async () => {
      await apply(ns('ctl'));
    });

    it('reports a StatefulSet ready readinessDelayMs after each spec change, not before', async () => {
      // Prepare
      const read = () =>
        api.read({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: 'ctl' },
        }) as Promise<Obj>;

      // Act: the clock stands still between steps, however slow the requests are.
      const created = await apply(statefulSet('ctl', 3));
      const early = await read();
      clock.advance(READINESS_DELAY_MS - 1);
      const almost = await read();
      clock.advance(1);
      const ready = await read();
      const updated = await apply(statefulSet('ctl', 3, 'nginx:2'));
      clock.advance(READINESS_DELAY_MS - 1);
      const lagging = await read();
      clock.advance(1);
      const converged = await read();

      // Assess
      expect(created.metadata?.generation).toBe(1);
      expect(early.status).toBeUndefined();
      expect(almost.status).toBeUndefined();
      expect(ready.status).toMatchObject({
        observedGeneration: 1,
        replicas: 3,
        availableReplicas: 3,
        currentReplicas: 3,
      });
      expect(updated.metadata?.generation).toBe(2);
      expect(lagging.status).toMatchObject({ observedGeneration: 1 });
      expect(converged.status).toMatchObject({ observedGeneration: 2, readyReplicas: 3 });
    });

    it("makes a StatefulSet's claims once it is ready, already Bound: a pod runs only on bound claims", async () => {
      // Prepare
      const withClaims = statefulSet('claims', 2);
      withClaims.metadata = { ...withClaims.metadata, namespace: 'claims' };
      (withClaims.spec as Record<string, unknown>).volumeClaimTemplates = [
        {
          metadata: { name: 'data', labels: { app: 'db' } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ];
      await apply(ns('claims'));

      // Act
      await apply(withClaims);
      clock.advance(READINESS_DELAY_MS);
      const sts = (await api.read({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'claims' },
      })) as Obj;
      const claims = (await api.list('v1', 'PersistentVolumeClaim', 'claims')).items as Obj[];

      // Assess
      expect(sts.status).toMatchObject({ readyReplicas: 2 });
      expect(
        claims.map((c) => [c.metadata?.name, (c.status as { phase?: string } | undefined)?.phase]),
      ).toEqual([
        ['data-db-0', 'Bound'],
        ['data-db-1', 'Bound'],
      ]);
    });

    describe("a StatefulSet's pods", () => {
      type Pod = Obj & {
        metadata: { name: string; uid: string; labels: Record<string, string>; ownerReferences?: unknown[] };
        spec: {
          containers: Array<{ image: string }>;
          volumes?: unknown[];
          hostname?: string;
          subdomain?: string;
        };
        status: { phase: string; conditions: Array<{ type: string; status: string }> };
      };
      const stsRef = (namespace: string) => ({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace },
      });
      const withClaim = (namespace: string, replicas: number, image = 'nginx:1') => {
        const o = statefulSet(namespace, replicas, image);
        (o.spec as Record<string, unknown>).volumeClaimTemplates = [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ];
        return o;
      };
      const pods = async (namespace: string) =>
        ((await api.list('v1', 'Pod', namespace)).items as Pod[]).sort((a, b) =>
          a.metadata.name.localeCompare(b.metadata.name),
        );

      it('runs one pod per ordinal once it is ready: Running and Ready, controlled by it, on its claims', async () => {
        // Prepare
        await apply(ns('pods-run'));

        // Act
        const created = await apply(withClaim('pods-run', 2));
        const before = await pods('pods-run');
        clock.advance(READINESS_DELAY_MS);
        const sts = (await api.read(stsRef('pods-run'))) as Obj & { status: { updateRevision: string } };
        const running = await pods('pods-run');

        // Assess
        expect(before).toEqual([]);
        expect(running.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1']);
        for (const [i, pod] of running.entries()) {
          expect(pod.metadata.ownerReferences).toEqual([
            expect.objectContaining({
              kind: 'StatefulSet',
              name: 'db',
              uid: created.metadata?.uid,
              controller: true,
            }),
          ]);
          expect(pod.metadata.labels).toMatchObject({
            app: 'db',
            'apps.kubernetes.io/pod-index': String(i),
            'statefulset.kubernetes.io/pod-name': `db-${i}`,
            'controller-revision-hash': sts.status.updateRevision,
          });
          expect(pod.spec).toMatchObject({ hostname: `db-${i}`, subdomain: 'db' });
          expect(pod.spec.volumes).toContainEqual({
            name: 'data',
            persistentVolumeClaim: { claimName: `data-db-${i}` },
          });
          expect(pod.status.phase).toBe('Running');
          expect(pod.status.conditions).toContainEqual(
            expect.objectContaining({ type: 'Ready', status: 'True' }),
          );
        }
      });

      it('deletes the highest ordinals on a scale down and replaces every pod on a new template', async () => {
        // Prepare
        await apply(ns('pods-roll'));
        await apply(withClaim('pods-roll', 3));
        clock.advance(READINESS_DELAY_MS);
        const first = await pods('pods-roll');

        // Act
        await apply(withClaim('pods-roll', 2));
        clock.advance(READINESS_DELAY_MS);
        const scaledDown = await pods('pods-roll');
        await apply(withClaim('pods-roll', 2, 'nginx:2'));
        clock.advance(READINESS_DELAY_MS);
        const rolled = await pods('pods-roll');

        // Assess
        expect(first.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1', 'db-2']);
        expect(scaledDown.map((p) => [p.metadata.name, p.metadata.uid])).toEqual(
          first.slice(0, 2).map((p) => [p.metadata.name, p.metadata.uid]),
        );
        expect(rolled.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1']);
        expect(rolled.map((p) => p.spec.containers[0]?.image)).toEqual(['nginx:2', 'nginx:2']);
        for (const [i, pod] of rolled.entries())
          expect(pod.metadata.uid).not.toBe(scaledDown[i]?.metadata.uid);
        // The claims stay through both: a scale down keeps them (persistentVolumeClaimRetentionPolicy Retain).
        expect(((await api.list('v1', 'PersistentVolumeClaim', 'pods-roll')).items as Obj[]).length).toBe(3);
      });

      it('are deleted with it, or with propagationPolicy Orphan kept running and adopted by its successor', async () => {
        // Prepare
        await apply(ns('pods-gc'));
        await apply(withClaim('pods-gc', 2));
        clock.advance(READINESS_DELAY_MS);
        const running = await pods('pods-gc');

        // Act: an orphaning delete, a new StatefulSet of the same name, then a cascading delete.
        await api.delete(stsRef('pods-gc'), undefined, undefined, undefined, undefined, 'Orphan');
        const orphans = await pods('pods-gc');
        const successor = await apply(withClaim('pods-gc', 2));
        clock.advance(READINESS_DELAY_MS);
        const adopted = await pods('pods-gc');
        await api.delete(stsRef('pods-gc'), undefined, undefined, undefined, undefined, 'Background');
        const afterDelete = await pods('pods-gc');
        const claims = (await api.list('v1', 'PersistentVolumeClaim', 'pods-gc')).items as Obj[];

        // Assess
        expect(orphans.map((p) => [p.metadata.uid, p.metadata.ownerReferences])).toEqual(
          running.map((p) => [p.metadata.uid, undefined]),
        );
        expect(adopted.map((p) => p.metadata.uid)).toEqual(running.map((p) => p.metadata.uid));
        for (const pod of adopted) {
          expect(pod.metadata.ownerReferences).toEqual([
            expect.objectContaining({ uid: successor.metadata?.uid }),
          ]);
        }
        expect(afterDelete).toEqual([]);
        expect(claims.map((c) => c.metadata?.name)).toEqual(['data-db-0', 'data-db-1']);
      });

      it("runs a Deployment's pods through a ReplicaSet per template, and deletes them with it", async () => {
        // Prepare
        await apply(ns('deploy'));
        const deployment = (image: string, replicas: number): Obj => ({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'deploy' },
          spec: {
            replicas,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image }] },
            },
          },
        });
        type Rs = Obj & { metadata: { name: string; uid: string; labels: Record<string, string> } };
        const replicaSets = async () => (await api.list('apps/v1', 'ReplicaSet', 'deploy')).items as Rs[];

        // Act
        const created = await apply(deployment('nginx:1', 2));
        clock.advance(READINESS_DELAY_MS);
        const [first] = await replicaSets();
        const firstPods = await pods('deploy');
        await apply(deployment('nginx:2', 2));
        clock.advance(READINESS_DELAY_MS);
        const rolled = await replicaSets();
        const rolledPods = await pods('deploy');
        await api.delete({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'deploy' },
        });

        // Assess: web-<hash> controlled by the Deployment, its pods controlled by it, Running
        const hash = first?.metadata.labels['pod-template-hash'] ?? '';
        expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
        expect(first?.metadata.name).toBe(`web-${hash}`);
        expect(first?.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'Deployment', uid: created.metadata?.uid, controller: true }),
        ]);
        expect(firstPods).toHaveLength(2);
        for (const pod of firstPods) {
          expect(pod.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
          expect(pod.metadata.labels).toMatchObject({ app: 'web', 'pod-template-hash': hash });
          expect(pod.metadata.ownerReferences).toEqual([
            expect.objectContaining({ kind: 'ReplicaSet', uid: first?.metadata.uid }),
          ]);
          expect(pod.status.phase).toBe('Running');
        }
        // A new template: a new ReplicaSet, the old one gone with its pods
        expect(rolled.map((r) => r.metadata.name)).toEqual([expect.not.stringMatching(hash)]);
        expect(rolledPods.map((p) => p.spec.containers[0]?.image)).toEqual(['nginx:2', 'nginx:2']);
        expect(await replicaSets()).toEqual([]);
        expect(await pods('deploy')).toEqual([]);
      });

      it('refuses a propagationPolicy it does not know with 422', async () => {
        await apply(ns('pods-bad'));
        await apply(withClaim('pods-bad', 1));
        await expect(
          api.delete(stsRef('pods-bad'), undefined, undefined, undefined, undefined, 'Sometimes'),
        ).rejects.toMatchObject({
          code: 422,
          body: expect.stringContaining('propagationPolicy: Unsupported value'),
        });
        expect(await api.read(stsRef('pods-bad'))).toBeDefined();
      });
    });

    it('binds PVCs and reports operator kinds (CNPG Cluster) healthy after the delay', async () => {
      // Prepare
      const pvcRef = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: 'ctl' },
      };
      const pgRef = {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: 'pg', namespace: 'ctl' },
      };

      // Act
      await apply({
        ...pvcRef,
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      });
      await apply({ ...pgRef, spec: { instances: 3 } });
      const pending = await Promise.all([api.read(pvcRef), api.read(pgRef)]);
      clock.advance(READINESS_DELAY_MS);
      const [pvc, pg] = (await Promise.all([api.read(pvcRef), api.read(pgRef)])) as Obj[];

      // Assess
      // A new claim is Pending (the registry's status) until bound; the operator has said nothing yet.
      expect(pending.map((o) => (o as Obj).status)).toEqual([{ phase: 'Pending' }, undefined]);
      expect(pvc?.status).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' } });
      expect(pg?.status).toMatchObject({ readyInstances: 3, phase: 'Cluster in healthy state' });
    });
  });

  describe('cert-manager, played', () => {
    const certRef = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'db-tls', namespace: 'certs' },
    };
    const certificate = (dnsNames: string[]): Obj => ({
      ...certRef,
      metadata: { ...certRef.metadata, annotations: { written: 'first' } },
      spec: {
        secretName: 'db-tls',
        dnsNames,
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'ca' },
        secretTemplate: { labels: { 'cnpg.io/reload': '' } },
      },
    });
    const read = () => api.read(certRef) as Promise<Any>;
    /** A write to `.../status`, as cert-manager makes it (client-node has no subresources). */
    const patchStatus = (body: unknown, type = 'application/merge-patch+json') =>
      fetch(`${standin.plainUrl}/apis/cert-manager.io/v1/namespaces/certs/certificates/db-tls/status`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${standin.token}`, 'content-type': type },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      await apply(ns('certs'));
    });

    it('issues a Certificate (notBefore, notAfter 90 days on, renewalTime 60, revision 1) into a Secret labelled from its secretTemplate', async () => {
      // Act
      await apply(certificate(['db']));
      clock.advance(READINESS_DELAY_MS);
      const issued = await read();
      const secret: Any = await api.read({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db-tls', namespace: 'certs' },
      });

      // Assess
      const { notBefore, notAfter, renewalTime, revision } = issued.status;
      const day = 24 * 3600 * 1000;
      expect(notBefore).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(notAfter) - Date.parse(notBefore)).toBe(90 * day);
      expect(Date.parse(renewalTime) - Date.parse(notBefore)).toBe(60 * day);
      expect(revision).toBe(1);
      expect(issued.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
      expect(secret.metadata.labels).toEqual({ 'cnpg.io/reload': '' });
    });

    it('keeps what it issued over a metadata write, and issues again (revision 2) for a new spec', async () => {
      // Prepare
      const before = (await read()).status;

      // Act
      await apply({
        ...certificate(['db']),
        metadata: { ...certRef.metadata, annotations: { written: 'again' } },
      });
      clock.advance(READINESS_DELAY_MS);
      const kept = (await read()).status;
      await apply(certificate(['db', 'db.certs']));
      clock.advance(READINESS_DELAY_MS);
      const reissued = (await read()).status;

      // Assess
      expect(kept).toEqual(before);
      expect(reissued.revision).toBe(2);
      expect(Date.parse(reissued.notBefore)).toBeGreaterThanOrEqual(Date.parse(before.notBefore));
    });

    it('takes a status written through /status (a renewal), keeps it, and leaves the spec and generation alone', async () => {
      // Prepare
      const before = await read();

      // Act
      const res = await patchStatus({
        spec: { dnsNames: ['ignored'] },
        status: { notBefore: '2031-01-01T00:00:00Z', revision: 9 },
      });
      await apply({
        ...certificate(['db', 'db.certs']),
        metadata: { ...certRef.metadata, annotations: { written: 'late' } },
      });
      clock.advance(READINESS_DELAY_MS);
      const after = await read();
      const refused = await patchStatus({ status: {} }, 'application/apply-patch+yaml');

      // Assess
      expect(res.status).toBe(200);
      expect(((await res.json()) as Any).status).toMatchObject({
        notBefore: '2031-01-01T00:00:00Z',
        revision: 9,
      });
      expect(after.status).toMatchObject({
        notBefore: '2031-01-01T00:00:00Z',
        revision: 9,
        notAfter: before.status.notAfter,
      });
      expect(after.spec.dnsNames).toEqual(['db', 'db.certs']);
      expect(after.metadata.generation).toBe(before.metadata.generation);
      expect(refused.status).toBe(415);
    });

    it("puts a Dragonfly's podMetadata.annotations on its StatefulSet's pod template: new pods for a new value", async () => {
      // Prepare
      const dragonfly = (annotations?: Record<string, string>): Obj => ({
        apiVersion: 'dragonflydb.io/v1alpha1',
        kind: 'Dragonfly',
        metadata: { name: 'df', namespace: 'certs' },
        spec: { replicas: 1, image: 'dragonfly:1', ...(annotations ? { podMetadata: { annotations } } : {}) },
      });
      const pods = () =>
        standin
          .list()
          .filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'certs' && o.metadata.name === 'df-0');
      await apply(dragonfly());
      clock.advance(READINESS_DELAY_MS);
      await read();
      clock.advance(READINESS_DELAY_MS);
      await read();
      const first = pods()[0]?.metadata.uid;

      // Act
      await apply(dragonfly({ 'stratus.dev/tls-restarted-for': '2031-01-01T00:00:00Z' }));
      for (let i = 0; i < 3; i++) {
        clock.advance(READINESS_DELAY_MS);
        await read();
      }

      // Assess
      const sts: Any = standin.list().find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'df');
      expect(sts.spec.template.metadata.annotations).toEqual({
        'stratus.dev/tls-restarted-for': '2031-01-01T00:00:00Z',
      });
      expect(first).toBeDefined();
      expect(pods()[0]?.metadata.uid).toBeDefined();
      expect(pods()[0]?.metadata.uid).not.toBe(first);
    });
  });

  describe('namespace deletion', () => {
    it('goes through Terminating, refuses new content, then removes the namespace and everything in it', async () => {
      // Prepare
      await apply(ns('doomed'));
      await apply(configMap('doomed', 'cfg', { a: '1' }));

      // Act: the clock stands still until the termination period is over.
      await api.delete(ns('doomed'));
      const terminating = (await api.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'doomed' },
      })) as Obj;
      const refused = await statusOf(apply(configMap('doomed', 'late', {})));
      const again = await statusOf(api.delete(ns('doomed')));
      clock.advance(NAMESPACE_TERMINATION_MS - 1);
      const stillThere = standin
        .list()
        .filter((o) => o.metadata.name === 'doomed' || o.metadata.namespace === 'doomed');
      clock.advance(1);
      const left = standin
        .list()
        .filter((o) => o.metadata.name === 'doomed' || o.metadata.namespace === 'doomed');

      // Assess
      expect(terminating.status).toMatchObject({ phase: 'Terminating' });
      expect(refused).toMatchObject({ code: 403, reason: 'Forbidden' });
      expect(again).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(stillThere.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Namespace']);
      expect(left).toEqual([]);
    });

    it('refuses to delete system namespaces', async () => {
      expect(await statusOf(api.delete(ns('kube-system')))).toMatchObject({ code: 403 });
    });
  });

  describe('fault injection', () => {
    it('answers the configured error status on API calls but not on discovery', async () => {
      // Prepare
      standin.setFaults({ errorRate: 1, errorStatus: 503 });

      // Act
      const status = await statusOf(
        api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
      );
      const discovery = await fetch(`${standin.plainUrl}/apis/apps/v1`, {
        headers: { authorization: `Bearer ${standin.token}` },
      });

      // Assess
      expect(status).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
      expect(discovery.status).toBe(200);
    });

    it('adds latency', async () => {
      standin.setFaults({ latencyMs: 120 });
      const started = Date.now();
      await api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    });
  });
});

describe('Kubernetes stand-in persistence', () => {
  it('keeps objects and the resourceVersion counter across a restart', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'standin-data-'));
    const dataFile = join(dir, 'kube.json');
    const first = await startKubeStandin({ dataFile, token: 't', readinessDelayMs: 0 });
    const api1 = KubernetesObjectApi.makeApiClient(kubeConfigFor(first));
    await api1.create(ns('kept'));
    const created = await api1.create(configMap('kept', 'cfg', { a: '1' }));
    await first.stop();

    // Act
    const second = await startKubeStandin({ dataFile, token: 't' });
    const api2 = KubernetesObjectApi.makeApiClient(kubeConfigFor(second));
    const read = await api2.read({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'kept' },
    });
    const next = await api2.create(configMap('kept', 'other', {}));

    // Assess
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(Number(next.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    await second.stop();
    await rm(dir, { recursive: true });
  });

  it("leaves a running StatefulSet's pods as they were across a restart: no new status, no new resourceVersion", async () => {
    // Prepare: a StatefulSet whose pods run
    const dir = await mkdtemp(join(tmpdir(), 'standin-data-'));
    const dataFile = join(dir, 'kube.json');
    const first = await startKubeStandin({ dataFile, token: 't', readinessDelayMs: 0 });
    const api1 = KubernetesObjectApi.makeApiClient(kubeConfigFor(first));
    await api1.create(ns('pods'));
    await api1.create(statefulSet('pods', 2));
    const podsOf = async (api: KubernetesObjectApi) => {
      const pods = (await api.list('v1', 'Pod', 'pods')).items as Obj[];
      return pods
        .map((p) => [p.metadata?.name, p.metadata?.resourceVersion, JSON.stringify(p.status)])
        .sort();
    };
    let before: string[][] = [];
    const running = () => before.length === 2 && before.every((p) => p[2]?.includes('"phase":"Running"'));
    for (let i = 0; i < 200 && !running(); i++) {
      await new Promise((r) => setTimeout(r, 20));
      before = (await podsOf(api1)) as string[][];
    }
    await new Promise((r) => setTimeout(r, 1100)); // a restart a second later: another timestamp
    await first.stop();

    // Act
    const second = await startKubeStandin({ dataFile, token: 't', readinessDelayMs: 0 });
    const api2 = KubernetesObjectApi.makeApiClient(kubeConfigFor(second));
    await api2.list('v1', 'Pod', 'pods'); // a request runs the simulated controllers
    const after = await podsOf(api2);

    // Assess
    expect(running()).toBe(true);
    expect(after).toEqual(before);
    await second.stop();
    await rm(dir, { recursive: true });
  });
});
