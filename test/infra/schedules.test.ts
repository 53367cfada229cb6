import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDef, type FunctionId, QUEUES } from '../../functions/topology.js';
import { StratusQueues } from '../../lib/queues.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp } from './synth.js';

const scheduled = (Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>).flatMap(([id, def]) =>
  def.triggers.flatMap((t) => (t.type === 'schedule' ? [{ id, def, everyMinutes: t.everyMinutes }] : [])),
);

let stacks: StratusRegionStack[];
const templates = new Map<StratusRegionStack, Template>();

beforeAll(() => {
  ({ stacks } = buildApp());
  for (const stack of stacks) templates.set(stack, Template.fromStack(stack));
});

function fnLogicalId(stack: StratusRegionStack, fnId: FunctionId): string {
  const fn = stack.functions.get(fnId) as LambdaFunction;
  return stack.getLogicalId(fn.node.defaultChild as CfnFunction);
}

describe('Class: StratusFunctions (schedule triggers)', () => {
  it('declares the reconciler as a scheduled function', () => {
    expect(scheduled.map((s) => s.id)).toContain('reconciler');
  });

  it('invokes every scheduled function from an EventBridge rate rule on the default bus, without retries', () => {
    for (const stack of stacks) {
      const t = templates.get(stack) as Template;
      for (const { id, everyMinutes } of scheduled) {
        const fn = fnLogicalId(stack, id);
        expect(t).toHaveResourceProperties('AWS::Events::Rule', {
          ScheduleExpression: everyMinutes === 1 ? 'rate(1 minute)' : `rate(${everyMinutes} minutes)`,
          State: 'ENABLED',
          EventBusName: Match.absent(),
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
              RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: everyMinutes * 60 },
            }),
          ],
        });
        expect(t).toHaveResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
          Principal: 'events.amazonaws.com',
        });
        expect(t).toHaveResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: fn },
          MaximumRetryAttempts: 0,
        });
      }
    }
  });

  it('alarms on the errors of every scheduled function, and when it stops running', () => {
    for (const stack of stacks) {
      const t = templates.get(stack) as Template;
      for (const { id } of scheduled) {
        expect(t).toHaveResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnLogicalId(stack, id) } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
        // And when it stops running at all (no data is itself the alarm).
        expect(t).toHaveResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'Invocations',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnLogicalId(stack, id) } }],
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        });
      }
      // Errors and silence of each scheduled function, throttles of it, and the others' alarms.
      const paths = stack.functions.alarms.map((a) => a.node.path.split('/Functions/')[1]);
      for (const { id } of scheduled) {
        const name = `${id[0]?.toUpperCase()}${id.slice(1)}`;
        expect(paths).toEqual(expect.arrayContaining([`${name}/Alarms/Errors`, `${name}/Alarms/NotRunning`]));
      }
    }
  });

  it('keeps a scheduled run shorter than its interval', () => {
    for (const { def, everyMinutes } of scheduled) expect(def.timeoutSeconds).toBeLessThan(everyMinutes * 60);
  });
});

describe('Class: StratusQueues (names)', () => {
  it('names queues as the local runtime and the dlq commands do when given the stage', () => {
    // Prepare
    const stack = new Stack(new App(), 'Named', { env: { region: 'eu-west-1', account: '123456789012' } });
    // Act
    new StratusQueues(stack, 'Queues', { stage: 'test' });
    // Assess
    const t = Template.fromStack(stack);
    for (const queueId of Object.keys(QUEUES)) {
      expect(t).toHaveResourceProperties('AWS::SQS::Queue', { QueueName: `stratus-test-${queueId}` });
      expect(t).toHaveResourceProperties('AWS::SQS::Queue', { QueueName: `stratus-test-${queueId}-dlq` });
    }
    expect(t).toHaveResourceProperties('AWS::SQS::Queue', {
      QueueName: 'stratus-test-statusPublisher-stream-failures',
    });
  });
});
