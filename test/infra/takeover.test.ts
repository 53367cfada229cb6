import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionId, takeoverFunctions } from '../../functions/topology.js';
import { addStratusStacks } from '../../lib/app.js';
import { functionRoleName, parseConfig, type StratusConfig, takeoverRoleName } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #9, takeover (docs/eks.md "Takeover access", docs/decisions.md D19): each region's stack
 * has, for each Kubernetes-facing function, a role that the same function of the other regions
 * may assume, with the same EKS access on this region's clusters as this region's own function;
 * and one page-token key for all regions.
 */

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

const ACCOUNT = '123456789012';
const roleArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/${name}`]],
});

const ACCOUNT_ROOT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:root`]] };

let stacks: StratusRegionStack[];
let primary: StratusRegionStack;
let secondary: StratusRegionStack;
const templates = new Map<StratusRegionStack, Template>();

function template(stack: StratusRegionStack): Template {
  let t = templates.get(stack);
  if (t === undefined) {
    t = Template.fromStack(stack);
    templates.set(stack, t);
  }
  return t;
}

function build(config: StratusConfig): StratusRegionStack[] {
  return addStratusStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config, {
    account: ACCOUNT,
  });
}

const others = (stack: StratusRegionStack) =>
  TWO_REGIONS.regions.map((r) => r.region).filter((r) => r !== stack.region);
const clustersOf = (stack: StratusRegionStack) =>
  TWO_REGIONS.regions.find((r) => r.region === stack.region)?.eksClusters ?? [];
const functionRole = (stack: StratusRegionStack, fnId: FunctionId) =>
  (stack.functions.get(fnId) as LambdaFunction).role;
const logicalId = (stack: StratusRegionStack, construct: { node: { defaultChild?: unknown } } | undefined) =>
  stack.getLogicalId(construct?.node.defaultChild as never);

/** The statements of the policies attached to a role (by logical ID). */
function statementsOf(stack: StratusRegionStack, roleLogicalId: string): Statement[] {
  const policies = template(stack).findResources('AWS::IAM::Policy') as Resources;
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function envOf(stack: StratusRegionStack, fnId: FunctionId, t = template(stack)): Record<string, unknown> {
  const fns = t.findResources('AWS::Lambda::Function') as Resources;
  const fn = must(
    fns[logicalId(stack, stack.functions.get(fnId) as LambdaFunction)],
    `${fnId} in ${stack.region}`,
  );
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Every identity-policy statement of a template that allows an sts: action. */
function stsGrants(t: Template): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy') as Resources)
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('sts:')));
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

beforeAll(() => {
  ({ stacks } = buildApp());
  [primary, secondary] = stacks as [StratusRegionStack, StratusRegionStack];
});

describe('Function: role names', () => {
  it('names every function role stratus-<stage>-<region>-<function>, so that other regions can trust it by ARN', () => {
    for (const stack of stacks) {
      for (const fnId of Object.keys(FUNCTIONS) as FunctionId[]) {
        const role =
          template(stack).findResources('AWS::IAM::Role')[logicalId(stack, functionRole(stack, fnId))];
        expect(role?.Properties.RoleName, `${fnId} in ${stack.region}`).toBe(
          functionRoleName('test', stack.region, fnId),
        );
      }
    }
    expect(functionRoleName('prod', 'eu-west-1', 'statusPublisher')).toBe(
      'stratus-prod-eu-west-1-status-publisher',
    );
    expect(takeoverRoleName('prod', 'eu-west-1', 'provisioner')).toBe(
      'stratus-prod-eu-west-1-provisioner-takeover',
    );
  });

  it('fits the 64-character IAM limit with the longest region names, and says which stage fits when not', () => {
    // Prepare: 14 characters, today's longest region names
    const config = (stage: string) => ({
      stage,
      regions: [
        { region: 'ap-southeast-1', eksClusters: [{ name: 'a' }] },
        { region: 'ap-northeast-1', eksClusters: [{ name: 'b' }] },
      ],
    });

    // Act & Assess: a 20-character stage fits, 21 (the longest the stage pattern allows) does not
    expect(() => parseConfig(config('s'.repeat(20)))).not.toThrow();
    expect(() => parseConfig(config('s'.repeat(21)))).toThrow(
      /stratus-s{21}-ap-southeast-1-provisioner-takeover has 65 characters .* at most 20 characters/,
    );
  });
});

