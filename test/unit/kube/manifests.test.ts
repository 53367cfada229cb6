/**
 * The Kubernetes manifests an operator applies (deploy/kubernetes, docs/eks.md) against what the
 * code does: RBAC grants exactly the (API group, resource, verb) that the provisioner and the
 * reconciler use on what the engines render, and the admission policy, evaluated with a CEL
 * interpreter, confines them to Stratus's namespaces.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { ValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import { ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { certificateRefs } from '../../../functions/shared/engines/endpoints.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import {
  namespaceOf,
  PROVISIONER_GROUP,
  PROVISIONER_NAMESPACE_ROLE,
  RECONCILER_GROUP,
  SECRET_READER_GROUP,
} from '../../../functions/shared/engines/tenancy.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { simulatedBackups } from '../../../local/kube-standin/backups.js';
import {
  BUILTIN_KINDS,
  DEFAULT_EXTRA_KINDS,
  GATEWAY_KINDS,
  toKindInfo,
} from '../../../local/kube-standin/resources.js';
import { clusterSpec, PUBLIC_ENDPOINT, renderContext, TEST_GATEWAY } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are navigated freely in assertions
type Any = any;

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '../../../deploy/kubernetes');

function load(file: string): Any[] {
  return parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    return d.toJS();
  });
}

const rbac = load('rbac.yaml');
const orphanDeletion = load('reconciler-orphan-deletion.yaml');
const admission = load('admission-policy.yaml');

const byKindName = (docs: Any[], kind: string, name: string): Any => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

// ---- what the code does -----------------------------------------------------------------------

const BACKUP_KINDS = simulatedBackups({ put: async () => undefined, count: async () => 0 }).extraKinds;
const KINDS = [
  ...BUILTIN_KINDS,
  ...[...DEFAULT_EXTRA_KINDS, ...GATEWAY_KINDS, ...BACKUP_KINDS].map(toKindInfo),
];
function resourceOf(o: Pick<KubeObject, 'apiVersion' | 'kind'>): { group: string; resource: string } {
  const info = KINDS.find((k) => k.apiVersion === o.apiVersion && k.kind === o.kind);
  if (!info) throw new Error(`unknown kind ${o.apiVersion} ${o.kind}: add it to the stand-in's kinds`);
  const slash = o.apiVersion.lastIndexOf('/');
  return { group: slash < 0 ? '' : o.apiVersion.slice(0, slash), resource: info.plural };
}

/** `group/resource[/name]:verb`, one entry per permission. */
type Grant = string;
const grant = (group: string, resource: string, verb: string, name?: string): Grant =>
  `${group}/${resource}${name ? `/${name}` : ''}:${verb}`;

const BACKUP_STORE = { bucket: 'b', prefix: 'tn/cl/' };
/**
 * Each engine at 1 and 3 nodes, at 3 with a backup store (issue #14), and public on an EKS
 * cluster with a gateway (issue #17: its Certificates are read for readiness), without and with
 * TLS to the database.
 */
const rendered: Array<{ bp: Blueprint; objects: KubeObject[] }> = Object.values(blueprints).flatMap((bp) =>
  [1, 3, 'backups' as const, 'public' as const, 'tls' as const].map((variant) => {
    const gateway = variant === 'public' || variant === 'tls' ? TEST_GATEWAY : undefined;
    const spec = clusterSpec({
      engine: bp.engine,
      version: bp.versions.at(-1),
      nodes: typeof variant === 'number' ? variant : 3,
      settings: bp.settingsSchema.parse({}),
      ...(variant === 'backups' ? { backupStore: BACKUP_STORE } : {}),
      ...(gateway ? { endpoint: PUBLIC_ENDPOINT } : {}),
      ...(variant === 'tls' && bp.tls ? { tls: true } : {}),
    });
    const secrets = Object.fromEntries(bp.secretNames.map((n) => [n, 'x']));
    const ctx = renderContext({ secrets, ...(gateway ? { gateway } : {}) });
    const refs = [...bp.readinessRefs(spec), ...certificateRefs(bp, spec, gateway)];
    return { bp, spec, objects: bp.render(spec, ctx), refs };
  }),
);
/** What a BACKUP applies besides the cluster's objects, and the object it reads its progress from. */
const backups = Object.values(blueprints).flatMap((bp) => {
  const support = bp.backup;
  if (!support) return [];
  const spec = clusterSpec({ engine: bp.engine, version: bp.versions.at(-1), backupStore: BACKUP_STORE });
  const target = {
    backupId: 'bk-1',
    storage: support.storage(BACKUP_STORE, 'bk-1'),
    clusterStore: BACKUP_STORE,
  };
  return [{ objects: support.render(spec, target, renderContext()), ref: support.statusRef(spec, target) }];
});
const credentialNames = [
  ...new Set(
    rendered.flatMap(({ objects }) => objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)),
  ),
].sort();

