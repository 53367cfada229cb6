import * as z from 'zod';
import { requiredString } from '../shared/env.js';
import { kubeEnv } from '../shared/kube/env.js';
import { objectLockEnv } from '../shared/object-lock.js';

/** The provisioner's environment (topology.ts `FUNCTIONS.provisioner.environment`). */
export const ProvisionerEnv = z.object({
  TABLE_NAME: requiredString(),
  STRATUS_REGION: requiredString(),
  PROVISIONING_QUEUE_URL: requiredString(),
  ...kubeEnv,
  /** Base of the poll backoff, in seconds; the local runtime shortens it (never set in AWS). */
  POLL_BASE_SECONDS: z.coerce.number('a number of seconds').positive().default(2),
  /** The region's backup bucket: a cluster's prefix there, in its backup pods' session policy. */
  BACKUP_BUCKET: z.string().trim().optional(),
  /**
   * The role the backup pods assume through EKS Pod Identity; unset or empty (locally), no
   * association is made (functions/shared/backup-identity.ts).
   */
  BACKUP_ROLE_ARN: z.string().trim().optional(),
  /** Object Lock of the backup bucket (JSON `{mode, days}`; empty: none): a backup records `lockedUntil`. */
  BACKUP_OBJECT_LOCK: objectLockEnv,
  /** The SDK's own override of the S3 endpoint: set by the local runtime (its object store), never in AWS. */
  AWS_ENDPOINT_URL_S3: z.string().optional(),
});
