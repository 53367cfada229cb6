import { afterEach, describe, expect, it } from 'vitest';
import {
  JournalPersistence,
  type PersistenceFs,
  type PersistenceSource,
} from '../../../local/kube-standin/persistence.js';
import type { StoredEntry } from '../../../local/kube-standin/store.js';

/** Files in memory, with every write recorded; `hold()` makes appends wait until released. */
class MemoryFs implements PersistenceFs {
  readonly files = new Map<string, string>();
  readonly writes: Array<{ op: 'append' | 'write' | 'rename'; path: string; bytes: number }> = [];
  inFlight = 0;
  maxInFlight = 0;
  private gate?: Promise<void>;
  private open?: () => void;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async readFile(path: string): Promise<string> {
    const text = this.files.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  }

  async appendFile(path: string, data: string): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.gate;
    this.files.set(path, (this.files.get(path) ?? '') + data);
    this.writes.push({ op: 'append', path, bytes: data.length });
    this.inFlight--;
  }

  async writeFile(path: string, data: string): Promise<void> {
    this.files.set(path, data);
    this.writes.push({ op: 'write', path, bytes: data.length });
  }

  async rename(from: string, to: string): Promise<void> {
    this.files.set(to, this.files.get(from) ?? '');
    this.files.delete(from);
    this.writes.push({ op: 'rename', path: to, bytes: 0 });
  }

  async mkdir(): Promise<void> {}
}

/** A store of ConfigMaps in namespace `ns`, keyed as the stand-in keys them. */
class Objects implements PersistenceSource {
  readonly map = new Map<string, StoredEntry>();
  rv = 0;

  static keyOf(name: string): string {
    return `/configmaps/ns/${name}`;
  }

  set(name: string, value: string): string {
    this.rv++;
    const key = Objects.keyOf(name);
    this.map.set(key, {
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'ns', resourceVersion: String(this.rv) },
        data: { value },
      },
      specChangedAt: 0,
    });
    return key;
  }

  resourceVersion(): number {
    return this.rv;
  }

  entry(key: string): StoredEntry | undefined {
    return this.map.get(key);
  }

  entries(): Iterable<[string, StoredEntry]> {
    return this.map.entries();
  }
}

const FILE = '/data/kube.json';
const keyOf = (obj: StoredEntry['obj']) => Objects.keyOf(String((obj.metadata as { name: string }).name));
const opened: JournalPersistence[] = [];

