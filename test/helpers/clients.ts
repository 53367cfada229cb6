import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/runtime/control-plane.js';
import { sharedDynamoOption, shippedConfig } from './local.js';

export const HOME = 'eu-west-1';
export const OTHER = 'us-east-1';

export interface ClientsPlane {
  readonly cp: LocalControlPlane;
  /** A folder whose `.stratus/` is the plane's data directory, as in a clone after `npm start`. */
  readonly workdir: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * The control plane the SDK, CLI and console suites talk to over HTTP: two regions (so a 421 is
 * real), with its data in `<workdir>/.stratus` (local.json, each region's events.jsonl) and fast
 * stand-in timings; with `console`, each region's API also serves the web console (`/console/`).
 */
export async function startClientsPlane(
  prefix: string,
  opts: { readonly console?: boolean } = {},
): Promise<ClientsPlane> {
  const workdir = await mkdtemp(join(tmpdir(), prefix));
  const dataDir = join(workdir, '.stratus');
  await mkdir(dataDir);
  try {
    const cp = await startLocalControlPlane({
      config: shippedConfig(),
      regions: [HOME, OTHER],
      dataDir,
      ...sharedDynamoOption(),
      readinessDelayMs: 300,
      pollBaseSeconds: 1,
      echoFunctionLogs: false,
      ...(opts.console ? { console: true } : {}),
    });
    return {
      cp,
      workdir,
      dataDir,
      stop: async () => {
        try {
          await cp.stop();
        } finally {
          await rm(workdir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    await rm(workdir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Bound of one client test (a few operations to READY): generous, because a shared 2-core machine
 * under load runs the same test in 10 s or in 40 s; a real hang still fails.
 */
export const LOADED_MACHINE_MS = 180_000;
