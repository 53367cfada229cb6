/**
 * The kinds the stand-in serves and the status its simulated controllers converge to.
 * Both tables are data: add a row to support a new kind or a new operator.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../functions/shared/engines/types.js';

export interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  /** Lowercase plural used in URLs, e.g. `statefulsets`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Discovery's short names (`sts`), as `kubectl get sts` resolves them. @default - none */
  readonly shortNames?: readonly string[];
  /** Discovery's categories (`all`: what `kubectl get all` lists). @default - none */
  readonly categories?: readonly string[];
  /**
   * Whether the API server keeps `metadata.generation` (bumped on spec changes): custom resources
   * and the workload kinds do, ConfigMaps, Secrets, Namespaces and most core kinds do not.
   */
  readonly generation: boolean;
  /** A custom resource's `additionalPrinterColumns` (its CRD's), for server-side Tables. */
  readonly printerColumns?: readonly PrinterColumn[];
}

/** One of a CRD version's `additionalPrinterColumns`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly description?: string;
  readonly format?: string;
  readonly priority?: number;
}

/** A custom kind (as a CRD would add it); `plural` defaults to the lowercase-plural convention. */
export interface ExtraKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural?: string;
  /** @default true */
  readonly namespaced?: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Its CRD's `additionalPrinterColumns` (Name and Age only when absent). */
  readonly printerColumns?: readonly PrinterColumn[];
}

/**
 * Computes the status a controller would report once the object is ready; `undefined` when the
 * simulated controller is not done yet (it is asked again on a later tick).
 */
export type StatusRule = (obj: KubeObject) => Record<string, unknown> | undefined;

const ns = (
  apiVersion: string,
  kind: string,
  plural: string,
  more: Partial<Pick<KindInfo, 'shortNames' | 'categories' | 'generation'>> = {},
): KindInfo => ({ apiVersion, kind, plural, namespaced: true, generation: false, ...more });

/** Short names, categories and generation as kube-apiserver 1.31 serves them. */
export const BUILTIN_KINDS: readonly KindInfo[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    generation: false,
  },
  ns('v1', 'Secret', 'secrets'),
  ns('v1', 'Service', 'services', { shortNames: ['svc'], categories: ['all'] }),
  ns('v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  ns('v1', 'ResourceQuota', 'resourcequotas', { shortNames: ['quota'] }),
  ns('v1', 'LimitRange', 'limitranges', { shortNames: ['limits'] }),
  ns('v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  ns('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'] }),
  ns('v1', 'Pod', 'pods', { shortNames: ['po'], categories: ['all'] }),
  ns('apps/v1', 'StatefulSet', 'statefulsets', {
    shortNames: ['sts'],
    categories: ['all'],
    generation: true,
  }),
  ns('apps/v1', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    categories: ['all'],
    generation: true,
  }),
  ns('apps/v1', 'ReplicaSet', 'replicasets', { shortNames: ['rs'], categories: ['all'], generation: true }),
  ns('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', {
    shortNames: ['netpol'],
    generation: true,
  }),
  ns('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', { shortNames: ['pdb'], generation: true }),
  ns('batch/v1', 'Job', 'jobs', { categories: ['all'], generation: true }),
  ns('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  ns('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  // Installing one serves its kinds (server.ts, `syncCrd`).
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    generation: true,
  },
];

