import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveProfile, urlForRegion } from '../../../cli/stratus/config.js';
import { tailEvents } from '../../../cli/stratus/events.js';
import { main, parseDuration } from '../../../cli/stratus/main.js';
import { render } from '../../../cli/stratus/output.js';
import { waitWithProgress } from '../../../cli/stratus/progress.js';
import type { Operation, StratusClient } from '../../../sdk/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP API on 127.0.0.1 answering with `handler`, so main() runs its real SDK and fetch. */
let server: Server;
let handler: Handler = (_req, res) => res.end();
let apiUrl = '';
let workdir = '';

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workdir = await mkdtemp(join(tmpdir(), 'stratus-cli-unit-'));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(workdir, { recursive: true, force: true });
});

function sink() {
  let text = '';
  const write = (s: string) => {
    text += s;
    return true;
  };
  const stream = { isTTY: false, write } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

async function stratus(...args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    env: { STRATUS_API_URL: apiUrl, STRATUS_API_KEY: 'sk_test', HOME: workdir },
    cwd: workdir,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const op = (status: string, extra: object = {}) => ({
  id: 'op-1',
  type: 'UPDATE',
  status,
  clusterId: 'cl-1',
  region: 'eu-west-1',
  correlationId: 'c',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  deadline: '2026-01-01T01:00:00.000Z',
  ...extra,
});

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
  res.end(JSON.stringify(body));
}

describe('CLI: stratus main', () => {
  describe('Command: operations wait', () => {
    it('exits 5 when the operation ends FAILED, with its error on the last progress line', async () => {
      // Prepare: RUNNING twice, then FAILED.
      let polls = 0;
      handler = (req, res) => {
        if (req.url?.startsWith('/v1/operations/')) {
          polls++;
          return reply(
            res,
            200,
            polls < 3 ? op('RUNNING') : op('FAILED', { error: { code: 'X', message: 'disk full' } }),
          );
        }
        reply(res, 200, { id: 'cl-1', status: 'UPDATING' });
      };

      // Act
      const result = await stratus('operations', 'wait', 'op-1', '-o', 'json');

      // Assess: one plain line per change (not per poll), then the end.
      expect(result.code).toBe(5);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toMatch(
        /^UPDATE cl-1 {2}operation op-1 {2}RUNNING( {2}cluster UPDATING)? {2}\d+\.\ds$/,
      );
      expect(lines.at(-1)).toMatch(/^UPDATE cl-1 {2}operation op-1 {2}FAILED after \d+\.\ds: disk full$/);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'FAILED' });
    });

    it('exits 6 when --timeout passes first, saying how to keep waiting', async () => {
      // Prepare
      handler = (req, res) =>
        reply(res, 200, req.url?.startsWith('/v1/operations/') ? op('RUNNING') : { id: 'cl-1' });

      // Act
      const result = await stratus('operations', 'wait', 'op-1', '--timeout', '1s');

      // Assess
      expect(result.code).toBe(6);
      expect(result.stderr).toContain(
        'error: operation op-1 did not end within 1000 ms (still RUNNING; stratus operations wait op-1)',
      );
    });
  });

  describe('Command: operations cancel', () => {
    it('exits 0 with --wait when the operation ends CANCELLED, and sends the idempotency key given', async () => {
      // Prepare
      const keys: unknown[] = [];
      handler = (req, res) => {
        if (req.method === 'POST') keys.push(req.headers['idempotency-key']);
        reply(
          res,
          200,
          req.url?.startsWith('/v1/operations/') ? op('CANCELLED') : { id: 'cl-1', status: 'READY' },
        );
      };

      // Act
      const result = await stratus('operations', 'cancel', 'op-1', '--wait', '--idempotency-key', 'cancel-1');

      // Assess
      expect(result.code).toBe(0);
      expect(keys).toEqual(['cancel-1']);
      expect(result.stderr).toMatch(/operation op-1 {2}CANCELLED after \d+\.\ds\n$/);
      expect(result.stdout).toMatch(/^op-1 +UPDATE +CANCELLED +cl-1/m);
    });
  });

  describe('Command: clusters update', () => {
    it('exits 2 without a change, before any request', async () => {
      // Prepare
      let requests = 0;
      handler = (_req, res) => {
        requests++;
        reply(res, 200, {});
      };

      // Act
      const result = await stratus('clusters', 'update', 'cl-1');

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error: clusters update needs a change');
      expect(requests).toBe(0);
    });

    it('sends --setting values as JSON when they parse, and exits 1 on a conflict naming the operation', async () => {
      // Prepare
      let body: unknown;
      handler = (req, res) => {
        let text = '';
        req.on('data', (c) => (text += c));
        req.on('end', () => {
          body = JSON.parse(text);
          reply(res, 409, {
            type: 'about:blank',
            title: 'Busy',
            status: 409,
            code: 'CLUSTER_BUSY',
            operationId: 'op-9',
          });
        });
      };

      // Act
      const result = await stratus(
        'clusters',
        'update',
        'cl-1',
        '--setting',
        'maxConnections=200',
        '--setting',
        'mode=fast',
      );

      // Assess
      expect(body).toEqual({ settings: { maxConnections: 200, mode: 'fast' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('error: Busy (CLUSTER_BUSY, HTTP 409)\n  operation in progress: op-9\n');
    });

    it('exits 1 with one line when the API cannot be reached', async () => {
      // Act
      const out = sink();
      const err = sink();
      const code = await main(['clusters', 'get', 'cl-1'], {
        stdout: out.stream,
        stderr: err.stream,
        env: { STRATUS_API_URL: 'http://127.0.0.1:9', STRATUS_API_KEY: 'k', HOME: workdir },
        cwd: workdir,
      });

      // Assess
      expect(code).toBe(1);
      expect(err.text()).toMatch(/^error: could not reach http:\/\/127\.0\.0\.1:9: fetch failed/);
      expect(err.text().split('\n')).toHaveLength(2);
    }, 60_000);
  });
});

describe('Function: resolveProfile', () => {
  it('prefers the environment, then a profile, then .stratus/local.json with its region URLs', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'stratus-profile-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ profiles: { ci: { apiUrl: 'https://ci', apiKey: 'k1' } } }),
    );
    await writeFile(
      join(dir, 'local.json'),
      JSON.stringify({
        apiUrl: 'http://a',
        apiKey: 'k2',
        regions: { 'eu-west-1': { apiUrl: 'http://a' }, 'us-east-1': { apiUrl: 'http://b' } },
      }),
    );
    const env = { STRATUS_CONFIG: join(dir, 'config.json'), STRATUS_DATA: dir };

    // Act
    const fromEnv = await resolveProfile(
      { ...env, STRATUS_API_URL: 'https://x', STRATUS_API_KEY: 'k0' },
      dir,
    );
    const fromProfile = await resolveProfile({ ...env, STRATUS_PROFILE: 'ci' }, dir);
    const fromLocal = await resolveProfile(env, dir);
    const half = await resolveProfile({ ...env, STRATUS_API_URL: 'https://x' }, dir).catch(
      (e: Error) => e.message,
    );
    const unknown = await resolveProfile(env, dir, 'prod').catch((e: Error) => e.message);
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(fromEnv).toMatchObject({ apiUrl: 'https://x', apiKey: 'k0' });
    expect(fromProfile).toMatchObject({ apiUrl: 'https://ci', apiKey: 'k1' });
    expect(fromLocal).toMatchObject({ apiUrl: 'http://a', apiKey: 'k2', dataDir: dir });
    expect(urlForRegion(fromLocal, 'us-east-1')).toBe('http://b');
    expect(urlForRegion(fromLocal, 'ap-south-1')).toBe('http://a');
    expect(half).toBe('set both STRATUS_API_URL and STRATUS_API_KEY, or neither');
    expect(unknown).toContain('no profile "prod" in');
  });
});