/**
 * The provisioner (functions/provisioner/workflow.ts over functions/shared/kube/client.ts):
 * - cluster-wide: server-side apply of the Namespace (`patch`, `create` when new), `get` of it
 *   while it is deleted, `delete`; apply of its `stratus-provisioner` RoleBinding, by name, with
 *   `bind` on the ClusterRole it references; `get` of the credential Secret before anything is
 *   applied (ensureSecrets);
 * - in the namespace, through that RoleBinding: apply (`create`, `patch`) of every kind rendered
 *   there, `list` and `delete` of each (pruning what is no longer rendered), `get` of the
 *   readiness objects and of the credential Secret; `list` and `patch` of the claims of a
 *   StatefulSet whose storage grows.
 */
function provisionerNeeds(): { cluster: Set<Grant>; namespace: Set<Grant> } {
  const cluster = new Set<Grant>();
  const namespace = new Set<Grant>();
  for (const verb of ['create', 'patch', 'get', 'delete']) cluster.add(grant('', 'namespaces', verb));
  for (const verb of ['create', 'patch']) {
    cluster.add(grant('rbac.authorization.k8s.io', 'rolebindings', verb, PROVISIONER_GROUP));
  }
  cluster.add(grant('rbac.authorization.k8s.io', 'clusterroles', 'bind', PROVISIONER_NAMESPACE_ROLE));
  for (const name of credentialNames) cluster.add(grant('', 'secrets', 'get', name));
  for (const { objects, refs } of rendered as Any[]) {
    for (const o of objects as KubeObject[]) {
      if (o.kind === 'Namespace') continue;
      const { group, resource } = resourceOf(o);
      for (const verb of ['create', 'patch', 'list', 'delete']) namespace.add(grant(group, resource, verb));
      if (o.kind === 'Secret') namespace.add(grant(group, resource, 'get'));
      // Growing a StatefulSet's storage (functions/provisioner/claims.ts): its claims are listed
      // and patched, it is read and deleted (orphaning its pods) before it is applied again.
      if (o.kind === 'StatefulSet' && Array.isArray((o as Any).spec?.volumeClaimTemplates)) {
        for (const verb of ['list', 'patch']) namespace.add(grant('', 'persistentvolumeclaims', verb));
        namespace.add(grant(group, resource, 'get'));
      }
      // RBAC's escalation check: writing a Role needs every permission it grants (any name covers
      // the names a rule lists).
      if (o.kind === 'Role') {
        for (const rule of (o as Any).rules) {
          for (const g of rule.apiGroups)
            for (const r of rule.resources) for (const verb of rule.verbs) namespace.add(grant(g, r, verb));
        }
      }
    }
    for (const ref of refs as KubeObject[]) {
      const { group, resource } = resourceOf(ref);
      namespace.add(grant(group, resource, 'get'));
    }
  }
  // A backup's objects are applied, and their progress read; never listed or pruned.
  for (const { objects, ref } of backups) {
    for (const o of objects) {
      const { group, resource } = resourceOf(o);
      for (const verb of ['create', 'patch']) namespace.add(grant(group, resource, verb));
    }
    const { group, resource } = resourceOf(ref);
    namespace.add(grant(group, resource, 'get'));
  }
  return { cluster, namespace };
}

