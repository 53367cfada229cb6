import { describe, expect, it } from 'vitest';
import { dragonflyBlueprint } from '../../../functions/shared/engines/dragonfly.js';
import { postgresqlBlueprint } from '../../../functions/shared/engines/postgresql.js';
import { qdrantBlueprint } from '../../../functions/shared/engines/qdrant.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { valkeyBlueprint } from '../../../functions/shared/engines/valkey.js';
import { validateRendered } from '../../helpers/kube-crds.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

const secrets = { apiKey: 'k', password: 'p' };

function render(bp: Blueprint, paused: boolean, nodes = 3): KubeObject[] {
  const spec = clusterSpec({ engine: bp.engine, version: bp.versions.at(-1), nodes, settings: {}, paused });
  return bp.render(spec, renderContext({ secrets }));
}
const find = (objects: KubeObject[], kind: string) => {
  const o = objects.find((x) => x.kind === kind);
  if (!o) throw new Error(`no ${kind}`);
  return o as KubeObject & { spec: Record<string, unknown> };
};
const spec = (bp: Blueprint, paused: boolean) =>
  clusterSpec({ engine: bp.engine, version: bp.versions.at(-1), nodes: 2, settings: {}, paused });
const sts = (replicas: number, status: Record<string, unknown>, generation = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'x', generation },
  spec: { replicas },
  status: { observedGeneration: generation, ...status },
});

describe('Engines: pause', () => {
  describe.each([
    { bp: qdrantBlueprint, kind: 'StatefulSet', field: 'replicas' },
    { bp: valkeyBlueprint, kind: 'StatefulSet', field: 'replicas' },
    { bp: dragonflyBlueprint, kind: 'Dragonfly', field: 'replicas' },
  ])('$bp.engine', ({ bp, kind, field }) => {
    it('renders no replica while paused, and every object stays valid (kubernetes-models, vendored CRDs)', () => {
      // Act
      const paused = render(bp, true);
      const running = render(bp, false);

      // Assess: only the replica count differs; the volume claim templates are the same
      expect(find(paused, kind).spec[field]).toBe(0);
      expect(find(running, kind).spec[field]).toBe(3);
      const without = (objs: KubeObject[]) =>
        objs.map((o) => (o.kind === kind ? { ...o, spec: { ...(o.spec as object), [field]: 'n' } } : o));
      expect(without(paused)).toEqual(without(running));
      for (const o of paused) validateRendered(o);
    });
  });

  describe('postgresql (CloudNativePG)', () => {
    it('annotates the Cluster cnpg.io/hibernation: on while paused, keeps its instances, and is valid against the CRD', () => {
      // Act
      const paused = find(render(postgresqlBlueprint, true), 'Cluster');
      const running = find(render(postgresqlBlueprint, false), 'Cluster');

      // Assess
      expect(paused.metadata.annotations?.['cnpg.io/hibernation']).toBe('on');
      expect(running.metadata.annotations?.['cnpg.io/hibernation']).toBeUndefined();
      expect(paused.spec).toEqual(running.spec);
      expect(paused.spec.instances).toBe(3);
      validateRendered(paused);
    });

    it('is paused once hibernated, running once the condition is gone, and not ready while hibernated', () => {
      const pause = postgresqlBlueprint.pause;
      if (!pause) throw new Error('postgresql has no pause');
      const cluster = (annotation: string | undefined, conditions: unknown[], readyInstances: number) =>
        ({
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: {
            name: 'postgresql',
            ...(annotation ? { annotations: { 'cnpg.io/hibernation': annotation } } : {}),
          },
          status: { readyInstances, phase: 'Cluster in healthy state', conditions },
        }) as KubeObject;
      const hibernated = [{ type: 'cnpg.io/hibernation', status: 'True', reason: 'Hibernated' }];
      const s = spec(postgresqlBlueprint, true);
      const r = spec(postgresqlBlueprint, false);

      expect(pause.state(s, [cluster(undefined, [], 2)]).state).toBe('changing');
      expect(pause.state(s, [cluster('on', [], 2)]).state).toBe('changing');
      expect(pause.state(s, [cluster('on', hibernated, 0)])).toEqual({ state: 'paused' });
      expect(pause.state(r, [cluster(undefined, hibernated, 0)]).state).toBe('changing');
      expect(pause.state(r, [cluster(undefined, [], 2)])).toEqual({ state: 'running' });
      expect(postgresqlBlueprint.readiness(r, [cluster(undefined, hibernated, 2)])).toMatchObject({
        ready: false,
        reason: expect.stringMatching(/hibernated/),
      });
      expect(pause.state(s, [undefined]).state).toBe('changing');
    });
  });

  describe.each([qdrantBlueprint, valkeyBlueprint, dragonflyBlueprint])('$engine StatefulSet state', (bp) => {
    it('is paused only when the controller saw 0 replicas and no pod is left; running once every replica is ready', () => {
      const pause = bp.pause;
      if (!pause) throw new Error(`${bp.engine} has no pause`);
      const s = spec(bp, true);
      const r = spec(bp, false);
      expect(pause.refs(s)).toEqual([
        expect.objectContaining({ apiVersion: 'apps/v1', kind: 'StatefulSet' }),
      ]);

      expect(pause.state(s, [undefined]).state).toBe('changing');
      expect(pause.state(s, [sts(0, { observedGeneration: 1, replicas: 0, readyReplicas: 0 })]).state).toBe(
        'changing',
      );
      expect(pause.state(s, [sts(0, { replicas: 1, readyReplicas: 1 })]).state).toBe('changing');
      expect(pause.state(s, [sts(0, { replicas: 0, readyReplicas: 0 })])).toEqual({ state: 'paused' });
      expect(pause.state(r, [sts(2, { replicas: 2, readyReplicas: 1 })]).state).toBe('changing');
      expect(pause.state(r, [sts(2, { replicas: 2, readyReplicas: 2 })])).toEqual({ state: 'running' });
    });
  });

  it('every engine that pauses says how; an engine without `pause` is allowed (the API refuses it)', () => {
    for (const bp of Object.values(blueprints)) {
      if (bp.pause) expect(bp.pause.method.length).toBeGreaterThan(10);
    }
    const { pause: _pause, ...withoutPause } = qdrantBlueprint;
    const plain: Blueprint = withoutPause;
    expect(plain.pause).toBeUndefined();
  });
});
