/**
 * A scripted stand-in for the API behind the SDK's `fetch` option: each request is recorded (method,
 * URL, headers, body) and answered by the next scripted reply (or by a function of the request).
 */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: unknown;
}

export type Reply = Response | Error | ((req: Recorded) => Response | Error);

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type, ...headers } });
}

export function problem(status: number, code: string, extra: Record<string, unknown> = {}, headers = {}) {
  return json(status, { type: 'about:blank', title: `title of ${code}`, status, code, ...extra }, headers);
}

export function fakeApi(...script: Reply[]) {
  const requests: Recorded[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const text = request.body === null ? '' : await request.text();
    const recorded: Recorded = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(recorded);
    const next = script.length > 1 ? script.shift() : script[0];
    if (next === undefined) throw new Error(`no scripted reply for ${request.method} ${request.url}`);
    const reply = typeof next === 'function' ? next(recorded) : next;
    if (reply instanceof Error) throw reply;
    return reply.clone();
  };
  return { fetch, requests };
}

/** A clock that sleeps instantly: `sleeps` records each wait, `now` advances by it. */
export function fakeClock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

export const CLUSTER = {
  id: 'cl-1',
  name: 'vectors',
  engine: 'qdrant',
  version: '1.15.5',
  region: 'eu-west-1',
  nodes: 1,
  size: 'small',
  status: 'PENDING',
};

export function operation(status: string, over: Record<string, unknown> = {}) {
  return {
    id: 'op-1',
    type: 'CREATE',
    status,
    clusterId: 'cl-1',
    region: 'eu-west-1',
    correlationId: 'c-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    deadline: '2026-01-01T01:00:00.000Z',
    ...over,
  };
}
