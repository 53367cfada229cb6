import { afterAll, beforeAll } from 'vitest';
import { buildCli } from '../../../cli/stratus/build.mjs';
import { type ClientsPlane, startClientsPlane } from '../../helpers/clients.js';
import { RUNTIME_START_TIMEOUT_MS } from '../../helpers/local.js';
import { cliSuite } from './cli.suite.js';
import { consoleSuite } from './console.suite.js';
import { sdkSuite } from './sdk.suite.js';
import { ttySuite } from './tty.suite.js';

/**
 * The clients of the public API (SDK, CLI, web console) over HTTP, against one local control plane started once
 * for all of their suites: starting one costs more than most of their tests.
 */
let plane: ClientsPlane | undefined;
let started = 0;

beforeAll(async () => {
  started = Date.now();
  // The CLI's bundle once, rather than by the first CLI processes at the same time (bin/stratus.mjs).
  const [started_, bundle] = await Promise.allSettled([
    startClientsPlane('stratus-clients-', { console: true }),
    buildCli(),
  ]);
  if (started_.status === 'rejected') throw started_.reason;
  if (bundle.status === 'rejected') {
    await started_.value.stop();
    throw bundle.reason;
  }
  plane = started_.value;
  console.log(`clients suites: control plane started in ${Date.now() - started} ms`);
}, RUNTIME_START_TIMEOUT_MS);

afterAll(async () => {
  await plane?.stop();
  if (started) console.log(`clients suites: ${Date.now() - started} ms in all`);
});

function getPlane(): ClientsPlane {
  if (!plane) throw new Error('the control plane did not start (see the beforeAll error)');
  return plane;
}

sdkSuite(getPlane);
cliSuite(getPlane);
ttySuite(getPlane);
consoleSuite(getPlane);