/**
 * The reconciler's drift sweep (functions/reconciler/drift.ts): `list` of namespaces by label,
 * then one `list` per kind rendered in the namespace, except Secrets, which it reads one by one by
 * name (`get`), through the rendered `stratus-secret-reader` RoleBinding, never cluster-wide; and
 * `patch` of the object a TLS engine that must restart on a renewed certificate restarts through
 * (functions/reconciler/renewal.ts: a merge patch, which never creates).
 */
function reconcilerNeeds(): Set<Grant> {
  const needs = new Set<Grant>([grant('', 'namespaces', 'list')]);
  for (const { bp, spec, objects } of rendered as Any[]) {
    for (const o of objects as KubeObject[]) {
      if (o.kind === 'Namespace' || o.kind === 'Secret') continue;
      const { group, resource } = resourceOf(o);
      needs.add(grant(group, resource, 'list'));
    }
    const renewal = (bp as Blueprint).tls?.renewal;
    if (renewal?.kind === 'restart' && spec.tls) {
      const { group, resource } = resourceOf(renewal.target(spec));
      needs.add(grant(group, resource, 'patch'));
    }
  }
  return needs;
}

/** Every permission a ClusterRole's rules grant; wildcards are refused outright. */
function grantsOf(role: Any): Set<Grant> {
  const out = new Set<Grant>();
  for (const rule of role.rules as Any[]) {
    for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) {
      expect(rule[field] ?? [], `${role.metadata.name}: no wildcard in ${field}`).not.toContain('*');
    }
    expect(rule.nonResourceURLs, `${role.metadata.name}: no non-resource URLs`).toBeUndefined();
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) {
          const names: Array<string | undefined> = rule.resourceNames ?? [undefined];
          for (const name of names) out.add(grant(group, resource, verb, name));
        }
  }
  return out;
}

const sorted = (s: Set<string>) => [...s].sort();

