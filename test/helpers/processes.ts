import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Children of `parent` whose command line matches `pattern` (pgrep -P -f). */
export async function childPids(parent: number, pattern = 'DynamoDBLocal.jar'): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(parent), '-f', pattern]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch (e) {
    if ((e as { code?: number }).code === 1) return []; // pgrep: nothing matched
    throw e;
  }
}

/** Whether `pid` runs (a zombie, killed and awaiting its reaper, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): the signal check is all there is
  }
}
