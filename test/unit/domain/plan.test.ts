import { describe, expect, it } from 'vitest';
import { planCreate, planDelete, planUpdate } from '../../../functions/shared/domain/plan.js';
import type { ClusterRecord } from '../../../functions/shared/domain/records.js';
import { SIZES } from '../../../functions/shared/domain/sizes.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const ctx = {
  tenantId: 'tn-1',
  regions: ['eu-west-1', 'us-east-1'],
  apiRegion: 'eu-west-1',
  controllers: {},
  correlationId: 'corr-1',
  now: NOW,
  requestedBy: 'key-1',
};

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  tenantId: 'tn-1',
  clusterId: 'cl-01jd8w0000000000000000000a',
  name: 'pg',
  engine: 'postgresql',
  version: '16.9',
  region: 'eu-west-1',
  homeRegion: 'eu-west-1',
  nodes: 1,
  sizeName: 'medium',
  size: SIZES.medium,
  settings: { database: 'app', owner: 'app', maxConnections: 100 },
  deletionProtection: false,
  status: 'READY',
  generation: 1,
  observedGeneration: 1,
  statusVersion: 3,
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

describe('Function: planCreate', () => {
  const req = {
    name: 'vectors',
    engine: 'qdrant',
    region: 'eu-west-1',
    nodes: 1,
    size: 'small' as const,
    settings: {},
    deletionProtection: false,
  };

  it('refuses a YugabyteDB cluster with fewer nodes than its replication factor (3 by default)', () => {
    const yb = { ...req, engine: 'yugabytedb' };
    expect(code(() => planCreate(yb, ctx))).toBe('VALIDATION_FAILED');
    expect(planCreate({ ...yb, settings: { replicationFactor: 1 } }, ctx).cluster.settings).toEqual({
      replicationFactor: 1,
      maxConnections: 300,
    });
    expect(planCreate({ ...yb, nodes: 3 }, ctx).cluster.settings).toMatchObject({ replicationFactor: 3 });
  });

  it('plans a PENDING cluster held by a QUEUED CREATE with a deadline, the newest version by default', () => {
    const { cluster: c, operation: o } = planCreate(req, ctx);
    expect(c).toMatchObject({
      status: 'PENDING',
      generation: 1,
      observedGeneration: 0,
      activeOperationId: o.operationId,
      version: '1.15.5',
    });
    expect(o).toMatchObject({
      type: 'CREATE',
      status: 'QUEUED',
      targetGeneration: 1,
      nodeDelta: 1,
      requestedBy: 'key-1',
    });
    expect(Date.parse(o.deadline)).toBeGreaterThan(NOW.getTime());
  });

  it.each([
    [{ region: 'mars-1' }, 'INVALID_REGION'],
    [{ region: 'us-east-1' }, 'WRONG_REGION'],
    [{ engine: 'oracle' }, 'UNSUPPORTED_ENGINE'],
    [{ version: '0.1' }, 'UNSUPPORTED_VERSION'],
    [{ settings: { unknown: 1 } }, 'VALIDATION_FAILED'],
  ])('refuses %o with %s', (over, expected) => {
    expect(code(() => planCreate({ ...req, ...over }, ctx))).toBe(expected);
  });
});

