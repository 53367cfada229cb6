/**
 * The objects of a backup in the backup bucket: counted when a backup ends (a backup that stored
 * nothing did not succeed), removed when it is deleted. Never credentials: the functions' own
 * roles (docs/security.md).
 */
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { BackupStore } from './domain/cluster.js';
import { tracer } from './observability.js';

/**
 * The backup bucket's client, in the modules that read or delete backups only (the API loads its
 * backup routes on first use). `pathStyle` when the endpoint is not AWS's (`AWS_ENDPOINT_URL_S3`:
 * the local object store answers on one host, not one per bucket).
 */
export function s3Client(pathStyle: boolean): S3Client {
  return tracer.captureAWSv3Client(new S3Client({ forcePathStyle: pathStyle }));
}

/**
 * S3 refused to delete objects because Object Lock keeps them (a version whose retention has not
 * passed): the backup's deletion must wait, it did not fail.
 */
export class BackupObjectsLockedError extends Error {
  override readonly name = 'BackupObjectsLockedError';
  constructor(readonly locked: number) {
    super(`${locked} backup objects are locked (S3 Object Lock)`);
  }
}

/** A per-key DeleteObjects error that means Object Lock protects the version. */
const lockedByObjectLock = (e: { Code?: string | undefined; Message?: string | undefined }) =>
  e.Code === 'AccessDenied' && /object lock/i.test(e.Message ?? '');

export interface BackupObjects {
  /** How many objects, and bytes, are stored under the prefix. */
  measure(store: BackupStore): Promise<{ readonly objects: number; readonly bytes: number }>;
  /**
   * Deletes every object under the prefix (every version stays until the bucket's lifecycle expires
   * it); returns how many. Throws BackupObjectsLockedError when Object Lock refused some.
   */
  remove(store: BackupStore): Promise<number>;
}

export function s3BackupObjects(s3: S3Client): BackupObjects {
  async function* pages(store: BackupStore) {
    let token: string | undefined;
    do {
      const res = await s3.send(
        new ListObjectsV2Command({ Bucket: store.bucket, Prefix: store.prefix, ContinuationToken: token }),
      );
      yield res.Contents ?? [];
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }
  return {
    async measure(store) {
      let objects = 0;
      let bytes = 0;
      for await (const page of pages(store)) {
        objects += page.length;
        for (const o of page) bytes += o.Size ?? 0;
      }
      return { objects, bytes };
    },
    async remove(store) {
      let removed = 0;
      for await (const page of pages(store)) {
        const keys = page.flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length === 0) continue;
        const res = await s3.send(
          new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        if (res.Errors?.length) {
          const locked = res.Errors.filter(lockedByObjectLock).length;
          if (locked === res.Errors.length) throw new BackupObjectsLockedError(locked);
          throw new Error(`could not delete ${res.Errors.length} backup objects: ${res.Errors[0]?.Code}`);
        }
        removed += keys.length;
      }
      return removed;
    },
  };
}
