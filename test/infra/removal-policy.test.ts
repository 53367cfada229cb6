import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { REMOVAL_POLICY_RESOURCE_TYPES } from '../../lib/removal-policy.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #11: a removal policy switch for non-production stages, applied to the table, the log
 * groups, the queues and the alarm topic (with its key).
 */

type Resources = Record<
  string,
  { DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties: Record<string, unknown> }
>;

/** Every resource of the types the switch covers, table included, by logical ID. */
function covered(t: Template): Resources {
  return Object.assign(
    {},
    ...[...REMOVAL_POLICY_RESOURCE_TYPES, 'AWS::DynamoDB::GlobalTable'].map((type) => t.findResources(type)),
  ) as Resources;
}

function replicasOf(table: Resources[string] | undefined): Array<Record<string, unknown>> {
  const replicas = table?.Properties.Replicas as Array<Record<string, unknown>> | undefined;
  expect(replicas?.length).toBeGreaterThan(0);
  return replicas ?? [];
}

function templatesOf(config: unknown): Template[] {
  return buildApp(parseConfig(config)).stacks.map((stack) => Template.fromStack(stack));
}

describe('Config: removalPolicy', () => {
  it('covers log groups, queues, the alarm topic and its key, and the table', () => {
    expect([...REMOVAL_POLICY_RESOURCE_TYPES].sort()).toEqual([
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::SNS::Topic',
      'AWS::SQS::Queue',
    ]);
    // Every type is present in a stack: the check below is not vacuous.
    const [primary] = templatesOf(TWO_REGIONS) as [Template];
    for (const type of [...REMOVAL_POLICY_RESOURCE_TYPES, 'AWS::DynamoDB::GlobalTable']) {
      expect(Object.keys(primary.findResources(type)).length, type).toBeGreaterThan(0);
    }
  });

  it('retains them by default on deletion and replacement, except when their first creation rolls back', () => {
    expect(parseConfig(TWO_REGIONS).removalPolicy).toBe('retain');
    for (const t of templatesOf(TWO_REGIONS)) {
      for (const [id, resource] of Object.entries(covered(t))) {
        expect(resource.DeletionPolicy, id).toBe('RetainExceptOnCreate');
        expect(resource.UpdateReplacePolicy, id).toBe('Retain');
      }
    }
  });

  it('keeps deletion protection on the table by default', () => {
    const [primary] = templatesOf(TWO_REGIONS) as [Template];
    const [table] = Object.values(primary.findResources('AWS::DynamoDB::GlobalTable') as Resources);
    for (const replica of replicasOf(table)) {
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('deletes them with the stack, the table without deletion protection, with removalPolicy destroy', () => {
    // Act
    const templates = templatesOf({ ...TWO_REGIONS, stage: 'dev', removalPolicy: 'destroy' });

    // Assess
    for (const t of templates) {
      const resources = Object.entries(covered(t));
      expect(resources.length).toBeGreaterThan(0);
      for (const [id, resource] of resources) {
        expect(resource.DeletionPolicy, id).toBe('Delete');
        expect(resource.UpdateReplacePolicy, id).toBe('Delete');
      }
    }
    const [table] = Object.values(
      (templates[0] as Template).findResources('AWS::DynamoDB::GlobalTable') as Resources,
    );
    for (const replica of replicasOf(table)) {
      expect(replica.DeletionProtectionEnabled).toBe(false);
    }
  });

  it.each(['prod', 'production', 'prod-eu', 'production-2'])(
    'refuses removalPolicy destroy for the stage %s, saying what to do',
    (stage) => {
      expect(() => parseConfig({ ...TWO_REGIONS, stage, removalPolicy: 'destroy' })).toThrow(
        new RegExp(
          `removalPolicy "destroy" deletes the table and every tenant's data with the stacks, and the stage "${stage}" is named as a production one: use "retain", or a stage that does not start with prod or production`,
        ),
      );
    },
  );

  it('accepts destroy for other stages, and retain for production ones', () => {
    expect(
      parseConfig({ ...TWO_REGIONS, stage: 'product-dev', removalPolicy: 'destroy' }).removalPolicy,
    ).toBe('destroy');
    expect(parseConfig({ ...TWO_REGIONS, stage: 'prod', removalPolicy: 'retain' }).removalPolicy).toBe(
      'retain',
    );
  });

  it('refuses a value other than retain or destroy', () => {
    expect(() => parseConfig({ ...TWO_REGIONS, removalPolicy: 'snapshot' })).toThrow(
      /removalPolicy must be "retain" \(the default\) or "destroy" \(non-production stages\); got "snapshot"/,
    );
  });
});
