/**
 * S3 replication of the backup buckets, locally: what the CDK app configures when a region has
 * `backupCopyTo` (lib/region-stack.ts: the region's backup bucket replicates, deletions too, to the
 * copy bucket in the other region). The local object store (fauxqs) replicates nothing itself, so
 * this copies, every `intervalMs`, each object that is new or changed in a source bucket to its
 * copy bucket once it has been there `lagMs` (S3 replication takes seconds to minutes: a restore
 * from a copy of a backup just taken can find nothing yet), and deletes from the copy bucket what
 * it copied and the source no longer has.
 *
 * Not emulated: replication status on the objects, versions and delete markers (the local store
 * keeps neither), Replication Time Control, replication of objects written before the link.
 * State is in memory, as the local object store is: after a restart both start empty.
 */
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface ReplicationLink {
  /** The source region's backup bucket. */
  readonly source: string;
  /** The copy bucket in the destination region. */
  readonly destination: string;
}

export interface BackupReplicatorOptions {
  /** How long a new or changed object waits before it is copied. @default 1000 */
  readonly lagMs?: number;
  /** How often the buckets are compared. @default 200 */
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** A pass failed (a bucket gone, the store unreachable): the next pass tries again. */
  readonly onError?: (error: unknown, link: ReplicationLink) => void;
}

export interface BackupReplicatorStats {
  readonly copied: number;
  readonly deleted: number;
  /** Objects seen in a source and not copied yet (waiting for the lag, or paused). */
  readonly pending: number;
}

export interface BackupReplicator {
  /** Stops copying (objects written meanwhile wait) until `resume`. */
  pause(): void;
  resume(): void;
  /** Copies everything pending now, lag or not (a test's "replication caught up"). */
  flush(): Promise<void>;
  /** One pass, as the timer runs it: copies what has waited `lagMs`, paused or not. */
  tick(): Promise<void>;
  stats(): BackupReplicatorStats;
  stop(): Promise<void>;
}

interface LinkState {
  readonly link: ReplicationLink;
  /** Source key -> ETag and when that version was first seen. */
  readonly seen: Map<string, { etag: string; at: number }>;
  /** Source key -> the ETag copied: only these are deleted from the copy bucket. */
  readonly copied: Map<string, string>;
}

async function listAll(s3: S3Client, bucket: string): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? []) if (o.Key) objects.set(o.Key, o.ETag ?? '');
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** Starts replicating `links` (none: a replicator that does nothing). */
export function startBackupReplicator(
  s3: S3Client,
  links: readonly ReplicationLink[],
  opts: BackupReplicatorOptions = {},
): BackupReplicator {
  const lagMs = opts.lagMs ?? 1000;
  const intervalMs = opts.intervalMs ?? 200;
  const now = opts.now ?? Date.now;
  const states: LinkState[] = links.map((link) => ({ link, seen: new Map(), copied: new Map() }));
  let paused = false;
  let stopped = false;
  let copied = 0;
  let deleted = 0;
  let running: Promise<void> = Promise.resolve();

  const pass = async (force: boolean) => {
    for (const state of states) {
      try {
        await replicate(state, force);
      } catch (e) {
        opts.onError?.(e, state.link);
      }
    }
  };

  const replicate = async (state: LinkState, force: boolean) => {
    const { source, destination } = state.link;
    const objects = await listAll(s3, source);
    const at = now();
    for (const [key, etag] of objects) {
      if (state.copied.get(key) === etag) continue;
      const seen = state.seen.get(key);
      if (!seen || seen.etag !== etag) {
        state.seen.set(key, { etag, at });
        if (!force) continue;
      } else if (!force && at - seen.at < lagMs) {
        continue;
      }
      await s3.send(
        new CopyObjectCommand({
          Bucket: destination,
          Key: key,
          CopySource: `${source}/${key.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
      state.copied.set(key, etag);
      state.seen.delete(key);
      copied++;
    }
    // Deletions replicate too (the CDK app's rule), and only what this link copied: one copy
    // bucket holds the copies of every region that copies to it.
    const gone = [...state.copied.keys()].filter((k) => !objects.has(k));
    for (const key of [...state.seen.keys()]) if (!objects.has(key)) state.seen.delete(key);
    if (gone.length === 0) return;
    for (let i = 0; i < gone.length; i += 1000) {
      const chunk = gone.slice(i, i + 1000);
      await s3.send(
        new DeleteObjectsCommand({ Bucket: destination, Delete: { Objects: chunk.map((Key) => ({ Key })) } }),
      );
    }
    for (const key of gone) state.copied.delete(key);
    deleted += gone.length;
  };

  let inFlight = 0;
  const run = (force: boolean) => {
    inFlight++;
    running = running.then(() => pass(force)).finally(() => inFlight--);
    return running;
  };
  // A tick while a pass still runs (a slow listing on a busy machine) is skipped, not queued.
  const timer =
    states.length > 0
      ? setInterval(() => {
          if (!paused && !stopped && inFlight === 0) void run(false);
        }, intervalMs)
      : undefined;
  timer?.unref();

  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    flush: () => run(true),
    tick: () => run(false),
    stats: () => ({
      copied,
      deleted,
      pending: states.reduce((n, s) => n + s.seen.size, 0),
    }),
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
