/**
 * A minimal OpenAPI v3 (`/openapi/v3`): one document per group-version with each kind's paths
 * and operations, tagged `x-kubernetes-group-version-kind`, and the query parameters the stand-in
 * takes. No schemas. It is what kubectl's `apply`/`create` read to learn that the server
 * validates fields itself (the `fieldValidation` parameter of the kind's PATCH): kubectl then
 * sends `fieldValidation=Strict` instead of downloading a schema, so no `--validate=false` is
 * needed. `kubectl explain` needs the schemas, which are not served.
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
