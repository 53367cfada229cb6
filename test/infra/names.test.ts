import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp } from './synth.js';

/*
 * The physical names of the shipped config (cdk.json's "stratus" context) are part of the
 * deployment contract: other regions trust the roles by name, operators and the admin CLI look
 * queues up by name, and a new table or bus name replaces the resource. Written out here, not
 * derived from lib/names.ts, so that a change there fails this test.
 */

const NAMED: Record<string, string> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::ApiGateway::RestApi': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
};

const ROLES = (region: string) => [
  `stratus-prod-${region}-api`,
  `stratus-prod-${region}-backup-pods`,
  `stratus-prod-${region}-dispatcher`,
  `stratus-prod-${region}-provisioner`,
  `stratus-prod-${region}-provisioner-takeover`,
  `stratus-prod-${region}-reconciler`,
  `stratus-prod-${region}-reconciler-takeover`,
  `stratus-prod-${region}-reveal`,
  `stratus-prod-${region}-reveal-takeover`,
  `stratus-prod-${region}-status-publisher`,
];
const QUEUES = [
  'stratus-prod-dispatcher-stream-failures',
  'stratus-prod-provisioning',
  'stratus-prod-provisioning-dlq',
  'stratus-prod-statusPublisher-stream-failures',
];

let stacks: StratusRegionStack[];

/** Every name the stack's template sets, by resource type (string names only: tokens would show). */
function names(stack: StratusRegionStack): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const { Type, Properties } of Object.values(resources)) {
    const key = NAMED[Type];
    if (key === undefined || Properties?.[key] === undefined) continue;
    out[Type] = [...(out[Type] ?? []), Properties[key]];
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

beforeAll(() => {
  const shipped = JSON.parse(readFileSync('cdk.json', 'utf8')).context.stratus;
  stacks = buildApp(parseConfig(shipped)).stacks;
});

describe('Physical names of the shipped config', () => {
  it('names the stacks Stratus-<stage>-<region>', () => {
    // Act
    const stackNames = stacks.map((s) => s.stackName);

    // Assess
    expect(stackNames).toEqual(['Stratus-prod-eu-west-1', 'Stratus-prod-us-east-1']);
  });

  it('keeps the primary region names unchanged', () => {
    // Prepare
    const [primary] = stacks as [StratusRegionStack];

    // Act
    const named = names(primary);

    // Assess
    expect(named).toEqual({
      'AWS::DynamoDB::GlobalTable': ['stratus-prod'],
      'AWS::Events::EventBus': ['stratus-prod'],
      'AWS::ApiGateway::RestApi': ['stratus-prod'],
      'AWS::SQS::Queue': QUEUES,
      'AWS::IAM::Role': ROLES('eu-west-1'),
      'AWS::SecretsManager::Secret': ['stratus/prod/page-token-key'],
      'AWS::CloudWatch::Dashboard': ['stratus-prod-eu-west-1'],
    });
  });

  it('keeps the secondary region names unchanged (the table and the secret are replicas there)', () => {
    // Prepare
    const [, secondary] = stacks as [StratusRegionStack, StratusRegionStack];

    // Act
    const named = names(secondary);

    // Assess
    expect(named).toEqual({
      'AWS::Events::EventBus': ['stratus-prod'],
      'AWS::ApiGateway::RestApi': ['stratus-prod'],
      'AWS::SQS::Queue': QUEUES,
      'AWS::IAM::Role': ROLES('us-east-1'),
      'AWS::CloudWatch::Dashboard': ['stratus-prod-us-east-1'],
    });
  });
});
