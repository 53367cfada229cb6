import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';
import { documentClient } from '../shared/aws.js';
import { type EnvSchema, readEnv } from '../shared/env.js';
import { ProblemError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { instrumented, tracer } from '../shared/observability.js';
import { type Fence, IdempotencyConflictError, Store } from '../shared/store/store.js';
import { type FunctionId, httpRoutes } from '../topology.js';
import { Authenticator, type Principal, type Session } from './auth.js';
import { corsHeaders } from './cors.js';
import { HttpEnv, type HttpEnvValues } from './env.js';
import type { ApiResponse } from './http.js';
import { header, jsonBody, problemResult, toResult } from './http.js';
import { Idempotency, idempotencyKey, replay, requestHash } from './idempotency.js';
import { RateLimiter } from './rate-limit.js';
import { cachedControllers, routeToRegion } from './regions.js';
import { allows, parseBody, parseQuery, type RequestContext, ROUTES, type RouteDef } from './routes.js';
import { unavailableIfTransient } from './store-errors.js';
import { TenantCache } from './tenant-cache.js';

export type RouteHandler = (ctx: RequestContext) => Promise<ApiResponse>;
/**
 * By route (`<METHOD> <path template>`, as in ROUTES): how a function loads the code of a route it
 * serves. Route modules are loaded on first use, so a cold start pays only for the routes it serves.
 */
export type RouteLoaders = Readonly<Record<string, () => Promise<RouteHandler>>>;

const CORRELATION_ID = /^[A-Za-z0-9._-]{8,100}$/;
const ROUTED_PATHS = new Set(ROUTES.map((r) => r.path));

/**
 * The request pipeline of an HTTP function of the topology (the API, the reveal): authentication,
 * rate limit, role, query and body validation, idempotency, then the route's code; every error
 * becomes problem+json. Each HTTP function serves the routes topology.ts gives it, with the code
 * `loaders` give, and bundles nothing else (lib/function-bundles.ts). Reads its configuration from
 * the environment with the function's `envSchema` (which holds `httpEnv`), so one error names every
 * missing variable of the function: call it at module scope.
 */
export function createRouter(
  fnId: FunctionId,
  loaders: RouteLoaders,
  envSchema: EnvSchema & z.ZodType<HttpEnvValues> = HttpEnv,
) {
  const served = httpRoutes()
    .filter((r) => r.fn === fnId)
    .map((r) => `${r.method} ${r.path}`);
  const byKey = new Map<string, RouteDef>();
  for (const key of served) {
    const def = ROUTES.find((r) => `${r.method} ${r.path}` === key);
    if (!def) throw new Error(`${fnId} serves ${key} (topology.ts), which ROUTES does not define`);
    if (!loaders[key]) throw new Error(`${fnId} serves ${key} (topology.ts) but has no loader for it`);
    byKey.set(key, def);
  }
  for (const key of Object.keys(loaders)) {
    if (!byKey.has(key))
      throw new Error(`${fnId} has a loader for ${key}, a route topology.ts does not give it`);
  }

  const env: HttpEnvValues = readEnv(envSchema);
  const { TABLE_NAME: tableName, STRATUS_REGION: apiRegion, STRATUS_REGIONS: regions } = env;
  /** Each region's public API base URL (no trailing slash), for 421 answers; a region may have none. */
  const apiUrls = env.STRATUS_API_URLS;
  const corsOrigins = env.STRATUS_CORS_ORIGINS;

  const logger = createLogger(`stratus-${fnId}`);
  const store = new Store(documentClient(), tableName, apiRegion);
  const controllers = cachedControllers(store);
  const tenants = new TenantCache(store);
  const limiter = new RateLimiter(store, tenants);
  const authenticator = new Authenticator(store);

  /** Route modules, loaded once per warm Lambda on first use (a dynamic import is not free). */
  const loaded = new Map<RouteDef, RouteHandler>();
  async function loadRoute(def: RouteDef) {
    const load = loaders[`${def.method} ${def.path}`];
    if (!load) throw new Error(`${fnId} has no loader for ${def.method} ${def.path}`);
    const handle = await load();
    loaded.set(def, handle);
    return handle;
  }

  /** API Gateway (REST, proxy integration) -> route; every error becomes problem+json. */
  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const given = header(event, 'x-correlation-id');
    const correlationId = given && CORRELATION_ID.test(given) ? given : newId('corr');
    const instance = event.path ?? event.resource;
    // On every line of the request, and on its trace: the id the pipeline carries on (docs/operations.md).
    logger.appendKeys({ correlationId });
    tracer.putAnnotation('correlationId', correlationId);
    let session: Session | undefined;
    let result: APIGatewayProxyResult | undefined;
    try {
      const def = byKey.get(`${event.httpMethod} ${event.resource}`);
      if (!def) {
        const elsewhere = ROUTES.find((r) => r.method === event.httpMethod && r.path === event.resource);
        if (elsewhere) {
          // Another HTTP function serves it: the gateway never sends it here.
          throw new ProblemError(
            'ROUTE_NOT_FOUND',
            `No route for ${event.httpMethod} ${instance} in ${fnId}`,
          );
        }
        throw ROUTED_PATHS.has(event.resource)
          ? new ProblemError('METHOD_NOT_ALLOWED', `${event.httpMethod} is not allowed on ${event.resource}`)
          : new ProblemError('ROUTE_NOT_FOUND', `No route for ${event.httpMethod} ${instance}`);
      }
      const now = new Date();
      let principal: Principal | undefined;
      if (def.role !== 'public') {
        // The key's proof may still be on its way (D29): nothing is answered before it.
        session = await authenticator.begin(header(event, 'authorization'), now, def.keyProof ?? 'read');
        principal = session.principal;
        logger.appendKeys({ tenantId: principal.tenantId });
        // Per-tenant limit, before any other work: 429 RATE_LIMITED with Retry-After.
        await limiter.admit(principal.tenantId, now);
        if (!allows(principal.role, def.role)) {
          throw new ProblemError(
            'FORBIDDEN_ROLE',
            `This needs the ${def.role} role; the key has ${principal.role}`,
          );
        }
      }
      const response = await dispatch(def, event, principal, correlationId, now, session?.fence);
      await session?.verified();
      result = toResult(response, correlationId);
    } catch (thrown) {
      // Whatever went wrong, a key that is not valid is answered as such first (401).
      const proven = session
        ? await session.verified().then(
            () => thrown,
            (e: unknown) => e,
          )
        : thrown;
      const error = routeToRegion(unavailableIfTransient(proven), event, apiUrls);
      if (!(error instanceof ProblemError) || error.status >= 500) {
        logger.error('request failed', { error: error as Error });
      }
      result = problemResult(error, instance, correlationId);
    }
    const cors = corsHeaders(header(event, 'origin'), corsOrigins);
    if (Object.keys(cors).length > 0) result = { ...result, headers: { ...result.headers, ...cors } };
    // One line per request, so that a correlation id's history starts with the request that set it.
    logger.info('request', { method: event.httpMethod, resource: event.resource, status: result.statusCode });
    logger.removeKeys(['tenantId', 'correlationId']);
    return result;
  }

  async function dispatch(
    def: RouteDef,
    event: APIGatewayProxyEvent,
    principal: Principal | undefined,
    correlationId: string,
    now: Date,
    keyFence: Fence | undefined,
  ) {
    const query = parseQuery(def.query, event);
    const rawBody = def.body ? jsonBody(event) : undefined;
    const body = def.body ? parseBody(def.body, rawBody) : undefined;
    const dryRun = (query as { dryRun?: string }).dryRun === 'true';
    const key = def.mutation && !dryRun ? idempotencyKey(event) : undefined;
    const idempotency = new Idempotency(key, requestHash(event, rawBody), now);
    const caller = principal ?? { tenantId: '', keyId: '', role: 'viewer' as const };
    if (key) {
      const previous = await store.idempotency.get(caller.tenantId, key);
      if (previous) return replay(previous, idempotency.hash);
    }
    const handle = loaded.get(def) ?? (await loadRoute(def));
    try {
      return await handle({
        event,
        principal: caller,
        store,
        correlationId,
        regions,
        apiRegion,
        controllers,
        tenants,
        now,
        body,
        query,
        dryRun,
        idempotency,
        ...(keyFence ? { keyFence } : {}),
      });
    } catch (e) {
      if (e instanceof IdempotencyConflictError) return idempotency.resolveConflict(store, caller.tenantId);
      throw e;
    }
  }

  return { route, handler: instrumented(logger, route) };
}
