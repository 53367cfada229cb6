/**
 * Validates rendered custom resources against the `openAPIV3Schema` of their CRD, read from the
 * vendored CRD files: the operators' (../shared/crds, beside the repository; never copied or
 * edited) and Gateway API's and cert-manager's (deploy/crds, in the repository, with their sources).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../functions/shared/engines/types.js';
import { DEFAULT_CRD_DIR, DEFAULT_CRD_DIRS, VENDORED_CRD_DIR } from '../../local/kube-standin/schema.js';
import { validateSecurityPolicy } from './envoy-gateway.js';
import { KUBE_MODELS, validateKubeObject } from './kube-models.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsModule.default;

/** The same folders the Kubernetes stand-in reads: `../shared/crds` (operators), `deploy/crds` (endpoints). */
export const CRDS_DIR = DEFAULT_CRD_DIR;
export const VENDORED_CRDS_DIR = VENDORED_CRD_DIR;
const CRD_DIRS = DEFAULT_CRD_DIRS;

type Schema = Record<string, unknown>;

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    names: { kind: string; plural: string };
    versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }>;
  };
}

export interface CustomResourceSchema {
  readonly file: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  /** The structural schema as the API server prunes with it (unknown fields refused). */
  readonly schema: Schema;
  /** Error messages for `obj`; empty when valid. */
  errors(obj: unknown): string[];
}

/** ObjectMeta as the API server checks it for a custom resource (the CRD says only `type: object`). */
const OBJECT_META: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/**
 * What the API server enforces beyond plain JSON Schema: a structural schema prunes unknown
 * fields, and server-side apply refuses them (`field not declared in schema`), so every object with
 * `properties` is closed unless it preserves unknown fields; int-or-string means integer or string.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (typeof node !== 'object' || node === null) return node;
  const s: Schema = { ...(node as Schema) };
  delete s.description;
  if (s.properties && typeof s.properties === 'object') {
    s.properties = Object.fromEntries(
      Object.entries(s.properties as Schema).map(([k, v]) => [k, structural(v)]),
    );
  }
  for (const key of ['items', 'not']) if (s[key] !== undefined) s[key] = structural(s[key]);
  for (const key of ['anyOf', 'allOf', 'oneOf']) if (Array.isArray(s[key])) s[key] = structural(s[key]);
  if (typeof s.additionalProperties === 'object') s.additionalProperties = structural(s.additionalProperties);
  if (
    s.type === 'object' &&
    s.properties !== undefined &&
    s.additionalProperties === undefined &&
    s['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    s.additionalProperties = false;
  }
  if (s['x-kubernetes-int-or-string'] === true && s.anyOf === undefined && s.type === undefined) {
    s.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return s;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const byKind = new Map<string, CustomResourceSchema>();

function load(apiVersion: string, kind: string): CustomResourceSchema {
  const [group, version] = apiVersion.split('/');
  if (!group || !version) throw new Error(`${apiVersion} is not a custom resource apiVersion`);
  // CRD files are named `<group>_<plural>.yaml`; parse only the ones of the group.
  const files = CRD_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.startsWith(`${group}_`) && /\.ya?ml$/.test(f))
      .map((f) => join(dir, f)),
  );
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.names.kind !== kind) continue;
      const served = crd.spec.versions.find((v) => v.name === version && v.served);
      const raw = served?.schema?.openAPIV3Schema;
      if (!raw) throw new Error(`${file} does not serve ${apiVersion} ${kind} with a schema`);
      const schema = structural(raw) as Schema;
      schema.properties = {
        ...(schema.properties as Schema),
        apiVersion: { const: apiVersion },
        kind: { const: kind },
        metadata: OBJECT_META,
      };
      schema.required = ['apiVersion', 'kind', 'metadata'];
      const validate: ValidateFunction = ajv.compile(schema);
      return {
        file,
        group,
        version,
        kind,
        plural: crd.spec.names.plural,
        schema,
        errors(obj) {
          if (validate(obj)) return [];
          return (validate.errors ?? []).map((e) => {
            const extra = e.keyword === 'additionalProperties' ? ` (${JSON.stringify(e.params)})` : '';
            return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
          });
        },
      };
    }
  }
  throw new Error(`No CRD for ${apiVersion} ${kind} in ${CRD_DIRS.join(' or ')}`);
}

/** The served schema of a custom kind (compiled once per process). */
export function customResourceSchema(apiVersion: string, kind: string): CustomResourceSchema {
  const key = `${apiVersion}/${kind}`;
  let hit = byKind.get(key);
  if (!hit) {
    hit = load(apiVersion, kind);
    byKind.set(key, hit);
  }
  return hit;
}

/** Validates a custom resource against its CRD; throws with every error when invalid. */
export function validateCustomResource(obj: KubeObject): void {
  const errors = customResourceSchema(obj.apiVersion, obj.kind).errors(obj);
  if (errors.length > 0) {
    throw new Error(`${obj.kind} ${obj.metadata.name} is invalid:\n  ${errors.join('\n  ')}`);
  }
}

/** The kinds of the CRDs vendored in deploy/crds (tested to be all there). */
export const VENDORED_CRD_KINDS = [
  'gateway.networking.k8s.io/v1/ListenerSet',
  'gateway.networking.k8s.io/v1/TLSRoute',
  'gateway.networking.k8s.io/v1/HTTPRoute',
  'gateway.networking.k8s.io/v1/GRPCRoute',
  'gateway.networking.k8s.io/v1/BackendTLSPolicy',
  'cert-manager.io/v1/Certificate',
];

/**
 * Built-in kinds against kubernetes-models; Gateway API and cert-manager kinds against
 * kubernetes-models (formats, patterns) and against their vendored CRD (structural: unknown
 * fields refused, as the API server prunes or refuses them); Envoy Gateway's SecurityPolicy
 * against its hand-checked schema (envoy-gateway.ts); operator kinds against their CRD.
 */
export function validateRendered(obj: KubeObject): void {
  if (KUBE_MODELS[`${obj.apiVersion}/${obj.kind}`]) {
    validateKubeObject(obj);
    if (VENDORED_CRD_KINDS.includes(`${obj.apiVersion}/${obj.kind}`)) validateCustomResource(obj);
  } else if (obj.apiVersion === 'gateway.envoyproxy.io/v1alpha1' && obj.kind === 'SecurityPolicy')
    validateSecurityPolicy(obj);
  else validateCustomResource(obj);
}
