import { getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { documentClient } from '../shared/aws.js';
import { ProblemError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { Store } from '../shared/store/store.js';
import { httpRoutes } from '../topology.js';
import { authenticate } from './auth.js';
import { header, problemResult, toResult } from './http.js';
import { ROUTE_HANDLERS } from './routes.js';

const tableName = getStringFromEnv({ key: 'TABLE_NAME' });
const homeRegion = getStringFromEnv({ key: 'STRATUS_REGION' });
const regions = getStringFromEnv({ key: 'STRATUS_REGIONS' })
  .split(',')
  .map((r) => r.trim())
  .filter(Boolean);

const logger = createLogger('stratus-api');
const store = new Store(documentClient(), tableName);

const ROUTED_PATHS = new Set(httpRoutes().map((r) => r.path));
const CORRELATION_ID = /^[A-Za-z0-9._-]{8,100}$/;

/** API Gateway (REST, proxy integration) -> route handler; every error becomes problem+json. */
export async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const given = header(event, 'x-correlation-id');
  const correlationId = given && CORRELATION_ID.test(given) ? given : newId('corr');
  const instance = event.path ?? event.resource;
  try {
    const routeHandler = ROUTE_HANDLERS[`${event.httpMethod} ${event.resource}`];
    if (!routeHandler) {
      throw ROUTED_PATHS.has(event.resource)
        ? new ProblemError('METHOD_NOT_ALLOWED', `${event.httpMethod} is not allowed on ${event.resource}`)
        : new ProblemError('ROUTE_NOT_FOUND', `No route for ${event.httpMethod} ${instance}`);
    }
    const now = new Date();
    const principal = await authenticate(store, header(event, 'authorization'), now);
    logger.appendKeys({ tenantId: principal.tenantId, correlationId });
    const res = await routeHandler({ event, principal, store, correlationId, regions, homeRegion, now });
    return toResult(res, correlationId);
  } catch (error) {
    if (!(error instanceof ProblemError) || error.status >= 500) {
      logger.error('request failed', { error: error as Error, correlationId });
    }
    return problemResult(error, instance, correlationId);
  } finally {
    logger.removeKeys(['tenantId', 'correlationId']);
  }
}

export const handler = middy(route).use(injectLambdaContext(logger));
