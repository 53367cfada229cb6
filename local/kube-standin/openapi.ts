/**
 * A minimal OpenAPI v3 (`/openapi/v3`): one document per group-version with each kind's paths
 * and operations, tagged `x-kubernetes-group-version-kind`, and the query parameters the stand-in
 * takes. No schemas. It is what kubectl's `apply`/`create` read to learn that the server
 * validates fields itself (the `fieldValidation` parameter of the kind's PATCH): kubectl then
 * sends `fieldValidation=Strict` instead of downloading a schema, so no `--validate=false` is
 * needed. `kubectl explain` needs the schemas, which are not served. `/openapi/v2` is an empty
 * Swagger 2.0 document (no paths, no definitions), in protobuf when asked: kubectl 1.27 and 1.28
 * download it before every apply, and 1.27 gives up on a 404.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from './fields.js';
import type { KindInfo } from './resources.js';

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

/** `/openapi/v3` (the index) or `/openapi/v3/<api|apis>/...` (one group-version), else undefined. */
export function openApiDocument(
  segments: readonly string[],
  kinds: readonly KindInfo[],
): JsonObject | undefined {
  const versions = [...new Set(kinds.map((k) => k.apiVersion))];
  const docOf = (apiVersion: string): JsonObject => ({
    openapi: '3.0.0',
    info: { title: 'Kubernetes (Stratus stand-in)', version: apiVersion },
    paths: Object.assign({}, ...kinds.filter((k) => k.apiVersion === apiVersion).map(operations)),
    components: { schemas: {} },
  });
  if (segments.length === 2) {
    return {
      paths: Object.fromEntries(
        versions.map((v) => {
          const hash = createHash('sha256')
            .update(JSON.stringify(docOf(v)))
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
  return apiVersion ? docOf(apiVersion) : undefined;
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
