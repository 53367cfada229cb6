import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StratusBackupBucketProps {
  /**
   * Days a deleted or overwritten backup object stays recoverable as a noncurrent version before
   * the lifecycle removes it.
   *
   * @default 30
   */
  readonly noncurrentRetentionDays?: number;
  /**
   * What happens to the bucket when the stack is deleted: backups are data.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The region's backup bucket (issue #14): encrypted, versioned, public access blocked, TLS only,
 * owner-enforced objects, and a lifecycle that expires noncurrent versions and abandoned uploads.
 * Backups are written by the databases' pods under `<tenantId>/<clusterId>/`; the control plane
 * only lists (the provisioner, to measure a backup) and deletes (the reconciler: deleted and expired backups).
 */
export class StratusBackupBucket extends Construct {
  readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: StratusBackupBucketProps = {}) {
    super(scope, id);
    const days = props.noncurrentRetentionDays ?? 30;
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(
        `StratusBackupBucket: noncurrentRetentionDays must be a whole number of days >= 1 (got ${days})`,
      );
    }
    const bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-and-incomplete',
          noncurrentVersionExpiration: Duration.days(days),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
      ],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Backup objects are written by database pods and deleted through the audited API; CloudTrail data events are the access record, and an access-log bucket would need its own.',
    });
    this.bucket = bucket;
  }

  /** List the bucket (the provisioner measures what a backup stored). */
  grantList(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
  }

  /** List and delete objects (the reconciler: deleted and expired backups); never read or write them. */
  grantDelete(grantee: IGrantable): string {
    this.grantList(grantee);
    const objects = this.bucket.arnForObjects('*');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:DeleteObject'], resources: [objects] }),
    );
    return objects;
  }
}
