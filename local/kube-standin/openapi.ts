/**
 * The OpenAPI v3 documents (`/openapi/v3`): one per group-version with each kind's paths and
 * operations, tagged `x-kubernetes-group-version-kind`, the query parameters the stand-in takes,
 * and each kind's schema in `components.schemas`, tagged likewise: a built-in kind's from
 * client-node's generated models (typed.ts: fields and types, no descriptions), a custom kind's
 * its CRD's `openAPIV3Schema` as written (descriptions included). kubectl's `apply`/`create` read
 * them to learn that the server validates fields itself (the `fieldValidation` parameter of the
 * kind's PATCH): kubectl then sends `fieldValidation=Strict` instead of validating on its side, so
 * no `--validate=false` is needed; `kubectl explain` reads the schemas. `/openapi/v2` is an empty
 * Swagger 2.0 document (no paths, no definitions), in protobuf when asked: kubectl 1.27 and 1.28
 * download it before every apply, and 1.27 gives up on a 404.
 */
import { createHash } from 'node:crypto';
import type { Json, JsonObject } from './fields.js';
import type { KindInfo } from './resources.js';
import { childOf, kindSchema, type RawSchema, type SchemaNode } from './schema.js';
import { builtinModel, goStruct, modelFields, type TypeRef } from './typed.js';

const gvPath = (apiVersion: string) =>
  apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;

const query = (name: string, description: string): JsonObject => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});
const WRITE_PARAMS = [
  query('dryRun', 'All: the write is checked and answered, not persisted'),
  query('fieldManager', 'the name of the writer (managedFields)'),
  query('fieldValidation', 'Ignore, Warn or Strict'),
];
const ok = { responses: { '200': { description: 'OK' } } };

function operations(kind: KindInfo): Record<string, JsonObject> {
  const [group, version] = kind.apiVersion.includes('/') ? kind.apiVersion.split('/') : ['', kind.apiVersion];
  const gvk = { group: group ?? '', version: version ?? '', kind: kind.kind };
  const op = (action: string, params: JsonObject[], more: JsonObject = {}): JsonObject => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters: params,
    ...ok,
    ...more,
  });
  const base = `/${gvPath(kind.apiVersion)}${kind.namespaced ? '/namespaces/{namespace}' : ''}/${kind.plural}`;
  const patchTypes = [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
  ];
  return {
    [base]: {
      get: op('list', [query('labelSelector', ''), query('fieldSelector', ''), query('watch', '')]),
      post: op('post', WRITE_PARAMS),
    },
    [`${base}/{name}`]: {
      get: op('get', []),
      put: op('put', WRITE_PARAMS),
      delete: op('delete', [query('dryRun', '')]),
      patch: op('patch', [...WRITE_PARAMS, query('force', '')], {
        requestBody: {
          content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { type: 'object' } }])),
        },
      }),
    },
  };
}

/** Where the schemas of custom kinds come from, and a number that changes when they do. */
export interface CustomSchemas {
  schema(apiVersion: string, kind: string): RawSchema | undefined;
  readonly revision: number;
}

/** The schema name of a client-node model: `V1PodSpec` -> `io.k8s.api.v1.PodSpec`. */
function modelName(model: string): string {
  const prefix = model.slice(0, model.length - goStruct(model).length);
  const parts = prefix.match(/[A-Z][a-z]+|V\d+(?:alpha\d+|beta\d+)?/g) ?? [];
  return ['io.k8s.api', ...parts.map((p) => p.toLowerCase()), goStruct(model)].join('.');
}

const ref = (model: string) => `#/components/schemas/${modelName(model)}`;

/**
 * The OpenAPI schema of a field's type, adding the models it names to `out`; a list carries the
 * list type and patch merge key of schema.ts's table (`overlay`), as kube-apiserver's do.
 */
function typeSchema(
  type: TypeRef,
  out: Record<string, JsonObject>,
  overlay: SchemaNode | undefined,
): JsonObject {
  switch (type.kind) {
    case 'model':
      addModel(type.model, out, overlay);
      return { allOf: [{ $ref: ref(type.model) }] };
    case 'array': {
      const keys = overlay?.listMapKeys ?? [];
      const list: JsonObject =
        overlay?.listType === 'map' && keys.length > 0
          ? {
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': [...keys],
              'x-kubernetes-patch-merge-key': keys[0] as string,
              'x-kubernetes-patch-strategy': 'merge',
            }
          : overlay?.listType === 'set'
            ? { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }
            : {};
      return { type: 'array', items: typeSchema(type.items, out, overlay?.items), ...list };
    }
    case 'map':
      return {
        type: 'object',
        additionalProperties: typeSchema(
          type.values,
          out,
          typeof overlay?.additionalProperties === 'object' ? overlay.additionalProperties : undefined,
        ),
      };
    default:
      switch (type.type) {
        case 'number':
          return type.format === 'int32' || type.format === 'int64'
            ? { type: 'integer', format: type.format }
            : { type: 'number', format: 'double' };
        case 'boolean':
          return { type: 'boolean' };
        case 'date':
          return { type: 'string', format: 'date-time' };
        case 'intOrString':
          return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
        case 'any':
          return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
        default:
          return type.format ? { type: 'string', format: type.format } : { type: 'string' };
      }
  }
}

