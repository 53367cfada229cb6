/**
 * The CLI's bundle: cli/stratus/main.ts and what it imports (the SDK, commander, log-update, yaml)
 * in one ESM file, .build/cli/stratus.mjs, rebuilt only when a file it was built from is newer
 * (esbuild's metafile lists them). Plain JavaScript: it runs before any TypeScript tooling loads.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, '.build/cli/stratus.mjs');
const INPUTS = join(ROOT, '.build/cli/inputs.json');

function upToDate() {
  let built;
  let inputs;
  try {
    built = statSync(OUT).mtimeMs;
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  for (const input of inputs) {
    try {
      if (statSync(join(ROOT, input)).mtimeMs > built) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The bundle's file URL, built first if missing or stale (written whole, then renamed: concurrent runs are safe). */
export async function buildCli() {
  if (!upToDate()) {
    const { build } = await import('esbuild');
    const tmp = `${OUT}.${process.pid}.tmp`;
    mkdirSync(dirname(OUT), { recursive: true });
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['cli/stratus/main.ts'],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      metafile: true,
      logLevel: 'error',
      // CommonJS dependencies bundled into ESM call require(): give them one.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    const inputs = Object.keys(result.metafile.inputs).filter((i) => !i.startsWith('node:'));
    writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs));
    renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
    renameSync(tmp, OUT);
  }
  return pathToFileURL(OUT).href;
}
