import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiEvent } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.STRATUS_REGIONS = 'eu-west-1,us-east-1';
  process.env.PAGE_TOKEN_KEY = 'unit-test-key';
  process.env.STRATUS_CORS_ORIGINS = 'https://console.example.com, https://d111.cloudfront.net';
});

const { route } = await import('../../../functions/api/handler.js');
const ddb = mockClient(DynamoDBDocumentClient);

describe('Function: api (CORS, STRATUS_CORS_ORIGINS)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it("names an allowed origin in every answer, errors included, and reads the list's spaces away", async () => {
    // Prepare: an unknown key, so the answer is a 401 problem.
    ddb.on(GetCommand).resolves({});

    // Act
    const res = await route(
      apiEvent({
        method: 'GET',
        resource: '/v1/clusters',
        headers: {
          authorization: 'Bearer stratus_unknownunknownunknownunknownunknown12',
          origin: 'https://d111.cloudfront.net',
        },
      }),
    );

    // Assess
    expect(res.statusCode).toBe(401);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://d111.cloudfront.net',
      'access-control-expose-headers': 'location, retry-after, x-correlation-id',
      vary: 'Origin',
    });
  });

  it('adds no CORS header for an origin not in the list, or no origin', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    const get = (headers: Record<string, string>) =>
      route(apiEvent({ method: 'GET', resource: '/v1/openapi.json', headers }));

    // Act
    const other = await get({ origin: 'https://evil.example.com' });
    const none = await get({});

    // Assess
    expect(other.statusCode).toBe(200);
    expect(other.headers?.['access-control-allow-origin']).toBeUndefined();
    expect(none.headers?.['access-control-allow-origin']).toBeUndefined();
  });
});
