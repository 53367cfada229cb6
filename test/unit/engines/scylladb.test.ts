import { describe, expect, it } from 'vitest';
import {
  SCYLLA_OPERATOR_NAMESPACE,
  scylladbBlueprint,
  scylladbUpgradeRule,
} from '../../../functions/shared/engines/scylladb.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseVersion } from '../../../functions/shared/engines/versions.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'scylla-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const v = (s: string) => parseVersion(s) as NonNullable<ReturnType<typeof parseVersion>>;
const HEALTHY = {
  observedGeneration: 2,
  readyMembers: 3,
  members: 3,
  conditions: [
    { type: 'Available', status: 'True' },
    { type: 'Progressing', status: 'False' },
    { type: 'Degraded', status: 'False' },
  ],
  racks: { rack1: { version: '2025.1.9', members: 3, readyMembers: 3, updatedMembers: 3, stale: false } },
};
const cluster = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'scylla.scylladb.com/v1',
  kind: 'ScyllaCluster',
  metadata: { name: 'scylladb', namespace: 'ns', generation: 2 },
  ...(status ? { status } : {}),
});
const job = (status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'scylladb-auth-2025-1-9', namespace: 'ns' },
  status,
});

describe('Blueprint: scylladb', () => {
  const spec = clusterSpec({
    engine: 'scylladb',
    version: '2025.1.9',
    nodes: 3,
    settings: scylladbBlueprint.settingsSchema.parse({}),
  });
  const objects = scylladbBlueprint.render(spec, renderContext({ secrets: { password: PASSWORD } }));
  const sc = find(objects, 'ScyllaCluster', 'scylladb');

  describe('Method: render', () => {
    it('renders one datacenter named after the region with one rack of nodes members, sized per node', () => {
      expect(sc.spec).toMatchObject({
        repository: 'docker.io/scylladb/scylla',
        version: '2025.1.9',
        developerMode: false,
        datacenter: {
          name: 'eu-west-1',
          racks: [{ name: 'rack1', members: 3, storage: { capacity: '10Gi' } }],
        },
      });
      expect(sc.spec.datacenter.racks[0].resources.limits).toEqual({ cpu: '500m', memory: '1Gi' });
      expect(sc.spec.agentVersion).not.toBe('latest');
    });

    it('turns on password authentication and creates the role with a Job that reads the password from the Secret', () => {
      expect(find(objects, 'ConfigMap', 'scylladb-config').data['scylla.yaml']).toMatch(
        /authenticator: PasswordAuthenticator/,
      );
      expect(sc.spec.datacenter.racks[0].scyllaConfig).toBe('scylladb-config');
      const pod = find(objects, 'Job', 'scylladb-auth-2025-1-9').spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers[0].env).toContainEqual({
        name: 'STRATUS_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'scylladb-credentials', key: 'password' } },
      });
      // The script never puts a password on a command line: cqlsh reads files.
      expect(pod.containers[0].command[2]).not.toMatch(/cqlsh [^\n]*-p /);
      expect(JSON.stringify(objects.filter((o) => o.kind !== 'Secret'))).not.toContain(PASSWORD);
    });

    it('lets the operator reach the agent API, enforces baseline pod security and leaves room for the agent and the Job', () => {
      const allow = find(objects, 'NetworkPolicy', 'allow-operator');
      expect(allow.spec.ingress[0]).toEqual({
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SCYLLA_OPERATOR_NAMESPACE } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 10001 }],
      });
      expect(objects[0]?.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      // 3 x (500m + 100m agent) + 100m Job; 3 x (1Gi + 256Mi) + 256Mi.
      expect(find(objects, 'ResourceQuota', 'stratus-quota').spec.hard).toMatchObject({
        pods: '4',
        'limits.cpu': '1900m',
        'limits.memory': '4096Mi',
        persistentvolumeclaims: '3',
      });
    });
  });

  describe('Method: readiness', () => {
    const done = job({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    it.each([
      [
        'the operator has not observed the generation',
        { ...HEALTHY, observedGeneration: 1 },
        done,
        /observe generation 2/,
      ],
      [
        'it is still progressing',
        {
          ...HEALTHY,
          conditions: [
            { type: 'Available', status: 'True' },
            { type: 'Progressing', status: 'True' },
          ],
        },
        done,
        /Progressing is True/,
      ],
      ['members are not ready', { ...HEALTHY, readyMembers: 2 }, done, /2\/3 members ready/],
      [
        'the rack runs another version',
        { ...HEALTHY, racks: { rack1: { ...HEALTHY.racks.rack1, version: '6.2.3' } } },
        done,
        /still runs ScyllaDB 6.2.3/,
      ],
      ['the role Job is running', HEALTHY, job({ active: 1 }), /creating the database role/],
    ])('is not ready when %s', (_what, status, j, reason) => {
      expect(scylladbBlueprint.readiness(spec, [cluster(status), j])).toMatchObject({
        ready: false,
        reason: expect.stringMatching(reason),
      });
    });

    it('fails for good when the role Job failed, and is ready once it succeeded', () => {
      expect(
        scylladbBlueprint.readiness(spec, [
          cluster(HEALTHY),
          job({ conditions: [{ type: 'Failed', status: 'True' }] }),
        ]),
      ).toMatchObject({ ready: false, permanent: true });
      expect(scylladbBlueprint.readiness(spec, [cluster(HEALTHY), done])).toEqual({ ready: true });
    });
  });

  describe('Upgrade rule', () => {
    it.each([
      ['6.2.1', '6.2.3', undefined],
      ['6.1.4', '6.2.3', undefined],
      ['6.0.4', '6.2.3', /one minor version at a time/],
      ['6.2.3', '2025.1.9', undefined],
      ['6.1.4', '2025.1.9', /goes through 6.2/],
    ])('%s -> %s', (from, to, want) => {
      const got = scylladbUpgradeRule(v(from), v(to));
      if (want) expect(got).toMatch(want);
      else expect(got).toBeUndefined();
    });
  });

  it('connects to the client Service on the CQL port, and refuses the reserved role name', () => {
    expect(scylladbBlueprint.connection(spec).endpoint).toMatch(/^cql:\/\/scylladb-client\.stratus-.*:9042$/);
    expect(scylladbBlueprint.settingsSchema.safeParse({ username: 'cassandra' }).success).toBe(false);
    expect(scylladbBlueprint.immutableSettings).toEqual(['username']);
  });
});
