import { describe, expect, it } from 'vitest';
import {
  DRAGONFLY_OPERATOR_NAMESPACE,
  dragonflyBlueprint,
} from '../../../functions/shared/engines/dragonfly.js';
import { imageFor } from '../../../functions/shared/engines/images.js';
import { LABELS } from '../../../functions/shared/engines/tenancy.js';
import { DATABASE_TLS_MOUNT, DATABASE_TLS_SECRET } from '../../../functions/shared/engines/tls.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { validateCustomResource } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';
import { validateKubeObject } from '../../helpers/kube-models.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;
const PASSWORD = 'df-password-0123456789-SECRET';
const find = (objects: KubeObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const liveDragonfly = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'dragonflydb.io/v1alpha1',
  kind: 'Dragonfly',
  metadata: { name: 'dragonfly', namespace: 'ns', generation: 1 },
  ...(status ? { status } : {}),
});

describe('Blueprint: dragonfly', () => {
  const spec = clusterSpec({
    engine: 'dragonfly',
    version: '1.39.0',
    nodes: 2,
    settings: dragonflyBlueprint.settingsSchema.parse({}),
  });
  const ctx = renderContext({ secrets: { password: PASSWORD } });
  const objects = dragonflyBlueprint.render(spec, ctx);
  const df = find(objects, 'Dragonfly', 'dragonfly');

  describe('Method: render', () => {
    it('renders built-ins valid for Kubernetes and a Dragonfly valid for the operator CRD', () => {
      expect(objects.map((o) => o.kind)).toContain('Dragonfly');
      for (const obj of objects) {
        const validate = obj.kind === 'Dragonfly' ? validateCustomResource : validateKubeObject;
        expect(() => validate(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it('sizes the Dragonfly from the spec: replicas, image, resources, snapshot volume', () => {
      expect(df.spec).toMatchObject({
        replicas: 2,
        image: imageFor('dragonfly', '1.39.0'),
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } },
        snapshot: {
          cron: '*/30 * * * *',
          persistentVolumeClaimSpec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '10Gi' } },
          },
        },
        networkPolicyEnabled: false,
      });
      expect(df.spec.args).toBeUndefined();
    });

    it('authenticates with the password from the Secret only', () => {
      // Act
      const secret = find(objects, 'Secret', 'dragonfly-credentials');

      // Assess
      expect(secret.stringData).toEqual({ password: PASSWORD });
      expect(df.spec.authentication).toEqual({
        passwordFromSecret: { name: 'dragonfly-credentials', key: 'password' },
      });
      for (const obj of objects.filter((o) => o !== secret))
        expect(JSON.stringify(obj)).not.toContain(PASSWORD);
    });

    it('runs pods under the restricted standard with a ServiceAccount that mounts no token', () => {
      expect(find(objects, 'ServiceAccount', 'dragonfly').automountServiceAccountToken).toBe(false);
      expect(df.spec.serviceAccountName).toBe('dragonfly');
      expect(df.spec.podSecurityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 999,
        fsGroup: 999,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(df.spec.containerSecurityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it('lets only the operator reach the admin port; clients get 6379', () => {
      expect(find(objects, 'NetworkPolicy', 'allow-operator').spec.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': DRAGONFLY_OPERATOR_NAMESPACE },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 9999 }],
        },
      ]);
      const clients = find(objects, 'NetworkPolicy', 'allow-cluster-traffic').spec.ingress[1];
      expect(clients.ports).toEqual([{ protocol: 'TCP', port: 6379 }]);
      expect(objects.some((o) => o.metadata.name === 'allow-kube-api')).toBe(false);
    });

    it('labels what the operator creates with the tenant and cluster, not managed-by', () => {
      const labels = {
        [LABELS.tenant]: spec.tenantId,
        [LABELS.cluster]: spec.clusterId,
        [LABELS.engine]: 'dragonfly',
      };
      expect(df.spec.podMetadata).toEqual({ labels });
      expect(df.spec.ownedObjectsMetadata).toEqual({ labels });
    });

    it('applies the settings', () => {
      const custom = dragonflyBlueprint.render(
        clusterSpec({ ...spec, settings: { cacheMode: true, snapshotCron: '0 * * * *' } }),
        ctx,
      );
      const customDf = find(custom, 'Dragonfly', 'dragonfly');
      expect(customDf.spec.args).toEqual(['--cache_mode=true']);
      expect(customDf.spec.snapshot.cron).toBe('0 * * * *');
    });
  });

  describe('Property: settingsSchema', () => {
    it('fills defaults', () => {
      expect(dragonflyBlueprint.settingsSchema.parse({})).toEqual({
        cacheMode: false,
        snapshotCron: '*/30 * * * *',
      });
    });

    it.each([
      [{ snapshotCron: 'hourly' }],
      [{ snapshotCron: '* * * *' }],
      [{ snapshotCron: '* * * * * ; rm' }],
      [{ cacheMode: 1 }],
    ])('refuses %j', (settings) => {
      expect(dragonflyBlueprint.settingsSchema.safeParse(settings).success).toBe(false);
    });
  });

  describe('Method: readiness', () => {
    it.each([
      ['the Dragonfly is missing', undefined, /not found/],
      ['there is no status yet', liveDragonfly(undefined), /no phase reported yet/],
      ['resources were just created', liveDragonfly({ phase: 'ResourcesCreated' }), /ResourcesCreated/],
      ['replication is being configured', liveDragonfly({ phase: 'Configuring' }), /Configuring/],
      ['a rolling update runs', liveDragonfly({ phase: 'Ready', isRollingUpdate: true }), /rolling update/],
      ['the phase says so', liveDragonfly({ phase: 'RollingUpdate' }), /rolling update/],
    ])('is not ready when %s', (_case, live, reason) => {
      const result = dragonflyBlueprint.readiness(spec, [live]);
      expect(result).toMatchObject({ ready: false });
      expect(result.ready === false && result.reason).toMatch(reason);
      expect(result.ready === false && result.permanent).toBeFalsy();
    });

    it.each(['Ready', 'ready'])('is ready in the phase %s without a rolling update', (phase) => {
      expect(dragonflyBlueprint.readiness(spec, [liveDragonfly({ phase, isRollingUpdate: false })])).toEqual({
        ready: true,
      });
    });
  });

  describe('Method: connection', () => {
    it('points at the master Service the operator creates and the password in the Secret', () => {
      const host = `dragonfly.stratus-${spec.clusterId}.svc.cluster.local`;
      expect(dragonflyBlueprint.connection(spec)).toEqual({
        host,
        port: 6379,
        endpoint: `redis://${host}:6379`,
        credentialRef: {
          namespace: `stratus-${spec.clusterId}`,
          name: 'dragonfly-credentials',
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
    const tlsObjects = dragonflyBlueprint.render(tlsSpec, ctx);
    const tlsDf = find(tlsObjects, 'Dragonfly', 'dragonfly');
    const [job] = dragonflyBlueprint.backup?.render(tlsSpec, target, ctx) ?? [];
    const jobPod = (job as Any).spec.template.spec;

    it('renders a Dragonfly valid for the operator CRD, built-ins and a backup Job valid for Kubernetes', () => {
      const restored = dragonflyBlueprint.render(
        clusterSpec({
          ...spec,
          tls: true,
          settings: { cacheMode: true, snapshotCron: '0 * * * *' },
          restore: { backupId: 'bk-1', clusterId: 'cl-source', storage: store, sourceStore: store },
        }),
        ctx,
      );
      for (const obj of [...tlsObjects, ...restored, job as KubeObject]) {
        const validate = obj.kind === 'Dragonfly' ? validateCustomResource : validateKubeObject;
        expect(() => validate(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
    });

    it('names the certificate Secret for the operator and adds no TLS flag of its own', () => {
      // The operator mounts it and adds --tls, --tls_cert_file, --tls_key_file, --no_tls_on_admin_port.
      expect(tlsDf.spec.tlsSecretRef).toEqual({ name: DATABASE_TLS_SECRET });
      expect(tlsDf.spec.args).toBeUndefined();
      const cache = dragonflyBlueprint.render(
        clusterSpec({ ...tlsSpec, settings: { cacheMode: true, snapshotCron: '*/30 * * * *' } }),
        ctx,
      );
      expect(find(cache, 'Dragonfly', 'dragonfly').spec.args).toEqual(['--cache_mode=true']);
      // Not --tls_ca_cert_file: Dragonfly would then require client certificates.
      expect(JSON.stringify(tlsDf)).not.toContain('tls_ca_cert_file');
      expect(tlsDf.spec.authentication).toEqual({
        passwordFromSecret: { name: 'dragonfly-credentials', key: 'password' },
      });
    });

    it('dumps the backup over TLS with the CA only mounted in the dump container', () => {
      const dump = jobPod.initContainers[0];
      expect(dump.command.join(' ')).toContain(
        `valkey-cli -h dragonfly -p 6379 --tls --cacert ${DATABASE_TLS_MOUNT}/ca.crt --no-auth-warning --rdb /backup/dump.rdb`,
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

    it('connects with rediss to the master Service, verifying its name', () => {
      const host = `dragonfly.${ns}.svc.cluster.local`;
      expect(dragonflyBlueprint.connection(tlsSpec)).toEqual({
        host,
        port: 6379,
        endpoint: `rediss://${host}:6379`,
        credentialRef: { namespace: ns, name: 'dragonfly-credentials', key: 'password' },
        tls: { serverName: host, required: true },
      });
    });

    it('covers the master Service the operator creates; passthrough at the gateway', () => {
      const tls = dragonflyBlueprint.tls;
      expect(tls).toBeDefined();
      expect(tls?.dnsNames(tlsSpec)).toEqual([
        'dragonfly',
        `dragonfly.${ns}`,
        `dragonfly.${ns}.svc`,
        `dragonfly.${ns}.svc.cluster.local`,
      ]);
      expect(tls?.dnsNames(tlsSpec)).toContain(dragonflyBlueprint.connection(tlsSpec).host);
      expect(tls?.gatewayMode(tlsSpec)).toBe('passthrough');
      expect(tls?.members).toBeUndefined();
    });

    it('leaves a cluster without spec.tls as it was: no certificate, no TLS flags, redis://', () => {
      const plainSpec = clusterSpec({ ...spec, backupStore: store });
      const rendered = JSON.stringify([
        dragonflyBlueprint.render(plainSpec, ctx),
        dragonflyBlueprint.backup?.render(plainSpec, target, ctx),
        dragonflyBlueprint.connection(plainSpec),
      ]);
      expect(rendered).not.toContain(DATABASE_TLS_SECRET);
      expect(rendered).not.toContain('tlsSecretRef');
      expect(rendered).not.toContain('--tls');
      expect(rendered).not.toContain('rediss');
      expect(dragonflyBlueprint.connection(spec).tls).toBeUndefined();
    });
  });

  describe('Method: checkUpgrade', () => {
    it.each([
      ['1.35.1', '1.39.0', undefined],
      ['1.39.0', '1.35.1', /downgraded/],
      ['1.39.0', '2.0.0', /not supported/],
    ])('%s -> %s', (from, to, expected) => {
      const result = dragonflyBlueprint.checkUpgrade(from, to);
      if (expected) expect(result).toMatch(expected);
      else expect(result).toBeUndefined();
    });
  });
});
