/**
 * Test files that need a module registry of their own (vitest's `isolate`): they set process.env
 * before they import a handler that reads it at load, or replace modules (vi.mock, vi.hoisted).
 * Every other file shares its worker's modules with the files run before it (vitest.config.ts);
 * test/unit/helpers/isolation.test.ts fails when a file that needs isolation is not listed.
 */
export const ISOLATED_FILES = [
  'test/unit/api/cors.test.ts',
  'test/unit/api/handler.test.ts',
  'test/unit/api/openapi.test.ts',
  'test/unit/api/page-token-secret.test.ts',
  'test/unit/api/tokens.test.ts',
  'test/unit/domain/pause.test.ts',
  'test/unit/pipeline/dispatcher.test.ts',
  'test/unit/pipeline/status-publisher.test.ts',
  'test/unit/provisioner/handler.test.ts',
  'test/unit/reconciler/managed-regions.test.ts',
  'test/unit/reconciler/metrics.test.ts',
  'test/unit/reconciler/reconciler.test.ts',
];

/** What makes a file need isolation: module mocks, or env written for a module read at import. */
export const NEEDS_ISOLATION =
  /\bvi\.(mock|doMock|hoisted|resetModules|stubEnv)\(|process\.env\.[A-Z_]+ = |process\.env\[[^\]]+\] = |Object\.assign\(process\.env|delete process\.env/;

/** Files that write process.env but put it back (in a `finally` or their `afterAll`). */
export const RESTORES_ENV = ['test/infra/nag.test.ts', 'test/integration/api/fuzz.test.ts'];
