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
import { AccountRootPrincipal, type IRole, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import {
  Code,
  FilterCriteria,
  type IFunction,
  type Function as LambdaFunctionResource,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type { ObjectLock } from '../functions/shared/object-lock.js';
import {
  type EnvSource,
  FUNCTIONS,
  type FunctionDef,
  type FunctionId,
  QUEUES,
  type QueueId,
  type Trigger,
  takeoverFunctions,
} from '../functions/topology.js';
import type { StratusBackupBucket } from './backup-bucket.js';
import type { StratusBackupIdentity } from './backup-identity.js';
import type { StratusEventBus } from './bus.js';
import {
  type AlarmThresholds,
  DEFAULT_ALARM_THRESHOLDS,
  eksPoolEntry,
  functionRoleName,
  takeoverRoleName,
} from './config.js';
import { type FunctionNetwork, StratusFunction } from './function.js';
import { type FunctionBundles, functionBundles } from './function-bundles.js';
import { acknowledgeWildcardResource, pascalCase } from './nag.js';
import { stratusNames } from './names.js';
import type { StratusQueues } from './queues.js';

/**
 * The EKS access policies that may be added to the provisioner's RBAC; see `eksAccessPolicy`.
 * Always at namespace scope (`stratus-*`): a cluster-scoped policy would make the provisioner an
 * administrator of every namespace.
 */
export type EksAccessPolicyName = 'AmazonEKSAdminPolicy' | 'AmazonEKSEditPolicy';
export const EKS_ACCESS_POLICY_NAMES: readonly EksAccessPolicyName[] = [
  'AmazonEKSEditPolicy',
  'AmazonEKSAdminPolicy',
];
/** The namespaces an `eksAccessPolicy` is scoped to: Stratus's own (tenancy.ts `namespaceOf`). */
export const STRATUS_NAMESPACES = 'stratus-*';
/** The Kubernetes group deploy/kubernetes/rbac.yaml binds and the rendered RoleBindings name. */
const PROVISIONER_GROUP = 'stratus-provisioner';

export interface EksClusterRef {
  readonly name: string;
  readonly capacityNodes: number;
  /**
   * The cluster's Kubernetes API server addresses, for the egress of pods that call it
   * (`apiServerCidrs` in lib/config.ts).
   *
   * @default - the private address ranges
   */
  readonly apiServerCidrs?: readonly string[];
}

/** An EKS cluster of any configured region (the `eksClusters` env source). */
export interface EksPoolRef extends EksClusterRef {
  readonly region: string;
}

export interface StratusFunctionsProps {
  /**
   * The functions' code: the one esbuild build of every function (lib/function-bundles.ts).
   *
   * @default - `functionBundles()`: built now unless an up-to-date build exists
   */
  readonly bundles?: FunctionBundles;
  /** Prefix of the fixed IAM role names (`stratus-<stage>-<region>-<function>[-takeover]`) and of the page-token secret. */
  readonly stage: string;
  /**
   * Every configured region, primary first (the `regions` env source). The primary's stack owns
   * the page-token secret; the others read its replica.
   */
  readonly regions: readonly string[];
  /** Public API base URL by region, where the config gives one (the `apiUrls` env source). */
  readonly apiUrls: Readonly<Record<string, string>>;
  /**
   * Origins the API's CORS allows (the `corsOrigins` env source): the web console's.
   *
   * @default - none
   */
  readonly corsOrigins?: readonly string[];
  /** The EKS clusters of this region (`eks:*` permissions, access entries). */
  readonly eksClusters: readonly EksClusterRef[];
  /**
   * Every configured region's EKS clusters, this region's included (the `eksClusters` env source):
   * a region that took over another manages that region's databases on that region's clusters.
   *
   * @default - this region's `eksClusters` only
   */
  readonly eksPool?: readonly EksPoolRef[];
  /**
   * Public endpoints (issue #17): the domain under which clusters get their names (the
   * `eksClusters` env source gives each gateway its host suffix), and the regions whose EKS
   * clusters have a gateway (the `endpointRegions` env source), and those whose gateways have a
   * `databaseIssuer` (the `tlsRegions` env source).
   *
   * @default - none: no public endpoints
   */
  readonly endpoints?: {
    readonly domain: string;
    readonly regions: readonly string[];
    /** Regions where clusters are created with TLS to the database (the `tlsRegions` env source). @default - none */
    readonly tlsRegions?: readonly string[];
  };
  /**
   * Other regions whose functions may reach this region's EKS clusters after a takeover: for each
   * function of `takeoverFunctions()` (topology), a takeover role here trusts that function's role
   * in these regions, with the same EKS access as the function has here. Empty: no takeover role.
   *
   * @default - every other region of `regions`
   */
  readonly takeoverFrom?: readonly string[];
  /**
   * Other regions whose takeover roles this region's functions may assume (the `takeoverRoles`
   * env source and `sts:AssumeRole`): the regions that allow takeover access.
   *
   * @default - every other region of `regions`
   */
  readonly takeoverInto?: readonly string[];
  /** The region's backup bucket (the `backupBucket` env source, `backup:*` permissions). */
  readonly backupBucket: StratusBackupBucket;
  /** The backup pods' role (the `backupRole` env source, `backup:identity`). */
  readonly backupIdentity: StratusBackupIdentity;
  /** The backup buckets' Object Lock (the `backupObjectLock` env source). @default - none */
  readonly backupObjectLock?: ObjectLock;
  /**
   * Other regions' backups copied to this region, by source region -> the copy bucket's name (the
   * `backupCopies` env source: a restore here may read them).
   *
   * @default - none
   */
  readonly backupCopies?: Readonly<Record<string, string>>;
  /** This region's table (replica); stream triggers read `tableStreamArn`. */
  readonly table: ITableV2;
  readonly queues: StratusQueues;
  readonly bus: StratusEventBus;
  /**
   * An EKS access policy to associate with the access entry of every function that has the
   * `eks:access` permission (the provisioner) and of its takeover role (the same code path), at
   * **namespace** scope, namespaces `stratus-*` (EKS accepts a trailing wildcard there).
   *
   * Not needed: deploy/kubernetes/rbac.yaml grants the provisioner exactly what it does, and the
   * access policy cannot grant what it needs most (creating namespaces, ResourceQuotas, operator
   * resources). An addition for platforms that manage access with EKS policies only; it widens the
   * provisioner's rights inside Stratus's namespaces (Edit: most namespaced kinds; Admin: also
   * Roles and RoleBindings).
   *
   * @default - none: the Kubernetes groups alone, and so the RBAC bound to them, decide
   */
  readonly eksAccessPolicy?: EksAccessPolicyName;
  /**
   * Kubernetes groups of the provisioner's access entry. Must include `stratus-provisioner`: the
   * group that deploy/kubernetes binds, that the per-namespace RoleBindings Stratus renders name,
   * and that the admission policy confines. Extra groups add what their bindings grant.
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
   * Actions of every function's alarms (the region's alarm topic).
   *
   * @default - no action: the alarms are visible in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * When the functions' alarms fire (the config's `alarms`; the stream iterator age).
   *
   * @default DEFAULT_ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<AlarmThresholds>;
  /**
   * What every EKS access entry waits for: the deploy-time check that the clusters take access
   * entries (lib/preflight.ts).
   *
   * @default - none
   */
  readonly preflight?: IDependable;
  /**
   * Where the Kubernetes-facing functions (any `eks:*` permission) run: a VPC's private subnets
   * and a security group (lib/network.ts). The others stay outside: they call only AWS APIs.
   *
   * @default - no VPC: the EKS API endpoints must be public
   */
  readonly network?: FunctionNetwork;
}

/**
 * One `LambdaFunctionResource` per entry of `FUNCTIONS` in functions/topology.ts, with its environment,
 * permissions and non-HTTP triggers generated from that declaration (DESIGN.md section 5). HTTP
 * routes are wired by `StratusApi`.
 */
export class StratusFunctions extends Construct {
  private readonly functions = new Map<FunctionId, LambdaFunctionResource>();
  /** Every function's bundle, built once per process whatever the number of stacks. */
  private readonly bundles: FunctionBundles;
  private readonly stage: string;
  /** Other regions whose functions may assume this region's takeover roles. */
  private readonly takeoverFrom: readonly string[];
  /** Other regions whose takeover roles this region's functions may assume. */
  private readonly takeoverInto: readonly string[];
  /** By function: the role that function of the other regions assumes to reach this region's EKS clusters. */
  private readonly takeoverRoles = new Map<FunctionId, Role>();
  private readonly constructs = new Map<FunctionId, StratusFunction>();

  /** Every function's alarms (each under its function's `Alarms`), for the dashboard. */
  public get alarms(): Alarm[] {
    return [...this.constructs.values()].flatMap((f) => f.alarms);
  }

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
    if (props.eksKubernetesGroups && !props.eksKubernetesGroups.includes(PROVISIONER_GROUP)) {
      throw new Error(
        `StratusFunctions: eksKubernetesGroups must include "${PROVISIONER_GROUP}" (the group deploy/kubernetes/rbac.yaml binds and the admission policy confines); got ${JSON.stringify(props.eksKubernetesGroups)}.`,
      );
    }
    if (props.eksAccessPolicy !== undefined && !EKS_ACCESS_POLICY_NAMES.includes(props.eksAccessPolicy)) {
      throw new Error(
        `StratusFunctions: eksAccessPolicy must be one of ${EKS_ACCESS_POLICY_NAMES.join(', ')} (namespace-scoped), or left out; got ${props.eksAccessPolicy}.`,
      );
    }
    if (props.table.tableStreamArn === undefined) {
      throw new Error('StratusFunctions: the table has no stream; stream triggers need tableStreamArn.');
    }

    const region = Stack.of(this).region;
    const others = props.regions.filter((r) => r !== region);
    this.bundles = props.bundles ?? functionBundles();
    this.stage = props.stage;
    this.takeoverFrom = props.takeoverFrom ?? others;
    this.takeoverInto = props.takeoverInto ?? others;
    for (const r of [...this.takeoverFrom, ...this.takeoverInto]) {
      if (r === region || !props.regions.includes(r)) {
        throw new Error(
          `StratusFunctions: takeover regions must be other configured regions (${others.join(', ') || 'none'}); got ${r}.`,
        );
      }
    }

    for (const [fnId, def] of Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>) {
      const fn = this.createFunction(fnId, def, props);
      this.functions.set(fnId, fn);
      this.grantPermissions(fnId, def, fn, props);
      for (const trigger of def.triggers) this.addTrigger(fnId, def, trigger, fn, props);
      this.addAlarms(fnId, def, { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds });
    }
    for (const fnId of takeoverFunctions()) this.addTakeoverAccess(fnId, props);
  }

  private pageTokenKey?: ISecret;

  /**
   * The secret pagination tokens are encrypted with (the API derives an AES-256-GCM key from it
   * with HKDF): generated, never in the template or the environment. One
   * key for every region, so that a nextToken from one region's API works in another's: the
   * first region's stack creates the secret with a replica in each other region, under one fixed
   * name; the other stacks refer to their replica by that name (deploy the first region first).
   */
  private pageTokenSecret(props: StratusFunctionsProps): ISecret {
    if (!this.pageTokenKey) {
      const secretName = pageTokenSecretName(this.stage);
      const [primary, ...replicas] = props.regions;
      if (Stack.of(this).region === primary) {
        const secret = new Secret(this, 'PageTokenKey', {
          secretName,
          description: 'Stratus API: key of pagination tokens (replicated to every Stratus region)',
          generateSecretString: { passwordLength: 48, excludePunctuation: true },
          replicaRegions: replicas.map((region) => ({ region })),
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The key of pagination tokens: rotating it only invalidates outstanding nextTokens (clients restart the listing); rotation is a manual runbook step, not automated.',
        });
        this.pageTokenKey = secret;
      } else {
        this.pageTokenKey = Secret.fromSecretNameV2(this, 'PageTokenKey', secretName);
      }
    }
    return this.pageTokenKey;
  }

  /** The takeover role this region has for `fnId` of the other regions, if any. */
  public takeoverRole(fnId: FunctionId): IRole | undefined {
    return this.takeoverRoles.get(fnId);
  }

  /** The function declared as `fnId` in topology.ts. */
  public get(fnId: FunctionId): IFunction {
    const fn = this.functions.get(fnId);
    if (fn === undefined) throw new Error(`No function "${fnId}" in FUNCTIONS of functions/topology.ts.`);
    return fn;
  }

  private createFunction(
    fnId: FunctionId,
    def: FunctionDef,
    props: StratusFunctionsProps,
  ): LambdaFunctionResource {
    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: `stratus-${kebabCase(fnId)}`,
      // Stack traces point at the TypeScript sources (the bundle ships its source map).
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const [key, source] of Object.entries(def.environment)) {
      environment[key] = this.resolveEnv(fnId, source, props);
    }
    // Only the functions that reach Kubernetes run in the VPC; the others call AWS APIs only.
    const inVpc = def.permissions.some((p) => p.startsWith('eks:'));
    const fn = new StratusFunction(this, pascalCase(fnId), {
      // The function's folder of the one build of every function (lib/function-bundles.ts): an
      // ES module bundle with the AWS SDK of the lockfile, and its source map.
      code: Code.fromAsset(this.bundles.folder(fnId)),
      handler: `index.${def.handler}`,
      description: def.description,
      memoryMb: def.memoryMb,
      timeout: Duration.seconds(def.timeoutSeconds),
      // Fixed, so that the other regions' takeover roles can trust it by ARN (D19).
      roleName: functionRoleName(props.stage, Stack.of(this).region, fnId),
      environment,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(inVpc && props.network ? { network: props.network } : {}),
      ...(props.alarmActions ? { alarmActions: props.alarmActions } : {}),
    });
    this.constructs.set(fnId, fn);
    return fn.resource;
  }

  /**
   * A function's alarms, under its construct (`Functions/<Name>/Alarms/...`): errors and
   * throttles of every function, the iterator age of stream consumers, and for a scheduled
   * function its silence (a schedule that stopped firing fails silently otherwise).
   */
  private addAlarms(fnId: FunctionId, def: FunctionDef, thresholds: AlarmThresholds): void {
    const fn = this.constructs.get(fnId);
    if (fn === undefined) return;
    const lambda = fn.resource;
    const schedule = def.triggers.find((t) => t.type === 'schedule');
    if (schedule?.type === 'schedule') {
      fn.addAlarm('Errors', {
        metric: lambda.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        description: `${fnId} runs failed (scheduled every ${schedule.everyMinutes} min) in 2 of the last 3 five-minute periods: read its log group.`,
        threshold: 0,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
      fn.addAlarm('NotRunning', {
        metric: lambda.metricInvocations({
          period: Duration.minutes(Math.max(5, schedule.everyMinutes * 3)),
          statistic: 'Sum',
        }),
        description: `${fnId} has not run (scheduled every ${schedule.everyMinutes} min): check that its EventBridge rule is enabled.`,
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.BREACHING,
      });
    } else {
      fn.addAlarm('Errors', {
        metric: lambda.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        description: `${fnId} failed (errors or timeouts) in 2 of the last 3 five-minute periods: read its log group.`,
        threshold: 0,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
    }
    fn.addAlarm('Throttles', {
      metric: lambda.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
      description: `${fnId} was throttled: the account's or region's Lambda concurrency is exhausted.`,
      threshold: 0,
      evaluationPeriods: 1,
    });
    if (def.triggers.some((t) => t.type === 'stream')) {
      fn.addAlarm('IteratorAge', {
        metric: lambda.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        description: `${fnId} is more than ${thresholds.streamIteratorAgeSeconds} s behind its DynamoDB stream, 5 minutes in a row (records are lost after 24 h): look for a failing batch in its log group.`,
        threshold: thresholds.streamIteratorAgeSeconds * 1000,
        evaluationPeriods: 5,
      });
    }
  }

  private resolveEnv(fnId: FunctionId, source: EnvSource, props: StratusFunctionsProps): string {
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
      case 'corsOrigins':
        // An origin may be a token (the console distribution's domain): joined, it resolves to Fn::Join.
        return (props.corsOrigins ?? []).join(',');
      case 'eksClusters': {
        const region = Stack.of(this).region;
        const pool = props.eksPool ?? props.eksClusters.map((c) => ({ ...c, region }));
        return JSON.stringify(pool.map((c) => eksPoolEntry(c, c.region, props.endpoints?.domain)));
      }
      case 'endpointRegions':
        return (props.endpoints?.regions ?? []).join(',');
      case 'tlsRegions':
        return (props.endpoints?.tlsRegions ?? []).join(',');
      case 'takeoverRoles':
        return Stack.of(this).toJsonString(
          Object.fromEntries(
            this.takeoverInto.map((r) => [r, this.roleArn(takeoverRoleName(this.stage, r, fnId))]),
          ),
        );
      case 'kubeAuth':
        return 'eks';
      case 'backupBucket':
        return props.backupBucket.bucket.bucketName;
      case 'backupCopies':
        return Stack.of(this).toJsonString(props.backupCopies ?? {});
      case 'backupRole':
        return props.backupIdentity.role.roleArn;
      case 'backupObjectLock':
        return props.backupObjectLock ? JSON.stringify(props.backupObjectLock) : '';
      case 'pageTokenSecret':
        // The name, not the ARN: each region's replica has the name of the primary's secret, and
        // a different ARN (Secrets Manager finds it by name in the Lambda's own region).
        return pageTokenSecretName(this.stage);
    }
  }

  private grantPermissions(
    fnId: FunctionId,
    def: FunctionDef,
    fn: LambdaFunctionResource,
    props: StratusFunctionsProps,
  ) {
    const role = fn.role;
    if (role === undefined) throw new Error(`StratusFunctions: ${fnId} has no role to grant to.`);
    const indexArn = `${props.table.tableArn}/index/*`;
    for (const permission of def.permissions) {
      switch (permission) {
        case 'table:read':
        case 'table:write':
        case 'table:batch-read':
          // Only the actions the store calls (functions/shared/store): no Scan, no batch writes,
          // BatchGetItem only where declared (the reconciler), no stream reads (the event source
          // mappings get those from DynamoEventSource).
          fn.addToRolePolicy(
            new PolicyStatement({
              actions: [...TABLE_ACTIONS[permission]],
              resources: [props.table.tableArn, indexArn],
            }),
          );
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
        case 'eks:read-secrets':
        case 'eks:view':
          break; // One access entry per cluster for all of them, below.
        case 'secret:page-token':
          this.pageTokenSecret(props).grantRead(fn);
          break;
        case 'backup:read':
          props.backupBucket.grantList(fn);
          break;
        case 'backup:delete':
          acknowledgeWildcardResource(
            role,
            props.backupBucket.grantDelete(fn),
            'The reconciler deletes the objects under a deleted or expired backup prefix, which are named by the databases that wrote them.',
          );
          break;
        case 'backup:identity':
          props.backupIdentity.grantAssociate(fn);
          for (const arn of props.backupIdentity.associationResources) {
            acknowledgeWildcardResource(
              role,
              arn,
              'EKS names each Pod Identity association with a generated id: the provisioner updates and deletes the ones it made, on the region’s clusters only.',
            );
          }
          break;
      }
    }
    const access = eksAccess(def, props);
    if (access) this.addAccessEntries(pascalCase(fnId), role, access, props);
  }

  /**
   * Maps a role into each EKS cluster of the region (API authentication mode), so its
   * presigned-STS token authenticates (DESIGN.md section 4), as members of Kubernetes groups that
   * deploy/kubernetes binds. EKS allows one access entry per principal and cluster, so `access` is
   * the union of the function's `eks:*` permissions. The functions' roles and their takeover roles
   * both come here, so that a takeover role never has more, or less, than the function it stands
   * in for.
   */
  private addAccessEntries(
    idPrefix: string,
    role: IRole,
    access: EksAccess,
    props: StratusFunctionsProps,
  ): void {
    for (const cluster of props.eksClusters) {
      const entry = new CfnAccessEntry(this, `${idPrefix}AccessEntry${pascalCase(cluster.name)}`, {
        clusterName: cluster.name,
        principalArn: role.roleArn,
        type: 'STANDARD',
        kubernetesGroups: [...access.groups],
        ...(access.policies.length === 0
          ? {}
          : {
              accessPolicies: access.policies.map((policy) => ({
                policyArn: `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${policy}`,
                accessScope: { type: 'namespace', namespaces: [STRATUS_NAMESPACES] },
              })),
            }),
      });
      if (props.preflight) entry.node.addDependency(props.preflight);
    }
  }

  /**
   * Takeover access for `fnId` (docs/eks.md, "Takeover access"; D19). Here, for the other regions'
   * `fnId`: a role with a fixed name that only their function roles may assume (trusted by ARN
   * through `aws:PrincipalArn`, since they may not exist yet), with `eks:DescribeCluster` and the
   * same access entries as this region's own `fnId` on this region's EKS clusters. And this
   * region's `fnId` may assume the other regions' takeover roles, by name.
   */
  private addTakeoverAccess(fnId: FunctionId, props: StratusFunctionsProps): void {
    const def: FunctionDef = FUNCTIONS[fnId];
    const access = eksAccess(def, props);
    if (!access) {
      throw new Error(
        `FUNCTIONS.${fnId} declares { ref: 'takeoverRoles' } but no eks:access, eks:view or eks:read-secrets permission: its takeover roles would reach nothing (functions/topology.ts).`,
      );
    }
    const region = Stack.of(this).region;
    const name = pascalCase(fnId);

    if (this.takeoverInto.length > 0) {
      this.get(fnId).addToRolePolicy(
        new PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: this.takeoverInto.map((r) => this.roleArn(takeoverRoleName(this.stage, r, fnId))),
        }),
      );
    }

    if (this.takeoverFrom.length === 0) return;
    const role = new Role(this, `${name}TakeoverRole`, {
      roleName: takeoverRoleName(this.stage, region, fnId),
      description: `Stratus ${fnId} of ${this.takeoverFrom.join(', ')}: manages ${region}'s databases on its EKS clusters after a takeover`,
      // The account, narrowed to the other regions' function roles by ARN: a role principal must
      // exist when the trust policy is written, a condition on aws:PrincipalArn need not.
      assumedBy: new AccountRootPrincipal().withConditions({
        ArnLike: {
          'aws:PrincipalArn': this.takeoverFrom.map((r) =>
            this.roleArn(functionRoleName(this.stage, r, fnId)),
          ),
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: props.eksClusters.map((c) =>
          Stack.of(this).formatArn({ service: 'eks', resource: 'cluster', resourceName: c.name }),
        ),
      }),
    );
    this.addAccessEntries(`${name}Takeover`, role, access, props);
    this.takeoverRoles.set(fnId, role);
  }

  /** The ARN of a role of this account by name: no reference, so it may live in another stack or not exist yet. */
  private roleArn(roleName: string): string {
    return Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName });
  }

  private addTrigger(
    fnId: FunctionId,
    def: FunctionDef,
    trigger: Trigger,
    fn: LambdaFunctionResource,
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
        return;
      }
    }
  }
}

