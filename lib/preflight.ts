import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionBundles, functionBundles } from './function-bundles.js';

export interface StratusPreflightProps {
  readonly stage: string;
  /** The region's EKS clusters, which the stack's access entries map roles into. */
  readonly clusterNames: readonly string[];
  /** @default - `functionBundles()` */
  readonly bundles?: FunctionBundles;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * A deploy-time check of the region's EKS clusters (functions/preflight): each exists here, is
 * ACTIVE, and authenticates with access entries (API or API_AND_CONFIG_MAP). The stack's access
 * entries depend on it, so a deploy against a cluster that cannot take them fails first, on this
 * resource, with the command that fixes it, and rolls back before creating any of them. It runs
 * again whenever the list of clusters changes.
 */
export class StratusPreflight extends Construct {
  public readonly check: CustomResource;

  constructor(scope: Construct, id: string, props: StratusPreflightProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stratus ${props.stage} deploy-time check of the EKS clusters`,
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: props.clusterNames.map((name) =>
          stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }),
        ),
      }),
    );
    const fn = new LambdaFunction(this, 'Function', {
      code: Code.fromAsset((props.bundles ?? functionBundles()).folder('preflight')),
      handler: 'index.handler',
      description: 'Stratus deploy-time check: the EKS clusters exist, are ACTIVE and take access entries',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(1),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x on purpose, as every Stratus function: the handlers must run on Node 20 locally and on 22 in Lambda (DESIGN.md section 6).',
    });
    this.check = new CustomResource(this, 'Check', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::StratusPreflight',
      properties: { Clusters: [...props.clusterNames], Region: stack.region },
    });
  }
}
