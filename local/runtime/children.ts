import type { ChildProcess } from 'node:child_process';

/*
 * Child processes of the local runtime (DynamoDB Local's JVM) that must not outlive this process.
 * A normal exit and process.exit() run 'exit' listeners, which kill them. A signal's default action
 * runs none: whoever handles the process's signals (the test setup, for vitest ends its workers
 * with SIGTERM) calls killChildren() before dying of it.
 */

const children = new Set<ChildProcess>();
let exitListener = false;

/** Kills `child` when this process exits, unless it has exited by then. */
export function killWithThisProcess(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  if (!exitListener) {
    exitListener = true;
    process.on('exit', killChildren);
  }
}

/** Kills (SIGKILL, synchronously sent) every child still running. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}
