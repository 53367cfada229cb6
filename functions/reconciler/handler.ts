/**
 * Reconciler (scheduled every minute, per region): fails the region's operations that ran past
 * their deadline, then compares clusters with Kubernetes (drift, orphans). Each run is idempotent
 * and bounded; what it leaves, the next run picks up (run.ts).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { documentClient, eventBridgeClient } from '../shared/aws.js';
import { s3BackupObjects, s3Client } from '../shared/backup-objects.js';
import { readEnv } from '../shared/env.js';
import { kubeAccess } from '../shared/kube/access.js';
import { eksPoolOf } from '../shared/kube/pool.js';
import { createLogger } from '../shared/logger.js';
import { createMetrics, instrumented } from '../shared/observability.js';
import { Store } from '../shared/store/store.js';
import { Sweeps } from '../shared/store/sweeps.js';
import { ReconcilerEnv } from './env.js';
import { eventBridgePublisher } from './events.js';
import { RECONCILER_NAMESPACE, type ReconcileDeps, type ReconcileResult, reconcile } from './run.js';

export { driftFound, ReconcileError, type ReconcileResult } from './run.js';

const env = readEnv(ReconcilerEnv);
const { TABLE_NAME: tableName, STRATUS_REGION: region } = env;
const eksPool = eksPoolOf(env.EKS_CLUSTERS, region);
const logger = createLogger('stratus-reconciler');
const store = new Store(documentClient(), tableName, region);

const deps: ReconcileDeps = {
  store,
  sweeps: new Sweeps(store.table),
  region,
  eksPool,
  kube: kubeAccess({
    auth: env.KUBE_AUTH,
    region,
    eksClusters: eksPool,
    takeoverRoleArns: env.TAKEOVER_ROLE_ARNS,
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
  }),
  publish: eventBridgePublisher(eventBridgeClient(), env.EVENT_BUS_NAME),
  deleteOrphans: env.RECONCILER_DELETE_ORPHANS,
  logger,
  reconcilerMetrics: createMetrics(RECONCILER_NAMESPACE),
  metrics: createMetrics(),
  // Scheduled backups and retention, where the region has a backup bucket.
  ...(env.BACKUP_BUCKET
    ? {
        backups: {
          backupBucket: env.BACKUP_BUCKET,
          objects: s3BackupObjects(s3Client(Boolean(env.AWS_ENDPOINT_URL_S3))),
        },
      }
    : {}),
};

export const handler = instrumented(
  logger,
  (_event: ScheduledEvent, context: Context): Promise<ReconcileResult> =>
    reconcile(deps, () => context.getRemainingTimeInMillis()),
);
