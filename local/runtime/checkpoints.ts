import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Stream positions per consumer and shard, kept in a file so a restarted `npm start` resumes
 * where it stopped instead of replaying the whole stream (in-memory when no file is given).
 */
export class Checkpoints {
  private data: Record<string, Record<string, string>> = {};
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file?: string) {}

  static async open(file?: string): Promise<Checkpoints> {
    const c = new Checkpoints(file);
    if (file) {
      try {
        c.data = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        c.data = {};
      }
    }
    return c;
  }

  get(consumer: string, shardId: string): string | undefined {
    return this.data[consumer]?.[shardId];
  }

  async set(consumer: string, shardId: string, sequenceNumber: string): Promise<void> {
    this.data[consumer] = { ...this.data[consumer], [shardId]: sequenceNumber };
    const file = this.file;
    if (!file) return;
    const snapshot = JSON.stringify(this.data);
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, snapshot);
      await rename(`${file}.tmp`, file);
    });
    await this.writing;
  }
}
