import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface StratusAlarmTopicProps {
  /** Installation stage, named in the topic's display name (the sender of its e-mails). */
  readonly stage: string;
  /**
   * An SNS topic of this stack's region to notify instead of creating one. Its topic policy must
   * let `cloudwatch.amazonaws.com` publish and, if it is encrypted, its key policy must let
   * CloudWatch use the key (a customer managed key: CloudWatch cannot use `alias/aws/sns`).
   *
   * @default - a topic is created, encrypted with its own key
   */
  readonly topicArn?: string;
  /**
   * An e-mail address to subscribe to the created topic (AWS asks it to confirm first).
   *
   * @default - no subscription: subscribe whatever pages you (e-mail, Chatbot, an incident tool)
   */
  readonly email?: string;
}

/**
 * The SNS topic every alarm of a region's stack notifies: the configured one, or one created here.
 *
 * A created topic is encrypted with a customer managed key, not `alias/aws/sns`: CloudWatch alarms
 * can publish to an encrypted topic only if the key policy lets CloudWatch use the key, and the
 * policy of an AWS managed key cannot be changed (the alarm's action would fail, visible only in
 * its history). The key costs $1 a month.
 */
export class StratusAlarmTopic extends Construct {
  public readonly topic: ITopic;
  /** The alarm action that notifies the topic; give it to every alarm of the stack. */
  public readonly action: IAlarmAction;
  /** Whether this construct created the topic (false: `topicArn` was given). */
  public readonly created: boolean;

  constructor(scope: Construct, id: string, props: StratusAlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);

    if (props.topicArn !== undefined) {
      if (props.email !== undefined) {
        throw new Error(
          'StratusAlarmTopic: email subscribes to a topic this construct creates; with topicArn, subscribe the address to that topic instead.',
        );
      }
      // arn:<partition>:sns:<region>:<account>:<name>
      const topicRegion = props.topicArn.split(':')[3];
      const known = !Token.isUnresolved(props.topicArn) && !Token.isUnresolved(stack.region);
      if (known && topicRegion !== stack.region) {
        throw new Error(
          `StratusAlarmTopic: ${props.topicArn} is a topic of ${topicRegion}; the alarms of ${stack.region} can notify only a topic of ${stack.region}.`,
        );
      }
      this.topic = Topic.fromTopicArn(this, 'Topic', props.topicArn);
      this.created = false;
    } else {
      const key = new Key(this, 'Key', {
        description: `Stratus ${props.stage}: encrypts the alarm topic of ${stack.region}`,
        enableKeyRotation: true,
      });
      // What CloudWatch needs to publish to a topic encrypted with this key (the SNS developer
      // guide's statement for AWS services that publish to encrypted topics).
      key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'CloudWatchAlarmsPublishToTheTopic',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      const topic = new Topic(this, 'Topic', {
        displayName: `Stratus ${props.stage} alarms`,
        masterKey: key,
        enforceSSL: true,
      });
      // The topic policy that enforceSSL creates replaces SNS's default one: allow this account's
      // alarms explicitly.
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'CloudWatchAlarmsOfThisAccount',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
            StringEquals: { 'aws:SourceAccount': stack.account },
          },
        }),
      );
      if (props.email !== undefined) topic.addSubscription(new EmailSubscription(props.email));
      this.topic = topic;
      this.created = true;
    }
    this.action = new SnsAction(this.topic);
  }
}
