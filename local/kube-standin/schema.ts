/**
 * The schemas the stand-in's write path needs (issue #16): how server-side apply merges each list
 * (atomic, a set, or a map keyed by some of its items' fields), where built-in kinds hold
 * quantities, and, for custom resources, the structural schema of their CRD (types, defaults,
 * unknown fields pruned).
 *
 * Built-in kinds: a small table, not a full schema. Its list keys are the `+listType=map` /
 * `+listMapKey` tags and, for lists that only carry a patch merge key (containers, volumes, env...),
 * that key, as kube-apiserver derives them from its OpenAPI (`x-kubernetes-list-map-keys`, else
 * `x-kubernetes-patch-merge-key` with `x-kubernetes-patch-strategy: merge`; kube-openapi
 * `pkg/schemaconv`). Source: k8s.io/api `core/v1/types.go` (Container.Ports: containerPort +
 * protocol; ServiceSpec.Ports: port + protocol; Env, Containers, Volumes, ImagePullSecrets,
 * ResourceClaims, ServiceAccount.Secrets: name; VolumeMounts: mountPath; VolumeDevices: devicePath; HostAliases: ip;
 * TopologySpreadConstraints: topologyKey + whenUnsatisfiable) and `meta/v1/types.go` (finalizers a
 * set, ownerReferences keyed by uid); the vendored CRDs, which embed the same types, carry the same
 * keys (e.g. `ports` `[containerPort, protocol]`). The table is open: lists it does not name are
 * atomic. Which fields a built-in kind has, and their types, typed.ts reads from client-node's
 * generated models.
 *
 * Custom resources: the `openAPIV3Schema` of the served version of the CRD installed through the
 * API (apiextensions.k8s.io/v1, server.ts), else in the vendored CRD
 * (`../shared/crds/<group>_<plural>.yaml`, beside the repository), read on the first write of the
 * kind. A kind without either is open, as a built-in one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Json } from './fields.js';

export interface SchemaNode {
  /** `object`, `array`, `string`, `integer`, `number`, `boolean` (custom resources only). */
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  /** A map's values (`additionalProperties: {...}`); `true` lets any value in. */
  readonly additionalProperties?: SchemaNode | true;
  readonly items?: SchemaNode;
  /** Unknown fields are kept (built-in kinds; `x-kubernetes-preserve-unknown-fields`). */
  readonly open?: boolean;
  readonly intOrString?: boolean;
  readonly nullable?: boolean;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  readonly default?: Json;
  readonly enum?: readonly Json[];
  /** Fields an object must have (custom resources only). */
  readonly required?: readonly string[];
  /** Built-in kinds: the value (or each value of the map) is a resource quantity. */
  readonly quantity?: boolean;
  /** `x-kubernetes-embedded-resource`: apiVersion, kind and metadata are allowed. */
  readonly embedded?: boolean;
  /** Custom resources: a string's `pattern` (ECMA-262, as the CRD says), its length bounds. */
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Custom resources: an array's size bounds, a number's. */
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface KindSchema {
  readonly root: SchemaNode;
  /** Whether unknown fields are pruned and types checked (custom resources with a CRD). */
  readonly structural: boolean;
}

