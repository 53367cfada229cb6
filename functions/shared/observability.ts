// First: decides the X-Ray SDK's mode before the Tracer loads it.
import './xray-mode.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/*
 * Powertools Tracer and Metrics, one of each per function (one bundle, one module instance).
 *
 * Tracer: on in Lambda (the functions have active tracing, lib/functions.ts), off anywhere else
 * (no `AWS_EXECUTION_ENV`, or POWERTOOLS_TRACE_ENABLED=false as the local runtime sets), where
 * every call below is a no-op that neither throws nor logs, and the X-Ray SDK runs in manual mode
 * so that it tracks no promise (xray-mode.ts).
 *
 * Metrics: CloudWatch embedded metric format on stdout, one JSON line per `publishMetrics` call,
 * so that a data point is flushed in the invocation that measured it. Metrics carry exactly the
 * dimensions given (Powertools' default `service` dimension is dropped), so that the dashboard
 * and alarms (lib/observability.ts) name them by namespace, name and those dimensions alone.
 */

export const tracer = new Tracer();

/**
 * A handler with the request id on every log line and, in Lambda, a `## handler` subsegment that
 * the work's annotations (withWork) hang under. Responses are not recorded in the trace: some
 * carry credentials (the reveal).
 */
export function instrumented<E, R>(logger: Logger, fn: (event: E, context: Context) => Promise<R>) {
  return middy(fn)
    .use(injectLambdaContext(logger))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
}

/** The business namespace (docs/operations.md, "Metrics"); the topology sets it for every function. */
export const BUSINESS_NAMESPACE = 'Stratus';

export { MetricUnit };
export type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

/** A metrics emitter of one namespace, with no default dimension. */
export function createMetrics(
  namespace: string = process.env.POWERTOOLS_METRICS_NAMESPACE ?? BUSINESS_NAMESPACE,
): Metrics {
  const metrics = new Metrics({ namespace });
  metrics.clearDefaultDimensions();
  return metrics;
}

export type MetricValues = Readonly<
  Record<string, number | { readonly value: number; readonly unit: MetricUnitValue }>
>;

/**
 * Writes one EMF line now: `values` (a bare number is a Count) under `dimensions` (at least one:
 * CloudWatch files a metric under its full set of dimensions). Each call is its own data point, so
 * records of one batch with different dimensions never mix, and nothing waits for the end of the
 * invocation to be flushed.
 */
export function publishMetrics(
  metrics: Metrics,
  dimensions: Readonly<Record<string, string>>,
  values: MetricValues,
): void {
  for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'number') metrics.addMetric(name, MetricUnit.Count, v);
    else metrics.addMetric(name, v.unit, v.value);
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else metrics.clearDimensions();
}

/** What a unit of work (an operation's message or stream record) is about, for logs and traces. */
export interface WorkKeys {
  readonly correlationId?: string | undefined;
  readonly operationId?: string | undefined;
  readonly clusterId?: string | undefined;
}

const WORK_KEYS = ['correlationId', 'operationId', 'clusterId'] as const;
const defined = (keys: WorkKeys): Record<string, string> =>
  Object.fromEntries(WORK_KEYS.flatMap((k) => (typeof keys[k] === 'string' ? [[k, keys[k]]] : [])));

/** A child of `logger` whose every line carries `keys` (correlation, operation and cluster id). */
export function workLogger(logger: Logger, keys: WorkKeys): Logger {
  const log = logger.createChild();
  log.appendKeys(defined(keys));
  return log;
}

/**
 * Runs `fn` with a logger that carries `keys` on every line, inside a trace subsegment annotated
 * with them. A child logger rather than `appendKeys` on the function's own: Powertools'
 * BatchProcessor handles a batch's records concurrently, so keys appended to one shared logger
 * would leak into the lines of the other records.
 */
export async function withWork<T>(
  logger: Logger,
  name: string,
  keys: WorkKeys,
  fn: (log: Logger) => Promise<T>,
): Promise<T> {
  const attributes = defined(keys);
  const log = workLogger(logger, keys);
  if (!tracer.isTracingEnabled()) return fn(log);
  // The X-Ray SDK runs `fn` in its own context with the new subsegment: concurrent records each
  // get theirs, and the annotations go on that subsegment, not on a shared current segment.
  return tracer.provider.captureAsyncFunc(`### ${name}`, async (segment): Promise<T> => {
    for (const [key, value] of Object.entries(attributes)) segment?.addAnnotation(key, value);
    try {
      return await fn(log);
    } catch (error) {
      segment?.addError(error as Error);
      throw error;
    } finally {
      segment?.close();
    }
  }) as Promise<T>;
}
