import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../functions/shared/store/core.js';

/**
 * docs/data-model.md holds the one description of the table (issue #10, item 15): the code builds
 * every key with `keys` and links to the document. This keeps the two from drifting apart.
 */
interface Row {
  readonly entity: string;
  readonly pk: RegExp;
  readonly sks: readonly RegExp[];
}

/** A documented key pattern (`TENANT#<tenantId>`) as a regular expression over real keys. */
const pattern = (text: string): RegExp =>
  new RegExp(
    `^${text
      .split(/<[^>]+>/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')}$`,
  );

const code = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

function documentedRows(): Row[] {
  const doc = readFileSync(new URL('../../../docs/data-model.md', import.meta.url), 'utf8');
  const lines = doc.split('\n');
  const header = lines.findIndex((l) => /^\|\s*entity\s*\|\s*pk\s*\|\s*sk\s*\|/.test(l));
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [entity, pk, sk] = line
      .split('|')
      .slice(1, 4)
      .map((c) => c.trim());
    rows.push({
      entity: entity as string,
      pk: pattern(code(pk as string)[0] as string),
      sks: code(sk as string).map(pattern),
    });
  }
  return rows;
}

/** Every key the code builds, with placeholder arguments (with a `#`: some are composite, e.g. a rate window). */
const built = Object.entries(keys).map(([name, build]) => {
  const args = Array.from({ length: build.length }, (_, i) => `arg${i}#${i}`);
  return { name, key: (build as (...a: string[]) => { pk: string; sk: string })(...args) };
});

describe('docs/data-model.md', () => {
  const rows = documentedRows();

  it('has the table of items', () => {
    expect(rows.map((r) => r.entity)).toEqual(
      expect.arrayContaining(['Tenant', 'Cluster', 'Operation', 'Audit']),
    );
  });

  it.each(built.map((b) => [b.name, b.key] as const))(
    'documents the key that keys.%s builds',
    (_name, key) => {
      const row = rows.find((r) => r.pk.test(key.pk) && r.sks.some((sk) => sk.test(key.sk)));
      expect(row, `${key.pk} / ${key.sk} is in no row of the table`).toBeDefined();
    },
  );

  it('documents no item the code does not build', () => {
    const orphans = rows.flatMap((r) =>
      r.sks
        .filter((sk) => !built.some((b) => r.pk.test(b.key.pk) && sk.test(b.key.sk)))
        .map((sk) => `${r.entity}: ${sk.source}`),
    );
    expect(orphans).toEqual([]);
  });
});