/** A model's schema, once per document (the first kind that names it gives the list keys). */
function addModel(model: string, out: Record<string, JsonObject>, overlay?: SchemaNode): void {
  const name = modelName(model);
  if (out[name]) return;
  const properties: JsonObject = {};
  out[name] = { type: 'object', properties };
  for (const [field, type] of modelFields(model) ?? []) {
    properties[field] = typeSchema(type, out, childOf(overlay, field));
  }
}

const gvkOf = (kind: KindInfo): JsonObject => {
  const [group, version] = kind.apiVersion.includes('/') ? kind.apiVersion.split('/') : ['', kind.apiVersion];
  return { group: group ?? '', version: version ?? '', kind: kind.kind };
};

/** The schemas of a group-version's kinds (and of what they use), each kind tagged with its GVK. */
function schemasOf(
  kinds: readonly KindInfo[],
  custom: CustomSchemas | undefined,
): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const kind of kinds) {
    const model = builtinModel(kind.apiVersion, kind.kind);
    if (model) {
      addModel(model, out, kindSchema(kind.apiVersion, kind.kind).root);
      const root = out[modelName(model)] as JsonObject;
      root['x-kubernetes-group-version-kind'] = [gvkOf(kind)];
      continue;
    }
    const raw = custom?.schema(kind.apiVersion, kind.kind);
    if (!raw) continue;
    addModel('V1ObjectMeta', out);
    const [group = '', version = ''] = kind.apiVersion.split('/');
    const name = [...group.split('.').reverse(), version, kind.kind].join('.');
    const properties = (raw.properties ?? {}) as Record<string, Json>;
    out[name] = {
      ...(structuredClone(raw) as JsonObject),
      properties: {
        ...(structuredClone(properties) as JsonObject),
        metadata: { allOf: [{ $ref: ref('V1ObjectMeta') }] },
      },
      'x-kubernetes-group-version-kind': [gvkOf(kind)],
    };
  }
  return out;
}

/** `/openapi/v3` (the index) or `/openapi/v3/<api|apis>/...` (one group-version), else undefined. */
export function openApiDocument(
  segments: readonly string[],
  kinds: readonly KindInfo[],
  custom?: CustomSchemas,
): JsonObject | undefined {
  const versions = [...new Set(kinds.map((k) => k.apiVersion))];
  const pathsOf = (apiVersion: string): JsonObject =>
    Object.assign({}, ...kinds.filter((k) => k.apiVersion === apiVersion).map(operations));
  if (segments.length === 2) {
    return {
      paths: Object.fromEntries(
        versions.map((v) => {
          // What the document holds: its paths, and the custom schemas' revision.
          const hash = createHash('sha256')
            .update(`${JSON.stringify(pathsOf(v))}\u0000${custom?.revision ?? 0}`)
            .digest('hex')
            .slice(0, 32)
            .toUpperCase();
          return [gvPath(v), { serverRelativeURL: `/openapi/v3/${gvPath(v)}?hash=${hash}` }];
        }),
      ),
    };
  }
  const wanted = segments.slice(2).join('/');
  const apiVersion = versions.find((v) => gvPath(v) === wanted);
  if (!apiVersion) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (Stratus stand-in)', version: apiVersion },
    paths: pathsOf(apiVersion),
    components: {
      schemas: schemasOf(
        kinds.filter((k) => k.apiVersion === apiVersion),
        custom,
      ),
    },
  };
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** A length-delimited protobuf field (wire type 2) of a message; lengths here stay under 128. */
const field = (num: number, bytes: Buffer): Buffer =>
  Buffer.concat([Buffer.from([(num << 3) | 2, bytes.length]), bytes]);

/**
 * `/openapi/v2`: `{swagger: "2.0", info, paths: {}}` as JSON, or as gnostic's `openapi_v2.Document`
 * protobuf (field 1 `swagger`, 2 `info` with 1 `title` and 2 `version`, 8 `paths`).
 */
export function openApiV2(protobuf: boolean): { contentType: string; body: Buffer } {
  const title = 'Kubernetes (Stratus stand-in)';
  const version = 'v1.31.0';
  if (!protobuf) {
    const json = JSON.stringify({ swagger: '2.0', info: { title, version }, paths: {}, definitions: {} });
    return { contentType: 'application/json', body: Buffer.from(json) };
  }
  const info = Buffer.concat([field(1, Buffer.from(title)), field(2, Buffer.from(version))]);
  const body = Buffer.concat([field(1, Buffer.from('2.0')), field(2, info), field(8, Buffer.alloc(0))]);
  // The type kube-openapi answers with (Go's mime parser refuses the `@` of the asked-for one).
  return { contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', body };
}
