import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type ITableV2,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { TABLE } from '../functions/topology.js';
import { stratusNames } from './names.js';

export interface StratusTableProps {
  /** Installation stage; the table is named `stratus-<stage>` in every region. */
  readonly stage: string;
  /**
   * Every configured region, primary first. The stack of the first region owns the global table
   * and its replicas; the stacks of the other regions reference their local replica.
   */
  readonly regions: readonly string[];
  /**
   * What happens to the global table when the stack is deleted or the table replaced. `DESTROY`
   * also turns deletion protection off (non-production stages: `removalPolicy: destroy`).
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single table (DESIGN.md section 1), as a DynamoDB global table replicated to every
 * configured region (section 3).
 *
 * Encryption: the AWS managed key (`aws/dynamodb`), not a customer managed key. A global table
 * with a customer managed key needs, before the primary stack deploys, a key in every replica
 * region whose ARN the primary stack knows (CloudFormation's `ReplicaSSESpecification`), hence a
 * separate key stack per region deployed first and cross-region ARN plumbing. The AWS managed key
 * still encrypts with KMS, is rotated by AWS and logs every use in CloudTrail; what it lacks is a
 * key policy we control and crypto-shredding by disabling the key. Moving to a customer managed
 * key later is an in-place table update (`SSESpecification`), not a replacement.
 */
export class StratusTable extends Construct {
  /** This region's table: the global table itself in the primary region, the replica elsewhere. */
  public readonly table: ITableV2;
  /** Stream of this region's replica; each region's consumers read their own replica's stream. */
  public readonly tableStreamArn: string;
  /** Whether this stack owns the global table (first configured region). */
  public readonly isPrimary: boolean;
  public readonly tableName: string;

  constructor(scope: Construct, id: string, props: StratusTableProps) {
    super(scope, id);

    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(
        'StratusTable needs a region-specific stack: pass env.region to the stack (a global table places replicas by region).',
      );
    }
    const [primaryRegion, ...replicaRegions] = props.regions;
    if (primaryRegion === undefined || !props.regions.includes(region)) {
      throw new Error(
        `StratusTable: stack region ${region} is not among the configured regions [${props.regions.join(', ')}]; add it to the "stratus" context in cdk.json.`,
      );
    }
    this.isPrimary = region === primaryRegion;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    // A fixed physical name: replicas of a global table share it, and it lets the stacks of the
    // other regions find their replica without a cross-region reference.
    this.tableName = stratusNames(props.stage).table;

    if (this.isPrimary) {
      const table = new TableV2(this, 'Table', {
        tableName: this.tableName,
        partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
        sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
        globalSecondaryIndexes: TABLE.indexes.map((gsi) => ({
          indexName: gsi.name,
          partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
          sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        })),
        timeToLiveAttribute: TABLE.ttlAttribute,
        dynamoStream: StreamViewType[TABLE.streamViewType],
        billing: Billing.onDemand(),
        encryption: TableEncryptionV2.awsManagedKey(),
        // Replicas inherit PITR and deletion protection from these table-level settings.
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
        // The data is what was asked of Stratus: never deleted with the stack (STYLE.md). But a
        // first deploy that rolls back deletes the table it just created (RetainExceptOnCreate):
        // it holds nothing yet, and a retained one would make the retry collide on its fixed name.
        removalPolicy,
        replicas: replicaRegions.map((replicaRegion) => ({ region: replicaRegion })),
      });
      if (table.tableStreamArn === undefined)
        throw new Error('StratusTable: the table stream is not enabled');
      this.table = table;
      this.tableStreamArn = table.tableStreamArn;
      return;
    }

    // A replica's stream ARN carries a creation timestamp that only DynamoDB knows: CloudFormation
    // exposes the stream ARN of a global table only in the region of the stack that owns it, and
    // `TableV2.replica(region)` yields `.../stream/*`, good for IAM but not for an event source
    // mapping. So this stack asks DynamoDB in its own region, at deploy time, for the replica's
    // LatestStreamArn (a custom resource; nothing is looked up at synth, so synth stays offline).
    // It needs the replica to exist: the app makes this stack depend on the primary region's stack.
    // The call runs again when the table name changes; a stream re-created by hand (a new ARN)
    // needs a stack update that changes this resource.
    const describeTable: AwsSdkCall = {
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: this.tableName },
      region,
      physicalResourceId: PhysicalResourceId.of(`${this.tableName}-stream`),
      // DescribeTable answers can exceed the 4 KB custom resource response limit.
      outputPaths: ['Table.LatestStreamArn'],
    };
    const tableArn = Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: this.tableName,
    });
    const lookup = new AwsCustomResource(this, 'ReplicaStreamLookup', {
      onCreate: describeTable,
      onUpdate: describeTable,
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [tableArn] }),
      // DescribeTable is in the SDK the Lambda runtime ships; installing one at deploy time would
      // need internet access from the custom resource and slow every deployment.
      installLatestAwsSdk: false,
    });
    this.tableStreamArn = lookup.getResponseField('Table.LatestStreamArn');
    acknowledgeCustomResourceProvider(this);
    this.table = TableV2.fromTableAttributes(this, 'Table', {
      tableName: this.tableName,
      tableStreamArn: this.tableStreamArn,
      grantIndexPermissions: true,
    });
  }
}

/** The stack-wide singleton Lambda behind every `AwsCustomResource` (created by CDK, not by us). */
function acknowledgeCustomResourceProvider(scope: Construct): void {
  const providerId = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
  const provider = Stack.of(scope).node.tryFindChild(providerId);
  if (provider === undefined) return;
  Validations.of(provider).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'CDK-owned AwsCustomResource provider: only writes its own logs; its table permission is a separate, table-scoped policy.',
    },
    {
      id: 'AwsSolutions-L1',
      reason:
        'CDK-owned AwsCustomResource provider: aws-cdk-lib pins its runtime; it runs once per deployment and handles no requests.',
    },
  );
}
