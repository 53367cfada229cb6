import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { buildApp, TWO_REGIONS } from './synth.js';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The backup pods' role of a stack, and its inline policy's statements. */
function backupRole(stack: Stack) {
  const t = Template.fromStack(stack);
  const roles = t.findResources('AWS::IAM::Role', {
    Properties: { RoleName: Match.stringLikeRegexp('-backup-pods$') },
  });
  const [role] = Object.values(roles) as Array<{
    Properties: {
      RoleName: string;
      AssumeRolePolicyDocument: { Statement: Statement[] };
      Policies: Array<{ PolicyDocument: { Statement: Statement[] } }>;
      ManagedPolicyArns?: unknown;
    };
  }>;
  if (!role) throw new Error(`${stack.stackName} has no backup pods role`);
  return {
    t,
    logicalId: Object.keys(roles)[0] as string,
    role: role.Properties,
    statements: role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement),
  };
}

/** Every statement of the provisioner's policy (its role's AWS::IAM::Policy). */
function provisionerStatements(t: Template): Statement[] {
  const roles = t.findResources('AWS::IAM::Role', {
    Properties: { RoleName: Match.stringLikeRegexp('-provisioner$') },
  });
  const roleId = Object.keys(roles)[0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

/** Issue #14: the identity of the pods that write backups (lib/backup-identity.ts). */
describe('Class: StratusBackupIdentity', () => {
  const { stacks } = buildApp(TWO_REGIONS);

  it('is a role per region that only EKS Pod Identity assumes, with no managed policy', () => {
    for (const stack of stacks) {
      // Prepare
      const { role } = backupRole(stack);

      // Assess
      expect(role.RoleName).toBe(`stratus-test-${stack.region}-backup-pods`);
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ]);
      expect(role.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('may write and read objects of its own region’s backup bucket only, and list it; never delete', () => {
    // Prepare
    const stack = stacks[0] as Stack;
    const { t, statements } = backupRole(stack);
    const bucketId = Object.keys(t.findResources('AWS::S3::Bucket'))[0] as string;

    // Assess
    const actions = new Set(statements.flatMap(actionsOf));
    expect(actions).toEqual(
      new Set(['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListBucket']),
    );
    const objects = statements.find((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(objects?.Resource)).toContain(bucketId);
    expect(JSON.stringify(objects?.Resource)).toContain('/*');
    expect(statements.every((s) => JSON.stringify(s.Resource).includes(bucketId))).toBe(true);
  });

  it('reads the copy bucket of a region others copy to, and never writes there', () => {
    // Prepare
    const config = parseConfig({
      stage: 'test',
      regions: [
        { region: 'eu-west-1', eksClusters: [{ name: 'euw1' }], backupCopyTo: 'us-east-1' },
        { region: 'us-east-1', eksClusters: [{ name: 'use1' }] },
      ],
    });
    const copyRegion = buildApp(config).stacks[1] as Stack;
    const { statements } = backupRole(copyRegion);

    // Act
    const onCopies = statements.filter((s) => JSON.stringify(s.Resource).includes('BackupCopies'));

    // Assess
    expect(new Set(onCopies.flatMap(actionsOf))).toEqual(new Set(['s3:GetObject', 's3:ListBucket']));
  });

  it('lets the provisioner make associations on its region’s EKS clusters and pass this role to EKS Pod Identity only', () => {
    // Prepare
    const stack = stacks[0] as Stack;
    const { t, logicalId } = backupRole(stack);

    // Act
    const statements = provisionerStatements(t);
    const pass = statements.find((s) => actionsOf(s).includes('iam:PassRole'));
    const create = statements.find((s) => actionsOf(s).includes('eks:CreatePodIdentityAssociation'));
    const change = statements.find((s) => actionsOf(s).includes('eks:DeletePodIdentityAssociation'));

    // Assess
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'pods.eks.amazonaws.com' } });
    const text = JSON.stringify(create?.Resource);
    expect(text).toContain(':cluster/stratus-euw1-a');
    expect(text).toContain(':cluster/stratus-euw1-b');
    expect(text).not.toContain('stratus-use1-a');
    expect(JSON.stringify(change?.Resource)).toContain(':podidentityassociation/stratus-euw1-a/*');
  });

  it('gives the provisioner the role’s ARN and the bucket, and no other function the right to pass it', () => {
    // Prepare
    const stack = stacks[0] as Stack;
    const { t, logicalId } = backupRole(stack);

    // Act
    const fns = Object.values(t.findResources('AWS::Lambda::Function')) as Array<{
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }>;
    const withRole = fns.filter((f) => f.Properties.Environment?.Variables?.BACKUP_ROLE_ARN !== undefined);
    const passers = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('iam:PassRole'),
    );

    // Assess
    expect(withRole).toHaveLength(1);
    expect(withRole[0]?.Properties.Environment?.Variables?.BACKUP_ROLE_ARN).toEqual({
      'Fn::GetAtt': [logicalId, 'Arn'],
    });
    expect(withRole[0]?.Properties.Environment?.Variables?.BACKUP_BUCKET).toBeDefined();
    expect(passers).toHaveLength(1);
  });
});
