import { describe, expect, it } from 'vitest';
import { applyBuiltinDefaults, workloadCauses } from '../../../local/kube-standin/defaults.js';
import type { JsonObject } from '../../../local/kube-standin/fields.js';
import { keepAllocated, updateCauses } from '../../../local/kube-standin/immutable.js';
import { canonicalQuantity, compareQuantities } from '../../../local/kube-standin/quantity.js';
import { kindSchema } from '../../../local/kube-standin/schema.js';
import { applyDefaults, prune, validate } from '../../../local/kube-standin/structural.js';

describe('Function: canonicalQuantity', () => {
  // k8s.io/apimachinery pkg/api/resource quantity_test.go (TestQuantityParseEmit and the
  // canonicalisation table): what Quantity.String() returns for each input.
  it.each([
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1500m', '1500m'],
    ['1', '1'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1Ki', '1Ki'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['1200', '1200'],
    ['0', '0'],
    ['0Gi', '0'],
    ['10Gi', '10Gi'],
    ['1e3', '1e3'],
    ['1000e3', '1e6'],
    ['-500m', '-500m'],
    [2, '2'],
    [0.25, '250m'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it.each(['abc', '1.2.3', '1Gb', '', 'Mi'])('refuses %j', (input) => {
    expect(canonicalQuantity(input)).toBeUndefined();
  });

  it('compares quantities by value across suffixes', () => {
    expect([
      compareQuantities('1Gi', '1000Mi'),
      compareQuantities('1Gi', '1024Mi'),
      compareQuantities('500m', 1),
      compareQuantities('-1', '0'),
      compareQuantities('x', '1'),
    ]).toEqual([1, 0, -1, -1, undefined]);
  });
});

describe('Function: applyBuiltinDefaults (kubernetes pkg/apis/*/v1/defaults.go)', () => {
  it('fills the StatefulSet, pod template and container defaults a real server shows', () => {
    // Prepare
    const sts: JsonObject = {
      metadata: { name: 'db', namespace: 'ns' },
      spec: {
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              {
                name: 'a',
                image: 'nginx:1.27',
                ports: [{ containerPort: 80 }],
                readinessProbe: { httpGet: { port: 80 } },
              },
              { name: 'b', image: 'busybox' },
            ],
            volumes: [{ name: 'cfg', configMap: { name: 'c' } }],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      },
    };

    // Act
    applyBuiltinDefaults('apps/v1/StatefulSet', sts);

    // Assess
    expect(sts.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          spec: { volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
      template: {
        spec: {
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          terminationGracePeriodSeconds: 30,
          securityContext: {},
          volumes: [{ configMap: { defaultMode: 420 } }],
          containers: [
            {
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              readinessProbe: {
                httpGet: { path: '/', scheme: 'HTTP' },
                timeoutSeconds: 1,
                periodSeconds: 10,
                successThreshold: 1,
                failureThreshold: 3,
              },
            },
            // No tag means :latest, pulled Always.
            { imagePullPolicy: 'Always' },
          ],
        },
      },
    });
  });

  it('gives a Service its type, protocol, target port, session affinity and an address, and keeps a headless one headless', () => {
    const svc: JsonObject = { metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ port: 80 }] } };
    const headless: JsonObject = {
      metadata: { name: 'h', namespace: 'ns' },
      spec: { clusterIP: 'None', ports: [{ port: 1 }] },
    };

    applyBuiltinDefaults('v1/Service', svc);
    applyBuiltinDefaults('v1/Service', headless);

    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    });
    const ip = (svc.spec as JsonObject).clusterIP as string;
    expect(ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect((svc.spec as JsonObject).clusterIPs).toEqual([ip]);
    expect(headless.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
  });

  it('gives a Pod its spec defaults, requests from limits, what admission adds, and a Pending status with its QoS class', () => {
    // Prepare
    const pod = (resources: JsonObject): JsonObject => ({
      metadata: { name: 'p', namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources }] },
    });
    const guaranteed = pod({ limits: { cpu: '1', memory: '1Gi' } });
    const burstable = pod({ requests: { cpu: '100m' } });
    const bestEffort = pod({});

    // Act
    for (const p of [guaranteed, burstable, bestEffort]) applyBuiltinDefaults('v1/Pod', p);

    // Assess
    expect(guaranteed.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      containers: [
        {
          imagePullPolicy: 'IfNotPresent',
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
        },
      ],
    });
    expect([guaranteed, burstable, bestEffort].map((p) => p.status)).toEqual([
      { phase: 'Pending', qosClass: 'Guaranteed' },
      { phase: 'Pending', qosClass: 'Burstable' },
      { phase: 'Pending', qosClass: 'BestEffort' },
    ]);
  });

  it('gives a Job its defaults and the selector generated from its uid, refusing pods that restart Always', () => {
    // Prepare
    const job: JsonObject = {
      metadata: { name: 'backup', namespace: 'ns', uid: 'u-1' },
      spec: {
        template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    };

    // Act
    applyBuiltinDefaults('batch/v1/Job', job);

    // Assess
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
      template: {
        metadata: {
          labels: {
            app: 'b',
            'batch.kubernetes.io/controller-uid': 'u-1',
            'batch.kubernetes.io/job-name': 'backup',
            'controller-uid': 'u-1',
            'job-name': 'backup',
          },
        },
        spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
      },
    });
    expect((job.metadata as JsonObject).labels).toMatchObject({ app: 'b', 'job-name': 'backup' });
    expect(workloadCauses('batch/v1/Job', job)).toEqual([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"',
        field: 'spec.template.spec.restartPolicy',
      },
    ]);
  });

  it('allocates node ports to NodePort and LoadBalancer Services, and gives a new PVC a Pending status', () => {
    // Prepare
    const lb: JsonObject = {
      metadata: { name: 'web', namespace: 'ns' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] },
    };
    const pvc: JsonObject = {
      metadata: { name: 'data' },
      spec: { resources: { requests: { storage: '1Gi' } } },
    };

    // Act
    applyBuiltinDefaults('v1/Service', lb);
    applyBuiltinDefaults('v1/PersistentVolumeClaim', pvc);

    // Assess
    const ports = (lb.spec as JsonObject).ports as JsonObject[];
    for (const p of ports) expect(p.nodePort).toEqual(expect.any(Number));
    expect(ports.map((p) => p.nodePort as number).every((n) => n >= 30000 && n <= 32767)).toBe(true);
    expect(lb.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    expect(pvc).toMatchObject({ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });

  it('defaults a container LimitRange item from max, NetworkPolicy ports to TCP and policyTypes from the rules', () => {
    const limits: JsonObject = { spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } };
    const policy: JsonObject = { spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } };

    applyBuiltinDefaults('v1/LimitRange', limits);
    applyBuiltinDefaults('networking.k8s.io/v1/NetworkPolicy', policy);

    expect(limits.spec).toEqual({
      limits: [{ type: 'Container', max: { cpu: '1' }, default: { cpu: '1' }, defaultRequest: { cpu: '1' } }],
    });
    expect(policy.spec).toMatchObject({
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ ports: [{ port: 53, protocol: 'TCP' }] }],
    });
  });
});