/** Operator kinds served by default (the CRDs Stratus engines rely on). */
export const DEFAULT_EXTRA_KINDS: readonly ExtraKind[] = [
  {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    // Copied from the vendored CRD (../shared/crds/postgresql.cnpg.io_clusters.yaml);
    // test/unit/local/kube-standin-table.test.ts checks they still match.
    printerColumns: [
      { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
      {
        description: 'Number of instances',
        jsonPath: '.status.instances',
        name: 'Instances',
        type: 'integer',
      },
      {
        description: 'Number of ready instances',
        jsonPath: '.status.readyInstances',
        name: 'Ready',
        type: 'integer',
      },
      { description: 'Cluster current status', jsonPath: '.status.phase', name: 'Status', type: 'string' },
      { description: 'Primary pod', jsonPath: '.status.currentPrimary', name: 'Primary', type: 'string' },
      {
        description: 'Failure domain topology satisfaction status',
        jsonPath: ".status.conditions[?(@.type=='SyncReplicationTopologySatisfied')].reason",
        name: 'SyncTopology',
        priority: 1,
        type: 'string',
      },
    ],
  },
  {
    apiVersion: 'dragonflydb.io/v1alpha1',
    kind: 'Dragonfly',
    plural: 'dragonflies',
    // From ../shared/crds/dragonflydb.io_dragonflies.yaml (checked by the same test).
    printerColumns: [
      {
        description: 'The current phase of the Dragonfly cluster',
        jsonPath: '.status.phase',
        name: 'Phase',
        type: 'string',
      },
      {
        description: 'Indicates if a rolling update is in progress',
        jsonPath: '.status.isRollingUpdate',
        name: 'Rolling Update',
        type: 'boolean',
      },
      { description: 'Number of replicas', jsonPath: '.spec.replicas', name: 'Replicas', type: 'integer' },
    ],
  },
  {
    apiVersion: 'mongodbcommunity.mongodb.com/v1',
    kind: 'MongoDBCommunity',
    plural: 'mongodbcommunity',
    shortNames: ['mdbc'],
    // From ../shared/crds/mongodbcommunity.mongodb.com_mongodbcommunity.yaml (checked by the same test).
    printerColumns: [
      {
        description: 'Current state of the MongoDB deployment',
        jsonPath: '.status.phase',
        name: 'Phase',
        type: 'string',
      },
      {
        description: 'Version of MongoDB server',
        jsonPath: '.status.version',
        name: 'Version',
        type: 'string',
      },
    ],
  },
  {
    apiVersion: 'scylla.scylladb.com/v1',
    kind: 'ScyllaCluster',
    // From ../shared/crds/scylla.scylladb.com_scyllaclusters.yaml (checked by the same test).
    printerColumns: [
      { jsonPath: '.status.readyMembers', name: 'READY', type: 'integer' },
      { jsonPath: '.status.members', name: 'MEMBERS', type: 'integer' },
      { jsonPath: '.status.rackCount', name: 'RACKS', type: 'integer' },
      { jsonPath: ".status.conditions[?(@.type=='Available')].status", name: 'AVAILABLE', type: 'string' },
      {
        jsonPath: ".status.conditions[?(@.type=='Progressing')].status",
        name: 'PROGRESSING',
        type: 'string',
      },
      { jsonPath: ".status.conditions[?(@.type=='Degraded')].status", name: 'DEGRADED', type: 'string' },
      { jsonPath: '.metadata.creationTimestamp', name: 'AGE', type: 'date' },
    ],
  },
  {
    apiVersion: 'operator.yugabyte.io/v1alpha1',
    kind: 'YBUniverse',
    shortNames: ['ybuniverse'],
    categories: ['all', 'yugabyte'],
    // From ../shared/crds/operator.yugabyte.io_ybuniverses.yaml (checked by the same test).
    printerColumns: [
      {
        name: 'State',
        type: 'string',
        description: 'The state of the universe',
        jsonPath: '.status.universeState',
      },
      {
        name: 'Software Version',
        type: 'string',
        description: 'The Software version of the Universe',
        jsonPath: '.spec.ybSoftwareVersion',
      },
    ],
  },
];

/**
 * The kinds of a public endpoint and of TLS to the database (issue #17;
 * functions/shared/engines/endpoints.ts): Gateway API's, cert-manager's Certificate and Envoy
 * Gateway's SecurityPolicy. Those with a CRD in deploy/crds are pruned, defaulted and checked
 * against it; SecurityPolicy is stored as written. No traffic is proxied locally.
 */
export const GATEWAY_KINDS: readonly ExtraKind[] = [
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ListenerSet', shortNames: ['lset'] },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'TLSRoute' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy', shortNames: ['btlspolicy'] },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', shortNames: ['cert', 'certs'] },
  { apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'SecurityPolicy' },
];

