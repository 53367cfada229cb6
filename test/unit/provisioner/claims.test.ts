import { describe, expect, it } from 'vitest';
import {
  type ClaimsKube,
  prepareClaims,
  quantityBytes,
  sameClaims,
} from '../../../functions/provisioner/claims.js';
import type { KubeObject } from '../../../functions/shared/engines/types.js';

const labels = { 'app.kubernetes.io/instance': 'c1' };
const sts = (storage: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'qdrant', namespace: 'stratus-c1', ...extra },
  spec: {
    replicas: 2,
    volumeClaimTemplates: [
      { metadata: { name: 'storage', labels }, spec: { resources: { requests: { storage } } } },
    ],
  },
});
const pvc = (name: string, storage: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'stratus-c1', labels },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
});

/** A fake API server: records every call; the StatefulSet goes after `goneAfterReads` reads. */
function fakeKube(live: KubeObject | undefined, claims: KubeObject[], goneAfterReads = 0) {
  const calls: string[] = [];
  let current = live;
  let readsSinceDelete = 0;
  const kube: ClaimsKube = {
    async get(ref) {
      calls.push(`get ${ref.kind}/${ref.metadata.name}`);
      if (current?.metadata.deletionTimestamp !== undefined && ++readsSinceDelete > goneAfterReads) {
        current = undefined;
      }
      return current && structuredClone(current);
    },
    async list(_apiVersion, kind, opts) {
      calls.push(`list ${kind} ${opts.labelSelector}`);
      return structuredClone(claims);
    },
    async apply(objects) {
      for (const o of objects) calls.push(`apply ${o.kind}/${o.metadata.name} ${JSON.stringify(o.spec)}`);
    },
    async delete(ref, opts) {
      calls.push(`delete ${ref.kind}/${ref.metadata.name} ${opts?.propagation}`);
      if (current) current = { ...current, metadata: { ...current.metadata, deletionTimestamp: 'now' } };
      return 'deleted';
    },
  };
  return { kube, calls };
}
const noSleep = async () => undefined;

describe('quantityBytes', () => {
  it.each([
    ['10Gi', 10 * 2 ** 30],
    ['10240Mi', 10 * 2 ** 30],
    ['1G', 1e9],
    ['1e9', 1e9],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500', 500],
  ])('%s is %d bytes', (q, bytes) => {
    expect(quantityBytes(q)).toBe(bytes);
  });

  it('is NaN for what is not a quantity', () => {
    expect(quantityBytes('ten')).toBeNaN();
    expect(quantityBytes('10Gb')).toBeNaN();
  });
});

describe('sameClaims', () => {
  it('compares the templates by name and storage, whatever the quantity spelling', () => {
    expect(sameClaims(sts('10Gi'), sts('10Gi'))).toBe(true);
    expect(sameClaims(sts('10Gi'), sts('10240Mi'))).toBe(true);
    expect(sameClaims(sts('10Gi'), sts('50Gi'))).toBe(false);
    const renamed = sts('10Gi');
    const [template] = (renamed.spec as { volumeClaimTemplates: Array<{ metadata: { name: string } }> })
      .volumeClaimTemplates;
    if (template) template.metadata.name = 'data';
    expect(sameClaims(sts('10Gi'), renamed)).toBe(false);
  });
});

