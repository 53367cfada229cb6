import { Duration, Validations } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  type IAlarmAction,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDef, type FunctionId, QUEUES, type QueueId } from '../functions/topology.js';
import { pascalCase } from './nag.js';

export interface StratusQueuesProps {
  /**
   * Actions of the alarms on dead-letter queues (for example an SNS topic that pages).
   *
   * @default - no action: the alarms are visible in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];
}

/**
 * Every queue of the topology (`QUEUES`), each with its dead-letter queue, plus one "stream
 * failures" queue per stream-triggered function, the `onFailure` destination of its event
 * source mapping. Every dead-letter queue has an alarm: a message there is a poison message whose
 * operation needs attention (DESIGN.md invariant 3).
 */
export class StratusQueues extends Construct {
  private readonly queues = new Map<QueueId, Queue>();
  private readonly streamFailureQueues = new Map<FunctionId, Queue>();
  /** The alarms on every dead-letter queue, for dashboards or extra actions. */
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: StratusQueuesProps = {}) {
    super(scope, id);
    const alarmActions = props.alarmActions ?? [];

    for (const [queueId, def] of Object.entries(QUEUES) as Array<[QueueId, (typeof QUEUES)[QueueId]]>) {
      if (def.maxReceiveCount < 1) {
        throw new Error(`QUEUES.${queueId}.maxReceiveCount must be at least 1 (functions/topology.ts).`);
      }
      const name = pascalCase(queueId);
      const dlq = new Queue(this, `${name}Dlq`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The longest SQS allows: time to inspect and redrive a poison message.
        retentionPeriod: Duration.days(14),
      });
      const queue = new Queue(this, `${name}Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(def.retentionDays),
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
      });
      this.queues.set(queueId, queue);
      this.alarms.push(this.alarmOnMessages(`${name}DlqAlarm`, dlq, `Poison messages in the ${queueId} DLQ`));
    }

    for (const [fnId, def] of Object.entries(FUNCTIONS) as Array<[FunctionId, FunctionDef]>) {
      if (!def.triggers.some((t) => t.type === 'stream')) continue;
      const name = `${pascalCase(fnId)}StreamFailures`;
      // Lambda sends here the metadata of a batch that exhausted its retries (shard, sequence
      // numbers), not the records: they must be re-read from the stream within its 24 h retention.
      const failures = new Queue(this, name, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(failures).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter destination (onFailure of a DynamoDB stream event source mapping); nothing consumes it automatically.',
      });
      this.streamFailureQueues.set(fnId, failures);
      this.alarms.push(
        this.alarmOnMessages(
          `${name}Alarm`,
          failures,
          `Stream records ${fnId} could not process after retries`,
        ),
      );
    }

    for (const alarm of this.alarms) alarm.addAlarmAction(...alarmActions);
  }

  /** The queue declared as `queueId` in topology.ts. */
  public queue(queueId: QueueId): IQueue {
    const queue = this.queues.get(queueId);
    if (queue === undefined) throw new Error(`No queue "${queueId}" in QUEUES of functions/topology.ts.`);
    return queue;
  }

  /** The onFailure destination of the stream event source mapping of `fnId`. */
  public streamFailureQueue(fnId: FunctionId): IQueue {
    const queue = this.streamFailureQueues.get(fnId);
    if (queue === undefined) {
      throw new Error(
        `Function "${fnId}" has no stream trigger in functions/topology.ts, so no stream failure queue.`,
      );
    }
    return queue;
  }

  private alarmOnMessages(id: string, queue: Queue, description: string): Alarm {
    return queue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, id, {
        alarmDescription: `${description}: inspect, fix, then redrive.`,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }
}
