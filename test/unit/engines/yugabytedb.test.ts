import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseVersion } from '../../../functions/shared/engines/versions.js';
import {
  YBA_NAMESPACE,
  yugabytedbBlueprint,
  yugabytedbUpgradeRule,
} from '../../../functions/shared/engines/yugabytedb.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'yb-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const v = (s: string) => parseVersion(s) as NonNullable<ReturnType<typeof parseVersion>>;
const universe = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'operator.yugabyte.io/v1alpha1',
  kind: 'YBUniverse',
  metadata: { name: 'yugabytedb', namespace: 'ns', generation: 1 },
  ...(status ? { status } : {}),
});

describe('Blueprint: yugabytedb', () => {
  const spec = clusterSpec({
    engine: 'yugabytedb',
    version: '2025.1.0.1',
    nodes: 3,
    settings: yugabytedbBlueprint.settingsSchema.parse({}),
  });
  const objects = yugabytedbBlueprint.render(spec, renderContext({ secrets: { password: PASSWORD } }));
  const yb = find(objects, 'YBUniverse', 'yugabytedb');

  it('renders a universe of nodes tservers with replication factor 3, YSQL auth from the Secret, TLS on', () => {
    expect(yb.spec).toMatchObject({
      universeName: spec.clusterId,
      numNodes: 3,
      replicationFactor: 3,
      ybSoftwareVersion: '2025.1.0.1-b3',
      enableYSQLAuth: true,
      ysqlPassword: { secretName: 'yugabytedb-credentials' },
      enableClientToNodeEncrypt: true,
      enableLoadBalancer: false,
      deviceInfo: { volumeSize: 10, numVolumes: 1 },
    });
    expect(yb.spec.kubernetesOverrides.resource.tserver.limits).toEqual({ cpu: '500m', memory: '1Gi' });
    // YBA reads the password under `ysqlPassword`; the reveal reads `password`.
    expect(find(objects, 'Secret', 'yugabytedb-credentials').stringData).toEqual({
      username: 'yugabyte',
      password: PASSWORD,
      ysqlPassword: PASSWORD,
    });
  });

  it('counts the masters and the chart sidecars in the quota and lets YBA reach the pods', () => {
    // 3 tservers x (500m + 200m) + 3 masters x 700m; 3 x (1Gi + 256Mi) + 3 x 1280Mi.
    expect(find(objects, 'ResourceQuota', 'stratus-quota').spec.hard).toMatchObject({
      pods: '6',
      'limits.cpu': '4200m',
      'limits.memory': '7680Mi',
      'requests.storage': '60Gi',
      persistentvolumeclaims: '6',
    });
    expect(find(objects, 'LimitRange', 'stratus-limits').spec.limits[0].default).toEqual({
      cpu: '100m',
      memory: '128Mi',
    });
    const allow = find(objects, 'NetworkPolicy', 'allow-operator');
    expect(allow.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': YBA_NAMESPACE,
    });
    expect(allow.spec.ingress[0].ports.map((p: Any) => p.port)).toContain(7100);
  });

  it('refuses fewer nodes than the replication factor (checkSpec)', () => {
    expect(yugabytedbBlueprint.checkSpec?.(1, { replicationFactor: 3 })).toMatch(/needs at least 3 nodes/);
    expect(yugabytedbBlueprint.checkSpec?.(1, { replicationFactor: 1 })).toBeUndefined();
    expect(yugabytedbBlueprint.settingsSchema.safeParse({ replicationFactor: 2 }).success).toBe(false);
    expect(yugabytedbBlueprint.immutableSettings).toEqual(['replicationFactor']);
  });

  describe('Method: readiness', () => {
    it.each([
      ['missing', undefined, /not found/],
      ['no state yet', universe({}), /no universe state/],
      ['creating', universe({ universeState: 'Creating' }), /Creating/],
      [
        'a task is running',
        universe({ universeState: 'Ready', actions: [{ action_type: 'UPGRADE', status: 'running' }] }),
        /UPGRADE running/,
      ],
      [
        'a task failed',
        universe({
          universeState: 'Ready',
          actions: [{ action_type: 'EDIT', status: 'failed', message: 'quota' }],
        }),
        /EDIT failed: quota/,
      ],
    ])('is not ready when %s', (_what, obj, reason) => {
      expect(yugabytedbBlueprint.readiness(spec, [obj])).toMatchObject({
        ready: false,
        reason: expect.stringMatching(reason),
      });
    });

    it('is ready once the universe is Ready with no task pending', () => {
      expect(
        yugabytedbBlueprint.readiness(spec, [universe({ universeState: 'Ready', actions: [] })]),
      ).toEqual({
        ready: true,
      });
    });
  });

  describe('Upgrade rule', () => {
    it.each([
      ['2024.2.2.1', '2024.2.3.0', undefined],
      ['2024.1.1.0', '2024.2.2.1', undefined],
      ['2024.2.2.1', '2025.1.0.1', undefined],
      ['2024.1.1.0', '2025.1.0.1', /one release series at a time/],
    ])('%s -> %s', (from, to, want) => {
      const got = yugabytedbUpgradeRule(v(from), v(to));
      if (want) expect(got).toMatch(want);
      else expect(got).toBeUndefined();
    });

    it('orders four-part versions by their revision', () => {
      expect(yugabytedbBlueprint.checkUpgrade('2025.1.0.1', '2024.2.2.1')).toMatch(/downgraded/);
    });
  });
});
