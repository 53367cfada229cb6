import { describe, expect, it } from 'vitest';
import { secretKey } from '../../../functions/provisioner/workflow.js';
import { blueprints, engineNames, getBlueprint } from '../../../functions/shared/engines/registry.js';
import {
  ANNOTATIONS,
  LABELS,
  namespaceOf,
  RECONCILER_GROUP,
  SECRET_READER_GROUP,
} from '../../../functions/shared/engines/tenancy.js';
import type { Blueprint } from '../../../functions/shared/engines/types.js';
import { compareVersions, parseVersion } from '../../../functions/shared/engines/versions.js';
import { validateRendered } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely in assertions
type Any = any;

/** A distinct, recognisable value per generated secret, as the provisioner would generate. */
const secretsFor = (bp: Blueprint) =>
  Object.fromEntries(bp.secretNames.map((name) => [name, `${bp.engine}-${name}-0123456789abcdef-SECRET`]));

/** Kinds whose `spec.template` defines pods. */
const WORKLOAD_KINDS = ['StatefulSet', 'Deployment', 'DaemonSet', 'Job'];
/** Engines whose operator's pods need an API token by design (docs/engines.md: CloudNativePG). */
const TOKEN_NEEDED_BY_OPERATOR = ['postgresql'];
/**
 * Engines whose pods need a token for an account Stratus defines: MongoDB's agent reads its
 * automation config and annotates its own pod, through a Role scoped to those objects.
 */
const TOKEN_NEEDED_BY_AGENT = ['mongodb'];
/** Engines whose operator defines every pod and account (YBA's chart): nothing to check here. */
const NO_STRATUS_PODS = ['yugabytedb'];

const specFor = (bp: Blueprint, nodes: number) =>
  clusterSpec({
    engine: bp.engine,
    version: bp.versions.at(-1),
    nodes,
    settings: bp.settingsSchema.parse({}),
  });

describe('Module: registry', () => {
  it('offers every engine, each with its newest version as the default', () => {
    expect(engineNames()).toEqual([
      'dragonfly',
      'mongodb',
      'postgresql',
      'qdrant',
      'scylladb',
      'valkey',
      'yugabytedb',
    ]);
    for (const name of engineNames()) expect(getBlueprint(name)?.engine).toBe(name);
    expect(Object.isFrozen(blueprints)).toBe(true);
  });

  it.each(['postgres', 'redis', 'toString', '__proto__'])('has no blueprint for %s', (engine) => {
    expect(getBlueprint(engine)).toBeUndefined();
  });
});

