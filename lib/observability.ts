import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDef, type FunctionId } from '../functions/topology.js';
import type { StratusApi } from './api.js';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './config.js';
import type { StratusFunctions } from './functions.js';
import { pascalCase } from './nag.js';
import type { StratusQueues } from './queues.js';

export interface StratusAlarmsProps {
  readonly api: StratusApi;
  readonly functions: StratusFunctions;
  readonly queues: StratusQueues;
  /**
   * Actions of every alarm here (the region's alarm topic).
   *
   * @default - no action: the alarms are visible in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * When the alarms fire (the config's `alarms`).
   *
   * @default DEFAULT_ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<AlarmThresholds>;
}

/**
 * The region's alarms beyond the dead-letter ones (`StratusQueues`) and the scheduled functions'
 * errors and silence (`StratusFunctions`): the API's 5xx rate and p99 latency, every function's
 * errors and throttles, the stream consumers' iterator age and the age of the oldest provisioning
 * message. docs/operations.md says what each means and what to do.
 *
 * Evaluation windows favour a sustained problem over a single bad minute: missing data is
 * "not breaching" (no traffic is not an incident; the reconciler's silence alarm covers the one
 * function that must always run).
 */
export class StratusAlarms extends Construct {
  /** Every alarm of this construct, for the dashboard or extra actions. */
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: StratusAlarmsProps) {
    super(scope, id);
    const thresholds: AlarmThresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };
    const stage = props.api.restApi.deploymentStage;
    const add = (
      alarmId: string,
      metric: IMetric,
      options: {
        description: string;
        threshold: number;
        evaluationPeriods: number;
        datapointsToAlarm?: number;
      },
    ) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        alarmDescription: `${options.description} See docs/operations.md, "Alarms".`,
        threshold: options.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods,
        datapointsToAlarm: options.datapointsToAlarm ?? options.evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(...(props.alarmActions ?? []));
      this.alarms.push(alarm);
    };

    // API Gateway's 5XXError is 0 or 1 per request: its average is the share of 5xx answers.
    add('Api5xxRate', stage.metricServerError({ statistic: 'Average', period: Duration.minutes(1) }), {
      description: `More than ${thresholds.api5xxRatePercent}% of API requests answered 5xx, 5 minutes in a row: clients see failures.`,
      threshold: thresholds.api5xxRatePercent / 100,
      evaluationPeriods: 5,
    });
    add('ApiP99Latency', stage.metricLatency({ statistic: 'p99', period: Duration.minutes(5) }), {
      description: `API p99 latency above ${thresholds.apiP99LatencyMs} ms for 15 minutes: check the api function's duration and DynamoDB or EKS latency.`,
      threshold: thresholds.apiP99LatencyMs,
      evaluationPeriods: 3,
    });

    for (const [fnId, def] of Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>) {
      const fn = props.functions.get(fnId);
      const name = pascalCase(fnId);
      // A scheduled function's errors already alarm in StratusFunctions, next to its schedule.
      if (!def.triggers.some((t) => t.type === 'schedule')) {
        add(`${name}Errors`, fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }), {
          description: `${fnId} failed (errors or timeouts) in 2 of the last 3 five-minute periods: read its log group.`,
          threshold: 0,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
        });
      }
      add(`${name}Throttles`, fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }), {
        description: `${fnId} was throttled: the account's or region's Lambda concurrency is exhausted.`,
        threshold: 0,
        evaluationPeriods: 1,
      });
      if (def.triggers.some((t) => t.type === 'stream')) {
        add(
          `${name}IteratorAge`,
          fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
          {
            description: `${fnId} is more than ${thresholds.streamIteratorAgeSeconds} s behind its DynamoDB stream, 5 minutes in a row (records are lost after 24 h): look for a failing batch in its log group.`,
            threshold: thresholds.streamIteratorAgeSeconds * 1000,
            evaluationPeriods: 5,
          },
        );
      }
    }

    add(
      'ProvisioningMessageAge',
      props.queues
        .queue('provisioning')
        .metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }),
      {
        description: `A provisioning message is older than ${thresholds.provisioningMessageAgeSeconds} s: the provisioner is failing, throttled or not consuming (a failed message comes back after 12 minutes).`,
        threshold: thresholds.provisioningMessageAgeSeconds,
        evaluationPeriods: 1,
      },
    );
  }
}
