import { createLogUpdate } from 'log-update';
import type { Operation, StratusClient } from '../../sdk/index.js';

/** Elapsed times are the sink's own, from its creation: they only ever go up, whoever redraws. */
export interface ProgressSink {
  update(operation: Operation, step: string | undefined): void;
  done(operation: Operation): void;
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
  const start = Date.now();
  const elapsed = () => Date.now() - start;
  if (stream.isTTY) {
    const draw = createLogUpdate(stream, { showCursor: false });
    let frame = 0;
    let line = '';
    const timer = setInterval(() => {
      if (!line) return;
      frame = (frame + 1) % FRAMES.length;
      draw(`${FRAMES[frame]} ${line}  ${seconds(elapsed())}`);
    }, 100);
    return {
      update(op, step) {
        line = describe(op, step);
      },
      done(op) {
        clearInterval(timer);
        const mark = op.status === 'SUCCEEDED' ? '✔' : '✖';
        draw(
          `${mark} ${describe(op, undefined)} after ${seconds(elapsed())}${op.error ? `: ${op.error.message}` : ''}`,
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
    update(op, step) {
      const line = describe(op, step);
      if (line !== last) stream.write(`${line}  ${seconds(elapsed())}\n`);
      last = line;
    },
    done(op) {
      stream.write(
        `${describe(op, undefined)} after ${seconds(elapsed())}${op.error ? `: ${op.error.message}` : ''}\n`,
      );
    },
    stop() {},
  };
}

/**
 * Waits for the operation, showing its status and its cluster's status (the step it is at) as they
 * change; resolves the final operation (FAILED and CANCELLED too), throws the SDK's timeout error.
 * The cluster is read beside the operation's polls, first at once, and a new step is drawn when it
 * is read, not at the next poll; `known` gives what the mutation's answer already said (its cluster
 * and that cluster's status), so the step is on screen from the first frame even when the operation
 * ends before the first read; and `known.operation` (the operation as the mutation's answer gave
 * it, QUEUED) is shown at once, so that what was accepted is on screen even when the operation has
 * ended by the first poll.
 */
export async function waitWithProgress(
  stratus: StratusClient,
  operationId: string,
  timeoutMs: number,
  stream: NodeJS.WriteStream,
  known: { operation?: Operation; clusterId?: string; step?: string } = {},
): Promise<Operation> {
  const sink = progressSink(stream);
  let step = known.step;
  let clusterId = known.clusterId;
  let last: Operation | undefined = known.operation;
  if (last) sink.update(last, step);
  const stopWatching = new AbortController();
  const aborted = new Promise<undefined>((resolve) =>
    stopWatching.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
  );
  const watchCluster = async () => {
    while (!stopWatching.signal.aborted) {
      if (clusterId) {
        try {
          // The read is abandoned when the operation ends: the outcome is never held up by it.
          const status = await Promise.race([
            stratus.clusters.get(clusterId, { signal: stopWatching.signal }).then((c) => c.status),
            aborted,
          ]);
          if (status !== undefined && status !== step && !stopWatching.signal.aborted) {
            step = status;
            if (last) sink.update(last, step);
          }
        } catch {
          // a step we cannot read is not shown; the operation's status still is
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, clusterId ? 1000 : 100);
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
      onProgress: (op) => {
        clusterId = op.clusterId;
        last = op;
        sink.update(op, step);
      },
    });
    stopWatching.abort();
    sink.done(done);
    return done;
  } catch (e) {
    sink.stop();
    throw e;
  } finally {
    stopWatching.abort();
    await watcher;
  }
}
