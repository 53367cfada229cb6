import { describe, expect, it, vi } from 'vitest';
import { planBackup } from '../../../functions/shared/domain/backups.js';
import { planPause, planResume } from '../../../functions/shared/domain/pause.js';
import { planDelete, planUpdate } from '../../../functions/shared/domain/plan.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';

// An engine without the optional `pause` capability (as an engine added without it would be).
vi.mock('../../../functions/shared/engines/registry.js', async (original) => {
  const real = await original<typeof import('../../../functions/shared/engines/registry.js')>();
  const qdrant = real.blueprints.qdrant;
  if (!qdrant) throw new Error('no qdrant blueprint');
  const { pause: _pause, ...noPause } = qdrant;
  const all = { ...real.blueprints, nopause: { ...noPause, engine: 'nopause', displayName: 'NoPause' } };
  return { ...real, blueprints: all, getBlueprint: (engine: string) => all[engine as keyof typeof all] };
});

const NOW = new Date('2026-11-22T10:00:00.000Z');
const ctx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
};

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'vectors',
  engine: 'qdrant',
  version: '1.15.5',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 2,
  sizeName: 'small',
  size: SIZES.small,
  settings: {},
  deletionProtection: false,
  status: 'READY',
  generation: 4,
  observedGeneration: 4,
  statusVersion: 7,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('Function: planPause', () => {
  it('holds the cluster with a QUEUED PAUSE at a new generation, PAUSING and paused, remembering it ran', () => {
    // Act
    const { cluster: c, operation: o } = planPause(cluster({ statusReason: 'UPDATE_ROLLED_BACK' }), ctx);

    // Assess
    expect(o).toMatchObject({ type: 'PAUSE', status: 'QUEUED', targetGeneration: 5, nodeDelta: 0 });
    expect(o.previous).toMatchObject({ status: 'READY', generation: 4 });
    expect(o.previous?.paused).toBeUndefined();
    expect(c).toMatchObject({
      status: 'PAUSING',
      paused: true,
      generation: 5,
      statusVersion: 8,
      activeOperationId: o.operationId,
    });
    expect(c.statusReason).toBeUndefined();
  });

  it.each([
    ['an operation in progress', cluster({ activeOperationId: 'op-1' }), 'CLUSTER_BUSY'],
    ['already paused', cluster({ status: 'PAUSED', paused: true }), 'CLUSTER_PAUSED'],
    ['not READY', cluster({ status: 'FAILED' }), 'CLUSTER_NOT_READY'],
    ['being deleted', cluster({ status: 'DELETING' }), 'CLUSTER_NOT_READY'],
    ['an engine that cannot pause', cluster({ engine: 'nopause' }), 'PAUSE_NOT_SUPPORTED'],
    ['managed by another region', cluster({ homeRegion: 'us-east-1' }), 'WRONG_REGION'],
  ])('refuses %s', (_what, c, expected) => {
    expect(code(() => planPause(c, ctx))).toBe(expected);
  });

  it('retries a pause that failed (the cluster FAILED, still paused in its spec)', () => {
    expect(planPause(cluster({ status: 'FAILED', paused: true }), ctx).cluster.status).toBe('PAUSING');
  });
});

describe('Function: planResume', () => {
  it('holds a PAUSED cluster with a RESUME at a new generation, RESUMING and no longer paused', () => {
    const { cluster: c, operation: o } = planResume(cluster({ status: 'PAUSED', paused: true }), ctx);
    expect(o).toMatchObject({
      type: 'RESUME',
      targetGeneration: 5,
      previous: { status: 'PAUSED', paused: true },
    });
    expect(c).toMatchObject({ status: 'RESUMING', paused: false, generation: 5 });
  });

  it.each([
    ['a running cluster', cluster(), 'CLUSTER_NOT_PAUSED'],
    ['a FAILED cluster that was never paused', cluster({ status: 'FAILED' }), 'CLUSTER_NOT_PAUSED'],
    ['a deleted cluster (found by the API fuzz test)', cluster({ status: 'DELETED' }), 'CLUSTER_NOT_READY'],
    [
      'an operation in progress',
      cluster({ status: 'PAUSING', paused: true, activeOperationId: 'op-1' }),
      'CLUSTER_BUSY',
    ],
  ])('refuses %s', (_what, c, expected) => {
    expect(code(() => planResume(c, ctx))).toBe(expected);
  });

  it('resumes a cluster whose pause or resume failed', () => {
    expect(planResume(cluster({ status: 'FAILED', paused: true }), ctx).cluster.status).toBe('RESUMING');
  });
});

describe('A paused cluster', () => {
  const paused = cluster({ status: 'PAUSED', paused: true });

  it('refuses scale, resize, upgrade and settings with CLUSTER_PAUSED, and takes metadata changes', () => {
    expect(code(() => planUpdate(paused, { nodes: 3 }, ctx))).toBe('CLUSTER_PAUSED');
    expect(code(() => planUpdate(cluster({ status: 'FAILED', paused: true }), { nodes: 3 }, ctx))).toBe(
      'CLUSTER_PAUSED',
    );
    expect(planUpdate(paused, { deletionProtection: true }, ctx).kind).toBe('metadata');
  });

  it('refuses a backup with CLUSTER_PAUSED', () => {
    expect(code(() => planBackup(paused, { ...ctx, backupBucket: 'b' }))).toBe('CLUSTER_PAUSED');
  });

  it('may be deleted', () => {
    expect(planDelete(paused, ctx).operation.type).toBe('DELETE');
  });

  it('is supported by the four first engines; the three operator engines added later opt out (PAUSE_NOT_SUPPORTED)', () => {
    expect(
      Object.values(blueprints)
        .filter((b) => !b.pause)
        .map((b) => b.engine)
        .sort(),
    ).toEqual(['mongodb', 'nopause', 'scylladb', 'yugabytedb']);
  });
});
