/**
 * The console's static site, built into .build/console/ (git-ignored): app.js (console/src and the
 * SDK, bundled and minified by esbuild), app.css, index.html and engines.json (the engines' settings
 * schemas, console/engines.ts). Rebuilt only when a file it was built from is newer, like the CLI's
 * bundle (cli/stratus/build.mjs), so that `npm start` and `cdk synth` build it on demand and a fresh
 * clone needs no build step. Plain JavaScript: it runs before any TypeScript tooling loads.
 * config.json (the regions' API URLs) is not built here: each deployment writes its own.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built site. */
export const CONSOLE_DIR = join(ROOT, '.build/console');
const INPUTS = join(ROOT, '.build/console-inputs.json');
const STATIC = ['console/index.html', 'console/app.css'];

function upToDate() {
  let built;
  let inputs;
  try {
    built = statSync(join(CONSOLE_DIR, 'app.js')).mtimeMs;
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  for (const input of [...inputs, ...STATIC, 'console/build.mjs']) {
    try {
      if (statSync(join(ROOT, input)).mtimeMs > built) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The site's folder, built first if missing or stale: into a new folder that then replaces the
 * old one (a rename), so that a concurrent reader never sees half a site. Synchronous, as the CDK
 * app needs it (constructs are built synchronously, like lib/function-bundles.ts).
 */
export function buildConsoleSync() {
  if (upToDate()) return CONSOLE_DIR;
  const require = createRequire(import.meta.url);
  const { buildSync } = require('esbuild');
  const tmp = `${CONSOLE_DIR}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const app = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['console/src/main.ts'],
    outfile: join(tmp, 'app.js'),
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    metafile: true,
    logLevel: 'error',
    legalComments: 'none',
  });
  // engines.json from the blueprints: bundled for Node and run in a child process (so that zod
  // stays out of app.js, and this stays synchronous).
  const manifest = buildSync({
    absWorkingDir: ROOT,
    stdin: {
      contents:
        "import { enginesManifest } from './console/engines.ts'; process.stdout.write(JSON.stringify(enginesManifest()));",
      resolveDir: ROOT,
      sourcefile: 'engines-main.ts',
      loader: 'ts',
    },
    outfile: join(tmp, 'engines.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
  });
  const engines = execFileSync(process.execPath, [join(tmp, 'engines.mjs')], { encoding: 'utf8' });
  writeFileSync(join(tmp, 'engines.json'), `${engines}\n`);
  rmSync(join(tmp, 'engines.mjs'));
  for (const file of STATIC) copyFileSync(join(ROOT, file), join(tmp, file.replace(/^console\//, '')));
  const inputs = [...Object.keys(app.metafile.inputs), ...Object.keys(manifest.metafile.inputs)].filter(
    (i) => !i.startsWith('node:') && !i.startsWith('<stdin>') && i !== 'engines-main.ts',
  );
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify([...new Set(inputs)]));
  rmSync(CONSOLE_DIR, { recursive: true, force: true });
  try {
    renameSync(tmp, CONSOLE_DIR);
  } catch (e) {
    // Another process built the same site in between: keep its folder.
    rmSync(tmp, { recursive: true, force: true });
    rmSync(`${INPUTS}.${process.pid}.tmp`, { force: true });
    if (!upToDate()) throw e;
    return CONSOLE_DIR;
  }
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
  return CONSOLE_DIR;
}

/** `buildConsoleSync`, for callers that await. */
export async function buildConsole() {
  return buildConsoleSync();
}
