#!/usr/bin/env node
/**
 * `npm run gen:sdk`: writes the SDK's types (sdk/generated/openapi.ts) from the committed OpenAPI
 * document (docs/openapi.json) with openapi-typescript. Commit the result; test/unit/sdk/generated.test.ts
 * fails when docs/openapi.json changed since (the file records the document's SHA-256).
 *
 * openapi-typescript 7 builds its output with TypeScript 5's compiler API, a peer dependency that the
 * root project's TypeScript 7 (no JS API) cannot satisfy, so it lives in tools/sdk-gen with its own
 * lockfile, installed here (`npm ci`) the first time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generatedHeader } from './sdk-header.js';

const TOOL = resolve('tools/sdk-gen');
const INPUT = 'docs/openapi.json';
const OUTPUT = 'sdk/generated/openapi.ts';

if (!existsSync(resolve(TOOL, 'node_modules/openapi-typescript'))) {
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: TOOL, stdio: 'inherit' });
  if (ci.status !== 0) throw new Error(`npm ci in ${TOOL} failed (${ci.status})`);
}
const entry = resolve(TOOL, 'node_modules/openapi-typescript/dist/index.mjs');
const { default: openapiTS, astToString } = (await import(pathToFileURL(entry).href)) as {
  default: (schema: unknown, options?: Record<string, unknown>) => Promise<unknown>;
  astToString: (ast: unknown) => string;
};

const source = await readFile(INPUT, 'utf8');
const ast = await openapiTS(JSON.parse(source), { alphabetize: false, exportType: false });
await writeFile(OUTPUT, `${generatedHeader(source)}\n${astToString(ast)}`);
console.log(`wrote ${OUTPUT}`);
