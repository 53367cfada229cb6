import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, App as CdkApp, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './synth.js';

/** Every acknowledgement in the tree, as `{ path, id, reason }`. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id, reason })),
  );
}

describe('cdk-nag AwsSolutions', () => {
  let app: App;

  beforeAll(() => {
    ({ app } = buildApp());
    // As bin/app.ts does. CDK_VALIDATION=false (vitest config) only turns off CDK's built-in
    // CloudFormation validation plugin; registered plugins such as cdk-nag still run at synth.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  });

  it('reports no unacknowledged error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);
    // Assess
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('passes the validation that synth runs, with an empty report', () => {
    // Act: throws ValidationFailed on any error finding.
    const assembly = app.synth();
    // Assess: warnings do not fail synth, so read the report too.
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Array<{ violations?: unknown[] }>).flatMap(
      (r) => r.violations ?? [],
    );
    expect(violations).toEqual([]);
  });

  it("passes CloudFormation's built-in template validation, which cdk synth runs unless --no-validation", () => {
    // Arrange: the vitest config turns the built-in plugin off for every other test (it takes
    // seconds per stack); here it runs, as `cdk synth` and `cdk deploy` run it. Its findings are
    // warnings that do not fail synth, so the test reads the report.
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    const findings = (app: App) => {
      const report = JSON.parse(readFileSync(join(app.synth().directory, 'validation-report.json'), 'utf8'));
      return (report.pluginReports as Array<{ pluginName: string; violations?: Array<{ ruleName: string }> }>)
        .filter((r) => /cloudformation/i.test(r.pluginName))
        .flatMap((r) => r.violations ?? []);
    };
    try {
      // Control: the plugin is on, and reports a property of the wrong type.
      const control = new CdkApp();
      const stack = new Stack(control, 'Control', { env: { account: '123456789012', region: 'eu-west-1' } });
      new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon' } });
      expect(findings(control).length).toBeGreaterThan(0);
      // Act + assess: Stratus's stacks, no finding.
      expect(findings(buildApp().app)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = previous;
    }
  }, 120_000);

  it('gives every acknowledgement a specific rule and a reason that explains it', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^(Annotation::)?AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });
});
