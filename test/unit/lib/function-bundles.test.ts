import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../functions/topology.js';
import { functionBundles, LOCAL_WORKER } from '../../../lib/function-bundles.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('functionBundles', () => {
  it('bundles every function of the topology once, then reuses the build while no input changed', () => {
    const first = functionBundles({ dir });
    expect(first.built).toBe(true);
    for (const fnId of Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>) {
      const code = readFileSync(first.file(fnId), 'utf8');
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(first.sizes[fnId]).toBe(Buffer.byteLength(code));
      expect(readFileSync(`${first.file(fnId)}.map`, 'utf8')).toContain('"mappings"');
    }
    expect(first.localWorker).toBe(join(first.dir, LOCAL_WORKER, 'index.mjs'));
    expect(readFileSync(first.localWorker, 'utf8')).not.toContain('tsx');

    // What each bundle carries: the API no Kubernetes client (the reveal function has it, D23);
    // no bundle the whatwg-url tables that node-fetch never calls (lib/bundle-shims).
    expect(first.packages.api).not.toHaveProperty('@kubernetes/client-node');
    expect(first.packages.reveal).toHaveProperty('@kubernetes/client-node');
    for (const fnId of Object.keys(FUNCTIONS)) expect(first.packages[fnId]).not.toHaveProperty('tr46');

    const again = functionBundles({ dir });
    expect(again.built).toBe(false);
    expect(again.dir).toBe(first.dir);
  }, 120_000);

  it('rebuilds when an input differs from what the build read, into a new folder', () => {
    const before = functionBundles({ dir });
    const manifestFile = join(dir, 'current.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const source = 'functions/shared/ids.ts';
    expect(manifest.inputs[source]).toBeDefined();
    manifest.inputs[source] = [manifest.inputs[source][0], manifest.inputs[source][1] - 1];
    writeFileSync(manifestFile, JSON.stringify(manifest));

    const after = functionBundles({ dir });
    expect(after.built).toBe(true);
    expect(after.dir).not.toBe(before.dir);
    // The earlier build stays for processes that still load from it.
    expect(readFileSync(before.file('api'), 'utf8').length).toBeGreaterThan(0);
  }, 120_000);
});
