/**
 * What kube-apiserver does to a built-in object on write (issue #16), so that a drift check
 * against the stand-in, or a person reading `kubectl get -o yaml`, sees what a real cluster shows:
 *
 * - quantities in their canonical form (quantity.ts), where the kind's schema has them
 *   (schema.ts: resource requests and limits, quotas, limit ranges, emptyDir sizes);
 * - defaults, as the `SetDefaults_*` functions of kubernetes `pkg/apis/core/v1/defaults.go`,
 *   `pkg/apis/apps/v1/defaults.go`, `pkg/apis/batch/v1/defaults.go`,
 *   `pkg/apis/networking/v1/defaults.go` and `pkg/apis/rbac/v1/defaults.go` set them (release
 *   1.31), plus what the registries and the default admission plugins add:
 *   | kind | defaults |
 *   | --- | --- |
 *   | Pod | pod spec and containers (below); requests from limits where unset; the ServiceAccount (`default`), `priority` 0 and `preemptionPolicy`, the `not-ready`/`unreachable` tolerations of 300 s (admission); `status.phase` Pending and `qosClass` (registry) |
 *   | pod spec (Pod and every template) | `dnsPolicy`, `restartPolicy` Always, grace period 30, `schedulerName`, `enableServiceLinks`, `securityContext: {}`; containers' `imagePullPolicy` (Always for `latest` or no tag), `terminationMessagePath`/`Policy`, port `protocol`, probe timings, `fieldRef.apiVersion`; secret and config map volumes' `defaultMode` 0644 |
 *   | Deployment | `replicas` 1, `revisionHistoryLimit` 10, `progressDeadlineSeconds` 600, RollingUpdate 25%/25% |
 *   | StatefulSet | `replicas` 1, `podManagementPolicy` OrderedReady, `revisionHistoryLimit` 10, RollingUpdate partition 0, PVC retention Retain/Retain, claim templates' `volumeMode` |
 *   | Job | `completions`/`parallelism` 1, `backoffLimit` 6, `completionMode` NonIndexed, `suspend` false, `podReplacementPolicy`, its labels from the template's when it has none; the generated selector (`batch.kubernetes.io/controller-uid`) and template labels (registry) |
 *   | Service | `type` ClusterIP, `sessionAffinity` None, port `protocol` and `targetPort`, `internalTrafficPolicy`, a cluster IP and its family (registry); NodePort and LoadBalancer: a `nodePort` per port (registry), `externalTrafficPolicy` Cluster, `allocateLoadBalancerNodePorts` |
 *   | PersistentVolumeClaim | `volumeMode` Filesystem; `status.phase` Pending until the simulated controller binds it (the claims of a ready StatefulSet are bound with it) |
 *   | Secret | `type` Opaque (and `stringData` folded into `data`: store.ts) |
 *   | ConfigMap | none: the API server fills nothing |
 *   | Namespace | the `kubernetes.io/metadata.name` label, the `kubernetes` finalizer, `status.phase` (store.ts) |
 *   | NetworkPolicy, LimitRange, RoleBinding | port protocols and `policyTypes`; container defaults from `max`; subjects' `apiGroup` |
 * - the semantic checks a client is likely to trip: a workload's selector must match its pod
 *   template's labels, a Job's pods must not restart `Always`.
 *
 * Not done: the defaults of other kinds, the DefaultStorageClass admission plugin (a PVC's
 * `storageClassName` stays as written), the ServiceAccount token volume admission adds to pods,
 * and every other validation.
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

/** core/v1 SetDefaults_Pod: a container's requests default to its limits, where unset. */
function requestsFromLimits(c: JsonObject): void {
  const resources = isObject(c.resources) ? c.resources : undefined;
  if (!resources || !isObject(resources.limits)) return;
  const requests = obj(resources, 'requests');
  for (const [k, v] of Object.entries(resources.limits)) setDefault(requests, k, v);
}

