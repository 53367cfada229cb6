import { CfnOutput } from 'aws-cdk-lib';
import {
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
  Peer,
  Port,
  SecurityGroup,
  Subnet,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { VpcConfig } from './config.js';

/**
 * The AWS APIs the Kubernetes-facing functions call from inside the VPC, each an interface
 * endpoint with `endpoints: "create"`: EKS (DescribeCluster), SQS (the provisioner's delayed
 * retries), STS (AssumeRole of a takeover role; the EKS token itself is presigned locally),
 * EventBridge (the reconciler's events) and X-Ray (tracing). DynamoDB has a gateway endpoint.
 * Not needed: CloudWatch Logs (the Lambda service writes function logs, not the VPC) and Secrets
 * Manager (only the API reads the page-token secret, and it runs outside the VPC).
 */
export const INTERFACE_ENDPOINTS = {
  Eks: InterfaceVpcEndpointAwsService.EKS,
  Sqs: InterfaceVpcEndpointAwsService.SQS,
  Sts: InterfaceVpcEndpointAwsService.STS,
  Events: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  XRay: InterfaceVpcEndpointAwsService.XRAY,
} as const;

export interface StratusNetworkProps {
  readonly stage: string;
  readonly vpc: VpcConfig;
}

/**
 * Where the Kubernetes-facing functions run when the region's config has a `vpc`: its private
 * subnets, with a security group of their own (egress HTTPS only: EKS API endpoints, AWS APIs) and,
 * with `endpoints: "create"`, the VPC endpoints they need (docs/deploy.md, section 2; docs/eks.md,
 * section 4). The VPC and subnets are referenced by ID, never looked up: synth stays offline.
 */
export class StratusNetwork extends Construct {
  public readonly vpc: IVpc;
  public readonly subnets: ISubnet[];
  /** The functions' security group: allow it on TCP 443 in each EKS cluster's security group. */
  public readonly securityGroup: ISecurityGroup;

  constructor(scope: Construct, id: string, props: StratusNetworkProps) {
    super(scope, id);
    const zones = [...new Set(props.vpc.subnets.map((s) => s.availabilityZone))];
    this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: props.vpc.vpcId, availabilityZones: zones });
    this.subnets = props.vpc.subnets.map((s) =>
      Subnet.fromSubnetAttributes(this, `Subnet${s.subnetId}`, {
        subnetId: s.subnetId,
        availabilityZone: s.availabilityZone,
        ...(s.routeTableId ? { routeTableId: s.routeTableId } : {}),
      }),
    );
    this.securityGroup = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: `Stratus ${props.stage} Kubernetes-facing functions: HTTPS out only`,
      allowAllOutbound: false,
    });
    new CfnOutput(this, 'FunctionsSecurityGroupId', {
      value: this.securityGroup.securityGroupId,
      description: 'Allow this group on TCP 443 in the security group of each EKS cluster of the region',
    });
    this.securityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS: the EKS API endpoints, and the AWS APIs (through the VPC endpoints or a NAT gateway)',
    );

    if (props.vpc.endpoints === 'create') {
      const endpointsGroup = new SecurityGroup(this, 'EndpointsSecurityGroup', {
        vpc: this.vpc,
        description: `Stratus ${props.stage} VPC endpoints: HTTPS from the functions only`,
        allowAllOutbound: false,
      });
      endpointsGroup.addIngressRule(this.securityGroup, Port.tcp(443), 'HTTPS from the Stratus functions');
      for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
        new InterfaceVpcEndpoint(this, `${name}Endpoint`, {
          vpc: this.vpc,
          service,
          subnets: { subnets: this.subnets },
          securityGroups: [endpointsGroup],
          privateDnsEnabled: true,
          open: false,
        });
      }
      new GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
        vpc: this.vpc,
        service: GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [{ subnets: this.subnets }],
      });
    }
  }
}
