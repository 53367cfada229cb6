import { createLogUpdate } from 'log-update';
import type { Operation, StratusClient } from '../../sdk/index.js';

export interface ProgressSink {
  update(operation: Operation, step: string | undefined, elapsedMs: number): void;
  done(operation: Operation, elapsedMs: number): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function describe(op: Operation, step: string | undefined): string {
  return `${op.type} ${op.clusterId}  operation ${op.id}  ${op.status}${step ? `  cluster ${step}` : ''}`;
}

/**
 * In a terminal: one line redrawn ten times a second (spinner, status, step, elapsed time), kept
 * as a final line at the end. Elsewhere (pipes, CI logs): a plain line at each change.
 */
export function progressSink(stream: NodeJS.WriteStream): ProgressSink {
  if (stream.isTTY) {
    const draw = createLogUpdate(stream, { showCursor: false });
    let frame = 0;
    let line = '';
    let since = Date.now();
    let base = 0;
    const timer = setInterval(() => {
      frame = (frame + 1) % FRAMES.length;
      draw(`${FRAMES[frame]} ${line}  ${seconds(base + Date.now() - since)}`);
    }, 100);
    return {
      update(op, step, elapsedMs) {
        line = describe(op, step);
        base = elapsedMs;
        since = Date.now();
      },
      done(op, elapsedMs) {
        clearInterval(timer);
        const mark = op.status === 'SUCCEEDED' ? '✔' : '✖';
        draw(
          `${mark} ${describe(op, undefined)} after ${seconds(elapsedMs)}${op.error ? `: ${op.error.message}` : ''}`,
        );
        draw.done();
      },
      stop() {
        clearInterval(timer);
        draw.done();
      },
    };
  }
  let last = '';
  return {
    update(op, step, elapsedMs) {
      const line = describe(op, step);
      if (line !== last) stream.write(`${line}  ${seconds(elapsedMs)}\n`);
      last = line;
    },
    done(op, elapsedMs) {
      stream.write(
        `${describe(op, undefined)} after ${seconds(elapsedMs)}${op.error ? `: ${op.error.message}` : ''}\n`,
      );
    },
    stop() {},
  };
}

/**
 * Waits for the operation, showing its status and its cluster's status (the step it is at) as they
 * change; resolves the final operation (FAILED and CANCELLED too), throws the SDK's timeout error.
 */
export async function waitWithProgress(
  stratus: StratusClient,
  operationId: string,
  timeoutMs: number,
  stream: NodeJS.WriteStream,
): Promise<Operation> {
  const sink = progressSink(stream);
  let step: string | undefined;
  let clusterId: string | undefined;
  let elapsed = 0;
  const stopWatching = new AbortController();
  // The cluster's status, read beside the operation's polls: PENDING, PROVISIONING, UPDATING, READY...
  const watchCluster = async () => {
    while (!stopWatching.signal.aborted) {
      if (clusterId) {
        try {
          step = (await stratus.clusters.get(clusterId)).status;
        } catch {
          // a step we cannot read is not shown; the operation's status still is
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        stopWatching.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const watcher = watchCluster();
  try {
    const done = await stratus.waitForOperation(operationId, {
      timeout: timeoutMs,
      pollIntervalMs: 300,
      maxPollIntervalMs: 2000,
      onProgress: (op, elapsedMs) => {
        clusterId = op.clusterId;
        elapsed = elapsedMs;
        sink.update(op, step, elapsedMs);
      },
    });
    sink.done(done, elapsed);
    return done;
  } catch (e) {
    sink.stop();
    throw e;
  } finally {
    stopWatching.abort();
    await watcher;
  }
}