describe('prepareClaims', () => {
  it('does nothing but a read when there is no live StatefulSet, or when its claims are the same', async () => {
    const none = fakeKube(undefined, []);
    expect(await prepareClaims(none.kube, sts('50Gi'), noSleep)).toBe('unchanged');
    expect(none.calls).toEqual(['get StatefulSet/qdrant']);
    const same = fakeKube(sts('10Gi'), []);
    expect(await prepareClaims(same.kube, sts('10Gi'), noSleep)).toBe('unchanged');
    expect(same.calls).toEqual(['get StatefulSet/qdrant']);
  });

  it('grows each claim its pods use (not those a scale down left), then deletes it orphaning its pods and waits until it is gone', async () => {
    const claims = [
      pvc('storage-qdrant-0', '10Gi'),
      pvc('storage-qdrant-1', '10Gi'),
      pvc('storage-qdrant-2', '10Gi'), // left by a scale down: grown when a scale up uses it again
      pvc('storage-qdrant-restore', '10Gi'), // not a claim of this StatefulSet's template
      pvc('storage-qdrant-backup-0', '10Gi'), // nor this one (another StatefulSet's)
    ];
    const { kube, calls } = fakeKube(sts('10Gi'), claims, 2);
    expect(await prepareClaims(kube, sts('50Gi'), noSleep)).toBe('replaced');
    const grow = (n: number) =>
      `apply PersistentVolumeClaim/storage-qdrant-${n} ${JSON.stringify({ resources: { requests: { storage: '50Gi' } } })}`;
    expect(calls).toEqual([
      'get StatefulSet/qdrant',
      'list PersistentVolumeClaim app.kubernetes.io/instance=c1',
      grow(0),
      grow(1),
      'delete StatefulSet/qdrant Orphan',
      'get StatefulSet/qdrant',
      'get StatefulSet/qdrant',
      'get StatefulSet/qdrant',
    ]);
  });

  it('never shrinks a claim: going back to a smaller template only replaces the StatefulSet', async () => {
    const { kube, calls } = fakeKube(sts('50Gi'), [pvc('storage-qdrant-0', '50Gi')]);
    expect(await prepareClaims(kube, sts('10Gi'), noSleep)).toBe('replaced');
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual([]);
    expect(calls).toContain('delete StatefulSet/qdrant Orphan');
  });

  it('resumes a replacement a stopped delivery began: a terminating StatefulSet is waited for, not deleted again, its claims grown', async () => {
    const claims = [pvc('storage-qdrant-0', '50Gi'), pvc('storage-qdrant-1', '10Gi')];
    const { kube, calls } = fakeKube(sts('10Gi', { deletionTimestamp: '2026-12-06T00:00:00Z' }), claims, 1);
    expect(await prepareClaims(kube, sts('50Gi'), noSleep)).toBe('replaced');
    expect(calls.filter((c) => !c.startsWith('get'))).toEqual([
      'list PersistentVolumeClaim app.kubernetes.io/instance=c1',
      `apply PersistentVolumeClaim/storage-qdrant-1 ${JSON.stringify({ resources: { requests: { storage: '50Gi' } } })}`,
    ]);
  });

  it('grows the claim a scale up uses again when a scale down left it smaller, without replacing the StatefulSet', async () => {
    // Prepare: 3 nodes at 10Gi, scaled down to 2, grown to 50Gi; now back to 3
    const claims = [
      pvc('storage-qdrant-0', '50Gi'),
      pvc('storage-qdrant-1', '50Gi'),
      pvc('storage-qdrant-2', '10Gi'),
    ];
    const three = sts('50Gi');
    (three.spec as { replicas: number }).replicas = 3;
    const { kube, calls } = fakeKube(sts('50Gi'), claims);

    // Act
    const outcome = await prepareClaims(kube, three, noSleep);

    // Assess
    expect(outcome).toBe('grown');
    expect(calls).toEqual([
      'get StatefulSet/qdrant',
      'list PersistentVolumeClaim app.kubernetes.io/instance=c1',
      `apply PersistentVolumeClaim/storage-qdrant-2 ${JSON.stringify({ resources: { requests: { storage: '50Gi' } } })}`,
    ]);
  });

  it('fails retryably when the StatefulSet outlives the wait', async () => {
    const { kube } = fakeKube(sts('10Gi'), [], Number.POSITIVE_INFINITY);
    const slept: number[] = [];
    await expect(
      prepareClaims(kube, sts('50Gi'), async (ms) => {
        slept.push(ms);
      }),
    ).rejects.toMatchObject({ retryable: true, status: 409 });
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThan(10_000);
  });
});
