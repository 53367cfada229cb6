import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';
import { FUNCTIONS, type FunctionId } from '../functions/topology.js';

/**
 * Every function of functions/topology.ts bundled once, by one esbuild call, and reused by
 * everything that runs them: the CDK app (one asset per function, whatever the number of regions)
 * and the local runtime's execution environments (a bundle loads several times faster than the
 * TypeScript sources through a loader). Rebuilt only when an input changed (size or modification
 * time of any file esbuild read, esbuild's version, or the options below).
 */

/** Repository root: entries are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where bundles are kept (git-ignored): `<dir>/<build id>/<function id>/index.mjs`. */
export const DEFAULT_BUNDLE_DIR = join(REPO_ROOT, '.build', 'functions');

/** The file name of every bundle; the Lambda handler is `index.<export>`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The esbuild options of every bundle. ES modules for Node 20 (the local runtime) and 22 (Lambda);
 * the AWS SDK is bundled (the lockfile's versions, the ones the tests ran against, not whatever the
 * runtime carries this month); minified, with a source map next to each bundle.
 */
const OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // esbuild turns the require() calls of CommonJS dependencies into a shim that needs a real
  // `require` in an ES module.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  outExtension: { '.js': '.mjs' },
  // node-fetch 2 (inside @kubernetes/client-node 1.x) prefers Node's URL and never calls
  // whatwg-url, whose tr46 tables would add ~260 KB to every Kubernetes function: see the shim.
  alias: { 'whatwg-url': './lib/bundle-shims/whatwg-url.mjs' },
  logLevel: 'warning',
} as const satisfies BuildOptions;

interface Manifest {
  readonly id: string;
  /** Digest of esbuild's version, the options and the entries. */
  readonly recipe: string;
  /** Every file esbuild read (repository-relative), with the size and mtime it had. */
  readonly inputs: Readonly<Record<string, readonly [size: number, mtimeMs: number]>>;
  /** Bundle size in bytes, by function. */
  readonly sizes: Readonly<Record<string, number>>;
  /** By function: bytes each package (or `(own code)`) takes in the bundle. */
  readonly packages: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface FunctionBundles {
  /** The build's folder. */
  readonly dir: string;
  /** True when this call ran esbuild, false when an up-to-date build was reused. */
  readonly built: boolean;
  /** The folder of one function's bundle (a Lambda asset: `index.mjs` and its source map). */
  folder(fnId: FunctionId | InfraFunctionId): string;
  /** The bundle file of one function. */
  file(fnId: FunctionId): string;
  /** The local runtime's worker-thread entry (local/runtime/function-worker.ts, bundled). */
  readonly localWorker: string;
  /** Bundle size in bytes, by function. */
  readonly sizes: Readonly<Record<string, number>>;
  /** By function: bytes each package (or `(own code)`) takes in the bundle. */
  readonly packages: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * The local runtime's execution environment (local/runtime/function-worker.ts), bundled with the
 * functions so that a worker thread loads two plain ES modules and no TypeScript loader. Not part
 * of any Lambda asset (each asset is one function's folder).
 */
export const LOCAL_WORKER = 'local-worker';

/**
 * Functions of the stacks themselves rather than of the control plane (not in functions/topology.ts,
 * never run locally): the preflight check of the deploy (lib/preflight.ts).
 */
export const INFRA_FUNCTIONS = { preflight: 'functions/preflight/handler.ts' } as const;
export type InfraFunctionId = keyof typeof INFRA_FUNCTIONS;

function entries(): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(FUNCTIONS).map(([fnId, def]) => [`${fnId}/index`, join(REPO_ROOT, def.entry)]),
    ),
    [`${LOCAL_WORKER}/index`]: join(REPO_ROOT, 'local/runtime/function-worker.ts'),
    ...Object.fromEntries(
      Object.entries(INFRA_FUNCTIONS).map(([id, entry]) => [`${id}/index`, join(REPO_ROOT, entry)]),
    ),
  };
}

/** Bumped when the manifest's shape changes, so that an older build is not reused. */
const MANIFEST_FORMAT = 4;

function recipe(): string {
  return createHash('sha256')
    .update(JSON.stringify({ MANIFEST_FORMAT, esbuildVersion, OPTIONS, entries: entries() }))
    .digest('hex');
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function upToDate(dir: string, m: Manifest, want: string): boolean {
  if (m.recipe !== want) return false;
  try {
    statSync(join(dir, m.id, LOCAL_WORKER, BUNDLE_FILE));
    for (const [path, [size, mtimeMs]] of Object.entries(m.inputs)) {
      const s = statSync(join(REPO_ROOT, path));
      if (s.size !== size || s.mtimeMs !== mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function bundlesAt(dir: string, m: Manifest, built: boolean): FunctionBundles {
  const root = join(dir, m.id);
  return {
    dir: root,
    built,
    folder: (fnId) => join(root, fnId),
    file: (fnId) => join(root, fnId, BUNDLE_FILE),
    localWorker: join(root, LOCAL_WORKER, BUNDLE_FILE),
    sizes: m.sizes,
    packages: m.packages,
  };
}

/**
 * The bundles of every function, built now if no up-to-date build exists under `dir`.
 * Synchronous, because CDK constructs are. Safe when several processes call it at once: each build
 * goes to its own folder, and `current.json` is replaced atomically; older builds are removed
 * after an hour (a process started earlier may still load from them).
 */
export function functionBundles(opts: { dir?: string } = {}): FunctionBundles {
  const dir = opts.dir ?? DEFAULT_BUNDLE_DIR;
  const want = recipe();
  const current = readManifest(dir);
  if (current && upToDate(dir, current, want)) return bundlesAt(dir, current, false);

  const id = `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const out = join(dir, id);
  mkdirSync(out, { recursive: true });
  const result = buildSync({
    ...OPTIONS,
    entryPoints: entries(),
    outdir: out,
    absWorkingDir: REPO_ROOT,
    metafile: true,
  });
  const inputs: Record<string, readonly [number, number]> = {};
  for (const path of Object.keys(result.metafile.inputs)) {
    // Inputs are relative to absWorkingDir; esbuild's own virtual modules have no file.
    if (path.includes(':')) continue;
    const s = statSync(join(REPO_ROOT, path));
    inputs[path] = [s.size, s.mtimeMs];
  }
  const sizes: Record<string, number> = {};
  const packages: Record<string, Record<string, number>> = {};
  for (const fnId of Object.keys(FUNCTIONS)) sizes[fnId] = statSync(join(out, fnId, BUNDLE_FILE)).size;
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const fnId = Object.keys(FUNCTIONS).find((f) => file.endsWith(`/${f}/${BUNDLE_FILE}`));
    if (!fnId) continue;
    const byPackage: Record<string, number> = {};
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
    }
    packages[fnId] = byPackage;
  }
  const manifest: Manifest = { id, recipe: want, inputs, sizes, packages };
  const tmp = join(dir, `current.json.${id}`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, join(dir, 'current.json'));
  removeOldBuilds(dir, id);
  return bundlesAt(dir, manifest, true);
}

/** `node_modules/@scope/name/...` -> `@scope/name`; a file of this repository -> `(own code)`. */
function packageOf(path: string): string {
  // The last node_modules segment: a dependency's own dependencies count as themselves.
  const m = /^.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m?.[1] ?? '(own code)';
}

function removeOldBuilds(dir: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(dir)) {
    if (name === keep || name === 'current.json' || name.startsWith('current.json.')) continue;
    try {
      if (statSync(join(dir, name)).mtimeMs < hourAgo)
        rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
