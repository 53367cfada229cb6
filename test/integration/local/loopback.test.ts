import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

const run = promisify(execFile);

interface Listener {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
}

/** Our own children (DynamoDB Local's JVM) and this process: everything `npm start` runs. */
async function ourPids(): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(process.pid)]);
    return [process.pid, ...stdout.split('\n').filter(Boolean).map(Number)];
  } catch (e) {
    if ((e as { code?: number }).code === 1) return [process.pid];
    throw e;
  }
}

/** The socket inodes a process holds (its fds that are `socket:[inode]`). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // exited meanwhile
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** `/proc/net/tcp*` addresses are hex, in host byte order per 32-bit word (little-endian here). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket, written as IPv4 is.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Every TCP socket in LISTEN state held by `pids`, from /proc/net/tcp and /proc/net/tcp6. */
function listeners(pids: readonly number[]): Listener[] {
  const owner = new Map<string, number>();
  for (const pid of pids) for (const inode of socketInodes(pid)) owner.set(inode, pid);
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (!local || state !== '0A' || !inode) continue; // 0A: LISTEN
      const pid = owner.get(inode);
      if (pid === undefined) continue;
      const [addr = '', port = ''] = local.split(':');
      out.push({ address: decodeAddress(addr), port: Number.parseInt(port, 16), pid });
    }
  }
  return out;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

describe('Local runtime: network exposure', () => {
  let rt: LocalRuntime;

  beforeAll(async () => {
    // A DynamoDB Local of its own: the run's shared one is not this process's child.
    rt = await startTestRuntime({ ownDynamo: true });
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it.runIf(process.platform === 'linux')(
    'listens on the loopback interface only: API, bus, Kubernetes stand-in (HTTPS and HTTP), SQS and DynamoDB Local',
    async () => {
      // Act
      const found = listeners(await ourPids());

      // Assess: every service of the runtime was seen listening (the check is not vacuous)...
      const ports = new Set(found.map((l) => l.port));
      const services = {
        api: rt.apiUrl,
        bus: rt.bus.url,
        kube: rt.kube?.url ?? '',
        kubePlain: rt.kube?.plainUrl ?? '',
        sqs: rt.plane.endpoints.sqs,
        dynamodb: rt.plane.endpoints.dynamodb,
      };
      for (const [name, url] of Object.entries(services)) {
        expect(ports.has(Number(new URL(url).port)), `${name} (${url}) listens`).toBe(true);
      }
      // ...and nothing listens beyond this machine (0.0.0.0, ::, or a LAN address).
      const exposed = found.filter((l) => !LOOPBACK.test(l.address));
      expect(exposed, JSON.stringify(found)).toEqual([]);
    },
  );
});
