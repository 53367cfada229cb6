/*
 * Imported by observability.ts before the Tracer, for its side effect: where the Tracer will be
 * off, the X-Ray SDK starts in manual mode. In its default (automatic) mode the SDK, as soon as it
 * is loaded, installs a cls-hooked async hook that tracks the creation and destruction of every
 * promise of the process, traced or not: about 1 ms of CPU per API request locally (issue #12).
 * In Lambda with tracing on nothing changes (the hook carries the trace context there).
 *
 * Same rule as Powertools' Tracer (`setTracingEnabled`): off when POWERTOOLS_TRACE_ENABLED is
 * `false`, outside Lambda (no AWS_EXECUTION_ENV), in the Amplify mock and in SAM local. The
 * variable is read before the SDK is, so it must be set here rather than in the environment schema.
 */
const env = process.env;
const executionEnv = env.AWS_EXECUTION_ENV ?? '';

/** True where the Tracer is off, so the X-Ray SDK holds no trace context. */
export const tracingOff =
  (env.POWERTOOLS_TRACE_ENABLED ?? '').trim().toLowerCase() === 'false' ||
  executionEnv === '' ||
  executionEnv === 'AWS_Lambda_amplify-mock' ||
  (env.AWS_SAM_LOCAL ?? '') !== '';

if (tracingOff && env.AWS_XRAY_MANUAL_MODE === undefined) env.AWS_XRAY_MANUAL_MODE = 'true';
