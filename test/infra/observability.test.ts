import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StratusAlarmTopic } from '../../lib/alarm-topic.js';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #11, observability: where alarms go (the alarm topic), which alarms each region has, and
 * its dashboard.
 */

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

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
