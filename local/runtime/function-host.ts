import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { Random } from '../random.js';
import type { FromWorker, FunctionWorkerData, ToWorker } from './function-worker.js';

/** An invocation cut short because its execution environment was killed (chaos) or stopped. */
export class FunctionKilledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionKilledError';
  }
}

export interface FunctionHostOptions {
  /** e.g. `provisioner@eu-west-1`, for logs. */
  readonly name: string;
  readonly functionName: string;
  /** file: URL of the handler module (the function's bundle, lib/function-bundles.ts). */
  readonly entryUrl: string;
  /**
   * Path of the worker thread's entry: function-worker.ts as bundled JavaScript
   * (`FunctionBundles.localWorker`), so that a worker loads no TypeScript loader.
   */
  readonly workerFile: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  /** The whole process environment of the function (the worker sees nothing else). */
  readonly env: Readonly<Record<string, string>>;
  /** Execution environments that may run at once (Lambda's concurrency); more invocations wait. @default 1 */
  readonly maxEnvironments?: number;
  /** Draws for the kill timing of `killDuringInvocation` (local/random.ts). @default Math.random */
  readonly random?: Random;
  readonly log: (line: string) => void;
  /**
   * Each line the function writes to stdout or stderr (its JSON log lines and EMF metrics), as
   * CloudWatch Logs receives them in Lambda. @default - straight to this process's stdout and stderr
   */
  readonly output?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Sees every invocation once it ends: how long its execution environment ran it (the wait for a
   * free environment excluded) and whether it threw. For figures (bench/cost.ts). @default - none
   */
  readonly onInvocation?: (ms: number, failed: boolean) => void;
}

interface Pending {
  readonly id: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One execution environment: a worker thread that runs one invocation at a time, as a Lambda sandbox does. */
class Environment {
  readonly ready: Promise<void>;
  current?: Pending;
  dead = false;
  /** The worker thread's id in the OS (Linux), once it is ready. */
  tid?: number;
  private nextId = 0;

  constructor(
    readonly worker: Worker,
    private readonly name: string,
    log: (line: string) => void,
    onDeath: (env: Environment) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          if (m.tid !== undefined) this.tid = m.tid;
          resolve();
        } else if (m.type === 'log') log(m.line);
        else {
          const p = this.current;
          if (!p || p.id !== m.id) return;
          this.current = undefined;
          if ('error' in m) p.reject(Object.assign(new Error(m.error.message), m.error));
          else p.resolve(m.value);
        }
      });
      worker.on('error', (e) => {
        log(`[${name}] execution environment crashed: ${e.message}`);
        reject(e);
      });
      worker.on('exit', () => {
        // Killed, stopped or crashed: whatever ran is cut short; the host starts a fresh one when needed.
        this.fail(new FunctionKilledError(`${name}: execution environment exited`));
        reject(new FunctionKilledError(`${name}: execution environment exited while starting`));
        onDeath(this);
      });
    });
    // A failed start is reported to the invocation waiting for it, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  run(event: unknown): Promise<unknown> {
    if (this.dead)
      return Promise.reject(new FunctionKilledError(`${this.name}: execution environment is gone`));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.current = { id, resolve, reject };
      this.worker.postMessage({ type: 'invoke', id, event } satisfies ToWorker);
    });
  }

  async terminate(error: Error): Promise<void> {
    this.fail(error);
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.dead = true;
    const p = this.current;
    this.current = undefined;
    p?.reject(error);
  }
}

/**
 * A function's execution environments: worker threads, each with its own `process.env` and its
 * own instance of every module, so two regions' handlers (which read their configuration at module
 * scope) run side by side in one process. Like Lambda, an environment runs one invocation at a
 * time (module-scope state such as Powertools' BatchProcessor is per invocation), and concurrent
 * invocations get more environments, up to `maxEnvironments`; beyond that they wait.
 * `kill()` ends an environment mid-invocation like a crashed or timed-out Lambda sandbox: its
 * in-flight work stops wherever it is, and the next invocation starts a fresh environment.
 */
export class FunctionHost {
  private readonly envs = new Set<Environment>();
  private idle: Environment[] = [];
  private readonly waiters: Array<{ resolve: (env: Environment) => void; reject: (e: Error) => void }> = [];
  private stopped = false;
  invocations = 0;
  coldStarts = 0;
  kills = 0;

  constructor(private readonly o: FunctionHostOptions) {}

  /** The environment the function's workers get: what Lambda sets plus what the function declares. */
  get env(): Readonly<Record<string, string>> {
    return this.o.env;
  }