describe.each(Object.values(blueprints).map((bp) => [bp.engine, bp] as const))(
  'Blueprint contract: %s',
  (_, bp) => {
    describe('Property: versions', () => {
      it('lists parseable versions oldest first, without duplicates', () => {
        const parsed = bp.versions.map((v) => parseVersion(v));
        expect(parsed.every(Boolean)).toBe(true);
        for (let i = 1; i < parsed.length; i++) {
          expect(compareVersions(parsed[i] as Any, parsed[i - 1] as Any)).toBeGreaterThan(0);
        }
      });
    });

    describe('Property: kinds', () => {
      it('lists every namespaced kind render returns, for one node and for several (what pruning lists)', () => {
        const listed = new Set(bp.kinds.map((k) => `${k.apiVersion}/${k.kind}`));
        for (const nodes of [1, 3]) {
          const objects = bp.render(specFor(bp, nodes), renderContext({ secrets: secretsFor(bp) }));
          for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
            expect(listed, `${o.kind} ${o.metadata.name}`).toContain(`${o.apiVersion}/${o.kind}`);
          }
        }
        expect(bp.kinds.map((k) => k.kind)).not.toContain('Namespace');
      });
    });

    describe('Property: settingsSchema', () => {
      it('accepts an empty object (every setting has a default) and refuses unknown keys', () => {
        expect(bp.settingsSchema.safeParse({}).success).toBe(true);
        expect(bp.settingsSchema.safeParse({ notASetting: true }).success).toBe(false);
      });
    });

    describe.each([1, 3])('Method: render (%i nodes)', (nodes) => {
      const spec = specFor(bp, nodes);
      const secrets = secretsFor(bp);
      const ctx = renderContext({ secrets });
      const objects = bp.render(spec, ctx);
      const namespace = namespaceOf(spec.clusterId);

      it('renders only objects valid for their Kubernetes or CRD schema', () => {
        for (const obj of objects) {
          expect(() => validateRendered(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
        }
      });

      it('renders the namespace first, then everything in it, each object once', () => {
        expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: namespace } });
        for (const obj of objects.slice(1)) expect(obj.metadata.namespace).toBe(namespace);
        const ids = objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('labels and annotates every object for the reconciler', () => {
        for (const obj of objects) {
          expect(obj.metadata.labels).toMatchObject({
            [LABELS.managedBy]: 'stratus',
            [LABELS.tenant]: spec.tenantId,
            [LABELS.cluster]: spec.clusterId,
            [LABELS.engine]: bp.engine,
          });
          expect(obj.metadata.annotations).toMatchObject({ [ANNOTATIONS.operationId]: ctx.operationId });
        }
      });

      it('keeps the generated credentials in the Secret of credentialRef, under the keys the provisioner reads back', () => {
        // Act
        const ref = bp.connection(spec).credentialRef;
        const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref?.name) as Any;
        const others = objects.filter((o) => o !== secret).map((o) => JSON.stringify(o));

        // Assess
        expect(ref?.namespace).toBe(namespace);
        expect(secret).toBeDefined();
        for (const name of bp.secretNames) expect(secret.stringData[secretKey(name)]).toBe(secrets[name]);
        expect(Object.keys(secret.stringData)).toContain(ref?.key);
        for (const value of Object.values(secrets)) {
          for (const text of others) expect(text).not.toContain(value);
          expect(JSON.stringify(bp.connection(spec))).not.toContain(value);
        }
      });

      it('lets the secret-reader group and the reconciler get that Secret, and only it', () => {
        const role = objects.find((o) => o.kind === 'Role') as Any;
        const binding = objects.find(
          (o) => o.kind === 'RoleBinding' && o.metadata.name === role.metadata.name,
        ) as Any;
        expect(role.rules).toEqual([
          {
            apiGroups: [''],
            resources: ['secrets'],
            resourceNames: [bp.connection(spec).credentialRef?.name],
            verbs: ['get'],
          },
        ]);
        expect(binding.subjects).toEqual([
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: SECRET_READER_GROUP },
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: RECONCILER_GROUP },
        ]);
        expect(binding.roleRef).toEqual({
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: role.metadata.name,
        });
      });

      it('mounts no ServiceAccount token into the pods it defines', () => {
        const podTemplates = (objects as Any[])
          .filter((o) => WORKLOAD_KINDS.includes(o.kind))
          .map((o) => o.spec.template.spec);
        const accounts = (objects as Any[]).filter((o) => o.kind === 'ServiceAccount');
        if (TOKEN_NEEDED_BY_OPERATOR.includes(bp.engine) || NO_STRATUS_PODS.includes(bp.engine)) {
          // Its operator creates the pods and their ServiceAccount: Stratus defines neither.
          expect([...podTemplates, ...accounts]).toEqual([]);
        } else if (TOKEN_NEEDED_BY_AGENT.includes(bp.engine)) {
          // One account, with a token, bound to a Role of named objects only.
          expect(podTemplates).toEqual([]);
          expect(accounts.map((a) => a.automountServiceAccountToken)).toEqual([true]);
          const role = (objects as Any[]).find(
            (o) => o.kind === 'Role' && o.metadata.name === accounts[0].metadata.name,
          );
          for (const rule of role.rules) expect(rule.resourceNames.length).toBeGreaterThan(0);
        } else {
          expect(podTemplates.length + accounts.length).toBeGreaterThan(0);
          for (const pod of podTemplates) expect(pod.automountServiceAccountToken).toBe(false);
          for (const account of accounts) expect(account.automountServiceAccountToken).toBe(false);
        }
      });

      it('reads readiness from objects in the namespace, and is not ready before they exist', () => {
        const refs = bp.readinessRefs(spec);
        expect(refs.length).toBeGreaterThan(0);
        for (const ref of refs) expect(ref.metadata.namespace).toBe(namespace);
        expect(
          bp.readiness(
            spec,
            refs.map(() => undefined),
          ),
        ).toMatchObject({ ready: false });
      });
    });

    describe('Method: checkUpgrade', () => {
      const newest = bp.versions.at(-1) as string;
      const oldest = bp.versions[0] as string;

      it('allows staying on a version and refuses downgrades and unknown targets', () => {
        for (const v of bp.versions) expect(bp.checkUpgrade(v, v)).toBeUndefined();
        if (newest !== oldest) expect(bp.checkUpgrade(newest, oldest)).toMatch(/downgraded/);
        expect(bp.checkUpgrade(oldest, '99.0.0')).toMatch(/not supported/);
      });
    });
  },
);
