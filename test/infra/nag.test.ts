import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
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

  it('gives every acknowledgement a specific rule and a reason that explains it', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^(Annotation::)?AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });
});