describe('Function: planUpdate', () => {
  it('plans an UPDATE at a new generation, keeping the previous spec for cancel and rollback', () => {
    const plan = planUpdate(cluster(), { nodes: 3 }, ctx);
    expect(plan.kind).toBe('operation');
    if (plan.kind !== 'operation') return;
    expect(plan.cluster).toMatchObject({ nodes: 3, generation: 2, status: 'UPDATING', statusVersion: 4 });
    expect(plan.operation).toMatchObject({
      type: 'UPDATE',
      targetGeneration: 2,
      nodeDelta: 2,
      previous: { nodes: 1, generation: 1 },
    });
  });

  it('applies deletion protection alone as metadata, with no operation', () => {
    const plan = planUpdate(cluster(), { deletionProtection: true }, ctx);
    expect(plan).toMatchObject({ kind: 'metadata', cluster: { deletionProtection: true, generation: 1 } });
  });

  it.each([
    ['a storage shrink', { size: 'small' as const }, 'STORAGE_SHRINK_NOT_ALLOWED'],
    ['a major upgrade of PostgreSQL', { version: '17.5' }, 'UPGRADE_NOT_ALLOWED'],
    ['a change of a setting fixed at creation', { settings: { database: 'other' } }, 'SETTING_IMMUTABLE'],
    ['a change of the owner, fixed at creation', { settings: { owner: 'shop' } }, 'SETTING_IMMUTABLE'],
    ['an invalid setting', { settings: { maxConnections: 'many' } }, 'VALIDATION_FAILED'],
    ['nothing', { nodes: 1 }, 'NO_CHANGES'],
  ])('refuses %s', (_name, req, expected) => {
    expect(code(() => planUpdate(cluster(), req, ctx))).toBe(expected);
  });

  it('names every setting fixed at creation that a PATCH changes, under errors', () => {
    try {
      planUpdate(cluster(), { settings: { database: 'other', owner: 'shop', maxConnections: 200 } }, ctx);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        code: 'SETTING_IMMUTABLE',
        status: 400,
        extensions: { errors: [{ path: 'settings.database' }, { path: 'settings.owner' }] },
      });
    }
  });

  it('checks nodes against the settings (YugabyteDB: no fewer nodes than the replication factor)', () => {
    const yb = cluster({
      engine: 'yugabytedb',
      version: '2025.1.0.1',
      nodes: 3,
      settings: { replicationFactor: 3, maxConnections: 300 },
    });
    expect(code(() => planUpdate(yb, { nodes: 2 }, ctx))).toBe('VALIDATION_FAILED');
    expect(planUpdate(yb, { nodes: 5 }, ctx).kind).toBe('operation');
    const one = cluster({ ...yb, nodes: 1, settings: { replicationFactor: 1, maxConnections: 300 } });
    expect(planUpdate(one, { nodes: 2 }, ctx).kind).toBe('operation');
  });

  it('refuses a downgrade', () => {
    expect(code(() => planUpdate(cluster({ version: '17.5' }), { version: '16.9' }, ctx))).toBe(
      'UPGRADE_NOT_ALLOWED',
    );
  });

  it('refuses a spec change while another operation holds the cluster, naming it', () => {
    expect(
      code(() =>
        planUpdate(cluster({ activeOperationId: 'op-x', status: 'PROVISIONING' }), { nodes: 2 }, ctx),
      ),
    ).toBe('CLUSTER_BUSY');
  });

  it('refuses Qdrant skipping a minor version', () => {
    const q = cluster({
      engine: 'qdrant',
      version: '1.13.6',
      settings: { replicationFactor: 1, onDiskPayload: true },
    });
    expect(code(() => planUpdate(q, { version: '1.15.5' }, ctx))).toBe('UPGRADE_NOT_ALLOWED');
    expect(planUpdate(q, { version: '1.14.1' }, ctx).kind).toBe('operation');
  });

  it('refuses changes sent to another region than the one that manages the cluster', () => {
    expect(
      code(() => planUpdate(cluster({ region: 'us-east-1', homeRegion: 'us-east-1' }), { nodes: 2 }, ctx)),
    ).toBe('WRONG_REGION');
    // eu-west-1 took us-east-1 over: it manages that cluster now.
    expect(
      code(() => planUpdate(cluster({ region: 'us-east-1', homeRegion: 'eu-west-1' }), { nodes: 2 }, ctx)),
    ).toBe('no error');
  });

  it('sends creates for a region taken over to the region that manages it', () => {
    const req = {
      name: 'x',
      engine: 'qdrant',
      region: 'us-east-1',
      nodes: 1,
      size: 'small' as const,
      settings: {},
      deletionProtection: false,
    };
    expect(code(() => planCreate(req, ctx))).toBe('WRONG_REGION');
    const { cluster: c, operation: o } = planCreate(req, {
      ...ctx,
      controllers: { 'us-east-1': 'eu-west-1' },
    });
    expect(c).toMatchObject({ region: 'us-east-1', homeRegion: 'eu-west-1' });
    expect(o).toMatchObject({ region: 'us-east-1', homeRegion: 'eu-west-1' });
  });
});

describe('Function: planDelete', () => {
  it('plans a DELETE and marks the cluster DELETING', () => {
    const { cluster: c, operation: o } = planDelete(cluster(), ctx);
    expect(c).toMatchObject({ status: 'DELETING', activeOperationId: o.operationId });
    expect(o.type).toBe('DELETE');
  });

  it('refuses while deletion protection is on, or another operation runs', () => {
    expect(code(() => planDelete(cluster({ deletionProtection: true }), ctx))).toBe('DELETION_PROTECTED');
    expect(code(() => planDelete(cluster({ activeOperationId: 'op-x' }), ctx))).toBe('CLUSTER_BUSY');
    expect(code(() => planDelete(cluster({ status: 'DELETED' }), ctx))).toBe('CLUSTER_NOT_READY');
  });
});
