/**
 * Entry of a function's worker thread (see function-host.ts): one Lambda execution environment.
 * The handler module is imported here, after the worker was given the function's environment, so
 * its module-scope configuration is this region's, as in Lambda.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { lambdaInvoker } from './lambda.js';

export interface FunctionWorkerData {
  readonly functionName: string;
  /** file: URL of the handler module. */
  readonly entryUrl: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
}

export type ToWorker = { readonly type: 'invoke'; readonly id: number; readonly event: unknown };
export type FromWorker =
  /** `tid`: the thread's id in the OS (Linux), so that its CPU time can be read in /proc. */
  | { readonly type: 'ready'; readonly tid?: number }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'result'; readonly id: number; readonly value: unknown }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly error: { readonly name: string; readonly message: string; readonly stack?: string };
    };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const port = parentPort;
if (!port) throw new Error('function-worker.ts runs in a worker thread (see function-host.ts)');
const data = workerData as FunctionWorkerData;
const post = (m: FromWorker) => port.postMessage(m);

const mod = (await import(data.entryUrl)) as Record<string, Handler>;
const handler = mod[data.handler];
if (!handler) throw new Error(`${data.entryUrl} does not export ${data.handler}`);
const invoke = lambdaInvoker<unknown, unknown>(data.functionName, handler, data.timeoutSeconds, (line) =>
  post({ type: 'log', line }),
);

port.on('message', (m: ToWorker) => {
  invoke(m.event).then(
    (value) => post({ type: 'result', id: m.id, value }),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      post({
        type: 'result',
        id: m.id,
        error: { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) },
      });
    },
  );
});
post({ type: 'ready', ...osThreadId() });

function osThreadId(): { tid?: number } {
  try {
    return { tid: Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]) };
  } catch {
    return {}; // no /proc (macOS)
  }
}