describe('Function: parseDuration', () => {
  it('reads seconds, minutes, hours and plain seconds, and refuses the rest', () => {
    // Assess
    expect([parseDuration('90s'), parseDuration('10m'), parseDuration('1h'), parseDuration('45')]).toEqual([
      90_000, 600_000, 3_600_000, 45_000,
    ]);
    expect(() => parseDuration('soon')).toThrow('expected a duration like 90s, 10m or 1h, not "soon"');
    expect(() => parseDuration('0')).toThrow('the duration must be more than 0');
  });
});

describe('Function: render', () => {
  it('prints aligned columns with - for what is missing, or the data whole as json and yaml', () => {
    // Prepare
    const rows = [
      { id: 'cl-1', name: 'a' },
      { id: 'cl-22', name: undefined },
    ];
    const columns = [
      ['ID', (r: Record<string, unknown>) => r.id],
      ['NAME', (r: Record<string, unknown>) => r.name],
    ] as const;

    // Assess
    expect(render('table', rows, columns)).toBe('ID     NAME\ncl-1   a\ncl-22  -');
    expect(JSON.parse(render('json', rows, columns))).toEqual(rows);
    expect(render('yaml', { id: 'cl-1' }, columns)).toBe('id: cl-1');
  });
});

describe('Function: tailEvents', () => {
  it('prints the last n events of the region, then follows lines appended, whole lines only, until aborted', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'stratus-events-'));
    const file = join(dir, 'regions', 'eu-west-1', 'events.jsonl');
    await mkdir(dirname(file), { recursive: true });
    const event = (id: string, from: string | null, to: string) =>
      `${JSON.stringify({ time: 't', 'detail-type': 'Cluster Status Changed', detail: { clusterId: id, previousStatus: from, status: to } })}\n`;
    await writeFile(
      file,
      event('cl-1', null, 'PENDING') +
        event('cl-2', null, 'PENDING') +
        event('cl-1', 'PENDING', 'PROVISIONING'),
    );
    const lines: string[] = [];
    const stop = new AbortController();
    const profile = {
      apiUrl: 'http://a',
      apiKey: 'k',
      regions: { 'eu-west-1': 'http://a' },
      dataDir: dir,
      source: 'test',
    };

    // Act
    const tail = tailEvents({
      profile,
      region: undefined,
      follow: true,
      lines: 1,
      cluster: 'cl-1',
      format: 'table',
      write: (l) => lines.push(l),
      pollMs: 20,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 100));
    const half = event('cl-1', 'PROVISIONING', 'READY');
    await appendFile(file, half.slice(0, 20));
    await new Promise((r) => setTimeout(r, 100));
    const beforeTheRest = [...lines];
    await appendFile(file, half.slice(20) + event('cl-2', 'PENDING', 'READY'));
    const deadline = Date.now() + 20_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await tail;
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(beforeTheRest).toEqual(['t  Cluster Status Changed  cluster=cl-1  PENDING -> PROVISIONING']);
    expect(lines).toEqual([
      't  Cluster Status Changed  cluster=cl-1  PENDING -> PROVISIONING',
      't  Cluster Status Changed  cluster=cl-1  PROVISIONING -> READY',
    ]);
  });

  it('refuses a profile that is not the local runtime, pointing at EventBridge', async () => {
    // Act
    const error = await tailEvents({
      profile: { apiUrl: 'https://api', apiKey: 'k', source: 'profile "default"' },
      region: 'eu-west-1',
      lines: 5,
      format: 'table',
      write: () => undefined,
    }).catch((e: Error) => e.message);

    // Assess
    expect(error).toContain('events tail reads the local runtime');
    expect(error).toContain('subscribe an EventBridge rule');
  });
});