describe('Class: StratusFunctions (takeover roles)', () => {
  it('gives the Kubernetes-facing functions (provisioner, reconciler, reveal) takeover roles', () => {
    expect(takeoverFunctions().sort()).toEqual(['provisioner', 'reconciler', 'reveal']);
  });

  it('creates one role per takeover function with the fixed name stratus-<stage>-<region>-<function>-takeover', () => {
    for (const stack of stacks) {
      const t = template(stack);
      for (const fnId of takeoverFunctions()) {
        const role = stack.functions.takeoverRole(fnId);
        expect(role, `${fnId} in ${stack.region}`).toBeDefined();
        expect(t).toHaveResourceProperties('AWS::IAM::Role', {
          RoleName: takeoverRoleName('test', stack.region, fnId),
          MaxSessionDuration: 3600,
        });
      }
      // Function roles, takeover roles and the CDK's own (custom resource provider, API Gateway logs).
      const takeoverRoles = t.findResources('AWS::IAM::Role', {
        Properties: { RoleName: Match.stringLikeRegexp('-takeover$') },
      });
      expect(Object.keys(takeoverRoles)).toHaveLength(takeoverFunctions().length);
    }
  });

  it('trusts only the same function of the other regions: the account, conditioned on aws:PrincipalArn', () => {
    for (const stack of stacks) {
      for (const fnId of takeoverFunctions()) {
        const role =
          template(stack).findResources('AWS::IAM::Role')[
            logicalId(stack, stack.functions.takeoverRole(fnId))
          ];
        expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: ACCOUNT_ROOT },
              Condition: {
                ArnLike: {
                  'aws:PrincipalArn': others(stack).map((r) => roleArn(functionRoleName('test', r, fnId))),
                },
              },
            },
          ],
        });
      }
    }
  });

  it("allows the takeover role eks:DescribeCluster on this region's EKS clusters only", () => {
    for (const stack of stacks) {
      for (const fnId of takeoverFunctions()) {
        const statements = statementsOf(stack, logicalId(stack, stack.functions.takeoverRole(fnId)));
        expect(statements).toHaveLength(1);
        expect(statements[0]).toMatchObject({ Action: 'eks:DescribeCluster', Effect: 'Allow' });
        expect([statements[0]?.Resource].flat()).toEqual(
          clustersOf(stack).map((c) =>
            stack.resolve(
              Stack.of(stack).formatArn({ service: 'eks', resource: 'cluster', resourceName: c.name }),
            ),
          ),
        );
      }
    }
  });

  it("maps the takeover role into every EKS cluster of the region with exactly its own function's groups and policies", () => {
    for (const stack of stacks) {
      const entries = Object.values(template(stack).findResources('AWS::EKS::AccessEntry') as Resources);
      const byPrincipal = (roleLogicalId: string) =>
        entries.filter(
          (e) =>
            JSON.stringify(e.Properties.PrincipalArn) ===
            JSON.stringify({ 'Fn::GetAtt': [roleLogicalId, 'Arn'] }),
        );
      for (const fnId of takeoverFunctions()) {
        const own = byPrincipal(logicalId(stack, functionRole(stack, fnId)));
        const takeover = byPrincipal(logicalId(stack, stack.functions.takeoverRole(fnId)));
        expect(takeover.map((e) => e.Properties.ClusterName).sort()).toEqual(
          clustersOf(stack)
            .map((c) => c.name)
            .sort(),
        );
        const access = (e: Resources[string] | undefined) => ({
          ClusterName: e?.Properties.ClusterName,
          Type: e?.Properties.Type,
          KubernetesGroups: e?.Properties.KubernetesGroups,
          AccessPolicies: e?.Properties.AccessPolicies,
        });
        const sorted = (es: Resources[string][]) =>
          es.map(access).sort((a, b) => String(a.ClusterName).localeCompare(String(b.ClusterName)));
        expect(sorted(takeover), `${fnId} in ${stack.region}`).toEqual(sorted(own));
      }
      // The groups, as docs/eks.md binds them.
      const groups = (fnId: FunctionId) =>
        byPrincipal(logicalId(stack, stack.functions.takeoverRole(fnId)))[0]?.Properties.KubernetesGroups;
      expect(groups('provisioner')).toEqual(['stratus-provisioner']);
      expect(groups('reconciler')).toEqual(['stratus-reconciler']);
      expect(groups('reveal')).toEqual(['stratus-secret-reader']);
    }
  });

  it("grants each takeover function sts:AssumeRole on the same function's takeover roles of the other regions, by name", () => {
    for (const stack of stacks) {
      for (const fnId of Object.keys(FUNCTIONS) as FunctionId[]) {
        const assume = statementsOf(stack, logicalId(stack, functionRole(stack, fnId))).filter((s) =>
          [s.Action].flat().some((a) => a.startsWith('sts:')),
        );
        if (!takeoverFunctions().includes(fnId)) {
          expect(assume, `${fnId} in ${stack.region}`).toEqual([]);
          continue;
        }
        const [other] = others(stack);
        expect(assume, `${fnId} in ${stack.region}`).toEqual([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Resource: roleArn(takeoverRoleName('test', other as string, fnId)),
          },
        ]);
      }
    }
  });

  it('tells each takeover function the ARN of its takeover role in every other region (TAKEOVER_ROLE_ARNS)', () => {
    for (const stack of stacks) {
      for (const fnId of takeoverFunctions()) {
        const [other] = others(stack);
        expect(envOf(stack, fnId).TAKEOVER_ROLE_ARNS).toEqual({
          'Fn::Join': [
            '',
            [
              `{"${other}":"arn:`,
              { Ref: 'AWS::Partition' },
              `:iam::${ACCOUNT}:role/${takeoverRoleName('test', other as string, fnId)}"}`,
            ],
          ],
        });
      }
    }
  });

  it('creates no takeover role and grants no AssumeRole in a single-region installation', () => {
    // Prepare
    const [solo] = build(
      parseConfig({ stage: 'solo', regions: [{ region: 'eu-west-1', eksClusters: [{ name: 'a' }] }] }),
    );
    const stack = solo as StratusRegionStack;

    // Assess
    const t = Template.fromStack(stack);
    expect(
      Object.keys(
        t.findResources('AWS::IAM::Role', { Properties: { RoleName: Match.stringLikeRegexp('-takeover$') } }),
      ),
    ).toEqual([]);
    expect(stsGrants(t)).toEqual([]);
    for (const fnId of takeoverFunctions()) expect(envOf(stack, fnId, t).TAKEOVER_ROLE_ARNS).toBe('{}');
  });

  it('turns takeover access off for a region with takeoverAccess: false, on both sides', () => {
    // Prepare: us-east-1 opts out
    const [eu, us] = build(
      parseConfig({
        stage: 'test',
        regions: [
          { region: 'eu-west-1', eksClusters: [{ name: 'euw1-a' }] },
          { region: 'us-east-1', eksClusters: [{ name: 'use1-a' }], takeoverAccess: false },
        ],
      }),
    ) as [StratusRegionStack, StratusRegionStack];

    // Assess: no takeover role in us-east-1 ...
    const usTemplate = Template.fromStack(us);
    expect(
      Object.keys(
        usTemplate.findResources('AWS::IAM::Role', {
          Properties: { RoleName: Match.stringLikeRegexp('-takeover$') },
        }),
      ),
    ).toEqual([]);
    expect(
      Object.keys(usTemplate.findResources('AWS::EKS::AccessEntry')).filter((id) => id.includes('Takeover')),
    ).toEqual([]);
    // ... eu-west-1's functions neither know nor may assume one there ...
    const euTemplate = Template.fromStack(eu);
    expect(stsGrants(euTemplate)).toEqual([]);
    for (const fnId of takeoverFunctions()) expect(envOf(eu, fnId, euTemplate).TAKEOVER_ROLE_ARNS).toBe('{}');
    // ... while eu-west-1 still allows us-east-1 in.
    expect(euTemplate).toHaveResourceProperties('AWS::IAM::Role', {
      RoleName: 'stratus-test-eu-west-1-provisioner-takeover',
    });
    expect(stsGrants(usTemplate).map((st) => st.Resource)).toContainEqual(
      roleArn('stratus-test-eu-west-1-provisioner-takeover'),
    );
  });
});

