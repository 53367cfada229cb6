import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blueprints } from '../../../functions/shared/engines/registry.js';
import { clusterSpec, PUBLIC_ENDPOINT, renderContext, TEST_GATEWAY } from '../../helpers/kube-fixtures.js';

/**
 * Clusters created before TLS to the database (no `spec.tls`) must render exactly what they did,
 * or the drift reconciler would change every running database (D35). The hashes in
 * test/fixtures/renders-before-tls.json were computed by this same loop at commit 83325bf, the
 * last commit before TLS to the database; never regenerate them from the current code.
 */
const BEFORE: Record<string, string> = JSON.parse(
  readFileSync(new URL('../../fixtures/renders-before-tls.json', import.meta.url), 'utf8'),
);

const variants = ['1', '3', 'backups', 'public', 'public-1'] as const;

describe('Renders of clusters without TLS, as before TLS to the database (83325bf)', () => {
  it.each(Object.values(blueprints).flatMap((bp) => variants.map((v) => [bp.engine, v, bp] as const)))(
    '%s (%s): objects and connection unchanged',
    (engine, variant, bp) => {
      // Prepare
      const spec = clusterSpec({
        engine,
        version: bp.versions.at(-1),
        nodes: variant === '1' || variant === 'public-1' ? 1 : 3,
        settings: bp.settingsSchema.parse({}),
        ...(variant === 'backups' ? { backupStore: { bucket: 'b', prefix: 'tn/cl/' } } : {}),
        ...(variant.startsWith('public') ? { endpoint: PUBLIC_ENDPOINT } : {}),
      });
      const secrets = Object.fromEntries(bp.secretNames.map((n) => [n, 'x']));
      const ctx = renderContext({
        secrets,
        ...(variant.startsWith('public') ? { gateway: TEST_GATEWAY } : {}),
      });

      // Act
      const value = { objects: bp.render(spec, ctx), connection: bp.connection(spec) };

      // Assess
      expect(createHash('sha256').update(JSON.stringify(value)).digest('hex')).toBe(
        BEFORE[`${engine}/${variant}`],
      );
    },
  );

  it('covers every engine and variant recorded', () => {
    expect(Object.keys(BEFORE).sort()).toEqual(
      Object.keys(blueprints)
        .flatMap((e) => variants.map((v) => `${e}/${v}`))
        .sort(),
    );
  });
});
