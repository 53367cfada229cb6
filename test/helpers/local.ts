import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { ROUTES } from '../../functions/api/routes.js';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import { dynamoStartTimeoutMs } from '../../local/runtime/dynamodb.js';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../local/runtime/runtime.js';
import { assertMatchesOpenApi, assertProblem } from './openapi.js';

/** The deployment config of cdk.json: tests run the topology that ships. */
export function shippedConfig(): StratusConfig {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { stratus: unknown } };
  return parseConfig(cdk.context.stratus);
}

/**
 * The shipped config with public endpoints under `domain` and a gateway on every EKS cluster,
 * whose `databaseIssuer` makes clusters created there serve TLS (docs/endpoints.md).
 */
export function shippedConfigWithGateways(domain: string): StratusConfig {
  const shipped = shippedConfig();
  return parseConfig({
    ...shipped,
    endpoints: { domain, hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    regions: shipped.regions.map((r) => ({
      ...r,
      eksClusters: r.eksClusters.map((c) => ({
        ...c,
        gateway: {
          issuer: 'stratus-endpoints',
          databaseIssuer: 'stratus-databases',
          loadBalancerDnsName: `gw-${r.region}.elb.example.test`,
        },
      })),
    })),
  });
}

/**
 * Bound of a beforeAll that starts a runtime: DynamoDB Local's own start bound
 * (STRATUS_DYNAMODB_START_TIMEOUT_MS, 120 s by default) plus a minute for the rest, so that a
 * loaded machine gets the start's own message (or a runtime) rather than a bare hook timeout.
 */
export const RUNTIME_START_TIMEOUT_MS = dynamoStartTimeoutMs() + 60_000;

/**
 * The run's shared DynamoDB Local (test/helpers/global-setup.ts) with an access key of its own,
 * that is, databases (replicas) no other runtime or table of the run sees; undefined where the
 * shared one did not start or outside a vitest run.
 */
export function sharedDynamo(): { endpoint: string; accessKeyId: string } | undefined {
  const endpoint = inject('sharedDynamoEndpoint');
  // DynamoDB Local takes access keys of letters and digits only.
  return endpoint ? { endpoint, accessKeyId: `test${randomUUID().replaceAll('-', '')}` } : undefined;
}

/** `{ dynamodb }` of a control plane's options: the run's shared DynamoDB Local, if it started. */
export function sharedDynamoOption(): { dynamodb?: { endpoint: string; accessKeyId: string } } {
  const dynamodb = sharedDynamo();
  return dynamodb ? { dynamodb } : {};
}

/**
 * A local control plane in memory, with fast stand-in timings, on the run's shared DynamoDB Local
 * (`ownDynamo: true` to start one of its own, as `npm start` does).
 */
export function startTestRuntime(
  over: Partial<LocalRuntimeOptions> & { readonly ownDynamo?: boolean } = {},
): Promise<LocalRuntime> {
  const { ownDynamo, ...rest } = over;
  return startLocalRuntime({
    config: shippedConfig(),
    readinessDelayMs: 300,
    pollBaseSeconds: 1,
    ...(ownDynamo ? {} : sharedDynamoOption()),
    ...rest,
  });
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  readonly body: any;
}

const TEMPLATES = ROUTES.map((r) => ({
  method: r.method,
  path: r.path,
  regex: new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The route template a request hits, if any (unknown routes have no OpenAPI entry to check). */
function templateOf(method: string, path: string): string | undefined {
  const bare = path.split('?')[0] ?? path;
  return TEMPLATES.find((t) => t.method === method && t.regex.test(bare))?.path;
}

/**
 * A tiny API client over fetch, as a user's script would call the API. Every answer of a known
 * route is checked against the OpenAPI document (status, content type, schema), and every error
 * against the problem+json rules, so each integration test also proves the document right.
 */
export function apiClient(baseUrl: string, apiKey: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const template = templateOf(method, path);
    const contentType = res.headers.get('content-type');
    if (res.status >= 400) assertProblem(res.status, contentType, parsed);
    if (template) assertMatchesOpenApi(method, template, res.status, contentType, parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

/** Polls until `check` returns a value, or fails with the last value seen. */
export async function eventually<T>(
  fn: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const started = Date.now();
  let last: T = await fn();
  while (!check(last)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}

/** Polls an operation until it ends (SUCCEEDED, FAILED or CANCELLED); returns the last answer. */
export function settleOperation(
  api: ReturnType<typeof apiClient>,
  operationId: string,
  timeoutMs?: number,
): Promise<HttpResult> {
  return eventually(
    () => api('GET', `/v1/operations/${operationId}`),
    (r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.body.status),
    timeoutMs,
  );
}
