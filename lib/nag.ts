import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Helpers shared by the constructs: construct-ID casing and cdk-nag acknowledgements.
 * No dependency on cdk-nag itself: acknowledgements are CDK's own `Validations` metadata, which
 * cdk-nag 3.x (and any other policy-validation plugin) reads.
 */

/** `statusPublisher` / `stratus-euw1-a` -> `StatusPublisher` / `StratusEuw1A`: one casing for construct IDs. */
export function pascalCase(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Acknowledges the IAM5 finding for one wildcard resource, e.g. `${table.tableArn}/index/*`.
 *
 * cdk-nag 3.x names each wildcard finding after the flattened CloudFormation expression
 * (`Resource::<TableLogicalId.Arn>/index/*`) and has no prefix matching, so we derive the ID the
 * same way instead of pasting logical IDs that change with the construct tree.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** Same flattening as cdk-nag's `flattenCfnReference` (lib/utils/flatten-cfn-reference.js). */
function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const obj = node as Record<string, unknown>;
    const join = obj['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(flattenCfnReference).join(join[0]);
    if (obj['Fn::Sub'] !== undefined) return flattenCfnReference(obj['Fn::Sub']);
    const getAtt = obj['Fn::GetAtt'] as [unknown, unknown] | undefined;
    if (getAtt) return `<${flattenCfnReference(getAtt[0])}.${flattenCfnReference(getAtt[1])}>`;
    if (obj['Fn::ImportValue'] !== undefined) return flattenCfnReference(obj['Fn::ImportValue']);
    if (obj.Ref !== undefined) return `<${flattenCfnReference(obj.Ref)}>`;
  }
  return JSON.stringify(node);
}
