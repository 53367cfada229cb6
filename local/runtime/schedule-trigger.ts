import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { Invoke } from './lambda.js';

export interface ScheduleTriggerOptions {
  readonly name: string;
  readonly region: string;
  /** Time between the end of one run and the start of the next. */
  readonly intervalMs: number;
  readonly invoke: Invoke<ScheduledEvent, unknown>;
  readonly log: (line: string) => void;
}

/**
 * A schedule rule -> handler, as EventBridge invokes a function on a `rate(...)` schedule: the
 * same "Scheduled Event" envelope, no retry of a failed run (the next tick is the retry). Unlike
 * AWS, runs never overlap here, which only makes local runs easier to follow.
 */
export class ScheduleTrigger {
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Runs so far, for figures and tests. */
  runs = 0;
  failures = 0;
  /** What the last successful run returned. */
  lastResult: unknown;

  constructor(private readonly o: ScheduleTriggerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs the handler now (waiting for a run in progress first); resolves with what it returned. */
  async runNow(): Promise<unknown> {
    await this.running;
    let result: unknown;
    const run = this.invokeOnce().then((r) => {
      result = r;
    });
    this.running = run;
    await run;
    return result;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.invokeOnce().then(() => this.schedule());
    }, this.o.intervalMs);
  }

  /** Never rejects: a failed run is logged and counted, as EventBridge would just try next time. */
  private async invokeOnce(): Promise<unknown> {
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.o.region,
      resources: [`arn:aws:events:${this.o.region}:000000000000:rule/${this.o.name}-schedule`],
      detail: {},
    };
    this.runs++;
    try {
      const result = await this.o.invoke(event);
      this.lastResult = result;
      return result;
    } catch (e) {
      this.failures++;
      this.o.log(`[${this.o.name}] scheduled run failed: ${(e as Error).message}`);
      return undefined;
    }
  }
}