/** What a role gets in each EKS cluster: Kubernetes groups and EKS access policies (namespace scope, `stratus-*`). */
interface EksAccess {
  readonly groups: readonly string[];
  readonly policies: readonly string[];
}

/**
 * The union of a function's `eks:*` permissions as one access entry (EKS allows one per
 * principal and cluster), or undefined when it needs none.
 */
function eksAccess(def: FunctionDef, props: StratusFunctionsProps): EksAccess | undefined {
  const groups = new Set<string>();
  const policies = new Set<string>();
  for (const permission of def.permissions) {
    switch (permission) {
      case 'eks:access':
        // Kubernetes RBAC only (deploy/kubernetes/rbac.yaml), unless an access policy is asked for.
        for (const g of props.eksKubernetesGroups ?? [PROVISIONER_GROUP]) groups.add(g);
        if (props.eksAccessPolicy) policies.add(props.eksAccessPolicy);
        break;
      case 'eks:read-secrets':
        // No EKS access policy: only the Kubernetes group, which Stratus binds in each of its
        // namespaces to a Role that gets the credential Secret (docs/eks.md, section 3).
        groups.add('stratus-secret-reader');
        break;
      case 'eks:view':
        // No EKS access policy: AmazonEKSViewPolicy would read every namespace. The group's
        // ClusterRole lists what Stratus renders, and no Secret (deploy/kubernetes/rbac.yaml).
        groups.add('stratus-reconciler');
        break;
    }
  }
  return groups.size + policies.size === 0 ? undefined : { groups: [...groups], policies: [...policies] };
}

/** The page-token secret's name, the same in every region (the replicas keep the primary's name). */
export function pageTokenSecretName(stage: string): string {
  return stratusNames(stage).pageTokenSecret;
}

/**
 * The DynamoDB actions behind each table permission: what the store's commands need (Get, Query;
 * Put, Update, and in transactions Delete and ConditionCheck; a TransactWriteItems call is
 * authorized item by item with these; BatchGetItem, item by item too, for the reconciler's orphan
 * pass only). `test/unit/store/table-actions.test.ts` checks them against
 * the commands the functions send.
 */
export const TABLE_ACTIONS = {
  'table:read': ['dynamodb:GetItem', 'dynamodb:Query'],
  'table:write': [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem',
  ],
  'table:batch-read': ['dynamodb:BatchGetItem'],
} as const;

const INDEX_REASON =
  'Grants include the table GSIs (gsi1: listings by tenant/status); `<table>/index/*` covers only the indexes of this table.';

/** Zero means "no batching window": leave the property out rather than send 0. */
function seconds(value: number): Duration | undefined {
  return value > 0 ? Duration.seconds(value) : undefined;
}

function kebabCase(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
