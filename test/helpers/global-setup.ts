import { functionBundles } from '../../lib/function-bundles.js';

/**
 * Once per run, before any test file: the functions' bundles (lib/function-bundles.ts) that every
 * local runtime's execution environments load, so that test files started together do not each
 * build them.
 */
export default function setup(): void {
  functionBundles();
}
