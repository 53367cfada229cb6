/**
 * Provisioner (per region): consumes the provisioning queue and advances each message's operation
 * one step against Kubernetes (delivery.ts, workflow.ts). Partial batch failures; a message that
 * fails every receive lands in the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { EKSClient } from '@aws-sdk/client-eks';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { documentClient, sqsClient } from '../shared/aws.js';
import { eksPodIdentity, partitionOf } from '../shared/backup-identity.js';
import { s3BackupObjects, s3Client } from '../shared/backup-objects.js';
import { readEnv } from '../shared/env.js';
import { kubeAccess } from '../shared/kube/access.js';
import { classifyKubeError } from '../shared/kube/errors.js';
import { eksPoolOf } from '../shared/kube/pool.js';
import { createLogger } from '../shared/logger.js';
import { createMetrics, instrumented, tracer } from '../shared/observability.js';
import { Store } from '../shared/store/store.js';
import { recordHandler } from './delivery.js';
import { ProvisionerEnv } from './env.js';

export { MAX_TRANSIENT_REQUEUES, queueAgeMs, transientDelaySeconds } from './delivery.js';

const env = readEnv(ProvisionerEnv);
const { TABLE_NAME: tableName, STRATUS_REGION: region, PROVISIONING_QUEUE_URL: queueUrl } = env;
/** Every region's EKS clusters: placement picks one of the database's region (issue #9, takeover). */
const eksClusters = eksPoolOf(env.EKS_CLUSTERS, region);

const logger = createLogger('stratus-provisioner');
const sqs = sqsClient();
const store = new Store(documentClient(), tableName, region);
const kube = kubeAccess({
  auth: env.KUBE_AUTH,
  region,
  eksClusters,
  takeoverRoleArns: env.TAKEOVER_ROLE_ARNS,
  ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
});
const processor = new BatchProcessor(EventType.SQS);
/** EKS Pod Identity for the backup pods, where the region has a backup bucket and role (not locally). */
const backupIdentity =
  env.BACKUP_ROLE_ARN && env.BACKUP_BUCKET
    ? {
        port: eksPodIdentity({
          eks: tracer.captureAWSv3Client(new EKSClient({ region })),
          roleArn: env.BACKUP_ROLE_ARN,
        }),
        bucket: env.BACKUP_BUCKET,
        partition: partitionOf(env.BACKUP_ROLE_ARN),
      }
    : undefined;

const onRecord = recordHandler({
  store,
  sqs,
  queueUrl,
  metrics: createMetrics(),
  logger,
  workflow: {
    store,
    kube: (eksCluster) => kube.client(eksCluster),
    invalidateKube: (eksCluster) => kube.invalidate(eksCluster),
    classify: (e) => classifyKubeError(e),
    requeue: async (message, delaySeconds) => {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: delaySeconds,
        }),
      );
    },
    eksClusters,
    now: () => new Date(),
    logger,
    pollBaseSeconds: env.POLL_BASE_SECONDS,
    maxTransientRetries: 8,
    backupObjects: s3BackupObjects(s3Client(Boolean(env.AWS_ENDPOINT_URL_S3))),
    ...(backupIdentity ? { backupIdentity } : {}),
    ...(env.BACKUP_OBJECT_LOCK ? { objectLock: env.BACKUP_OBJECT_LOCK } : {}),
  },
});

export const handler = instrumented(logger, async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, onRecord, processor, { context, throwOnFullBatchFailure: false }),
);
