import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

/** What a run amounted to, beyond the states of its tests. */
export interface RunSummary {
  readonly verdict: 'PASSED' | 'FAILED' | 'INTERRUPTED';
  readonly passed: number;
  readonly failed: number;
  /** Skipped, todo, and tests that never ran (a failing `beforeAll` marks its tests skipped). */
  readonly skipped: number;
  /** Files that failed for any reason: a failed test, a failed hook, or an error while importing. */
  readonly failedFiles: number;
  /** Errors outside any test, on a file or a `describe`: failed `beforeAll`/`afterAll`, import errors. */
  readonly suiteErrors: number;
  /** Errors vitest caught outside any test: unhandled rejections, uncaught exceptions. */
  readonly unhandledErrors: number;
}

export function summarize(
  modules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): RunSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let failedFiles = 0;
  let suiteErrors = 0;
  for (const m of modules) {
    if (m.state() === 'failed') failedFiles++;
    suiteErrors += m.errors().length;
    for (const s of m.children.allSuites()) suiteErrors += s.errors().length;
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === 'passed') passed++;
      else if (state === 'failed') failed++;
      else skipped++;
    }
  }
  const anyFailure = failed + failedFiles + suiteErrors + unhandledErrors.length > 0;
  // vitest's own verdict wins over the counts: a failure none of them sees still fails the line.
  const verdict =
    reason === 'interrupted' ? 'INTERRUPTED' : reason === 'failed' || anyFailure ? 'FAILED' : 'PASSED';
  return {
    verdict,
    passed,
    failed,
    skipped,
    failedFiles,
    suiteErrors,
    unhandledErrors: unhandledErrors.length,
  };
}

/** One line, fixed wording (no plural forms), so that a log reader can match it with one pattern. */
export function formatSummary(s: RunSummary): string {
  return (
    `${s.verdict}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; ` +
    `${s.failedFiles} failed files, ${s.suiteErrors} suite errors, ${s.unhandledErrors} unhandled errors`
  );
}

/**
 * Prints the closing line that CI logs are read by, e.g.
 * `FAILED: 2 passed, 0 failed, 2 skipped; 3 failed files, 3 suite errors, 1 unhandled errors`.
 * It starts with `PASSED` only when vitest itself says the run passed and nothing failed anywhere.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    console.log(`\n${formatSummary(summarize(modules, unhandledErrors, reason))}`);
  }
}
