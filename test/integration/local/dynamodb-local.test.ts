import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compiledLauncher,
  DynamoLocalStartError,
  freePort,
  LOCAL_CREDENTIALS,
  type LocalDynamo,
  startDynamoLocal,
} from '../../../local/runtime/dynamodb.js';
import { childPids, isAlive } from '../../helpers/processes.js';

const run = promisify(execFile);
/** Each case starts one JVM or more: seconds each on a loaded machine, so no tight test bound. */
const JVM_TEST_TIMEOUT_MS = 300_000;

/** DynamoDB Local JVMs that are children of this process (the test worker). */
const ourJvms = () => childPids(process.pid);

const clientOf = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });

async function tables(endpoint: string): Promise<string[]> {
  const client = clientOf(endpoint);
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

async function createTable(endpoint: string, name: string): Promise<void> {
  const client = clientOf(endpoint);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } finally {
    client.destroy();
  }
}

/** A server that answers every request as DynamoDB does for a missing table (what a probe expects). */
async function startImpostor(): Promise<{ port: number; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    const body = JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
      message: 'Cannot do operations on a non-existent table',
    });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests: () => requests, server };
}

describe('Function: startDynamoLocal', () => {
  const started: LocalDynamo[] = [];
  const servers: Server[] = [];
  const dirs: string[] = [];
  const fakeJvms: number[] = [];
  afterEach(async () => {
    // A fake JVM left by a failed case, so that it does not outlive the run.
    for (const pid of fakeJvms.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    await Promise.all(started.splice(0).map((d) => d.stop()));
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it(
    'does not take another server on the chosen port for its JVM, and starts on a new port',
    async () => {
      // Prepare: the port the JVM is handed is already served by something else.
      const impostor = await startImpostor();
      servers.push(impostor.server);
      const ports = [impostor.port];
      const choosePort = async () => ports.shift() ?? freePort();

      // Act
      const dynamo = await startDynamoLocal({ choosePort });
      started.push(dynamo);

      // Assess: a real DynamoDB answers on the endpoint, not the impostor.
      expect(dynamo.port).not.toBe(impostor.port);
      expect(impostor.requests()).toBeGreaterThan(0);
      await createTable(dynamo.endpoint, 'mine');
      expect(await tables(dynamo.endpoint)).toEqual(['mine']);
    },
    JVM_TEST_TIMEOUT_MS,
  );

  it(
    'starts two JVMs handed the same port (parallel test files) on two ports, each its own database',
    async () => {
      // Prepare: both starts are handed the same free port first, as two files racing would be.
      const shared = await freePort();
      const handedOnce = () => {
        let first = true;
        return async () => {
          if (first) {
            first = false;
            return shared;
          }
          return freePort();
        };
      };

      // Act
      const results = await Promise.allSettled([
        startDynamoLocal({ choosePort: handedOnce() }),
        startDynamoLocal({ choosePort: handedOnce() }),
      ]);
      for (const r of results) if (r.status === 'fulfilled') started.push(r.value);

      // Assess
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const [a, b] = started as [LocalDynamo, LocalDynamo];
      expect(a.port).not.toBe(b.port);
      expect(a.pid).not.toBe(b.pid);
      await createTable(a.endpoint, 'only-in-a');
      expect(await tables(a.endpoint)).toEqual(['only-in-a']);
      expect(await tables(b.endpoint)).toEqual([]);
    },
    JVM_TEST_TIMEOUT_MS,
  );

  it(
    'fails as soon as the JVM exits during start, with its output, and leaves no JVM',
    async () => {
      // Act: DynamoDB Local refuses port 0 and exits.
      const failure = startDynamoLocal({ choosePort: async () => 0, startTimeoutMs: 3_600_000 });

      // Assess: the exit ends the start (an hour-long bound would fail the test by its timeout).
      await expect(failure).rejects.toThrow(DynamoLocalStartError);
      await expect(failure).rejects.toThrow(
        /exited during start \(code \d+\); it needs a Java 17\+ JDK\. Its output: .*Invalid Port/s,
      );
      expect(await ourJvms()).toEqual([]);
    },
    JVM_TEST_TIMEOUT_MS,
  );

  it('fails at once, saying what it needs, when Java cannot be run', async () => {
    await expect(startDynamoLocal({ java: '/nonexistent/bin/java' })).rejects.toThrow(
      /could not be run \(spawn \/nonexistent\/bin\/java ENOENT\)\. It needs a Java 17\+ JDK on the PATH/,
    );
  });

  it(
    'stops the JVM when the start bound passes, and names the setting that raises it',
    async () => {
      // Act
      const failure = startDynamoLocal({ startTimeoutMs: 1 });

      // Assess
      await expect(failure).rejects.toThrow(
        /did not answer on port \d+ within 1 ms; on a loaded machine, raise STRATUS_DYNAMODB_START_TIMEOUT_MS/,
      );
      expect(await ourJvms()).toEqual([]);
    },
    JVM_TEST_TIMEOUT_MS,
  );

  it('stops what a wrapper `java` started when the start bound passes (no grandchild survives)', async () => {
    // Prepare: a `java` that is a wrapper script (as version managers install), whose "JVM" is
    // its child rather than itself, and never listens.
    const dir = await mkdtemp(join(tmpdir(), 'stratus-fake-java-'));
    dirs.push(dir);
    const pidFile = join(dir, 'jvm.pid');
    const java = join(dir, 'java');
    await writeFile(java, `#!/bin/sh\nsleep 600 &\necho $! > '${pidFile}'\nwait\n`, { mode: 0o755 });

    // Act
    const failure = startDynamoLocal({ java, startTimeoutMs: 2_000 });

    // Assess: the start fails on its bound, and the wrapper's child is gone too.
    await expect(failure).rejects.toThrow(/did not answer on port \d+ within 2000 ms/);
    const jvm = Number((await readFile(pidFile, 'utf8')).trim());
    fakeJvms.push(jvm);
    expect(jvm).toBeGreaterThan(0);
    await expect.poll(() => isAlive(jvm), { timeout: 10_000 }).toBe(false);
  }, 60_000);

  it(
    'abandons the start when aborted, and stops the JVM',
    async () => {
      // Prepare: abort once the JVM has been launched on the chosen port.
      const abandon = new AbortController();
      const choosePort = async () => {
        setImmediate(() => abandon.abort());
        return freePort();
      };

      // Act
      const failure = startDynamoLocal({ choosePort, signal: abandon.signal });

      // Assess
      await expect(failure).rejects.toMatchObject({ name: 'AbortError' });
      expect(await ourJvms()).toEqual([]);
    },
    JVM_TEST_TIMEOUT_MS,
  );

  it(
    'kills its JVM when this process exits without stopping it',
    async () => {
      // Prepare: a process that starts DynamoDB Local, prints the JVM's pid and exits at once.
      const script = [
        `import { startDynamoLocal } from ${JSON.stringify(new URL('../../../local/runtime/dynamodb.ts', import.meta.url).href)};`,
        'const dynamo = await startDynamoLocal();',
        'console.log(dynamo.pid);',
        'process.exit(0);',
      ].join('\n');

      // Act
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ]);

      // Assess: the JVM is gone (the kill is sent before the process ends; the JVM dies right after).
      const pid = Number(stdout.trim());
      expect(pid).toBeGreaterThan(0);
      await expect.poll(() => isAlive(pid), { timeout: 30_000 }).toBe(false);
    },
    JVM_TEST_TIMEOUT_MS,
  );
  it(
    'runs its loopback launcher from a class compiled once per machine, not from source at every start',
    async () => {
      const dir = await compiledLauncher();
      expect(dir, 'javac is on this machine (a JDK), so the launcher is compiled').toBeDefined();
      const compiled = await stat(join(dir as string, 'LoopbackDynamoDBLocal.class'));
      expect(await compiledLauncher()).toBe(dir);
      // A start uses it: the class is not rewritten, and the JVM serves.
      const db = await startDynamoLocal();
      try {
        expect(await tables(db.endpoint)).toEqual([]);
      } finally {
        await db.stop();
      }
      expect((await stat(join(dir as string, 'LoopbackDynamoDBLocal.class'))).mtimeMs).toBe(compiled.mtimeMs);
    },
    JVM_TEST_TIMEOUT_MS,
  );
});