describe('Manifests: deploy/kubernetes', () => {
  it('are valid Kubernetes objects of their kinds', () => {
    // Prepare
    const models: Record<string, new (data: never) => { validate(): void }> = {
      ClusterRole: ClusterRole as Any,
      ClusterRoleBinding: ClusterRoleBinding as Any,
      ValidatingAdmissionPolicy: ValidatingAdmissionPolicy as Any,
      ValidatingAdmissionPolicyBinding: ValidatingAdmissionPolicyBinding as Any,
    };

    // Act & Assess
    const all = [...rbac, ...orphanDeletion, ...admission];
    expect(all.map((d) => d.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'ClusterRoleBinding',
      'ClusterRoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    for (const doc of all) {
      const Model = models[doc.kind];
      if (!Model) throw new Error(`no model for ${doc.kind}`);
      expect(() => new Model(structuredClone(doc) as never).validate(), doc.metadata.name).not.toThrow();
    }
  });
});

describe('Manifest: rbac.yaml', () => {
  const provisioner = byKindName(rbac, 'ClusterRole', 'stratus-provisioner');
  const provisionerNamespace = byKindName(rbac, 'ClusterRole', PROVISIONER_NAMESPACE_ROLE);
  const reconciler = byKindName(rbac, 'ClusterRole', 'stratus-reconciler');
  const needs = provisionerNeeds();

  it('grants the provisioner cluster-wide exactly what cannot be granted per namespace', () => {
    expect(sorted(grantsOf(provisioner))).toEqual(sorted(needs.cluster));
  });

  it('grants the provisioner, per namespace, exactly what it does to the kinds every engine renders', () => {
    expect(sorted(grantsOf(provisionerNamespace))).toEqual(sorted(needs.namespace));
  });

  it('gives the provisioner no Secret cluster-wide but the credential Secrets, by name and read-only', () => {
    const secretGrants = sorted(grantsOf(provisioner)).filter((g) => g.startsWith('/secrets'));
    expect(secretGrants).toEqual(credentialNames.map((n) => grant('', 'secrets', 'get', n)));
    expect(credentialNames).toEqual([
      'dragonfly-credentials',
      'mongodb-credentials',
      'postgresql-credentials',
      'qdrant-credentials',
      'scylladb-credentials',
      'valkey-credentials',
      'yugabytedb-credentials',
    ]);
  });

  it('gives nothing on namespaces per namespace, and no escalate or impersonate anywhere', () => {
    const all = [...grantsOf(provisioner), ...grantsOf(provisionerNamespace), ...grantsOf(reconciler)];
    expect([...grantsOf(provisionerNamespace)].filter((g) => g.startsWith('/namespaces'))).toEqual([]);
    expect(
      all.filter((g) => /:(escalate|impersonate)$/.test(g) || g.includes('clusterrolebindings')),
    ).toEqual([]);
  });

  it('binds the cluster-wide roles to the groups the EKS access entries map, and the namespace role nowhere', () => {
    const bindings = rbac.filter((d) => d.kind === 'ClusterRoleBinding');
    expect(
      bindings.map((b: Any) => [b.roleRef.name, b.subjects.map((s: Any) => `${s.kind}/${s.name}`)]).sort(),
    ).toEqual([
      ['stratus-provisioner', [`Group/${PROVISIONER_GROUP}`]],
      ['stratus-reconciler', [`Group/${RECONCILER_GROUP}`]],
    ]);
  });

  it('lets the reconciler list exactly the kinds it compares, patch only its restart targets, and read no Secret cluster-wide', () => {
    expect(sorted(grantsOf(reconciler))).toEqual(sorted(reconcilerNeeds()));
  });

  it('lets the orphan deletion add namespace delete to the reconciler and nothing else', () => {
    const role = byKindName(orphanDeletion, 'ClusterRole', 'stratus-reconciler-orphan-deletion');
    const binding = byKindName(orphanDeletion, 'ClusterRoleBinding', 'stratus-reconciler-orphan-deletion');
    expect(sorted(grantsOf(role))).toEqual([grant('', 'namespaces', 'delete')]);
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: RECONCILER_GROUP },
    ]);
  });

  describe.each(rendered.map((r) => [r.bp.engine, r.objects.length, r] as const))(
    'Rendered RBAC: %s (%i objects)',
    (_, __, { objects }) => {
      const bindings = objects.filter((o) => o.kind === 'RoleBinding') as Any[];

      it('binds the provisioner in its namespace to the namespace role, before any other object in it', () => {
        const index = objects.findIndex(
          (o) => o.kind === 'RoleBinding' && o.metadata.name === PROVISIONER_GROUP,
        );
        expect(index).toBe(1);
        expect(objects[index]).toMatchObject({
          subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: PROVISIONER_GROUP }],
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: PROVISIONER_NAMESPACE_ROLE,
          },
        });
        // The cluster-wide rules allow exactly this RoleBinding and this role.
        expect(
          grantsOf(provisioner).has(
            grant('rbac.authorization.k8s.io', 'clusterroles', 'bind', PROVISIONER_NAMESPACE_ROLE),
          ),
        ).toBe(true);
      });

      it('lets the reconciler and the reveal get each rendered Secret by name, and nothing else', () => {
        const secrets = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
        const role = objects.find((o) => o.kind === 'Role') as Any;
        const reader = bindings.find((b) => b.roleRef.kind === 'Role');
        expect(role.rules).toEqual([
          { apiGroups: [''], resources: ['secrets'], resourceNames: secrets, verbs: ['get'] },
        ]);
        expect(reader.roleRef.name).toBe(role.metadata.name);
        expect(reader.subjects.map((s: Any) => s.name).sort()).toEqual(
          [RECONCILER_GROUP, SECRET_READER_GROUP].sort(),
        );
      });
    },
  );
});

// ---- admission ------------------------------------------------------------------------------------

const policy = byKindName(admission, 'ValidatingAdmissionPolicy', 'stratus-namespaces-only');

