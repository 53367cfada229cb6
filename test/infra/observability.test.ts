import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDef, type FunctionId, QUEUES } from '../../functions/topology.js';
import { StratusAlarmTopic } from '../../lib/alarm-topic.js';
import { DEFAULT_ALARM_THRESHOLDS, parseConfig, type StratusConfig } from '../../lib/config.js';
import { RECONCILER_METRICS } from '../../lib/observability.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #11, observability: where alarms go (the alarm topic), which alarms each region has, and
 * its dashboard.
 */

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const functionEntries = Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>;
const hasTrigger = (def: FunctionDef, type: string) => def.triggers.some((t) => t.type === type);
const streamFunctions = functionEntries.filter(([, def]) => hasTrigger(def, 'stream'));

const EXISTING_TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops-alarms';

let stacks: StratusRegionStack[];
const templates = new Map<StratusRegionStack, Template>();

beforeAll(() => {
  ({ stacks } = buildApp());
  for (const stack of stacks) templates.set(stack, Template.fromStack(stack));
});

function template(stack: StratusRegionStack): Template {
  const t = templates.get(stack);
  if (t === undefined) throw new Error(`no template for ${stack.stackName}`);
  return t;
}

function alarmsOf(t: Template): Resources {
  return t.findResources('AWS::CloudWatch::Alarm') as Resources;
}

/** The stacks of `config`, each with its template. */
function synth(config: StratusConfig): Array<{ stack: StratusRegionStack; t: Template }> {
  return buildApp(config).stacks.map((stack) => ({ stack, t: Template.fromStack(stack) }));
}

