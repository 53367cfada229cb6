import { describe, expect, it } from 'vitest';
import { imageFor } from '../../../functions/shared/engines/images.js';
import {
  MONGODB_AGENT_ACCOUNT,
  mongodbBlueprint,
  mongodbUpgradeRule,
  wiredTigerCacheGB,
} from '../../../functions/shared/engines/mongodb.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseVersion } from '../../../functions/shared/engines/versions.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'mdb-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const live = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'mongodbcommunity.mongodb.com/v1',
  kind: 'MongoDBCommunity',
  metadata: { name: 'mongodb', namespace: 'ns', generation: 1 },
  ...(status ? { status } : {}),
});
const v = (s: string) => parseVersion(s) as NonNullable<ReturnType<typeof parseVersion>>;

describe('Blueprint: mongodb', () => {
  const spec = clusterSpec({
    engine: 'mongodb',
    version: '8.0.32',
    nodes: 3,
    size: { cpu: '1', memory: '4Gi', storageGiB: 50 },
    settings: mongodbBlueprint.settingsSchema.parse({ database: 'orders' }),
  });
  const objects = mongodbBlueprint.render(spec, renderContext({ secrets: { password: PASSWORD } }));
  const mdb = find(objects, 'MongoDBCommunity', 'mongodb');

  describe('Method: render', () => {
    it('renders a replica set of nodes members with one SCRAM user whose password is in the Secret', () => {
      expect(mdb.spec).toMatchObject({ type: 'ReplicaSet', members: 3, version: '8.0.32' });
      expect(mdb.spec.users).toEqual([
        {
          name: 'app',
          db: 'admin',
          passwordSecretRef: { name: 'mongodb-credentials', key: 'password' },
          roles: [
            { name: 'readWrite', db: 'orders' },
            { name: 'dbAdmin', db: 'orders' },
          ],
          scramCredentialsSecretName: 'mongodb-app',
        },
      ]);
      expect(find(objects, 'Secret', 'mongodb-credentials').stringData).toEqual({
        username: 'app',
        password: PASSWORD,
      });
      expect(JSON.stringify(mdb)).not.toContain(PASSWORD);
    });

    it('pins mongod by digest and sizes it, the agent and both volumes, within the quota', () => {
      const pod = mdb.spec.statefulSet.spec.template.spec;
      const mongod = pod.containers.find((c: Any) => c.name === 'mongod');
      expect(mongod.image).toBe(imageFor('mongodb', '8.0.32'));
      expect(mongod.resources.limits).toEqual({ cpu: '1', memory: '4Gi' });
      expect(
        mdb.spec.statefulSet.spec.volumeClaimTemplates.map((c: Any) => c.spec.resources.requests),
      ).toEqual([{ storage: '50Gi' }, { storage: '2Gi' }]);
      // 3 x (1 CPU + 250m agent), 3 x (4Gi + 384Mi), 3 x (50 + 2) Gi on 6 claims.
      expect(find(objects, 'ResourceQuota', 'stratus-quota').spec.hard).toMatchObject({
        pods: '3',
        'limits.cpu': '3750m',
        'limits.memory': '13440Mi',
        'requests.storage': '156Gi',
        persistentvolumeclaims: '6',
      });
      for (const c of [...pod.containers, ...pod.initContainers]) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
      }
      expect(mdb.spec.additionalMongodConfig.storage.wiredTiger.engineConfig.cacheSizeGB).toBe(
        wiredTigerCacheGB('4Gi'),
      );
    });

    it('gives the agent an account whose Role reaches only the automation config and the members', () => {
      const role = find(objects, 'Role', MONGODB_AGENT_ACCOUNT);
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['mongodb-config'], verbs: ['get'] },
        {
          apiGroups: [''],
          resources: ['pods'],
          resourceNames: ['mongodb-0', 'mongodb-1', 'mongodb-2'],
          verbs: ['get', 'patch', 'delete'],
        },
      ]);
      const binding = find(objects, 'RoleBinding', MONGODB_AGENT_ACCOUNT);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: MONGODB_AGENT_ACCOUNT, namespace: namespaceOf(spec.clusterId) },
      ]);
      expect(mdb.spec.statefulSet.spec.template.spec.serviceAccountName).toBe(MONGODB_AGENT_ACCOUNT);
      // The agent calls the API server; nothing else leaves the namespace but DNS.
      expect(objects.some((o) => o.metadata.name === 'allow-kube-api')).toBe(true);
      expect(objects.some((o) => o.metadata.name === 'allow-operator')).toBe(false);
    });
  });

  describe('Method: readiness', () => {
    it.each([
      ['missing', undefined, /not found/],
      ['no status yet', live(undefined), /no phase/],
      ['Pending while scaling', live({ phase: 'Pending', message: 'scaling' }), /Pending \(scaling\)/],
      [
        'Running an older version',
        live({
          phase: 'Running',
          version: '7.0.12',
          currentMongoDBMembers: 3,
          currentStatefulSetReplicas: 3,
        }),
        /still reports version 7.0.12/,
      ],
      [
        'Running with fewer members',
        live({
          phase: 'Running',
          version: '8.0.32',
          currentMongoDBMembers: 2,
          currentStatefulSetReplicas: 3,
        }),
        /2\/3 members/,
      ],
    ])('is not ready when %s', (_what, obj, reason) => {
      const r = mongodbBlueprint.readiness(spec, [obj]);
      expect(r).toMatchObject({ ready: false, reason: expect.stringMatching(reason) });
      expect('permanent' in r && r.permanent).toBeFalsy();
    });

    it('is ready when Running at the version with every member', () => {
      expect(
        mongodbBlueprint.readiness(spec, [
          live({
            phase: 'Running',
            version: '8.0.32',
            currentMongoDBMembers: 3,
            currentStatefulSetReplicas: 3,
          }),
        ]),
      ).toEqual({ ready: true });
    });

    it('fails for good only when the operator refused the spec', () => {
      expect(
        mongodbBlueprint.readiness(spec, [
          live({ phase: 'Failed', message: 'error validating new Spec: x' }),
        ]),
      ).toMatchObject({ ready: false, permanent: true });
      expect(
        mongodbBlueprint.readiness(spec, [
          live({ phase: 'Failed', message: 'Error deploying MongoDB ReplicaSet' }),
        ]),
      ).not.toHaveProperty('permanent');
    });
  });

  describe('Method: connection', () => {
    it('points at the headless Service with the replica set and auth source, and the Secret', () => {
      expect(mongodbBlueprint.connection(spec)).toMatchObject({
        port: 27017,
        endpoint: expect.stringMatching(
          /^mongodb:\/\/mongodb-svc\.stratus-cl-[a-z0-9]+\.svc\.cluster\.local:27017\/\?replicaSet=mongodb&authSource=admin$/,
        ),
        credentialRef: { name: 'mongodb-credentials', key: 'password' },
      });
    });
  });

  describe('Upgrade rule', () => {
    it.each([
      ['7.0.12', '7.0.14', undefined],
      ['8.0.12', '8.2.1', undefined],
      ['7.0.12', '8.0.32', undefined],
      ['6.0.1', '8.0.32', /one major version at a time/],
    ])('%s -> %s', (from, to, want) => {
      const got = mongodbUpgradeRule(v(from), v(to));
      if (want) expect(got).toMatch(want);
      else expect(got).toBeUndefined();
    });
  });

  describe('Property: settingsSchema', () => {
    it.each([
      [{ username: 'mms-automation' }],
      [{ database: 'admin' }],
      [{ database: 'Orders' }],
      [{ username: '1app' }],
      [{ maxConnections: 5 }],
    ])('refuses %j', (settings) => {
      expect(mongodbBlueprint.settingsSchema.safeParse(settings).success).toBe(false);
    });

    it('keeps username and database fixed at creation', () => {
      expect(mongodbBlueprint.immutableSettings).toEqual(['username', 'database']);
    });
  });
});
