/**
 * What kube-apiserver does to a built-in object on write, for the kinds Stratus renders (issue
 * #16), so that a drift check against the stand-in sees what it would see on a real cluster:
 *
 * - quantities in their canonical form (quantity.ts), where the kind's schema has them
 *   (schema.ts: resource requests and limits, quotas, limit ranges, emptyDir sizes);
 * - defaults, as the `SetDefaults_*` functions of kubernetes `pkg/apis/core/v1/defaults.go`,
 *   `pkg/apis/apps/v1/defaults.go`, `pkg/apis/networking/v1/defaults.go` and
 *   `pkg/apis/rbac/v1/defaults.go` set them (release 1.31), plus the fields the Service registry
 *   allocates (a cluster IP, its family);
 * - the semantic checks a client is likely to trip: a workload's selector must match its pod
 *   template's labels.
 *
 * Not done: the defaults of kinds Stratus does not render, and every other validation.
 */
import { createHash } from 'node:crypto';
import { isObject, type Json, type JsonObject } from './fields.js';
import { canonicalQuantity, QUANTITY_ERROR } from './quantity.js';
import { childOf, type SchemaNode } from './schema.js';

/** A field the API server refused (a `Status` cause). */
export interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/**
 * Rewrites the quantities of `obj` in canonical form; returns the path of the first value that is
 * not a quantity (the API server fails to decode such an object: 400), else undefined.
 */
export function canonicalizeQuantities(
  value: JsonObject,
  schema: SchemaNode | undefined,
  path = '',
): string | undefined {
  if (schema === undefined) return undefined;
  for (const [key, v] of Object.entries(value)) {
    const node = childOf(schema, key);
    if (node === undefined) continue;
    const here = path === '' ? key : `${path}.${key}`;
    if (node.quantity) {
      if (typeof v === 'string' || typeof v === 'number') {
        const canonical = canonicalQuantity(v);
        if (canonical === undefined) return here;
        value[key] = canonical;
      }
      continue;
    }
    if (isObject(v)) {
      const bad = canonicalizeQuantities(v, node, here);
      if (bad) return bad;
    } else if (Array.isArray(v) && node.items) {
      for (const [i, item] of v.entries()) {
        if (!isObject(item)) continue;
        const bad = canonicalizeQuantities(item, node.items, `${here}[${i}]`);
        if (bad) return bad;
      }
    }
  }
  return undefined;
}

export { QUANTITY_ERROR };

