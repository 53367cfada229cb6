import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISOLATED_FILES, NEEDS_ISOLATION, RESTORES_ENV } from '../../helpers/isolation.js';

const ROOT = join(import.meta.dirname, '../../..');

function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Most files share their worker's modules (vitest.config.ts): those that cannot must say so. */
describe('Test isolation', () => {
  const self = 'test/unit/helpers/isolation.test.ts'; // its samples below match
  const files = ['test/unit', 'test/infra', 'test/integration'].flatMap(testFiles).filter((f) => f !== self);

  it('lists every file that mocks modules or writes process.env, and only those', () => {
    const needing = files.filter((f) => NEEDS_ISOLATION.test(readFileSync(join(ROOT, f), 'utf8'))).sort();
    expect(needing).toEqual([...ISOLATED_FILES, ...RESTORES_ENV].sort());
    for (const f of RESTORES_ENV) {
      expect(readFileSync(join(ROOT, f), 'utf8')).toMatch(
        /(finally \{|afterAll\(async \(\) => \{)[^}]*process\.env/,
      );
    }
  });

  it('recognises what needs isolation', () => {
    expect(NEEDS_ISOLATION.test("vi.mock('../x.js')")).toBe(true);
    expect(NEEDS_ISOLATION.test("  process.env.TABLE_NAME = 'stratus-test';")).toBe(true);
    expect(NEEDS_ISOLATION.test("process.env['A'] = 'b'")).toBe(true);
    expect(NEEDS_ISOLATION.test('const region = process.env.AWS_REGION;')).toBe(false);
    expect(NEEDS_ISOLATION.test('Object.assign(process.env, env)')).toBe(true);
    expect(NEEDS_ISOLATION.test('delete process.env.KUBECONFIG')).toBe(true);
    expect(NEEDS_ISOLATION.test('vi.mocked(kube.apply)')).toBe(false);
  });
});