/** The schema a field of `node` has: its property, else the map's values; undefined when unknown. */
export function childOf(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (node === undefined) return undefined;
  const property = node.properties?.[key];
  if (property) return property;
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

// --- built-in kinds ------------------------------------------------------------------------------

const open = (properties: Record<string, SchemaNode> = {}): SchemaNode => ({ open: true, properties });
const mapList = (keys: readonly string[], items: SchemaNode = open()): SchemaNode => ({
  listType: 'map',
  listMapKeys: keys,
  items,
});
const resourceList: SchemaNode = { open: true, additionalProperties: { quantity: true } };
const resources = open({ limits: resourceList, requests: resourceList, claims: mapList(['name']) });
/** `protocol` is a key with a default: an item without it is the TCP item. */
const protocolKey = open({ protocol: { default: 'TCP' } });

const CONTAINER = open({
  ports: mapList(['containerPort', 'protocol'], protocolKey),
  env: mapList(['name']),
  volumeMounts: mapList(['mountPath']),
  volumeDevices: mapList(['devicePath']),
  resources,
});
const VOLUME = open({ emptyDir: open({ sizeLimit: { quantity: true } }) });
const POD_SPEC = open({
  containers: mapList(['name'], CONTAINER),
  initContainers: mapList(['name'], CONTAINER),
  ephemeralContainers: mapList(['name'], CONTAINER),
  volumes: mapList(['name'], VOLUME),
  imagePullSecrets: mapList(['name']),
  hostAliases: mapList(['ip']),
  topologySpreadConstraints: mapList(['topologyKey', 'whenUnsatisfiable']),
  resourceClaims: mapList(['name']),
  schedulingGates: mapList(['name']),
  overhead: resourceList,
});
const METADATA = open({ finalizers: { listType: 'set' }, ownerReferences: mapList(['uid']) });
const POD_TEMPLATE = open({ metadata: METADATA, spec: POD_SPEC });
const PVC_SPEC = open({ resources });
const kindRoot = (spec: SchemaNode = open()): SchemaNode => open({ metadata: METADATA, spec });

const BUILTIN_SCHEMAS: Readonly<Record<string, SchemaNode>> = {
  'v1/Pod': kindRoot(POD_SPEC),
  'v1/Service': kindRoot(open({ ports: mapList(['port', 'protocol'], protocolKey) })),
  'v1/PersistentVolumeClaim': kindRoot(PVC_SPEC),
  // ServiceAccount.Secrets: +listType=map +listMapKey=name (+patchMergeKey=name); a root field.
  'v1/ServiceAccount': open({ metadata: METADATA, secrets: mapList(['name']) }),
  'v1/ResourceQuota': kindRoot(open({ hard: resourceList })),
  'v1/LimitRange': kindRoot(
    open({
      limits: {
        items: open({
          max: resourceList,
          min: resourceList,
          default: resourceList,
          defaultRequest: resourceList,
          maxLimitRequestRatio: resourceList,
        }),
      },
    }),
  ),
  'apps/v1/StatefulSet': kindRoot(
    open({
      template: POD_TEMPLATE,
      volumeClaimTemplates: { items: open({ metadata: METADATA, spec: PVC_SPEC }) },
    }),
  ),
  'apps/v1/Deployment': kindRoot(open({ template: POD_TEMPLATE })),
  'apps/v1/ReplicaSet': kindRoot(open({ template: POD_TEMPLATE })),
  'batch/v1/Job': kindRoot(open({ template: POD_TEMPLATE })),
};
const OPEN_KIND: KindSchema = { root: kindRoot(), structural: false };

// --- custom resources (vendored CRDs) ------------------------------------------------------------

/** `shared/` beside the repository (`../shared`, as docs/ say): the operators' CRDs. */
export const DEFAULT_CRD_DIR = fileURLToPath(new URL('../../../shared/crds/', import.meta.url));
/** The public endpoints' CRDs, vendored in the repository (Gateway API, cert-manager: deploy/crds/README.md). */
export const VENDORED_CRD_DIR = fileURLToPath(new URL('../../deploy/crds/', import.meta.url));
/** Where custom kinds' CRDs are looked for, in this order. */
export const DEFAULT_CRD_DIRS: readonly string[] = [DEFAULT_CRD_DIR, VENDORED_CRD_DIR];

/** The CRD files (`<group>_<plural>.yaml`) of `group` in `dirs`, as paths. */
function crdFiles(dirs: readonly string[], group: string): string[] {
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.startsWith(`${group}_`) && /\.ya?ml$/.test(f))
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
}

export type RawSchema = Record<string, unknown>;