describe('Class: StratusAlarmTopic', () => {
  it('creates a topic per region, encrypted with its own rotated key that CloudWatch may use', () => {
    for (const stack of stacks) {
      const t = template(stack);
      expect(t).toHaveResourceCount('AWS::SNS::Topic', 1);
      expect(t).toHaveResourceCount('AWS::KMS::Key', 1);
      const key = stack.getLogicalId(
        (stack.alarmTopic.topic as unknown as { masterKey: { node: { defaultChild: never } } }).masterKey.node
          .defaultChild,
      );
      expect(t).toHaveResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
        DisplayName: 'Stratus test alarms',
      });
      expect(t).toHaveResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    }
  });

  it("lets only this account's alarms publish, and only over TLS", () => {
    for (const stack of stacks) {
      expect(template(stack)).toHaveResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${stack.region}:123456789012:alarm:*`],
                    ],
                  },
                },
                StringEquals: { 'aws:SourceAccount': '123456789012' },
              },
            }),
          ]),
        },
      });
    }
  });

  it('subscribes no one by default, and alarms.email to the topic of every region', () => {
    // Prepare
    const subscribed = synth(parseConfig({ ...TWO_REGIONS, alarms: { email: 'oncall@example.com' } }));

    // Assess
    for (const stack of stacks) expect(template(stack)).toHaveResourceCount('AWS::SNS::Subscription', 0);
    for (const { stack, t } of subscribed) {
      expect(t).toHaveResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: { Ref: stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as never) },
      });
    }
  });

  it('notifies an existing topic where a region names one, and creates and subscribes a topic elsewhere', () => {
    // Prepare
    const config = parseConfig({
      ...TWO_REGIONS,
      alarms: { email: 'oncall@example.com' },
      regions: TWO_REGIONS.regions.map((r) =>
        r.region === 'us-east-1' ? { ...r, alarmTopicArn: EXISTING_TOPIC } : r,
      ),
    });

    // Act
    const [eu, us] = synth(config) as [
      { stack: StratusRegionStack; t: Template },
      { stack: StratusRegionStack; t: Template },
    ];

    // Assess
    expect(us.t).toHaveResourceCount('AWS::SNS::Topic', 0);
    expect(us.t).toHaveResourceCount('AWS::KMS::Key', 0);
    expect(us.t).toHaveResourceCount('AWS::SNS::Subscription', 0);
    expect(us.stack.alarmTopic.created).toBe(false);
    for (const alarm of Object.values(alarmsOf(us.t)))
      expect(alarm.Properties.AlarmActions).toEqual([EXISTING_TOPIC]);
    expect(eu.t).toHaveResourceCount('AWS::SNS::Topic', 1);
    expect(eu.t).toHaveResourceCount('AWS::SNS::Subscription', 1);
  });

  it('gives every alarm of every stack the alarm topic as its action', () => {
    for (const stack of stacks) {
      const alarms = Object.entries(alarmsOf(template(stack)));
      expect(alarms.length).toBeGreaterThan(0);
      const topic = { Ref: stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as never) };
      for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([topic]);
    }
  });

  it('outputs the topic ARN of each region, for subscriptions made outside CDK', () => {
    for (const stack of stacks) {
      expect(template(stack).findOutputs('AlarmTopicArn')).toEqual({
        AlarmTopicArn: expect.objectContaining({
          Value: { Ref: stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as never) },
        }),
      });
    }
  });

  it('refuses a topic of another region, and an e-mail address with an existing topic, saying what to do', () => {
    // Prepare
    const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });

    // Act, Assess
    expect(() => new StratusAlarmTopic(stack(), 'T', { stage: 't', topicArn: EXISTING_TOPIC })).toThrow(
      /is a topic of us-east-1; the alarms of eu-west-1 can notify only a topic of eu-west-1/,
    );
    expect(
      () =>
        new StratusAlarmTopic(stack(), 'T', {
          stage: 't',
          topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
          email: 'a@example.com',
        }),
    ).toThrow(/subscribe the address to that topic instead/);
  });
});

function fnRef(stack: StratusRegionStack, fnId: FunctionId) {
  return {
    Ref: stack.getLogicalId((stack.functions.get(fnId) as LambdaFunction).node.defaultChild as CfnFunction),
  };
}

/** The alarms of `t` on `metricName` (in `namespace`) whose dimensions are exactly `dimensions`. */
function alarmsOn(t: Template, namespace: string, metricName: string, dimensions: unknown[]) {
  return Object.values(alarmsOf(t)).filter(
    (a) =>
      a.Properties.Namespace === namespace &&
      a.Properties.MetricName === metricName &&
      JSON.stringify(a.Properties.Dimensions) === JSON.stringify(dimensions),
  );
}

describe('Class: StratusAlarms', () => {
  const apiDimensions = (stack: StratusRegionStack) => [
    { Name: 'ApiName', Value: 'stratus-test' },
    { Name: 'Stage', Value: stack.resolve(stack.api.restApi.deploymentStage.stageName) },
  ];

  it('alarms when more than 5% of API requests answer 5xx for 5 minutes in a row', () => {
    for (const stack of stacks) {
      const [alarm, ...more] = alarmsOn(template(stack), 'AWS/ApiGateway', '5XXError', apiDimensions(stack));
      expect(more).toHaveLength(0);
      // The average of 5XXError (0 or 1 per request) is the share of 5xx answers.
      expect(alarm?.Properties).toMatchObject({
        Statistic: 'Average',
        Period: 60,
        Threshold: 0.05,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms when the p99 latency of the API stage stays above 2.5 s for 15 minutes', () => {
    for (const stack of stacks) {
      const [alarm, ...more] = alarmsOn(template(stack), 'AWS/ApiGateway', 'Latency', apiDimensions(stack));
      expect(more).toHaveLength(0);
      expect(alarm?.Properties).toMatchObject({
        ExtendedStatistic: 'p99',
        Period: 300,
        Threshold: 2500,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms on the errors and on the throttles of every function, once each', () => {
    for (const stack of stacks) {
      const t = template(stack);
      for (const [fnId] of functionEntries) {
        const dimensions = [{ Name: 'FunctionName', Value: fnRef(stack, fnId) }];
        // Every function's alarms are its construct's children (Functions/<Name>/Alarms/...);
        // a scheduled function's errors alarm also says its schedule (test/infra/schedules.test.ts).
        const errors = alarmsOn(t, 'AWS/Lambda', 'Errors', dimensions);
        expect(errors, `${fnId} Errors in ${stack.region}`).toHaveLength(1);
        expect(errors[0]?.Properties).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
        const throttles = alarmsOn(t, 'AWS/Lambda', 'Throttles', dimensions);
        expect(throttles, `${fnId} Throttles in ${stack.region}`).toHaveLength(1);
        expect(throttles[0]?.Properties).toMatchObject({
          Statistic: 'Sum',
          Period: 300,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
        });
      }
    }
  });

  it('alarms when a stream consumer stays more than 5 minutes behind its stream', () => {
    expect(streamFunctions.map(([id]) => id).sort()).toEqual(['dispatcher', 'statusPublisher']);
    for (const stack of stacks) {
      for (const [fnId] of streamFunctions) {
        const [alarm, ...more] = alarmsOn(template(stack), 'AWS/Lambda', 'IteratorAge', [
          { Name: 'FunctionName', Value: fnRef(stack, fnId) },
        ]);
        expect(more).toHaveLength(0);
        expect(alarm?.Properties).toMatchObject({
          Statistic: 'Maximum',
          Period: 60,
          Threshold: 300_000,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 5,
        });
      }
      // No iterator age for functions without a stream: the metric would never exist.
      expect(
        Object.values(alarmsOf(template(stack))).filter((a) => a.Properties.MetricName === 'IteratorAge'),
      ).toHaveLength(streamFunctions.length);
    }
  });

  it('alarms when the oldest provisioning message is older than 15 minutes', () => {
    for (const stack of stacks) {
      const queue = stack.queues.queue('provisioning');
      const [alarm, ...more] = alarmsOn(template(stack), 'AWS/SQS', 'ApproximateAgeOfOldestMessage', [
        { Name: 'QueueName', Value: stack.resolve(queue.queueName) },
      ]);
      expect(more).toHaveLength(0);
      expect(alarm?.Properties).toMatchObject({ Statistic: 'Maximum', Period: 300, Threshold: 900 });
    }
  });

  it('keeps the dead-letter alarms and the reconciler-not-running alarm (missing data breaches)', () => {
    for (const stack of stacks) {
      const t = template(stack);
      const dlqs = Object.values(alarmsOf(t)).filter(
        (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
      );
      expect(dlqs).toHaveLength(Object.keys(QUEUES).length + streamFunctions.length);
      expect(
        alarmsOn(t, 'AWS/Lambda', 'Invocations', [
          { Name: 'FunctionName', Value: fnRef(stack, 'reconciler') },
        ])[0]?.Properties,
      ).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    }
  });

  it('uses the thresholds of the config', () => {
    // Prepare
    const thresholds = {
      api5xxRatePercent: 1,
      apiP99LatencyMs: 1000,
      streamIteratorAgeSeconds: 120,
      provisioningMessageAgeSeconds: 1800,
      operationsFailed: 20,
    };
    const [{ stack, t }] = synth(parseConfig({ ...TWO_REGIONS, alarms: thresholds })) as [
      { stack: StratusRegionStack; t: Template },
    ];
    const threshold = (namespace: string, metric: string, dimensions: unknown[]) =>
      alarmsOn(t, namespace, metric, dimensions)[0]?.Properties.Threshold;

    // Assess
    expect(threshold('AWS/ApiGateway', '5XXError', apiDimensions(stack))).toBe(0.01);
    expect(threshold('AWS/ApiGateway', 'Latency', apiDimensions(stack))).toBe(1000);
    expect(
      threshold('AWS/Lambda', 'IteratorAge', [{ Name: 'FunctionName', Value: fnRef(stack, 'dispatcher') }]),
    ).toBe(120_000);
    expect(
      threshold('AWS/SQS', 'ApproximateAgeOfOldestMessage', [
        { Name: 'QueueName', Value: stack.resolve(stack.queues.queue('provisioning').queueName) },
      ]),
    ).toBe(1800);
    expect(threshold('Stratus', 'OperationsFailed', [{ Name: 'region', Value: stack.region }])).toBe(20);
    expect(DEFAULT_ALARM_THRESHOLDS).not.toEqual(thresholds);
  });

  it('alarms when operations of the region fail, from the business metric the status publisher writes', () => {
    for (const stack of stacks) {
      const [alarm, ...more] = alarmsOn(template(stack), 'Stratus', 'OperationsFailed', [
        { Name: 'region', Value: stack.region },
      ]);
      expect(more).toHaveLength(0);
      expect(alarm?.Properties).toMatchObject({
        Statistic: 'Sum',
        Period: 900,
        Threshold: DEFAULT_ALARM_THRESHOLDS.operationsFailed,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    // The metric the alarm reads is the one the status publisher writes, with the same dimension.
    const publisher = readFileSync(
      new URL('../../functions/status-publisher/publish.ts', import.meta.url),
      'utf8',
    );
    expect(publisher).toMatch(/publishMetrics\(metrics, \{ region \}, item\.counted\.regionCounts\)/);
  });

  it('has 22 alarms per region: the count docs/deploy.md prices', () => {
    const functions = functionEntries.length;
    const expected =
      Object.keys(QUEUES).length +
      streamFunctions.length + // dead-letter and stream-failure queues
      2 + // API 5xx rate, p99 latency
      2 * functions + // errors and throttles
      functionEntries.filter(([, def]) => hasTrigger(def, 'schedule')).length + // not running
      streamFunctions.length + // iterator age
      1 + // oldest provisioning message
      1; // operations failed
    for (const stack of stacks) {
      const count = Object.keys(alarmsOf(template(stack))).length;
      expect(count).toBe(expected);
      expect(count).toBe(22);
    }
  });
});

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    markdown?: string;
    title?: string;
    metrics?: unknown[][];
    alarms?: string[];
  };
}

/** A CloudFormation value as text: `Ref:X`, `GetAtt:X.Arn`, or the string itself. */
function tokenText(part: unknown): string {
  if (typeof part === 'string') return part;
  const p = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (p.Ref !== undefined) return `Ref:${p.Ref}`;
  if (p['Fn::GetAtt'] !== undefined) return `GetAtt:${p['Fn::GetAtt'].join('.')}`;
  throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(part)}`);
}

/** The widgets of the one dashboard of `t`, in reading order, with references as `Ref:`/`GetAtt:` text. */
function dashboardWidgets(t: Template): Widget[] {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard') as Resources);
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(tokenText).join('');
  const widgets = (JSON.parse(text) as { widgets: Widget[] }).widgets;
  return widgets.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** The `[namespace, metricName, ...dimensions]` of each metric line of a widget (options dropped). */
function metricsOf(widget: Widget): string[][] {
  return (widget.properties.metrics ?? []).map((line) =>
    line.filter((v): v is string => typeof v === 'string'),
  );
}

describe('Class: StratusDashboard', () => {
  it('creates one dashboard per region, stratus-<stage>-<region>', () => {
    for (const stack of stacks) {
      expect(template(stack)).toHaveResourceCount('AWS::CloudWatch::Dashboard', 1);
      expect(template(stack)).toHaveResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `stratus-test-${stack.region}`,
      });
    }
  });

  it('has the sections API, pipeline, Kubernetes and operations, in that order, each with graphs', () => {
    for (const stack of stacks) {
      const widgets = dashboardWidgets(template(stack));
      const headers = widgets.filter((w) => w.type === 'text');
      expect(headers.map((w) => w.properties.markdown?.split('\n')[0])).toEqual([
        '## API',
        '## Pipeline',
        '## Kubernetes',
        '## Operations',
      ]);
      // Each header is followed by graphs before the next one.
      for (const [i, h] of headers.entries()) {
        const next = headers[i + 1]?.y ?? Number.POSITIVE_INFINITY;
        expect(widgets.filter((w) => w.type !== 'text' && w.y > h.y && w.y < next).length).toBeGreaterThan(0);
      }
      // Rows fill the 24-unit width without overlapping.
      for (const w of widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
    }
  });

  it('graphs the API stage, the errors and throttles of every function, the iterator ages and the queues', () => {
    for (const stack of stacks) {
      const lines = dashboardWidgets(template(stack)).flatMap(metricsOf);
      const has = (...line: string[]) =>
        expect(
          lines.some((l) => line.every((v, i) => l[i] === v)),
          line.join(' '),
        ).toBe(true);
      const stageRef = `Ref:${stack.resolve(stack.api.restApi.deploymentStage.stageName).Ref}`;
      for (const metric of ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency']) {
        has('AWS/ApiGateway', metric, 'ApiName', 'stratus-test', 'Stage', stageRef);
      }
      for (const [fnId] of functionEntries) {
        const fn = fnRef(stack, fnId).Ref;
        for (const metric of ['Invocations', 'Errors', 'Throttles', 'Duration']) {
          has('AWS/Lambda', metric, 'FunctionName', `Ref:${fn}`);
        }
      }
      for (const [fnId] of streamFunctions) {
        has('AWS/Lambda', 'IteratorAge', 'FunctionName', `Ref:${fnRef(stack, fnId).Ref}`);
      }
      const queueName = (q: { node: { defaultChild?: unknown } }) =>
        `GetAtt:${stack.getLogicalId(q.node.defaultChild as never)}.QueueName`;
      const provisioning = queueName(stack.queues.queue('provisioning'));
      has('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', provisioning);
      has('AWS/SQS', 'NumberOfMessagesSent', 'QueueName', provisioning);
      for (const { queue } of stack.queues.deadLetterQueues()) {
        has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(queue));
      }
      expect(stack.queues.deadLetterQueues()).toHaveLength(
        Object.keys(QUEUES).length + streamFunctions.length,
      );
    }
  });

  it('graphs the business metrics in the operations section: outcomes, duration, dead letters, drift, queue age', () => {
    for (const stack of stacks) {
      const widgets = dashboardWidgets(template(stack));
      const operationsAt = widgets.find((w) => w.properties.markdown?.startsWith('## Operations'))?.y ?? 0;
      const section = widgets.filter((w) => w.y > operationsAt);
      const lines = section.flatMap(metricsOf);
      for (const name of [
        'OperationsStarted',
        'OperationsSucceeded',
        'OperationsFailed',
        'OperationsCancelled',
      ]) {
        expect(lines, name).toContainEqual(['Stratus', name, 'region', stack.region]);
      }
      expect(lines).toContainEqual(['Stratus', 'DriftFound', 'region', stack.region]);
      for (const name of ['ProvisioningMessagesDeadLettered', 'ProvisioningMessagesUnreadable']) {
        expect(lines, name).toContainEqual(['Stratus', name, 'queue', 'provisioning']);
      }
      // Series by operation type and engine, and by reason, whatever values they take.
      const text = JSON.stringify(section);
      expect(text).toContain(
        `SEARCH('{Stratus,engine,operationType} MetricName=\\"OperationDuration\\"', 'p99', 300)`,
      );
      expect(text).toContain(
        `SEARCH('{Stratus,reason} MetricName=\\"ProvisioningMessageAge\\"', 'Maximum', 300)`,
      );
    }
  });

  it('graphs every reconciler metric of the region in the Kubernetes and operations sections', () => {
    for (const stack of stacks) {
      const widgets = dashboardWidgets(template(stack));
      const kubernetesAt = widgets.find((w) => w.properties.markdown?.startsWith('## Kubernetes'))?.y ?? 0;
      const lines = widgets.filter((w) => w.y > kubernetesAt).flatMap(metricsOf);
      for (const name of [...RECONCILER_METRICS.drift, ...RECONCILER_METRICS.deadlines]) {
        expect(lines, name).toContainEqual(['Stratus/Reconciler', name, 'region', stack.region]);
      }
    }
  });

  it('names only metrics the reconciler emits (functions/reconciler/run.ts)', () => {
    const handler = readFileSync(new URL('../../functions/reconciler/run.ts', import.meta.url), 'utf8');
    expect(handler).toContain(`'${RECONCILER_METRICS.namespace}'`);
    expect(handler).toMatch(/\{ region \}/);
    for (const name of [...RECONCILER_METRICS.drift, ...RECONCILER_METRICS.deadlines]) {
      expect(handler, name).toMatch(new RegExp(`\\b${name}:`));
    }
  });

  it('shows the state of every alarm of the region', () => {
    for (const stack of stacks) {
      const t = template(stack);
      const status = dashboardWidgets(t).filter((w) => w.type === 'alarm');
      expect(status).toHaveLength(1);
      expect([...(status[0]?.properties.alarms ?? [])].sort()).toEqual(
        Object.keys(alarmsOf(t))
          .map((id) => `GetAtt:${id}.Arn`)
          .sort(),
      );
    }
  });

  it('draws the configured alarm thresholds on the graphs they apply to', () => {
    // Prepare
    const [{ t }] = synth(parseConfig({ ...TWO_REGIONS, alarms: { apiP99LatencyMs: 1200 } })) as [
      { stack: StratusRegionStack; t: Template },
    ];
    // Act
    const latency = dashboardWidgets(t).find((w) => w.properties.title === 'Latency (ms)');
    // Assess
    expect(JSON.stringify(latency)).toContain('"value":1200');
  });

  it('has 23 widgets per region: 4 section headers, 18 graphs and the alarm status', () => {
    for (const stack of stacks) {
      const widgets = dashboardWidgets(template(stack));
      const count = (type: string) => widgets.filter((w) => w.type === type).length;
      expect({ text: count('text'), metric: count('metric'), alarm: count('alarm') }).toEqual({
        text: 4,
        metric: 18,
        alarm: 1,
      });
      expect(widgets).toHaveLength(23);
    }
  });
});
