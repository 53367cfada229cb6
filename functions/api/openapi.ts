import * as z from 'zod';
import { ERROR_CODES } from '../shared/errors.js';
import { ProblemSchema } from '../shared/schemas/api.js';
import { ROUTES, type RouteDef } from './routes.js';

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** Query parameters of a route, one OpenAPI parameter per property of its (object) schema. */
function queryParameters(def: RouteDef): Json[] {
  if (!def.query) return [];
  const js = schema(def.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

/** What every authenticated route may answer; each reads DynamoDB, which may throttle (503). */
const COMMON_ERRORS = [
  'INVALID_QUERY',
  'UNAUTHENTICATED',
  'API_KEY_EXPIRED',
  'FORBIDDEN_ROLE',
  'RATE_LIMITED',
  'TEMPORARILY_UNAVAILABLE',
  'INTERNAL',
];
/** Problem codes answered with a `Retry-After` header (seconds), and what it means with each. */
const RETRY_AFTER: Readonly<Record<string, string>> = {
  RATE_LIMITED: 'seconds until the tenant may send requests again (its rate-limit window ends)',
  TEMPORARILY_UNAVAILABLE: 'seconds to wait before retrying (a mutation with the same Idempotency-Key)',
};
/** What every route with a JSON body may also answer (functions/api/http.ts). */
const BODY_ERRORS = ['VALIDATION_FAILED', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** What every mutation may also answer (Idempotency-Key handling, transaction races). */
const MUTATION_ERRORS = ['INVALID_HEADER', 'IDEMPOTENCY_KEY_REUSED', 'CONCURRENT_MODIFICATION'];

/** Every problem code a route may answer: the common ones plus its own. */
export function routeErrorCodes(def: RouteDef): string[] {
  const codes = [
    ...(def.role === 'public' ? ['INVALID_QUERY'] : COMMON_ERRORS),
    ...(def.body ? BODY_ERRORS : []),
    ...(def.mutation ? MUTATION_ERRORS : []),
    ...def.errors,
  ];
  return [...new Set(codes)];
}

/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas that validate
 * requests, so the document and the behaviour cannot drift.
 */
export function openApiDocument(serverUrl = '/'): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const def of ROUTES) {
    const codes = routeErrorCodes(def);
    const errorStatuses = [
      ...new Set(codes.map((c) => ERROR_CODES[c as keyof typeof ERROR_CODES]?.status).filter(Boolean)),
    ];
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(def.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: schema(r.schema, 'output') } } } : {}),
      };
    }
    for (const status of errorStatuses) {
      const here = codes.filter((c) => ERROR_CODES[c as keyof typeof ERROR_CODES]?.status === status);
      const retryAfter = here.filter((c) => c in RETRY_AFTER);
      responses[String(status)] = {
        description: here.join(', '),
        ...(retryAfter.length
          ? {
              headers: {
                'Retry-After': {
                  description: retryAfter.map((c) => `With ${c}: ${RETRY_AFTER[c]}.`).join(' '),
                  schema: { type: 'integer', minimum: 1 },
                },
              },
            }
          : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const parameters = [
      ...pathParameters(def.path),
      ...queryParameters(def),
      ...(def.mutation
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,255}$' },
            },
          ]
        : []),
      { name: 'X-Correlation-Id', in: 'header', required: false, schema: { type: 'string' } },
    ];
    paths[def.path] ??= {};
    (paths[def.path] as Record<string, Json>)[def.method.toLowerCase()] = {
      operationId: `${def.method.toLowerCase()}${def.path.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: def.summary,
      description:
        def.role === 'public' ? 'No authentication.' : `Requires the ${def.role} role (or higher).`,
      ...(def.role === 'public' ? { security: [] } : {}),
      parameters,
      ...(def.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schema(def.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stratus API',
      version: '1.0.0',
      description:
        'Database clusters on Amazon EKS. Mutations answer 202 with an operation to poll. Errors are RFC 9457 problem documents with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' },
      },
      schemas: {
        Problem: {
          ...schema(ProblemSchema, 'output'),
          properties: {
            ...(schema(ProblemSchema, 'output').properties as Json),
            code: { type: 'string', enum: Object.keys(ERROR_CODES) },
          },
        },
      },
    },
  };
}
