import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type EnvSource,
  FUNCTIONS,
  type FunctionDef,
  type FunctionId,
  httpRoutes,
  QUEUES,
  TABLE,
  takeoverFunctions,
} from '../../functions/topology.js';
import { parseConfig } from '../../lib/config.js';
import type { StratusFunction } from '../../lib/function.js';
import { TABLE_ACTIONS } from '../../lib/functions.js';
import { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; [k: string]: unknown }>;

const functionEntries = Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>;
const streamFunctions = functionEntries.flatMap(([id, def]) =>
  def.triggers.flatMap((t) => (t.type === 'stream' ? [{ id, trigger: t }] : [])),
);
const queueFunctions = functionEntries.flatMap(([id, def]) =>
  def.triggers.flatMap((t) => (t.type === 'queue' ? [{ id, trigger: t }] : [])),
);

let stacks: StratusRegionStack[];
let primary: StratusRegionStack;
let secondary: StratusRegionStack;
const templates = new Map<StratusRegionStack, Template>();

beforeAll(() => {
  ({ stacks } = buildApp());
  [primary, secondary] = stacks as [StratusRegionStack, StratusRegionStack];
  for (const stack of stacks) templates.set(stack, Template.fromStack(stack));
});

function template(stack: StratusRegionStack): Template {
  const t = templates.get(stack);
  if (t === undefined) throw new Error(`no template for ${stack.stackName}`);
  return t;
}

function logicalIdOf(stack: StratusRegionStack, fnId: FunctionId): string {
  const fn = stack.functions.get(fnId) as LambdaFunction;
  return stack.getLogicalId(fn.node.defaultChild as CfnFunction);
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

/** The configured region of a stack: its EKS clusters (never none; the config requires one). */
function regionConfigOf(stack: StratusRegionStack) {
  return must(
    TWO_REGIONS.regions.find((r) => r.region === stack.region),
    `${stack.region} in TWO_REGIONS`,
  );
}

function primaryTable(): never {
  return primary.table.table.node.defaultChild as never;
}

function logicalIdOfConstruct(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('Class: StratusTable', () => {
  it('makes the primary region own a global table replicated to every configured region', () => {
    // Assess
    const tables = template(primary).findResources('AWS::DynamoDB::GlobalTable') as Resources;
    expect(Object.keys(tables)).toHaveLength(1);
    const [table] = Object.values(tables);
    const replicas = table?.Properties.Replicas as Array<Record<string, unknown>>;
    expect(replicas.map((r) => r.Region).sort()).toEqual(TWO_REGIONS.regions.map((r) => r.region).sort());
  });

  it('declares the single-table keys, the indexes, TTL, on-demand billing and the NEW_AND_OLD_IMAGES stream', () => {
    expect(template(primary)).toHaveResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'stratus-test',
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(TABLE.streamViewType).toBe('NEW_AND_OLD_IMAGES');
  });

  it('turns on point-in-time recovery and deletion protection in every replica', () => {
    const [table] = Object.values(template(primary).findResources('AWS::DynamoDB::GlobalTable') as Resources);
    const replicas = table?.Properties.Replicas as Array<Record<string, unknown>>;
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('retains the table on stack deletion and on replacement, but not when its first create rolls back', () => {
    // RetainExceptOnCreate: a failed first deploy deletes the (empty) table it created, so a retry
    // does not collide with a retained table of the same fixed name (issue #11).
    expect(template(primary)).toHaveResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('encrypts the table at rest with KMS', () => {
    expect(template(primary)).toHaveResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
  });

  it('makes a secondary region reference its replica and look up the replica stream ARN at deploy time', () => {
    // Assess
    const t = template(secondary);
    expect(t).toHaveResourceCount('AWS::DynamoDB::GlobalTable', 0);
    expect(t).toHaveResourceCount('AWS::DynamoDB::Table', 0);
    const lookups = t.findResources('Custom::AWS') as Resources;
    expect(Object.keys(lookups)).toHaveLength(1);
    const [lookupId, lookup] = Object.entries(lookups)[0] ?? [];
    const call = JSON.parse(String(lookup?.Properties.Create));
    expect(call).toMatchObject({
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: 'stratus-test' },
      region: secondary.region,
    });
    // Every stream consumer of the secondary region reads the replica's stream.
    const mappings = t.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { StartingPosition: 'TRIM_HORIZON' },
    }) as Resources;
    expect(Object.keys(mappings)).toHaveLength(streamFunctions.length);
    for (const mapping of Object.values(mappings)) {
      expect(mapping.Properties.EventSourceArn).toEqual({
        'Fn::GetAtt': [lookupId, 'Table.LatestStreamArn'],
      });
    }
  });

  it('deploys secondary regions after the primary region, whose stack creates their replica', () => {
    expect(secondary.dependencies).toContain(primary);
    expect(primary.dependencies).toHaveLength(0);
  });

  it('makes a single-region installation a global table with one replica and no lookup', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const config = parseConfig({
      stage: 'solo',
      regions: [{ region: 'eu-west-1', eksClusters: [{ name: 'a' }] }],
    });
    // Act
    const stack = new StratusRegionStack(app, 'Solo', { env: { region: 'eu-west-1' }, config });
    // Assess
    const t = Template.fromStack(stack);
    expect(t).toHaveResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ Region: 'eu-west-1' })],
    });
    expect(t).toHaveResourceCount('Custom::AWS', 0);
  });
});

