import * as z from 'zod';
import { httpEnv } from '../api/env.js';
import { kubeEnv } from '../shared/kube/env.js';

/** The reveal function's environment (topology.ts `FUNCTIONS.reveal.environment`). */
export const RevealEnv = z.object({ ...httpEnv, ...kubeEnv });
