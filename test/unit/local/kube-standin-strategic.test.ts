import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../local/kube-standin/fields.js';
import { kindSchema } from '../../../local/kube-standin/schema.js';
import { StrategicPatchError, strategicMergePatch } from '../../../local/kube-standin/strategic.js';

const schema = kindSchema('apps/v1', 'Deployment').root;
const deployment = (containers: JsonObject[], more: JsonObject = {}): JsonObject => ({
  metadata: { name: 'web', finalizers: ['a', 'b'] },
  spec: { template: { spec: { containers, ...more } } },
});
const containersOf = (o: JsonObject | undefined) =>
  (((o as JsonObject).spec as JsonObject).template as JsonObject & { spec: { containers: JsonObject[] } })
    .spec.containers;
const patchContainers = (containers: JsonObject[], more: JsonObject = {}): JsonObject => ({
  spec: { template: { spec: { containers, ...more } } },
});

describe('Function: strategicMergePatch', () => {
  it('merges containers by name, env by name and ports by containerPort; appends what is new', () => {
    // Prepare
    const live = deployment([
      {
        name: 'app',
        image: 'a:1',
        env: [{ name: 'A', value: '1' }],
        ports: [{ containerPort: 80, name: 'http' }],
      },
      { name: 'side', image: 's:1' },
    ]);

    // Act
    const out = strategicMergePatch(
      live,
      patchContainers([
        { name: 'app', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
        { name: 'new', image: 'n:1' },
      ]),
      schema,
    );

    // Assess
    expect(containersOf(out)).toEqual([
      {
        name: 'app',
        image: 'a:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
      },
      { name: 'side', image: 's:1' },
      { name: 'new', image: 'n:1' },
    ]);
  });

  it('follows $patch delete and replace, $deleteFromPrimitiveList, $retainKeys and null', () => {
    // Prepare
    const live = deployment([
      { name: 'app', image: 'a:1', args: ['x', 'y'] },
      { name: 'side', image: 's:1' },
    ]);
    (live.spec as JsonObject).strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } };

    // Act
    const out = strategicMergePatch(
      live,
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: {
            spec: {
              containers: [
                { name: 'side', $patch: 'delete' },
                { name: 'app', args: ['z'], image: null },
              ],
            },
          },
        },
      },
      schema,
    );
    const replaced = strategicMergePatch(
      deployment([{ name: 'app', image: 'a' }]),
      patchContainers([{ $patch: 'replace' }, { name: 'only', image: 'o' }]),
      schema,
    );

    // Assess
    expect(((out as JsonObject).metadata as JsonObject).finalizers).toEqual(['b']);
    expect(((out as JsonObject).spec as JsonObject).strategy).toEqual({ type: 'Recreate' });
    // args has no patch strategy: replaced; a null deletes the field.
    expect(containersOf(out)).toEqual([{ name: 'app', args: ['z'] }]);
    expect(containersOf(replaced)).toEqual([{ name: 'only', image: 'o' }]);
  });

  it('orders a merged list by $setElementOrder, keeping server-only items in place', () => {
    // Prepare
    const live = deployment([
      { name: 'a', image: '1' },
      { name: 'server-only', image: '2' },
      { name: 'b', image: '3' },
    ]);

    // Act
    const out = strategicMergePatch(
      live,
      patchContainers([{ name: 'c', image: '4' }], {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }, { name: 'c' }],
      }),
      schema,
    );

    // Assess: strategicpatch's mergeSortedSlice takes a server-only item first unless the patched
    // one stood before it on the server (b stood after server-only).
    expect(containersOf(out).map((c) => c.name)).toEqual(['server-only', 'b', 'a', 'c']);
  });

  it('refuses an item without its merge key (422) and an unknown $patch (400)', () => {
    // Prepare
    const codeOf = (patch: JsonObject): number | undefined => {
      try {
        strategicMergePatch(deployment([{ name: 'app' }]), patch, schema);
        return undefined;
      } catch (e) {
        return e instanceof StrategicPatchError ? e.code : -1;
      }
    };

    // Act
    const codes = [codeOf(patchContainers([{ image: 'x' }])), codeOf({ metadata: { $patch: 'sideways' } })];

    // Assess
    expect(codes).toEqual([422, 400]);
  });
});
