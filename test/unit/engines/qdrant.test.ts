import { describe, expect, it } from 'vitest';
import { imageFor } from '../../../functions/shared/engines/images.js';
import { qdrantBlueprint } from '../../../functions/shared/engines/qdrant.js';
import { ANNOTATIONS, LABELS } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { clusterSpec, renderContext, TEST_API_KEY } from '../../helpers/kube-fixtures.js';
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
});
