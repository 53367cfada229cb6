import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability.js';

/*
 * SDK client factories, one place for their options. Endpoints come from the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which the local runtime sets; in AWS they are unset.
 * Every client is captured by the Tracer (an X-Ray subsegment per call in Lambda; unchanged
 * where tracing is off, as locally).
 */

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Queue URLs from a local emulator name hosts that do not resolve: always use the configured endpoint. */
export function sqsClient(): SQSClient {
  return tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false }));
}

export function eventBridgeClient(): EventBridgeClient {
  return tracer.captureAWSv3Client(new EventBridgeClient({}));
}
