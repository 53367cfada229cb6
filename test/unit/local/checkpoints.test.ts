import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../../local/runtime/checkpoints.js';

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'checkpoints-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('Class: Checkpoints', () => {
  describe('Method: set', () => {
    it('resolves once the position is on disk, and coalesces the positions set meanwhile into few writes', async () => {
      // Prepare
      const file = join(await scratch(), 'state', 'checkpoints.json');
      const checkpoints = await Checkpoints.open(file);

      // Act: 200 positions of 4 consumers set at once, as busy stream triggers do.
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => checkpoints.set(`consumer-${i % 4}`, 'shard-1', String(i))),
      );
      const reopened = await Checkpoints.open(file);

      // Assess: the last position of each consumer, in at most two writes (one ran, one waited).
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        'consumer-0': { 'shard-1': '196' },
        'consumer-1': { 'shard-1': '197' },
        'consumer-2': { 'shard-1': '198' },
        'consumer-3': { 'shard-1': '199' },
      });
      expect(reopened.get('consumer-3', 'shard-1')).toBe('199');
      expect(checkpoints.writes).toBeLessThanOrEqual(2);
    });

    it('fails the set whose write failed, and writes the next ones once the disk lets it', async () => {
      // Prepare: the folder of the file is a file, so the first write cannot happen.
      const dir = await scratch();
      await writeFile(join(dir, 'state'), 'not a folder');
      const file = join(dir, 'state', 'checkpoints.json');
      const checkpoints = await Checkpoints.open(file);
      const failed = checkpoints.set('dispatcher', 'shard-1', '1');
      await expect(failed).rejects.toThrow();

      // Act: the obstacle goes; a later position is set.
      await rm(join(dir, 'state'));
      await checkpoints.set('dispatcher', 'shard-1', '2');

      // Assess
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ dispatcher: { 'shard-1': '2' } });
    });
  });
});
