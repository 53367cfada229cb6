#!/usr/bin/env node
/**
 * `npm run gen:events`: writes the published event contracts (docs/generated/events/*.schema.json
 * and docs/events.md) from the event catalog. Commit the result; a unit test fails when they are
 * stale. Stale schema files of events that no longer exist are removed.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderEventArtifacts, SCHEMA_DIR } from './event-docs.js';

const files = renderEventArtifacts();
await mkdir(SCHEMA_DIR, { recursive: true });
for (const name of await readdir(SCHEMA_DIR)) {
  const path = join(SCHEMA_DIR, name);
  if (name.endsWith('.schema.json') && !files.has(path)) {
    await rm(path);
    console.log(`removed ${path}`);
  }
}
for (const [path, content] of files) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  console.log(`wrote ${path}`);
}
