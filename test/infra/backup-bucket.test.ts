import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { StratusBackupBucket } from '../../lib/backup-bucket.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/** Issue #14: each region's backup bucket, and what the functions may do with it. */
describe('Class: StratusBackupBucket', () => {
  const { stacks } = buildApp(TWO_REGIONS);

  it('is encrypted, versioned, private, TLS only, retained, with a lifecycle, in every region', () => {
    for (const stack of stacks) {
      // Prepare
      const t = Template.fromStack(stack);

      // Assess
      expect(Object.keys(t.findResources('AWS::S3::Bucket')), stack.stackName).toHaveLength(1);
      t.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: [
              Match.objectLike({
                Status: 'Enabled',
                NoncurrentVersionExpiration: { NoncurrentDays: 30 },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
                ExpiredObjectDeleteMarker: true,
              }),
            ],
          },
        },
      });
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('lets the provisioner only list it and the reconciler only list it and delete objects: nobody reads backups', () => {
    // Prepare
    const t = Template.fromStack(stacks[0] as Stack);
    const s3Actions = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (
        p.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }
      ).PolicyDocument.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    );

    // Assess
    expect(new Set(s3Actions.filter((a) => a.startsWith('s3:')))).toEqual(
      new Set(['s3:ListBucket', 's3:DeleteObject']),
    );
  });

  it('refuses a retention that is not a whole number of days', () => {
    // Prepare
    const stack = new Stack(new App(), 'Test');

    // Assess
    expect(() => new StratusBackupBucket(stack, 'Backups', { noncurrentRetentionDays: 0 })).toThrow(
      /noncurrentRetentionDays must be a whole number/,
    );
  });
});
