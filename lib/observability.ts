import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IAlarmAction,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDef, type FunctionId, METRICS_NAMESPACE } from '../functions/topology.js';
import type { StratusApi } from './api.js';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './config.js';
import type { StratusFunctions } from './functions.js';
import { stratusNames } from './names.js';
import type { StratusQueues } from './queues.js';

export interface StratusAlarmsProps {
  readonly api: StratusApi;
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
 * The region's alarms beyond the dead-letter ones (`StratusQueues`) and each function's own
 * (errors, throttles, iterator age, a schedule's silence: `StratusFunction`, under the function's
 * construct): the API's 5xx rate and p99 latency and the age of the oldest provisioning message.
 * docs/operations.md says what each means and what to do.
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

    // Counted by the status publisher when an operation's FAILED status is published
    // (functions/status-publisher/events.ts), for the region whatever its type and engine.
    add(
      'OperationsFailed',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'OperationsFailed',
        dimensionsMap: { region: Stack.of(this).region },
        statistic: 'Sum',
        period: Duration.minutes(15),
      }),
      {
        description: `More than ${thresholds.operationsFailed} operations of the region ended FAILED in 15 minutes: read their error codes (GET /v1/operations/{id}) and the provisioner's log group.`,
        threshold: thresholds.operationsFailed,
        evaluationPeriods: 1,
      },
    );
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

/**
 * The reconciler's own metrics: CloudWatch embedded metric format lines written by Powertools
 * Metrics after each sweep (functions/reconciler/run.ts), one data point per run,
 * dimension `region`. test/infra/observability.test.ts checks the handler still emits each.
 */
export const RECONCILER_METRICS = {
  namespace: 'Stratus/Reconciler',
  deadlines: [
    'OverdueOperationsScanned',
    'OperationsExpired',
    'OperationsExpiredWithoutCluster',
    'OverdueOperationsAlreadyFinished',
    'ReconcileErrors',
  ],
  drift: [
    'DriftClustersChecked',
    'DriftRepairsQueued',
    'DriftReported',
    'DriftRepairsBackingOff',
    'DriftRepairsSuspended',
    'OrphansFound',
    'OrphansDeleted',
    'DriftErrors',
  ],
} as const;
type ReconcilerMetricName =
  | (typeof RECONCILER_METRICS.deadlines)[number]
  | (typeof RECONCILER_METRICS.drift)[number];

