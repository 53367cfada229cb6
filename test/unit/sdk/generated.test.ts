import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { GENERATED_MARK, openApiDigest } from '../../../scripts/sdk-header.js';

const GENERATED = 'sdk/generated/openapi.ts';

describe('SDK: generated types', () => {
  const document = readFileSync('docs/openapi.json', 'utf8');
  const generated = readFileSync(GENERATED, 'utf8');

  it('were generated from the committed docs/openapi.json (else: npm run gen:sdk, and commit)', () => {
    // Prepare
    const mark = generated.match(new RegExp(`${GENERATED_MARK}([0-9a-f]{64})`))?.[1];

    // Assess
    expect(mark, `${GENERATED} has no "${GENERATED_MARK}" line: run npm run gen:sdk`).toBeDefined();
    expect(mark, `${GENERATED} is stale: run \`npm run gen:sdk\` and commit it`).toBe(
      openApiDigest(document),
    );
  });

  it('type every operation of the document', () => {
    // Prepare
    const paths = JSON.parse(document).paths as Record<string, Record<string, { operationId: string }>>;
    const operations = Object.entries(paths).flatMap(([path, ops]) =>
      Object.values(ops).map((op) => ({ path, id: op.operationId })),
    );

    // Assess
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, id } of operations) {
      expect(generated, path).toContain(`"${path}": {`);
      expect(generated, id).toContain(`    ${id}: {`);
    }
  });
});

describe('SDK: runs in a browser', () => {
  it('bundles for the browser platform with no Node built-in module, imported as stratus/sdk', async () => {
    // Act: esbuild refuses a node: import (or fs, path, ...) on the browser platform. The import
    // goes through package.json "exports", as the web console's does.
    const result = await build({
      stdin: { contents: "export { StratusClient } from 'stratus/sdk';", resolveDir: '.', loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    // Assess
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('sdk/client.ts');
    expect(
      inputs.filter((i) => i.startsWith('node:') || (i !== '<stdin>' && !/\.(m?js|ts)$/.test(i))),
    ).toEqual([]);
    expect(result.outputFiles[0]?.text).toContain('var StratusClient = class');
  });
});