describe('Function: workloadCauses (apps/v1 validation)', () => {
  it('refuses a selector that does not select the template, and a missing selector', () => {
    const sts = (selector: JsonObject | undefined, labels: JsonObject): JsonObject => ({
      spec: { ...(selector ? { selector } : {}), template: { metadata: { labels } } },
    });
    expect(
      workloadCauses('apps/v1/StatefulSet', sts({ matchLabels: { app: 'db' } }, { app: 'db', x: 'y' })),
    ).toEqual([]);
    expect(
      workloadCauses('apps/v1/StatefulSet', sts({ matchLabels: { app: 'db' } }, { app: 'web' })),
    ).toEqual([
      expect.objectContaining({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid' }),
    ]);
    expect(
      workloadCauses(
        'apps/v1/Deployment',
        sts({ matchExpressions: [{ key: 'app', operator: 'In', values: ['a'] }] }, { app: 'b' }),
      ),
    ).toHaveLength(1);
    expect(workloadCauses('apps/v1/StatefulSet', sts(undefined, {}))).toEqual([
      expect.objectContaining({ field: 'spec.selector', reason: 'FieldValueRequired' }),
    ]);
  });
});

describe('Custom resources under their vendored CRD (structural.ts)', () => {
  const cnpg = kindSchema('postgresql.cnpg.io/v1', 'Cluster');

  it('reads the CRD: structural, with its list-map keys', () => {
    expect(cnpg.structural).toBe(true);
    expect(cnpg.root.properties?.spec?.properties?.postgresql?.properties?.extensions?.listMapKeys).toEqual([
      'name',
    ]);
  });

  it('prunes unknown fields (and says which), keeps preserved ones, fills defaults, checks types', () => {
    // Prepare
    const cluster: JsonObject = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg' },
      spec: { instances: 3, bogus: true, storage: { size: '1Gi', alsoBogus: 1 } },
    };

    // Act
    const unknown = prune(cluster, cnpg.root);
    applyDefaults(cluster, cnpg.root);

    // Assess
    expect(unknown).toEqual(['spec.bogus', 'spec.storage.alsoBogus']);
    expect(cluster.spec).not.toHaveProperty('bogus');
    // Defaults of the CRD (postgresql.cnpg.io_clusters.yaml): logLevel info, smartShutdownTimeout 180...
    expect(cluster.spec).toMatchObject({ instances: 3, logLevel: 'info', smartShutdownTimeout: 180 });
    expect(validate(cluster, cnpg.root, '')).toEqual([]);
    expect(validate({ ...cluster, spec: { instances: 'three' } }, cnpg.root, '')).toEqual([
      expect.objectContaining({ field: 'spec.instances', reason: 'FieldValueTypeInvalid' }),
    ]);
  });

  it("checks patterns, lengths, sizes and bounds in kube-apiserver's words (BackendTLSPolicy, GRPCRoute)", () => {
    // Prepare
    const btls = kindSchema('gateway.networking.k8s.io/v1', 'BackendTLSPolicy').root;
    const grpc = kindSchema('gateway.networking.k8s.io/v1', 'GRPCRoute').root;
    const policy = (hostname: string, targets: number) => ({
      spec: {
        targetRefs: Array.from({ length: targets }, (_, i) => ({
          group: '',
          kind: 'Service',
          name: `s${i}`,
        })),
        validation: { caCertificateRefs: [{ group: '', kind: 'Secret', name: 'ca' }], hostname },
      },
    });
    const route = (port: number) => ({
      spec: { rules: [{ backendRefs: [{ name: 'qdrant', port }] }] },
    });

    // Act & Assess
    expect(validate(policy('qdrant.ns.svc.cluster.local', 1), btls, '')).toEqual([]);
    expect(validate(policy('Not_A_Host', 1), btls, '')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.validation.hostname',
        message: expect.stringMatching(
          /^Invalid value: "Not_A_Host": spec.validation.hostname in body should match '\^\[a-z0-9\]/,
        ),
      },
    ]);
    expect(validate(policy(`${'a'.repeat(254)}`, 1), btls, '')).toEqual([
      {
        reason: 'FieldValueTooLong',
        field: 'spec.validation.hostname',
        message: 'Too long: may not be more than 253 bytes',
      },
    ]);
    expect(validate(policy('', 1), btls, '').map((c) => c.message)).toContain(
      'Invalid value: "": spec.validation.hostname in body should be at least 1 chars long',
    );
    expect(validate(policy('h', 17), btls, '')).toEqual([
      {
        reason: 'FieldValueTooMany',
        field: 'spec.targetRefs',
        message: 'Too many: 17: must have at most 16 items',
      },
    ]);
    expect(validate(policy('h', 0), btls, '')).toEqual([
      expect.objectContaining({
        field: 'spec.targetRefs',
        message: expect.stringContaining('should have at least 1 items'),
      }),
    ]);
    expect(validate(route(6334), grpc, '')).toEqual([]);
    expect(validate(route(70000), grpc, '')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.rules[0].backendRefs[0].port',
        message:
          'Invalid value: 70000: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535',
      },
    ]);
  });
});

