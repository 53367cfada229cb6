import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ResolvedProfile } from './config.js';
import { CliError, EXIT } from './exit-codes.js';
import type { Format } from './output.js';

interface BusEvent {
  time?: string;
  'detail-type'?: string;
  detail?: { clusterId?: string; operationId?: string; previousStatus?: string | null; status?: string };
}

export interface TailOptions {
  readonly profile: ResolvedProfile;
  readonly region: string | undefined;
  readonly follow?: boolean;
  readonly lines: number;
  readonly cluster?: string;
  readonly format: Format;
  readonly write: (line: string) => void;
  /** Interval of --follow's reads. @default 500 */
  readonly pollMs?: number;
  /** Ends --follow (the CLI aborts it on SIGINT and SIGTERM). */
  readonly signal?: AbortSignal;
}

/**
 * The local bus's events (npm start appends each to <data>/regions/<region>/events.jsonl): the last
 * `lines` of them, then with --follow each new one until `signal` aborts. In AWS the events are on
 * EventBridge: subscribe a rule to them (docs/events.md).
 */
export async function tailEvents(opts: TailOptions): Promise<void> {
  if (!opts.profile.dataDir)
    throw new CliError(
      `events tail reads the local runtime's events file, and ${opts.profile.source} is not the local runtime: ` +
        'in AWS, subscribe an EventBridge rule to source stratus.control-plane (docs/events.md)',
      EXIT.VALIDATION,
    );
  const region = opts.region ?? Object.keys(opts.profile.regions ?? {})[0];
  if (!region) throw new CliError('events tail needs --region <region>', EXIT.VALIDATION);
  const file = join(opts.profile.dataDir, 'regions', region, 'events.jsonl');
  const print = (line: string) => {
    let event: BusEvent;
    try {
      event = JSON.parse(line) as BusEvent;
    } catch {
      return; // a line being written: skipped, the next read has it whole
    }
    if (opts.cluster && event.detail?.clusterId !== opts.cluster) return;
    opts.write(formatEvent(event, opts.format));
  };

  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!opts.follow)
      throw new CliError(`no events yet in region ${region} (${file} does not exist)`, EXIT.NOT_FOUND);
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete.split('\n').filter(Boolean);
  const wanted = opts.cluster ? lines.filter((l) => l.includes(`"${opts.cluster}"`)) : lines;
  for (const line of opts.lines === 0 ? [] : wanted.slice(-opts.lines)) print(line);
  if (!opts.follow) return;

  let offset = Buffer.byteLength(complete);
  let partial = '';
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    let reading = false;
    const timer = setInterval(() => {
      if (reading) return;
      reading = true;
      readFrom(file, offset)
        .then((chunk) => {
          offset += chunk.length;
          const all = partial + chunk.toString('utf8');
          const end = all.lastIndexOf('\n');
          partial = all.slice(end + 1);
          for (const line of all.slice(0, end + 1).split('\n')) if (line) print(line);
        })
        .catch((e: unknown) => {
          clearInterval(timer);
          reject(e);
        })
        .finally(() => {
          reading = false;
        });
    }, opts.pollMs ?? 500);
    if (opts.signal?.aborted) stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
  if (size <= offset) return Buffer.alloc(0);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

export function formatEvent(event: BusEvent, format: Format): string {
  if (format === 'json') return JSON.stringify(event);
  if (format === 'yaml') return `---\n${stringify(event).trimEnd()}`;
  const d = event.detail ?? {};
  const parts = [event.time ?? '-', event['detail-type'] ?? '-'];
  if (d.clusterId) parts.push(`cluster=${d.clusterId}`);
  if (d.operationId) parts.push(`operation=${d.operationId}`);
  if (d.status !== undefined) parts.push(`${d.previousStatus ?? 'null'} -> ${d.status}`);
  return parts.join('  ');
}
