import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SummaryReporter from '../../helpers/summary-reporter.js';

const FIXTURES = resolve('test/fixtures/summary-reporter');
const REPORTER = resolve('test/helpers/summary-reporter.ts');
const VITEST = resolve('node_modules/vitest/vitest.mjs');

/**
 * Runs vitest on the fixture files whose names contain one of `filters`, with only the summary
 * reporter, in a child process (its own config: test/fixtures/summary-reporter/vitest.config.ts).
 */
async function innerRun(...filters: string[]): Promise<{ exitCode: number; lines: string[] }> {
  // The outer run's variables would tell the inner vitest it runs inside a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [VITEST, 'run', '--root', FIXTURES, `--reporter=${REPORTER}`, ...filters],
      // A bound for a hung run only: two vitest starts on a loaded 2-core machine take tens of seconds.
      { env, timeout: 150_000 },
    );
    return { exitCode: 0, lines: stdout.split('\n').filter(Boolean) };
  } catch (e) {
    const { code, stdout } = e as { code?: number; stdout?: string };
    if (typeof code !== 'number') throw e;
    return { exitCode: code, lines: (stdout ?? '').split('\n').filter(Boolean) };
  }
}

describe('Class: SummaryReporter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('Method: onTestRunEnd', () => {
    it('counts what fails outside tests: a failing beforeAll, an unimportable file, a failing afterAll, an unhandled rejection', async () => {
      // Act: both runs at once, to keep this test at the cost of one vitest start.
      const [failing, clean] = await Promise.all([
        innerRun('before-all', 'import-error', 'after-all', 'unhandled'),
        innerRun('passing'),
      ]);

      // Assess: the test states alone read "2 passed, 0 failed, 2 skipped", a clean-looking line;
      // the files, suite errors and unhandled errors, and the verdict, say what vitest's exit code says.
      expect(failing.exitCode).toBe(1);
      expect(failing.lines.at(-1)).toBe(
        'FAILED: 2 passed, 0 failed, 2 skipped; 3 failed files, 3 suite errors, 1 unhandled errors',
      );
      expect(clean.exitCode).toBe(0);
      expect(clean.lines.at(-1)).toBe(
        'PASSED: 2 passed, 0 failed, 0 skipped; 0 failed files, 0 suite errors, 0 unhandled errors',
      );
    }, 180_000);

    it('never prints PASSED when vitest says the run failed, even when nothing it counts failed', () => {
      // Prepare: e.g. a failure none of the counters sees, such as a coverage threshold.
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

      // Act
      new SummaryReporter().onTestRunEnd([], [], 'failed');
      new SummaryReporter().onTestRunEnd([], [], 'interrupted');

      // Assess
      expect(log.mock.calls.map(([line]) => String(line).trim())).toEqual([
        'FAILED: 0 passed, 0 failed, 0 skipped; 0 failed files, 0 suite errors, 0 unhandled errors',
        'INTERRUPTED: 0 passed, 0 failed, 0 skipped; 0 failed files, 0 suite errors, 0 unhandled errors',
      ]);
    });
  });
});
