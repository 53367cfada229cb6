import { afterAll, beforeAll } from 'vitest';
import { type ClientsPlane, startClientsPlane } from '../../helpers/clients.js';
import { RUNTIME_START_TIMEOUT_MS } from '../../helpers/local.js';
import { sdkSuite } from './sdk.suite.js';

/**
 * The clients of the public API (SDK, CLI) over HTTP, against one local control plane started once
 * for all of their suites: starting one costs more than most of their tests.
 */
let plane: ClientsPlane | undefined;
let started = 0;

beforeAll(async () => {
  started = Date.now();
  plane = await startClientsPlane('stratus-clients-');
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