function persistence(fs: MemoryFs, over: { compactMinBytes?: number } = {}): JournalPersistence {
  const p = new JournalPersistence({ file: FILE, fs, debounceMs: 1, ...over });
  opened.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

describe('Class: JournalPersistence', () => {
  describe('Method: changed', () => {
    it('appends only what changed, however many objects are stored (no whole-store rewrite)', async () => {
      // Prepare: 2,000 objects of about 1 KB stored, then one changes.
      const fs = new MemoryFs();
      const objects = new Objects();
      const p = persistence(fs);
      await p.attach(objects);
      for (let i = 0; i < 2000; i++) objects.set(`cm-${i}`, 'x'.repeat(1000));
      p.changed(objects.map.keys());
      await p.flush();
      const before = fs.writes.length;

      // Act
      p.changed([objects.set('cm-7', 'y'.repeat(1000))]);
      await p.flush();

      // Assess: one append of about one object, nothing else written.
      const writes = fs.writes.slice(before);
      expect(writes).toHaveLength(1);
      expect(writes[0]).toMatchObject({ op: 'append', path: `${FILE}.journal` });
      expect(writes[0]?.bytes).toBeLessThan(2_000);
    });

    it('runs one write at a time, and changes made meanwhile wait as keys for one later write', async () => {
      // Prepare: the disk is stuck on the first write.
      const fs = new MemoryFs();
      const objects = new Objects();
      const p = persistence(fs);
      await p.attach(objects);
      fs.hold();
      p.changed([objects.set('first', 'v0')]);
      await new Promise((r) => setTimeout(r, 20));

      // Act: 1,000 changes of 10 objects while it is stuck, then the disk comes back.
      for (let i = 0; i < 1000; i++) p.changed([objects.set(`cm-${i % 10}`, `v${i}`)]);
      await new Promise((r) => setTimeout(r, 20));
      const appendsWhileStuck = fs.inFlight;
      fs.release();
      await p.flush();

      // Assess: never two writes at once; the 1,000 changes became one line with the last values.
      expect(appendsWhileStuck).toBe(1);
      expect(fs.maxInFlight).toBe(1);
      const lines = (fs.files.get(`${FILE}.journal`) ?? '').trim().split('\n');
      expect(lines).toHaveLength(2);
      const second = JSON.parse(lines[1] ?? '{}') as { put: Array<[string, StoredEntry]> };
      expect(second.put).toHaveLength(10);
      expect(second.put.find(([k]) => k === Objects.keyOf('cm-9'))?.[1].obj.data).toEqual({ value: 'v999' });
    });

    it('folds the journal into a new snapshot once it outgrows the last one, and empties it', async () => {
      // Prepare
      const fs = new MemoryFs();
      const objects = new Objects();
      const p = persistence(fs, { compactMinBytes: 10_000 });
      await p.attach(objects);
      for (let i = 0; i < 20; i++) objects.set(`cm-${i}`, 'x'.repeat(100));

      // Act: rewrite the same 20 objects until the journal passes 10 KB.
      for (let round = 0; round < 10; round++) {
        p.changed(objects.map.keys());
        await p.flush();
        for (let i = 0; i < 20; i++) objects.set(`cm-${i}`, `${round}`.repeat(100));
      }
      await new Promise((r) => setTimeout(r, 20));

      // Assess: a snapshot was written (through a temporary file), the journal restarted after it.
      expect(fs.writes.some((w) => w.op === 'rename' && w.path === FILE)).toBe(true);
      expect((fs.files.get(`${FILE}.journal`) ?? '').length).toBeLessThan(10_000);
      const snapshot = JSON.parse(fs.files.get(FILE) ?? '{}') as { entries: unknown[]; journalSeq: number };
      expect(snapshot.entries).toHaveLength(20);
      expect(snapshot.journalSeq).toBeGreaterThan(0);
    });
  });

  describe('Method: load', () => {
    it('restores what was persisted: the snapshot, then the journal lines it does not cover', async () => {
      // Prepare: a snapshot (written at close), then a restart whose changes and deletion are in
      // the journal only (no close: it would compact).
      const fs = new MemoryFs();
      const objects = new Objects();
      const first = persistence(fs);
      await first.attach(objects);
      objects.set('a', '1');
      objects.set('b', '1');
      first.changed(objects.map.keys());
      await first.close();
      const second = new JournalPersistence({ file: FILE, fs, debounceMs: 1 });
      await second.load(keyOf);
      await second.attach(objects);
      const keyB = Objects.keyOf('b');
      objects.map.delete(keyB);
      second.changed([objects.set('a', '2'), objects.set('c', '1'), keyB]);
      await second.flush();

      // Act
      const loaded = await persistence(fs).load(keyOf);

      // Assess
      const byName = Object.fromEntries(
        (loaded?.entries ?? []).map((e) => [(e.obj.metadata as { name: string }).name, e.obj.data]),
      );
      expect(fs.files.get(`${FILE}.journal`)).toContain('"delete"');
      expect(byName).toEqual({ a: { value: '2' }, c: { value: '1' } });
      expect(loaded?.resourceVersion).toBe(objects.rv);
    });

    it('skips journal lines the snapshot already holds (a crash before the journal was emptied) and a torn last line', async () => {
      // Prepare: the snapshot holds seq 1 (a=new); the journal still has seq 1 (a=old), then seq 2, then a torn line.
      const fs = new MemoryFs();
      const entry = (name: string, value: string) => ({
        obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: { value } },
        specChangedAt: 0,
      });
      fs.files.set(FILE, JSON.stringify({ resourceVersion: 5, journalSeq: 1, entries: [entry('a', 'new')] }));
      fs.files.set(
        `${FILE}.journal`,
        [
          JSON.stringify({ seq: 1, resourceVersion: 4, put: [[Objects.keyOf('a'), entry('a', 'old')]] }),
          JSON.stringify({ seq: 2, resourceVersion: 6, put: [[Objects.keyOf('b'), entry('b', '1')]] }),
          '{"seq":3,"resourceVersion":7,"put":[["/configmaps/ns/c",{"obj"',
        ].join('\n'),
      );

      // Act
      const p = persistence(fs);
      const loaded = await p.load(keyOf);
      await p.attach(new Objects());

      // Assess
      const byName = Object.fromEntries(
        (loaded?.entries ?? []).map((e) => [(e.obj.metadata as { name: string }).name, e.obj.data]),
      );
      expect(byName).toEqual({ a: { value: 'new' }, b: { value: '1' } });
      expect(loaded?.resourceVersion).toBe(6);
      // Appending after a torn line would corrupt the next one: it starts from a fresh snapshot.
      expect(fs.files.get(`${FILE}.journal`)).toBe('');
    });

    it('reads a snapshot of earlier versions (no journal, no journalSeq) and nothing when there is no file', async () => {
      // Prepare
      const fs = new MemoryFs();
      const entry = {
        obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: 'ns' } },
        specChangedAt: 0,
      };
      const empty = new MemoryFs();

      // Act
      fs.files.set(FILE, JSON.stringify({ resourceVersion: 9, entries: [entry] }));
      const loaded = await persistence(fs).load(keyOf);
      const none = await persistence(empty).load(keyOf);

      // Assess
      expect(loaded).toEqual({ resourceVersion: 9, entries: [entry] });
      expect(none).toBeUndefined();
    });
  });
});
