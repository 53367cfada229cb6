import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { documentClient, sqsClient } from '../shared/aws.js';
import { createKubeClient } from '../shared/kube/client.js';
import { classifyKubeError } from '../shared/kube/errors.js';
import {
  eksKubeConfigProvider,
  fileKubeConfigProvider,
  type KubeConfigProvider,
} from '../shared/kube/provider.js';
import { createLogger } from '../shared/logger.js';
import { ProvisioningMessageSchema } from '../shared/schemas/messages.js';
import { Store } from '../shared/store/store.js';
import { advance, type KubePort, type WorkflowDeps } from './workflow.js';

const tableName = getStringFromEnv({ key: 'TABLE_NAME' });
const region = getStringFromEnv({ key: 'STRATUS_REGION' });
const queueUrl = getStringFromEnv({ key: 'PROVISIONING_QUEUE_URL' });
const kubeAuth = z
  .enum(['eks', 'kubeconfig'])
  .parse(getStringFromEnv({ key: 'KUBE_AUTH', defaultValue: 'eks' }));
const eksClusters = z
  .array(z.object({ name: z.string(), capacityNodes: z.number().int().positive() }))
  .min(1)
  .parse(JSON.parse(getStringFromEnv({ key: 'EKS_CLUSTERS' })));
const pollBaseSeconds = getNumberFromEnv({ key: 'POLL_BASE_SECONDS', defaultValue: 2 });

const logger = createLogger('stratus-provisioner');
const sqs = sqsClient();
const store = new Store(documentClient(), tableName);
const kubeConfigs: KubeConfigProvider =
  kubeAuth === 'eks' ? eksKubeConfigProvider({ region }) : fileKubeConfigProvider(process.env.KUBECONFIG);
const processor = new BatchProcessor(EventType.SQS);

// One client per EKS cluster and credential, so discovery results are reused across invocations.
const kubeClients = new Map<string, { config: unknown; client: KubePort }>();
async function kubeFor(eksCluster: string): Promise<KubePort> {
  const config = await kubeConfigs.get(eksCluster);
  const cached = kubeClients.get(eksCluster);
  if (cached && cached.config === config) return cached.client;
  const client = createKubeClient(config);
  kubeClients.set(eksCluster, { config, client });
  return client;
}

const deps: WorkflowDeps = {
  store,
  kube: kubeFor,
  invalidateKube: (eksCluster) => kubeConfigs.invalidate(eksCluster),
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
  pollBaseSeconds,
  maxTransientRetries: 8,
};

async function recordHandler(record: SQSRecord): Promise<void> {
  // A body that does not parse can never succeed: it fails every receive and so ends in the DLQ.
  const message = ProvisioningMessageSchema.parse(JSON.parse(record.body));
  logger.appendKeys({ operationId: message.operationId, clusterId: message.clusterId });
  try {
    const outcome = await advance(message, deps);
    logger.debug('advanced', { outcome });
  } finally {
    logger.removeKeys(['operationId', 'clusterId']);
  }
}

export const handler = async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context });
