import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { openApiDocument } from '../../functions/api/openapi.js';
import { ERROR_CODES } from '../../functions/shared/errors.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsModule.default;

type Json = Record<string, unknown>;

interface ResponseObject {
  readonly description: string;
  readonly content?: Record<string, { readonly schema?: Json }>;
}

interface OperationObject {
  readonly responses: Record<string, ResponseObject>;
}

const COMPONENTS_ID = 'urn:stratus:openapi:components';

let doc: Json | undefined;
let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The document the API serves, built once per test file. */
export function apiDocument(): Json {
  doc ??= openApiDocument();
  return doc;
}

/** The OpenAPI operation of `METHOD pathTemplate`, or undefined when the document has none. */
export function openApiOperation(method: string, pathTemplate: string): OperationObject | undefined {
  const paths = apiDocument().paths as Record<string, Record<string, OperationObject>>;
  return paths[pathTemplate]?.[method.toLowerCase()];
}

/**
 * The problem codes the document lists for a route and status: the description of each
 * problem response is the comma-separated list of its codes.
 */
export function documentedProblemCodes(method: string, pathTemplate: string, status: number): string[] {
  const response = openApiOperation(method, pathTemplate)?.responses[String(status)];
  if (!response?.content?.['application/problem+json']) return [];
  return response.description.split(',').map((c) => c.trim());
}

/** `#/components/schemas/X` -> the same schema in the components registered with ajv. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Json).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
          ? `${COMPONENTS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`
          : rewriteRefs(v),
      ]),
    );
  }
  return value;
}

function validator(key: string, schema: Json): ValidateFunction {
  let fn = compiled.get(key);
  if (!fn) {
    if (!ajv) {
      ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats(ajv);
      const components = (apiDocument().components as { schemas?: Json } | undefined)?.schemas ?? {};
      ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(components) as Json });
    }
    fn = ajv.compile(rewriteRefs(schema) as Json);
    compiled.set(key, fn);
  }
  return fn;
}

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text === undefined
    ? 'undefined'
    : text.length > 600
      ? `${text.slice(0, 600)}... (${text.length} chars)`
      : text;
}

/**
 * Throws a readable error unless the document declares `status` for `METHOD pathTemplate` with
 * `contentType`, and `body` (parsed JSON) matches that response's schema. Schemas are compiled
 * once (ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses) and cached.
 *
 * A documented response without `content` describes no body, so any body passes.
 */
export function assertMatchesOpenApi(
  method: string,
  pathTemplate: string,
  status: number,
  contentType: string | null | undefined,
  body: unknown,
): void {
  const where = `${method.toUpperCase()} ${pathTemplate} -> ${status}`;
  const op = openApiOperation(method, pathTemplate);
  if (!op) throw new Error(`OpenAPI: ${method.toUpperCase()} ${pathTemplate} is not in the document`);
  const response = op.responses[String(status)] ?? op.responses.default;
  if (!response) {
    throw new Error(
      `OpenAPI: ${where} is not documented (documented: ${Object.keys(op.responses).join(', ')}); body: ${preview(body)}`,
    );
  }
  if (!response.content) return;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const schema = response.content[media]?.schema;
  if (!response.content[media]) {
    throw new Error(
      `OpenAPI: ${where} with content-type "${contentType}" is not documented (documented: ${Object.keys(response.content).join(', ')})`,
    );
  }
  if (!schema) return;
  const validate = validator(`${method.toUpperCase()} ${pathTemplate} ${status} ${media}`, schema);
  if (!validate(body)) {
    throw new Error(
      `OpenAPI: ${where} (${media}) does not match its schema: ${ajv?.errorsText(validate.errors, { dataVar: 'body' })}; body: ${preview(body)}`,
    );
  }
}

/**
 * The invariants of any error answer: problem+json, a documented code whose status is the HTTP
 * status. Returns the problem for further checks.
 */
export function assertProblem(
  status: number,
  contentType: string | null | undefined,
  body: unknown,
): { code: keyof typeof ERROR_CODES; status: number; detail?: string } {
  if (contentType !== 'application/problem+json') {
    throw new Error(
      `a ${status} answer has content-type ${contentType}, not application/problem+json: ${preview(body)}`,
    );
  }
  const p = body as { code?: unknown; status?: unknown } | null;
  const code = typeof p?.code === 'string' ? p.code : undefined;
  if (!code || !(code in ERROR_CODES))
    throw new Error(`a ${status} problem has an undocumented code: ${preview(body)}`);
  const documented = ERROR_CODES[code as keyof typeof ERROR_CODES].status;
  if (documented !== status || p?.status !== status) {
    throw new Error(
      `a ${status} problem has code ${code} (documented as ${documented}) and status ${String(p?.status)}`,
    );
  }
  return body as { code: keyof typeof ERROR_CODES; status: number; detail?: string };
}
