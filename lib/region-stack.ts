import { CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { StratusAlarmTopic } from './alarm-topic.js';
import { StratusApi } from './api.js';
import { StratusBackupBucket } from './backup-bucket.js';
import { StratusBackupIdentity } from './backup-identity.js';
import { StratusEventBus } from './bus.js';
import { endpointRegions, type RegionConfig, type StratusConfig, tlsRegions } from './config.js';
import { StratusConsole } from './console.js';
import { StratusEndpointsDns } from './endpoints-dns.js';
import { type EksAccessPolicyName, StratusFunctions } from './functions.js';
import { stratusNames } from './names.js';
import { StratusNetwork } from './network.js';
import { StratusAlarms, StratusDashboard } from './observability.js';
import { StratusPreflight } from './preflight.js';
import { StratusQueues } from './queues.js';
import { applyRemovalPolicy, cdkRemovalPolicy } from './removal-policy.js';
import { StratusTable } from './table.js';

export interface StratusRegionStackProps extends StackProps {
  /** The whole deployment configuration (parsed by `parseConfig`); this stack serves `env.region`. */
  readonly config: StratusConfig;
  /**
   * Actions every alarm of the stack takes, on top of notifying the alarm topic of the config
   * (`alarms`, `regions[].alarmTopicArn`).
   *
   * @default - none beyond the alarm topic
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * EKS access policy of the provisioner's access entries, namespace-scoped (see
   * `StratusFunctionsProps`).
   *
   * @default - `config.eksAccessPolicy`, else none
   */
  readonly eksAccessPolicy?: EksAccessPolicyName;
  /**
   * Kubernetes groups of the provisioner's access entries (see `StratusFunctionsProps`).
   *
   * @default ['stratus-provisioner']
   */
  readonly eksKubernetesGroups?: readonly string[];
}

/**
 * Everything Stratus runs in one region: the table (the global table itself in the first region,
 * its local replica elsewhere), queues, bus, functions generated from functions/topology.ts, and
 * the API. Construct IDs below are part of the deployed contract: renaming one replaces resources.
 */
export class StratusRegionStack extends Stack {
  public readonly regionConfig: RegionConfig;
  public readonly alarmTopic: StratusAlarmTopic;
  public readonly table: StratusTable;
  public readonly queues: StratusQueues;
  public readonly bus: StratusEventBus;
  public readonly functions: StratusFunctions;
  /** The region's backup bucket (issue #14). */
  public readonly backups: StratusBackupBucket;
  /** The copies of other regions' backups, when a region has `backupCopyTo` this one. */
  public readonly backupCopies?: StratusBackupBucket;
  /** The wildcard DNS records of the region's gateways, when the config has `endpoints` (issue #17). */
  public readonly endpointsDns?: StratusEndpointsDns;
  /** The role the backup pods assume through EKS Pod Identity. */
  public readonly backupIdentity: StratusBackupIdentity;
  /** The deploy-time check of the region's EKS clusters, which every access entry waits for. */
  public readonly preflight: StratusPreflight;
  /** The VPC, subnets and security group of the Kubernetes-facing functions, when the config has a `vpc`. */
  public readonly network?: StratusNetwork;
  public readonly api: StratusApi;
  /** The web console's static site, in the first region's stack when the config has `console`. */
  public readonly console?: StratusConsole;
  public readonly alarms: StratusAlarms;
  public readonly dashboard: StratusDashboard;

  constructor(scope: Construct, id: string, props: StratusRegionStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (props.env?.region === undefined || Token.isUnresolved(props.env.region)) {
      throw new Error(
        `${id}: set env.region to one of the configured regions; a Stratus stack is region-specific.`,
      );
    }
    const regionConfig = config.regions.find((r) => r.region === this.region);
    if (regionConfig === undefined) {
      throw new Error(
        `${id}: region ${this.region} is not configured; add it to "stratus.regions" in cdk.json (configured: ${config.regions.map((r) => r.region).join(', ')}).`,
      );
    }
    this.regionConfig = regionConfig;
    const regions = config.regions.map((r) => r.region);

    this.alarmTopic = new StratusAlarmTopic(this, 'AlarmTopic', {
      stage: config.stage,
      ...(regionConfig.alarmTopicArn !== undefined
        ? { topicArn: regionConfig.alarmTopicArn }
        : config.alarms.email !== undefined
          ? { email: config.alarms.email }
          : {}),
    });
    // Every alarm of the stack notifies the alarm topic (test/infra/observability.test.ts checks
    // each alarm of the template).
    const alarmActions = [this.alarmTopic.action, ...(props.alarmActions ?? [])];

    this.table = new StratusTable(this, 'Table', {
      stage: config.stage,
      regions,
      removalPolicy: cdkRemovalPolicy(config.removalPolicy),
    });
    this.queues = new StratusQueues(this, 'Queues', { stage: config.stage, alarmActions });
    this.bus = new StratusEventBus(this, 'EventBus', { stage: config.stage });
    const others = config.regions.filter((r) => r.region !== this.region);
    this.network = regionConfig.vpc
      ? new StratusNetwork(this, 'Network', { stage: config.stage, vpc: regionConfig.vpc })
      : undefined;
    // The console (first region only: one distribution serves every region) before the functions:
    // the API's CORS names its origin. Every region's API allows the origins the config knows.
    const consoleConfig = config.console;
    this.console =
      consoleConfig && config.regions[0]?.region === this.region
        ? new StratusConsole(this, 'Console', {
            stage: config.stage,
            apiOrigins: [
              ...config.regions.map((r) => `https://*.execute-api.${r.region}.amazonaws.com`),
              ...config.regions.flatMap((r) => (r.apiUrl ? [new URL(r.apiUrl).origin] : [])),
            ],
            ...(consoleConfig.domainName && consoleConfig.certificateArn
              ? {
                  customDomain: {
                    domainName: consoleConfig.domainName,
                    certificateArn: consoleConfig.certificateArn,
                  },
                }
              : {}),
          })
        : undefined;
    const corsOrigins = consoleConfig
      ? [
          ...new Set([
            ...(this.console?.origins ?? []),
            ...(consoleConfig.domainName ? [`https://${consoleConfig.domainName}`] : []),
            ...consoleConfig.corsOrigins,
          ]),
        ]
      : [];
    // Before any access entry: the clusters must take them (lib/preflight.ts).
    this.preflight = new StratusPreflight(this, 'Preflight', {
      stage: config.stage,
      clusterNames: regionConfig.eksClusters.map((c) => c.name),
      ...(config.logRetentionDays ? { logRetention: config.logRetentionDays as RetentionDays } : {}),
    });
    // Backups are data: retained whatever the stage's removal policy.
    const copyName = (region: string) => stratusNames(config.stage).backupCopies(this.account, region);
    const copyTo = regionConfig.backupCopyTo;
    const objectLock = config.backupObjectLock ? { objectLock: config.backupObjectLock } : {};
    this.backups = new StratusBackupBucket(this, 'Backups', {
      ...objectLock,
      ...(copyTo ? { copyTo: { bucketName: copyName(copyTo), region: copyTo } } : {}),
    });
    // The regions whose backups are copied here: one bucket holds them all (keys name tenant and cluster).
    const copiedHere = config.regions.filter((r) => r.backupCopyTo === this.region).map((r) => r.region);
    if (copiedHere.length > 0) {
      // The same lock as the sources: S3 replicates a locked object only into a locked bucket.
      this.backupCopies = new StratusBackupBucket(this, 'BackupCopies', {
        bucketName: copyName(this.region),
        ...objectLock,
      });
    }
    // Public endpoints (issue #17): a wildcard record per EKS cluster with a gateway, no per-cluster DNS.
    const gateways = regionConfig.eksClusters.flatMap((c) =>
      c.gateway ? [{ eksCluster: c.name, gateway: c.gateway }] : [],
    );
    if (config.endpoints && gateways.length > 0) {
      this.endpointsDns = new StratusEndpointsDns(this, 'EndpointsDns', {
        endpoints: config.endpoints,
        region: regionConfig.region,
        gateways,
      });
    }
    this.backupIdentity = new StratusBackupIdentity(this, 'BackupIdentity', {
      roleName: stratusNames(config.stage).backupPodsRole(this.region),
      bucket: this.backups.bucket,
      ...(this.backupCopies ? { copies: this.backupCopies.bucket } : {}),
      eksClusters: regionConfig.eksClusters.map((c) => c.name),
    });
    this.functions = new StratusFunctions(this, 'Functions', {
      backupBucket: this.backups,
      backupIdentity: this.backupIdentity,
      ...(config.backupObjectLock ? { backupObjectLock: config.backupObjectLock } : {}),
      backupCopies: Object.fromEntries(copiedHere.map((r) => [r, copyName(this.region)])),
      preflight: this.preflight.check,
      ...(this.network ? { network: this.network } : {}),
      stage: config.stage,
      regions,
      apiUrls: Object.fromEntries(config.regions.flatMap((r) => (r.apiUrl ? [[r.region, r.apiUrl]] : []))),
      corsOrigins,
      eksClusters: regionConfig.eksClusters,
      eksPool: config.regions.flatMap((r) => r.eksClusters.map((c) => ({ ...c, region: r.region }))),
      ...(config.endpoints
        ? {
            endpoints: {
              domain: config.endpoints.domain,
              regions: endpointRegions(config),
              tlsRegions: tlsRegions(config),
            },
          }
        : {}),
      // Takeover access (D19): roles here for the other regions' functions, unless this region opts
      // out; grants to assume the takeover roles of the regions that allow it.
      takeoverFrom: regionConfig.takeoverAccess ? others.map((r) => r.region) : [],
      takeoverInto: others.filter((r) => r.takeoverAccess).map((r) => r.region),
      table: this.table.table,
      queues: this.queues,
      bus: this.bus,
      eksAccessPolicy: props.eksAccessPolicy ?? config.eksAccessPolicy,
      ...(props.eksKubernetesGroups ? { eksKubernetesGroups: props.eksKubernetesGroups } : {}),
      alarmActions,
      thresholds: config.alarms,
      ...(config.logRetentionDays ? { logRetention: config.logRetentionDays as RetentionDays } : {}),
    });
    this.api = new StratusApi(this, 'Api', {
      stage: config.stage,
      functions: this.functions,
      apiGatewayAccount: config.apiGatewayAccount,
      throttlingRateLimit: config.apiThrottling.rateLimit,
      throttlingBurstLimit: config.apiThrottling.burstLimit,
      ...(regionConfig.customDomain ? { customDomain: regionConfig.customDomain } : {}),
      ...(config.logRetentionDays ? { accessLogRetention: config.logRetentionDays as RetentionDays } : {}),
      corsOrigins,
    });
    // The console's regions: this one's stage URL, and the others' configured URLs (their stage
    // URLs are in other stacks, unknown here).
    this.console?.deploySite({
      regions: config.regions.flatMap((r) =>
        r.region === this.region
          ? [{ region: r.region, apiUrl: r.apiUrl ?? this.api.url }]
          : r.apiUrl
            ? [{ region: r.region, apiUrl: r.apiUrl }]
            : [],
      ),
      defaultRegion: this.region,
    });

    this.alarms = new StratusAlarms(this, 'Alarms', {
      api: this.api,
      queues: this.queues,
      alarmActions,
      thresholds: config.alarms,
    });
    this.dashboard = new StratusDashboard(this, 'Dashboard', {
      stage: config.stage,
      api: this.api,
      functions: this.functions,
      queues: this.queues,
      alarms: [...this.queues.alarms, ...this.functions.alarms, ...this.alarms.alarms],
      thresholds: config.alarms,
    });

    // Log groups, queues, the alarm topic and its key, wherever they are created.
    applyRemovalPolicy(this, config.removalPolicy);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL; routes start with /v1' });
    if (this.api.domainName) {
      new CfnOutput(this, 'CustomDomainUrl', {
        value: `https://${this.api.domainName.domainName}`,
        description: 'Base URL on the custom domain; routes start with /v1',
      });
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domainName.domainNameAliasDomainName,
        description: 'Point the custom domain here (Route 53 alias or CNAME)',
      });
    }
    if (this.console) {
      new CfnOutput(this, 'ConsoleUrl', {
        value: `${this.console.origin}/`,
        description: 'The web console; sign in with an API key',
      });
    }
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.bus.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topic.topicArn,
      description: 'Every alarm of this region notifies it: subscribe whatever pages you',
    });
  }
}
