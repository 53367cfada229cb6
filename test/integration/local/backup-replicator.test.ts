import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackupReplicator } from '../../../local/runtime/backup-replicator.js';
import { localS3Client } from '../../../local/runtime/control-plane.js';
import { type LocalSqs, startLocalSqs } from '../../../local/runtime/sqs.js';

/**
 * The local S3 replication of backup buckets against the local object store (fauxqs), driven pass
 * by pass with a clock the test moves: the lag, deletions, several sources into one copy bucket.
 */
describe('Local backup replication (S3 replication of backup buckets)', () => {
  let sqs: LocalSqs;
  let s3: ReturnType<typeof localS3Client>;
  let t = 0;
  const now = () => t;
  const HOUR = 3_600_000; // the timer never fires: passes run when the test says
  const keys = async (bucket: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
  const put = (bucket: string, key: string, body = 'x') =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  beforeAll(async () => {
    sqs = await startLocalSqs({ host: '127.0.0.1', defaultRegion: 'eu-west-1' });
    s3 = localS3Client(sqs.address, 'eu-west-1');
    for (const b of ['src-a', 'src-b', 'copies', 'lagged', 'lagged-copies']) {
      await s3.send(new CreateBucketCommand({ Bucket: b }));
    }
  });
  afterAll(async () => {
    s3?.destroy();
    await sqs?.stop();
  });

  it('copies an object once it has waited the lag, under the same key, and a changed one again', async () => {
    // Prepare
    const r = startBackupReplicator(s3, [{ source: 'lagged', destination: 'lagged-copies' }], {
      lagMs: 1000,
      intervalMs: HOUR,
      now,
    });
    await put('lagged', 'tn/cl/bk/dump', 'v1');

    // Act
    await r.tick(); // first seen
    t += 999;
    await r.tick();
    const early = await keys('lagged-copies');
    t += 1;
    await r.tick();
    const copied = await keys('lagged-copies');
    await put('lagged', 'tn/cl/bk/dump', 'v2-longer');
    await r.tick();
    t += 1000;
    await r.tick();
    const size = await (await s3.send(new ListObjectsV2Command({ Bucket: 'lagged-copies' }))).Contents?.[0]
      ?.Size;
    await r.stop();

    // Assess
    expect(early).toEqual([]);
    expect(copied).toEqual(['tn/cl/bk/dump']);
    expect(size).toBe('v2-longer'.length);
    expect(r.stats()).toEqual({ copied: 2, deleted: 0, pending: 0 });
  });

  it("replicates deletions of what it copied only: one copy bucket holds several regions' copies", async () => {
    // Prepare: two sources into one copy bucket, and an object written there by someone else
    const r = startBackupReplicator(
      s3,
      [
        { source: 'src-a', destination: 'copies' },
        { source: 'src-b', destination: 'copies' },
      ],
      { lagMs: 0, intervalMs: HOUR, now },
    );
    await put('src-a', 'a/1');
    await put('src-b', 'b/1');
    await put('copies', 'other/1');
    await r.flush();
    const both = await keys('copies');

    // Act: a/1 is deleted in its source; src-b never had a/1 or other/1
    await s3.send(new DeleteObjectCommand({ Bucket: 'src-a', Key: 'a/1' }));
    await r.tick();
    const after = await keys('copies');
    await r.stop();

    // Assess
    expect(both).toEqual(['a/1', 'b/1', 'other/1']);
    expect(after).toEqual(['b/1', 'other/1']);
    expect(r.stats()).toMatchObject({ copied: 2, deleted: 1 });
  });

  it('reports a source bucket that is gone and goes on with the other links', async () => {
    // Prepare
    const errors: string[] = [];
    const r = startBackupReplicator(
      s3,
      [
        { source: 'missing', destination: 'copies' },
        { source: 'src-b', destination: 'copies' },
      ],
      { lagMs: 0, intervalMs: HOUR, now, onError: (_e, link) => errors.push(link.source) },
    );
    await put('src-b', 'b/2');

    // Act
    await r.flush();
    await r.stop();

    // Assess
    expect(errors).toEqual(['missing']);
    expect(await keys('copies')).toContain('b/2');
  });

  it('copies on its timer, and not while paused', async () => {
    // Prepare
    await s3.send(new CreateBucketCommand({ Bucket: 'timed' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'timed-copies' }));
    const r = startBackupReplicator(s3, [{ source: 'timed', destination: 'timed-copies' }], {
      lagMs: 0,
      intervalMs: 20,
    });
    r.pause();
    await put('timed', 'k');

    // Act
    await new Promise((resolve) => setTimeout(resolve, 200));
    const paused = await keys('timed-copies');
    r.resume();
    let resumed: Array<string | undefined> = [];
    for (let i = 0; i < 100 && resumed.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      resumed = await keys('timed-copies');
    }
    await r.stop();

    // Assess
    expect(paused).toEqual([]);
    expect(resumed).toEqual(['k']);
  });
});
