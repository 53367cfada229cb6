import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { MockInstance } from 'vitest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadlineSweepResult } from '../../../functions/reconciler/deadlines.js';
import type { DriftSweepResult } from '../../../functions/reconciler/drift.js';
import { lambdaContext } from '../../helpers/events.js';

vi.hoisted(() => {
  process.env.TABLE_NAME = 'stratus-test';
  process.env.STRATUS_REGION = 'eu-west-1';
  process.env.EVENT_BUS_NAME = 'stratus-test';
  process.env.EKS_CLUSTERS = JSON.stringify([{ name: 'stratus-euw1-a', capacityNodes: 10 }]);
  // The metrics are EMF lines on stdout (Powertools Metrics); this file reads them.
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Stratus';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
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
  certificatesRecorded: 8,
  certificateRestarts: 9,
  errors: 0,
  pages: 2,
  more: false,
  cycleCompleted: true,
};

type LogEntry = Record<string, unknown>;

interface Emitted {
  readonly namespace: string;
  readonly dimensions: LogEntry;
  readonly values: LogEntry;
}

/**
 * The metrics of an EMF line, checked as CloudWatch reads them: one directive, the run's
 * timestamp, every declared metric a number at the top level, every dimension a string there.
 */
function metricsOf(entry: LogEntry, unit = 'Count'): Emitted {
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
  // One dimension set, exactly the one given: no Powertools `service` default.
  expect(directive.Dimensions).toHaveLength(1);
  const dimensions = Object.fromEntries(directive.Dimensions.flat().map((d) => [d, entry[d]]));
  for (const value of Object.values(dimensions)) expect(value).toEqual(expect.any(String));
  expect(directive.Metrics.length).toBeGreaterThan(0);
  const values = Object.fromEntries(
    directive.Metrics.map((m) => {
      expect(m.Unit).toBe(unit);
      return [m.Name, entry[m.Name]];
    }),
  );
  for (const value of Object.values(values)) expect(value).toEqual(expect.any(Number));
  return { namespace: directive.Namespace, dimensions, values };
}

describe('Function: reconciler', () => {
  let stdout: MockInstance<typeof process.stdout.write>;
  /** The EMF lines written so far (Powertools Metrics writes them to stdout), read as CloudWatch does. */
  const emitted = (): Emitted[] =>
    stdout.mock.calls
      .flatMap(([chunk]) => String(chunk).split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogEntry)
      .filter((entry) => entry._aws !== undefined)
      .map((entry) => metricsOf(entry));
  /** The one data point that carries `metric`. */
  const pointOf = (metric: string): Emitted => {
    const found = emitted().filter((e) => metric in e.values);
    expect(found, metric).toHaveLength(1);
    return found[0] as Emitted;
  };

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
      expect(pointOf('OverdueOperationsScanned')).toEqual({
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
      expect(pointOf('DriftClustersChecked')).toEqual({
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

    it('emits the clusters found drifted as the business metric DriftFound of its region', async () => {
      // Act
      await handler(scheduled, lambdaContext);

      // Assess: repaired 4 + reported 2 + backing off 5 + suspended 7 + already reported 1.
      expect(pointOf('DriftFound')).toEqual({
        namespace: 'Stratus',
        dimensions: { region: 'eu-west-1' },
        values: { DriftFound: 19 },
      });
      // Three data points per run, nothing else on stdout's EMF.
      expect(emitted()).toHaveLength(3);
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
      expect(pointOf('ReconcileErrors').values).toMatchObject({ ReconcileErrors: 2 });
      expect(pointOf('DriftErrors').values).toMatchObject({ DriftErrors: 3 });
    });
  });
});
