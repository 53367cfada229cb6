import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { stratusNames } from './names.js';

export interface StratusEventBusProps {
  /** Installation stage; the bus is named `stratus-<stage>`. */
  readonly stage: string;
  /**
   * How long the archive keeps events, so subscribers can replay what they missed.
   *
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

/**
 * The bus of this region (DESIGN.md invariant 6: every state change of a cluster or operation is
 * published on the bus of its home region), with an archive for replay.
 */
export class StratusEventBus extends Construct {
  public readonly bus: IEventBus;

  constructor(scope: Construct, id: string, props: StratusEventBusProps) {
    super(scope, id);
    const archiveRetention = props.archiveRetention ?? Duration.days(30);
    if (archiveRetention.toDays() < 1) {
      throw new Error('StratusEventBus: archiveRetention must be at least one day (or omit it for 30 days).');
    }
    const bus = new EventBus(this, 'Bus', { eventBusName: stratusNames(props.stage).bus });
    bus.archive('Archive', {
      description: `Every event of ${stratusNames(props.stage).bus}, for replay`,
      // An archive needs a pattern; every event on this bus comes from this account.
      eventPattern: { account: [Stack.of(this).account] },
      retention: archiveRetention,
    });
    this.bus = bus;
  }

  /** Lets `grantee` publish on this bus (and only this bus). */
  public grantPutEventsTo(grantee: IGrantable): Grant {
    return this.bus.grantPutEventsTo(grantee);
  }
}