const obj = (parent: JsonObject, key: string): JsonObject => {
  const v = parent[key];
  if (isObject(v)) return v;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
};
const setDefault = (o: JsonObject, key: string, value: Json): void => {
  if (o[key] === undefined || o[key] === null) o[key] = value;
};
const objects = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** core/v1 SetDefaults_Probe and SetDefaults_HTTPGetAction. */
function probe(p: Json | undefined): void {
  if (!isObject(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (isObject(p.httpGet)) {
    setDefault(p.httpGet, 'path', '/');
    setDefault(p.httpGet, 'scheme', 'HTTP');
  }
}

/** core/v1 SetDefaults_Container, SetDefaults_ContainerPort, SetDefaults_ObjectFieldSelector. */
function container(c: JsonObject): void {
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  setDefault(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of objects(c.ports)) setDefault(port, 'protocol', 'TCP');
  for (const env of objects(c.env)) {
    const fieldRef = isObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isObject(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  probe(c.readinessProbe);
  probe(c.livenessProbe);
  probe(c.startupProbe);
}

/** core/v1 SetDefaults_PodSpec and the volume source defaults (mode 0644 for secrets and config maps). */
function podSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'enableServiceLinks', true);
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) container(c);
  for (const volume of objects(spec.volumes)) {
    for (const source of ['secret', 'configMap'] as const) {
      const s = volume[source];
      if (isObject(s)) setDefault(s, 'defaultMode', 420);
    }
  }
}

function podTemplate(spec: JsonObject): void {
  const template = obj(spec, 'template');
  podSpec(obj(template, 'spec'));
}

/** A stable address in 10.96.0.0/12 (the default service CIDR) per Service: no allocator state. */
function clusterIp(namespace: string, name: string): string {
  const h = createHash('sha256').update(`${namespace}/${name}`).digest();
  return `10.${96 + ((h[0] ?? 0) & 15)}.${h[1] ?? 0}.${1 + ((h[2] ?? 0) % 254)}`;
}

/** Defaults of one built-in object (`kind` is `<apiVersion>/<kind>`), in place. */
export function applyBuiltinDefaults(kind: string, o: JsonObject): void {
  const spec = isObject(o.spec) ? o.spec : undefined;
  const meta = isObject(o.metadata) ? o.metadata : {};
  switch (kind) {
    case 'v1/Secret':
      setDefault(o, 'type', 'Opaque');
      return;
    case 'v1/Service': {
      if (!spec) return;
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      for (const port of objects(spec.ports)) {
        setDefault(port, 'protocol', 'TCP');
        if (port.port !== undefined) setDefault(port, 'targetPort', port.port);
      }
      if (spec.type === 'ExternalName') return;
      setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      // The registry allocates: an address (none for a headless Service), one IPv4 family.
      setDefault(spec, 'clusterIP', clusterIp(String(meta.namespace ?? ''), String(meta.name ?? '')));
      setDefault(spec, 'clusterIPs', [spec.clusterIP ?? null]);
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
      return;
    }
    case 'v1/PersistentVolumeClaim':
      if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
      return;
    case 'v1/LimitRange':
      // core/v1 SetDefaults_LimitRangeItem: a container's default limit is its max, its default request its default limit (else min).
      for (const item of objects(spec?.limits)) {
        if (item.type !== 'Container') continue;
        const dflt = obj(item, 'default');
        const request = obj(item, 'defaultRequest');
        for (const [k, v] of Object.entries(isObject(item.max) ? item.max : {})) setDefault(dflt, k, v);
        for (const [k, v] of Object.entries(dflt)) setDefault(request, k, v);
        for (const [k, v] of Object.entries(isObject(item.min) ? item.min : {})) setDefault(request, k, v);
      }
      return;
    case 'apps/v1/StatefulSet': {
      if (!spec) return;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'podManagementPolicy', 'OrderedReady');
      setDefault(spec, 'revisionHistoryLimit', 10);
      const strategy = obj(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') setDefault(obj(strategy, 'rollingUpdate'), 'partition', 0);
      const retention = obj(spec, 'persistentVolumeClaimRetentionPolicy');
      setDefault(retention, 'whenDeleted', 'Retain');
      setDefault(retention, 'whenScaled', 'Retain');
      for (const claim of objects(spec.volumeClaimTemplates)) {
        setDefault(claim, 'apiVersion', 'v1');
        setDefault(claim, 'kind', 'PersistentVolumeClaim');
        if (isObject(claim.spec)) setDefault(claim.spec, 'volumeMode', 'Filesystem');
        setDefault(claim, 'status', { phase: 'Pending' });
      }
      podTemplate(spec);
      return;
    }
    case 'apps/v1/Deployment': {
      if (!spec) return;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const rolling = obj(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
      podTemplate(spec);
      return;
    }
    case 'networking.k8s.io/v1/NetworkPolicy': {
      if (!spec) return;
      // networking/v1 SetDefaults_NetworkPolicy: Ingress always, Egress when egress rules exist.
      if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
        spec.policyTypes =
          Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
      }
      for (const rule of [...objects(spec.ingress), ...objects(spec.egress)]) {
        for (const port of objects(rule.ports)) setDefault(port, 'protocol', 'TCP');
      }
      return;
    }
    case 'rbac.authorization.k8s.io/v1/RoleBinding':
      // rbac/v1 SetDefaults_Subject
      for (const subject of objects(o.subjects)) {
        if (subject.kind === 'User' || subject.kind === 'Group') {
          setDefault(subject, 'apiGroup', 'rbac.authorization.k8s.io');
        }
      }
      return;
    default:
      return;
  }
}

/** apps/v1 ValidateStatefulSetSpec / ValidateDeploymentSpec: a selector that selects the template. */
export function workloadCauses(kind: string, o: JsonObject): Cause[] {
  if (kind !== 'apps/v1/StatefulSet' && kind !== 'apps/v1/Deployment') return [];
  const spec = isObject(o.spec) ? o.spec : {};
  const selector = spec.selector;
  if (!isObject(selector) || (!isObject(selector.matchLabels) && !Array.isArray(selector.matchExpressions))) {
    return [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' }];
  }
  const template = isObject(spec.template) ? spec.template : {};
  const meta = isObject(template.metadata) ? template.metadata : {};
  const labels = (isObject(meta.labels) ? meta.labels : {}) as Record<string, Json>;
  const matches =
    Object.entries(isObject(selector.matchLabels) ? selector.matchLabels : {}).every(
      ([k, v]) => labels[k] === v,
    ) &&
    (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).every((e) => {
      if (!isObject(e)) return false;
      const key = String(e.key);
      const values = Array.isArray(e.values) ? e.values : [];
      const has = Object.hasOwn(labels, key);
      switch (e.operator) {
        case 'In':
          return has && values.includes(labels[key] ?? null);
        case 'NotIn':
          return !has || !values.includes(labels[key] ?? null);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    });
  if (matches) return [];
  const shown = `map[string]string{${Object.entries(labels)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ')}}`;
  return [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shown}: \`selector\` does not match template \`labels\``,
      field: 'spec.template.metadata.labels',
    },
  ];
}