describe('Class: StratusQueues', () => {
  it('gives every topology queue a DLQ with the topology maxReceiveCount, SSE, retention and visibility', () => {
    for (const stack of stacks) {
      for (const [queueId, def] of Object.entries(QUEUES)) {
        const queue = stack.queues.queue(queueId as keyof typeof QUEUES);
        const queueLogicalId = logicalIdOfConstruct(stack, queue);
        const [resource] = Object.entries(
          template(stack).findResources('AWS::SQS::Queue') as Resources,
        ).filter(([id]) => id === queueLogicalId);
        expect(resource, `${queueId} queue in ${stack.stackName}`).toBeDefined();
        const props = resource?.[1].Properties ?? {};
        expect(props.RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
          maxReceiveCount: def.maxReceiveCount,
        });
        expect(props.VisibilityTimeout).toBe(def.visibilityTimeoutSeconds);
        expect(props.MessageRetentionPeriod).toBe(def.retentionDays * 24 * 3600);
        expect(props.SqsManagedSseEnabled).toBe(true);
      }
    }
  });

  it('denies non-TLS access to every queue', () => {
    const t = template(primary);
    const queueCount = Object.keys(t.findResources('AWS::SQS::Queue')).length;
    const policies = t.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(queueCount);
  });

  it('alarms on any visible message in every DLQ and stream failure queue', () => {
    const t = template(primary);
    const alarms = t.findResources('AWS::CloudWatch::Alarm', {
      Properties: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    });
    expect(Object.keys(alarms)).toHaveLength(Object.keys(QUEUES).length + streamFunctions.length);
  });
});

