/**
 * Status publisher (per region): the table's stream -> the region's bus (publish.ts). Reports
 * partial batch failures; after the mapping's retry limit, a record goes to the stream failure queue.
 */
import { eventBridgeClient } from '../shared/aws.js';
import { readEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { createMetrics, instrumented } from '../shared/observability.js';
import { StatusPublisherEnv } from './env.js';
import { streamPublisher } from './publish.js';

const { EVENT_BUS_NAME: busName, STRATUS_REGION: region } = readEnv(StatusPublisherEnv);
const logger = createLogger('stratus-status-publisher');

export const handler = instrumented(
  logger,
  streamPublisher({ eventBridge: eventBridgeClient(), busName, region, logger, metrics: createMetrics() }),
);
