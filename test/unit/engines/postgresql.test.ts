import { describe, expect, it } from 'vitest';
import { imageFor } from '../../../functions/shared/engines/images.js';
import {
  CNPG_OPERATOR_NAMESPACE,
  postgresqlBlueprint,
} from '../../../functions/shared/engines/postgresql.js';
import { LABELS, namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { validateCustomResource } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'pg-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const liveCluster = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'postgresql', namespace: 'ns', generation: 1 },
  spec: { instances: 3 },
  ...(status ? { status } : {}),
});
const HEALTHY = 'Cluster in healthy state';

describe('Blueprint: postgresql', () => {
  const spec = clusterSpec({
    engine: 'postgresql',
    version: '17.5',
    nodes: 3,
    size: { cpu: '1', memory: '4Gi', storageGiB: 50 },
    settings: postgresqlBlueprint.settingsSchema.parse({}),
  });
  const ctx = renderContext({ secrets: { password: PASSWORD } });
  const objects = postgresqlBlueprint.render(spec, ctx);
  const cluster = find(objects, 'Cluster', 'postgresql');

  describe('Method: render', () => {
    it('renders built-ins valid for Kubernetes and a Cluster valid for the CloudNativePG CRD', () => {
      expect(objects.map((o) => o.kind)).toContain('Cluster');
      for (const obj of objects) {
        const validate = obj.kind === 'Cluster' ? validateCustomResource : validateKubeObject;
        expect(() => validate(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it('sizes the Cluster from the spec: instances, image, storage, resources', () => {
      expect(cluster.spec).toMatchObject({
        instances: 3,
        imageName: imageFor('postgresql', '17.5'),
        storage: { size: '50Gi' },
        resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '1', memory: '4Gi' } },
        postgresql: { parameters: { max_connections: '100', shared_buffers: '1024MB' } },
        enablePDB: true,
        primaryUpdateStrategy: 'unsupervised',
      });
    });

    it('bootstraps the database for its owner from a basic-auth Secret, with the superuser disabled', () => {
      // Act
      const secret = find(objects, 'Secret', 'postgresql-credentials');

      // Assess
      expect(secret.type).toBe('kubernetes.io/basic-auth');
      expect(secret.stringData).toEqual({ username: 'app', password: PASSWORD });
      expect(cluster.spec.bootstrap.initdb).toEqual({
        database: 'app',
        owner: 'app',
        secret: { name: 'postgresql-credentials' },
        dataChecksums: true,
      });
      expect(cluster.spec.enableSuperuserAccess).toBe(false);
      for (const obj of objects.filter((o) => o !== secret))
        expect(JSON.stringify(obj)).not.toContain(PASSWORD);
    });

    it('passes Stratus labels, not managed-by, to what the operator creates', () => {
      expect(cluster.spec.inheritedMetadata.labels).toEqual({
        [LABELS.tenant]: spec.tenantId,
        [LABELS.cluster]: spec.clusterId,
        [LABELS.engine]: 'postgresql',
      });
    });

    it('lets the operator reach the instance manager and the pods reach the Kubernetes API', () => {
      const operator = find(objects, 'NetworkPolicy', 'allow-operator').spec;
      expect(operator.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': CNPG_OPERATOR_NAMESPACE } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8000 }],
        },
      ]);
      // Never to any address: the API server's, else the private ranges (tenancy.test.ts).
      const [rule] = find(objects, 'NetworkPolicy', 'allow-kube-api').spec.egress;
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 443 }]);
      expect(rule.to.length).toBeGreaterThan(0);
      const configured = postgresqlBlueprint.render(spec, { ...ctx, kubeApiCidrs: ['10.1.0.0/24'] });
      expect(find(configured, 'NetworkPolicy', 'allow-kube-api').spec.egress).toEqual([
        { to: [{ ipBlock: { cidr: '10.1.0.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ]);
    });

    it('keeps a single instance drainable (no PDB)', () => {
      const single = postgresqlBlueprint.render(
        clusterSpec({ engine: 'postgresql', version: '17.5', nodes: 1 }),
        ctx,
      );
      expect(find(single, 'Cluster', 'postgresql').spec.enablePDB).toBe(false);
    });

    it('uses the database and owner settings', () => {
      const custom = postgresqlBlueprint.render(
        clusterSpec({
          engine: 'postgresql',
          version: '16.9',
          settings: { database: 'orders', owner: 'shop' },
        }),
        ctx,
      );
      expect(find(custom, 'Cluster', 'postgresql').spec.bootstrap.initdb).toMatchObject({
        database: 'orders',
        owner: 'shop',
      });
      expect(find(custom, 'Secret', 'postgresql-credentials').stringData.username).toBe('shop');
    });
  });

  describe('Property: settingsSchema', () => {
    it('fills defaults', () => {
      expect(postgresqlBlueprint.settingsSchema.parse({})).toEqual({
        database: 'app',
        owner: 'app',
        maxConnections: 100,
      });
    });

    it('defaults the owner to the database, as CloudNativePG does for bootstrap.initdb.owner', () => {
      // Prepare: docs/engines.md once said the owner defaults to `app` whatever the database.
      const parsed = postgresqlBlueprint.settingsSchema.parse({ database: 'orders' });

      // Assess: same key order as stored settings, so an unchanged PATCH is still NO_CHANGES.
      expect(parsed).toEqual({ database: 'orders', owner: 'orders', maxConnections: 100 });
      expect(Object.keys(parsed)).toEqual(['database', 'owner', 'maxConnections']);
      expect(postgresqlBlueprint.settingsSchema.parse({ database: 'orders', owner: 'shop' }).owner).toBe(
        'shop',
      );
    });

    it.each([
      [{ owner: 'postgres' }],
      [{ owner: 'pg_monitor' }],
      [{ database: 'template1' }],
      [{ database: 'Orders' }],
      [{ database: 'a-b' }],
      [{ maxConnections: 10 }],
      [{ superuser: true }],
    ])('refuses %j', (settings) => {
      expect(postgresqlBlueprint.settingsSchema.safeParse(settings).success).toBe(false);
    });
  });

  describe('Method: readiness', () => {
    it.each([
      ['the Cluster is missing', undefined, /not found/],
      ['there is no status yet', liveCluster(undefined), /0\/3 instances ready/],
      [
        'instances are not ready',
        liveCluster({ phase: 'Creating a new replica', readyInstances: 2 }),
        /2\/3/,
      ],
      [
        'the operator has not rolled out the requested image',
        liveCluster({ phase: HEALTHY, readyInstances: 3, image: 'ghcr.io/cloudnative-pg/postgresql:17.4' }),
        /still runs .*17\.4/,
      ],
      ['it is failing over', liveCluster({ phase: 'Failing over', readyInstances: 3 }), /Failing over/],
      [
        'an upgrade is under way',
        liveCluster({ phase: 'Upgrading cluster', readyInstances: 3, phaseReason: 'rolling' }),
        /Upgrading cluster \(rolling\)/,
      ],
    ])('is not ready, and may become ready, when %s', (_case, live, reason) => {
      const result = postgresqlBlueprint.readiness(spec, [live]);
      expect(result).toMatchObject({ ready: false });
      expect(result.ready === false && result.reason).toMatch(reason);
      expect(result.ready === false && result.permanent).toBeFalsy();
    });

    it.each([
      'Cluster is unrecoverable and needs manual intervention',
      'Unable to create required cluster objects',
      'Cluster cannot proceed to reconciliation due to an unknown plugin being required',
      'Cluster has incomplete or invalid image catalog',
      'Waiting for user action',
    ])('fails permanently in the phase "%s"', (phase) => {
      expect(postgresqlBlueprint.readiness(spec, [liveCluster({ phase, readyInstances: 0 })])).toMatchObject({
        ready: false,
        permanent: true,
        reason: `CloudNativePG: ${phase}`,
      });
    });

    it('is ready when healthy with every instance ready', () => {
      const live = liveCluster({
        phase: HEALTHY,
        readyInstances: 3,
        image: imageFor('postgresql', '17.5'),
      });
      expect(postgresqlBlueprint.readiness(spec, [live])).toEqual({ ready: true });
    });

    it('reads the Cluster', () => {
      expect(postgresqlBlueprint.readinessRefs(spec)).toEqual([
        {
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: { name: 'postgresql', namespace: `stratus-${spec.clusterId}` },
        },
      ]);
    });
  });

  describe('Method: connection', () => {
    it('points at the read-write Service and the password in the Secret', () => {
      const host = `postgresql-rw.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(postgresqlBlueprint.connection(spec)).toEqual({
        host,
        port: 5432,
        endpoint: `postgresql://${host}:5432`,
        credentialRef: {
          namespace: `stratus-${spec.clusterId}`,
          name: 'postgresql-credentials',
          key: 'password',
        },
      });
    });
  });

  describe('Method: checkUpgrade', () => {
    it('allows minor releases of the same major', () => {
      expect(postgresqlBlueprint.checkUpgrade('17.4', '17.5')).toBeUndefined();
      expect(postgresqlBlueprint.checkUpgrade('17.5', '17.5')).toBeUndefined();
    });

    it.each([
      ['16.9', '17.5', /major upgrades \(16 -> 17\) are not supported/],
      ['15.13', '17.5', /major upgrades/],
      ['17.5', '16.9', /downgraded/],
      ['17.6', '17.5', /downgraded/],
      ['17.5', '18.0', /not supported/],
    ])('refuses %s -> %s', (from, to, message) => {
      expect(postgresqlBlueprint.checkUpgrade(from, to)).toMatch(message);
    });
  });
});

describe('Blueprint: postgresql, TLS to the database (spec.tls)', () => {
  const ctx = renderContext({ secrets: { password: PASSWORD } });
  const spec = (version: string, tls?: boolean) =>
    clusterSpec({
      engine: 'postgresql',
      version,
      nodes: 3,
      settings: postgresqlBlueprint.settingsSchema.parse({}),
      ...(tls === undefined ? {} : { tls }),
    });
  const clusterOf = (objects: KubeObject[]) => find(objects, 'Cluster', 'postgresql');
  const ns = namespaceOf(spec('17.5').clusterId);

  describe('Method: render', () => {
    it.each(['16.9', '17.5'])('renders nothing of TLS without spec.tls (%s)', (version) => {
      // Act
      const objects = postgresqlBlueprint.render(spec(version), ctx);
      const off = postgresqlBlueprint.render(spec(version, false), ctx);

      // Assess: the render of a cluster without TLS is what it was before TLS existed.
      expect(JSON.stringify(objects)).not.toContain('stratus-tls');
      expect(clusterOf(objects).spec.certificates).toBeUndefined();
      expect(clusterOf(objects).spec.postgresql).toEqual({
        parameters: { max_connections: '100', shared_buffers: '256MB' },
      });
      expect(off).toEqual(objects);
    });

    it.each(['16.9', '17.5'])('serves the cluster certificate from Secret stratus-tls (%s)', (version) => {
      // Act
      const cluster = clusterOf(postgresqlBlueprint.render(spec(version, true), ctx));

      // Assess: the server certificate and the CA the replicas and clients verify it with.
      expect(cluster.spec.certificates).toEqual({
        serverTLSSecret: 'stratus-tls',
        serverCASecret: 'stratus-tls',
      });
      // CloudNativePG keeps its client CA and the streaming_replica certificate.
      expect(cluster.spec.certificates.clientCASecret).toBeUndefined();
      expect(cluster.spec.certificates.replicationTLSSecret).toBeUndefined();
    });

    it('refuses plain-text connections on PostgreSQL 17 (the gateway passes TLS through)', () => {
      // Act
      const cluster = clusterOf(postgresqlBlueprint.render(spec('17.5', true), ctx));

      // Assess: IPv4 and IPv6, after CloudNativePG's own fixed (hostssl, cert) rules.
      expect(cluster.spec.postgresql.pg_hba).toEqual([
        'hostnossl all all 0.0.0.0/0 reject',
        'hostnossl all all ::/0 reject',
      ]);
      // Nothing that would lock out the operator, the replicas or the password clients over TLS.
      for (const rule of cluster.spec.postgresql.pg_hba) {
        expect(rule).not.toMatch(/^(local|hostssl|host )/);
        expect(rule).not.toMatch(/replication|streaming_replica/);
      }
      expect(cluster.spec.postgresql.parameters).toEqual({ max_connections: '100', shared_buffers: '256MB' });
    });

    it('keeps plain text open on PostgreSQL 16 (the gateway terminates TLS and connects in plain text)', () => {
      // Act
      const cluster = clusterOf(postgresqlBlueprint.render(spec('16.9', true), ctx));

      // Assess
      expect(cluster.spec.postgresql.pg_hba).toBeUndefined();
      expect(cluster.spec.certificates.serverTLSSecret).toBe('stratus-tls');
    });

    it.each(['16.9', '17.5'])(
      'renders objects valid for Kubernetes and the CloudNativePG CRD (%s)',
      (version) => {
        // Act
        const objects = postgresqlBlueprint.render(spec(version, true), ctx);

        // Assess
        for (const obj of objects) {
          const validate = obj.kind === 'Cluster' ? validateCustomResource : validateKubeObject;
          expect(() => validate(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
        }
      },
    );

    it.each([
      [
        'a misspelt certificate field',
        (c: Any) => (c.spec.certificates.serverTlsSecret = 'stratus-tls'),
        /\/spec\/certificates must NOT have additional properties .*serverTlsSecret/,
      ],
      [
        'a secret name that is not a string',
        (c: Any) => (c.spec.certificates.serverCASecret = { name: 'stratus-tls' }),
        /\/spec\/certificates\/serverCASecret must be string/,
      ],
      [
        'pg_hba that is not a list of lines',
        (c: Any) => (c.spec.postgresql.pg_hba = 'hostnossl all all 0.0.0.0/0 reject'),
        /\/spec\/postgresql\/pg_hba must be array/,
      ],
    ])('the CRD refuses %s', (_what, mutate, error) => {
      // Prepare
      const cluster = structuredClone(clusterOf(postgresqlBlueprint.render(spec('17.5', true), ctx)));

      // Act
      mutate(cluster);

      // Assess
      expect(() => validateCustomResource(cluster)).toThrow(error);
    });

    it('changes nothing in a backup: CloudNativePG backs up from the instances (barman), no client of ours connects', () => {
      // Prepare
      const store = { bucket: 'backups', prefix: 'tn/cl/' };
      const target = { backupId: 'bk-01', storage: store, clusterStore: store };
      const backup = postgresqlBlueprint.backup;
      if (!backup) throw new Error('postgresql backs up');

      // Act
      const on = backup.render(spec('17.5', true), target, ctx);
      const off = backup.render(spec('17.5'), target, ctx);

      // Assess
      expect(on).toEqual(off);
      expect(on.map((o) => o.kind)).toEqual(['Backup']);
    });
  });

  describe('Method: connection', () => {
    it('marks the in-cluster connection TLS-only, verified as the read-write Service', () => {
      // Act
      const conn = postgresqlBlueprint.connection(spec('17.5', true));

      // Assess
      expect(conn.host).toBe(`postgresql-rw.${ns}.svc.cluster.local`);
      expect(conn.tls).toEqual({ serverName: `postgresql-rw.${ns}.svc.cluster.local`, required: true });
      // PostgreSQL 16 serves TLS but still takes plain text (the gateway's last hop).
      expect(postgresqlBlueprint.connection(spec('16.9', true)).tls).toEqual({
        serverName: conn.host,
        required: false,
      });
      expect(postgresqlBlueprint.connection(spec('17.5')).tls).toBeUndefined();
    });
  });

  describe('Property: tls', () => {
    const tlsSupport = () => {
      if (!postgresqlBlueprint.tls) throw new Error('postgresql declares no TLS support');
      return postgresqlBlueprint.tls;
    };

    it('passes TLS through on PostgreSQL 17 (direct TLS) and terminates it on 16', () => {
      const tls = tlsSupport();
      expect(tls.gatewayMode(spec('17.5', true))).toBe('passthrough');
      expect(tls.gatewayMode(spec('16.9', true))).toBe('terminate');
      expect(tls.members).toBeUndefined();
    });

    it('covers every form of the -rw, -r and -ro Services, as CloudNativePG names its own certificates', () => {
      // Act
      const names = tlsSupport().dnsNames(spec('17.5', true));

      // Assess
      expect(names).toEqual(
        ['postgresql-rw', 'postgresql-r', 'postgresql-ro'].flatMap((svc) => [
          svc,
          `${svc}.${ns}`,
          `${svc}.${ns}.svc`,
          `${svc}.${ns}.svc.cluster.local`,
        ]),
      );
      expect(names).toContain(postgresqlBlueprint.connection(spec('17.5', true)).host);
      expect(new Set(names).size).toBe(names.length);
    });
  });
});
