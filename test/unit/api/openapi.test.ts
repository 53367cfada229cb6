import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compileErrors, validate } from '@readme/openapi-parser';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openApiDocument } from '../../../functions/api/openapi.js';
import { ROUTES } from '../../../functions/api/routes.js';
import { ERROR_CODES } from '../../../functions/shared/errors.js';
import { httpRoutes } from '../../../functions/topology.js';
import { apiEvent } from '../../helpers/events.js';
import { assertMatchesOpenApi, documentedProblemCodes } from '../../helpers/openapi.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.STRATUS_REGIONS = 'eu-west-1,us-east-1';
  // The api function's environment (functions/api/env.ts) needs the page-token key or its secret.
  process.env.PAGE_TOKEN_KEY = 'unit-test-key';
});

const { route } = await import('../../../functions/api/handler.js');

type Operation = {
  operationId: string;
  responses: Record<string, { description: string; content?: object }>;
};
type Paths = Record<string, Record<string, Operation>>;

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const sorted = (keys: string[]) => [...keys].sort();

describe('OpenAPI document', () => {
  const doc = openApiDocument();
  const paths = doc.paths as Paths;
  const documented = Object.entries(paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => key(method, path)),
  );

  describe('Method: openApiDocument', () => {
    it('is a valid OpenAPI 3.1 document', async () => {
      // Act
      const result = await validate(structuredClone(doc) as never);

      // Assess
      expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
      expect(result.specification).toBe('OpenAPI');
      expect(doc.openapi).toMatch(/^3\.1\./);
    });

    it('documents exactly the routes of the topology, and the router has exactly those', () => {
      // Prepare
      const topology = httpRoutes().map((r) => key(r.method, r.path));
      const router = ROUTES.map((r) => key(r.method, r.path));

      // Assess
      expect(new Set(router).size, 'ROUTES has a duplicate').toBe(router.length);
      expect(new Set(topology).size, 'topology.ts has a duplicate route').toBe(topology.length);
      expect(sorted(router)).toEqual(sorted(topology));
      expect(sorted(documented)).toEqual(sorted(topology));
    });

    it('gives every operation a unique operationId', () => {
      const ids = Object.values(paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
      expect(new Set(ids).size).toBe(ids.length);
    });

    it.each(ROUTES.map((r) => [key(r.method, r.path), r] as const))(
      'lists only documented problem codes for %s, each under its own status',
      (_name, def) => {
        // Assess: the route table names known codes (an unknown one would silently drop out)...
        expect(def.errors.filter((c) => !(c in ERROR_CODES))).toEqual([]);
        // ...and each problem response of the document lists codes with that status.
        const op = paths[def.path]?.[def.method.toLowerCase()];
        for (const [status, response] of Object.entries(op?.responses ?? {})) {
          const codes = documentedProblemCodes(def.method, def.path, Number(status));
          if (!response.content || !('application/problem+json' in response.content)) continue;
          expect(codes.length, `${status} lists no code`).toBeGreaterThan(0);
          for (const code of codes) {
            expect(code in ERROR_CODES, `${code} is not in ERROR_CODES`).toBe(true);
            expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status, `${code} under ${status}`).toBe(
              Number(status),
            );
          }
        }
        // Every code of the route table is listed somewhere in the route's responses.
        const listed = Object.keys(op?.responses ?? {}).flatMap((s) =>
          documentedProblemCodes(def.method, def.path, Number(s)),
        );
        expect(def.errors.filter((c) => !listed.includes(c))).toEqual([]);
      },
    );

    it("constrains the Problem schema's code to ERROR_CODES", () => {
      const problem = (
        doc.components as { schemas: Record<string, { properties: { code: { enum: string[] } } }> }
      ).schemas.Problem;
      expect(sorted(problem?.properties.code.enum ?? [])).toEqual(sorted(Object.keys(ERROR_CODES)));
    });
  });

  describe('File: docs/openapi.json', () => {
    it('is the document the code generates (run `npm run gen:openapi` and commit it when this fails)', () => {
      // Prepare
      let committed: unknown;
      try {
        committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
      } catch {
        committed = undefined;
      }

      // Assess: compared as JSON, since Biome owns the file's layout.
      expect(
        committed,
        'docs/openapi.json is stale or missing: run `npm run gen:openapi` and commit it',
      ).toEqual(JSON.parse(JSON.stringify(doc)));
    });
  });

  describe('Route: GET /v1/openapi.json', () => {
    const ddb = mockClient(DynamoDBDocumentClient);
    beforeEach(() => ddb.reset());
    afterEach(() => ddb.reset());

    it('answers 200 with the document, without a key and without reading the table', async () => {
      // Act
      const res = await route(apiEvent({ method: 'GET', resource: '/v1/openapi.json', headers: {} }));

      // Assess
      expect(res.statusCode).toBe(200);
      expect(res.headers?.['content-type']).toBe('application/json');
      expect(res.headers?.['cache-control']).toBe('public, max-age=300');
      expect(JSON.parse(res.body)).toEqual(JSON.parse(JSON.stringify(doc)));
      expect(ddb.calls()).toHaveLength(0);
      assertMatchesOpenApi('GET', '/v1/openapi.json', 200, 'application/json', JSON.parse(res.body));
    });
  });
});

describe('Function: assertMatchesOpenApi', () => {
  const cluster = {
    id: 'cl-01jd8w0000000000000000000b',
    name: 'vectors',
    engine: 'qdrant',
    version: '1.12.0',
    region: 'eu-west-1',
    nodes: 1,
    size: 'small',
    settings: {},
    deletionProtection: false,
    status: 'READY',
    generation: 1,
    observedGeneration: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };

  it('accepts a body that matches the documented response', () => {
    expect(() =>
      assertMatchesOpenApi('GET', '/v1/clusters/{clusterId}', 200, 'application/json', cluster),
    ).not.toThrow();
    expect(() =>
      assertMatchesOpenApi('GET', '/v1/clusters/{clusterId}', 404, 'application/problem+json', {
        type: 'about:blank',
        title: 'Cluster not found',
        status: 404,
        code: 'CLUSTER_NOT_FOUND',
      }),
    ).not.toThrow();
  });

  it.each([
    ['a missing field', { ...cluster, status: undefined }, 200, 'application/json', /does not match/],
    ['a field of the wrong type', { ...cluster, nodes: '1' }, 200, 'application/json', /does not match/],
    ['an undeclared field', { ...cluster, tenantId: 'tn-1' }, 200, 'application/json', /does not match/],
    ['an undocumented status', cluster, 418, 'application/json', /not documented/],
    ['an undocumented content-type', cluster, 200, 'text/html', /content-type "text\/html"/],
  ])('refuses %s with a readable error', (_case, body, status, type, message) => {
    expect(() =>
      assertMatchesOpenApi('GET', '/v1/clusters/{clusterId}', status, type, JSON.parse(JSON.stringify(body))),
    ).toThrow(message);
  });
});
