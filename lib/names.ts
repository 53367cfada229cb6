import { FUNCTIONS, type FunctionId, type QueueId, takeoverFunctions } from '../functions/topology.js';

/**
 * Every physical name Stratus gives a resource, derived from the stage (and the region where a
 * name is per region). The CDK constructs, the local runtime and the admin CLI all take their
 * names from here. These names are part of the deployment contract: other regions trust roles by
 * name, operators look queues up by name, and renaming a table or bus replaces it
 * (test/infra/names.test.ts pins the synthesized ones). Pure: no CDK or SDK imports.
 *
 * Not named, so CloudFormation generates their names: the Lambda functions and their log groups,
 * the API's access log group, the alarms and the alarm topic.
 */
export function stratusNames(stage: string) {
  const prefix = `stratus-${stage}`;
  const functionRole = (region: string, fnId: FunctionId) => `${prefix}-${region}-${kebabCase(fnId)}`;
  const takeoverRole = (region: string, fnId: FunctionId) => `${functionRole(region, fnId)}-takeover`;
  return {
    /** The DynamoDB global table, the same name in every region. */
    table: prefix,
    /** Each region's EventBridge bus. */
    bus: prefix,
    /** Each region's REST API (API Gateway's `ApiName` metric dimension too). */
    restApi: prefix,
    /** The page-token secret, one name in every region (the replicas keep the primary's name). */
    pageTokenSecret: `stratus/${stage}/page-token-key`,
    /** A region's stack. */
    stack: (region: string) => `Stratus-${stage}-${region}`,
    /**
     * The bucket in `region` that holds the copies of other regions' backups (`backupCopyTo`,
     * lib/config.ts): a fixed name, so the source region's replication rule names it. Bucket names
     * are global: the account makes it unique (a token in the CDK app).
     */
    backupCopies: (account: string, region: string) => `${prefix}-backup-copies-${account}-${region}`,
    /** A region's CloudWatch dashboard. */
    dashboard: (region: string) => `${prefix}-${region}`,
    /** A queue of QUEUES (topology.ts). */
    queue: (queueId: QueueId) => `${prefix}-${queueId}`,
    /** The dead-letter queue of a queue of QUEUES. */
    deadLetterQueue: (queueId: QueueId) => `${prefix}-${queueId}-dlq`,
    /** Where Lambda sends the batches a stream consumer gave up on (the function id, camelCase). */
    streamFailureQueue: (fnId: FunctionId) => `${prefix}-${fnId}-stream-failures`,
    /**
     * A function's IAM role, `stratus-<stage>-<region>-<function>` (e.g.
     * `stratus-prod-eu-west-1-provisioner`): fixed, so that another region's takeover role can
     * trust it by ARN before it exists.
     */
    functionRole,
    /**
     * The role in `region` that `fnId` of the other regions assumes to reach `region`'s EKS
     * clusters after a takeover: `stratus-<stage>-<region>-<function>-takeover`.
     */
    takeoverRole,
    /**
     * The role the backup pods of `region` assume through EKS Pod Identity (lib/backup-identity.ts):
     * `stratus-<stage>-<region>-backup-pods`.
     */
    backupPodsRole: (region: string) => `${prefix}-${region}-backup-pods`,
    /** Every IAM role name of `region`: what the 64-character limit applies to (`roleNameTooLong`). */
    roles: (region: string): string[] => [
      ...(Object.keys(FUNCTIONS) as FunctionId[]).map((fnId) => functionRole(region, fnId)),
      ...takeoverFunctions().map((fnId) => takeoverRole(region, fnId)),
      `${prefix}-${region}-backup-pods`,
    ],
    /**
     * A function's name in the local runtime (its context's `functionName`); in AWS,
     * CloudFormation names the functions.
     */
    localFunction: (fnId: FunctionId) => `${prefix}-${fnId}`,
  };
}

export type StratusNames = ReturnType<typeof stratusNames>;

/** The longest name IAM allows a role. */
export const IAM_ROLE_NAME_MAX = 64;

/**
 * The longest role name of `regions` if it is over IAM's limit, with the longest stage that would
 * fit; undefined when every name fits (lib/config.ts turns it into a config error).
 */
export function roleNameTooLong(
  stage: string,
  regions: readonly string[],
): { readonly name: string; readonly maxStageLength: number } | undefined {
  const names = stratusNames(stage);
  const longest = regions.flatMap((r) => names.roles(r)).reduce((a, b) => (b.length > a.length ? b : a), '');
  if (longest.length <= IAM_ROLE_NAME_MAX) return undefined;
  return { name: longest, maxStageLength: stage.length - (longest.length - IAM_ROLE_NAME_MAX) };
}

function kebabCase(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