describe('Class: StratusFunctions', () => {
  it('creates one arm64 nodejs22.x function per topology entry, traced, with JSON logs to its own log group', () => {
    for (const stack of stacks) {
      for (const [fnId, def] of functionEntries) {
        expect(template(stack)).toHaveResourceProperties('AWS::Lambda::Function', {
          Description: def.description,
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: def.memoryMb,
          Timeout: def.timeoutSeconds,
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: { Ref: Match.anyValue() } }),
          Environment: {
            Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp('^stratus-') }),
          },
        });
        expect(logicalIdOf(stack, fnId)).toBeTruthy();
      }
    }
  });

  it('builds every function as a StratusFunction: Functions/<Name>/{Alarms,Logs,Role,Resource} (construct ids are the deployment contract)', () => {
    for (const stack of stacks) {
      for (const [fnId] of functionEntries) {
        const fn = stack.functions.get(fnId) as LambdaFunction;
        const owner = fn.node.scope as StratusFunction;
        expect(owner.node.path).toBe(
          `${stack.stackName}/Functions/${fnId[0]?.toUpperCase()}${fnId.slice(1)}`,
        );
        expect(owner.node.children.map((c) => c.node.id).sort()).toEqual([
          'Alarms',
          'Logs',
          'Resource',
          'Role',
        ]);
        // Its alarms are its children, and only they watch its metrics.
        expect(owner.alarms.length).toBeGreaterThanOrEqual(2);
        for (const alarm of owner.alarms)
          expect(alarm.node.path).toBe(`${owner.node.path}/Alarms/${alarm.node.id}`);
        const watching = Object.values(template(stack).findResources('AWS::CloudWatch::Alarm')).filter(
          (a) =>
            JSON.stringify(a.Properties.Dimensions ?? []) ===
            JSON.stringify([
              { Name: 'FunctionName', Value: { Ref: stack.getLogicalId(fn.node.defaultChild as never) } },
            ]),
        );
        expect(watching).toHaveLength(owner.alarms.length);
        expect(owner.resource).toBe(fn);
        expect(fn.role).toBe(owner.role);
        // The function writes only to its own log group.
        expect(template(stack)).toHaveResourceProperties('AWS::Lambda::Function', {
          Role: { 'Fn::GetAtt': [stack.getLogicalId(owner.role.node.defaultChild as never), 'Arn'] },
          LoggingConfig: Match.objectLike({
            LogGroup: { Ref: stack.getLogicalId(owner.logs.node.defaultChild as never) },
          }),
        });
      }
    }
  });

  it('wires every environment variable from its topology source', () => {
    for (const stack of stacks) {
      const expected = (source: EnvSource): unknown => {
        if ('value' in source) return source.value;
        switch (source.ref) {
          case 'table':
            // The global table itself in the primary region; the replica, by its shared name, elsewhere.
            return stack === primary ? { Ref: stack.getLogicalId(primaryTable()) } : 'stratus-test';
          case 'queueUrl':
            return stack.resolve(stack.queues.queue(source.queue).queueUrl);
          case 'bus':
            return stack.resolve(stack.bus.bus.eventBusName);
          case 'region':
            return stack.region;
          case 'regions':
            return TWO_REGIONS.regions.map((r) => r.region).join(',');
          case 'apiUrls':
            return '{}'; // TWO_REGIONS gives no apiUrl
          case 'corsOrigins':
            return ''; // TWO_REGIONS has no console (test/infra/console.test.ts)
          case 'eksClusters':
            // Every region's, each with its region (issue #9, takeover).
            return JSON.stringify(
              TWO_REGIONS.regions.flatMap((r) =>
                r.eksClusters.map((c) => ({
                  name: c.name,
                  capacityNodes: c.capacityNodes,
                  region: r.region,
                })),
              ),
            );
          case 'takeoverRoles':
            return undefined; // test/infra/takeover.test.ts
          case 'kubeAuth':
            return 'eks';
          case 'pageTokenSecret':
            // One secret for all regions, found by name in each (test/infra/takeover.test.ts).
            return 'stratus/test/page-token-key';
          case 'backupBucket':
            // Each region's own bucket (test/infra/backup-bucket.test.ts).
            return stack.resolve(stack.backups.bucket.bucketName);
          case 'backupCopies':
            // No backupCopyTo in this config (copies: test/infra/backup-bucket.test.ts).
            return '{}';
          case 'endpointRegions':
          case 'tlsRegions':
            // No endpoints in this config (test/infra/endpoints-dns.test.ts).
            return '';
          case 'backupObjectLock':
            return ''; // no backupObjectLock in this config (test/infra/backup-bucket.test.ts)
          case 'backupRole':
            // The region's backup pods role (test/infra/backup-identity.test.ts).
            return stack.resolve(stack.backupIdentity.role.roleArn);
        }
      };
      const fns = template(stack).findResources('AWS::Lambda::Function') as Resources;
      for (const [fnId, def] of functionEntries) {
        const fn = must(fns[logicalIdOf(stack, fnId)], `${fnId} in ${stack.stackName}`);
        const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        for (const [key, source] of Object.entries(def.environment)) {
          if ('ref' in source && source.ref === 'takeoverRoles') continue;
          expect(env[key], `${fnId}.${key} in ${stack.stackName}`).toEqual(expected(source));
        }
      }
    }
  });

  it('filters every stream event source mapping with the topology filters of its own region', () => {
    for (const stack of stacks) {
      const t = template(stack);
      for (const { id, trigger } of streamFunctions) {
        const failureQueue = logicalIdOfConstruct(stack, stack.queues.streamFailureQueue(id));
        expect(t).toHaveResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: logicalIdOf(stack, id) },
          FilterCriteria: {
            Filters: trigger.filters(stack.region).map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
          },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: trigger.batchSize,
          MaximumRetryAttempts: trigger.retryAttempts,
          BisectBatchOnFunctionError: trigger.bisectBatchOnError,
          MaximumBatchingWindowInSeconds:
            trigger.maxBatchingWindowSeconds > 0 ? trigger.maxBatchingWindowSeconds : Match.absent(),
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
        });
      }
    }
  });

  it('reports partial batch failures on every event source mapping', () => {
    for (const stack of stacks) {
      const mappings = template(stack).findResources('AWS::Lambda::EventSourceMapping') as Resources;
      expect(Object.keys(mappings)).toHaveLength(streamFunctions.length + queueFunctions.length);
      for (const mapping of Object.values(mappings)) {
        expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      }
    }
  });

  it('consumes each topology queue with its batch size and maximum concurrency', () => {
    for (const { id, trigger } of queueFunctions) {
      const queue = logicalIdOfConstruct(primary, primary.queues.queue(trigger.queue));
      expect(template(primary)).toHaveResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalIdOf(primary, id) },
        EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
        BatchSize: trigger.batchSize,
        ScalingConfig: { MaximumConcurrency: trigger.maxConcurrency },
      });
    }
  });

  it('allows eks:DescribeCluster only on the configured clusters of the region, only to eks:describe functions', () => {
    for (const stack of stacks) {
      const { eksClusters: clusters } = regionConfigOf(stack);
      const expectedArns = clusters.map((c) =>
        stack.resolve(
          Stack.of(stack).formatArn({ service: 'eks', resource: 'cluster', resourceName: c.name }),
        ),
      );
      const describers = functionEntries.filter(([, def]) => def.permissions.includes('eks:describe'));
      const policies = template(stack).findResources('AWS::IAM::Policy') as Resources;
      const grantees: string[] = [];
      for (const policy of Object.values(policies)) {
        const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> })
          .Statement;
        for (const statement of statements) {
          const actions = [statement.Action].flat() as string[];
          expect(actions.some((a) => a.startsWith('eks:') && a.includes('*'))).toBe(false);
          if (!actions.includes('eks:DescribeCluster')) continue;
          expect([statement.Resource].flat()).toEqual(expectedArns);
          grantees.push(...((policy.Properties.Roles as Array<{ Ref: string }>) ?? []).map((r) => r.Ref));
        }
      }
      const expectedRoles = [
        ...describers.map(([fnId]) =>
          stack.getLogicalId((stack.functions.get(fnId) as LambdaFunction).role?.node.defaultChild as never),
        ),
        // The other regions' functions, through their takeover roles here (test/infra/takeover.test.ts).
        ...takeoverFunctions().map((fnId) =>
          stack.getLogicalId(stack.functions.takeoverRole(fnId)?.node.defaultChild as never),
        ),
        // The deploy-time check of the clusters (lib/preflight.ts).
        stack.getLogicalId(
          (stack.preflight.node.findChild('Function') as StratusFunction).role.node.defaultChild as never,
        ),
      ];
      expect(grantees.sort()).toEqual(expectedRoles.sort());
    }
  });

  it('maps the role of eks:view functions (the reconciler) to the stratus-reconciler group only, with no EKS access policy', () => {
    for (const stack of stacks) {
      const { eksClusters: clusters } = regionConfigOf(stack);
      const t = template(stack);
      const viewers = functionEntries.filter(([, def]) => def.permissions.includes('eks:view'));
      expect(viewers.map(([id]) => id)).toEqual(['reconciler']);
      for (const [fnId] of viewers) {
        const role = (stack.functions.get(fnId) as LambdaFunction).role;
        for (const cluster of clusters) {
          // What it reads is deploy/kubernetes/rbac.yaml's stratus-reconciler, nothing more.
          expect(t).toHaveResourceProperties('AWS::EKS::AccessEntry', {
            ClusterName: cluster.name,
            PrincipalArn: { 'Fn::GetAtt': [stack.getLogicalId(role?.node.defaultChild as never), 'Arn'] },
            Type: 'STANDARD',
            KubernetesGroups: ['stratus-reconciler'],
            AccessPolicies: Match.absent(),
          });
        }
      }
    }
  });

  it('maps the role of eks:access functions into every EKS cluster of the region, with only their Kubernetes group', () => {
    for (const stack of stacks) {
      const { eksClusters: clusters } = regionConfigOf(stack);
      const t = template(stack);
      const accessors = functionEntries.filter(([, def]) => def.permissions.includes('eks:access'));
      const readers = functionEntries.filter(([, def]) => def.permissions.includes('eks:read-secrets'));
      const viewers = functionEntries.filter(([, def]) => def.permissions.includes('eks:view'));
      // Plus one per takeover role (test/infra/takeover.test.ts).
      expect(t).toHaveResourceCount(
        'AWS::EKS::AccessEntry',
        clusters.length * (accessors.length + readers.length + viewers.length + takeoverFunctions().length),
      );
      for (const [fnId] of readers) {
        const role = (stack.functions.get(fnId) as LambdaFunction).role;
        for (const cluster of clusters) {
          // Only a Kubernetes group: no EKS access policy, so nothing beyond what RBAC binds.
          expect(t).toHaveResourceProperties('AWS::EKS::AccessEntry', {
            ClusterName: cluster.name,
            PrincipalArn: { 'Fn::GetAtt': [stack.getLogicalId(role?.node.defaultChild as never), 'Arn'] },
            KubernetesGroups: ['stratus-secret-reader'],
            AccessPolicies: Match.absent(),
          });
        }
      }
      for (const [fnId] of accessors) {
        const role = (stack.functions.get(fnId) as LambdaFunction).role;
        for (const cluster of clusters) {
          expect(t).toHaveResourceProperties('AWS::EKS::AccessEntry', {
            ClusterName: cluster.name,
            PrincipalArn: { 'Fn::GetAtt': [stack.getLogicalId(role?.node.defaultChild as never), 'Arn'] },
            Type: 'STANDARD',
            KubernetesGroups: ['stratus-provisioner'],
            AccessPolicies: Match.absent(),
          });
        }
      }
    }
  });

  it('grants each function only the DynamoDB actions of its table permissions, never Scan, batch writes or stream reads, BatchGetItem to the reconciler only', () => {
    expect(
      functionEntries.filter(([, def]) => def.permissions.includes('table:batch-read')).map(([id]) => id),
    ).toEqual(['reconciler']);
    for (const stack of stacks) {
      const t = template(stack);
      const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources);
      for (const [fnId, def] of functionEntries) {
        const roleId = stack.getLogicalId(
          (stack.functions.get(fnId) as LambdaFunction).role?.node.defaultChild as never,
        );
        const actions = new Set(
          policies
            .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
            .flatMap(
              (p) =>
                (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> })
                  .Statement,
            )
            .flatMap((st) => [st.Action].flat())
            .filter((a) => a.startsWith('dynamodb:')),
        );
        const want = [
          ...(def.permissions.includes('table:write')
            ? TABLE_ACTIONS['table:write']
            : def.permissions.includes('table:read')
              ? TABLE_ACTIONS['table:read']
              : []),
          // BatchGetItem only where declared: the reconciler's orphan pass.
          ...(def.permissions.includes('table:batch-read') ? TABLE_ACTIONS['table:batch-read'] : []),
        ];
        const stream = def.triggers.some((tr) => tr.type === 'stream')
          ? [
              'dynamodb:DescribeStream',
              'dynamodb:GetRecords',
              'dynamodb:GetShardIterator',
              'dynamodb:ListStreams',
            ]
          : [];
        expect([...actions].sort(), `${fnId} in ${stack.region}`).toEqual([...want, ...stream].sort());
      }
    }
  });

  it('checks the clusters before any access entry: every AccessEntry depends on the preflight custom resource', () => {
    for (const stack of stacks) {
      const t = template(stack);
      const check = stack.getLogicalId(stack.preflight.check.node.defaultChild as never);
      expect(t).toHaveResourceProperties('Custom::StratusPreflight', {
        Clusters: regionConfigOf(stack).eksClusters.map((c) => c.name),
        Region: stack.region,
        ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PreflightFunction'), 'Arn'] },
      });
      const entries = Object.values(
        t.findResources('AWS::EKS::AccessEntry') as Record<string, { DependsOn?: string[] }>,
      );
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) expect(entry.DependsOn ?? []).toContain(check);
    }
  });

  it('gives the API function no EKS access; only the reveal function reads Secrets', () => {
    for (const stack of stacks) {
      const t = template(stack);
      const roleId = (fnId: FunctionId) =>
        stack.getLogicalId((stack.functions.get(fnId) as LambdaFunction).role?.node.defaultChild as never);
      const entries = Object.values(t.findResources('AWS::EKS::AccessEntry') as Resources);
      const principals = entries.map((e) => JSON.stringify(e.Properties.PrincipalArn));
      expect(principals.some((p) => p.includes(roleId('api')))).toBe(false);
      expect(principals.filter((p) => p.includes(roleId('reveal')))).toHaveLength(
        regionConfigOf(stack).eksClusters.length,
      );
      const apiActions = Object.values(t.findResources('AWS::IAM::Policy') as Resources)
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId('api')))
        .flatMap(
          (p) =>
            (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement,
        )
        .flatMap((st) => [st.Action].flat());
      expect(apiActions.length).toBeGreaterThan(0);
      expect(apiActions.filter((a) => a.startsWith('eks:') || a.startsWith('sts:'))).toEqual([]);
      expect(t).toHaveResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        Integration: {
          Uri: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(stack, 'reveal'), 'Arn'] }])],
          }),
        },
        ResourceId: Match.anyValue(),
      });
    }
  });

  it('associates no EKS access policy with any role by default, takeover roles included', () => {
    for (const stack of stacks) {
      const entries = Object.values(template(stack).findResources('AWS::EKS::AccessEntry') as Resources);
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) expect(e.Properties.AccessPolicies, stack.stackName).toBeUndefined();
    }
  });

  it('scopes an eksAccessPolicy, when configured, to the stratus-* namespaces, for the provisioner and its takeover role only', () => {
    // Prepare
    const { stacks: configured } = buildApp(
      parseConfig({ ...TWO_REGIONS, eksAccessPolicy: 'AmazonEKSEditPolicy' }),
    );
    const stack = configured[0] as StratusRegionStack;
    const t = Template.fromStack(stack);
    const roleOf = (r: { node: { defaultChild?: unknown } } | undefined) =>
      ({ 'Fn::GetAtt': [stack.getLogicalId(r?.node.defaultChild as never), 'Arn'] }) as const;
    const provisionerRoles = [
      roleOf((stack.functions.get('provisioner') as LambdaFunction).role),
      roleOf(stack.functions.takeoverRole('provisioner')),
    ].map((r) => JSON.stringify(r));

    // Act
    const entries = Object.values(t.findResources('AWS::EKS::AccessEntry') as Resources);

    // Assess
    const withPolicy = entries.filter((e) => e.Properties.AccessPolicies !== undefined);
    expect(withPolicy.map((e) => JSON.stringify(e.Properties.PrincipalArn)).sort()).toEqual(
      regionConfigOf(stack)
        .eksClusters.flatMap(() => provisionerRoles)
        .sort(),
    );
    for (const e of withPolicy) {
      expect(e.Properties.AccessPolicies).toEqual([
        {
          AccessScope: { Type: 'namespace', Namespaces: ['stratus-*'] },
          PolicyArn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSEditPolicy'],
            ],
          },
        },
      ]);
    }
  });

  it('refuses an eksAccessPolicy that is not namespace-scopable edit or admin, and Kubernetes groups without stratus-provisioner', () => {
    expect(() => parseConfig({ ...TWO_REGIONS, eksAccessPolicy: 'AmazonEKSClusterAdminPolicy' })).toThrow(
      /eksAccessPolicy/,
    );
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () =>
        new StratusRegionStack(app, 'Groups', {
          env: { account: '123456789012', region: 'eu-west-1' },
          config: TWO_REGIONS,
          eksKubernetesGroups: ['platform-writers'],
        }),
    ).toThrow(/stratus-provisioner/);
  });
});