  /**
   * The OS thread ids of the live environments (Linux; none elsewhere), so that figures can read
   * each function's CPU time in /proc/<pid>/task/<tid> (bench/scale.ts).
   */
  threadIds(): number[] {
    return [...this.envs].flatMap((e) => (e.tid !== undefined && !e.dead ? [e.tid] : []));
  }

  /** Invocations in progress. */
  get inFlight(): number {
    return [...this.envs].filter((e) => e.current).length;
  }

  readonly invoke = async (event: unknown): Promise<unknown> => {
    const env = await this.acquire();
    this.invocations++;
    const started = performance.now();
    let failed = true;
    try {
      const result = await env.run(event);
      failed = false;
      return result;
    } finally {
      this.o.onInvocation?.(performance.now() - started, failed);
      this.release(env);
    }
  };

  /** Starts `count` environments now (cold starts), so the first invocations do not pay for them. */
  async warm(count = 1): Promise<void> {
    const started: Environment[] = [];
    while (this.envs.size < Math.min(count, this.max)) started.push(this.boot());
    await Promise.all(started.map((e) => e.ready));
    for (const e of started) this.release(e);
  }

  /**
   * Chaos: waits (up to `waitMs`) for an invocation to be in progress, lets it run for a random
   * part of `withinMs`, then kills its environment if that invocation is still running.
   * Resolves true when an invocation was cut short. Every call takes one draw, found or not, so the
   * n-th kill of a seeded run always waits the same part of `withinMs`.
   */
  async killDuringInvocation(opts: { withinMs: number; waitMs?: number }): Promise<boolean> {
    const delayMs = (this.o.random ?? Math.random)() * opts.withinMs;
    const until = Date.now() + (opts.waitMs ?? 10_000);
    let target: Environment | undefined;
    while (!target) {
      if (Date.now() > until || this.stopped) return false;
      target = [...this.envs].find((e) => e.current && !e.dead);
      if (!target) await new Promise((r) => setTimeout(r, 5));
    }
    const invocation = target.current;
    await new Promise((r) => setTimeout(r, delayMs));
    if (target.dead || !invocation || target.current !== invocation) return false;
    this.kills++;
    await target.terminate(
      new FunctionKilledError(`${this.o.name}: execution environment killed mid-invocation (chaos)`),
    );
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.reject(new FunctionKilledError(`${this.o.name}: stopped`));
    await Promise.all(
      [...this.envs].map((e) => e.terminate(new FunctionKilledError(`${this.o.name}: stopped`))),
    );
    this.envs.clear();
    this.idle = [];
  }

  private get max(): number {
    return Math.max(1, this.o.maxEnvironments ?? 1);
  }

  private async acquire(): Promise<Environment> {
    if (this.stopped) throw new FunctionKilledError(`${this.o.name}: stopped`);
    for (let env = this.idle.pop(); env; env = this.idle.pop()) if (!env.dead) return env;
    if (this.envs.size < this.max) {
      const env = this.boot();
      await env.ready;
      return env;
    }
    return new Promise<Environment>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(env: Environment): void {
    if (this.stopped) return;
    if (env.dead) {
      // Its place is free: a waiting invocation gets a fresh environment.
      const waiter = this.waiters.shift();
      if (waiter) {
        const fresh = this.boot();
        fresh.ready.then(
          () => waiter.resolve(fresh),
          (e: Error) => waiter.reject(e),
        );
      }
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(env);
    else this.idle.push(env);
  }

  private boot(): Environment {
    this.coldStarts++;
    const data: FunctionWorkerData = {
      functionName: this.o.functionName,
      entryUrl: this.o.entryUrl,
      handler: this.o.handler,
      timeoutSeconds: this.o.timeoutSeconds,
    };
    const output = this.o.output;
    const worker = new Worker(this.o.workerFile, {
      env: { ...this.o.env },
      workerData: data,
      ...(output ? { stdout: true, stderr: true } : {}),
    });
    if (output) {
      createInterface({ input: worker.stdout, crlfDelay: Infinity }).on('line', (l) => output(l, 'stdout'));
      createInterface({ input: worker.stderr, crlfDelay: Infinity }).on('line', (l) => output(l, 'stderr'));
    }
    const env = new Environment(worker, this.o.name, this.o.log, (dead) => {
      this.envs.delete(dead);
      this.idle = this.idle.filter((e) => e !== dead);
    });
    this.envs.add(env);
    return env;
  }
}
