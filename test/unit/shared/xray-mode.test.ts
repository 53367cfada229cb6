import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The X-Ray SDK, loaded with the Tracer, installs an async hook with destroy tracking for every
 * promise unless it starts in manual mode: about 1 ms of CPU per API request where nothing is
 * traced (issue #12). Each case loads observability.ts in a fresh Node process, since the hook is
 * installed once per process when the SDK is first loaded.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));

function probe(env: Record<string, string>) {
  const script = `
    const { tracer } = await import('./functions/shared/observability.ts');
    console.log(JSON.stringify({
      namespace: Boolean(process.namespaces?.AWSXRay),
      enabled: tracer.isTracingEnabled(),
      manual: process.env.AWS_XRAY_MANUAL_MODE ?? null,
    }));`;
  const base = { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...base, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    namespace: boolean;
    enabled: boolean;
    manual: string | null;
  };
}

describe('Module: observability (X-Ray SDK mode)', () => {
  it('installs no X-Ray async hook where tracing is off (POWERTOOLS_TRACE_ENABLED=false, as locally)', () => {
    // Act
    const r = probe({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' });

    // Assess
    expect(r).toEqual({ namespace: false, enabled: false, manual: 'true' });
  });

  it('installs no X-Ray async hook outside Lambda (no AWS_EXECUTION_ENV)', () => {
    expect(probe({})).toEqual({ namespace: false, enabled: false, manual: 'true' });
  });

  it('keeps automatic mode, and so the trace context, where tracing is on (Lambda)', () => {
    expect(probe({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toEqual({
      namespace: true,
      enabled: true,
      manual: null,
    });
  });
});