const env = celEnv();
const compiled = new Map<string, (bindings: Any) => unknown>();
/** Evaluates a CEL expression; an evaluation error is returned as an Error, as the API server sees it. */
function cel(expression: string, bindings: Record<string, unknown>): unknown {
  let program = compiled.get(expression);
  if (!program) {
    program = plan(env, parse(expression)) as (bindings: Any) => unknown;
    compiled.set(expression, program);
  }
  const result = program(bindings);
  return isCelError(result) ? new Error(result.message) : result;
}

/** CEL maps are JS Maps; the API server's objects are JSON. */
function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') {
    return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toCel(x)]));
  }
  return v;
}

interface Sample {
  readonly groups?: readonly string[];
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly group?: string;
  readonly resource: string;
  /** The request's namespace: '' for cluster-scoped kinds; a Namespace's own name for a Namespace. */
  readonly namespace: string;
  readonly name: string;
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly namespaceObject?: unknown;
}

const STRATUS_LABELS = { 'app.kubernetes.io/managed-by': 'stratus', 'stratus.dev/cluster': 'cl-1' };
const ns = (name: string, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(labels ? { labels } : {}) },
});

/**
 * What the API server does with the policy (KEP-3488): no decision unless every matchCondition
 * holds; then the variables, in order; then each validation must be true. An expression that
 * fails to evaluate counts as a refusal (failurePolicy: Fail).
 */
function admit(sample: Sample): 'not-matched' | 'allowed' | { denied: string } {
  expect(policy.spec.failurePolicy).toBe('Fail');
  const request = toCel({
    operation: sample.operation,
    resource: { group: sample.group ?? '', version: 'v1', resource: sample.resource },
    namespace: sample.namespace,
    name: sample.name,
    userInfo: {
      username: 'arn:aws:sts::111122223333:assumed-role/x/y',
      groups: sample.groups ?? [PROVISIONER_GROUP, 'system:authenticated'],
    },
  });
  const vars: Record<string, unknown> = {
    request,
    object: toCel(sample.object ?? null),
    oldObject: toCel(sample.oldObject ?? null),
    namespaceObject: toCel(sample.namespaceObject ?? null),
    params: null,
  };
  for (const c of policy.spec.matchConditions as Any[]) {
    const matched = cel(c.expression, vars);
    if (matched instanceof Error) return { denied: `evaluation error: ${matched.message}` };
    if (matched !== true) return 'not-matched';
  }
  const variables = new Map<string, unknown>();
  try {
    for (const v of (policy.spec.variables ?? []) as Any[]) {
      variables.set(v.name, cel(v.expression, { ...vars, variables }));
    }
    for (const v of policy.spec.validations as Any[]) {
      const ok = cel(v.expression, { ...vars, variables });
      if (ok instanceof Error) return { denied: `evaluation error: ${ok.message}` };
      if (ok !== true) return { denied: v.message };
    }
  } catch (e) {
    return { denied: `evaluation error: ${(e as Error).message}` };
  }
  return 'allowed';
}

const stratusNs = ns('stratus-abc', STRATUS_LABELS);
const statefulSet = (namespace: string) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'qdrant', namespace },
});