describe('Function: updateCauses (immutable fields)', () => {
  it("refuses a Job's new template and selector, and a ConfigMap's data once immutable; lets a mutable ConfigMap change", () => {
    // Prepare
    const job = (image: string): JsonObject => ({
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
        template: { spec: { containers: [{ name: 'c', image }] } },
      },
    });
    const cm = (data: JsonObject, immutable?: boolean): JsonObject => ({
      data,
      ...(immutable === undefined ? {} : { immutable }),
    });

    // Act
    const jobCauses = updateCauses('batch/v1/Job', job('a'), {
      spec: { ...(job('b').spec as JsonObject), selector: { matchLabels: { x: 'y' } } },
    });
    const frozen = updateCauses('v1/ConfigMap', cm({ a: '1' }, true), cm({ a: '2' }));
    const mutable = updateCauses('v1/ConfigMap', cm({ a: '1' }), cm({ a: '2' }, true));

    // Assess
    expect(jobCauses.map((c) => c.field)).toEqual(['spec.selector', 'spec.template']);
    expect(jobCauses[1]?.message).toMatch(
      /^Invalid value: core\.PodTemplateSpec\{.*"image":"b".*\}: field is immutable$/,
    );
    expect(frozen).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field: 'immutable',
      },
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field: 'data',
      },
    ]);
    expect(mutable).toEqual([]);
  });

  it('keeps the allocated cluster IP of a Service updated without one, and lets it go with a change to ExternalName', () => {
    // Prepare
    const old: JsonObject = {
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'] },
    };
    const omitted: JsonObject = { spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
    const external: JsonObject = { spec: { type: 'ExternalName', externalName: 'example.com' } };

    // Act
    keepAllocated('v1/Service', old, omitted);
    keepAllocated('v1/Service', old, external);

    // Assess
    expect(omitted.spec).toMatchObject({ clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'] });
    expect(updateCauses('v1/Service', old, omitted)).toEqual([]);
    expect(external.spec).not.toHaveProperty('clusterIP');
    expect(updateCauses('v1/Service', old, external)).toEqual([]);
  });
});