/** A CRD's `openAPIV3Schema` node as a SchemaNode (descriptions and validations we do not run dropped). */
function fromOpenApi(raw: RawSchema): SchemaNode {
  const node: {
    -readonly [K in keyof SchemaNode]: SchemaNode[K];
  } = {};
  if (typeof raw.type === 'string') node.type = raw.type;
  if (raw.properties && typeof raw.properties === 'object') {
    node.properties = Object.fromEntries(
      Object.entries(raw.properties as Record<string, RawSchema>).map(([k, v]) => [k, fromOpenApi(v)]),
    );
  }
  if (raw.additionalProperties === true) node.additionalProperties = true;
  else if (raw.additionalProperties && typeof raw.additionalProperties === 'object') {
    node.additionalProperties = fromOpenApi(raw.additionalProperties as RawSchema);
  }
  if (raw.items && typeof raw.items === 'object') node.items = fromOpenApi(raw.items as RawSchema);
  if (raw['x-kubernetes-preserve-unknown-fields'] === true) node.open = true;
  if (raw['x-kubernetes-int-or-string'] === true) node.intOrString = true;
  if (raw['x-kubernetes-embedded-resource'] === true) node.embedded = true;
  if (raw.nullable === true) node.nullable = true;
  const listType = raw['x-kubernetes-list-type'];
  if (listType === 'atomic' || listType === 'set' || listType === 'map') node.listType = listType;
  if (Array.isArray(raw['x-kubernetes-list-map-keys'])) {
    node.listMapKeys = raw['x-kubernetes-list-map-keys'] as string[];
  }
  if (raw.default !== undefined) node.default = raw.default as Json;
  if (Array.isArray(raw.enum)) node.enum = raw.enum as Json[];
  if (Array.isArray(raw.required)) node.required = raw.required as string[];
  if (typeof raw.pattern === 'string') node.pattern = raw.pattern;
  for (const bound of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minimum', 'maximum'] as const) {
    if (typeof raw[bound] === 'number') node[bound] = raw[bound] as number;
  }
  return node;
}

/** A CRD version's `openAPIV3Schema` as the structural schema a write is checked against. */
export function crdSchemaNode(raw: RawSchema): SchemaNode {
  const root = fromOpenApi(raw);
  // apiVersion, kind and metadata are the API server's: metadata is checked as ObjectMeta.
  return {
    ...root,
    properties: {
      ...root.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: METADATA,
    },
  };
}

/**
 * The `openAPIV3Schema` of a custom kind as its CRD has it (descriptions included): an installed
 * CRD's (`installed`, keyed by `<apiVersion>/<kind>`), else the vendored one's; undefined without.
 */
export function crdOpenApiSchema(
  apiVersion: string,
  kind: string,
  crdDirs: readonly string[] = DEFAULT_CRD_DIRS,
  installed?: ReadonlyMap<string, RawSchema>,
): RawSchema | undefined {
  const id = `${apiVersion}/${kind}`;
  const own = installed?.get(id);
  if (own) return own;
  const files = crdFiles(crdDirs, apiVersion.split('/')[0] ?? '');
  if (files.length === 0) return undefined;
  const cachedRaw = () => {
    for (const file of files) {
      const hit = readCached(file, `raw:${id}`);
      if (hit !== undefined && !('absent' in hit)) return hit as unknown as RawSchema;
    }
    return undefined;
  };
  const hit = cachedRaw();
  if (hit) return hit;
  // Parses the file (and caches both forms), once per CRD and machine.
  if (!loadCrdSchema(crdDirs, apiVersion, kind)) return undefined;
  return cachedRaw();
}

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: RawSchema } }>;
  };
}

