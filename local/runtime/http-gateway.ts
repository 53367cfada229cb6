import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_HEADERS, consoleContentSecurityPolicy } from '../../console/headers.js';
import { corsPreflightHeaders } from '../../functions/api/cors.js';
import { problemResult } from '../../functions/api/http.js';
import { ProblemError } from '../../functions/shared/errors.js';
import type { HttpRoute } from '../../functions/topology.js';
import type { Invoke } from './lambda.js';

/** API Gateway's REST API payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** A route of the topology and the function that serves it (API Gateway's Lambda integration). */
export interface GatewayRoute {
  readonly route: HttpRoute;
  readonly invoke: Invoke<APIGatewayProxyEvent, APIGatewayProxyResult>;
}

interface CompiledRoute {
  readonly route: HttpRoute;
  readonly invoke: Invoke<APIGatewayProxyEvent, APIGatewayProxyResult>;
  readonly regex: RegExp;
  readonly params: string[];
}

function compile({ route, invoke }: GatewayRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m?.[1]) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, invoke, regex: new RegExp(`^${source}/?$`), params };
}

/** The web console, served at `/console/` beside the API (README, "Console"). */
export interface GatewayConsole {
  /** The built site (console/build.mjs). */
  readonly dir: string;
  /** Served as `/console/config.json`: the regions and their API URLs. */
  readonly config: unknown;
  /** The APIs the page may call (its CSP's connect-src). */
  readonly apiOrigins: readonly string[];
}

const CONSOLE_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'engines.json': 'application/json',
};

export interface HttpGateway {
  readonly url: string;
  /**
   * Serves the console at `/console/`, and answers CORS preflights (OPTIONS) from `corsOrigins` as
   * API Gateway's preflight methods do (lib/api.ts); the functions add the CORS headers of answers.
   */
  configure(opts: { readonly console?: GatewayConsole; readonly corsOrigins?: readonly string[] }): void;
  /** Starts serving `routes`, each through its function; until then every request is answered 503. */
  attach(routes: readonly GatewayRoute[]): void;
  /** Answers 503 again until the next `attach` (a region whose control plane is down). */
  detach(): void;
  stop(): Promise<void>;
}

/**
 * The REST API stand-in: matches the topology's routes like API Gateway resources do and
 * builds the same proxy event; an unknown route gets the answer the deployed gateway response
 * gives (404 ROUTE_NOT_FOUND, problem+json), without invoking the function.
 */
export async function startHttpGateway(opts: {
  host: string;
  port: number;
  /** Served from the start; without them the gateway answers 503 until `attach`. */
  routes?: readonly GatewayRoute[];
  stage?: string;
}): Promise<HttpGateway> {
  // Bound before the functions start, so that every region's URL is known to every region's
  // environment (the 421 answers name them); requests wait for `attach` behind a 503.
  let routes: CompiledRoute[] = (opts.routes ?? []).map(compile);
  let attached = opts.routes !== undefined;
  let site: GatewayConsole | undefined;
  let corsOrigins: readonly string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      let result: APIGatewayProxyResult;
      const url = new URL(req.url ?? '/', 'http://local');
      if (site && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
        await serveConsole(site, req, url, res);
        return;
      }
      if (req.method === 'OPTIONS') {
        const headers = corsPreflightHeaders(req.headers.origin, corsOrigins);
        res.writeHead('access-control-allow-origin' in headers ? 204 : 403, headers);
        res.end();
        return;
      }
      if (!attached) {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Starting', status: 503, code: 'STARTING' }));
        return;
      }
      try {
        const body = await readBody(req);
        result = await dispatch(req, url, body);
      } catch (e) {
        result = problemResult(e, url.pathname, randomUUID());
      }
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    })();
  });

  async function dispatch(
    req: IncomingMessage,
    url: URL,
    body: Buffer | undefined,
  ): Promise<APIGatewayProxyResult> {
    const path = decodeURIComponentSafe(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { c: CompiledRoute; m: RegExpExecArray } | undefined;
    for (const c of routes) {
      const m = c.regex.exec(url.pathname);
      if (m && c.route.method === method) {
        matched = { c, m };
        break;
      }
    }
    if (!matched) throw new ProblemError('ROUTE_NOT_FOUND', `No route for ${method} ${path}`);
    const pathParameters: Record<string, string> = {};
    matched.c.params.forEach((p, i) => {
      pathParameters[p] = decodeURIComponentSafe(matched.m[i + 1] ?? '');
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const event: APIGatewayProxyEvent = {
      resource: matched.c.route.path,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: {},
      queryStringParameters: Object.keys(query).length ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
      stageVariables: null,
      body: body && body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: null,
        httpMethod: method,
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? null,
        } as never,
        path: `/${opts.stage ?? 'live'}${path}`,
        protocol: 'HTTP/1.1',
        requestId: randomUUID(),
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: matched.c.route.path,
        stage: opts.stage ?? 'live',
      },
    };
    return matched.c.invoke(event);
  }

  // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s), so a client
  // never reuses a socket this server is closing (an ECONNRESET on a loaded machine).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${addr.port}`,
    configure(c) {
      if (c.console) site = c.console;
      if (c.corsOrigins) corsOrigins = [...c.corsOrigins];
    },
    attach(r) {
      routes = r.map(compile);
      attached = true;
    },
    detach() {
      attached = false;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The console's files: a fixed list (no path from the request reaches the file system). */
async function serveConsole(
  site: GatewayConsole,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const security = {
    ...CONSOLE_HEADERS,
    'content-security-policy': consoleContentSecurityPolicy(site.apiOrigins),
    'cache-control': 'no-cache',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', ...security });
    res.end();
    return;
  }
  if (url.pathname === '/console') {
    res.writeHead(308, { location: '/console/', ...security });
    res.end();
    return;
  }
  const name = url.pathname.slice('/console/'.length) || 'index.html';
  let body: Buffer | string;
  let type: string | undefined;
  if (name === 'config.json') {
    body = JSON.stringify(site.config);
    type = 'application/json';
  } else {
    type = CONSOLE_TYPES[name];
    body = type ? await readFile(join(site.dir, name)).catch(() => '') : '';
  }
  if (!type || body === '') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...security });
    res.end('Not found');
    return;
  }
  res.writeHead(200, { 'content-type': type, ...security });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) throw new ProblemError('PAYLOAD_TOO_LARGE', 'The request exceeds 10 MB');
    chunks.push(chunk as Buffer);
  }
  return chunks.length ? Buffer.concat(chunks) : undefined;
}
