import { describe, expect, it } from 'vitest';
import { MAX_NODES } from '../../../functions/shared/domain/sizes.js';
import { imageFor } from '../../../functions/shared/engines/images.js';
import {
  MONGODB_AGENT_ACCOUNT,
  mongodbBlueprint,
  mongodbMemberService,
  mongodbUpgradeRule,
  wiredTigerCacheGB,
} from '../../../functions/shared/engines/mongodb.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseVersion } from '../../../functions/shared/engines/versions.js';
import { validateCustomResource, validateRendered } from '../../helpers/kube-crds.js';
import { clusterSpec, PUBLIC_ENDPOINT, renderContext, TEST_GATEWAY } from '../../helpers/kube-fixtures.js';

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

describe('Blueprint: mongodb with TLS (spec.tls)', () => {
  const CLUSTER = 'cl-01jd8w3k5m7n9p1q3r5s7t9v2x';
  const NS = namespaceOf(CLUSTER);
  const tlsSpec = (nodes: number, tls = true) =>
    clusterSpec({
      engine: 'mongodb',
      version: '8.0.32',
      nodes,
      size: { cpu: '1', memory: '4Gi', storageGiB: 50 },
      settings: mongodbBlueprint.settingsSchema.parse({}),
      ...(tls ? { tls: true } : {}),
    });
  const withGateway = renderContext({ secrets: { password: PASSWORD }, gateway: TEST_GATEWAY });
  const memberServices = (objects: KubeObject[]): Any[] =>
    objects.filter((o) => o.kind === 'Service' && o.metadata.name.endsWith('-external'));

  describe('Method: render', () => {
    it('makes mongod require TLS with the certificate, key and CA of stratus-tls', () => {
      // Act
      const mdb = find(mongodbBlueprint.render(tlsSpec(3), withGateway), 'MongoDBCommunity', 'mongodb');

      // Assess
      expect(mdb.spec.security).toEqual({
        authentication: { modes: ['SCRAM-SHA-256'], ignoreUnknownUsers: true },
        tls: {
          enabled: true,
          optional: false,
          certificateKeySecretRef: { name: 'stratus-tls' },
          caCertificateSecretRef: { name: 'stratus-tls' },
        },
      });
    });

    it.each([1, 3])(
      'gives each of %i member(s) its external host at the gateway port as its horizon, by index',
      (nodes) => {
        // Act
        const mdb = find(mongodbBlueprint.render(tlsSpec(nodes), withGateway), 'MongoDBCommunity', 'mongodb');

        // Assess
        const horizons = mdb.spec.replicaSetHorizons as Array<Record<string, string>>;
        expect(horizons.slice(0, nodes)).toEqual(
          Array.from({ length: nodes }, (_, i) => ({
            external: `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-${i}.eu-west-1.db.example.com:443`,
          })),
        );
      },
    );

    it('has a horizon for every member index the API allows, so a scale down by several members never leaves one without', () => {
      // Prepare: the operator removes members one at a time (9 -> 1 goes through 8, 7...), giving
      // each the entry of its index; mongod refuses members with different horizons.
      const horizonsOf = (nodes: number) =>
        find(mongodbBlueprint.render(tlsSpec(nodes), withGateway), 'MongoDBCommunity', 'mongodb').spec
          .replicaSetHorizons;

      // Act
      const one = horizonsOf(1);

      // Assess
      expect(one).toHaveLength(MAX_NODES);
      expect(one.map((h: Any) => h.external)).toEqual(
        Array.from(
          { length: MAX_NODES },
          (_, i) => `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-${i}.eu-west-1.db.example.com:443`,
        ),
      );
      // A scale changes no horizon.
      expect(horizonsOf(MAX_NODES)).toEqual(one);
    });

    it('uses the gateway port of the EKS cluster in the horizons', () => {
      const ctx = renderContext({
        secrets: { password: PASSWORD },
        gateway: { ...TEST_GATEWAY, port: 27017 },
      });
      const mdb = find(mongodbBlueprint.render(tlsSpec(1), ctx), 'MongoDBCommunity', 'mongodb');
      expect(mdb.spec.replicaSetHorizons[0]).toEqual({
        external: 'cl-01jd8w3k5m7n9p1q3r5s7t9v2x-0.eu-west-1.db.example.com:27017',
      });
    });

    it('renders one ClusterIP Service per member that selects only that member, with Stratus labels', () => {
      // Act
      const services = memberServices(mongodbBlueprint.render(tlsSpec(3), withGateway));

      // Assess
      expect(services.map((s) => s.metadata.name)).toEqual([
        'mongodb-0-external',
        'mongodb-1-external',
        'mongodb-2-external',
      ]);
      services.forEach((s, i) => {
        expect(s.metadata).toMatchObject({
          namespace: NS,
          labels: { 'app.kubernetes.io/managed-by': 'stratus' },
          annotations: expect.any(Object),
        });
        expect(s.spec).toEqual({
          type: 'ClusterIP',
          selector: { app: 'mongodb-svc', 'statefulset.kubernetes.io/pod-name': `mongodb-${i}` },
          ports: [{ name: 'mongodb', port: 27017, targetPort: 27017, protocol: 'TCP' }],
        });
        expect(() => validateRendered(s)).not.toThrow();
      });
      expect(mongodbMemberService(4)).toBe('mongodb-4-external');
    });

    it('renders the horizons and member Services whether or not the endpoint is public', () => {
      const open = mongodbBlueprint.render({ ...tlsSpec(3), endpoint: { ...PUBLIC_ENDPOINT } }, withGateway);
      const closed = mongodbBlueprint.render(tlsSpec(3), withGateway);
      expect(memberServices(open)).toEqual(memberServices(closed));
      expect(find(open, 'MongoDBCommunity', 'mongodb').spec).toEqual(
        find(closed, 'MongoDBCommunity', 'mongodb').spec,
      );
    });

    it('renders TLS but no horizons and no member Services without a gateway', () => {
      // Act
      const objects = mongodbBlueprint.render(tlsSpec(3), renderContext({ secrets: { password: PASSWORD } }));

      // Assess
      const mdb = find(objects, 'MongoDBCommunity', 'mongodb');
      expect(mdb.spec.security.tls).toMatchObject({ enabled: true, optional: false });
      expect(mdb.spec).not.toHaveProperty('replicaSetHorizons');
      expect(memberServices(objects)).toEqual([]);
    });

    it('renders without spec.tls exactly as before: no stratus-tls, no horizons, no member Services', () => {
      // Act
      const plain = mongodbBlueprint.render(tlsSpec(3, false), withGateway);

      // Assess
      const mdb = find(plain, 'MongoDBCommunity', 'mongodb');
      expect(JSON.stringify(plain)).not.toContain('stratus-tls');
      expect(mdb.spec.security).toEqual({
        authentication: { modes: ['SCRAM-SHA-256'], ignoreUnknownUsers: true },
      });
      expect(mdb.spec).not.toHaveProperty('replicaSetHorizons');
      expect(plain.some((o) => o.kind === 'Service')).toBe(false);
      expect(mongodbBlueprint.render({ ...tlsSpec(3, false), tls: false }, withGateway)).toEqual(plain);
    });

    it('lists every kind the TLS render returns (a scale down prunes the last member Services)', () => {
      const listed = new Set(mongodbBlueprint.kinds.map((k) => `${k.apiVersion}/${k.kind}`));
      for (const o of mongodbBlueprint
        .render(tlsSpec(3), withGateway)
        .filter((x) => x.kind !== 'Namespace')) {
        expect(listed, `${o.kind} ${o.metadata.name}`).toContain(`${o.apiVersion}/${o.kind}`);
      }
    });
  });

  describe('CRD schema: mongodbcommunity.mongodb.com/v1 MongoDBCommunity with TLS and horizons', () => {
    const valid = find(mongodbBlueprint.render(tlsSpec(3), withGateway), 'MongoDBCommunity', 'mongodb');

    it('accepts the rendered object', () => {
      expect(() => validateCustomResource(valid)).not.toThrow();
    });

    it.each([
      {
        what: 'a TLS block without enabled',
        mutate: (o: Any) => delete o.spec.security.tls.enabled,
        error: /\/spec\/security\/tls must have required property 'enabled'/,
      },
      {
        what: 'an unknown TLS field',
        mutate: (o: Any) => (o.spec.security.tls.caSecret = { name: 'stratus-tls' }),
        error: /\/spec\/security\/tls must NOT have additional properties .*caSecret/,
      },
      {
        what: 'a horizon that is not a string',
        mutate: (o: Any) => (o.spec.replicaSetHorizons[0].external = 443),
        error: /\/spec\/replicaSetHorizons\/0\/external must be string/,
      },
    ])('refuses $what', ({ mutate, error }) => {
      const broken = structuredClone(valid);
      mutate(broken);
      expect(() => validateCustomResource(broken)).toThrow(error);
    });
  });

  describe('Method: connection', () => {
    it('keeps the mongodb scheme, asks for TLS in the URI and names the host to verify', () => {
      const host = `mongodb-svc.${NS}.svc.cluster.local`;
      expect(mongodbBlueprint.connection(tlsSpec(3))).toEqual({
        host,
        port: 27017,
        endpoint: `mongodb://${host}:27017/?replicaSet=mongodb&authSource=admin&tls=true`,
        credentialRef: { namespace: NS, name: 'mongodb-credentials', key: 'password' },
        tls: { serverName: host, required: true },
      });
    });

    it('is unchanged without spec.tls', () => {
      const conn = mongodbBlueprint.connection(tlsSpec(3, false));
      expect(conn).not.toHaveProperty('tls');
      expect(conn.endpoint).toBe(
        `mongodb://mongodb-svc.${NS}.svc.cluster.local:27017/?replicaSet=mongodb&authSource=admin`,
      );
    });
  });

  describe('Property: tls', () => {
    const tls = mongodbBlueprint.tls as NonNullable<typeof mongodbBlueprint.tls>;

    it('covers the client Service and every member through the headless Service, not the member Services (reached by SNI only)', () => {
      const names = tls.dnsNames(tlsSpec(3));
      expect(names).toEqual([
        'mongodb-svc',
        `mongodb-svc.${NS}`,
        `mongodb-svc.${NS}.svc`,
        `mongodb-svc.${NS}.svc.cluster.local`,
        `*.mongodb-svc.${NS}.svc.cluster.local`,
        `*.mongodb-svc.${NS}.svc`,
      ]);
      // The same at every size: a scale reissues no certificate (the operator would restart members).
      expect(tls.dnsNames(tlsSpec(1))).toEqual(names);
    });

    it('is passed through by the gateway, member by member, to the member Services in order', () => {
      expect(tls.gatewayMode(tlsSpec(3))).toBe('passthrough');
      expect(tls.members?.(tlsSpec(1))).toEqual([{ service: 'mongodb-0-external', port: 27017 }]);
      expect(tls.members?.(tlsSpec(3))).toEqual([
        { service: 'mongodb-0-external', port: 27017 },
        { service: 'mongodb-1-external', port: 27017 },
        { service: 'mongodb-2-external', port: 27017 },
      ]);
    });

    it('names as members exactly the Services the render makes', () => {
      const rendered = memberServices(mongodbBlueprint.render(tlsSpec(3), withGateway)).map(
        (s) => s.metadata.name,
      );
      expect(tls.members?.(tlsSpec(3)).map((m) => m.service)).toEqual(rendered);
    });
  });
});