/**
 * What the simulated cert-manager writes as `ca.crt`: a placeholder naming the issuer (each
 * ClusterIssuer has its own CA, so the gateway's and a database's differ), not a certificate.
 */
export function standinCaBundle(issuer: string): string {
  return `# The Kubernetes stand-in issues no certificate: nothing is proxied locally (README). CA of ${issuer}.\n`;
}

/** `Cluster` -> `clusters`, `Policy` -> `policies`, `Ingress` -> `ingresses`. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function toKindInfo(extra: ExtraKind): KindInfo {
  return {
    apiVersion: extra.apiVersion,
    kind: extra.kind,
    plural: extra.plural ?? pluralOf(extra.kind),
    namespaced: extra.namespaced ?? true,
    generation: true,
    ...(extra.shortNames ? { shortNames: extra.shortNames } : {}),
    ...(extra.categories ? { categories: extra.categories } : {}),
    ...(extra.printerColumns ? { printerColumns: extra.printerColumns } : {}),
  };
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const spec = (o: KubeObject) => record(o.spec);
const generation = (o: KubeObject) => (typeof o.metadata.generation === 'number' ? o.metadata.generation : 1);
const replicas = (o: KubeObject) => (typeof spec(o).replicas === 'number' ? (spec(o).replicas as number) : 1);

/** cert-manager's defaults: 90-day certificates, renewed 30 days before they expire. */
const CERTIFICATE_DAYS = 90;
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/** CloudNativePG's declarative hibernation annotation and condition type. */
const HIBERNATION = 'cnpg.io/hibernation';

/**
 * Objects a simulated controller keeps for `obj` (e.g. the PVCs a StatefulSet's pods claim, the
 * StatefulSet an operator makes): each is created when absent; one marked `sync` has its `spec`
 * rewritten when it differs (the operator updates what it made). Only pods are deleted when the
 * rule no longer yields them (a scale down, store.ts); PVCs outlive their pods, as the StatefulSet
 * controller's and CloudNativePG's do, and go with their namespace (or their owner, if they have one).
 */
export type OwnedRule = (obj: KubeObject) => ReadonlyArray<{
  readonly object: KubeObject;
  readonly sync?: boolean;
  /** A label whose change makes a new object (a pod of a new revision), not an update. */
  readonly recreateOn?: string;
}>;

const ownedMeta = (parent: KubeObject, name: string, labels: Record<string, string> = {}, owned = true) => ({
  name,
  namespace: parent.metadata.namespace as string,
  labels,
  // The StatefulSet controller's PVCs have no owner (they outlive the StatefulSet); operators' do.
  ownerReferences: owned
    ? [
        {
          apiVersion: parent.apiVersion,
          kind: parent.kind,
          name: parent.metadata.name,
          uid: String(parent.metadata.uid ?? ''),
          controller: true,
        },
      ]
    : [],
});

function claim(
  parent: KubeObject,
  name: string,
  claimSpec: Record<string, unknown>,
  labels?: Record<string, string>,
  owned = true,
) {
  return {
    object: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: ownedMeta(parent, name, labels, owned),
      spec: { accessModes: claimSpec.accessModes ?? ['ReadWriteOnce'], resources: claimSpec.resources ?? {} },
    },
  };
}

/** `<template>-<statefulset>-<ordinal>` for every ordinal the StatefulSet has asked for. */
function statefulSetClaims(o: KubeObject) {
  const templates = Array.isArray(spec(o).volumeClaimTemplates)
    ? (spec(o).volumeClaimTemplates as unknown[]).map(record)
    : [];
  return templates.flatMap((t) => {
    const meta = record(t.metadata);
    return Array.from({ length: replicas(o) }, (_, i) =>
      claim(
        o,
        `${String(meta.name)}-${o.metadata.name}-${i}`,
        record(t.spec),
        record(meta.labels) as Record<string, string>,
        false,
      ),
    );
  });
}

