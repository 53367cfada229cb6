import { parseArgs } from 'node:util';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { ProvisioningMessage } from '../functions/shared/schemas/messages.js';
import { type RehomeResult, rehome } from '../functions/shared/store/regions.js';
import { RegionAccess } from './access.js';

export const usage = `npm run admin -- regions status [--local]
npm run admin -- regions takeover --from <failed region> --to <region> [--reason <text>] [--local]
npm run admin -- regions handback --region <recovered region> [--timeout-seconds 120] [--local]

takeover: <to> manages <from>'s clusters while <from>'s control plane is down. It records the
takeover, re-homes <from>'s tenants, clusters and unfinished operations to <to> (writing only in
<to>'s replica), and sends those operations to <to>'s provisioning queue, where they resume.
Run it only once <from>'s functions are stopped (docs/operations.md, "Region failover"); running
it again moves whatever replicated late.
handback: the region managing <region> gives it back: the same moves the other way, once
<region>'s replica shows them.`;

/** One operator-visible step, with its time since the command started. */
export type Log = (line: string) => void;

export interface MoveReport extends Omit<RehomeResult, 'operations'> {
  readonly operations: number;
  /** Milliseconds from the command's start to the control change being written. */
  readonly controlWrittenMs: number;
  readonly totalMs: number;
}

async function sendToQueue(
  access: RegionAccess,
  region: string,
  ops: RehomeResult['operations'],
  delaySeconds = 0,
): Promise<void> {
  if (ops.length === 0) return;
  const url = await access.queueUrl(region, 'provisioning');
  for (let i = 0; i < ops.length; i += 10) {
    const chunk = ops.slice(i, i + 10);
    const res = await access.sqs(region).send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((op, j) => {
          const message: ProvisioningMessage = {
            v: 1,
            tenantId: op.tenantId,
            operationId: op.operationId,
            clusterId: op.clusterId,
            reason: 'dispatch',
            attempt: 0,
          };
          return { Id: String(j), MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds };
        }),
      }),
    );
    if (res.Failed?.length) {
      throw new Error(
        `could not queue ${res.Failed.length} operation(s) in ${region}: ${res.Failed.map((f) => f.Message).join('; ')}; run the command again`,
      );
    }
  }
}

/**
 * `to` takes over `from`: written in `to`'s replica only. Refuses a chain (a region managed by
 * another, or `from` managing others) so that every item keeps exactly one writer region.
 */
export async function takeover(
  access: RegionAccess,
  from: string,
  to: string,
  opts: { reason?: string; log?: Log; now?: () => Date } = {},
): Promise<MoveReport> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const started = Date.now();
  if (from === to) throw new Error('--from and --to must differ');
  const store = access.store(to);
  const controllers = await store.regions.controllers();
  if (controllers[to]) throw new Error(`${to} is itself managed by ${controllers[to]}: hand it back first`);
  const managedByFrom = Object.entries(controllers).filter(([, c]) => c === from);
  if (managedByFrom.length > 0) {
    throw new Error(`${from} manages ${managedByFrom.map(([r]) => r).join(', ')}: hand those back first`);
  }
  const current = controllers[from] ?? from;
  if (current !== from && current !== to) {
    throw new Error(`${from} is managed by ${current}: hand it back before another takeover`);
  }
  if (current === from) {
    await store.table.transact('take over', {
      control: store.regions.setController(
        from,
        from,
        now().toISOString(),
        opts.reason ?? `takeover of ${from}`,
      ),
    });
    log(`${to} now manages ${from} (control written in ${to})`);
  } else {
    log(`${to} already manages ${from}: moving what is left`);
  }
  const controlWrittenMs = Date.now() - started;
  const moved = await rehome(store.table, from, to, now().toISOString(), {
    cluster: () => true,
    tenant: () => true,
  });
  log(
    `re-homed ${moved.tenants} tenant(s), ${moved.clusters} cluster(s), ${moved.operations.length} unfinished operation(s)`,
  );
  await sendToQueue(access, to, moved.operations);
  if (moved.operations.length) log(`queued ${moved.operations.length} operation(s) in ${to}`);
  if (moved.skipped) log(`${moved.skipped} item(s) changed meanwhile: run the command again`);
  return { ...moved, operations: moved.operations.length, controlWrittenMs, totalMs: Date.now() - started };
}

