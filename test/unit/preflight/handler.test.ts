import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/preflight/handler.js';

const eks = mockClient(EKSClient);
let server: Server;
let url: string;
let answers: Array<Record<string, string>>;

beforeAll(async () => {
  // CloudFormation's presigned response URL, as a real HTTP server: the handler must PUT its answer.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      answers.push({ method: req.method ?? '', ...JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  eks.reset();
  answers = [];
});

const event = (requestType: 'Create' | 'Update' | 'Delete', clusters: string[]) =>
  ({
    RequestType: requestType,
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Stratus-prod-eu-west-1/x',
    RequestId: 'req-1',
    LogicalResourceId: 'PreflightCheck',
    ResourceType: 'Custom::StratusPreflight',
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
    ResourceProperties: { ServiceToken: 'x', Clusters: clusters, Region: 'eu-west-1' },
    ...(requestType === 'Create'
      ? {}
      : { PhysicalResourceId: 'stratus-preflight-PreflightCheck', OldResourceProperties: {} }),
  }) as unknown as CloudFormationCustomResourceEvent;

describe('Function: preflight (custom resource)', () => {
  it('answers SUCCESS when every cluster is ACTIVE and takes access entries', async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: { status: 'ACTIVE', accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } },
    });
    await handler(event('Create', ['a', 'b']));
    expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input.name)).toEqual(['a', 'b']);
    expect(answers).toEqual([
      expect.objectContaining({
        method: 'PUT',
        Status: 'SUCCESS',
        RequestId: 'req-1',
        LogicalResourceId: 'PreflightCheck',
      }),
    ]);
  });

  it('answers FAILED, naming the command that fixes it, for a CONFIG_MAP cluster and a missing one', async () => {
    eks
      .on(DescribeClusterCommand, { name: 'legacy' })
      .resolves({ cluster: { status: 'ACTIVE', accessConfig: { authenticationMode: 'CONFIG_MAP' } } })
      .on(DescribeClusterCommand, { name: 'gone' })
      .rejects(new ResourceNotFoundException({ message: 'No cluster found', $metadata: {} }));
    await handler(event('Update', ['legacy', 'gone']));
    expect(answers).toHaveLength(1);
    expect(answers[0]?.Status).toBe('FAILED');
    expect(answers[0]?.PhysicalResourceId).toBe('stratus-preflight-PreflightCheck');
    expect(answers[0]?.Reason).toContain(
      'EKS cluster legacy authenticates with CONFIG_MAP only, and Stratus maps its roles with access entries: run `aws eks update-cluster-config --region eu-west-1 --name legacy --access-config authenticationMode=API_AND_CONFIG_MAP`',
    );
    expect(answers[0]?.Reason).toContain('EKS cluster gone does not exist in eu-west-1 (this account)');
  });

  it('answers FAILED, rather than never, when the clusters cannot be read', async () => {
    eks
      .on(DescribeClusterCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await handler(event('Create', ['a']));
    expect(answers).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'Stratus prerequisites could not be checked: AccessDeniedException: not authorized',
      }),
    ]);
  });

  it('lets a delete succeed without reading anything', async () => {
    await handler(event('Delete', ['a']));
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(0);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });
});