/**
 * The revision a StatefulSet's pods run (`controller-revision-hash`, its status' current and
 * update revision): `<name>-<hash of the pod template>`, as the controller names its
 * ControllerRevisions (a hash of another form: only equality matters).
 */
export function statefulSetRevision(o: KubeObject): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(spec(o).template ?? {}))
    .digest('hex');
  return `${o.metadata.name}-${BigInt(`0x${hash.slice(0, 12)}`)
    .toString(36)
    .slice(0, 10)}`;
}

/**
 * The pods a StatefulSet runs, `<statefulset>-<ordinal>`, from its template: the controller's
 * labels, its hostname and subdomain, a volume per claim template naming the ordinal's claim.
 * A new template is a new revision: each pod is replaced (the stand-in does it at once, not one
 * ordinal at a time); a scale down deletes the highest ordinals (store.ts).
 */
function statefulSetPods(o: KubeObject) {
  const template = record(spec(o).template);
  const templateMeta = record(template.metadata);
  const podSpec = record(template.spec);
  const claimTemplates = Array.isArray(spec(o).volumeClaimTemplates)
    ? (spec(o).volumeClaimTemplates as unknown[]).map(record)
    : [];
  const revision = statefulSetRevision(o);
  return Array.from({ length: replicas(o) }, (_, i) => {
    const name = `${o.metadata.name}-${i}`;
    return {
      recreateOn: 'controller-revision-hash',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...ownedMeta(o, name, {
            ...(record(templateMeta.labels) as Record<string, string>),
            'apps.kubernetes.io/pod-index': String(i),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
          }),
          ...(templateMeta.annotations
            ? { annotations: record(templateMeta.annotations) as Record<string, string> }
            : {}),
        },
        spec: {
          ...structuredClone(podSpec),
          hostname: name,
          ...(typeof spec(o).serviceName === 'string' ? { subdomain: spec(o).serviceName } : {}),
          volumes: [
            ...(Array.isArray(podSpec.volumes) ? structuredClone(podSpec.volumes) : []),
            ...claimTemplates.map((t) => ({
              name: String(record(t.metadata).name),
              persistentVolumeClaim: { claimName: `${String(record(t.metadata).name)}-${name}` },
            })),
          ],
        },
      },
    };
  });
}

/** The alphabet of generated name suffixes (no vowels, no look-alikes: apimachinery's rand). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
function safeSuffix(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  return Array.from({ length }, (_, i) => SAFE[(digest[i] as number) % SAFE.length]).join('');
}

/**
 * A Deployment's ReplicaSet for its current template (`<name>-<pod-template-hash>`): the template
 * and selector with the hash label, the Deployment's replicas. A new template makes a new one;
 * the old one is deleted with its pods (store.ts), where a real Deployment keeps it at 0 replicas
 * for `rollout undo`.
 */
function deploymentReplicaSet(o: KubeObject) {
  const template = record(spec(o).template);
  const templateMeta = record(template.metadata);
  const hash = safeSuffix(JSON.stringify(template), 10);
  const labels = { ...(record(templateMeta.labels) as Record<string, string>), 'pod-template-hash': hash };
  const selector = record(spec(o).selector);
  return [
    {
      sync: true,
      object: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: ownedMeta(o, `${o.metadata.name}-${hash}`, labels),
        spec: {
          replicas: replicas(o),
          selector: {
            ...selector,
            matchLabels: {
              ...(record(selector.matchLabels) as Record<string, string>),
              'pod-template-hash': hash,
            },
          },
          template: { ...template, metadata: { ...templateMeta, labels } },
        },
      },
    },
  ];
}

/** A ReplicaSet's pods, `<replicaset>-<5 characters>`, from its template; a scale down deletes the last. */
function replicaSetPods(o: KubeObject) {
  const template = record(spec(o).template);
  const templateMeta = record(template.metadata);
  return Array.from({ length: replicas(o) }, (_, i) => ({
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...ownedMeta(
          o,
          `${o.metadata.name}-${safeSuffix(`${o.metadata.uid}/${i}`, 5)}`,
          record(templateMeta.labels) as Record<string, string>,
        ),
        ...(templateMeta.annotations
          ? { annotations: record(templateMeta.annotations) as Record<string, string> }
          : {}),
      },
      spec: structuredClone(record(template.spec)),
    },
  }));
}

