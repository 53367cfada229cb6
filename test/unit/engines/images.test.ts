import { describe, expect, it } from 'vitest';
import {
  IMAGES,
  ImageNotPinnedError,
  imageFor,
  pinnedVersions,
  TAG_ONLY,
} from '../../../functions/shared/engines/images.js';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import type { Blueprint } from '../../../functions/shared/engines/types.js';
import { clusterSpec, renderContext } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are navigated freely
type Any = any;

/** `repository:tag@sha256:<64 hex>`: a digest for the runtime, a tag for people. */
const PINNED = /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/;
/** `repository:tag`, for the engines whose custom resource cannot carry a digest (TAG_ONLY). */
const TAGGED = /^[^@\s]+:[^@\s]+$/;
const patternFor = (engine: string) => (Object.hasOwn(TAG_ONLY, engine) ? TAGGED : PINNED);
/** Keys under which a rendered object names a container image (Pod specs, CloudNativePG, operators). */
const IMAGE_KEYS = new Set(['image', 'imageName']);

/** Every string under an image key, anywhere in `value`, with the path that leads to it. */
function imagesIn(value: unknown, path = ''): Array<{ path: string; image: unknown }> {
  if (Array.isArray(value)) return value.flatMap((item, i) => imagesIn(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(IMAGE_KEYS.has(key) && (typeof child === 'string' || child === undefined || child === null)
      ? [{ path: `${path}.${key}`, image: child }]
      : []),
    ...imagesIn(child, `${path}.${key}`),
  ]);
}

function render(bp: Blueprint, version: string) {
  const spec = clusterSpec({ engine: bp.engine, version, nodes: 3, settings: bp.settingsSchema.parse({}) });
  const secrets = Object.fromEntries(bp.secretNames.map((name) => [name, `${name}-0123456789abcdef-SECRET`]));
  return bp.render(spec, renderContext({ secrets }));
}

const cases = Object.values(blueprints).flatMap((bp) =>
  bp.versions.map((version) => [bp.engine, version, bp] as const),
);

describe('Module: images', () => {
  describe.each(Object.values(blueprints).map((bp) => [bp.engine, bp] as const))(
    'Engine: %s',
    (engine, bp) => {
      it('pins exactly the supported versions, each by tag and digest', () => {
        // Assess
        expect(pinnedVersions(engine)).toEqual([...bp.versions]);
        for (const version of bp.versions) expect(imageFor(engine, version)).toMatch(patternFor(engine));
      });

      it('tags each image with its own version', () => {
        for (const version of bp.versions) {
          const tag = imageFor(engine, version).split('@')[0]?.split(':').at(-1);
          // `v1.15.5`, `8.0.32-ubi8` (the image's base), `2024.2.2.1-b6` (YugabyteDB's build).
          expect(tag?.replace(/^v/, '').replace(/-(ubi\d+|b\d+)$/, '')).toBe(version);
        }
      });
    },
  );

  it('has no engine without a blueprint', () => {
    expect(Object.keys(IMAGES).sort()).toEqual(Object.keys(blueprints).sort());
  });

  describe.each(cases)('Method: render (%s %s)', (engine, version, bp) => {
    it('names every container image by tag and digest, the catalog entry among them', () => {
      // Act
      const found = render(bp, version).flatMap((obj) => imagesIn(obj, `${obj.kind}/${obj.metadata.name}`));

      // Assess
      if (engine === 'yugabytedb') {
        // YBA pulls the image of the release the YBUniverse names: the catalog's tag.
        const universe = render(bp, version).find((o) => o.kind === 'YBUniverse') as Any;
        expect(found).toEqual([]);
        expect(`yugabytedb/yugabyte:${universe.spec.ybSoftwareVersion}`).toBe(imageFor(engine, version));
        return;
      }
      expect(found.length).toBeGreaterThan(0);
      for (const { path, image } of found) expect(image, path).toMatch(patternFor(engine));
      expect(found.map((f) => f.image)).toContain(imageFor(engine, version));
    });
  });

  describe('Method: imageFor', () => {
    it.each([
      ['valkey', '7.2.8'],
      ['postgresql', '15.13'],
      ['dragonfly', '1.37.0'],
      ['redis', '7.2.5'],
      ['qdrant', 'toString'],
      ['__proto__', '1.15.5'],
    ])('refuses %s %s, which has no pinned image', (engine, version) => {
      expect(() => imageFor(engine, version)).toThrow(ImageNotPinnedError);
      expect(() => imageFor(engine, version)).toThrow(`${engine} ${version} has no pinned image`);
    });

    it('makes a blueprint render of an unpinned version fail loudly', () => {
      // Prepare
      const bp = blueprints.qdrant as Blueprint;

      // Act & Assess
      expect(() => render(bp, '1.12.0')).toThrow(ImageNotPinnedError);
    });
  });
});
