#!/usr/bin/env node
/**
 * `npm run gen:openapi`: writes the API's OpenAPI 3.1 document (docs/openapi.json) from the route
 * table (functions/api/routes.ts), the one the router and GET /v1/openapi.json use. Commit the
 * result; test/unit/api/openapi.test.ts fails when it is stale.
 *
 * The JSON goes through Biome's formatter, so `npm run lint` accepts the committed file as is.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { openApiDocument } from '../functions/api/openapi.js';

const FILE = 'docs/openapi.json';

const json = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
const biome = spawnSync('node_modules/.bin/biome', ['format', `--stdin-file-path=${FILE}`], {
  input: json,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (biome.status !== 0) {
  throw new Error(`biome format failed (${biome.status}): ${biome.stderr}`);
}
await writeFile(FILE, biome.stdout);
console.log(`wrote ${FILE}`);