describe('Function: parseConfig (EKS pool)', () => {
  it('refuses an EKS cluster name listed in two regions, naming both', () => {
    expect(() =>
      parseConfig({
        regions: [
          { region: 'eu-west-1', eksClusters: [{ name: 'shared' }] },
          { region: 'us-east-1', eksClusters: [{ name: 'shared' }] },
        ],
      }),
    ).toThrow(
      /EKS cluster names must be unique across all regions: "shared" is listed in eu-west-1 and us-east-1/,
    );
  });
});

describe('Class: StratusFunctions (page-token key)', () => {
  it('creates one secret, in the first region, with a fixed name and a replica in every other region', () => {
    expect(template(primary)).toHaveResourceCount('AWS::SecretsManager::Secret', 1);
    expect(template(primary)).toHaveResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'stratus/test/page-token-key',
      ReplicaRegions: others(primary).map((region) => ({ Region: region })),
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
  });

  it('creates no secret in the other regions, and lets their API read the replica by name', () => {
    expect(template(secondary)).toHaveResourceCount('AWS::SecretsManager::Secret', 0);
    const read = statementsOf(secondary, logicalId(secondary, functionRole(secondary, 'api'))).filter((s) =>
      [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(read).toEqual([
      {
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:secretsmanager:${secondary.region}:${ACCOUNT}:secret:stratus/test/page-token-key-??????`,
            ],
          ],
        },
      },
    ]);
  });

  it('gives every region’s API the same secret name (PAGE_TOKEN_SECRET_ID), never a region-specific ARN', () => {
    for (const stack of stacks) {
      expect(envOf(stack, 'api').PAGE_TOKEN_SECRET_ID).toBe('stratus/test/page-token-key');
    }
  });
});
