import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export type Invoke<E, R> = (event: E) => Promise<R>;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Calls a handler module's export the way the Lambda runtime does: one event, a fresh context.
 * Timeouts are reported (not enforced): a local handler that runs past its limit is logged.
 */
export function lambdaInvoker<E, R>(
  functionName: string,
  handler: Handler,
  timeoutSeconds: number,
  log: (line: string) => void,
): Invoke<E, R> {
  return async (event: E) => {
    const started = Date.now();
    const deadline = started + timeoutSeconds * 1000;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
      memoryLimitInMB: '512',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      return (await handler(event, context)) as R;
    } finally {
      const ms = Date.now() - started;
      if (ms > timeoutSeconds * 1000)
        log(`[${functionName}] ran ${ms} ms, over its ${timeoutSeconds} s timeout`);
    }
  };
}

/**
 * One invocation at a time, as one Lambda execution environment runs them: the in-process runtime
 * has a single instance of each handler module, whose module-scope state (Powertools'
 * BatchProcessor, for one) belongs to the invocation in progress. Later calls wait their turn.
 */
export function oneAtATime<E, R>(invoke: Invoke<E, R>): Invoke<E, R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (event: E) => {
    const run = tail.then(() => invoke(event));
    tail = run.catch(() => undefined);
    return run;
  };
}