export interface StratusDashboardProps {
  /** Installation stage; the dashboard is `stratus-<stage>-<region>`. */
  readonly stage: string;
  readonly api: StratusApi;
  readonly functions: StratusFunctions;
  readonly queues: StratusQueues;
  /** Shown in the alarm status widget: every alarm of the region. */
  readonly alarms: readonly IAlarm[];
  /**
   * Drawn as lines on the graphs they apply to.
   *
   * @default DEFAULT_ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<AlarmThresholds>;
}

/** Full width of a dashboard row, in CloudWatch's grid units. */
const ROW = 24;
const HEIGHT = 6;

/**
 * The region's CloudWatch dashboard, `stratus-<stage>-<region>`, in four sections: the API
 * (requests, errors, latency, the api function), the pipeline (stream consumers, provisioning
 * queue, dead letters, every function), Kubernetes (the reconciler's drift sweep) and operations
 * (provisioning throughput, deadlines, and the state of every alarm).
 */
export class StratusDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: StratusDashboardProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const thresholds: AlarmThresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };
    const stage = props.api.restApi.deploymentStage;
    const fnIds = Object.keys(FUNCTIONS) as FunctionId[];
    const streamFns = fnIds.filter((fnId) =>
      (FUNCTIONS[fnId] as FunctionDef).triggers.some((t) => t.type === 'stream'),
    );
    const api = props.functions.get('api');
    const reconciler = props.functions.get('reconciler');
    const provisioning = props.queues.queue('provisioning');
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const reconcilerMetric = (metricName: ReconcilerMetricName) =>
      new Metric({
        namespace: RECONCILER_METRICS.namespace,
        metricName,
        dimensionsMap: { region },
        statistic: 'Sum',
        period: fiveMinutes,
        label: metricName,
      });
    // The business metrics (docs/operations.md, "Metrics"), written by the functions' Powertools Metrics.
    const businessMetric = (
      metricName: string,
      dimensionsMap: Record<string, string>,
      statistic: string,
      period: Duration,
    ) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap,
        statistic,
        period,
        label: metricName,
      });
    // Every series of a metric whatever its dimensions' values (operation types, engines, reasons).
    const search = (query: string, statistic: string, period: Duration) =>
      new MathExpression({
        expression: `SEARCH('${query}', '${statistic}', ${period.toSeconds()})`,
        usingMetrics: {},
        period,
      });
    const graph = (title: string, width: number, left: IMetric[], extra: Partial<GraphWidgetExtras> = {}) =>
      new GraphWidget({ title, width, height: HEIGHT, left, ...extra });
    const header = (markdown: string) => new TextWidget({ markdown, width: ROW, height: 2 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: stratusNames(props.stage).dashboard(region),
      defaultInterval: Duration.hours(3),
    });

    const sections: IWidget[][] = [
      [
        header(
          `## API\nThe REST API stage \`${stage.stageName}\` and the api function. Red lines: alarm thresholds.`,
        ),
      ],
      [
        graph('Requests and errors (per minute)', 8, [
          stage.metricCount({ period: minute, statistic: 'Sum', label: 'Requests' }),
          stage.metricClientError({ period: minute, statistic: 'Sum', label: '4xx' }),
          stage.metricServerError({ period: minute, statistic: 'Sum', label: '5xx' }),
        ]),
        graph(
          'Latency (ms)',
          8,
          [
            stage.metricLatency({ period: fiveMinutes, statistic: 'p50', label: 'p50' }),
            stage.metricLatency({ period: fiveMinutes, statistic: 'p99', label: 'p99' }),
            stage.metricIntegrationLatency({
              period: fiveMinutes,
              statistic: 'p99',
              label: 'integration p99',
            }),
          ],
          { leftAnnotations: [{ value: thresholds.apiP99LatencyMs, label: 'p99 alarm', color: '#d62728' }] },
        ),
        graph(
          'api function',
          8,
          [
            api.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: 'errors' }),
            api.metricThrottles({ period: fiveMinutes, statistic: 'Sum', label: 'throttles' }),
          ],
          {
            right: [
              api.metricDuration({ period: fiveMinutes, statistic: 'p99', label: 'duration p99 (ms)' }),
            ],
          },
        ),
      ],
      [
        header(
          '## Pipeline\nStream -> dispatcher -> provisioning queue -> provisioner; stream -> status publisher -> bus. Dead letters need a person (docs/operations.md).',
        ),
      ],
      [
        graph(
          'Stream iterator age (max, ms)',
          8,
          streamFns.map((fnId) =>
            props.functions
              .get(fnId)
              .metric('IteratorAge', { period: minute, statistic: 'Maximum', label: fnId }),
          ),
          {
            leftAnnotations: [
              { value: thresholds.streamIteratorAgeSeconds * 1000, label: 'alarm', color: '#d62728' },
            ],
          },
        ),
        graph(
          'Provisioning queue',
          8,
          [
            provisioning.metricApproximateNumberOfMessagesVisible({
              period: minute,
              statistic: 'Maximum',
              label: 'visible',
            }),
            provisioning.metricApproximateNumberOfMessagesNotVisible({
              period: minute,
              statistic: 'Maximum',
              label: 'in flight',
            }),
          ],
          {
            right: [
              provisioning.metricApproximateAgeOfOldestMessage({
                period: minute,
                statistic: 'Maximum',
                label: 'oldest message (s)',
              }),
            ],
            rightAnnotations: [
              { value: thresholds.provisioningMessageAgeSeconds, label: 'age alarm', color: '#d62728' },
            ],
          },
        ),
        graph(
          'Dead letters (visible messages)',
          8,
          props.queues.deadLetterQueues().map(({ name, queue }) =>
            queue.metricApproximateNumberOfMessagesVisible({
              period: minute,
              statistic: 'Maximum',
              label: name,
            }),
          ),
        ),
      ],
      [
        graph(
          'Invocations by function',
          6,
          fnIds.map((fnId) =>
            props.functions
              .get(fnId)
              .metricInvocations({ period: fiveMinutes, statistic: 'Sum', label: fnId }),
          ),
        ),
        graph(
          'Errors by function',
          6,
          fnIds.map((fnId) =>
            props.functions.get(fnId).metricErrors({ period: fiveMinutes, statistic: 'Sum', label: fnId }),
          ),
        ),
        graph(
          'Throttles by function',
          6,
          fnIds.map((fnId) =>
            props.functions.get(fnId).metricThrottles({ period: fiveMinutes, statistic: 'Sum', label: fnId }),
          ),
        ),
        graph(
          'Duration p99 by function (ms)',
          6,
          fnIds.map((fnId) =>
            props.functions.get(fnId).metricDuration({ period: fiveMinutes, statistic: 'p99', label: fnId }),
          ),
        ),
      ],
      [
        header(
          `## Kubernetes\nThe reconciler's drift sweep over this region's EKS clusters (namespace \`${RECONCILER_METRICS.namespace}\`, one data point per run).`,
        ),
      ],
      [
        graph('Drift', 8, [
          reconcilerMetric('DriftClustersChecked'),
          reconcilerMetric('DriftReported'),
          reconcilerMetric('DriftRepairsQueued'),
        ]),
        graph('Repairs held back, orphans', 8, [
          reconcilerMetric('DriftRepairsBackingOff'),
          reconcilerMetric('DriftRepairsSuspended'),
          reconcilerMetric('OrphansFound'),
          reconcilerMetric('OrphansDeleted'),
        ]),
        graph(
          'Reconciler runs',
          8,
          [
            reconciler.metricInvocations({ period: fiveMinutes, statistic: 'Sum', label: 'runs' }),
            reconciler.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: 'failed runs' }),
            reconcilerMetric('DriftErrors'),
          ],
          {
            right: [
              reconciler.metricDuration({
                period: fiveMinutes,
                statistic: 'Maximum',
                label: 'duration max (ms)',
              }),
            ],
          },
        ),
      ],
      [
        header(
          '## Operations\nCluster operations moving through the provisioning queue, those failed at their deadline, operations by outcome and duration (business metrics), dead letters and drift, and every alarm of the region.',
        ),
      ],
      [
        graph('Provisioning messages', 12, [
          provisioning.metricNumberOfMessagesSent({
            period: fiveMinutes,
            statistic: 'Sum',
            label: 'sent (operations and polls)',
          }),
          provisioning.metricNumberOfMessagesDeleted({
            period: fiveMinutes,
            statistic: 'Sum',
            label: 'done',
          }),
        ]),
        graph(
          'Operations past their deadline',
          12,
          RECONCILER_METRICS.deadlines.map((name) => reconcilerMetric(name)),
        ),
      ],
      [
        graph(
          'Operations of the region (per 15 min)',
          8,
          (
            ['OperationsStarted', 'OperationsSucceeded', 'OperationsFailed', 'OperationsCancelled'] as const
          ).map((name) => businessMetric(name, { region }, 'Sum', Duration.minutes(15))),
          {
            leftAnnotations: [
              { value: thresholds.operationsFailed, label: 'failed alarm', color: '#d62728' },
            ],
          },
        ),
        graph('Operation duration p99 by type and engine (ms)', 8, [
          search('{Stratus,engine,operationType} MetricName="OperationDuration"', 'p99', fiveMinutes),
        ]),
        graph(
          'Provisioning messages dead-lettered, drift found',
          8,
          [
            businessMetric('ProvisioningMessagesDeadLettered', { queue: 'provisioning' }, 'Sum', fiveMinutes),
            businessMetric('ProvisioningMessagesUnreadable', { queue: 'provisioning' }, 'Sum', fiveMinutes),
            businessMetric('DriftFound', { region }, 'Sum', fiveMinutes),
          ],
          {
            right: [search('{Stratus,reason} MetricName="ProvisioningMessageAge"', 'Maximum', fiveMinutes)],
          },
        ),
      ],
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: ROW, height: HEIGHT })],
    ];
    for (const row of sections) this.dashboard.addWidgets(...row);
  }
}

type GraphWidgetExtras = Pick<
  ConstructorParameters<typeof GraphWidget>[0],
  'right' | 'leftAnnotations' | 'rightAnnotations'
>;
