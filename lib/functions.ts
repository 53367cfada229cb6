import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  type IAlarmAction,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  FilterCriteria,
  type IFunction,
  LoggingFormat,
  Runtime,
  StartingPosition,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type EnvSource,
  FUNCTIONS,
  type FunctionDef,
  type FunctionId,
  QUEUES,
  type QueueId,
  type Trigger,
} from '../functions/topology.js';
import type { StratusEventBus } from './bus.js';
import { acknowledgeWildcardResource, pascalCase } from './nag.js';
import type { StratusQueues } from './queues.js';

/** Repository root: topology entries are relative to it, and so is the lockfile esbuild uses. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The EKS access policies that fit the provisioner; see `eksAccessPolicy`. */
export type EksAccessPolicyName =
  | 'AmazonEKSAdminPolicy'
  | 'AmazonEKSEditPolicy'
  | 'AmazonEKSClusterAdminPolicy';

export interface EksClusterRef {
  readonly name: string;
  readonly capacityNodes: number;
}

export interface StratusFunctionsProps {
  /** Every configured region, primary first (the `regions` env source). */
  readonly regions: readonly string[];
  /** Public API base URL by region, where the config gives one (the `apiUrls` env source). */
  readonly apiUrls: Readonly<Record<string, string>>;
  /** The EKS clusters of this region (the `eksClusters` env source, `eks:*` permissions). */
  readonly eksClusters: readonly EksClusterRef[];
  /** This region's table (replica); stream triggers read `tableStreamArn`. */
  readonly table: ITableV2;
  readonly queues: StratusQueues;
  readonly bus: StratusEventBus;
  /**
   * EKS access policy associated, at cluster scope, with the access entry of every function that
   * has the `eks:access` permission.
   *
   * `AmazonEKSAdminPolicy` mirrors Kubernetes' `admin` role: it covers the namespaced workload
   * objects (StatefulSets, Services, Secrets, NetworkPolicies, PodDisruptionBudgets) in every
   * namespace, but not creating Namespaces, writing ResourceQuotas/LimitRanges, or custom
   * resources (CloudNativePG). Those come from Kubernetes RBAC bound to `eksKubernetesGroups`
   * (see lib/README.md), or, bluntly, from `AmazonEKSClusterAdminPolicy`.
   *
   * @default 'AmazonEKSAdminPolicy'
   */
  readonly eksAccessPolicy?: EksAccessPolicyName;
  /**
   * Kubernetes groups of the access entry, for the ClusterRoleBinding a platform team writes to
   * grant exactly what the access policy lacks.
   *
   * @default ['stratus-provisioner']
   */
  readonly eksKubernetesGroups?: readonly string[];
  /**
   * Retention of each function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Actions of the alarms on scheduled functions' errors (a reconciler that fails no longer
   * enforces operation deadlines).
   *
   * @default - no action: the alarms are visible in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];
}

/**
 * One `NodejsFunction` per entry of `FUNCTIONS` in functions/topology.ts, with its environment,
 * permissions and non-HTTP triggers generated from that declaration (DESIGN.md section 5). HTTP
 * routes are wired by `StratusApi`.
 */
export class StratusFunctions extends Construct {
  private readonly functions = new Map<FunctionId, NodejsFunction>();
  /** Alarms on the errors of scheduled functions, for dashboards or extra actions. */
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: StratusFunctionsProps) {
    super(scope, id);
    if (props.eksClusters.length === 0) {
      throw new Error(
        'StratusFunctions: the region needs at least one EKS cluster (eksClusters in cdk.json).',
      );
    }
    const names = props.eksClusters.map((c) => c.name);
    if (new Set(names.map(pascalCase)).size !== names.length) {
      throw new Error(
        `StratusFunctions: EKS cluster names of a region must be distinct: ${names.join(', ')}.`,
      );
    }
    if (props.table.tableStreamArn === undefined) {
      throw new Error('StratusFunctions: the table has no stream; stream triggers need tableStreamArn.');
    }

    for (const [fnId, def] of Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>) {
      const fn = this.createFunction(fnId, def, props);
      this.functions.set(fnId, fn);
      this.grantPermissions(fnId, def, fn, props);
      for (const trigger of def.triggers) this.addTrigger(fnId, def, trigger, fn, props);
    }
  }

