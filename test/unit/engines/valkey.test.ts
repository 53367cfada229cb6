import { describe, expect, it } from 'vitest';
import { imageFor } from '../../../functions/shared/engines/images.js';
import { DATABASE_TLS_MOUNT, DATABASE_TLS_SECRET } from '../../../functions/shared/engines/tls.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { valkeyBlueprint, valkeyUpgradeChecker } from '../../../functions/shared/engines/valkey.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'valkey-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
/** Whether a certificate for `names` covers `host` (a wildcard stands for one leftmost label). */
const covers = (names: string[], host: string) =>
  names.includes(host) || names.includes(host.replace(/^[^.]+/, '*'));
const liveSts = (status: Record<string, unknown>, generation = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'valkey', namespace: 'ns', generation },
  status,
});

describe('Blueprint: valkey', () => {
  const spec = clusterSpec({
    engine: 'valkey',
    version: '8.1.1',
    nodes: 3,
    settings: valkeyBlueprint.settingsSchema.parse({}),
  });
  const ctx = renderContext({ secrets: { password: PASSWORD } });
  const objects = valkeyBlueprint.render(spec, ctx);
  const sts = find(objects, 'StatefulSet', 'valkey');
  const pod = sts.spec.template.spec;
  const container = pod.containers[0];
  const script: string = container.command.join(' ');

  describe('Method: render', () => {
    it('renders objects that validate against the Kubernetes schemas', () => {
      for (const obj of objects) {
        expect(() => validateKubeObject(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it('runs the requested image on one pod per node with per-node resources and storage', () => {
      expect(sts.spec.replicas).toBe(3);
      expect(container.image).toBe(imageFor('valkey', '8.1.1'));
      expect(container.resources).toEqual({
        requests: { cpu: '500m', memory: '1Gi' },
        limits: { cpu: '500m', memory: '1Gi' },
      });
      expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    });

    it('authenticates with the password from the Secret, never on a command line or in an object', () => {
      // Act
      const secret = find(objects, 'Secret', 'valkey-credentials');
      const others = objects.filter((o) => o !== secret).map((o) => JSON.stringify(o));

      // Assess
      expect(secret.stringData).toEqual({ password: PASSWORD });
      for (const text of others) expect(text).not.toContain(PASSWORD);
      expect(container.env).toEqual([
        {
          name: 'VALKEY_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'valkey-credentials', key: 'password' } },
        },
      ]);
      expect(script).toContain('requirepass');
      expect(script).toContain('masterauth');
      expect(script).toContain('unset VALKEY_PASSWORD');
      expect(script).not.toMatch(/valkey-server[^\n]*VALKEY_PASSWORD/);
      expect(pod.volumes).toContainEqual({ name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    });

    it('sizes maxmemory from the node memory and applies the settings', () => {
      // 75% of 1Gi
      expect(script).toContain('--maxmemory 805306368');
      expect(script).toContain('--maxmemory-policy noeviction');
      expect(script).toContain('--appendonly yes');

      const other = valkeyBlueprint.render(
        clusterSpec({
          ...spec,
          settings: { maxmemoryPolicy: 'allkeys-lru', maxmemoryPercent: 50, appendOnly: false },
          size: { cpu: '1', memory: '4Gi', storageGiB: 50 },
        }),
        ctx,
      );
      const otherScript = find(other, 'StatefulSet', 'valkey').spec.template.spec.containers[0].command.join(
        ' ',
      );
      expect(otherScript).toContain(`--maxmemory ${2 * 2 ** 30}`);
      expect(otherScript).toContain('--maxmemory-policy allkeys-lru');
      expect(otherScript).toContain('--appendonly no');
    });

    it('makes pod 0 the primary and the others replicas of it', () => {
      const primary = `valkey-0.valkey-headless.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(script).toContain(
        `if [ "$(hostname)" != "valkey-0" ]; then set -- --replicaof ${primary} 6379; fi`,
      );
      expect(find(objects, 'Service', 'valkey').spec.selector).toMatchObject({
        'statefulset.kubernetes.io/pod-name': 'valkey-0',
      });
      expect(find(objects, 'Service', 'valkey-read').spec.selector).not.toHaveProperty(
        'statefulset.kubernetes.io/pod-name',
      );
      expect(find(objects, 'Service', 'valkey-headless').spec).toMatchObject({
        clusterIP: 'None',
        publishNotReadyAddresses: true,
      });
      expect(find(objects, 'PodDisruptionBudget', 'valkey').spec).toMatchObject({ maxUnavailable: 1 });
    });

    it('renders neither a read Service nor a PodDisruptionBudget for a single node', () => {
      const single = valkeyBlueprint.render(clusterSpec({ ...spec, nodes: 1 }), ctx);
      expect(single.map((o) => `${o.kind}/${o.metadata.name}`)).not.toEqual(
        expect.arrayContaining(['Service/valkey-read']),
      );
      expect(single.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    });

    it('complies with the restricted pod security standard, without an API token', () => {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 999,
        fsGroup: 999,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
    });

    it('probes readiness with an authenticated PING', () => {
      expect(container.readinessProbe.exec.command.join(' ')).toContain('REDISCLI_AUTH="$VALKEY_PASSWORD"');
      expect(container.livenessProbe.tcpSocket).toEqual({ port: 6379 });
    });

    it('refuses to render without a generated password', () => {
      expect(() => valkeyBlueprint.render(spec, renderContext({ secrets: {} }))).toThrow(/password/);
    });
  });

  describe('Property: settingsSchema', () => {
    it('fills defaults', () => {
      expect(valkeyBlueprint.settingsSchema.parse({})).toEqual({
        maxmemoryPolicy: 'noeviction',
        maxmemoryPercent: 75,
        appendOnly: true,
      });
    });

    it.each([
      [{ maxmemoryPolicy: 'lru' }],
      [{ maxmemoryPercent: 95 }],
      [{ maxmemoryPercent: 50.5 }],
      [{ appendOnly: 'yes' }],
      [{ requirepass: 'x' }],
    ])('refuses %j', (settings) => {
      expect(valkeyBlueprint.settingsSchema.safeParse(settings).success).toBe(false);
    });
  });

  describe('Method: readiness', () => {
    it('is ready like any StatefulSet engine: observed generation, every replica ready and updated', () => {
      expect(valkeyBlueprint.readiness(spec, [undefined])).toMatchObject({ ready: false });
      expect(
        valkeyBlueprint.readiness(spec, [
          liveSts({ observedGeneration: 1, readyReplicas: 2, updatedReplicas: 3 }),
        ]),
      ).toEqual({ ready: false, reason: '2/3 replicas ready' });
      expect(
        valkeyBlueprint.readiness(spec, [
          liveSts({ observedGeneration: 1, readyReplicas: 3, updatedReplicas: 3 }),
        ]),
      ).toEqual({ ready: true });
    });
  });

  describe('Method: connection', () => {
    it('points at the primary Service and the password in the Secret', () => {
      const host = `valkey.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(valkeyBlueprint.connection(spec)).toEqual({
        host,
        port: 6379,
        endpoint: `redis://${host}:6379`,
        credentialRef: {
          namespace: `stratus-${spec.clusterId}`,
          name: 'valkey-credentials',
          key: 'password',
        },
      });
    });
  });

  describe('Property: tls (spec.tls)', () => {
    const ns = `stratus-${spec.clusterId}`;
    const store = { bucket: 'stratus-test-backups', prefix: 'tn-1/cl-1/' };
    const target = {
      backupId: 'bk-1',
      storage: { ...store, prefix: 'tn-1/cl-1/bk-1/' },
      clusterStore: store,
    };
    const tlsSpec = clusterSpec({ ...spec, tls: true, backupStore: store });
    const tlsObjects = valkeyBlueprint.render(tlsSpec, ctx);
    const tlsPod = find(tlsObjects, 'StatefulSet', 'valkey').spec.template.spec;
    const tlsContainer = tlsPod.containers[0];
    const tlsScript: string = tlsContainer.command.join(' ');
    const [job] = valkeyBlueprint.backup?.render(tlsSpec, target, ctx) ?? [];
    const jobPod = (job as Any).spec.template.spec;

    it('renders objects and a backup Job that validate against the Kubernetes schemas', () => {
      const restored = valkeyBlueprint.render(
        clusterSpec({
          ...spec,
          tls: true,
          restore: { backupId: 'bk-1', clusterId: 'cl-source', storage: store, sourceStore: store },
        }),
        ctx,
      );
      for (const obj of [...tlsObjects, ...restored, job as KubeObject]) {
        expect(() => validateKubeObject(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it('serves TLS only on 6379 with the mounted certificate, password clients and TLS replication', () => {
      for (const line of [
        '--port 0',
        '--tls-port 6379',
        `--tls-cert-file ${DATABASE_TLS_MOUNT}/tls.crt`,
        `--tls-key-file ${DATABASE_TLS_MOUNT}/tls.key`,
        `--tls-ca-cert-file ${DATABASE_TLS_MOUNT}/ca.crt`,
        '--tls-auth-clients no',
        '--tls-replication yes',
      ]) {
        expect(tlsScript).toContain(line);
      }
      expect(tlsScript).not.toContain('--port 6379');
      // Replicas still follow pod 0 on the client port, now over TLS.
      expect(tlsScript).toContain(`--replicaof valkey-0.valkey-headless.${ns}.svc.cluster.local 6379`);
      expect(tlsScript).toContain('requirepass');
    });

    it('mounts the certificate Secret read-only in the Valkey container', () => {
      expect(tlsPod.volumes).toContainEqual({
        name: 'tls',
        secret: { secretName: DATABASE_TLS_SECRET, defaultMode: 0o440 },
      });
      expect(tlsContainer.volumeMounts).toContainEqual({
        name: 'tls',
        mountPath: DATABASE_TLS_MOUNT,
        readOnly: true,
      });
      // Group-readable through the pod's fsGroup: Valkey runs as 999.
      expect(tlsPod.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
    });

    it('probes readiness over TLS, verifying the server with the cluster CA', () => {
      const probe: string = tlsContainer.readinessProbe.exec.command.join(' ');
      expect(probe).toContain(
        `valkey-cli -h 127.0.0.1 -p 6379 --tls --cacert ${DATABASE_TLS_MOUNT}/ca.crt ping`,
      );
      expect(tlsContainer.livenessProbe.tcpSocket).toEqual({ port: 6379 });
    });

    it('dumps the backup over TLS with the CA only mounted in the dump container', () => {
      const dump = jobPod.initContainers[0];
      expect(dump.command.join(' ')).toContain(
        `valkey-cli -h valkey -p 6379 --tls --cacert ${DATABASE_TLS_MOUNT}/ca.crt --no-auth-warning --rdb /backup/dump.rdb`,
      );
      expect(dump.volumeMounts).toContainEqual({
        name: 'tls',
        mountPath: DATABASE_TLS_MOUNT,
        readOnly: true,
      });
      expect(jobPod.volumes).toContainEqual({
        name: 'tls',
        secret: {
          secretName: DATABASE_TLS_SECRET,
          defaultMode: 0o440,
          items: [{ key: 'ca.crt', path: 'ca.crt' }],
        },
      });
      expect(jobPod.containers[0].volumeMounts).not.toContainEqual(expect.objectContaining({ name: 'tls' }));
    });

    it('connects with rediss to the primary Service, verifying its name', () => {
      const host = `valkey.${ns}.svc.cluster.local`;
      expect(valkeyBlueprint.connection(tlsSpec)).toEqual({
        host,
        port: 6379,
        endpoint: `rediss://${host}:6379`,
        credentialRef: { namespace: ns, name: 'valkey-credentials', key: 'password' },
        tls: { serverName: host, required: true },
      });
    });

    it('covers the client Services and the pods behind the headless Service; passthrough at the gateway', () => {
      const tls = valkeyBlueprint.tls;
      expect(tls).toBeDefined();
      const names = tls?.dnsNames(tlsSpec) ?? [];
      for (const service of ['valkey', 'valkey-read']) {
        expect(names).toEqual(
          expect.arrayContaining([
            service,
            `${service}.${ns}`,
            `${service}.${ns}.svc`,
            `${service}.${ns}.svc.cluster.local`,
          ]),
        );
      }
      // The name replicas use for the primary, through the headless Service's wildcard.
      expect(names).toContain(`*.valkey-headless.${ns}.svc.cluster.local`);
      expect(covers(names, `valkey-0.valkey-headless.${ns}.svc.cluster.local`)).toBe(true);
      expect(covers(names, valkeyBlueprint.connection(tlsSpec).host)).toBe(true);
      expect(tls?.gatewayMode(tlsSpec)).toBe('passthrough');
      expect(tls?.members).toBeUndefined();
    });

    it('leaves a cluster without spec.tls as it was: no certificate, no TLS flags, redis://', () => {
      const plainSpec = clusterSpec({ ...spec, backupStore: store });
      const rendered = JSON.stringify([
        valkeyBlueprint.render(plainSpec, ctx),
        valkeyBlueprint.backup?.render(plainSpec, target, ctx),
        valkeyBlueprint.connection(plainSpec),
      ]);
      expect(rendered).not.toContain(DATABASE_TLS_SECRET);
      expect(rendered).not.toContain('--tls');
      expect(rendered).not.toContain('rediss');
      expect(script).toContain('--port 6379');
      expect(valkeyBlueprint.connection(spec).tls).toBeUndefined();
    });
  });

  describe('Method: checkUpgrade', () => {
    it.each([
      ['7.2.5', '8.0.2'],
      ['7.2.5', '8.1.1'],
      ['8.0.2', '8.1.1'],
      ['8.1.1', '8.1.1'],
      // Clusters created at a version since replaced by a pinned one can still move up a major.
      ['7.2.8', '8.1.1'],
      ['8.0.3', '8.1.1'],
    ])('allows %s -> %s', (from, to) => {
      expect(valkeyBlueprint.checkUpgrade(from, to)).toBeUndefined();
    });

    it.each([
      ['8.1.1', '8.0.2', /downgraded/],
      ['8.0.2', '7.2.5', /downgraded/],
      ['7.2.8', '7.2.5', /downgraded/],
      ['8.0.2', '9.0.0', /not supported/],
    ])('refuses %s -> %s', (from, to, message) => {
      expect(valkeyBlueprint.checkUpgrade(from, to)).toMatch(message);
    });

    it('goes to the next major only from the last minor, one major at a time', () => {
      // Prepare: a catalogue with several minors of 7 and a 9
      const check = valkeyUpgradeChecker(['7.0.15', '7.2.8', '8.0.3', '8.1.1', '9.0.0']);

      // Act & Assess
      expect(check('7.0.15', '8.0.3')).toMatch(/only from 7\.2: upgrade to 7\.2\.8 first/);
      expect(check('7.0.15', '7.2.8')).toBeUndefined();
      expect(check('7.2.8', '9.0.0')).toMatch(/one major version at a time/);
      expect(check('8.1.1', '9.0.0')).toBeUndefined();
      expect(check('8.0.3', '9.0.0')).toMatch(/upgrade to 8\.1\.1 first/);
    });
  });
});
