import * as z from 'zod';
import { booleanString, requiredString } from '../shared/env.js';
import { kubeEnv } from '../shared/kube/env.js';

/** The reconciler's environment (topology.ts `FUNCTIONS.reconciler.environment`). */
export const ReconcilerEnv = z.object({
  TABLE_NAME: requiredString(),
  STRATUS_REGION: requiredString(),
  EVENT_BUS_NAME: requiredString(),
  ...kubeEnv,
  /** `true` deletes orphan namespaces; that needs namespace delete in RBAC (docs/eks.md). */
  RECONCILER_DELETE_ORPHANS: booleanString().default(false),
  /** The region's backup bucket: scheduled backups and retention; unset, neither runs. */
  BACKUP_BUCKET: z.string().trim().optional(),
  /** The SDK's override of the S3 endpoint: the local object store (never set in AWS). */
  AWS_ENDPOINT_URL_S3: z.string().optional(),
});
