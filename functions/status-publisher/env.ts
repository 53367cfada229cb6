import * as z from 'zod';
import { requiredString } from '../shared/env.js';

/** The status publisher's environment (topology.ts `FUNCTIONS.statusPublisher.environment`). */
export const StatusPublisherEnv = z.object({
  EVENT_BUS_NAME: requiredString(),
  STRATUS_REGION: requiredString(),
});
