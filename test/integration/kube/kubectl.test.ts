/**
 * The real `kubectl` against the Kubernetes stand-in, through the kubeconfig the stand-in writes
 * (HTTPS, its CA): what a person does after `npm start`. Skipped, with a warning, where kubectl
 * is not on PATH.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import type { Blueprint } from '../../../functions/shared/engines/types.js';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { startTestStandin, waitFor } from '../../helpers/kube.js';
import { clusterSpec, PUBLIC_ENDPOINT, renderContext, TEST_GATEWAY } from '../../helpers/kube-fixtures.js';

const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
/** Where the kubectl on PATH really is (versioned binaries may sit beside it). */
const KUBECTL_DIR = HAS_KUBECTL
  ? dirname(
      spawnSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], { encoding: 'utf8' }).stdout.trim(),
    )
  : '';
if (!HAS_KUBECTL)
  console.warn('kubectl test skipped: kubectl is not on PATH (https://kubernetes.io/docs/tasks/tools/)');

// biome-ignore lint/suspicious/noExplicitAny: test navigation of nested objects
type Any = any;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata:
  name: stratus-demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: stratus-demo
data:
  a: "1"
  b: "2"
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: stratus-demo
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:16
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: stratus-demo
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: stratus-demo
spec:
  selector: {app: db}
  ports:
  - port: 5432
    protocol: TCP
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: stratus-demo
spec:
  instances: 3
