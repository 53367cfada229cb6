import { defineConfig } from 'vitest/config';
import { ISOLATED_FILES } from './test/helpers/isolation.js';
import { LongestFirstSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/setup.ts'],
    // Files share their worker's module cache (no isolation) but for those listed in
    // test/helpers/isolation.ts: the same modules (aws-cdk-lib, the SDK clients, the local
    // runtime) were imported again for every file. On 2 cores: unit and CDK tests 108 s with
    // 74 s of import, 58 s with 17 s without; the integration tests 322 s with 12 s of import.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          exclude: ISOLATED_FILES,
          isolate: false,
        },
      },
      {
        // Unit files only: an integration file listed here would run without the shared DynamoDB Local.
        extends: true,
        test: { name: 'isolated', include: ISOLATED_FILES },
      },
      {
        // Only the integration tests start local runtimes: one DynamoDB Local and the functions'
        // bundles are made for them once, before the first file.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ISOLATED_FILES,
          globalSetup: ['test/helpers/global-setup.ts'],
          isolate: false,
        },
      },
    ],
    // A test that asserts nothing fails: it would pass whatever the code does.
    expect: { requireAssertions: true },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on 2 cores (vitest's default would be 1 there): most of an
    // integration file's time is spent waiting on timers, polls and replication lag, not CPU.
    // Three were tried on 2 cores (2026-12-06): 434 s and 474 s of vitest against 481 s with two,
    // within the noise of a shared machine, and more contention for the timing-sensitive tests.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    env: {
      CDK_VALIDATION: 'false',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // Metrics are EMF lines on stdout: off, but in the tests that read them (they turn them on).
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