describe('Manifest: admission-policy.yaml', () => {
  it('binds the policy to deny, everywhere', () => {
    const binding = byKindName(admission, 'ValidatingAdmissionPolicyBinding', 'stratus-namespaces-only');
    expect(binding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*', '*/*'] },
    ]);
  });

  it.each<[string, Sample]>([
    [
      'creating an object in stratus-abc',
      {
        operation: 'CREATE',
        group: 'apps',
        resource: 'statefulsets',
        namespace: 'stratus-abc',
        name: 'qdrant',
        object: statefulSet('stratus-abc'),
        namespaceObject: stratusNs,
      },
    ],
    [
      'deleting an object in stratus-abc (pruning)',
      {
        operation: 'DELETE',
        resource: 'services',
        namespace: 'stratus-abc',
        name: 'old',
        oldObject: { metadata: { name: 'old' } },
        namespaceObject: stratusNs,
      },
    ],
    [
      'creating its RoleBinding in stratus-abc',
      {
        operation: 'CREATE',
        group: 'rbac.authorization.k8s.io',
        resource: 'rolebindings',
        namespace: 'stratus-abc',
        name: 'stratus-provisioner',
        object: { metadata: { name: 'stratus-provisioner' } },
        namespaceObject: stratusNs,
      },
    ],
    [
      'creating namespace stratus-abc labelled as Stratus’s',
      {
        operation: 'CREATE',
        resource: 'namespaces',
        namespace: 'stratus-abc',
        name: 'stratus-abc',
        object: stratusNs,
      },
    ],
    [
      'creating it as a POST does (empty request namespace)',
      { operation: 'CREATE', resource: 'namespaces', namespace: '', name: 'stratus-abc', object: stratusNs },
    ],
    [
      'updating namespace stratus-abc, keeping the label',
      {
        operation: 'UPDATE',
        resource: 'namespaces',
        namespace: 'stratus-abc',
        name: 'stratus-abc',
        object: stratusNs,
        oldObject: stratusNs,
      },
    ],
    [
      'deleting namespace stratus-abc',
      {
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'stratus-abc',
        name: 'stratus-abc',
        oldObject: stratusNs,
      },
    ],
    [
      'the reconciler deleting an orphan stratus-abc',
      {
        groups: [RECONCILER_GROUP],
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'stratus-abc',
        name: 'stratus-abc',
        oldObject: stratusNs,
      },
    ],
  ])('allows the provisioner %s', (_, sample) => {
    expect(admit(sample)).toBe('allowed');
  });

  it.each<[string, Sample, RegExp]>([
    [
      'creating an object in kube-system',
      {
        operation: 'CREATE',
        group: 'apps',
        resource: 'statefulsets',
        namespace: 'kube-system',
        name: 'x',
        object: statefulSet('kube-system'),
        namespaceObject: ns('kube-system'),
      },
      /stratus-\*/,
    ],
    [
      'patching a Secret in default',
      {
        operation: 'UPDATE',
        resource: 'secrets',
        namespace: 'default',
        name: 'x',
        object: {},
        oldObject: {},
        namespaceObject: ns('default'),
      },
      /stratus-\*/,
    ],
    [
      'binding itself in kube-system',
      {
        operation: 'CREATE',
        group: 'rbac.authorization.k8s.io',
        resource: 'rolebindings',
        namespace: 'kube-system',
        name: 'stratus-provisioner',
        object: {},
        namespaceObject: ns('kube-system'),
      },
      /stratus-\*/,
    ],
    [
      'deleting namespace kube-system',
      {
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'kube-system',
        name: 'kube-system',
        oldObject: ns('kube-system'),
      },
      /stratus-\*/,
    ],
    [
      'deleting namespace kube-system, with an empty request namespace',
      {
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: '',
        name: 'kube-system',
        oldObject: ns('kube-system'),
      },
      /stratus-\*/,
    ],
    [
      'deleting a stratus-* namespace that Stratus did not make',
      {
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'stratus-team',
        name: 'stratus-team',
        oldObject: ns('stratus-team', { team: 'data' }),
      },
      /managed-by=stratus/,
    ],
    [
      'labelling someone else’s stratus-* namespace as Stratus’s',
      {
        operation: 'UPDATE',
        resource: 'namespaces',
        namespace: 'stratus-team',
        name: 'stratus-team',
        object: ns('stratus-team', STRATUS_LABELS),
        oldObject: ns('stratus-team'),
      },
      /managed-by=stratus/,
    ],
    [
      'removing the label from a Stratus namespace',
      {
        operation: 'UPDATE',
        resource: 'namespaces',
        namespace: 'stratus-abc',
        name: 'stratus-abc',
        object: ns('stratus-abc'),
        oldObject: stratusNs,
      },
      /managed-by=stratus/,
    ],
    [
      'writing in a stratus-* namespace Stratus did not make',
      {
        operation: 'CREATE',
        resource: 'services',
        namespace: 'stratus-team',
        name: 'x',
        object: {},
        namespaceObject: ns('stratus-team'),
      },
      /managed-by=stratus/,
    ],
    [
      'creating a ClusterRoleBinding',
      {
        operation: 'CREATE',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterrolebindings',
        namespace: '',
        name: 'stratus-admin',
        object: {},
      },
      /cluster-scoped/,
    ],
    [
      'deleting a CRD',
      {
        operation: 'DELETE',
        group: 'apiextensions.k8s.io',
        resource: 'customresourcedefinitions',
        namespace: '',
        name: 'clusters.postgresql.cnpg.io',
        oldObject: {},
      },
      /cluster-scoped/,
    ],
    [
      'exec into a pod in kube-system',
      {
        operation: 'CONNECT',
        resource: 'pods',
        namespace: 'kube-system',
        name: 'coredns',
        object: {},
        namespaceObject: ns('kube-system'),
      },
      /stratus-\*/,
    ],
  ])('refuses the provisioner %s', (_, sample, message) => {
    const decision = admit(sample);
    expect(decision).not.toBe('allowed');
    expect((decision as { denied: string }).denied).toMatch(message);
  });

  it("confines the reconciler's restart on a renewed certificate (a patch of a StatefulSet) to Stratus's namespaces", () => {
    const patch = (namespace: string, namespaceObject: unknown): Sample => ({
      groups: [RECONCILER_GROUP],
      operation: 'UPDATE',
      group: 'apps',
      resource: 'statefulsets',
      namespace,
      name: 'valkey',
      object: statefulSet(namespace),
      oldObject: statefulSet(namespace),
      namespaceObject,
    });
    expect(admit(patch('stratus-abc', ns('stratus-abc', STRATUS_LABELS)))).toBe('allowed');
    expect(admit(patch('kube-system', ns('kube-system')))).toEqual({
      denied: expect.stringMatching(/stratus-\*/),
    });
    expect(admit(patch('stratus-abc', ns('stratus-abc')))).toEqual({
      denied: expect.stringMatching(/managed-by=stratus/),
    });
  });

  it('refuses the reconciler too, and its takeover role, which share its group', () => {
    expect(
      admit({
        groups: [RECONCILER_GROUP],
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'default',
        name: 'default',
        oldObject: ns('default'),
      }),
    ).toEqual({ denied: expect.stringMatching(/stratus-\*/) });
  });

  it.each([
    ['a platform engineer', ['platform-admins', 'system:authenticated']],
    ['the API’s connection reveal', [SECRET_READER_GROUP, 'system:authenticated']],
    ['the namespace controller', ['system:serviceaccounts', 'system:serviceaccounts:kube-system']],
  ])('does not apply to %s (matchConditions)', (_, groups) => {
    expect(
      admit({
        groups,
        operation: 'DELETE',
        resource: 'namespaces',
        namespace: 'kube-system',
        name: 'kube-system',
        oldObject: ns('kube-system'),
      }),
    ).toBe('not-matched');
  });

  it('fails closed: a write whose expressions cannot be evaluated is refused', () => {
    // A Namespace CREATE without an object cannot happen; the policy must not allow it anyway.
    expect(
      admit({ operation: 'CREATE', resource: 'namespaces', namespace: 'stratus-abc', name: 'stratus-abc' }),
    ).not.toBe('allowed');
  });

  it('names the namespace of each rendered object that the policy allows', () => {
    for (const { objects } of rendered) {
      const namespace = objects[0] as KubeObject;
      expect(namespace.metadata.name).toBe(
        namespaceOf(namespace.metadata.labels?.['stratus.dev/cluster'] ?? ''),
      );
      expect(
        admit({
          operation: 'CREATE',
          resource: 'namespaces',
          namespace: namespace.metadata.name,
          name: namespace.metadata.name,
          object: namespace,
        }),
      ).toBe('allowed');
      for (const o of objects.slice(1)) {
        const { group, resource } = resourceOf(o);
        expect(
          admit({
            operation: 'CREATE',
            group,
            resource,
            namespace: o.metadata.namespace ?? '',
            name: o.metadata.name,
            object: o,
            namespaceObject: namespace,
          }),
          `${o.kind} ${o.metadata.name}`,
        ).toBe('allowed');
      }
    }
  });
});
