/**
 * The stand-in's objects on disk (`dataFile`): a snapshot plus an append-only journal, so that
 * persisting a change costs what changed, not what is stored.
 *
 * - `<dataFile>`: a snapshot, `{ resourceVersion, journalSeq, entries }` (the format of earlier
 *   versions, which had no `journalSeq`, loads as is).
 * - `<dataFile>.journal`: one JSON line per write, `{ seq, resourceVersion, put: [[key, entry]],
 *   delete: [key] }`, holding the objects changed since the previous write (changes within the
 *   debounce are coalesced: an object changed ten times is written once).
 *
 * At most one write is in flight: changes made meanwhile wait, as keys, and go in the next write,
 * so nothing queues up in memory whatever the rate of changes or the speed of the disk (issue #12:
 * a whole-store snapshot taken every 50 ms and queued behind slower writes grew the process by
 * gigabytes). When the journal outgrows the last snapshot (and `compactMinBytes`), and at close,
 * the snapshot is rewritten (temporary file, then rename) and the journal emptied: the cost of a
 * compaction is paid by at least as many bytes of journal, so the disk work stays proportional to
 * the changes. A crash between the rename and the truncation is harmless: lines whose `seq` the
 * snapshot already covers (`journalSeq`) are skipped on load, and a torn last line is ignored.
 */
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JsonObject } from './fields.js';
import type { Snapshot, StoredEntry } from './store.js';

/** The file operations persistence uses (tests pass their own). */
export interface PersistenceFs {
  readFile(path: string): Promise<string>;
  appendFile(path: string, data: string): Promise<void>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string): Promise<void>;
}

const nodeFs: PersistenceFs = {
  readFile: (path) => fsp.readFile(path, 'utf8'),
  appendFile: (path, data) => fsp.appendFile(path, data),
  writeFile: (path, data) => fsp.writeFile(path, data),
  rename: (from, to) => fsp.rename(from, to),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
};

/** What persistence reads from the live store (synchronously, when it writes). */
export interface PersistenceSource {
  resourceVersion(): number;
  /** The live entry under `key` (undefined: deleted). Read, never changed. */
  entry(key: string): StoredEntry | undefined;
  entries(): Iterable<[string, StoredEntry]>;
}

export interface JournalPersistenceOptions {
  readonly file: string;
  /** Changes made within this long are written together. @default 50 */
  readonly debounceMs?: number;
  /** The journal is compacted once it is larger than the last snapshot and than this. @default 1 MiB */
  readonly compactMinBytes?: number;
  readonly fs?: PersistenceFs;
  readonly onError?: (e: unknown) => void;
}

interface SnapshotFile extends Snapshot {
  /** The last journal line this snapshot includes. @default 0 */
  readonly journalSeq?: number;
}

interface JournalLine {
  readonly seq: number;
  readonly resourceVersion: number;
  readonly put?: Array<[string, StoredEntry]>;
  readonly delete?: string[];
}

export class JournalPersistence {
  readonly journalFile: string;
  private readonly fs: PersistenceFs;
  private readonly debounceMs: number;
  private readonly compactMinBytes: number;
  private source?: PersistenceSource;
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private seq = 0;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private compactOnAttach = false;
  private closed = false;
  /** Writes made (journal appends and snapshots), for tests and figures. */
  readonly counts = { appends: 0, appendedBytes: 0, snapshots: 0, snapshotBytes: 0 };

  constructor(private readonly o: JournalPersistenceOptions) {
    this.journalFile = `${o.file}.journal`;
    this.fs = o.fs ?? nodeFs;
    this.debounceMs = o.debounceMs ?? 50;
    this.compactMinBytes = o.compactMinBytes ?? 1024 * 1024;
  }

