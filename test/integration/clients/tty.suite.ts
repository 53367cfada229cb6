import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClientsPlane, HOME, LOADED_MACHINE_MS } from '../../helpers/clients.js';
import { STRATUS_BIN } from './cli.suite.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SPINNER = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

/**
 * `stratus clusters create --wait` in a pseudo-terminal (a tmux pane on a private socket), read
 * with capture-pane while it runs: what a person sees, not what a pipe gets.
 */
export function ttySuite(getPlane: () => ClientsPlane): void {
  describe('CLI: stratus --wait in a terminal (tmux)', () => {
    const socket = `stratus-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    let socketPath = '';
    /** Ends the pane's processes with the server, and removes the socket file it leaves behind. */
    const stopTmux = () => {
      spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
      if (socketPath) rmSync(socketPath, { force: true });
    };
    let home = '';

    if (!HAS_TMUX) console.warn('CLI TTY test skipped: tmux is not installed (apt-get install -y tmux)');
    afterAll(async () => {
      stopTmux();
      if (home) await rm(home, { recursive: true, force: true });
    });

    it.skipIf(!HAS_TMUX)(
      'redraws one progress line (spinner, status, step, ticking elapsed time), then leaves the outcome',
      async () => {
        // Prepare
        const plane = getPlane();
        home = await mkdtemp(join(tmpdir(), 'stratus-tty-home-'));
        const command = [
          `cd '${plane.workdir}'`,
          `HOME='${home}' STRATUS_CONFIG='${home}/config.json' '${process.execPath}' '${STRATUS_BIN}' clusters create --name tty-cache --engine valkey --region ${HOME} --wait`,
          'echo "EXIT=$?"',
          'sleep 600',
        ].join('; ');

        // Slow Kubernetes answers (150 ms each): the create lasts seconds rather than the
        // fraction of one a 300 ms readiness gives, so there are frames to read while it runs.
        const kube = plane.cp.region(HOME).kube;
        kube?.setFaults({ latencyMs: 150 });

        // Act: run it in a 200x50 terminal, reading the screen until it exits.
        try {
          tmux('-u', 'new-session', '-d', '-s', 'wait', '-x', '200', '-y', '50', command);
          socketPath = tmux('display-message', '-p', '#{socket_path}').trim();
          const screens: string[] = [];
          const deadline = Date.now() + LOADED_MACHINE_MS - 10_000;
          let screen = '';
          while (!/^EXIT=\d+$/m.test(screen) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 150));
            screen = tmux('capture-pane', '-p', '-t', 'wait');
            screens.push(screen);
          }

          // Assess: while waiting, one line with a spinner, the operation's status, the cluster's
          // step and an elapsed time that ticks between polls.
          const live = screens
            .map((s) =>
              new RegExp(
                `^${SPINNER} CREATE cl-\\S+ {2}operation op-\\S+ {2}(\\w+)(?: {2}cluster (\\w+))? {2}(\\d+\\.\\d)s$`,
                'm',
              ).exec(s),
            )
            .filter((m): m is RegExpExecArray => m !== null);
          expect(live.length, screens.at(-1)).toBeGreaterThan(2);
          expect(live.map((m) => m[1])).toEqual(
            expect.arrayContaining([expect.stringMatching(/^(QUEUED|RUNNING)$/)]),
          );
          expect(
            live.some((m) => m[2] !== undefined),
            'the cluster step is shown',
          ).toBe(true);
          const elapsed = live.map((m) => Number(m[3]));
          expect(new Set(elapsed).size).toBeGreaterThan(2);
          expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
          // At the end: the same line, redrawn in place as the outcome; then the cluster; exit 0.
          expect(screen).toMatch(/^✔ CREATE cl-\S+ {2}operation op-\S+ {2}SUCCEEDED after \d+\.\ds$/m);
          expect(screen.match(/operation op-/g)).toHaveLength(1);
          expect(screen).not.toMatch(new RegExp(SPINNER));
          expect(screen).toMatch(/^cl-\S+ +tty-cache +valkey .* READY/m);
          expect(screen).toMatch(/^EXIT=0$/m);
        } finally {
          kube?.setFaults({});
          stopTmux();
        }
      },
      LOADED_MACHINE_MS,
    );
  });
}
