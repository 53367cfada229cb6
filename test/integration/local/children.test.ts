import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalControlPlane } from '../../../local/runtime/control-plane.js';
import { RUNTIME_START_TIMEOUT_MS, shippedConfig } from '../../helpers/local.js';
import { childPids, isAlive } from '../../helpers/processes.js';

/**
 * Every child process the local runtime starts (DynamoDB Local's JVM) is stopped on every failure
 * path: a later step of the start failing, and a signal while `npm start` is starting.
 */
describe('Local runtime: child processes', () => {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it(
    'stops DynamoDB Local (and every other service) when a later step of the start fails',
    async () => {
      // Prepare: local.json, written last once everything runs, cannot be written (a folder is there).
      const dataDir = await mkdtemp(join(tmpdir(), 'stratus-fail-late-'));
      dirs.push(dataDir);
      await mkdir(join(dataDir, 'local.json'));
      const seen = new Set<number>();
      const watch = setInterval(() => {
        void childPids(process.pid).then((pids) => {
          for (const pid of pids) seen.add(pid);
        });
      }, 200);

      // Act
      const failure = startLocalControlPlane({ config: shippedConfig(), dataDir, regions: ['eu-west-1'] });

      // Assess: the start fails with the step's error, after the JVM ran; no JVM is left.
      try {
        await expect(failure).rejects.toThrow(/EISDIR/);
      } finally {
        clearInterval(watch);
      }
      expect(seen.size).toBeGreaterThan(0);
      for (const pid of seen) expect(isAlive(pid), `JVM ${pid}`).toBe(false);
      expect(await childPids(process.pid)).toEqual([]);
    },
    RUNTIME_START_TIMEOUT_MS,
  );

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'npm start: %s while it starts stops DynamoDB Local',
    async (signal) => {
      // Prepare: `npm start` (bin/local.ts) on a fresh data folder, until its JVM runs.
      const dataDir = await mkdtemp(join(tmpdir(), 'stratus-signal-'));
      dirs.push(dataDir);
      const cli = spawn(
        process.execPath,
        ['--import', 'tsx', 'bin/local.ts', '--data', dataDir, '--port', '0'],
        { stdio: 'ignore' },
      );
      procs.push(cli);
      const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
      const pid = cli.pid ?? -1;
      let jvms: number[] = [];
      await expect
        .poll(
          async () => {
            jvms = await childPids(pid);
            return jvms.length;
          },
          { timeout: 120_000, interval: 200 },
        )
        .toBeGreaterThan(0);

      // Act
      cli.kill(signal);
      await exited;

      // Assess
      for (const jvm of jvms) await expect.poll(() => isAlive(jvm), { timeout: 30_000 }).toBe(false);
    },
    RUNTIME_START_TIMEOUT_MS,
  );
});