`;

/** The rows of kubectl's table output, split on runs of 2+ spaces (cells may hold one space). */
const rows = (stdout: string): string[][] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s{2,}/));

describe.runIf(HAS_KUBECTL)('kubectl against the stand-in', () => {
  let standin: KubeStandin;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (...args: string[]): Promise<Run> => kubectlAt('kubectl', ...args);
  const kubectlAt = (bin: string, ...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        bin,
        args,
        // No cache of discovery between tests (kubectl keeps one under ~/.kube/cache).
        {
          env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') },
          timeout: 15_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const ok = async (...args: string[]): Promise<string> => {
    const run = await kubectl(...args);
    expect(run.stderr, `kubectl ${args.join(' ')}`).toBe('');
    expect(run.code).toBe(0);
    return run.stdout;
  };

  beforeAll(async () => {
    standin = await startTestStandin();
    dir = await mkdtemp(join(tmpdir(), 'stratus-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    await standin.writeKubeconfig(kubeconfig);
    await writeFile(join(dir, 'manifests.yaml'), MANIFESTS);
    // Applied server-side, with kubectl's client-side validation left on (it reads /openapi/v3).
    await ok('apply', '--server-side', '-f', join(dir, 'manifests.yaml'));
  });
  afterAll(async () => {
    await standin?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts the HTTPS server through the kubeconfig (CA data, bearer token) and lists namespaces by short name', async () => {
    // Act
    const out = await ok('get', 'ns');

    // Assess
    expect(rows(out)[0]).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(rows(out).map((r) => r[0])).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'stratus-demo']),
    );
    expect(rows(out).find((r) => r[0] === 'stratus-demo')?.[1]).toBe('Active');
  });

  it('lists api-resources with short names, and resolves each short name', async () => {
    // Act
    const out = await ok('api-resources', '--no-headers');
    const byName = new Map(rows(out).map((r) => [r[0], r]));

    // Assess
    expect(byName.get('statefulsets')?.[1]).toBe('sts');
    expect(byName.get('deployments')?.[1]).toBe('deploy');
    expect(byName.get('namespaces')?.[1]).toBe('ns');
    expect(byName.get('persistentvolumeclaims')?.[1]).toBe('pvc');
    expect(byName.get('poddisruptionbudgets')?.[1]).toBe('pdb');
    expect(byName.get('networkpolicies')?.[1]).toBe('netpol');
    const byShortName = await ok(
      'get',
      'sts,deploy,svc,cm,pvc,pdb,netpol',
      '-n',
      'stratus-demo',
      '-o',
      'name',
    );
    // pvc: the claims the simulated controllers made (CloudNativePG's `pg-<n>`, a StatefulSet's templates).
    const names = byShortName.trim().split('\n');
    expect(names.filter((n) => !n.startsWith('persistentvolumeclaim/'))).toEqual([
      'statefulset.apps/db',
      'deployment.apps/web',
      'service/db',
      'configmap/settings',
    ]);
    expect(names.filter((n) => n.startsWith('persistentvolumeclaim/')).length).toBeGreaterThan(0);
    for (const n of names.filter((n) => n.startsWith('persistentvolumeclaim/')))
      expect(n).toMatch(/^persistentvolumeclaim\/(pg-\d+|[a-z]+-db-\d+)$/);
  });

  it('prints the server-side columns of each kind, and -A adds the namespace', async () => {
    // Act
    await waitFor(
      async () => ((await ok('get', 'sts', 'db', '-n', 'stratus-demo')).includes('2/2') ? true : undefined),
      {
        what: 'the StatefulSet ready',
      },
    );
    const sts = rows(await ok('get', 'sts', '-n', 'stratus-demo'));
    const deploy = rows(await ok('get', 'deploy', '-n', 'stratus-demo'));
    const svc = rows(await ok('get', 'svc', '-n', 'stratus-demo', '-o', 'wide'));
    const cm = rows(await ok('get', 'cm', '-A'));
    const pg = rows(await ok('get', 'clusters.postgresql.cnpg.io', '-n', 'stratus-demo'));

    // Assess
    expect(sts).toEqual([
      ['NAME', 'READY', 'AGE'],
      ['db', '2/2', expect.stringMatching(/^\d+s$/)],
    ]);
    expect(deploy[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(deploy[1]?.slice(0, 4)).toEqual(['web', '1/1', '1', '1']);
    expect(svc[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    // The address the Service registry allocates (from 10.96.0.0/12, as kube-apiserver's default).
    expect(svc[1]).toEqual([
      'db',
      'ClusterIP',
      expect.stringMatching(/^10\.\d+\.\d+\.\d+$/),
      '<none>',
      '5432/TCP',
      expect.any(String),
      'app=db',
    ]);
    expect(cm).toEqual([
      ['NAMESPACE', 'NAME', 'DATA', 'AGE'],
      ['stratus-demo', 'settings', '2', expect.any(String)],
    ]);
    // The CRD's additionalPrinterColumns (Age first, SyncTopology only with -o wide).
    expect(pg[0]).toEqual(['NAME', 'AGE', 'INSTANCES', 'READY', 'STATUS', 'PRIMARY']);
    expect(pg[1]?.slice(2)).toEqual(['3', '3', 'Cluster in healthy state', 'pg-1']);
  });

  it('gets all: the kinds of the `all` category in the namespace', async () => {
    // Act: once the StatefulSet rolled out, its pods run.
    await ok('rollout', 'status', 'statefulset/db', '-n', 'stratus-demo', '--timeout=60s');
    await ok('rollout', 'status', 'deployment/web', '-n', 'stratus-demo', '--timeout=60s');
    await ok('wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '-n', 'stratus-demo', '--timeout=60s');
    const out = await ok('get', 'all', '-n', 'stratus-demo');

    // Assess
    expect(out).toContain('service/db');
    expect(out).toContain('statefulset.apps/db');
    expect(out).toMatch(/^pod\/db-0\s+1\/1\s+Running\s+0\s/m);
    expect(out).toMatch(/^pod\/db-1\s+1\/1\s+Running\s+0\s/m);
    // The Deployment's ReplicaSet and its pod.
    expect(out).toMatch(/^replicaset\.apps\/web-[a-z0-9]{10}\s+1\s+1\s+1\s/m);
    expect(out).toMatch(/^pod\/web-[a-z0-9]{10}-[a-z0-9]{5}\s+1\/1\s+Running\s/m);
    expect(out).toContain('deployment.apps/web');
    expect(out).not.toContain('configmap');
  });

  it('prints objects as YAML: no generation on a ConfigMap or Namespace, the kubernetes finalizer', async () => {
    // Act
    const cm = await ok('get', 'cm', 'settings', '-n', 'stratus-demo', '-o', 'yaml');
    const ns = await ok('get', 'ns', 'stratus-demo', '-o', 'yaml');
    const sts = await ok('get', 'sts', 'db', '-n', 'stratus-demo', '-o', 'yaml');

    // Assess
    expect(cm).toMatch(/^kind: ConfigMap$/m);
    expect(cm).not.toContain('generation:');
    expect(ns).not.toContain('generation:');
    expect(ns).toMatch(/finalizers:\n\s+- kubernetes/);
    expect(sts).toMatch(/^ {2}generation: 1$/m);
  });

  it('describes a namespace and a StatefulSet', async () => {
    // Act
    const ns = await ok('describe', 'ns', 'stratus-demo');
    const sts = await ok('describe', 'sts', 'db', '-n', 'stratus-demo');

    // Assess
    expect(ns).toMatch(/^Status:\s+Active$/m);
    expect(sts).toMatch(/^Replicas:\s+2 desired/m);
    expect(sts).toMatch(/^Pods Status:\s+2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(sts).toContain('postgres:16');
  });

  it('creates, dry-runs, and patches (merge, JSON, strategic with a list merged by key)', async () => {
    // Prepare: from a file (kubectl 1.32+ sends the objects of `create configmap ...` as
    // protobuf, which the stand-in refuses: README, "kubectl against the stand-in").
    await writeFile(
      join(dir, 'made.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: made\n  namespace: stratus-demo\ndata:\n  k: v\n',
    );

    // Act
    const dryRun = await ok('create', '-f', join(dir, 'made.yaml'), '--dry-run=server', '-o', 'name');
    const afterDryRun = await kubectl('get', 'cm', 'made', '-n', 'stratus-demo');
    const created = await ok('create', '-f', join(dir, 'made.yaml'));
    await ok('patch', 'cm', 'made', '-n', 'stratus-demo', '--type=merge', '-p', '{"data":{"m":"1"}}');
    await ok(
      'patch',
      'cm',
      'made',
      '-n',
      'stratus-demo',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/data/j","value":"2"}]',
    );
    const failedTest = await kubectl(
      'patch',
      'cm',
      'made',
      '-n',
      'stratus-demo',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/data/k","value":"other"},{"op":"remove","path":"/data/k"}]',
    );
    const data = JSON.parse(await ok('get', 'cm', 'made', '-n', 'stratus-demo', '-o', 'jsonpath={.data}'));
    const smp = await kubectl(
      'patch',
      'sts',
      'db',
      '-n',
      'stratus-demo',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}',
    );
    const names = () =>
      ok('get', 'sts', 'db', '-n', 'stratus-demo', '-o', 'jsonpath={.spec.template.spec.containers[*].name}');
    const merged = await names();
    await ok(
      'patch',
      'sts',
      'db',
      '-n',
      'stratus-demo',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}',
    );
    const containers = await names();

    // Assess
    expect(dryRun.trim()).toBe('configmap/made');
    expect(afterDryRun.stderr).toContain('not found');
    expect(created.trim()).toBe('configmap/made created');
    expect(failedTest.code).not.toBe(0);
    expect(failedTest.stderr).toContain('testing value /data/k failed');
    expect(data).toEqual({ k: 'v', m: '1', j: '2' });
    expect(smp).toMatchObject({ code: 0, stdout: 'statefulset.apps/db patched\n' });
    expect(merged).toBe('db sidecar'); // merged by name, not replaced
    expect(containers).toBe('db'); // `$patch: delete` took the sidecar out
  });

  it('checks built-in kinds against their schema: unknown fields refused or dropped with a warning, wrong types and enums refused', async () => {
    // Prepare
    const deployment = (name: string, spec: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: stratus-demo\nspec:\n${spec}  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n`;
    await writeFile(join(dir, 'unknown.yaml'), deployment('unknown', '  bogus: 1\n'));
    await writeFile(
      join(dir, 'invalid.yaml'),
      [
        deployment('typed', '  replicas: "two"\n'),
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\n  namespace: stratus-demo\nspec:\n  type: ClusterIp\n  ports: [{port: 80}]\n',
      ].join('---\n'),
    );

    // Act: kubectl's default validation is strict (it sends fieldValidation=Strict).
    const strict = await kubectl('apply', '-f', join(dir, 'unknown.yaml'));
    const invalid = await kubectl('apply', '-f', join(dir, 'invalid.yaml'));
    const serverSide = await kubectl('apply', '--server-side', '-f', join(dir, 'unknown.yaml'));
    const warned = await kubectl('create', '--validate=warn', '-f', join(dir, 'unknown.yaml'));
    const spec = JSON.parse(
      await ok('get', 'deploy', 'unknown', '-n', 'stratus-demo', '-o', 'jsonpath={.spec}'),
    );

    // Assess
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bogus"',
    );
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain(
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect(invalid.stderr).toContain(
      'Service "typo" is invalid: spec.type: Unsupported value: "ClusterIp": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
    expect(serverSide.code).not.toBe(0);
    expect(serverSide.stderr).toContain(
      '(stratus-demo/unknown; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema',
    );
    expect(warned).toMatchObject({ code: 0, stdout: 'deployment.apps/unknown created\n' });
    expect(warned.stderr).toBe('Warning: unknown field "spec.bogus"\n');
    expect(spec).not.toHaveProperty('bogus');
    expect(spec.replicas).toBe(1);
  });

  it("takes Stratus's TLS endpoint objects (GRPCRoute, BackendTLSPolicy, Passthrough ListenerSet, Certificates): defaults filled as the vendored CRDs say, a bad host name refused", async () => {
    // Prepare: what Stratus renders for a public Qdrant and a public Valkey with TLS to the database
    const objects = ['qdrant', 'valkey'].flatMap((engine) => {
      const bp = blueprints[engine] as Blueprint;
      const spec = clusterSpec({
        engine,
        clusterId: `cl-01jd8w3k5m7n9p1q3r5s7t9v${engine === 'qdrant' ? '2x' : '3y'}`,
        version: bp.versions.at(-1),
        settings: bp.settingsSchema.parse({}),
        tls: true,
        endpoint: PUBLIC_ENDPOINT,
      });
      return bp
        .render(spec, renderContext({ secrets: { apiKey: 'k', password: 'p' }, gateway: TEST_GATEWAY }))
        .filter((o) => o.kind === 'Namespace' || o.metadata.name.startsWith('stratus-'));
    });
    await writeFile(
      join(dir, 'tls-endpoints.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
    const qdrantNs = 'stratus-cl-01jd8w3k5m7n9p1q3r5s7t9v2x';
    const btls = objects.find((o) => o.kind === 'BackendTLSPolicy') as Any;
    await writeFile(
      join(dir, 'bad-btls.json'),
      JSON.stringify({
        ...btls,
        metadata: { name: 'bad', namespace: qdrantNs },
        spec: { ...btls.spec, validation: { ...btls.spec.validation, hostname: 'Not_A_Host' } },
      }),
    );

    // Act
    await ok('apply', '--server-side', '-f', join(dir, 'tls-endpoints.json'));
    const grpc = JSON.parse(await ok('get', 'grpcroute', 'stratus-endpoint', '-n', qdrantNs, '-o', 'json'));
    const listed = await ok(
      'get',
      'backendtlspolicies,certificates,grpcroutes,httproutes',
      '-n',
      qdrantNs,
      '-o',
      'name',
    );
    const listener = await ok(
      'get',
      'listenersets',
      'stratus-endpoint',
      '-n',
      'stratus-cl-01jd8w3k5m7n9p1q3r5s7t9v3y',
      '-o',
      'jsonpath={.spec.listeners[0].tls.mode}',
    );
    const bad = await kubectl('apply', '--server-side', '-f', join(dir, 'bad-btls.json'));

    // Assess
    expect(grpc.spec.parentRefs[0]).toMatchObject({
      group: 'gateway.networking.k8s.io',
      kind: 'ListenerSet',
    });
    expect(grpc.spec.rules[0].backendRefs).toEqual([
      { group: '', kind: 'Service', name: 'qdrant', port: 6334, weight: 1 },
    ]);
    expect(listed.trim().split('\n').sort()).toEqual([
      'backendtlspolicy.gateway.networking.k8s.io/stratus-endpoint',
      'certificate.cert-manager.io/stratus-endpoint',
      'certificate.cert-manager.io/stratus-tls',
      'grpcroute.gateway.networking.k8s.io/stratus-endpoint',
      'httproute.gateway.networking.k8s.io/stratus-endpoint',
    ]);
    expect(listener).toBe('Passthrough');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.validation.hostname');
  });

  it('fills the defaults of the kinds people create by hand: Pod, Job, PVC, NodePort Service; ConfigMap as written', async () => {
    // Prepare
    await writeFile(
      join(dir, 'by-hand.yaml'),
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stratus-hand\n',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\n  namespace: stratus-hand\nspec:\n  containers:\n  - name: c\n    image: busybox\n    resources:\n      limits: {cpu: 500m, memory: 64Mi}\n',
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n  namespace: stratus-hand\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox:1.36\n',
        'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: scratch\n  namespace: stratus-hand\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests: {storage: 1Gi}\n',
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: edge\n  namespace: stratus-hand\nspec:\n  type: NodePort\n  selector: {app: edge}\n  ports: [{port: 80}]\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: stratus-hand\ndata: {k: v}\n',
      ].join('---\n'),
    );
    await writeFile(
      join(dir, 'restarts.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: always\n  namespace: stratus-hand\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: busybox\n',
    );

    // Act
    await ok('apply', '-f', join(dir, 'by-hand.yaml'));
    const refused = await kubectl('apply', '-f', join(dir, 'restarts.yaml'));
    const list = JSON.parse(await ok('get', 'pod,job,svc,cm', '-n', 'stratus-hand', '-o', 'json')) as {
      items: Array<{
        kind: string;
        metadata: { name: string; uid: string };
        spec: Any;
        status?: Any;
        data?: Any;
      }>;
    };
    const byKind = (kind: string) => list.items.find((i) => i.kind === kind);
    const pvc = JSON.parse(await ok('get', 'pvc', 'scratch', '-n', 'stratus-hand', '-o', 'json'));

    // Assess
    const pod = byKind('Pod');
    expect(pod?.spec).toMatchObject({
      restartPolicy: 'Always',
      serviceAccountName: 'default',
      priority: 0,
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          imagePullPolicy: 'Always',
          resources: { requests: { cpu: '500m', memory: '64Mi' } },
          terminationMessagePolicy: 'File',
        },
      ],
    });
    // Pending with its QoS class when created; Running and Ready once the simulated kubelet ran it.
    expect(pod?.status).toMatchObject({ qosClass: 'Guaranteed' });
    expect(['Pending', 'Running']).toContain(pod?.status.phase);
    expect(await ok('wait', '--for=condition=Ready', 'pod/tool', '-n', 'stratus-hand', '--timeout=60s')).toBe(
      'pod/tool condition met\n',
    );
    expect(await ok('get', 'pod', 'tool', '-n', 'stratus-hand', '-o', 'jsonpath={.status.phase}')).toBe(
      'Running',
    );
    const job = byKind('Job');
    expect(job?.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': job?.metadata.uid } },
      template: { metadata: { labels: { 'job-name': 'once' } } },
    });
    expect(byKind('Service')?.spec).toMatchObject({
      type: 'NodePort',
      externalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: expect.any(Number) }],
    });
    expect(byKind('ConfigMap')).not.toHaveProperty('spec');
    expect(byKind('ConfigMap')?.data).toEqual({ k: 'v' });
    expect(pvc.spec).toMatchObject({ volumeMode: 'Filesystem' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Job "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });

  it('refuses changes to immutable fields with 422 in the words of kube-apiserver, and lets a bound claim grow', async () => {
    // Prepare
    await writeFile(
      join(dir, 'frozen.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: frozen\n  namespace: stratus-demo\nimmutable: true\nstringData: {k: v}\n',
    );
    await ok('create', '-f', join(dir, 'frozen.yaml'));
    const patch = (target: string, body: unknown, namespace = 'stratus-demo') =>
      kubectl('patch', target, '-n', namespace, '--type=merge', '-p', JSON.stringify(body));
    await waitFor(
      async () =>
        (await ok('get', 'pvc', 'scratch', '-n', 'stratus-hand', '-o', 'jsonpath={.status.phase}')) ===
        'Bound'
          ? true
          : undefined,
      { what: 'the claim bound' },
    );

    // Act
    const sts = await patch('sts/db', { spec: { serviceName: 'other', podManagementPolicy: 'Parallel' } });
    const stsReplicas = await patch('sts/db', { spec: { replicas: 2, minReadySeconds: 1 } });
    const deploy = await patch('deploy/web', {
      spec: {
        selector: { matchLabels: { app: 'web2' } },
        template: { metadata: { labels: { app: 'web2' } } },
      },
    });
    const svc = await patch('svc/db', { spec: { clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] } });
    const secret = await patch('secret/frozen', { data: { k: 'dw==' } });
    const grown = await patch(
      'pvc/scratch',
      { spec: { resources: { requests: { storage: '2Gi' } } } },
      'stratus-hand',
    );
    const shrunk = await patch(
      'pvc/scratch',
      { spec: { resources: { requests: { storage: '1Gi' } } } },
      'stratus-hand',
    );
    const modes = await patch('pvc/scratch', { spec: { accessModes: ['ReadWriteMany'] } }, 'stratus-hand');

    // Assess
    expect(sts.code).not.toBe(0);
    expect(sts.stderr).toContain(
      `The StatefulSet "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`,
    );
    expect(stsReplicas).toMatchObject({ code: 0, stdout: 'statefulset.apps/db patched\n' });
    expect(deploy.stderr).toContain(
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    expect(svc.stderr).toContain('spec.clusterIP: Invalid value: "10.96.0.99": field is immutable');
    expect(svc.stderr).toContain(
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set',
    );
    expect(secret.stderr).toContain(
      'The Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
    expect(grown).toMatchObject({ code: 0, stdout: 'persistentvolumeclaim/scratch patched\n' });
    expect(shrunk.stderr).toContain(
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    );
    expect(modes.stderr).toContain(
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
  });

  it('merges lists by key in the strategic patches of set image, set env, label, edit and a client-side apply', async () => {
    // Prepare: a Deployment applied client-side (kubectl then patches it strategically).
    const manifest = (second: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: smp\n  namespace: stratus-hand\nspec:\n  selector:\n    matchLabels: {app: smp}\n  template:\n    metadata:\n      labels: {app: smp}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        env: [{name: A, value: "1"}, {name: B, value: "2"}]\n        ports: [{containerPort: 80}, {containerPort: 443}]\n      - name: ${second}\n        image: busybox\n`;
    await writeFile(join(dir, 'smp.yaml'), manifest('first'));
    await writeFile(join(dir, 'smp2.yaml'), manifest('second'));
    await ok('apply', '-f', join(dir, 'smp.yaml'));
    await writeFile(
      join(dir, 'editor.sh'),
      '#!/bin/sh\nsed -i "s/containerPort: 443/containerPort: 8443/" "$1"\n',
      {
        mode: 0o755,
      },
    );
    const get = async () =>
      JSON.parse(await ok('get', 'deploy', 'smp', '-n', 'stratus-hand', '-o', 'json')) as Any;

    // Act
    // The three-way patch: `first` deleted with `$patch: delete`, `second` added, order set.
    const reapplied = await kubectl('apply', '-f', join(dir, 'smp2.yaml'));
    const afterApply = await get();
    await ok('set', 'image', 'deploy/smp', '-n', 'stratus-hand', 'app=nginx:1.28');
    await ok('set', 'env', 'deploy/smp', '-n', 'stratus-hand', '-c', 'app', 'C=3', 'B-');
    await ok('label', 'deploy', 'smp', '-n', 'stratus-hand', 'tier=front');
    const edited = await new Promise<Run>((resolve) => {
      execFile(
        'kubectl',
        ['edit', 'deploy', 'smp', '-n', 'stratus-hand'],
        {
          env: {
            ...process.env,
            KUBECONFIG: kubeconfig,
            KUBECACHEDIR: join(dir, 'cache'),
            // kubectl edit runs the editor on a temporary file: a script that changes a port.
            KUBE_EDITOR: join(dir, 'editor.sh'),
          },
          timeout: 15_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    const final = await get();

    // Assess
    expect(reapplied).toMatchObject({ code: 0, stdout: 'deployment.apps/smp configured\n' });
    expect(afterApply.spec.template.spec.containers.map((c: Any) => c.name)).toEqual(['app', 'second']);
    expect(edited).toMatchObject({ code: 0, stdout: 'deployment.apps/smp edited\n' });
    const [app, second] = final.spec.template.spec.containers;
    expect(app).toMatchObject({
      name: 'app',
      image: 'nginx:1.28',
      env: [
        { name: 'A', value: '1' },
        { name: 'C', value: '3' },
      ],
      ports: [
        { containerPort: 80, protocol: 'TCP' },
        { containerPort: 8443, protocol: 'TCP' },
      ],
    });
    expect(second).toMatchObject({ name: 'second', image: 'busybox' });
    expect(final.metadata.labels).toEqual({ tier: 'front' });
  });

  it("answers auth can-i and whoami from the stand-in's access model, and explain from its OpenAPI schemas", async () => {
    // Prepare: an injected rejection is the stand-in's only way of refusing a request.
    const message = 'injected: deleting StatefulSets is not allowed';
    standin.setFaults({ rejections: [{ method: 'DELETE', kind: 'StatefulSet', status: 403, message }] });

    // Act
    let get: Run;
    let del: Run;
    try {
      get = await kubectl('auth', 'can-i', 'get', 'pods', '-n', 'stratus-demo');
      del = await kubectl('auth', 'can-i', 'delete', 'statefulsets', '-n', 'stratus-demo');
    } finally {
      standin.setFaults({});
    }
    const whoami = JSON.parse(await ok('auth', 'whoami', '-o', 'json'));
    const list = await ok('auth', 'can-i', '--list', '-n', 'stratus-demo');
    const ports = await ok('explain', 'deploy.spec.template.spec.containers.ports');
    const storage = await ok('explain', 'clusters.spec.storage');

    // Assess
    expect(get).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(del.code).toBe(1);
    expect(del.stdout).toBe(`no - ${message}\n`);
    expect(whoami.status.userInfo).toEqual({
      username: 'stratus-local',
      groups: ['system:masters', 'system:authenticated'],
    });
    expect(rows(list)[1]).toEqual(['*.*', '[]', '[]', '[*]']);
    expect(ports).toMatch(/^KIND:\s+Deployment$/m);
    expect(ports).toMatch(/^FIELD: ports <\[\]ContainerPort>$/m);
    expect(ports).toMatch(/^ {2}containerPort\t<integer>$/m);
    expect(ports).toMatch(/^ {2}protocol\t<string>$/m);
    // A custom kind's fields with its CRD's descriptions.
    expect(storage).toMatch(/^GROUP:\s+postgresql\.cnpg\.io$/m);
    expect(storage).toContain('Configuration of the storage of the instances');
    expect(storage).toMatch(/^ {2}size\t<string>$/m);
  });

  it('installs a CRD: established, its kind served with its schema, columns and short name, explained; deleted: gone with its objects', async () => {
    // Prepare
    await writeFile(
      join(dir, 'crd.yaml'),
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.stratus.test
spec:
  group: stratus.test
  scope: Namespaced
  names: {kind: Widget, plural: widgets, shortNames: [wdg]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What the widget is.
            properties:
              size: {type: integer, description: How big the widget is., default: 1}
              colour: {type: string}
`,
    );
    const widget = (spec: string) =>
      `apiVersion: stratus.test/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: stratus-hand\nspec: ${spec}\n`;
    await writeFile(join(dir, 'widget.yaml'), widget('{colour: red}'));
    await writeFile(join(dir, 'bad-widget.yaml'), widget('{colour: red, weight: 3}'));

    // Act
    await ok('apply', '-f', join(dir, 'crd.yaml'));
    const established = await kubectl(
      'wait',
      '--for=condition=established',
      'crd/widgets.stratus.test',
      '--timeout=10s',
    );
    const unknown = await kubectl('apply', '-f', join(dir, 'bad-widget.yaml'));
    await ok('apply', '-f', join(dir, 'widget.yaml'));
    const listed = rows(await ok('get', 'wdg', '-n', 'stratus-hand'));
    const crds = rows(await ok('get', 'crd'));
    const explained = await ok('explain', 'widgets.spec');
    const deleted = await ok('delete', 'crd', 'widgets.stratus.test');
    const gone = await kubectl('get', 'widgets.stratus.test', '-n', 'stratus-hand');
    const crdsAfter = await ok('get', 'crd', '-o', 'name');

    // Assess
    expect(established).toMatchObject({
      code: 0,
      stdout: 'customresourcedefinition.apiextensions.k8s.io/widgets.stratus.test condition met\n',
    });
    expect(unknown.stderr).toContain(
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.weight"',
    );
    expect(listed).toEqual([
      ['NAME', 'SIZE'],
      ['w1', '1'],
    ]);
    expect(crds[0]).toEqual(['NAME', 'CREATED AT']);
    expect(crds.map((r) => r[0])).toContain('widgets.stratus.test');
    expect(explained).toMatch(/^KIND:\s+Widget$/m);
    expect(explained).toContain('What the widget is.');
    expect(explained).toMatch(/^ {2}size\t<integer>\n\s+How big the widget is\.$/m);
    expect(deleted).toBe('customresourcedefinition.apiextensions.k8s.io "widgets.stratus.test" deleted\n');
    expect(gone.code).not.toBe(0);
    expect(crdsAfter).not.toContain('widgets');
  });

  it('applies server-side: a second manager conflicts, and --force-conflicts takes the field over', async () => {
    // Prepare
    await writeFile(
      join(dir, 'other.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: stratus-demo\ndata:\n  a: "9"\n',
    );

    // Act
    const conflict = await kubectl(
      'apply',
      '--server-side',
      '--field-manager=other',
      '-f',
      join(dir, 'other.yaml'),
    );
    await ok(
      'apply',
      '--server-side',
      '--field-manager=other',
      '--force-conflicts',
      '-f',
      join(dir, 'other.yaml'),
    );
    const a = await ok('get', 'cm', 'settings', '-n', 'stratus-demo', '-o', 'jsonpath={.data.a}');

    // Assess
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('conflict');
    expect(a).toBe('9');
  });

  it('waits for a condition and for a value, answered through a field-selected list and watch', async () => {
    // Act
    const available = await kubectl(
      'wait',
      '--for=condition=Available',
      'deploy/web',
      '-n',
      'stratus-demo',
      '--timeout=10s',
    );
    const replicas = await kubectl(
      'wait',
      '--for=jsonpath={.status.readyReplicas}=2',
      'sts/db',
      '-n',
      'stratus-demo',
      '--timeout=10s',
    );

    const pgReady = await kubectl(
      'wait',
      '--for=condition=Ready',
      'cluster/pg',
      '-n',
      'stratus-demo',
      '--timeout=10s',
    );
    const rollout = await kubectl('rollout', 'status', 'deploy/web', '-n', 'stratus-demo', '--timeout=10s');
    // The StatefulSet does not set updateStrategy: the server's default (RollingUpdate) lets kubectl follow it.
    const stsRollout = await kubectl('rollout', 'status', 'sts/db', '-n', 'stratus-demo', '--timeout=10s');

    // Assess
    expect(available).toMatchObject({ code: 0, stdout: 'deployment.apps/web condition met\n' });
    expect(pgReady).toMatchObject({ code: 0, stdout: 'cluster.postgresql.cnpg.io/pg condition met\n' });
    expect(rollout).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });
    expect(stsRollout).toMatchObject({ code: 0, stdout: expect.stringContaining('roll out complete') });
    expect(replicas).toMatchObject({ code: 0, stdout: 'statefulset.apps/db condition met\n' });
  });

  it('watches: get -w prints the change and the simulated controller catching up', async () => {
    // Prepare
    const child = spawn(
      'kubectl',
      ['get', 'sts', 'db', '-n', 'stratus-demo', '-w', '--request-timeout=15s'],
      {
        env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await waitFor(async () => (out.includes('2/2') ? true : undefined), { what: 'the first row' });

      // Act
      await ok('patch', 'sts', 'db', '-n', 'stratus-demo', '--type=merge', '-p', '{"spec":{"replicas":3}}');
      await waitFor(async () => (out.includes('3/3') ? true : undefined), { what: 'the converged row' });
    } finally {
      child.kill();
    }

    // Assess: the header once, then one row per event.
    const lines = rows(out);
    expect(lines[0]).toEqual(['NAME', 'READY', 'AGE']);
    expect(lines.slice(1).map((r) => r[1])).toEqual(expect.arrayContaining(['2/2', '2/3', '3/3']));
  });

  it('scales through the scale subresource, with the --current-replicas precondition', async () => {
    // Act
    const scaled = await kubectl(
      'scale',
      'deploy/web',
      '-n',
      'stratus-demo',
      '--replicas=2',
      '--current-replicas=1',
    );
    const stale = await kubectl(
      'scale',
      'deploy/web',
      '-n',
      'stratus-demo',
      '--replicas=4',
      '--current-replicas=1',
    );
    const replicas = await ok(
      'get',
      'deploy',
      'web',
      '-n',
      'stratus-demo',
      '-o',
      'jsonpath={.spec.replicas}',
    );

    // Assess
    expect(scaled).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('Expected replicas to be 1, was 2');
    expect(replicas).toBe('2');
  });

  it('works the same with every kubectl version installed beside it (kubectl.1.27 ... kubectl.1.33)', async () => {
    // Prepare: the versioned binaries beside the one on PATH, if any.
    const versions = readdirSync(KUBECTL_DIR)
      .filter((f) => /^kubectl\.1\.\d+$/.test(f))
      .map((f) => join(KUBECTL_DIR, f));

    // Act (one after the other: the stand-in answers in this process)
    const results: Array<{ bin: string; get: Run; generated: Run; apply: Run }> = [];
    for (const bin of versions) {
      const get = await kubectlAt(bin, 'get', 'sts', '-A');
      // kubectl 1.32+ sends this one as protobuf.
      const name = `gen-${bin.split('.').slice(-2).join('-')}`;
      const generated = await kubectlAt(
        bin,
        'create',
        'configmap',
        name,
        '-n',
        'stratus-demo',
        '--from-literal=k=v',
      );
      const apply = await kubectlAt(
        bin,
        'apply',
        '--server-side',
        // The conflict test before made `other` the owner of a field of these manifests.
        '--force-conflicts',
        '--dry-run=server',
        '-f',
        join(dir, 'manifests.yaml'),
      );
      results.push({ bin, get, generated, apply });
    }

    // Assess
    for (const r of results) {
      expect(r.get.stderr, r.bin).toBe('');
      expect(r.get.stdout, r.bin).toMatch(/^stratus-demo\s+db\s+\d\/\d/m);
      expect(r.generated.stderr, r.bin).toBe('');
      expect(r.generated.stdout, r.bin).toMatch(/^configmap\/gen-1-\d+ created$/m);
      expect(r.apply.stderr, r.bin).toBe('');
      expect(r.apply.stdout, r.bin).toContain('statefulset.apps/db serverside-applied (server dry run)');
    }
  });

  it('deletes a StatefulSet with --cascade=orphan, leaving its pods, then with its pods (the default)', async () => {
    // Prepare
    await writeFile(
      join(dir, 'gc.yaml'),
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stratus-gc',
        'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: kv\n  namespace: stratus-gc\nspec:\n  replicas: 1\n  serviceName: kv\n  selector:\n    matchLabels: {app: kv}\n  template:\n    metadata:\n      labels: {app: kv}\n    spec:\n      containers:\n      - name: kv\n        image: valkey/valkey:8.1.1',
      ].join('\n---\n'),
    );
    await ok('apply', '--server-side', '-f', join(dir, 'gc.yaml'));
    await ok('rollout', 'status', 'statefulset/kv', '-n', 'stratus-gc', '--timeout=60s');
    const kv0 = (path: string) => ok('get', 'pod', 'kv-0', '-n', 'stratus-gc', '-o', `jsonpath=${path}`);

    // Act
    const orphaned = await ok('delete', 'statefulset', 'kv', '-n', 'stratus-gc', '--cascade=orphan');
    const left = await ok('get', 'pods', '-n', 'stratus-gc', '-o', 'jsonpath={.items[*].metadata.name}');
    const owners = await kv0('{.metadata.ownerReferences}');
    await ok('apply', '--server-side', '-f', join(dir, 'gc.yaml'));
    await ok('rollout', 'status', 'statefulset/kv', '-n', 'stratus-gc', '--timeout=60s');
    const adopted = await kv0('{.metadata.ownerReferences[0].kind}');
    await ok('delete', 'statefulset', 'kv', '-n', 'stratus-gc');
    const none = await kubectl('get', 'pods', '-n', 'stratus-gc');

    // Assess
    expect(orphaned).toBe('statefulset.apps "kv" deleted\n');
    expect(left).toBe('kv-0');
    expect(owners).toBe('');
    expect(adopted).toBe('StatefulSet');
    expect(none.stderr).toContain('No resources found in stratus-gc namespace.');
  });

  it('deletes a namespace: kubectl waits for it to be gone, and it is', async () => {
    // Prepare
    await writeFile(
      join(dir, 'gone.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stratus-gone\n',
    );
    await ok('create', '-f', join(dir, 'gone.yaml'));

    // Act
    const deleted = await kubectl('delete', 'ns', 'stratus-gone', '--timeout=10s');
    const after = await kubectl('get', 'ns', 'stratus-gone');

    // Assess
    expect(deleted).toMatchObject({ code: 0, stdout: 'namespace "stratus-gone" deleted\n' });
    expect(after.stderr).toContain('namespaces "stratus-gone" not found');
  });
});