function loadCrdSchema(dirs: readonly string[], apiVersion: string, kind: string): SchemaNode | undefined {
  const [group, version] = apiVersion.split('/');
  if (!group || !version) return undefined;
  for (const file of crdFiles(dirs, group)) {
    const cached = readCached(file, `${apiVersion}/${kind}`);
    if (cached !== undefined) {
      if ('absent' in cached) continue;
      return cached;
    }
    let found = false;
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.names.kind !== kind) continue;
      found = true;
      const raw = crd.spec.versions.find((v) => v.name === version && v.served)?.schema?.openAPIV3Schema;
      if (!raw) return undefined;
      const schema = crdSchemaNode(raw);
      writeCached(file, `${apiVersion}/${kind}`, schema);
      // The schema as written (descriptions included), for the OpenAPI document (openapi.ts).
      writeCached(file, `raw:${apiVersion}/${kind}`, raw as never);
      return schema;
    }
    // The group's file holds other kinds only (e.g. CloudNativePG's Backup beside its Cluster).
    if (!found) writeCached(file, `${apiVersion}/${kind}`, ABSENT);
  }
  return undefined;
}

/**
 * Parsing a CRD's YAML takes about a second (CloudNativePG's is 470 KB); each process that writes
 * custom resources would pay it. The converted schema is cached as JSON in the temporary directory,
 * keyed by the converter's version (`v3`: bump it when `fromOpenApi` changes), the file's path, size and
 * modification time.
 */
const CACHE_DIR = join(tmpdir(), 'stratus-crd-schemas');

function cacheFile(file: string, id: string): string | undefined {
  try {
    const stat = statSync(file);
    const key = createHash('sha256')
      .update(`v3\u0000${file}\u0000${stat.size}\u0000${stat.mtimeMs}\u0000${id}`)
      .digest('hex');
    return join(CACHE_DIR, `${key.slice(0, 32)}.json`);
  } catch {
    return undefined;
  }
}

/** Cached for a file that does not define the kind. */
const ABSENT = { absent: true } as const;

/** The cached schema (or ABSENT), or undefined. */
function readCached(file: string, id: string): SchemaNode | typeof ABSENT | undefined {
  const at = cacheFile(file, id);
  if (at === undefined) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(at, 'utf8')) as SchemaNode | typeof ABSENT;
    return 'absent' in parsed ? ABSENT : parsed;
  } catch {
    return undefined;
  }
}

function writeCached(file: string, id: string, schema: SchemaNode | typeof ABSENT): void {
  const at = cacheFile(file, id);
  if (at === undefined) return;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${at}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(schema));
    renameSync(partial, at);
  } catch {
    // A cache only: the next process parses the YAML again.
  }
}

const cache = new Map<string, KindSchema>();

/**
 * The schema of a kind: the built-in table, else the CRD installed through the API
 * (`installed`: its served versions' schemas), else its vendored CRD (parsed once per process and
 * directory), else open.
 */
export function kindSchema(
  apiVersion: string,
  kind: string,
  crdDirs: readonly string[] = DEFAULT_CRD_DIRS,
  installed?: ReadonlyMap<string, RawSchema>,
): KindSchema {
  const builtin = BUILTIN_SCHEMAS[`${apiVersion}/${kind}`];
  if (builtin) return { root: builtin, structural: false };
  const own = installed?.get(`${apiVersion}/${kind}`);
  if (own) {
    let converted = installedCache.get(own);
    if (!converted) {
      converted = { root: crdSchemaNode(own), structural: true };
      installedCache.set(own, converted);
    }
    return converted;
  }
  // Kubernetes' own groups have no CRD, but for the Gateway API's (a CRD-installed k8s.io group).
  if (
    !apiVersion.includes('/') ||
    (/\.k8s\.io\/|^(apps|batch|policy|autoscaling)\//.test(apiVersion) &&
      !apiVersion.startsWith('gateway.networking.k8s.io/'))
  ) {
    return OPEN_KIND;
  }
  const key = `${crdDirs.join('\u0001')}\u0000${apiVersion}/${kind}`;
  let hit = cache.get(key);
  if (!hit) {
    const root = loadCrdSchema(crdDirs, apiVersion, kind);
    hit = root ? { root, structural: true } : OPEN_KIND;
    cache.set(key, hit);
  }
  return hit;
}

/** The converted schema of each installed CRD version (keyed by its raw schema object). */
const installedCache = new WeakMap<RawSchema, KindSchema>();
