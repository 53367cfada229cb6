import type { ChildProcess } from 'node:child_process';

/*
 * Child processes of the local runtime (DynamoDB Local's JVM) that must not outlive this process.
 * Each is started as the leader of its own process group (`spawn(..., { detached: true })`), and
 * signals go to the whole group: `java` on the PATH may be a wrapper script whose JVM is its child,
 * and a signal to the wrapper alone would leave that JVM running (holding our pipes open, so its
 * 'close' never comes). A normal exit and process.exit() run 'exit' listeners, which kill them. A
 * signal's default action runs none: whoever handles the process's signals (bin/local.ts; the test
 * setup, for vitest ends its workers with SIGTERM) calls killChildren() before dying of it.
 */

const children = new Set<ChildProcess>();
let exitListener = false;

/** Kills `child` (and its process group) when this process exits, unless it has exited by then. */
export function killWithThisProcess(child: ChildProcess): void {
  children.add(child);
  child.once('close', () => children.delete(child));
  child.once('error', () => children.delete(child));
  if (!exitListener) {
    exitListener = true;
    process.on('exit', killChildren);
  }
}

/**
 * Sends `signal` to `child`'s process group (it leads one: spawned with `detached: true`), so
 * whatever it started gets it too; to `child` alone if the group is gone. Synchronous.
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // No such group any more (every member exited): the child itself, if it is still there.
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

/** Kills (SIGKILL, synchronously sent) every child still running, with its process group. */
export function killChildren(): void {
  for (const child of children) signalGroup(child, 'SIGKILL');
  children.clear();
}