describe('Class: StratusApi', () => {
  it('has exactly one method per topology route, proxied to the function that declares it', () => {
    for (const stack of stacks) {
      // Assess: the construct tree (paths) ...
      const methods = stack.api.restApi.methods.map((m) => `${m.httpMethod} ${m.resource.path}`);
      expect(methods.sort()).toEqual(
        httpRoutes()
          .map((r) => `${r.method} ${r.path}`)
          .sort(),
      );
      // ... and the template (integrations).
      const t = template(stack);
      expect(t).toHaveResourceCount('AWS::ApiGateway::Method', httpRoutes().length);
      for (const route of httpRoutes()) {
        expect(t).toHaveResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod: route.method,
          Integration: {
            Type: 'AWS_PROXY',
            Uri: Match.objectLike({
              'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(stack, route.fn), 'Arn'] }])],
            }),
          },
        });
      }
    }
  });

  it('serves the stage `live` with X-Ray, throttling, JSON access logs and execution logging', () => {
    expect(template(primary)).toHaveResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":') },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() }),
      ],
    });
    expect(template(primary)).toHaveResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('answers unknown routes with a 404 ROUTE_NOT_FOUND problem document', () => {
    const responses = template(primary).findResources('AWS::ApiGateway::GatewayResponse', {
      Properties: { ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404' },
    }) as Resources;
    const response = must(Object.values(responses)[0], 'MISSING_AUTHENTICATION_TOKEN response');
    const body = (response.Properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
    expect(JSON.parse(body)).toMatchObject({ type: 'about:blank', status: 404, code: 'ROUTE_NOT_FOUND' });
    expect(response.Properties.ResponseParameters).toEqual({
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
    });
  });

  it('renders every gateway response as a problem document whose status matches the HTTP status', () => {
    const responses = template(primary).findResources('AWS::ApiGateway::GatewayResponse') as Resources;
    const types = Object.values(responses).map((r) => r.Properties.ResponseType);
    expect(types).toEqual(
      expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN']),
    );
    for (const response of Object.values(responses)) {
      const raw = (response.Properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      // What API Gateway substitutes for $context.error.messageString: a quoted JSON string.
      const body = JSON.parse(raw.replace('$context.error.messageString', '"Some message"'));
      expect(body).toMatchObject({ type: 'about:blank', status: Number(response.Properties.StatusCode) });
      expect(body.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it("creates API Gateway's account-level CloudWatch role by default, and none when the account already has one", () => {
    // Prepare: an installation whose account manages AWS::ApiGateway::Account elsewhere.
    const { stacks: own } = buildApp(parseConfig({ ...TWO_REGIONS, apiGatewayAccount: 'existing' }));

    // Assess: one account setting per region by default (execution logging needs it); none when
    // the account has it, and the stage still logs.
    expect(template(primary)).toHaveResourceCount('AWS::ApiGateway::Account', 1);
    for (const stack of own) {
      const t = Template.fromStack(stack);
      expect(t).toHaveResourceCount('AWS::ApiGateway::Account', 0);
      expect(t).toHaveResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([Match.objectLike({ LoggingLevel: 'ERROR' })]),
      });
    }
  });

  it('keeps function logs 30 days and API access logs 90 by default, and both as long as logRetentionDays says', () => {
    // Prepare: an installation that keeps its logs a year.
    const { stacks: yearly } = buildApp(parseConfig({ ...TWO_REGIONS, logRetentionDays: 365 }));
    const t = Template.fromStack(yearly[0] as StratusRegionStack);
    const days = (tpl: Template) =>
      Object.values(tpl.findResources('AWS::Logs::LogGroup')).map(
        (r) => (r as { Properties: { RetentionInDays?: number } }).Properties.RetentionInDays,
      );

    // Assess: every log group of the stack has a retention, the configured one when configured.
    expect(new Set(days(template(primary)))).toEqual(new Set([30, 90]));
    expect(new Set(days(t))).toEqual(new Set([365]));
  });

  it('refuses a logRetentionDays that CloudWatch Logs does not offer, listing the ones it does', () => {
    expect(() => parseConfig({ ...TWO_REGIONS, logRetentionDays: 100 })).toThrow(/90, 120/);
  });

  it('refuses an apiGatewayAccount that is neither create nor existing, saying which are allowed', () => {
    expect(() => parseConfig({ ...TWO_REGIONS, apiGatewayAccount: 'shared' })).toThrow(/create.*existing/);
  });

  it('associates a regional WAF web ACL (common rule set + rate limit) with the stage', () => {
    const t = template(primary);
    expect(t).toHaveResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) } }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
          },
        }),
      ]),
    });
    expect(t).toHaveResourceCount('AWS::WAFv2::WebACLAssociation', 1);
  });
});

