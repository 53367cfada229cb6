import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StratusFunction } from './function.js';
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
    const fn = new StratusFunction(this, 'Function', {
      code: Code.fromAsset((props.bundles ?? functionBundles()).folder('preflight')),
      handler: 'index.handler',
      description: `Stratus ${props.stage} deploy-time check: the EKS clusters exist, are ACTIVE and take access entries`,
      memoryMb: 256,
      timeout: Duration.minutes(1),
      tracing: false,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: props.clusterNames.map((name) =>
          stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }),
        ),
      }),
    );
    this.check = new CustomResource(this, 'Check', {
      serviceToken: fn.resource.functionArn,
      resourceType: 'Custom::StratusPreflight',
      properties: { Clusters: [...props.clusterNames], Region: stack.region },
    });
  }
}
