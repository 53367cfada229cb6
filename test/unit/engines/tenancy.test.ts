import { describe, expect, it } from 'vitest';
import {
  clusterSelector,
  DATA_PLANE_INGRESS_LABEL,
  DEFAULT_KUBE_API_CIDRS,
  namespaceOf,
  PROVISIONER_GROUP,
  PROVISIONER_NAMESPACE_ROLE,
  RECONCILER_GROUP,
  renderTenancy,
  SECRET_READER_GROUP,
  scaleQuantity,
  stratusLabels,
} from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

const byName = (objects: KubeObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found as KubeObject & {
    spec: Record<string, unknown> & { hard?: unknown; ingress?: unknown[]; egress?: unknown[] };
  };
};

describe('Function: renderTenancy', () => {
  const spec = clusterSpec({ nodes: 3 });
  const objects = renderTenancy(spec, renderContext(), { clientPorts: [6333, 6334] });

  it('renders schema-valid objects, namespace first, all in stratus-<clusterId>', () => {
    for (const obj of objects) validateKubeObject(obj);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: namespaceOf(spec.clusterId) } });
    for (const obj of objects.slice(1)) expect(obj.metadata.namespace).toBe(`stratus-${spec.clusterId}`);
  });

  it('enforces the restricted pod security standard on the namespace', () => {
    expect(objects[0]?.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('sizes the ResourceQuota from nodes x size', () => {
    expect(byName(objects, 'ResourceQuota', 'stratus-quota').spec.hard).toMatchObject({
      pods: '3',
      'requests.cpu': '1500m',
      'requests.memory': '3Gi',
      'requests.storage': '30Gi',
      persistentvolumeclaims: '3',
    });
  });

  it('denies all traffic by default and allows only intra-namespace, DNS and data-plane ingress', () => {
    // Act
    const deny = byName(objects, 'NetworkPolicy', 'default-deny').spec;
    const allow = byName(objects, 'NetworkPolicy', 'allow-cluster-traffic').spec;

    // Assess
    expect(deny).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(allow.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { [DATA_PLANE_INGRESS_LABEL]: 'true' } } }],
      ports: [
        { protocol: 'TCP', port: 6333 },
        { protocol: 'TCP', port: 6334 },
      ],
    });
    expect(allow.ingress).toContainEqual({ from: [{ podSelector: {} }] });
    expect(allow.egress).toContainEqual(
      expect.objectContaining({
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      }),
    );
  });

  it('renders nothing for operators, the Kubernetes API or secret readers unless asked', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `Namespace/stratus-${spec.clusterId}`,
      'RoleBinding/stratus-provisioner',
      'ResourceQuota/stratus-quota',
      'LimitRange/stratus-limits',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/allow-cluster-traffic',
    ]);
  });

  it('opens ports to an operator namespace, egress to the Kubernetes API, and a Secret to the reader group', () => {
    // Act
    const all = renderTenancy(spec, renderContext(), {
      clientPorts: [5432],
      operator: { namespace: 'cnpg-system', ports: [8000] },
      kubeApiEgress: true,
      credentialSecret: 'db-credentials',
    });

    // Assess
    for (const obj of all) validateKubeObject(obj);
    expect(byName(all, 'NetworkPolicy', 'allow-operator').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } } }],
          ports: [{ protocol: 'TCP', port: 8000 }],
        },
      ],
    });
    expect(byName(all, 'NetworkPolicy', 'allow-kube-api').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: DEFAULT_KUBE_API_CIDRS.map((cidr) => ({ ipBlock: { cidr } })),
          ports: [{ protocol: 'TCP', port: 443 }],
        },
      ],
    });
    expect(byName(all, 'Role', SECRET_READER_GROUP)).toMatchObject({
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['db-credentials'], verbs: ['get'] }],
    });
    expect(byName(all, 'RoleBinding', SECRET_READER_GROUP)).toMatchObject({
      subjects: [
        { kind: 'Group', name: 'stratus-secret-reader' },
        { kind: 'Group', name: RECONCILER_GROUP },
      ],
      roleRef: { kind: 'Role', name: SECRET_READER_GROUP },
    });
  });

  it('binds the provisioner group to its namespace role in the namespace, right after the namespace', () => {
    expect(objects[1]).toMatchObject({
      kind: 'RoleBinding',
      metadata: { name: PROVISIONER_GROUP, namespace: namespaceOf(spec.clusterId) },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: PROVISIONER_GROUP }],
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: PROVISIONER_NAMESPACE_ROLE,
      },
    });
  });

  describe('NetworkPolicy: allow-kube-api', () => {
    const egressOf = (ctx: ReturnType<typeof renderContext>) =>
      byName(
        renderTenancy(spec, ctx, { clientPorts: [5432], kubeApiEgress: true }),
        'NetworkPolicy',
        'allow-kube-api',
      ).spec.egress;

    it('allows TCP 443 to the API server addresses of the EKS cluster, and nowhere else', () => {
      // Act
      const egress = egressOf(renderContext({ kubeApiCidrs: ['10.0.32.0/20', '172.20.0.1/32'] }));

      // Assess
      expect(egress).toEqual([
        {
          to: [{ ipBlock: { cidr: '10.0.32.0/20' } }, { ipBlock: { cidr: '172.20.0.1/32' } }],
          ports: [{ protocol: 'TCP', port: 443 }],
        },
      ]);
    });

    it('allows only the private address ranges when the EKS cluster has none configured', () => {
      expect(DEFAULT_KUBE_API_CIDRS).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
      expect(egressOf(renderContext())).toEqual([
        {
          to: DEFAULT_KUBE_API_CIDRS.map((cidr) => ({ ipBlock: { cidr } })),
          ports: [{ protocol: 'TCP', port: 443 }],
        },
      ]);
    });

    it('never renders an egress rule without destinations (which would allow any)', () => {
      expect(() => egressOf(renderContext({ kubeApiCidrs: [] }))).toThrow(/kubeApiCidrs is empty/);
    });
  });

  it('refuses an id that is not a valid label value instead of sending it to Kubernetes', () => {
    expect(() => stratusLabels(clusterSpec({ tenantId: 'tn_bad value' }))).toThrow(/label value/);
  });

  it('selects a cluster by manager and cluster labels', () => {
    expect(clusterSelector('cl-1')).toBe('app.kubernetes.io/managed-by=stratus,stratus.dev/cluster=cl-1');
  });
});

describe('Function: scaleQuantity', () => {
  it.each([
    ['500m', 3, '1500m'],
    ['1', 3, '3'],
    ['0.5', 3, '1.5'],
    ['1.5Gi', 2, '3Gi'],
    ['0.1', 3, '0.3'],
  ])('%s x %i = %s', (q, n, expected) => {
    expect(scaleQuantity(q, n)).toBe(expected);
  });

  it('refuses what it cannot scale', () => {
    expect(() => scaleQuantity('1e3', 2)).toThrow();
  });
});
