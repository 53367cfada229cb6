import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionId, takeoverFunctions } from '../../functions/topology.js';
import { addStratusStacks } from '../../lib/app.js';
import { functionRoleName, parseConfig, takeoverRoleName } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';

/*
 * Issue #11: a three-region installation synthesizes, stack by stack, cdk-nag clean, with every
 * option of the config in use somewhere, and the regions wired to each other: the global table
 * and the page-token secret replicated from the primary, deployment order, the regions' API URLs
 * for 421 answers, every region's EKS clusters, takeover roles (one region opting out), and each
 * region's own alarm topic and certificate.
 */

const ACCOUNT = '123456789012';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'] as const;
const US_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:ops-alarms`;
const certificate = (region: string) =>
  `arn:aws:acm:${region}:${ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555`;

const THREE_REGIONS = parseConfig({
  stage: 'staging',
  removalPolicy: 'destroy',
  apiThrottling: { rateLimit: 50, burstLimit: 100 },
  alarms: { email: 'oncall@example.com', apiP99LatencyMs: 2000 },
  logRetentionDays: 14,
  regions: [
    {
      region: 'eu-west-1',
      eksClusters: [{ name: 'stratus-euw1-a' }, { name: 'stratus-euw1-b', capacityNodes: 100 }],
      customDomain: {
        domainName: 'api.eu-west-1.stratus.example.com',
        certificateArn: certificate('eu-west-1'),
      },
    },
    {
      region: 'us-east-1',
      eksClusters: [{ name: 'stratus-use1-a' }],
      customDomain: {
        domainName: 'api.us-east-1.stratus.example.com',
        certificateArn: certificate('us-east-1'),
      },
      alarmTopicArn: US_TOPIC,
    },
    {
      region: 'ap-southeast-1',
      eksClusters: [{ name: 'stratus-apse1-a' }],
      apiUrl: 'https://abc123.execute-api.ap-southeast-1.amazonaws.com/live',
      takeoverAccess: false,
    },
  ],
});

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: App;
let stacks: StratusRegionStack[];
let assembly: CloudAssembly;
const templates = new Map<string, Template>();
const byRegion = (region: string) => {
  const stack = stacks.find((s) => s.region === region);
  if (stack === undefined) throw new Error(`no stack in ${region}`);
  return stack;
};
const template = (stack: StratusRegionStack) => templates.get(stack.region) as Template;

function envOf(stack: StratusRegionStack, fnId: FunctionId): Record<string, unknown> {
  const id = stack.getLogicalId(
    (stack.functions.get(fnId) as LambdaFunction).node.defaultChild as CfnFunction,
  );
  const fn = (template(stack).findResources('AWS::Lambda::Function') as Resources)[id];
  if (fn === undefined) throw new Error(`no ${fnId} function in ${stack.region}`);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stacks = addStratusStacks(app, THREE_REGIONS, { account: ACCOUNT });
  // As bin/app.ts: cdk-nag runs as a validation plugin during synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  assembly = app.synth();
  for (const stack of stacks) templates.set(stack.region, Template.fromStack(stack));
});

describe('Three regions: synth', () => {
  it('synthesizes one stack per region, Stratus-<stage>-<region>, in its region', () => {
    expect(stacks.map((s) => [s.stackName, s.region])).toEqual(
      REGIONS.map((r) => [`Stratus-staging-${r}`, r]),
    );
    for (const region of REGIONS) {
      const artifact = assembly.getStackByName(`Stratus-staging-${region}`);
      expect(artifact.environment.region).toBe(region);
      expect(Object.keys(artifact.template.Resources).length).toBeGreaterThan(100);
    }
  });

  it('passes cdk-nag in every stack, with an empty validation report', () => {
    // As test/infra/nag.test.ts: the checks themselves, then the report synth wrote.
    const findings = new AwsSolutionsChecks(app)
      .validateScope(app)
      .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Array<{ violations?: unknown[] }>).flatMap(
      (r) => r.violations ?? [],
    );
    expect(violations).toEqual([]);
  });

  it('keeps the longest IAM role names within 64 characters with ap-southeast-1', () => {
    const names = Object.values(
      template(byRegion('ap-southeast-1')).findResources('AWS::IAM::Role') as Resources,
    )
      .map((r) => r.Properties.RoleName)
      .filter((n): n is string => typeof n === 'string');
    expect(names).toContain(functionRoleName('staging', 'ap-southeast-1', 'statusPublisher'));
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(64);
  });
});

describe('Three regions: cross-region wiring', () => {
  it('makes the primary own the global table with a replica in each region, and the others look up their replica', () => {
    const [primary, ...secondaries] = stacks as [StratusRegionStack, ...StratusRegionStack[]];
    const [table] = Object.values(template(primary).findResources('AWS::DynamoDB::GlobalTable') as Resources);
    const replicas = (table?.Properties.Replicas ?? []) as Array<{ Region: string }>;
    expect(replicas.map((r) => r.Region).sort()).toEqual([...REGIONS].sort());
    for (const stack of secondaries) {
      expect(template(stack)).toHaveResourceCount('AWS::DynamoDB::GlobalTable', 0);
      const [lookup] = Object.values(template(stack).findResources('Custom::AWS') as Resources);
      expect(JSON.parse(String(lookup?.Properties.Create))).toMatchObject({
        action: 'describeTable',
        parameters: { TableName: 'stratus-staging' },
        region: stack.region,
      });
    }
  });

  it('deploys both other regions after the primary, and the primary after nothing', () => {
    const [primary, ...secondaries] = stacks as [StratusRegionStack, ...StratusRegionStack[]];
    expect(primary.dependencies).toEqual([]);
    for (const stack of secondaries) expect(stack.dependencies).toEqual([primary]);
  });

  it('replicates the page-token secret from the primary to the two other regions', () => {
    const [primary, ...secondaries] = stacks as [StratusRegionStack, ...StratusRegionStack[]];
    expect(template(primary)).toHaveResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'stratus/staging/page-token-key',
      ReplicaRegions: [{ Region: 'us-east-1' }, { Region: 'ap-southeast-1' }],
    });
    for (const stack of secondaries)
      expect(template(stack)).toHaveResourceCount('AWS::SecretsManager::Secret', 0);
  });

  it("gives every region's functions every region, every region's API URL and every region's EKS clusters", () => {
    for (const stack of stacks) {
      const api = envOf(stack, 'api');
      expect(api.STRATUS_REGIONS).toBe(REGIONS.join(','));
      // Custom domains where there is one, the given apiUrl elsewhere.
      expect(JSON.parse(String(api.STRATUS_API_URLS))).toEqual({
        'eu-west-1': 'https://api.eu-west-1.stratus.example.com',
        'us-east-1': 'https://api.us-east-1.stratus.example.com',
        'ap-southeast-1': 'https://abc123.execute-api.ap-southeast-1.amazonaws.com/live',
      });
      const withClusters = (Object.keys(FUNCTIONS) as FunctionId[]).filter(
        (fnId) => 'EKS_CLUSTERS' in FUNCTIONS[fnId].environment,
      );
      expect(withClusters.length).toBeGreaterThan(0);
      for (const fnId of withClusters) {
        expect(
          (
            JSON.parse(String(envOf(stack, fnId).EKS_CLUSTERS)) as Array<{ name: string; region: string }>
          ).map((c) => `${c.region}/${c.name}`),
        ).toEqual([
          'eu-west-1/stratus-euw1-a',
          'eu-west-1/stratus-euw1-b',
          'us-east-1/stratus-use1-a',
          'ap-southeast-1/stratus-apse1-a',
        ]);
      }
    }
  });

  it('lets each region take over only the regions that allow it, and ap-southeast-1 (takeoverAccess false) be taken over by none', () => {
    const takeoverRoles = (stack: StratusRegionStack) =>
      Object.values(template(stack).findResources('AWS::IAM::Role') as Resources)
        .map((r) => r.Properties.RoleName)
        .filter((n): n is string => typeof n === 'string' && n.endsWith('-takeover'))
        .sort();
    const takeoverArns = (stack: StratusRegionStack, fnId: FunctionId) =>
      JSON.stringify(stack.resolve(envOf(stack, fnId).TAKEOVER_ROLE_ARNS));

    for (const region of ['eu-west-1', 'us-east-1']) {
      const stack = byRegion(region);
      expect(takeoverRoles(stack)).toEqual(
        takeoverFunctions()
          .map((fnId) => takeoverRoleName('staging', region, fnId))
          .sort(),
      );
      for (const fnId of takeoverFunctions()) {
        const other = region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
        expect(takeoverArns(stack, fnId)).toContain(takeoverRoleName('staging', other, fnId));
        expect(takeoverArns(stack, fnId)).not.toContain('ap-southeast-1');
      }
    }
    const apse = byRegion('ap-southeast-1');
    expect(takeoverRoles(apse)).toEqual([]);
    for (const fnId of takeoverFunctions()) {
      // It may still take over the two others.
      expect(takeoverArns(apse, fnId)).toContain(takeoverRoleName('staging', 'eu-west-1', fnId));
      expect(takeoverArns(apse, fnId)).toContain(takeoverRoleName('staging', 'us-east-1', fnId));
    }
    expect(Object.keys(FUNCTIONS)).toEqual(expect.arrayContaining(takeoverFunctions()));
  });

  it("alarms to each region's own topic: the configured one in us-east-1, a created and subscribed one elsewhere", () => {
    for (const stack of stacks) {
      const t = template(stack);
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm') as Resources);
      expect(alarms).toHaveLength(22);
      const expected =
        stack.region === 'us-east-1'
          ? US_TOPIC
          : { Ref: stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as never) };
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([expected]);
      expect(t).toHaveResourceCount('AWS::SNS::Subscription', stack.region === 'us-east-1' ? 0 : 1);
      expect(t).toHaveResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `stratus-staging-${stack.region}`,
      });
    }
  });

  it("maps each custom domain with its own region's certificate, and none where there is no custom domain", () => {
    for (const stack of stacks) {
      const t = template(stack);
      if (stack.region === 'ap-southeast-1') {
        expect(t).toHaveResourceCount('AWS::ApiGateway::DomainName', 0);
        continue;
      }
      expect(t).toHaveResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: `api.${stack.region}.stratus.example.com`,
        RegionalCertificateArn: certificate(stack.region),
      });
    }
  });

  it('applies the shared settings in every region: throttling, removal policy, log retention', () => {
    for (const stack of stacks) {
      const t = template(stack);
      const stage = Object.values(t.findResources('AWS::ApiGateway::Stage') as Resources)[0];
      expect(stage?.Properties.MethodSettings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
        ]),
      );
      for (const [id, group] of Object.entries(t.findResources('AWS::Logs::LogGroup'))) {
        expect((group as { DeletionPolicy?: string }).DeletionPolicy, id).toBe('Delete');
        expect((group as { Properties: { RetentionInDays?: number } }).Properties.RetentionInDays, id).toBe(
          14,
        );
      }
    }
  });
});
