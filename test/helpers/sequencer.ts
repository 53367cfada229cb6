import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files start first. Without a results cache (a fresh clone, CI) vitest starts the
 * largest files first, and the chaos test is a small file that runs for minutes: started last, it
 * ran alone for its last two minutes while the other worker idled. These are the files that run
 * for 20 s or more on 2 cores (`npm test` prints each file's time); the rest keep vitest's order.
 */
const LONGEST_FIRST = [
  'test/integration/chaos/chaos.test.ts',
  'test/integration/regions/multi-region.test.ts',
  'test/integration/kube/kubectl.test.ts',
  'test/integration/clients/clients.test.ts',
  'test/integration/e2e/backups.test.ts',
  'test/integration/local/children.test.ts',
  'test/integration/e2e/protect.test.ts',
  'test/integration/e2e/restore-test.test.ts',
  'test/integration/regions/backup-copies.test.ts',
  'test/integration/api/fuzz.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