/** Placeholders of what cert-manager writes: the issuer's CA, a certificate and a key that are neither. */
function certificateSecretData(o: KubeObject): Record<string, string> {
  const issuer = String(record(spec(o).issuerRef).name ?? '');
  const names = Array.isArray(spec(o).dnsNames) ? (spec(o).dnsNames as string[]).join(', ') : '';
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    'ca.crt': b64(standinCaBundle(issuer)),
    'tls.crt': b64(`# Stand-in certificate of ${issuer} for ${names}: not a certificate.\n`),
    'tls.key': b64('# Stand-in private key: not a key.\n'),
  };
}

/** Keyed by `<apiVersion>/<kind>`. */
export const DEFAULT_OWNED_RULES: Readonly<Record<string, OwnedRule>> = {
  'apps/v1/StatefulSet': (o) => [...statefulSetClaims(o), ...statefulSetPods(o)],
  'apps/v1/Deployment': deploymentReplicaSet,
  'apps/v1/ReplicaSet': replicaSetPods,
  // cert-manager's Secret of a Certificate (placeholders: certificateSecretData), no owner, as cert-manager's,
  // with the labels and annotations of the Certificate's `secretTemplate`.
  'cert-manager.io/v1/Certificate': (o) => [
    {
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          ...ownedMeta(
            o,
            String(spec(o).secretName),
            record(record(spec(o).secretTemplate).labels) as Record<string, string>,
            false,
          ),
          ...(record(spec(o).secretTemplate).annotations
            ? { annotations: record(record(spec(o).secretTemplate).annotations) as Record<string, string> }
            : {}),
        },
        type: 'kubernetes.io/tls',
        data: certificateSecretData(o),
      },
    },
  ],
  // CloudNativePG names each instance's PVC after the instance: `<cluster>-<n>`.
  'postgresql.cnpg.io/v1/Cluster': (o) => {
    const instances = typeof spec(o).instances === 'number' ? (spec(o).instances as number) : 1;
    const storage = record(spec(o).storage);
    return Array.from({ length: instances }, (_, i) =>
      claim(o, `${o.metadata.name}-${i + 1}`, {
        resources: { requests: { storage: storage.size ?? '1Gi' } },
      }),
    );
  },
  // The Dragonfly operator's StatefulSet (named like the Dragonfly, replicas copied from it, the
  // snapshot PVC as its `df` claim template, `podMetadata.annotations` on its pod template), which
  // the StatefulSet rules above then run (a new template: new pods).
  'dragonflydb.io/v1alpha1/Dragonfly': (o) => {
    const snapshot = record(spec(o).snapshot);
    const pvc = record(snapshot.persistentVolumeClaimSpec);
    const labels = { app: o.metadata.name, 'app.kubernetes.io/name': 'dragonfly' };
    const podAnnotations = record(record(spec(o).podMetadata).annotations);
    return [
      {
        sync: true,
        object: {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: ownedMeta(o, o.metadata.name, labels),
          spec: {
            replicas: replicas(o),
            serviceName: o.metadata.name,
            selector: { matchLabels: labels },
            template: {
              metadata: {
                labels,
                ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}),
              },
              spec: { containers: [{ name: 'dragonfly', image: spec(o).image }] },
            },
            ...(Object.keys(pvc).length > 0
              ? { volumeClaimTemplates: [{ metadata: { name: 'df', labels }, spec: pvc }] }
              : {}),
          },
        },
      },
    ];
  },
};

