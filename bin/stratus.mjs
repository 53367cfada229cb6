#!/usr/bin/env node
/**
 * `stratus` (package.json bin; `npx stratus ...`): runs the esbuild bundle of cli/stratus/main.ts,
 * built into the git-ignored .build/cli/ the first time and again whenever a source of it changed,
 * so a command starts in plain Node without compiling TypeScript (README, "CLI").
 */
import { buildCli } from '../cli/stratus/build.mjs';

let main;
try {
  ({ main } = await import(await buildCli()));
} catch (e) {
  console.error(`stratus: could not build or load the CLI bundle (.build/cli): ${e.message}`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