describe('Class: StratusEventBus', () => {
  it('creates the stratus-<stage> bus with a 30-day archive', () => {
    expect(template(primary)).toHaveResourceProperties('AWS::Events::EventBus', { Name: 'stratus-test' });
    expect(template(primary)).toHaveResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
  });
});

describe('Class: StratusRegionStack', () => {
  it('refuses a region that is not configured, saying where to add it', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () => new StratusRegionStack(app, 'Nowhere', { env: { region: 'ap-south-1' }, config: TWO_REGIONS }),
    ).toThrow(/ap-south-1 is not configured; add it to "stratus.regions"/);
  });

  it('refuses a region-agnostic stack', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new StratusRegionStack(app, 'Anywhere', { config: TWO_REGIONS })).toThrow(/set env.region/);
  });
});

describe('Function: parseConfig (apiServerCidrs, issue #10 item 7)', () => {
  const withCidrs = (apiServerCidrs: unknown) => ({
    stage: 'test',
    regions: [{ region: 'eu-west-1', eksClusters: [{ name: 'stratus-euw1-a', apiServerCidrs }] }],
  });

  it('passes each EKS cluster’s API server CIDRs to the functions in EKS_CLUSTERS', () => {
    // Prepare
    const config = parseConfig(withCidrs(['10.0.32.0/20', '172.20.0.1/32', 'fd00:ec2::/64']));

    // Act
    const [stack] = buildApp(config).stacks as [StratusRegionStack];
    const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function') as Resources;
    const env = (fnId: FunctionId) =>
      (
        must(fns[logicalIdOf(stack, fnId)], fnId).Properties.Environment as {
          Variables: Record<string, string>;
        }
      ).Variables;

    // Assess
    for (const fnId of ['provisioner', 'reconciler'] as const) {
      expect(JSON.parse(env(fnId).EKS_CLUSTERS as string)).toEqual([
        {
          name: 'stratus-euw1-a',
          capacityNodes: 500,
          region: 'eu-west-1',
          apiServerCidrs: ['10.0.32.0/20', '172.20.0.1/32', 'fd00:ec2::/64'],
        },
      ]);
    }
  });

  it.each([
    [['10.0.32.0'], /"10\.0\.32\.0" is not a CIDR; write an address with its prefix length/],
    [['10.0.300.0/24'], /is not a CIDR/],
    [['api.example.com'], /is not a CIDR/],
    [['0.0.0.0/0'], /0\.0\.0\.0\/0 allows every address/],
    [['::/0'], /::\/0 allows every address/],
    [[], /apiServerCidrs needs at least one CIDR/],
  ])('refuses %j with an error that says what to write', (cidrs, message) => {
    expect(() => parseConfig(withCidrs(cidrs))).toThrow(message);
    expect(() => parseConfig(withCidrs(cidrs))).toThrow(/eksClusters\[0\]\.apiServerCidrs/);
  });
});
