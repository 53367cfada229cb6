import { describe, expect, it } from 'vitest';
import type { BackupStore, ClusterSpec } from '../../../functions/shared/domain/cluster.js';
import { renderEndpoint } from '../../../functions/shared/engines/endpoints.js';
import { imageFor } from '../../../functions/shared/engines/images.js';
import {
  QDRANT_GRPC_PORT,
  QDRANT_GRPC_PORT_NAME,
  qdrantBlueprint,
} from '../../../functions/shared/engines/qdrant.js';
import { ANNOTATIONS, LABELS } from '../../../functions/shared/engines/tenancy.js';
import type { BackupTarget, KubeObject } from '../../../functions/shared/engines/types.js';
import {
  clusterSpec,
  PUBLIC_ENDPOINT,
  renderContext,
  TEST_API_KEY,
  TEST_GATEWAY,
} from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const liveSts = (status: Record<string, unknown> | undefined, generation = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'qdrant', namespace: 'ns', generation },
  spec: { replicas: 3 },
  ...(status ? { status } : {}),
});

describe('Blueprint: qdrant', () => {
  const spec = clusterSpec({ nodes: 3, settings: qdrantBlueprint.settingsSchema.parse({}) });
  const ctx = renderContext();
  const objects = qdrantBlueprint.render(spec, ctx);
  const sts = find(objects, 'StatefulSet', 'qdrant');
  const container = sts.spec.template.spec.containers[0];

  describe('Method: render', () => {
    it('renders objects that validate against the Kubernetes schemas', () => {
      for (const obj of objects)
        expect(() => validateKubeObject(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
    });

    it('is validated strictly enough to catch a wrong field type', () => {
      // Prepare
      const broken = structuredClone(sts);
      broken.spec.replicas = '3';

      // Act & Assess
      expect(() => validateKubeObject(broken)).toThrow(/replicas/);
    });

    it('puts the namespace first and the rest in the cluster namespace', () => {
      expect(objects[0]?.kind).toBe('Namespace');
      const namespace = `stratus-${spec.clusterId}`;
      expect(objects.slice(1).every((o) => o.metadata.namespace === namespace)).toBe(true);
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
        expect.arrayContaining([
          'Secret/qdrant-credentials',
          'Service/qdrant',
          'Service/qdrant-headless',
          'StatefulSet/qdrant',
        ]),
      );
    });

    it('labels and annotates every object', () => {
      for (const obj of objects) {
        expect(obj.metadata.labels).toMatchObject({
          [LABELS.managedBy]: 'stratus',
          [LABELS.tenant]: spec.tenantId,
          [LABELS.cluster]: spec.clusterId,
          [LABELS.engine]: 'qdrant',
        });
        expect(obj.metadata.annotations).toEqual({
          [ANNOTATIONS.operationId]: ctx.operationId,
          [ANNOTATIONS.correlationId]: ctx.correlationId,
          [ANNOTATIONS.generation]: '1',
        });
      }
    });

    it('labels pods but keeps operation annotations off the pod template (no restart per operation)', () => {
      expect(sts.spec.template.metadata.labels).toMatchObject({ [LABELS.cluster]: spec.clusterId });
      expect(sts.spec.template.metadata.annotations).toBeUndefined();
    });

    it('keeps the API key in the Secret only', () => {
      // Act
      const secret = find(objects, 'Secret', 'qdrant-credentials');
      const elsewhere = objects.filter((o) => o !== secret).map((o) => JSON.stringify(o));

      // Assess
      expect(secret.stringData).toEqual({ 'api-key': TEST_API_KEY });
      for (const text of elsewhere) expect(text).not.toContain(TEST_API_KEY);
      expect(JSON.stringify(qdrantBlueprint.connection(spec))).not.toContain(TEST_API_KEY);
      expect(container.env).toContainEqual({
        name: 'QDRANT__SERVICE__API_KEY',
        valueFrom: { secretKeyRef: { name: 'qdrant-credentials', key: 'api-key' } },
      });
    });

    it('runs the requested version on one pod per node with per-node resources and storage', () => {
      expect(sts.spec.replicas).toBe(3);
      expect(container.image).toBe(imageFor('qdrant', '1.15.5'));
      expect(container.resources).toEqual({
        requests: { cpu: '500m', memory: '1Gi' },
        limits: { cpu: '500m', memory: '1Gi' },
      });
      expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 6333 });
    });

    it('complies with the restricted pod security standard', () => {
      expect(sts.spec.template.spec.automountServiceAccountToken).toBe(false);
      expect(sts.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it('exposes HTTP 6333 and gRPC 6334, and peers through a headless Service', () => {
      expect(find(objects, 'Service', 'qdrant').spec.ports.map((p: Any) => p.port)).toEqual([6333, 6334]);
      expect(find(objects, 'Service', 'qdrant-headless').spec).toMatchObject({
        clusterIP: 'None',
        publishNotReadyAddresses: true,
      });
      expect(sts.spec.serviceName).toBe('qdrant-headless');
    });

    it('forms a Raft cluster and guards it with a PodDisruptionBudget only when there are several nodes', () => {
      // Act
      const single = qdrantBlueprint.render(clusterSpec({ nodes: 1 }), ctx);
      const singleEnv = find(single, 'StatefulSet', 'qdrant').spec.template.spec.containers[0].env;

      // Assess
      expect(find(objects, 'PodDisruptionBudget', 'qdrant').spec).toMatchObject({ maxUnavailable: 1 });
      expect(container.env).toContainEqual({ name: 'QDRANT__CLUSTER__ENABLED', value: 'true' });
      expect(container.command.join(' ')).toContain('--bootstrap');
      expect(single.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
      expect(singleEnv).toContainEqual({ name: 'QDRANT__CLUSTER__ENABLED', value: 'false' });
    });

    it('caps the replication factor at the node count', () => {
      const objs = qdrantBlueprint.render(clusterSpec({ nodes: 2, settings: { replicationFactor: 5 } }), ctx);
      const env = find(objs, 'StatefulSet', 'qdrant').spec.template.spec.containers[0].env;
      expect(env).toContainEqual({ name: 'QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR', value: '2' });
    });

    it('refuses to render without a generated API key', () => {
      expect(() => qdrantBlueprint.render(spec, renderContext({ secrets: {} }))).toThrow(/apiKey/);
    });
  });

  describe('Property: settingsSchema', () => {
    it('fills defaults', () => {
      expect(qdrantBlueprint.settingsSchema.parse({})).toEqual({ replicationFactor: 1, onDiskPayload: true });
    });

    it.each([
      [{ unknown: 1 }],
      [{ replicationFactor: 1.5 }],
      [{ replicationFactor: 0 }],
      [{ onDiskPayload: 'yes' }],
    ])('refuses %j', (settings) => {
      expect(qdrantBlueprint.settingsSchema.safeParse(settings).success).toBe(false);
    });
  });

  describe('Method: readiness', () => {
    it.each([
      ['the StatefulSet is missing', undefined, /not found/],
      [
        'the controller has not observed the generation',
        liveSts({ observedGeneration: 1, readyReplicas: 3 }, 2),
        /generation 2/,
      ],
      [
        'replicas are not ready',
        liveSts({ observedGeneration: 1, readyReplicas: 2, updatedReplicas: 3 }),
        /2\/3 replicas ready/,
      ],
      [
        'a rolling update is under way',
        liveSts({ observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 }),
        /1\/3 replicas updated/,
      ],
      ['there is no status yet', liveSts(undefined), /generation 1/],
    ])('is not ready when %s', (_case, live, reason) => {
      const result = qdrantBlueprint.readiness(spec, [live]);
      expect(result.ready).toBe(false);
      expect(result.ready === false && result.reason).toMatch(reason);
    });

    it('is ready when every replica runs the observed generation', () => {
      const live = liveSts({ observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 }, 2);
      expect(qdrantBlueprint.readiness(spec, [live])).toEqual({ ready: true });
    });

    it('reads the StatefulSet', () => {
      expect(qdrantBlueprint.readinessRefs(spec)).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'qdrant', namespace: `stratus-${spec.clusterId}` },
        },
      ]);
    });
  });

  describe('Method: checkUpgrade', () => {
    it.each([
      ['1.13.6', '1.14.1'],
      ['1.14.1', '1.15.5'],
      ['1.15.1', '1.15.5'],
      ['1.15.5', '1.15.5'],
    ])('allows %s -> %s', (from, to) => {
      expect(qdrantBlueprint.checkUpgrade(from, to)).toBeUndefined();
    });

    it.each([
      ['1.13.6', '1.15.5', /one minor version at a time: upgrade to 1\.14\.1 first/],
      ['1.15.5', '1.14.1', /downgraded/],
      ['1.15.5', '2.0.0', /not supported/],
      ['latest', '1.15.5', /unrecognised version latest/],
    ])('refuses %s -> %s', (from, to, message) => {
      expect(qdrantBlueprint.checkUpgrade(from, to)).toMatch(message);
    });
  });

  describe('Method: connection', () => {
    it('serves https and asks clients to verify the client Service name with spec.tls', () => {
      // Act
      const conn = qdrantBlueprint.connection(clusterSpec({ nodes: 3, tls: true }));

      // Assess
      const host = `qdrant.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(conn).toEqual({
        host,
        port: 6333,
        grpcPort: 6334,
        endpoint: `https://${host}:6333`,
        credentialRef: { namespace: `stratus-${spec.clusterId}`, name: 'qdrant-credentials', key: 'api-key' },
        tls: { serverName: host, required: true },
      });
    });

    it('points at the client Service and the credential in the Secret', () => {
      const host = `qdrant.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(qdrantBlueprint.connection(spec)).toEqual({
        host,
        port: 6333,
        endpoint: `http://${host}:6333`,
        credentialRef: { namespace: `stratus-${spec.clusterId}`, name: 'qdrant-credentials', key: 'api-key' },
      });
    });
  });

  describe('TLS (spec.tls)', () => {
    const STORE: BackupStore = { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-1/' };
    const namespace = `stratus-${spec.clusterId}`;
    const tlsSpec = (over: Partial<ClusterSpec> = {}) =>
      clusterSpec({ nodes: 3, settings: qdrantBlueprint.settingsSchema.parse({}), tls: true, ...over });
    const qdrantOf = (objects: KubeObject[]): Any =>
      find(objects, 'StatefulSet', 'qdrant').spec.template.spec.containers[0];
    const backupOf = (s: ClusterSpec): KubeObject[] => {
      const target: BackupTarget = {
        backupId: 'bk-01jd8w3k5m7n9p1q3r5s7t9v5a',
        storage: { bucket: STORE.bucket, prefix: `${STORE.prefix}bk-01jd8w3k5m7n9p1q3r5s7t9v5a/` },
        clusterStore: STORE,
      };
      return qdrantBlueprint.backup?.render(s, target, ctx) ?? [];
    };
    const clustered = qdrantBlueprint.render(tlsSpec(), ctx);
    const tlsContainer = qdrantOf(clustered);

    it('renders objects that validate against the Kubernetes schemas (one node restored, three nodes, a backup)', () => {
      // Prepare
      const restored = tlsSpec({
        nodes: 1,
        backupStore: STORE,
        restore: { backupId: 'bk-1', clusterId: 'cl-1', storage: STORE, sourceStore: STORE },
      });

      // Act
      const objects = [
        ...clustered,
        ...qdrantBlueprint.render(restored, ctx),
        ...backupOf(tlsSpec({ backupStore: STORE })),
      ];

      // Assess
      for (const obj of objects)
        expect(() => validateKubeObject(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
    });

    it("serves TLS only on REST and gRPC, and between peers, with the certificate's files in its mount", () => {
      expect(tlsContainer.env).toEqual(
        expect.arrayContaining([
          { name: 'QDRANT__SERVICE__ENABLE_TLS', value: 'true' },
          { name: 'QDRANT__TLS__CERT', value: '/etc/stratus/tls/tls.crt' },
          { name: 'QDRANT__TLS__KEY', value: '/etc/stratus/tls/tls.key' },
          { name: 'QDRANT__TLS__CA_CERT', value: '/etc/stratus/tls/ca.crt' },
          { name: 'QDRANT__TLS__CERT_TTL', value: '3600' },
          { name: 'QDRANT__CLUSTER__P2P__ENABLE_TLS', value: 'true' },
        ]),
      );
      // Clients present no certificate of their own.
      expect(JSON.stringify(tlsContainer.env)).not.toContain('VERIFY_HTTPS_CLIENT_CERTIFICATE');
    });

    it('leaves P2P TLS out on one node (no cluster mode) and keeps TLS on REST and gRPC', () => {
      // Act
      const env = qdrantOf(qdrantBlueprint.render(tlsSpec({ nodes: 1 }), ctx)).env;

      // Assess
      expect(env).toContainEqual({ name: 'QDRANT__SERVICE__ENABLE_TLS', value: 'true' });
      expect(env).toContainEqual({ name: 'QDRANT__CLUSTER__ENABLED', value: 'false' });
      expect(env.map((e: Any) => e.name)).not.toContain('QDRANT__CLUSTER__P2P__ENABLE_TLS');
    });

    it('mounts the stratus-tls Secret read-only at /etc/stratus/tls', () => {
      // Act
      const pod = find(clustered, 'StatefulSet', 'qdrant').spec.template.spec;

      // Assess
      expect(pod.volumes).toContainEqual({
        name: 'tls',
        secret: { secretName: 'stratus-tls', defaultMode: 0o440 },
      });
      expect(tlsContainer.volumeMounts).toContainEqual({
        name: 'tls',
        mountPath: '/etc/stratus/tls',
        readOnly: true,
      });
    });

    it('probes over HTTPS', () => {
      expect(tlsContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 6333, scheme: 'HTTPS' });
      expect(tlsContainer.livenessProbe.httpGet).toEqual({ path: '/livez', port: 6333, scheme: 'HTTPS' });
    });

    it('bootstraps and announces the peers as https:// URIs through the headless Service', () => {
      // Act
      const script = tlsContainer.command.join('\n');

      // Assess
      const peer = (host: string) => `https://${host}.qdrant-headless.${namespace}.svc.cluster.local:6335`;
      expect(script).toContain(`--bootstrap "${peer('qdrant-0')}" --uri "${peer('$(hostname)')}"`);
      expect(script).toContain(`exec ./entrypoint.sh --uri "${peer('$(hostname)')}"`);
      expect(script).not.toContain('http://');
    });

    it('takes a backup snapshot over HTTPS, verified with the CA, mounting the CA only (not the key)', () => {
      // Act
      const [job] = backupOf(tlsSpec({ backupStore: STORE }));
      const pod = (job as Any).spec.template.spec;
      const dump = pod.initContainers.find((c: Any) => c.name === 'dump');
      const script = dump.command.join('\n');

      // Assess
      expect(script).toContain('base=https://qdrant:6333/snapshots');
      expect(script).not.toContain('http://');
      expect(script.match(/curl /g)).toHaveLength(2);
      expect(script.match(/curl -sfS --cacert \/etc\/stratus\/tls\/ca\.crt /g)).toHaveLength(2);
      expect(pod.volumes).toContainEqual({
        name: 'tls-ca',
        secret: { secretName: 'stratus-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o440 },
      });
      expect(dump.volumeMounts).toContainEqual({
        name: 'tls-ca',
        mountPath: '/etc/stratus/tls',
        readOnly: true,
      });
      // The uploader never calls Qdrant.
      expect(JSON.stringify(pod.containers)).not.toContain('tls-ca');
    });

    it("restores without calling Qdrant (the snapshot comes from S3) and starts with TLS and the certificate's mount", () => {
      // Act
      const objects = qdrantBlueprint.render(
        tlsSpec({
          nodes: 1,
          backupStore: STORE,
          restore: { backupId: 'bk-1', clusterId: 'cl-1', storage: STORE, sourceStore: STORE },
        }),
        ctx,
      );
      const pod = find(objects, 'StatefulSet', 'qdrant').spec.template.spec;

      // Assess
      expect(pod.initContainers.map((c: Any) => c.name)).toEqual(['restore']);
      expect(JSON.stringify(pod.initContainers)).not.toMatch(/https?:\/\/|curl|6333/);
      expect(pod.containers[0].command.join('\n')).toContain('--storage-snapshot');
      expect(pod.containers[0].env).toContainEqual({ name: 'QDRANT__SERVICE__ENABLE_TLS', value: 'true' });
      expect(pod.volumes).toEqual(
        expect.arrayContaining([{ name: 'tls', secret: { secretName: 'stratus-tls', defaultMode: 0o440 } }]),
      );
    });

    it('exposes gRPC on the client Service, under the exported port and name', () => {
      // Act
      const service = find(clustered, 'Service', 'qdrant');

      // Assess
      expect(QDRANT_GRPC_PORT).toBe(6334);
      expect(service.spec.ports).toContainEqual({
        name: QDRANT_GRPC_PORT_NAME,
        port: QDRANT_GRPC_PORT,
        targetPort: 'grpc',
        protocol: 'TCP',
      });
      expect(qdrantOf(clustered).ports).toContainEqual({
        name: 'grpc',
        containerPort: QDRANT_GRPC_PORT,
        protocol: 'TCP',
      });
    });

    it('declares the names its certificate covers: the client Service and the pods through the headless Service', () => {
      expect(qdrantBlueprint.tls?.dnsNames(tlsSpec())).toEqual([
        'qdrant',
        `qdrant.${namespace}`,
        `qdrant.${namespace}.svc`,
        `qdrant.${namespace}.svc.cluster.local`,
        `*.qdrant-headless.${namespace}.svc.cluster.local`,
        `*.qdrant-headless.${namespace}.svc`,
      ]);
    });

    it('is re-encrypted to by the gateway, which stays an HTTP route to qdrant:6333 checking the API key', () => {
      // Act
      const publicSpec = tlsSpec({ endpoint: { ...PUBLIC_ENDPOINT, tokenCheck: true } });
      const objects = renderEndpoint(qdrantBlueprint, publicSpec, renderContext({ gateway: TEST_GATEWAY }));

      // Assess
      expect(qdrantBlueprint.tls?.gatewayMode(tlsSpec())).toBe('reencrypt');
      expect(find(objects, 'HTTPRoute', 'stratus-endpoint').spec.rules[0].backendRefs).toEqual([
        { group: '', kind: 'Service', name: 'qdrant', port: 6333 },
      ]);
      expect(find(objects, 'SecurityPolicy', 'stratus-endpoint').spec.apiKeyAuth).toBeDefined();
    });

    it('renders nothing of TLS without spec.tls (the cluster, its backup and its connection)', () => {
      // Act
      const plain = clusterSpec({ nodes: 3, backupStore: STORE });
      const text = JSON.stringify([
        ...qdrantBlueprint.render(plain, ctx),
        ...backupOf(plain),
        qdrantBlueprint.connection(plain),
      ]);

      // Assess
      expect(text).not.toMatch(
        /stratus-tls|\/etc\/stratus\/tls|ENABLE_TLS|QDRANT__TLS__|https|HTTPS|--cacert/,
      );
      expect(container.readinessProbe.httpGet.scheme).toBe('HTTP');
      expect(container.command.join('\n')).toContain(`http://qdrant-0.qdrant-headless.${namespace}.svc`);
    });
  });
});
