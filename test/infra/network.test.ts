import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionId } from '../../functions/topology.js';
import { addStratusStacks } from '../../lib/app.js';
import { parseConfig } from '../../lib/config.js';
import { INTERFACE_ENDPOINTS } from '../../lib/network.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';

/*
 * Issue #11: the Kubernetes-facing functions in a VPC's private subnets (private EKS API
 * endpoints), with the VPC endpoints they need, or a NAT gateway of the platform's ("existing").
 */

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const subnet = (n: number, zone: string, rtb = true) => ({
  subnetId: `subnet-0000000000000000${n}`,
  availabilityZone: zone,
  ...(rtb ? { routeTableId: `rtb-0000000000000000${n}` } : {}),
});
const VPC = { vpcId: 'vpc-0123456789abcdef0', subnets: [subnet(1, 'eu-west-1a'), subnet(2, 'eu-west-1b')] };

const config = parseConfig({
  stage: 'test',
  regions: [
    { region: 'eu-west-1', eksClusters: [{ name: 'stratus-euw1-a' }], vpc: VPC },
    {
      region: 'us-east-1',
      eksClusters: [{ name: 'stratus-use1-a' }],
      vpc: {
        vpcId: 'vpc-0123456789abcdef1',
        subnets: [subnet(3, 'us-east-1a', false), subnet(4, 'us-east-1b', false)],
        endpoints: 'existing',
      },
    },
  ],
});

let app: App;
let withEndpoints: StratusRegionStack;
let withNat: StratusRegionStack;
let t: Template;

beforeAll(() => {
  app = new App();
  [withEndpoints, withNat] = addStratusStacks(app, config, { account: '123456789012' }) as [
    StratusRegionStack,
    StratusRegionStack,
  ];
  t = Template.fromStack(withEndpoints);
});

const kubeFacing = (Object.keys(FUNCTIONS) as FunctionId[]).filter((fn) =>
  (FUNCTIONS[fn].permissions as readonly string[]).some((p) => p.startsWith('eks:')),
);

describe('Class: StratusNetwork', () => {
  it('puts exactly the Kubernetes-facing functions in the private subnets, with their own security group', () => {
    expect(kubeFacing.sort()).toEqual(['provisioner', 'reconciler', 'reveal']);
    const sg = withEndpoints.getLogicalId(withEndpoints.network?.securityGroup.node.defaultChild as never);
    for (const fnId of Object.keys(FUNCTIONS) as FunctionId[]) {
      const fn = withEndpoints.functions.get(fnId) as LambdaFunction;
      const props = Template.fromStack(withEndpoints).findResources('AWS::Lambda::Function', {
        Properties: {
          Role: { 'Fn::GetAtt': [withEndpoints.getLogicalId(fn.role?.node.defaultChild as never), 'Arn'] },
        },
      }) as Resources;
      const [resource] = Object.values(props);
      if (kubeFacing.includes(fnId)) {
        expect(resource?.Properties.VpcConfig, fnId).toEqual({
          SubnetIds: ['subnet-00000000000000001', 'subnet-00000000000000002'],
          SecurityGroupIds: [{ 'Fn::GetAtt': [sg, 'GroupId'] }],
        });
      } else {
        expect(resource?.Properties.VpcConfig, fnId).toBeUndefined();
      }
    }
  });

  it('lets the functions out on HTTPS only, and gives their roles the ENI actions Lambda needs', () => {
    expect(t).toHaveResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Kubernetes-facing functions'),
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() },
      ],
    });
    const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources);
    for (const fnId of Object.keys(FUNCTIONS) as FunctionId[]) {
      const role = withEndpoints.getLogicalId(
        (withEndpoints.functions.get(fnId) as LambdaFunction).role?.node.defaultChild as never,
      );
      const actions = policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap(
          (p) =>
            (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement,
        )
        .flatMap((s) => [s.Action].flat());
      expect(actions.includes('ec2:CreateNetworkInterface'), fnId).toBe(kubeFacing.includes(fnId));
    }
  });

  it('creates an interface endpoint per AWS API the functions call, reachable from their security group only, and a DynamoDB gateway endpoint', () => {
    expect(t).toHaveResourceCount('AWS::EC2::VPCEndpoint', Object.keys(INTERFACE_ENDPOINTS).length + 1);
    for (const service of ['eks', 'sqs', 'sts', 'events', 'xray']) {
      expect(t).toHaveResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: `com.amazonaws.eu-west-1.${service}`,
        PrivateDnsEnabled: true,
        SubnetIds: ['subnet-00000000000000001', 'subnet-00000000000000002'],
      });
    }
    expect(t).toHaveResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      RouteTableIds: ['rtb-00000000000000001', 'rtb-00000000000000002'],
    });
    const sg = withEndpoints.getLogicalId(withEndpoints.network?.securityGroup.node.defaultChild as never);
    expect(t).toHaveResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
    });
  });

  it('creates no endpoint when the subnets reach the AWS APIs already (endpoints: existing)', () => {
    const nat = Template.fromStack(withNat);
    expect(nat).toHaveResourceCount('AWS::EC2::VPCEndpoint', 0);
    expect(nat).toHaveResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-00000000000000003', 'subnet-00000000000000004'] },
    });
  });

  it('passes cdk-nag with a VPC', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });
});

describe('Function: parseConfig (vpc)', () => {
  const withVpc = (vpc: unknown) => () =>
    parseConfig({ stage: 'test', regions: [{ region: 'eu-west-1', eksClusters: [{ name: 'a' }], vpc }] });

  it('refuses subnets in one availability zone, or fewer than two', () => {
    expect(withVpc({ ...VPC, subnets: [subnet(1, 'eu-west-1a'), subnet(2, 'eu-west-1a')] })).toThrow(
      'vpc.subnets are all in eu-west-1a: give subnets in at least two availability zones',
    );
    expect(withVpc({ ...VPC, subnets: [subnet(1, 'eu-west-1a')] })).toThrow(
      'vpc.subnets needs at least two private subnets',
    );
  });

  it('refuses a subnet without its route table when the endpoints are created, and a zone of another region', () => {
    expect(withVpc({ ...VPC, subnets: [subnet(1, 'eu-west-1a'), subnet(2, 'eu-west-1b', false)] })).toThrow(
      'vpc.subnets[1] (subnet-00000000000000002) needs its routeTableId',
    );
    expect(withVpc({ ...VPC, subnets: [subnet(1, 'eu-west-1a'), subnet(2, 'us-east-1b')] })).toThrow(
      'vpc.subnets[1] is in us-east-1b, which is not a zone of eu-west-1',
    );
  });

  it('refuses IDs that are not VPC, subnet or route table IDs, and unknown keys', () => {
    expect(withVpc({ ...VPC, vpcId: 'my-vpc' })).toThrow('a VPC ID such as vpc-0a1b2c3d4e5f67890');
    expect(
      withVpc({ ...VPC, subnets: [{ ...subnet(1, 'eu-west-1a'), subnetId: 's1' }, subnet(2, 'eu-west-1b')] }),
    ).toThrow('a subnet ID such as subnet-');
    expect(withVpc({ ...VPC, natGateway: true })).toThrow(/natGateway/);
  });
});
