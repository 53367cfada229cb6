import { type MockInstance, vi } from 'vitest';

/** One data point of an EMF line, as CloudWatch reads it. */
export interface EmfPoint {
  readonly namespace: string;
  /** Each dimension of the line's one dimension set, with its value. */
  readonly dimensions: Readonly<Record<string, unknown>>;
  readonly values: Readonly<Record<string, unknown>>;
  readonly units: Readonly<Record<string, string>>;
}

interface EmfLine {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

/**
 * Captures what Powertools Metrics writes to stdout (the file must turn metrics on:
 * `POWERTOOLS_METRICS_DISABLED=false`, vitest.config.ts turns them off) and reads it back as
 * CloudWatch would: each line's directives, dimensions and values from the top level.
 */
export function captureEmf(): { readonly points: () => EmfPoint[]; readonly restore: () => void } {
  const stdout: MockInstance<typeof process.stdout.write> = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation(() => true);
  const points = (): EmfPoint[] =>
    stdout.mock.calls
      .flatMap(([chunk]) => String(chunk).split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as EmfLine)
      .filter((line) => line._aws !== undefined)
      .flatMap((line) =>
        line._aws.CloudWatchMetrics.map((d) => ({
          namespace: d.Namespace,
          dimensions: Object.fromEntries(d.Dimensions.flat().map((k) => [k, line[k]])),
          values: Object.fromEntries(d.Metrics.map((m) => [m.Name, line[m.Name]])),
          units: Object.fromEntries(d.Metrics.map((m) => [m.Name, m.Unit])),
        })),
      );
  return { points, restore: () => stdout.mockRestore() };
}