/**
 * The region managing `region` gives it back. Written in the manager's replica; the operations
 * are queued in `region` only once its replica shows them re-homed (a provisioner ignores an
 * operation it does not manage), waiting at most `timeoutMs`.
 */
export async function handback(
  access: RegionAccess,
  region: string,
  opts: { log?: Log; now?: () => Date; timeoutMs?: number; pollMs?: number } = {},
): Promise<MoveReport> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const started = Date.now();
  const controllers = await access.store(region).regions.controllers();
  const manager = controllers[region];
  if (!manager) throw new Error(`${region} manages itself: nothing to hand back`);
  const store = access.store(manager);
  const seenByManager = (await store.regions.controllers())[region];
  if (seenByManager !== manager) {
    throw new Error(
      `${manager}'s replica says ${region} is managed by ${seenByManager ?? region}: check replication`,
    );
  }
  await store.table.transact('hand back', {
    control: store.regions.handBack(region, region, now().toISOString(), `handback of ${region}`),
  });
  log(`${region} manages itself again (control written in ${manager})`);
  const controlWrittenMs = Date.now() - started;
  const moved = await rehome(store.table, manager, region, now().toISOString(), {
    cluster: (c) => c.region === region,
    tenant: (t) => t.originalHomeRegion === region,
  });
  log(
    `re-homed ${moved.tenants} tenant(s), ${moved.clusters} cluster(s), ${moved.operations.length} unfinished operation(s)`,
  );

  // Wait for the returning region's replica to show the moves before its provisioner gets them.
  const target = access.store(region);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const ops = await Promise.all(
      moved.operations.map((o) => target.operations.get(o.tenantId, o.operationId)),
    );
    const control = (await target.regions.controllers())[region];
    const waiting = ops.filter((o) => o && o.homeRegion !== region && o.status !== 'SUCCEEDED').length;
    if (!control && waiting === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${region}'s replica does not show the handback after ${opts.timeoutMs ?? 120_000} ms (${waiting} operation(s) not there yet): check replication, then run the command again`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  await sendToQueue(access, region, moved.operations);
  if (moved.operations.length) log(`queued ${moved.operations.length} operation(s) in ${region}`);
  return { ...moved, operations: moved.operations.length, controlWrittenMs, totalMs: Date.now() - started };
}

export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      region: { type: 'string' },
      reason: { type: 'string' },
      'timeout-seconds': { type: 'string' },
      data: { type: 'string' },
      local: { type: 'boolean', default: false },
    },
  });
  const access = new RegionAccess({
    local: values.local ?? false,
    ...(values.data ? { dataDir: values.data } : {}),
  });
  const started = Date.now();
  const log: Log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  try {
    if (command === 'status') {
      const view: Record<string, Record<string, string>> = {};
      for (const r of access.regions) {
        const controllers = await access.store(r).regions.controllers();
        view[r] = Object.fromEntries(access.regions.map((x) => [x, controllers[x] ?? x]));
      }
      console.log(JSON.stringify({ managedBy: view }, null, 2));
      return;
    }
    if (command === 'takeover') {
      const from = access.assertRegion(values.from, '--from');
      const to = access.assertRegion(values.to, '--to');
      const report = await takeover(access, from, to, {
        log,
        ...(values.reason ? { reason: values.reason } : {}),
      });
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    if (command === 'handback') {
      const region = access.assertRegion(values.region, '--region');
      const t = values['timeout-seconds'];
      const timeoutSeconds = t === undefined ? 120 : Number(t);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0)
        throw new Error('--timeout-seconds must be a positive integer');
      const report = await handback(access, region, { log, timeoutMs: timeoutSeconds * 1000 });
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    throw new Error(`unknown command "${command ?? ''}"`);
  } finally {
    access.destroy();
  }
}
