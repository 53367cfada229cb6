import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { MockInstance } from 'vitest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadlineSweepResult } from '../../../functions/reconciler/deadlines.js';
import type { DriftSweepResult } from '../../../functions/reconciler/drift.js';
import { embeddedMetrics } from '../../../functions/reconciler/metrics.js';
import { lambdaContext } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
  process.env.EKS_CLUSTERS = JSON.stringify([{ name: 'stratus-euw1-a', capacityNodes: 10 }]);
  // The metrics are log lines (EMF): this file logs at INFO, as the function does in AWS, and reads them.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
// The sweeps are tested on their own (reconciler.test.ts, drift.test.ts); here they answer given counts.
const sweeps = vi.hoisted(() => ({ deadlines: vi.fn(), drift: vi.fn() }));
vi.mock('../../../functions/reconciler/deadlines.js', () => ({ sweepDeadlines: sweeps.deadlines }));
vi.mock('../../../functions/reconciler/drift.js', () => ({ sweepDrift: sweeps.drift }));
vi.mock('../../../functions/shared/kube/access.js', () => ({
  kubeAccess: () => ({ client: async () => ({}), invalidate: () => undefined }),
}));
const { handler } = await import('../../../functions/reconciler/handler.js');
// The run reads which regions it manages (no takeover here).
mockClient(DynamoDBDocumentClient).on(QueryCommand).resolves({ Items: [] });

const NOW = new Date('2026-11-22T06:00:00.000Z');
const scheduled = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Scheduled Event' as const,
  source: 'aws.events' as const,
  account: '123456789012',
  time: NOW.toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: {},
};

/** Distinct counts, so that a metric fed from the wrong field shows. */
const deadlines: DeadlineSweepResult = {
  scanned: 11,
  failed: 5,
  failedWithoutCluster: 2,
  alreadyFinished: 3,
  errors: 0,
  pages: 1,
  more: false,
};
const drift: DriftSweepResult = {
  checked: 40,
  clean: 30,
  repaired: 4,
  reported: 2,
  backingOff: 5,
  suspended: 7,
  alreadyReported: 1,
  skipped: 3,
  orphans: 6,
  orphansDeleted: 1,
  errors: 0,
  pages: 2,
  more: false,
  cycleCompleted: true,
};

type LogEntry = Record<string, unknown>;

/**
 * The metrics of an EMF log entry, checked as CloudWatch reads them: every declared metric a
 * number at the top level, every dimension a string at the top level.
 */
function metricsOf(entry: LogEntry): { namespace: string; dimensions: LogEntry; values: LogEntry } {
  const aws = entry._aws as {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  expect(aws.Timestamp).toBe(NOW.getTime());
  expect(aws.CloudWatchMetrics).toHaveLength(1);
  const [directive] = aws.CloudWatchMetrics;
  if (!directive) throw new Error('no metric directive');
  const dimensions = Object.fromEntries(directive.Dimensions.flat().map((d) => [d, entry[d]]));
  for (const value of Object.values(dimensions)) expect(value).toEqual(expect.any(String));
  expect(directive.Metrics.length).toBeGreaterThan(0);
  const values = Object.fromEntries(
    directive.Metrics.map((m) => {
      expect(m.Unit).toBe('Count');
      return [m.Name, entry[m.Name]];
    }),
  );
  for (const value of Object.values(values)) expect(value).toEqual(expect.any(Number));
  return { namespace: directive.Namespace, dimensions, values };
}

describe('Function: reconciler', () => {
  let stdout: MockInstance<typeof process.stdout.write>;
  /** The JSON log entries written so far that carry embedded metrics, by message. */
  const emitted = (): Record<string, LogEntry> =>
    Object.fromEntries(
      stdout.mock.calls
        .flatMap(([chunk]) => String(chunk).split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogEntry)
        .filter((entry) => entry._aws !== undefined)
        .map((entry) => [String(entry.message), entry]),
    );

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    sweeps.deadlines.mockResolvedValue(deadlines);
    sweeps.drift.mockResolvedValue(drift);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
    sweeps.deadlines.mockReset();
    sweeps.drift.mockReset();
  });

  describe('Method: handler (metrics)', () => {
    it('emits the deadline sweep counts as Stratus/Reconciler metrics of its region', async () => {
      // Act
      await handler(scheduled, lambdaContext);

      // Assess
      const entry = emitted()['deadline sweep done'];
      expect(entry).toMatchObject({ level: 'INFO', service: 'stratus-reconciler' });
      expect(metricsOf(entry as LogEntry)).toEqual({
        namespace: 'Stratus/Reconciler',
        dimensions: { region: 'eu-west-1' },
        values: {
          OverdueOperationsScanned: 11,
          // Failed with their cluster and on their own: every operation the sweep expired.
          OperationsExpired: 7,
          OperationsExpiredWithoutCluster: 2,
          OverdueOperationsAlreadyFinished: 3,
          ReconcileErrors: 0,
        },
      });
    });

    it('emits the drift sweep counts as Stratus/Reconciler metrics of its region', async () => {
      // Act
      await handler(scheduled, lambdaContext);

      // Assess
      expect(metricsOf(emitted()['drift sweep done'] as LogEntry)).toEqual({
        namespace: 'Stratus/Reconciler',
        dimensions: { region: 'eu-west-1' },
        values: {
          DriftClustersChecked: 40,
          DriftRepairsQueued: 4,
          DriftReported: 2,
          DriftRepairsBackingOff: 5,
          DriftRepairsSuspended: 7,
          OrphansFound: 6,
          OrphansDeleted: 1,
          DriftErrors: 0,
        },
      });
    });

    it('emits the error counts before it fails the run, so that the metrics show what the alarm saw', async () => {
      // Prepare
      sweeps.deadlines.mockResolvedValue({ ...deadlines, errors: 2 });
      sweeps.drift.mockResolvedValue({ ...drift, errors: 3 });

      // Act
      await expect(handler(scheduled, lambdaContext)).rejects.toThrow(
        '2 overdue operation(s) could not be marked FAILED, 3 cluster(s) or namespace(s) could not be checked for drift',
      );

      // Assess
      const entries = emitted();
      expect(metricsOf(entries['deadline sweep done'] as LogEntry).values).toMatchObject({
        ReconcileErrors: 2,
      });
      expect(metricsOf(entries['drift sweep done'] as LogEntry).values).toMatchObject({ DriftErrors: 3 });
    });
  });
});

describe('Function: embeddedMetrics', () => {
  it('declares each count as a Count metric with the dimensions, both at the top level', () => {
    // Act
    const entry = embeddedMetrics('Ns', { region: 'r', fn: 'f' }, { A: 1, B: 0 }, 1_700_000_000_000);

    // Assess
    expect(entry).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Ns',
            Dimensions: [['region', 'fn']],
            Metrics: [
              { Name: 'A', Unit: 'Count' },
              { Name: 'B', Unit: 'Count' },
            ],
          },
        ],
      },
      region: 'r',
      fn: 'f',
      A: 1,
      B: 0,
    });
  });
});
