import { assertMatchesOpenApi, assertProblem } from '../../helpers/openapi.js';

/** What to send to a route: path parameters, query, body (JSON) and extra headers. */
export interface RouteCall {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteResult {
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  readonly body: any;
}

/** `/v1/clusters/{clusterId}` + `{ clusterId: 'x' }` -> `/v1/clusters/x` (parameters URL-encoded). */
export function fillPath(template: string, params: Readonly<Record<string, string>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/**
 * An API client that calls routes by their template, over HTTP through the local gateway, and
 * checks every answer against the OpenAPI document (status, content-type, schema) and every
 * error against the problem+json invariants. `apiKey` undefined sends no Authorization.
 */
export function routeClient(baseUrl: string) {
  return async function call(
    apiKey: string | undefined,
    method: string,
    template: string,
    req: RouteCall = {},
  ): Promise<RouteResult> {
    const query = req.query && Object.keys(req.query).length ? `?${new URLSearchParams(req.query)}` : '';
    const res = await fetch(`${baseUrl}${fillPath(template, req.params)}${query}`, {
      method,
      headers: {
        ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    const contentType = res.headers.get('content-type');
    assertMatchesOpenApi(method, template, res.status, contentType, body);
    if (res.status >= 400) assertProblem(res.status, contentType, body);
    return { status: res.status, contentType, headers: res.headers, text, body };
  };
}