/** Keyed by `<apiVersion>/<kind>`. */
export const DEFAULT_STATUS_RULES: Readonly<Record<string, StatusRule>> = {
  // The apiextensions controllers once the names are accepted: established, its kinds served.
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (o) => {
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const versions = Array.isArray(spec(o).versions) ? (spec(o).versions as unknown[]).map(record) : [];
    return {
      acceptedNames: spec(o).names ?? {},
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          reason: 'NoConflicts',
          message: 'no conflicts found',
          lastTransitionTime: at,
        },
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
          lastTransitionTime: at,
        },
      ],
      storedVersions: versions.filter((v) => v.storage === true).map((v) => v.name),
    };
  },
  'apps/v1/StatefulSet': (o) => {
    const r = replicas(o);
    const revision = statefulSetRevision(o);
    return {
      observedGeneration: generation(o),
      replicas: r,
      readyReplicas: r,
      availableReplicas: r,
      currentReplicas: r,
      updatedReplicas: r,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    };
  },
  'apps/v1/Deployment': (o) => {
    const r = replicas(o);
    return {
      observedGeneration: generation(o),
      replicas: r,
      readyReplicas: r,
      availableReplicas: r,
      updatedReplicas: r,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
    };
  },
  'apps/v1/ReplicaSet': (o) => {
    const r = replicas(o);
    return {
      replicas: r,
      fullyLabeledReplicas: r,
      readyReplicas: r,
      availableReplicas: r,
      observedGeneration: generation(o),
    };
  },
  // The kubelet once the pod runs: Running, every container ready and never restarted, an address.
  'v1/Pod': (o) => {
    // A pod already running keeps its times (a restart of the stand-in converges every object
    // again: the same status is no change, no event, no journal write).
    const previous = record(o.status);
    const at =
      previous.phase === 'Running' && typeof previous.startTime === 'string'
        ? previous.startTime
        : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ready = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at });
    const digest = createHash('sha256').update(`${o.metadata.namespace}/${o.metadata.name}`).digest();
    const containers = Array.isArray(spec(o).containers) ? (spec(o).containers as unknown[]).map(record) : [];
    return {
      phase: 'Running',
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map(ready),
      hostIP: '10.0.0.10',
      podIP: `10.244.${digest[0]}.${digest[1] === 0 ? 1 : digest[1]}`,
      startTime: at,
      qosClass: record(o.status).qosClass ?? 'BestEffort',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        containerID: `containerd://${createHash('sha256').update(`${o.metadata.uid}/${c.name}`).digest('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: at } },
      })),
    };
  },
  'v1/PersistentVolumeClaim': (o) => ({
    phase: 'Bound',
    accessModes: spec(o).accessModes,
    capacity: { storage: record(record(spec(o).resources).requests).storage },
  }),
  // What CloudNativePG reports once every instance runs and streams (status fields of its CRD);
  // hibernated (annotation `cnpg.io/hibernation: on`), no pod runs and the condition says so.
  'postgresql.cnpg.io/v1/Cluster': (o) => {
    const instances = typeof spec(o).instances === 'number' ? (spec(o).instances as number) : 1;
    const name = o.metadata.name;
    if (o.metadata.annotations?.[HIBERNATION] === 'on') {
      return {
        instances,
        readyInstances: 0,
        instanceNames: [],
        phase: 'Cluster in healthy state',
        phaseReason: '',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ClusterIsNotReady', message: 'Cluster Is Not Ready' },
          { type: HIBERNATION, status: 'True', reason: 'Hibernated', message: 'Cluster has been hibernated' },
        ],
      };
    }
    return {
      instances,
      readyInstances: instances,
      instanceNames: Array.from({ length: instances }, (_, i) => `${name}-${i + 1}`),
      currentPrimary: `${name}-1`,
      targetPrimary: `${name}-1`,
      writeService: `${name}-rw`,
      readService: `${name}-r`,
      ...(typeof spec(o).imageName === 'string' ? { image: spec(o).imageName } : {}),
      phase: 'Cluster in healthy state',
      phaseReason: '',
      // What `kubectl wait --for=condition=Ready cluster/<name>` reads.
      conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterIsReady', message: 'Cluster is Ready' }],
    };
  },
  // cert-manager once the certificate is issued into its Secret: when it was issued (`notBefore`,
  // the revision), expires (cert-manager's default 90 days) and will be renewed (30 days before).
  // Issued again only for a new spec (a new generation): other writes, and a status written
  // through `/status` (a renewal played by a test), keep what was issued.
  'cert-manager.io/v1/Certificate': (o) => {
    const previous = record(o.status);
    const ready = (Array.isArray(previous.conditions) ? previous.conditions : [])
      .map(record)
      .find((c) => c.type === 'Ready');
    const issued = typeof previous.notBefore === 'string' && ready?.observedGeneration === generation(o);
    const at = Date.now();
    const time = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'Certificate is up to date and has not expired',
          observedGeneration: generation(o),
        },
      ],
      ...(issued
        ? Object.fromEntries(
            ['notBefore', 'notAfter', 'renewalTime', 'revision'].flatMap((k) =>
              previous[k] === undefined ? [] : [[k, previous[k]]],
            ),
          )
        : {
            notBefore: time(at),
            notAfter: time(at + CERTIFICATE_DAYS * DAY_MS),
            renewalTime: time(at + (CERTIFICATE_DAYS - RENEW_BEFORE_DAYS) * DAY_MS),
            revision: typeof previous.revision === 'number' ? previous.revision + 1 : 1,
          }),
    };
  },
  // The Dragonfly operator's status once a master is elected and every replica replicates.
  'dragonflydb.io/v1alpha1/Dragonfly': () => ({ phase: 'Ready', isRollingUpdate: false }),
  // A Job whose one pod exited 0 (the backup simulation replaces this rule for backup Jobs).
  'batch/v1/Job': () => {
    const at = new Date().toISOString();
    return {
      succeeded: 1,
      startTime: at,
      completionTime: at,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: at },
        { type: 'Complete', status: 'True', lastTransitionTime: at },
      ],
    };
  },
  // The MongoDB Community operator once every agent reached the goal (its status fields).
  'mongodbcommunity.mongodb.com/v1/MongoDBCommunity': (o) => {
    const members = typeof spec(o).members === 'number' ? (spec(o).members as number) : 1;
    const name = o.metadata.name;
    const host = (i: number) => `${name}-${i}.${name}-svc.${o.metadata.namespace}.svc.cluster.local:27017`;
    return {
      phase: 'Running',
      version: spec(o).version,
      currentMongoDBMembers: members,
      currentStatefulSetReplicas: members,
      mongoUri: `mongodb://${Array.from({ length: members }, (_, i) => host(i)).join(',')}/?replicaSet=${name}`,
      message: '',
    };
  },
  // The Scylla operator with every member ready at the requested version (status and conditions).
  'scylla.scylladb.com/v1/ScyllaCluster': (o) => {
    const racks = (
      Array.isArray(record(spec(o).datacenter).racks) ? (record(spec(o).datacenter).racks as unknown[]) : []
    ).map(record);
    const members = racks.reduce((n, r) => n + (typeof r.members === 'number' ? r.members : 0), 0);
    const gen = generation(o);
    const condition = (type: string, status: string) => ({
      type,
      status,
      observedGeneration: gen,
      reason: 'AsExpected',
      message: '',
      lastTransitionTime: new Date().toISOString(),
    });
    return {
      observedGeneration: gen,
      members,
      readyMembers: members,
      availableMembers: members,
      rackCount: racks.length,
      conditions: [
        condition('Available', 'True'),
        condition('Progressing', 'False'),
        condition('Degraded', 'False'),
      ],
      racks: Object.fromEntries(
        racks.map((r) => {
          const n = typeof r.members === 'number' ? r.members : 0;
          return [
            String(r.name),
            {
              version: spec(o).version,
              members: n,
              readyMembers: n,
              availableMembers: n,
              updatedMembers: n,
              stale: false,
            },
          ];
        }),
      ),
    };
  },
  // YugabyteDB Anywhere's operator once the universe task finished.
  'operator.yugabyte.io/v1alpha1/YBUniverse': (o) => ({
    universeState: 'Ready',
    sqlEndpoints: [`yb-tservers.${o.metadata.namespace}.svc.cluster.local:5433`],
    actions: [],
  }),
};
