import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, DynamoDBRecord, SQSRecord } from 'aws-lambda';

let seq = 1000;

/** An API Gateway REST proxy event, as the deployed API (and the local gateway) build it. */
export function apiEvent(p: {
  method: string;
  resource: string;
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}): APIGatewayProxyEvent {
  const body = p.rawBody ?? (p.body === undefined ? null : JSON.stringify(p.body));
  return {
    resource: p.resource,
    path: p.path ?? p.resource,
    httpMethod: p.method,
    headers: { 'content-type': 'application/json', ...p.headers },
    multiValueHeaders: {},
    queryStringParameters: p.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: p.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', stage: 'live' } as APIGatewayProxyEvent['requestContext'],
  };
}

/** A DynamoDB stream record in the Lambda event shape. */
export function streamRecord(p: {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  sequenceNumber?: string;
}): DynamoDBRecord {
  const sequenceNumber = p.sequenceNumber ?? String(seq++);
  return {
    eventID: `ev-${sequenceNumber}`,
    eventName: p.eventName,
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(p.newImage ? { NewImage: marshall(p.newImage, { removeUndefinedValues: true }) as never } : {}),
      ...(p.oldImage ? { OldImage: marshall(p.oldImage, { removeUndefinedValues: true }) as never } : {}),
    },
  };
}

export function sqsRecord(body: unknown, messageId = `m-${seq++}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:q',
    awsRegion: 'eu-west-1',
  };
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'req',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