/** What the ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add to a Pod. */
function podAdmission(spec: JsonObject): void {
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName ?? 'default');
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const tolerated = tolerations.some(
      (t) => isObject(t) && (t.key === key || (t.key === undefined && t.operator === 'Exists')),
    );
    if (!tolerated)
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** The QoS class of a pod (pkg/apis/core/v1/helper/qos): Guaranteed, Burstable or BestEffort. */
export function qosClass(spec: JsonObject): string {
  const containers = [...objects(spec.containers), ...objects(spec.initContainers)];
  const resourcesOf = (c: JsonObject) => (isObject(c.resources) ? c.resources : {});
  const any = containers.some((c) => {
    const r = resourcesOf(c);
    return (
      (isObject(r.requests) && Object.keys(r.requests).length > 0) ||
      (isObject(r.limits) && Object.keys(r.limits).length > 0)
    );
  });
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const r = resourcesOf(c);
    const limits = isObject(r.limits) ? r.limits : {};
    const requests = isObject(r.requests) ? r.requests : {};
    return ['cpu', 'memory'].every(
      (k) => limits[k] !== undefined && (requests[k] === undefined || requests[k] === limits[k]),
    );
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A stable port in 30000-32767 (the default NodePort range) per Service port: no allocator state. */
function nodePort(namespace: string, name: string, port: Json | undefined): number {
  const h = createHash('sha256')
    .update(`${namespace}/${name}/${String(port)}`)
    .digest();
  return 30000 + (h.readUInt16BE(0) % 2768);
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
    case 'v1/Pod': {
      if (!spec) return;
      for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) requestsFromLimits(c);
      podSpec(spec);
      podAdmission(spec);
      // The registry's PrepareForCreate: a new pod is Pending, with its QoS class.
      if (!isObject(o.status)) o.status = { phase: 'Pending', qosClass: qosClass(spec) };
      return;
    }
    case 'batch/v1/Job': {
      if (!spec) return;
      if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
      setDefault(spec, 'parallelism', 1);
      setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6);
      setDefault(spec, 'completionMode', 'NonIndexed');
      setDefault(spec, 'suspend', false);
      setDefault(
        spec,
        'podReplacementPolicy',
        isObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed',
      );
      const template = obj(spec, 'template');
      const templateMeta = obj(template, 'metadata');
      // The registry generates the selector from the Job's uid, unless `manualSelector`.
      if (spec.manualSelector !== true && typeof meta.uid === 'string') {
        const uid = meta.uid;
        templateMeta.labels = {
          ...(isObject(templateMeta.labels) ? templateMeta.labels : {}),
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': String(meta.name ?? ''),
          'controller-uid': uid,
          'job-name': String(meta.name ?? ''),
        };
        setDefault(spec, 'selector', { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      }
      if (!isObject(meta.labels) || Object.keys(meta.labels).length === 0) {
        if (isObject(templateMeta.labels)) o.metadata = { ...meta, labels: { ...templateMeta.labels } };
      }
      podSpec(obj(template, 'spec'));
      return;
    }
    case 'v1/Service': {
      if (!spec) return;
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      const exposed = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
      for (const port of objects(spec.ports)) {
        setDefault(port, 'protocol', 'TCP');
        if (port.port !== undefined) setDefault(port, 'targetPort', port.port);
        if (exposed)
          setDefault(
            port,
            'nodePort',
            nodePort(String(meta.namespace ?? ''), String(meta.name ?? ''), port.port),
          );
      }
      if (exposed) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
      if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
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
      if (!isObject(o.status)) o.status = { phase: 'Pending' };
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
    case 'apps/v1/ReplicaSet':
      if (!spec) return;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'minReadySeconds', 0);
      podTemplate(spec);
      return;
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
    case 'apiextensions.k8s.io/v1/CustomResourceDefinition': {
      // apiextensions/v1 SetDefaults_CustomResourceDefinitionSpec
      if (!spec) return;
      const names = obj(spec, 'names');
      if (typeof names.kind === 'string') {
        setDefault(names, 'singular', names.kind.toLowerCase());
        setDefault(names, 'listKind', `${names.kind}List`);
      }
      setDefault(obj(spec, 'conversion'), 'strategy', 'None');
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

/**
 * apiextensions ValidateCustomResourceDefinition, the checks a hand-written CRD trips: its name is
 * `<plural>.<group>`, exactly one version is the storage version, every served version has a
 * schema.
 */
function crdCauses(o: JsonObject): Cause[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const meta = isObject(o.metadata) ? o.metadata : {};
  const causes: Cause[] = [];
  const expected = `${String(names.plural ?? '')}.${String(spec.group ?? '')}`;
  if (meta.name !== expected) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(meta.name ?? '')}: must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  const versions = objects(spec.versions);
  if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
      field: 'spec.versions',
    });
  }
  versions.forEach((v, i) => {
    const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (v.served === true && !isObject(schema)) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value: schemas are required',
        field: `spec.versions[${i}].schema.openAPIV3Schema`,
      });
    }
  });
  return causes;
}

/**
 * apps/v1 ValidateStatefulSetSpec / ValidateDeploymentSpec and batch/v1 ValidateJobSpec: a selector
 * that selects the template; a Job's pods restart `OnFailure` or `Never`.
 */
export function workloadCauses(kind: string, o: JsonObject): Cause[] {
  if (kind === 'apiextensions.k8s.io/v1/CustomResourceDefinition') return crdCauses(o);
  if (kind === 'batch/v1/Job') {
    const template = isObject(o.spec) && isObject(o.spec.template) ? o.spec.template : {};
    const policy = isObject(template.spec) ? template.spec.restartPolicy : undefined;
    if (policy === 'OnFailure' || policy === 'Never') return [];
    return [
      {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: "OnFailure", "Never"`,
        field: 'spec.template.spec.restartPolicy',
      },
    ];
  }
  if (kind !== 'apps/v1/StatefulSet' && kind !== 'apps/v1/Deployment' && kind !== 'apps/v1/ReplicaSet')
    return [];
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
