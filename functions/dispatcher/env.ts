import * as z from 'zod';
import { requiredString } from '../shared/env.js';

/** The dispatcher's environment (topology.ts `FUNCTIONS.dispatcher.environment`). */
export const DispatcherEnv = z.object({
  PROVISIONING_QUEUE_URL: requiredString(),
  STRATUS_REGION: requiredString(),
});