describe('Function: waitWithProgress', () => {
  /** A stream that is not a terminal, keeping what is written. */
  const pipe = () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    return { lines, stream };
  };
  const operation = (status: string) =>
    ({ id: 'op-1', type: 'CREATE', clusterId: 'cl-1', status }) as unknown as Operation;

  it("shows the cluster's step from the first line when the mutation's answer gave it, even if the operation ends before any read", async () => {
    // Prepare: the operation ends at the second poll; reading the cluster never answers in time.
    const { lines, stream } = pipe();
    const stratus = {
      clusters: { get: () => new Promise(() => {}) },
      waitForOperation: async (_id: string, opts: { onProgress: (op: Operation, ms: number) => void }) => {
        opts.onProgress(operation('QUEUED'), 0);
        return operation('SUCCEEDED');
      },
    } as unknown as StratusClient;

    // Act
    const done = await waitWithProgress(stratus, 'op-1', 5_000, stream, {
      clusterId: 'cl-1',
      step: 'PENDING',
    });

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(lines[0]).toMatch(/^CREATE cl-1 {2}operation op-1 {2}QUEUED {2}cluster PENDING {2}\d+\.\ds\n$/);
    expect(lines.at(-1)).toMatch(/^CREATE cl-1 {2}operation op-1 {2}SUCCEEDED after \d+\.\ds\n$/);
  });

  it("shows the accepted operation from the mutation's answer at once, even when the first poll finds it ended", async () => {
    // Prepare: the operation has SUCCEEDED by the first poll (a fast create on a loaded machine).
    const { lines, stream } = pipe();
    const stratus = {
      clusters: { get: () => new Promise(() => {}) },
      waitForOperation: async (_id: string, opts: { onProgress: (op: Operation, ms: number) => void }) => {
        opts.onProgress(operation('SUCCEEDED'), 0);
        return operation('SUCCEEDED');
      },
    } as unknown as StratusClient;

    // Act
    await waitWithProgress(stratus, 'op-1', 5_000, stream, {
      operation: operation('QUEUED'),
      clusterId: 'cl-1',
      step: 'PENDING',
    });

    // Assess
    expect(lines[0]).toMatch(/^CREATE cl-1 {2}operation op-1 {2}QUEUED {2}cluster PENDING {2}\d+\.\ds\n$/);
    expect(lines.at(-1)).toMatch(/^CREATE cl-1 {2}operation op-1 {2}SUCCEEDED after \d+\.\ds\n$/);
  });

  it('draws a new step when the cluster read returns it, without waiting for the next poll', async () => {
    // Prepare: one poll, then the operation stays open until the step has been drawn.
    const { lines, stream } = pipe();
    let finish: () => void = () => {};
    const stratus = {
      clusters: { get: async () => ({ status: 'PROVISIONING' }) },
      waitForOperation: async (_id: string, opts: { onProgress: (op: Operation, ms: number) => void }) => {
        opts.onProgress(operation('RUNNING'), 0);
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        return operation('SUCCEEDED');
      },
    } as unknown as StratusClient;

    // Act
    const waiting = waitWithProgress(stratus, 'op-1', 5_000, stream, { clusterId: 'cl-1' });
    await vi.waitFor(() => expect(lines.some((l) => l.includes('cluster PROVISIONING'))).toBe(true));
    finish();
    await waiting;

    // Assess: the RUNNING line without a step, then the same status with the step read.
    expect(lines[0]).toMatch(/^CREATE cl-1 {2}operation op-1 {2}RUNNING {2}\d+\.\ds\n$/);
    expect(lines[1]).toMatch(
      /^CREATE cl-1 {2}operation op-1 {2}RUNNING {2}cluster PROVISIONING {2}\d+\.\ds\n$/,
    );
  });
});