  private pageTokenKey?: Secret;

  /** The HMAC key of pagination tokens: generated, never in the template or the environment. */
  private pageTokenSecret(): Secret {
    if (!this.pageTokenKey) {
      this.pageTokenKey = new Secret(this, 'PageTokenKey', {
        description: 'Stratus API: HMAC key of pagination tokens',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      Validations.of(this.pageTokenKey).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An HMAC key for pagination tokens: rotating it only invalidates outstanding nextTokens (clients restart the listing); rotation is a manual runbook step, not automated.',
      });
    }
    return this.pageTokenKey;
  }

  /** The function declared as `fnId` in topology.ts. */
  public get(fnId: FunctionId): IFunction {
    const fn = this.functions.get(fnId);
    if (fn === undefined) throw new Error(`No function "${fnId}" in FUNCTIONS of functions/topology.ts.`);
    return fn;
  }

  private createFunction(fnId: FunctionId, def: FunctionDef, props: StratusFunctionsProps): NodejsFunction {
    const name = pascalCase(fnId);
    const logGroup = new LogGroup(this, `${name}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    // Our own role, writing only to its own log group, instead of AWSLambdaBasicExecutionRole
    // (logs:* on every log group of the account).
    const role = new Role(this, `${name}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stratus ${fnId} function`,
    });
    logGroup.grantWrite(role);

    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: `stratus-${kebabCase(fnId)}`,
      // Stack traces point at the TypeScript sources (the bundle ships its source map).
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const [key, source] of Object.entries(def.environment)) {
      environment[key] = this.resolveEnv(source, props);
    }

    const fn = new NodejsFunction(this, name, {
      entry: join(REPO_ROOT, def.entry),
      handler: def.handler,
      description: def.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: def.memoryMb,
      timeout: Duration.seconds(def.timeoutSeconds),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        // esbuild turns the require() calls of CommonJS dependencies into a shim that needs a real
        // `require` in an ES module.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        // Ship the SDK versions of the lockfile, the ones the tests ran against, rather than
        // whatever the runtime carries this month.
        bundleAwsSDK: true,
        // No Docker on the build machines: esbuild from node_modules.
        forceDockerBundling: false,
      },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x on purpose: the handlers must run on Node 20 locally and on 22 in Lambda (DESIGN.md section 6); 24.x is a later, tested move.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (stream triggers) do not support resource-level permissions.',
    });
    return fn;
  }

  private resolveEnv(source: EnvSource, props: StratusFunctionsProps): string {
    if ('value' in source) return source.value;
    switch (source.ref) {
      case 'table':
        return props.table.tableName;
      case 'queueUrl':
        return props.queues.queue(source.queue).queueUrl;
      case 'bus':
        return props.bus.bus.eventBusName;
      case 'region':
        return Stack.of(this).region;
      case 'regions':
        return props.regions.join(',');
      case 'apiUrls':
        return JSON.stringify(props.apiUrls);
      case 'eksClusters':
        return JSON.stringify(
          props.eksClusters.map((c) => ({ name: c.name, capacityNodes: c.capacityNodes })),
        );
      case 'kubeAuth':
        return 'eks';
      case 'pageTokenSecret':
        return this.pageTokenSecret().secretArn;
    }
  }

  private grantPermissions(
    fnId: FunctionId,
    def: FunctionDef,
    fn: NodejsFunction,
    props: StratusFunctionsProps,
  ) {
    const role = fn.role;
    if (role === undefined) throw new Error(`StratusFunctions: ${fnId} has no role to grant to.`);
    const indexArn = `${props.table.tableArn}/index/*`;
    for (const permission of def.permissions) {
      switch (permission) {
        case 'table:read':
          props.table.grantReadData(fn);
          acknowledgeWildcardResource(role, indexArn, INDEX_REASON);
          break;
        case 'table:write':
          props.table.grantReadWriteData(fn);
          acknowledgeWildcardResource(role, indexArn, INDEX_REASON);
          break;
        case 'queue:send': {
          const queueIds = Object.values(def.environment).flatMap((s) =>
            'ref' in s && s.ref === 'queueUrl' ? [s.queue] : [],
          );
          if (queueIds.length === 0) {
            throw new Error(
              `FUNCTIONS.${fnId} has 'queue:send' but no queueUrl environment variable naming the queue (functions/topology.ts).`,
            );
          }
          for (const queueId of new Set(queueIds)) props.queues.queue(queueId).grantSendMessages(fn);
          break;
        }
        case 'bus:put':
          props.bus.grantPutEventsTo(fn);
          break;
        case 'eks:describe':
          fn.addToRolePolicy(
            new PolicyStatement({
              actions: ['eks:DescribeCluster'],
              resources: props.eksClusters.map((c) =>
                Stack.of(this).formatArn({ service: 'eks', resource: 'cluster', resourceName: c.name }),
              ),
            }),
          );
          break;
        case 'eks:access':
          this.addAccessEntries(fnId, fn, props);
          break;
        case 'eks:read-secrets':
          // No EKS access policy: only the Kubernetes group, which the platform binds to a Role
          // that reads Secrets in Stratus namespaces (docs/eks.md).
          this.addAccessEntries(fnId, fn, props, { groups: ['stratus-secret-reader'], policy: false });
          break;
        case 'eks:view':
          // Read-only: AmazonEKSViewPolicy covers namespaces and most namespaced kinds; the group
          // adds what it lacks (Secrets by existence, Roles, operator resources; docs/eks.md).
          this.addAccessEntries(fnId, fn, props, {
            groups: ['stratus-reconciler'],
            policy: 'AmazonEKSViewPolicy',
          });
          break;
        case 'secret:page-token':
          this.pageTokenSecret().grantRead(fn);
          break;
      }
    }
  }

  /**
   * Maps the function's role into each EKS cluster of the region (API authentication mode), so its
   * presigned-STS token authenticates (DESIGN.md section 4). Cluster scope because the
   * provisioner creates a namespace per database cluster: namespaces are not known in advance.
   */
  private addAccessEntries(
    fnId: FunctionId,
    fn: NodejsFunction,
    props: StratusFunctionsProps,
    only?: { groups: string[]; policy: false | 'AmazonEKSViewPolicy' },
  ): void {
    const policyName = only?.policy || props.eksAccessPolicy || 'AmazonEKSAdminPolicy';
    const kubernetesGroups = only?.groups ?? [...(props.eksKubernetesGroups ?? ['stratus-provisioner'])];
    const role = fn.role;
    if (role === undefined) throw new Error(`StratusFunctions: ${fnId} has no role to map into EKS.`);
    for (const cluster of props.eksClusters) {
      new CfnAccessEntry(this, `${pascalCase(fnId)}AccessEntry${pascalCase(cluster.name)}`, {
        clusterName: cluster.name,
        principalArn: role.roleArn,
        type: 'STANDARD',
        kubernetesGroups,
        ...(only?.policy === false
          ? {}
          : {
              accessPolicies: [
                {
                  policyArn: `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${policyName}`,
                  accessScope: { type: 'cluster' },
                },
              ],
            }),
      });
    }
  }

  private addTrigger(
    fnId: FunctionId,
    def: FunctionDef,
    trigger: Trigger,
    fn: NodejsFunction,
    props: StratusFunctionsProps,
  ): void {
    const region = Stack.of(this).region;
    switch (trigger.type) {
      case 'http':
        return; // StratusApi wires the routes.
      case 'stream':
        fn.addEventSource(
          new DynamoEventSource(props.table, {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: trigger.batchSize,
            maxBatchingWindow: seconds(trigger.maxBatchingWindowSeconds),
            retryAttempts: trigger.retryAttempts,
            bisectBatchOnError: trigger.bisectBatchOnError,
            reportBatchItemFailures: true,
            // Lambda event filtering: only this region's records invoke (and bill) the function.
            filters: trigger.filters(region).map((pattern) => FilterCriteria.filter(pattern)),
            onFailure: new SqsDlq(props.queues.streamFailureQueue(fnId)),
          }),
        );
        return;
      case 'queue': {
        const visibility = QUEUES[trigger.queue].visibilityTimeoutSeconds;
        if (visibility < def.timeoutSeconds) {
          throw new Error(
            `QUEUES.${trigger.queue}.visibilityTimeoutSeconds (${visibility}) must be at least FUNCTIONS.${fnId}.timeoutSeconds (${def.timeoutSeconds}); AWS recommends 6x (functions/topology.ts).`,
          );
        }
        fn.addEventSource(
          new SqsEventSource(props.queues.queue(trigger.queue as QueueId), {
            batchSize: trigger.batchSize,
            maxBatchingWindow: seconds(trigger.maxBatchingWindowSeconds),
            maxConcurrency: trigger.maxConcurrency,
            reportBatchItemFailures: true,
          }),
        );
        return;
      }
      case 'schedule': {
        if (!Number.isInteger(trigger.everyMinutes) || trigger.everyMinutes < 1) {
          throw new Error(
            `FUNCTIONS.${fnId}: a schedule trigger's everyMinutes must be a whole number of minutes, at least 1 (functions/topology.ts).`,
          );
        }
        if (def.timeoutSeconds >= trigger.everyMinutes * 60) {
          throw new Error(
            `FUNCTIONS.${fnId}.timeoutSeconds (${def.timeoutSeconds}) must be shorter than its schedule (${trigger.everyMinutes} min), so runs do not pile up (functions/topology.ts).`,
          );
        }
        const name = pascalCase(fnId);
        // Schedule rules live on the default bus. No retries: a missed tick is covered by the next.
        new Rule(this, `${name}Schedule`, {
          description: `Runs ${fnId} every ${trigger.everyMinutes} minute(s) (functions/topology.ts)`,
          schedule: Schedule.rate(Duration.minutes(trigger.everyMinutes)),
          targets: [
            new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(trigger.everyMinutes) }),
          ],
        });
        // Lambda retries failed asynchronous invocations twice by default; the next tick does that job.
        fn.configureAsyncInvoke({ retryAttempts: 0 });
        const alarm = fn
          .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
          .createAlarm(this, `${name}ErrorsAlarm`, {
            alarmDescription: `${fnId} runs failed (scheduled every ${trigger.everyMinutes} min): read its logs; see docs/operations.md.`,
            threshold: 0,
            comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          });
        alarm.addAlarmAction(...(props.alarmActions ?? []));
        this.alarms.push(alarm);
        // A schedule that stopped firing fails silently otherwise: no runs is an alarm too.
        const silent = fn
          .metricInvocations({
            period: Duration.minutes(Math.max(5, trigger.everyMinutes * 3)),
            statistic: 'Sum',
          })
          .createAlarm(this, `${name}NotRunningAlarm`, {
            alarmDescription: `${fnId} has not run (scheduled every ${trigger.everyMinutes} min): check its EventBridge rule is enabled; see docs/operations.md.`,
            threshold: 1,
            comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: 2,
            treatMissingData: TreatMissingData.BREACHING,
          });
        silent.addAlarmAction(...(props.alarmActions ?? []));
        this.alarms.push(silent);
        return;
      }
    }
  }
}

const INDEX_REASON =
  'Grants include the table GSIs (gsi1: listings by tenant/status); `<table>/index/*` covers only the indexes of this table.';

/** Zero means "no batching window": leave the property out rather than send 0. */
function seconds(value: number): Duration | undefined {
  return value > 0 ? Duration.seconds(value) : undefined;
}

function kebabCase(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
