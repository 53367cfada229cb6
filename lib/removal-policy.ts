import { RemovalPolicies, RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** What happens to the stacks' stateful resources when they are deleted or replaced (the config's `removalPolicy`). */
export type StratusRemovalPolicy = 'retain' | 'destroy';

/**
 * The resource types `removalPolicy` applies to besides the table (`StratusTable` sets its own,
 * with its deletion protection): log groups, queues, and the alarm topic with its key.
 */
export const REMOVAL_POLICY_RESOURCE_TYPES: readonly string[] = [
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::KMS::Key',
];

/**
 * `retain`: kept when the stack is deleted or the resource replaced, but deleted when the stack's
 * own creation of it rolls back (`RetainExceptOnCreate`), so a failed first deploy leaves nothing
 * its retry would collide with. `destroy`: deleted with the stack (non-production stages).
 */
export function cdkRemovalPolicy(policy: StratusRemovalPolicy): RemovalPolicy {
  return policy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
}

/**
 * Applies `policy` to every resource of `REMOVAL_POLICY_RESOURCE_TYPES` under `scope`, whoever
 * created it (an aspect, run at synth): the functions' log groups are created in lib/functions.ts,
 * the topic in lib/alarm-topic.ts, the queues in lib/queues.ts.
 */
export function applyRemovalPolicy(scope: IConstruct, policy: StratusRemovalPolicy): void {
  RemovalPolicies.of(scope).apply(cdkRemovalPolicy(policy), {
    applyToResourceTypes: [...REMOVAL_POLICY_RESOURCE_TYPES],
  });
}