  /**
   * The stored state: the snapshot with the journal's later lines applied (undefined: nothing
   * stored yet). `keyOf` keys the snapshot's entries as the store does.
   */
  async load(keyOf: (obj: JsonObject) => string | undefined): Promise<Snapshot | undefined> {
    const snapshotText = await this.read(this.o.file);
    const journalText = await this.read(this.journalFile);
    if (snapshotText === undefined && journalText === undefined) return undefined;
    const snapshot: SnapshotFile = snapshotText
      ? (JSON.parse(snapshotText) as SnapshotFile)
      : { resourceVersion: 0, entries: [] };
    this.snapshotBytes = snapshotText?.length ?? 0;
    this.seq = snapshot.journalSeq ?? 0;
    let resourceVersion = snapshot.resourceVersion;
    const entries = new Map<string, StoredEntry>();
    // An object of a kind `keyOf` does not know yet (one a stored CRD defines) is tried again
    // after the others, which taught it the kind.
    const later: StoredEntry[] = [];
    for (const entry of snapshot.entries) {
      const key = keyOf(entry.obj);
      if (key) entries.set(key, entry);
      else later.push(entry);
    }
    for (const entry of later) {
      const key = keyOf(entry.obj);
      if (key) entries.set(key, entry);
    }
    for (const text of (journalText ?? '').split('\n')) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        break; // a torn last line: the write that was cut short is lost, nothing after it was written
      }
      if (line.seq <= (snapshot.journalSeq ?? 0)) continue; // in the snapshot already
      for (const [key, entry] of line.put ?? []) entries.set(key, entry);
      for (const key of line.delete ?? []) entries.delete(key);
      resourceVersion = Math.max(resourceVersion, line.resourceVersion);
      this.seq = Math.max(this.seq, line.seq);
    }
    // Appending after a torn line would corrupt the next one: start from a fresh snapshot.
    this.compactOnAttach = Boolean(journalText);
    return { resourceVersion, entries: [...entries.values()] };
  }

  /** Starts persisting `source`'s changes (after `load` and the store's restore). */
  async attach(source: PersistenceSource): Promise<void> {
    this.source = source;
    if (this.compactOnAttach) {
      this.compactOnAttach = false;
      await this.exclusive(() => this.compact());
    }
  }

  /** Objects changed (or deleted): written within `debounceMs`, together with the other changes. */
  changed(keys: Iterable<string>): void {
    for (const key of keys) this.dirty.add(key);
    this.schedule();
  }

  /** Writes what is pending now (the debounce cut short), after the write in flight. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.exclusive(() => this.persistDirty());
  }

  /** Writes what is pending and compacts; later changes are not written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.exclusive(async () => {
      await this.writeDirty();
      if (this.source && (this.journalBytes > 0 || this.counts.snapshots === 0)) await this.compact();
    });
  }

  private schedule(): void {
    if (this.closed || this.timer || this.writing || !this.source || this.dirty.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exclusive(() => this.persistDirty());
    }, this.debounceMs);
  }

  /** Runs `work` when no other write runs (one at a time); errors are reported, not thrown. */
  private async exclusive(work: () => Promise<void>): Promise<void> {
    while (this.writing) await this.writing;
    const run = work().catch((e: unknown) => this.o.onError?.(e));
    this.writing = run;
    await run;
    if (this.writing === run) this.writing = undefined;
    this.schedule(); // changes made meanwhile
  }

  /** Appends the pending changes; compacts when the journal has outgrown the snapshot. */
  private async persistDirty(): Promise<void> {
    await this.writeDirty();
    if (this.journalBytes > Math.max(this.compactMinBytes, this.snapshotBytes)) await this.compact();
  }

  private async writeDirty(): Promise<void> {
    const source = this.source;
    if (!source || this.dirty.size === 0) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    const put: Array<[string, StoredEntry]> = [];
    const deleted: string[] = [];
    for (const key of keys) {
      const entry = source.entry(key);
      if (entry) put.push([key, entry]);
      else deleted.push(key);
    }
    const line: JournalLine = {
      seq: this.seq + 1,
      resourceVersion: source.resourceVersion(),
      ...(put.length > 0 ? { put } : {}),
      ...(deleted.length > 0 ? { delete: deleted } : {}),
    };
    // Serialised now: the line is what the objects are at this moment, whatever changes next.
    const text = `${JSON.stringify(line)}\n`;
    try {
      if (this.journalBytes === 0) await this.fs.mkdir(dirname(this.journalFile));
      await this.fs.appendFile(this.journalFile, text);
    } catch (e) {
      for (const key of keys) this.dirty.add(key); // written with the next changes
      throw e;
    }
    this.seq = line.seq;
    this.journalBytes += text.length;
    this.counts.appends++;
    this.counts.appendedBytes += text.length;
  }

  private async compact(): Promise<void> {
    const source = this.source;
    if (!source) return;
    const snapshot: SnapshotFile = {
      resourceVersion: source.resourceVersion(),
      journalSeq: this.seq,
      entries: [...source.entries()].map(([, entry]) => entry),
    };
    const text = JSON.stringify(snapshot);
    const tmp = `${this.o.file}.${process.pid}.tmp`;
    await this.fs.mkdir(dirname(this.o.file));
    await this.fs.writeFile(tmp, text);
    await this.fs.rename(tmp, this.o.file);
    await this.fs.writeFile(this.journalFile, '');
    this.journalBytes = 0;
    this.snapshotBytes = text.length;
    this.counts.snapshots++;
    this.counts.snapshotBytes += text.length;
  }

  private async read(file: string): Promise<string | undefined> {
    try {
      return await this.fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
