import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ClientsPlane, HOME, LOADED_MACHINE_MS, OTHER } from '../../helpers/clients.js';

export const STRATUS_BIN = resolve('bin/stratus.mjs');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stratus <args>` as a user runs it: its own process, in `cwd`, with only the environment given. */
export function stratusProcess(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [STRATUS_BIN, ...args],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: LOADED_MACHINE_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return fail(error);
        done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** The `stratus` CLI as a child process against the local control plane (clients.test.ts starts it). */
export function cliSuite(getPlane: () => ClientsPlane): void {
  describe('CLI: stratus, as a child process against the local control plane', () => {
    let plane: ClientsPlane;
    let home: string;
    /** No profile and no STRATUS_API_*: the CLI finds .stratus/local.json in its working folder. */
    let env: Record<string, string>;
    const cli = (...args: string[]) => stratusProcess(plane.workdir, env, ...args);

    beforeAll(async () => {
      plane = getPlane();
      home = await mkdtemp(join(tmpdir(), 'stratus-cli-home-'));
      env = { HOME: home, STRATUS_CONFIG: join(home, 'config.json') };
    });
    afterAll(async () => {
      if (home) await rm(home, { recursive: true, force: true });
    });

    it(
      'creates a cluster in the region of --region with --wait, shows it, lists its events, then deletes it',
      async () => {
        // Act: not a TTY here, so the progress is plain lines on stderr; the result is JSON on stdout.
        const created = await cli(
          'clusters',
          'create',
          '--name',
          'cli-vectors',
          '--engine',
          'qdrant',
          '--region',
          OTHER,
          '--wait',
          '-o',
          'json',
        );

        // Assess
        expect(created.stderr).toMatch(/^CREATE cl-\S+ {2}operation op-\S+ {2}(QUEUED|RUNNING)/m);
        expect(created.stderr).toMatch(/operation op-\S+ {2}SUCCEEDED after \d+\.\ds$/m);
        expect(created.code).toBe(0);
        const { cluster, operation } = JSON.parse(created.stdout);
        expect(cluster).toMatchObject({ name: 'cli-vectors', region: OTHER, status: 'READY' });
        expect(operation).toMatchObject({ type: 'CREATE', status: 'SUCCEEDED' });

        // Act: read it back in three formats, and its events from the region's bus file.
        const [asYaml, listed, ops, conn, events, dry] = await Promise.all([
          cli('clusters', 'get', cluster.id, '--region', OTHER, '-o', 'yaml'),
          cli('clusters', 'list', '-o', 'json'),
          cli('operations', 'list', '--cluster', cluster.id, '--region', OTHER),
          cli('connection', 'get', cluster.id, '--region', OTHER),
          cli('events', 'tail', '--region', OTHER, '--cluster', cluster.id, '-n', '100'),
          cli('clusters', 'update', cluster.id, '--nodes', '2', '--dry-run'),
        ]);

        // Assess
        expect(parse(asYaml.stdout)).toMatchObject({ id: cluster.id, status: 'READY', nodes: 1 });
        expect(JSON.parse(listed.stdout).map((c: { id: string }) => c.id)).toContain(cluster.id);
        expect(ops.stdout.split('\n')[0]).toMatch(/^ID +TYPE +STATUS +CLUSTER/);
        expect(ops.stdout).toMatch(new RegExp(`${operation.id} +CREATE +SUCCEEDED +${cluster.id}`));
        expect(conn.stdout).toMatch(new RegExp(`^${cluster.id} +http://\\S+:6333 `, 'm'));
        expect(events.stdout).toMatch(
          new RegExp(
            `Cluster Status Changed  cluster=${cluster.id}  operation=${operation.id}  PROVISIONING -> READY`,
          ),
        );
        const eventLines = events.stdout.trim().split('\n');
        expect(eventLines.length).toBeGreaterThanOrEqual(4);
        expect(eventLines.every((l: string) => l.includes(`cluster=${cluster.id}`))).toBe(true);
        expect(dry).toMatchObject({ code: 0, stdout: 'dry run: would UPDATE; nothing was changed\n' });

        // Act: delete, through the home region's API (the SDK follows its 421).
        const deleted = await cli(
          'clusters',
          'delete',
          cluster.id,
          '--wait',
          '--idempotency-key',
          'cli-del-1',
        );

        // Assess
        expect(deleted.stderr).toMatch(/^DELETE .* SUCCEEDED after/m);
        expect(deleted.code).toBe(0);
        expect(deleted.stdout).toMatch(new RegExp(`^${cluster.id} +cli-vectors .* DELETED`, 'm'));
      },
      LOADED_MACHINE_MS,
    );

    it(
      'exits 2 on invalid input, 3 on a missing resource, 4 on a refused key, with the reason and no stack',
      async () => {
        // Act
        const [invalid, badFlag, badOutput, missing, refused, noCredentials] = await Promise.all([
          cli(
            'clusters',
            'create',
            '--name',
            'Bad!',
            '--engine',
            'qdrant',
            '--region',
            HOME,
            '--nodes',
            '99',
          ),
          cli('clusters', 'list', '--colour'),
          cli('clusters', 'list', '-o', 'xml'),
          cli('clusters', 'get', 'cl-doesnotexist'),
          stratusProcess(
            plane.workdir,
            { ...env, STRATUS_API_URL: plane.cp.region(HOME).apiUrl, STRATUS_API_KEY: 'sk_nope' },
            'clusters',
            'list',
          ),
          stratusProcess(home, env, 'clusters', 'list'),
        ]);

        // Assess
        expect(invalid.code).toBe(2);
        expect(invalid.stderr).toMatch(/^error: .*\(VALIDATION_FAILED, HTTP 400\)$/m);
        expect(invalid.stderr).toMatch(/^ {2}nodes: /m);
        expect(invalid.stderr).toMatch(/^ {2}name: /m);
        expect(badFlag).toMatchObject({ code: 2 });
        expect(badFlag.stderr).toContain("error: unknown option '--colour'");
        expect(badOutput.code).toBe(2);
        expect(badOutput.stderr).toContain('must be one of table, json, yaml, not "xml"');
        expect(missing.code).toBe(3);
        expect(missing.stderr).toMatch(/\(CLUSTER_NOT_FOUND, HTTP 404\)/);
        expect(refused.code).toBe(4);
        expect(refused.stderr).toMatch(/\(UNAUTHENTICATED, HTTP 401\)/);
        expect(noCredentials.code).toBe(4);
        expect(noCredentials.stderr).toContain('error: no credentials: run `stratus login');
        for (const r of [invalid, badFlag, badOutput, missing, refused, noCredentials])
          expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
      },
      LOADED_MACHINE_MS,
    );

    it(
      'logs in to a profile kept in a 0600 file, used from any folder; api-keys create, list, revoke',
      async () => {
        // Act: a wrong key is refused before anything is saved; the right one is saved.
        const apiUrl = plane.cp.region(HOME).apiUrl;
        const wrong = await stratusProcess(home, env, 'login', '--url', apiUrl, '--key', 'sk_wrong');
        const wrongSaved = await stat(env.STRATUS_CONFIG ?? '').catch(() => undefined);
        const login = await stratusProcess(
          home,
          env,
          'login',
          '--url',
          apiUrl,
          '--key',
          plane.cp.apiKey,
          '--region-url',
          `${OTHER}=${plane.cp.region(OTHER).apiUrl}`,
        );
        const made = await stratusProcess(
          home,
          env,
          'api-keys',
          'create',
          '--name',
          'cli-ci',
          '--role',
          'viewer',
          '-o',
          'json',
        );
        const key = JSON.parse(made.stdout);
        const revoked = await stratusProcess(home, env, 'api-keys', 'revoke', key.id);
        const listed = await stratusProcess(home, env, 'api-keys', 'list');

        // Assess
        expect(wrong.code).toBe(4);
        expect(wrongSaved).toBeUndefined();
        expect(login.code).toBe(0);
        expect(login.stderr).toContain('logged in to');
        const file = await stat(env.STRATUS_CONFIG ?? '');
        expect(file.mode & 0o777).toBe(0o600);
        const saved = JSON.parse(await readFile(env.STRATUS_CONFIG ?? '', 'utf8'));
        expect(saved.profiles.default).toMatchObject({
          apiUrl,
          regions: { [OTHER]: plane.cp.region(OTHER).apiUrl },
        });
        expect(made.code).toBe(0);
        expect(key).toMatchObject({ name: 'cli-ci', role: 'viewer' });
        expect(key.secret).toBeTruthy();
        expect(made.stderr).toContain('The secret is shown once');
        expect(revoked.code).toBe(0);
        expect(listed.stdout).toMatch(new RegExp(`^${key.id} +cli-ci +viewer +\\S+ +\\S+ +20\\d\\d-`, 'm'));
      },
      LOADED_MACHINE_MS,
    );
  });
}
