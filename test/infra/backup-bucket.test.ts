import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { StratusBackupBucket } from '../../lib/backup-bucket.js';
import { parseConfig } from '../../lib/config.js';
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

/** Issue #14: cross-region copies (`backupCopyTo`). */
describe('Cross-region backup copies', () => {
  const config = parseConfig({
    ...TWO_REGIONS,
    regions: TWO_REGIONS.regions.map((r) =>
      r.region === 'eu-west-1' ? { ...r, backupCopyTo: 'us-east-1' } : r,
    ),
  });
  const { app, stacks } = buildApp(config);
  const eu = stacks[0] as Stack;
  const us = stacks[1] as Stack;
  const copyBucket = 'stratus-test-backup-copies-123456789012-us-east-1';

  it('replicates the source bucket, deletions too, to the named copy bucket of the other region, with its own role', () => {
    // Prepare
    const t = Template.fromStack(eu);

    // Assess: still one bucket here, now replicating
    expect(Object.keys(t.findResources('AWS::S3::Bucket'))).toHaveLength(1);
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [
          Match.objectLike({
            Id: 'copy-backups',
            Status: 'Enabled',
            Priority: 1,
            DeleteMarkerReplication: { Status: 'Enabled' },
            Destination: Match.objectLike({ Bucket: Match.anyValue() }),
          }),
        ],
      },
    });
    // The destination ARN names the copy bucket (the partition is a token).
    expect(JSON.stringify(t.findResources('AWS::S3::Bucket'))).toContain(`:s3:::${copyBucket}`);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })],
      },
    });
    // The replication role reads versions here and writes replicas there, nothing else.
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('ReplicateObject'))
      .flatMap(
        (p) =>
          (p.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } })
            .PolicyDocument.Statement,
      );
    expect(new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))).toEqual(
      new Set([
        's3:GetReplicationConfiguration',
        's3:ListBucket',
        's3:GetObjectVersionForReplication',
        's3:GetObjectVersionAcl',
        's3:GetObjectVersionTagging',
        's3:ReplicateObject',
        's3:ReplicateDelete',
        's3:ReplicateTags',
      ]),
    );
  });

  it('creates the copy bucket in the destination region, named, encrypted, versioned, private, retained, and tells its API', () => {
    // Prepare
    const t = Template.fromStack(us);

    // Assess
    expect(Object.keys(t.findResources('AWS::S3::Bucket'))).toHaveLength(2);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: copyBucket,
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: Match.objectLike({
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        }),
        BucketEncryption: Match.anyValue(),
      }),
    });
    expect(JSON.stringify(t.findResources('AWS::S3::Bucket'))).not.toContain('ReplicationConfiguration');
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ BACKUP_COPIES: JSON.stringify({ 'eu-west-1': copyBucket }) }),
      },
    });
  });

  it('is clean under cdk-nag AwsSolutions (the wildcards acknowledged with reasons)', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('refuses a copy to the same region or to a region not configured', () => {
    const bad = (backupCopyTo: string) => () =>
      parseConfig({
        ...TWO_REGIONS,
        regions: TWO_REGIONS.regions.map((r) => (r.region === 'eu-west-1' ? { ...r, backupCopyTo } : r)),
      });
    expect(bad('eu-west-1')).toThrow(/backupCopyTo of eu-west-1 must be another configured region/);
    expect(bad('ap-south-1')).toThrow(
      /backupCopyTo of eu-west-1 must be another configured region \(us-east-1\)/,
    );
  });
});

/** Issue #14: optional S3 Object Lock on the backup buckets (`backupObjectLock`). */
describe('Backup Object Lock', () => {
  const config = parseConfig({
    ...TWO_REGIONS,
    backupObjectLock: { mode: 'compliance', days: 35 },
    regions: TWO_REGIONS.regions.map((r) =>
      r.region === 'eu-west-1' ? { ...r, backupCopyTo: 'us-east-1' } : r,
    ),
  });
  const { app, stacks } = buildApp(config);
  const eu = stacks[0] as Stack;
  const us = stacks[1] as Stack;

  it('locks every object of the backup bucket and of the copy bucket for the configured days, in the configured mode', () => {
    for (const [stack, buckets] of [
      [eu, 1],
      [us, 2],
    ] as const) {
      // Prepare
      const t = Template.fromStack(stack);

      // Act
      const locked = Object.values(t.findResources('AWS::S3::Bucket')).map((b) => b.Properties);

      // Assess
      expect(locked, stack.stackName).toHaveLength(buckets);
      for (const properties of locked) {
        expect(properties).toMatchObject({
          ObjectLockEnabled: true,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } },
          },
          VersioningConfiguration: { Status: 'Enabled' },
        });
      }
    }
  });

  it('lets replication read the locks it copies, and tells the API and the provisioner the lock', () => {
    // Prepare
    const t = Template.fromStack(eu);

    // Act
    const replication = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('ReplicateObject'))
      .flatMap((p) => JSON.stringify(p.Properties));
    const withLock = Object.values(t.findResources('AWS::Lambda::Function')).filter(
      (f) =>
        (f.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables
          ?.BACKUP_OBJECT_LOCK === JSON.stringify({ mode: 'compliance', days: 35 }),
    );

    // Assess
    expect(replication.join()).toContain('s3:GetObjectRetention');
    expect(replication.join()).toContain('s3:GetObjectLegalHold');
    expect(withLock).toHaveLength(2); // the api and the provisioner
  });

  it('leaves buckets unlocked, and the lock variable empty, without the option', () => {
    // Prepare
    const t = Template.fromStack(buildApp(TWO_REGIONS).stacks[0] as Stack);

    // Assess
    expect(JSON.stringify(t.findResources('AWS::S3::Bucket'))).not.toContain('ObjectLock');
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BACKUP_OBJECT_LOCK: '' }) },
    });
  });

  it('is clean under cdk-nag AwsSolutions', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('refuses a mode or a number of days S3 and the schedules cannot honour', () => {
    const bad = (backupObjectLock: unknown) => () => parseConfig({ ...TWO_REGIONS, backupObjectLock });
    expect(bad({ mode: 'legal-hold', days: 7 })).toThrow(
      /backupObjectLock.mode must be "governance" or "compliance"/,
    );
    expect(bad({ mode: 'governance', days: 0 })).toThrow(
      /backupObjectLock.days must be a whole number of days from 1 to 3650/,
    );
    expect(bad({ mode: 'governance', days: 3651 })).toThrow(/from 1 to 3650/);
    expect(bad({ mode: 'governance', days: 1.5 })).toThrow(/whole number/);
    expect(
      () =>
        new StratusBackupBucket(new Stack(new App(), 'T'), 'B', {
          objectLock: { mode: 'governance', days: 0 },
        }),
    ).toThrow(/objectLock.days must be a whole number/);
  });
});
