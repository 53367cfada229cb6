import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  SCYLLA_OPERATOR_NAMESPACE,
  scylladbBlueprint,
  scylladbUpgradeRule,
} from '../../../functions/shared/engines/scylladb.js';
import { namespaceOf } from '../../../functions/shared/engines/tenancy.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseVersion } from '../../../functions/shared/engines/versions.js';
import { validateCustomResource } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

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

describe('Blueprint: scylladb, TLS to the database (spec.tls)', () => {
  const ctx = renderContext({ secrets: { password: PASSWORD } });
  const spec = (tls?: boolean, nodes = 3) =>
    clusterSpec({
      engine: 'scylladb',
      version: '2025.1.9',
      nodes,
      settings: scylladbBlueprint.settingsSchema.parse({}),
      ...(tls === undefined ? {} : { tls }),
    });
  const ns = namespaceOf(spec().clusterId);
  const rendered = (tls?: boolean) => {
    const objects = scylladbBlueprint.render(spec(tls), ctx);
    return {
      objects,
      config: parseYaml(find(objects, 'ConfigMap', 'scylladb-config').data['scylla.yaml']),
      rack: find(objects, 'ScyllaCluster', 'scylladb').spec.datacenter.racks[0],
      pod: find(objects, 'Job', 'scylladb-auth-2025-1-9').spec.template.spec,
    };
  };
  const cqlshCalls = (script: string) => script.match(/cqlsh[^\n]*"\$SCYLLA_HOST"/g) ?? [];

  describe('Method: render', () => {
    it('renders nothing of TLS without spec.tls', () => {
      // Act
      const { objects, config, rack, pod } = rendered();

      // Assess: the render of a cluster without TLS is what it was before TLS existed.
      expect(JSON.stringify(objects)).not.toContain('stratus-tls');
      expect(JSON.stringify(objects)).not.toContain('SSL_');
      expect(find(objects, 'ConfigMap', 'scylladb-config').data).toEqual({
        'scylla.yaml': 'authenticator: PasswordAuthenticator\nauthorizer: CassandraAuthorizer\n',
      });
      expect(config.client_encryption_options).toBeUndefined();
      expect(rack.volumes).toBeUndefined();
      expect(rack.volumeMounts).toBeUndefined();
      expect(pod.volumes).toEqual([{ name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }]);
      const calls = cqlshCalls(pod.containers[0].command[2]);
      expect(calls).toHaveLength(3);
      for (const call of calls) expect(call).toBe('cqlsh "$SCYLLA_HOST"');
      expect(scylladbBlueprint.render(spec(false), ctx)).toEqual(objects);
    });

    it('encrypts the CQL ports themselves (9042, 19042) with the cluster certificate, no client certificates', () => {
      // Act
      const { config } = rendered(true);

      // Assess: the SSL ports equal the plain ones, so ScyllaDB opens no plain CQL port (the
      // operator's managed config would otherwise add TLS on 9142 and leave 9042 plain).
      expect(config).toEqual({
        authenticator: 'PasswordAuthenticator',
        authorizer: 'CassandraAuthorizer',
        native_transport_port: 9042,
        native_transport_port_ssl: 9042,
        native_shard_aware_transport_port: 19042,
        native_shard_aware_transport_port_ssl: 19042,
        client_encryption_options: {
          enabled: true,
          certificate: '/etc/stratus/tls/tls.crt',
          keyfile: '/etc/stratus/tls/tls.key',
          require_client_auth: false,
        },
      });
      expect(scylladbBlueprint.connection(spec(true)).port).toBe(config.native_transport_port_ssl);
    });

    it('mounts the certificate Secret read-only into the scylla container through the rack', () => {
      // Act
      const { rack } = rendered(true);

      // Assess
      expect(rack.scyllaConfig).toBe('scylladb-config');
      expect(rack.volumes).toEqual([
        { name: 'stratus-tls', secret: { secretName: 'stratus-tls', defaultMode: 0o440 } },
      ]);
      expect(rack.volumeMounts).toEqual([
        { name: 'stratus-tls', mountPath: '/etc/stratus/tls', readOnly: true },
      ]);
    });

    it('makes the role Job connect with TLS, verifying the server with the CA and its name', () => {
      // Act
      const { pod } = rendered(true);
      const [container] = pod.containers;

      // Assess: every cqlsh call uses TLS.
      const calls = cqlshCalls(container.command[2]);
      expect(calls).toHaveLength(3);
      for (const call of calls) expect(call).toBe('cqlsh --ssl "$SCYLLA_HOST"');
      expect(container.env).toEqual(
        expect.arrayContaining([
          { name: 'SCYLLA_HOST', value: 'scylladb-client' },
          { name: 'SSL_CERTFILE', value: '/etc/stratus/tls/ca.crt' },
          { name: 'SSL_VALIDATE', value: 'true' },
          { name: 'SSL_CHECK_HOSTNAME', value: 'true' },
        ]),
      );
      // The CA only, readable by the Job's non-root user; never the key.
      expect(pod.volumes).toContainEqual({
        name: 'stratus-tls-ca',
        secret: { secretName: 'stratus-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
      });
      expect(container.volumeMounts).toContainEqual({
        name: 'stratus-tls-ca',
        mountPath: '/etc/stratus/tls',
        readOnly: true,
      });
      expect(JSON.stringify(pod)).not.toContain('tls.key');
      // The Job's host is a name the certificate covers.
      expect(scylladbBlueprint.tls?.dnsNames(spec(true))).toContain('scylladb-client');
      // Still no password on a command line.
      expect(container.command[2]).not.toMatch(/cqlsh [^\n]*-p /);
    });

    it('renders objects valid for Kubernetes and the ScyllaCluster CRD', () => {
      for (const obj of rendered(true).objects) {
        const validate = obj.kind === 'ScyllaCluster' ? validateCustomResource : validateKubeObject;
        expect(() => validate(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it.each([
      [
        'a volume mount without a name',
        (sc: Any) => delete sc.spec.datacenter.racks[0].volumeMounts[0].name,
        /\/spec\/datacenter\/racks\/0\/volumeMounts\/0 must have required property 'name'/,
      ],
      [
        'a secret volume whose mode is not a number',
        (sc: Any) => (sc.spec.datacenter.racks[0].volumes[0].secret.defaultMode = '0440'),
        /\/spec\/datacenter\/racks\/0\/volumes\/0\/secret\/defaultMode must be integer/,
      ],
      [
        'mounts on the rack under a field the CRD does not have',
        (sc: Any) => (sc.spec.datacenter.racks[0].scyllaVolumeMounts = []),
        /\/spec\/datacenter\/racks\/0 must NOT have additional properties .*scyllaVolumeMounts/,
      ],
    ])('the CRD refuses %s', (_what, mutate, error) => {
      // Prepare
      const sc = structuredClone(find(rendered(true).objects, 'ScyllaCluster', 'scylladb'));

      // Act
      mutate(sc);

      // Assess
      expect(() => validateCustomResource(sc)).toThrow(error);
    });
  });

  describe('Method: connection', () => {
    it('marks the in-cluster connection TLS-only, verified as the client Service', () => {
      const host = `scylladb-client.${ns}.svc.cluster.local`;
      expect(scylladbBlueprint.connection(spec(true))).toMatchObject({
        host,
        port: 9042,
        tls: { serverName: host, required: true },
      });
      expect(scylladbBlueprint.connection(spec()).tls).toBeUndefined();
    });
  });

  describe('Property: tls', () => {
    const tlsSupport = () => {
      if (!scylladbBlueprint.tls) throw new Error('scylladb declares no TLS support');
      return scylladbBlueprint.tls;
    };

    it('passes TLS through the gateway (ScyllaDB terminates it)', () => {
      expect(tlsSupport().gatewayMode(spec(true))).toBe('passthrough');
      expect(tlsSupport().members).toBeUndefined();
    });

    it('covers the client Service and every member Service the operator may create, in every form, at any size', () => {
      // Act
      const names = tlsSupport().dnsNames(spec(true));

      // Assess: members are `<cluster>-<datacenter (region)>-<rack>-<ordinal>`.
      const forms = (svc: string) => [
        svc,
        `${svc}.${ns}`,
        `${svc}.${ns}.svc`,
        `${svc}.${ns}.svc.cluster.local`,
      ];
      // Every member index the API allows (9), whatever the size: a scale reissues no certificate.
      expect(names).toEqual([
        ...forms('scylladb-client'),
        ...Array.from({ length: 9 }, (_, i) => forms(`scylladb-eu-west-1-rack1-${i}`)).flat(),
      ]);
      expect(names).toContain(scylladbBlueprint.connection(spec(true)).host);
      expect(tlsSupport().dnsNames(spec(true, 5))).toEqual(names);
    });
  });
});
