import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * SDK client factories, one place for their options. Endpoints come from the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which the local runtime sets; in AWS they are unset.
 */

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Queue URLs from a local emulator name hosts that do not resolve: always use the configured endpoint. */
export function sqsClient(): SQSClient {
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}

export function eventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({});
}
