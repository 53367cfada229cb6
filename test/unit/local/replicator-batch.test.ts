import { describe, expect, it } from 'vitest';
import { ApplyQueue, type Item, type PendingWrite } from '../../../local/runtime/replicator.js';

const keysOf = (pk: string): Item => ({ pk: { S: pk }, sk: { S: 'x' } });

function write(
  key: string,
  dueAt: number,
  from = 'eu-west-1',
): Omit<PendingWrite, 'order' | 'dueAt'> & { dueAt: number } {
  return {
    from,
    to: 'us-east-1',
    key,
    keys: keysOf(key),
    image: { ...keysOf(key), v: { S: String(dueAt) } },
    version: { time: dueAt - 300, seq: dueAt, origin: from },
    writtenAfter: dueAt - 350,
    jitterMs: 0,
    dueAt,
  };
}

const never = () => false;
const keysIn = (batch: readonly PendingWrite[]) => batch.map((w) => `${w.key}@${w.dueAt}`);

describe('Class: ApplyQueue', () => {
  describe('Method: due', () => {
    it('gives the due writes in order, one per item, so that they can be applied at once', () => {
      // Prepare: item a written twice, b and c once; d not due yet.
      const queue = new ApplyQueue();
      queue.push(write('a', 100));
      queue.push(write('b', 110));
      queue.push(write('a', 120));
      queue.push(write('c', 130));
      queue.push(write('d', 900));

      // Act
      const first = queue.due(500, never, 25);
      for (const w of first) queue.remove(w);
      const second = queue.due(500, never, 25);

      // Assess: a's second write waits for the next batch, behind its first.
      expect(keysIn(first)).toEqual(['a@100', 'b@110', 'c@130']);
      expect(keysIn(second)).toEqual(['a@120']);
    });

    it('holds at most `max` writes and leaves the writes of a paused link queued', () => {
      // Prepare
      const queue = new ApplyQueue();
      for (let i = 0; i < 10; i++)
        queue.push(write(`k${i}`, 100 + i, i % 2 === 0 ? 'eu-west-1' : 'ap-south-1'));
      const paused = (from: string) => from === 'ap-south-1';

      // Act
      const batch = queue.due(1000, paused, 3);

      // Assess
      expect(keysIn(batch)).toEqual(['k0@100', 'k2@102', 'k4@104']);
      expect(queue.size()).toBe(10);
    });
  });
});
