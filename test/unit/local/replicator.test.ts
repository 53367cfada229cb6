import { describe, expect, it } from 'vitest';
import {
  ApplyQueue,
  fingerprint,
  type Item,
  isNewer,
  lagFigures,
  linkRandom,
  type PendingWrite,
  ReplicaState,
  type WriteVersion,
} from '../../../local/runtime/replicator.js';

const version = (time: number, seq = time, origin = 'eu-west-1'): WriteVersion => ({ time, seq, origin });
const keysOf = (pk: string): Item => ({ pk: { S: pk }, sk: { S: 'x' } });
const itemOf = (pk: string, v: string): Item => ({ ...keysOf(pk), v: { S: v } });

function write(
  over: Partial<Omit<PendingWrite, 'order'>> & { readonly key: string; readonly dueAt: number },
): Omit<PendingWrite, 'order'> {
  return {
    from: 'eu-west-1',
    to: 'us-east-1',
    keys: keysOf(over.key),
    image: itemOf(over.key, 'v'),
    version: version(over.dueAt - 300),
    writtenAfter: over.dueAt - 350,
    jitterMs: 0,
    ...over,
  };
}

const never = () => false;

describe('Function: fingerprint', () => {
  it('is the same for the same item whatever the order of attributes, map keys and set members', () => {
    // Prepare
    const a: Item = {
      pk: { S: 'p' },
      tags: { SS: ['b', 'a'] },
      m: { M: { z: { N: '1' }, a: { L: [{ S: 'x' }, { BOOL: true }] } } },
    };
    const b: Item = {
      m: { M: { a: { L: [{ S: 'x' }, { BOOL: true }] }, z: { N: '1' } } },
      tags: { SS: ['a', 'b'] },
      pk: { S: 'p' },
    };

    // Act & Assess
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('tells apart items that differ in a value, a type, or list order, and marks an absent item', () => {
    // Prepare
    const base: Item = { pk: { S: 'p' }, l: { L: [{ S: 'a' }, { S: 'b' }] } };

    // Act
    const fps = [
      base,
      { ...base, l: { L: [{ S: 'b' }, { S: 'a' }] } },
      { ...base, pk: { N: '1' } },
      { ...base, pk: { S: '1' } },
      { ...base, bin: { B: new Uint8Array([1, 2]) } },
    ].map(fingerprint);

    // Assess
    expect(new Set(fps).size).toBe(fps.length);
    expect(fingerprint(null)).toBe('-');
  });
});

describe('Function: isNewer (last writer wins)', () => {
  it('orders by write time, then by read order for writes read at the same time', () => {
    // Act & Assess
    expect(isNewer(version(2), version(1))).toBe(true);
    expect(isNewer(version(1), version(2))).toBe(false);
    expect(isNewer(version(5, 8), version(5, 7, 'us-east-1'))).toBe(true);
    expect(isNewer(version(5, 7), version(5, 7))).toBe(false);
    expect(isNewer(version(1), undefined)).toBe(true);
  });
});

describe('Class: ApplyQueue', () => {
  describe('Method: next', () => {
    it('gives writes when they are due, earliest first', () => {
      // Prepare
      const queue = new ApplyQueue();
      queue.push(write({ key: 'b', dueAt: 200 }));
      queue.push(write({ key: 'a', dueAt: 100 }));

      // Act
      const early = queue.next(99, never);
      const first = queue.next(250, never);

      // Assess
      expect(early).toBeUndefined();
      expect(first?.key).toBe('a');
      expect(queue.nextDueAt(never)).toBe(100);
    });

    it('never gives a write of an item before an earlier write of it on the same link, whatever the jitter', () => {
      // Prepare: the second write of item k drew less jitter than the first
      const queue = new ApplyQueue();
      const first = queue.push(write({ key: 'k', dueAt: 500, image: itemOf('k', '1') }));
      const second = queue.push(write({ key: 'k', dueAt: 320, image: itemOf('k', '2') }));
      const other = queue.push(write({ key: 'o', dueAt: 330 }));

      // Act
      const at400 = queue.next(400, never);
      if (at400) queue.remove(at400);
      const at500 = [queue.next(500, never)];
      if (at500[0]) queue.remove(at500[0]);
      at500.push(queue.next(500, never));

      // Assess
      expect(second.dueAt).toBe(500);
      expect(at400).toBe(other); // another item is not held back
      expect(at500).toEqual([first, second]);
    });

    it('orders another link independently (last writer wins decides between links)', () => {
      // Prepare
      const queue = new ApplyQueue();
      queue.push(write({ key: 'k', dueAt: 500 }));
      const fromOther = queue.push(write({ key: 'k', dueAt: 320, from: 'ap-south-1' }));

      // Act
      const next = queue.next(400, never);

      // Assess
      expect(next).toBe(fromOther);
    });

    it('skips the writes of a paused link and keeps them, in order, for later', () => {
      // Prepare
      const queue = new ApplyQueue();
      const held1 = queue.push(write({ key: 'k', dueAt: 100 }));
      const held2 = queue.push(write({ key: 'k', dueAt: 150 }));
      const flowing = queue.push(write({ key: 'k', dueAt: 200, from: 'ap-south-1' }));
      const paused = (from: string) => from === 'eu-west-1';

      // Act
      const whilePaused = queue.next(1000, paused);
      if (whilePaused) queue.remove(whilePaused);
      const heldWhilePaused = queue.size('eu-west-1');
      const afterResume = [queue.next(1000, never)];
      if (afterResume[0]) queue.remove(afterResume[0]);
      afterResume.push(queue.next(1000, never));

      // Assess
      expect(whilePaused).toBe(flowing);
      expect(heldWhilePaused).toBe(2);
      expect(afterResume).toEqual([held1, held2]);
      expect(queue.nextDueAt(paused)).toBeUndefined();
    });
  });

  describe('Method: pendingBefore', () => {
    it('counts the writes enqueued before a mark on links that flow', () => {
      // Prepare
      let n = 0;
      const queue = new ApplyQueue(() => n++);
      queue.push(write({ key: 'a', dueAt: 100 }));
      queue.push(write({ key: 'b', dueAt: 100, from: 'ap-south-1' }));
      const mark = n;
      queue.push(write({ key: 'c', dueAt: 100 }));

      // Act & Assess
      expect(queue.pendingBefore(mark, never)).toBe(2);
      expect(queue.pendingBefore(mark, (from) => from === 'ap-south-1')).toBe(1);
      expect(queue.oldestTime()).toBe(-200);
    });
  });
});

describe('Class: ReplicaState', () => {
  const local = (time: number) => () => version(time, time, 'us-east-1');

  describe('Method: observe', () => {
    it('gives a local write a version and holds it', () => {
      // Prepare
      const state = new ReplicaState();

      // Act
      const seen = state.observe('k', itemOf('k', 'b'), local(10));

      // Assess
      expect(seen).toEqual({ kind: 'local', version: version(10, 10, 'us-east-1') });
      expect(state.get('k')?.version.time).toBe(10);
    });

    it('recognises the record of an apply once, so it is not sent back, and a later equal write as local', () => {
      // Prepare
      const state = new ReplicaState();
      state.applied('k', {
        from: 'eu-west-1',
        version: version(5),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: false,
      });

      // Act
      const echo = state.observe('k', itemOf('k', 'a'), local(20));
      const again = state.observe('k', itemOf('k', 'a'), local(30));

      // Assess
      expect(echo).toMatchObject({ kind: 'echo', expectation: { from: 'eu-west-1', version: version(5) } });
      expect(echo).not.toHaveProperty('clobbered');
      expect(again.kind).toBe('local');
      expect(state.outstanding()).toBe(0);
    });

    it('matches a REMOVE with an applied delete', () => {
      // Prepare
      const state = new ReplicaState();
      state.applied('k', { from: 'eu-west-1', version: version(5), image: null, cycle: 1, noop: false });

      // Act
      const seen = state.observe('k', null, local(20));

      // Assess
      expect(seen.kind).toBe('echo');
      expect(state.get('k')).toEqual({ version: version(5), image: null });
    });

    it('reports an apply that overwrote a newer local write (the stream shows the local write first)', () => {
      // Prepare: an apply of version 5 decided; a local write lands before it and is read at 20
      const state = new ReplicaState();
      state.applied('k', {
        from: 'eu-west-1',
        version: version(5),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: false,
      });
      state.observe('k', itemOf('k', 'local'), local(20));

      // Act
      const seen = state.observe('k', itemOf('k', 'a'), local(30));

      // Assess: the local write is still the winner to write back, and older writes lose to it
      expect(seen).toMatchObject({ kind: 'echo', clobbered: { image: itemOf('k', 'local') } });
      expect(state.get('k')?.image).toEqual(itemOf('k', 'local'));
      expect(state.accepts('k', version(15))).toBe(false);
    });

    it('does not report a clobber when the local write came after the apply', () => {
      // Prepare
      const state = new ReplicaState();
      state.applied('k', {
        from: 'eu-west-1',
        version: version(5),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: false,
      });

      // Act
      const echo = state.observe('k', itemOf('k', 'a'), local(20));
      const after = state.observe('k', itemOf('k', 'local'), local(30));

      // Assess
      expect(echo).not.toHaveProperty('clobbered');
      expect(after.kind).toBe('local');
    });
  });

  describe('Method: accepts', () => {
    it('takes a newer write and drops an older one than what the replica holds or will hold', () => {
      // Prepare
      const state = new ReplicaState();
      state.observe('k', itemOf('k', 'b'), local(10));
      state.applied('j', {
        from: 'eu-west-1',
        version: version(50),
        image: itemOf('j', 'a'),
        cycle: 1,
        noop: false,
      });

      // Act & Assess
      expect(state.accepts('k', version(11))).toBe(true);
      expect(state.accepts('k', version(9))).toBe(false);
      expect(state.accepts('j', version(40))).toBe(false); // its record is still to come
      expect(state.accepts('new', version(1))).toBe(true);
    });
  });

  describe('Method: applied (no-op) and drained', () => {
    it('holds the version of a no-op apply at once, as no record will come', () => {
      // Prepare
      const state = new ReplicaState();
      state.observe('k', itemOf('k', 'a'), local(10));

      // Act
      state.applied('k', {
        from: 'eu-west-1',
        version: version(20),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: true,
      });

      // Assess
      expect(state.get('k')?.version.time).toBe(20);
      expect(state.outstanding()).toBe(0);
      expect(state.accepts('k', version(15))).toBe(false);
    });

    it('keeps a no-op behind an apply still expected, then folds it when the stream is read', () => {
      // Prepare
      const state = new ReplicaState();
      state.applied('k', {
        from: 'eu-west-1',
        version: version(5),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: false,
      });
      state.applied('k', {
        from: 'eu-west-1',
        version: version(6),
        image: itemOf('k', 'a'),
        cycle: 1,
        noop: true,
      });

      // Act
      const echo = state.observe('k', itemOf('k', 'a'), local(20));
      state.drained(2);

      // Assess
      expect(echo).not.toHaveProperty('clobbered');
      expect(state.get('k')?.version.time).toBe(6);
      expect(state.outstanding()).toBe(0);
      expect(state.lostEchoes).toBe(0);
    });

    it('drops, and counts, an expected record that a complete read of the stream did not show', () => {
      // Prepare
      const state = new ReplicaState();
      state.applied('k', {
        from: 'eu-west-1',
        version: version(5),
        image: itemOf('k', 'a'),
        cycle: 3,
        noop: false,
      });

      // Act
      state.drained(3);
      const kept = state.outstanding();
      state.drained(4);

      // Assess
      expect(kept).toBe(1);
      expect(state.outstanding()).toBe(0);
      expect(state.lostEchoes).toBe(1);
      expect(state.get('k')?.version.time).toBe(5);
    });
  });

  describe('Method: prune', () => {
    it('forgets old versions but not one whose apply is still expected', () => {
      // Prepare
      const state = new ReplicaState();
      state.observe('old', itemOf('old', 'a'), local(10));
      state.observe('busy', itemOf('busy', 'a'), local(10));
      state.applied('busy', { from: 'eu-west-1', version: version(12), image: null, cycle: 1, noop: false });
      state.observe('recent', itemOf('recent', 'a'), local(100));

      // Act
      state.prune(50);

      // Assess
      expect(state.get('old')).toBeUndefined();
      expect(state.get('busy')).toBeDefined();
      expect(state.get('recent')).toBeDefined();
      expect(state.size()).toBe(2);
    });
  });
});

describe('Function: lagFigures', () => {
  it('gives nearest-rank percentiles', () => {
    // Prepare
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1

    // Act
    const figures = lagFigures(samples);

    // Assess
    expect(figures).toEqual({ count: 100, min: 1, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(lagFigures([])).toEqual({ count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe('Function: linkRandom', () => {
  it('replays the same draws for a seed and link, and others for another link or seed', () => {
    // Prepare
    const draw = (r: () => number) => Array.from({ length: 5 }, r);

    // Act
    const a = draw(linkRandom(7, 'eu-west-1', 'us-east-1'));
    const again = draw(linkRandom(7, 'eu-west-1', 'us-east-1'));
    const reverse = draw(linkRandom(7, 'us-east-1', 'eu-west-1'));
    const otherSeed = draw(linkRandom(8, 'eu-west-1', 'us-east-1'));

    // Assess
    expect(again).toEqual(a);
    expect(reverse).not.toEqual(a);
    expect(otherSeed).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
