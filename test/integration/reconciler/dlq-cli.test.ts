import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DlqReport, run } from '../../../cli/dlq.js';
import { QUEUES } from '../../../functions/topology.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

/**
 * `npm run admin -- dlq ...` against the local runtime's fauxqs, found through the runtime's
 * local.json as an operator's shell would find it.
 */
describe('CLI: dlq', () => {
  let rt: LocalRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-dlq-'));
    rt = await startTestRuntime({ visibilityTimeoutSeconds: 1, dataDir });
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => {
    await rt?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function admin(...args: string[]): Promise<string[]> {
    const lines: string[] = [];
    await run([...args, '--region', rt.region, '--data', dataDir], (l) => lines.push(l));
    return lines;
  }
  const listJson = async () => JSON.parse((await admin('list', '--json')).join('\n')) as DlqReport[];
  const provisioningDlq = (reports: DlqReport[]) => reports.find((r) => r.queue.id === 'provisioning');

  it('lists a poison message by operation id, then redrives it to the provisioning queue', async () => {
    // Prepare: a message the provisioner can never handle (it fails the message schema).
    const poison = JSON.stringify({
      operationId: 'op-poison',
      tenantId: 'tn-poison',
      clusterId: 'cl-poison',
    });
    const failedBefore = rt.triggers.queues[0]?.failed ?? 0;
    await rt.sqs.send(new SendMessageCommand({ QueueUrl: rt.queueUrls.provisioning, MessageBody: poison }));
    await eventually(listJson, (r) => provisioningDlq(r)?.visible === 1, 30_000);

    // Act: list
    const lines = await admin('list');

    // Assess: every DLQ and stream failure queue of the topology, the poison message by operation.
    expect(lines[0]).toMatch(/^Dead-letter queues of stratus-prod \(local SQS at http/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^stratus-prod-provisioning-dlq: 1 message\(s\), 0 in flight {2}-> npm run admin -- dlq redrive/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /operation op-poison \(tenant tn-poison, cluster cl-poison\) {2}\[received \d+x, sent /,
      ),
    );
    expect(lines).toContainEqual('stratus-prod-dispatcher-stream-failures: 0 message(s), 0 in flight');
    expect(lines).toContainEqual('stratus-prod-statusPublisher-stream-failures: 0 message(s), 0 in flight');
    // Peeking left it in the DLQ, visible.
    expect(provisioningDlq(await listJson())?.visible).toBe(1);
    expect((rt.triggers.queues[0]?.failed ?? 0) - failedBefore).toBe(QUEUES.provisioning.maxReceiveCount);

    // Act: redrive
    const moved = await admin('redrive', '--queue', 'provisioning', '--max', '100');

    // Assess: moved back, consumed (and failed) again, and back in the DLQ: never lost, never looping.
    expect(moved).toEqual([
      expect.stringMatching(/^stratus-prod-provisioning-dlq -> stratus-prod-provisioning: moved 1 /),
    ]);
    expect(provisioningDlq(await listJson())).toMatchObject({ visible: 0, inFlight: 0 });
    await eventually(
      async () => (rt.triggers.queues[0]?.failed ?? 0) - failedBefore,
      (n) => n > QUEUES.provisioning.maxReceiveCount,
    );
    const back = await eventually(listJson, (r) => provisioningDlq(r)?.visible === 1, 30_000);
    expect(provisioningDlq(back)?.messages[0]?.operationId).toBe('op-poison');

    // A redrive of an empty queue moves nothing.
    await admin('redrive', '--queue', 'provisioning', '--max', '1');
    expect(await admin('redrive', '--queue', 'provisioning')).toEqual([expect.stringMatching(/moved 0 /)]);
  }, 90_000);

  it('refuses what it cannot do, saying why', async () => {
    await expect(admin('redrive', '--queue', 'dispatcher-stream-failures')).rejects.toThrow(
      /--queue must be one of provisioning/,
    );
    await expect(run(['list', '--region', 'ap-south-1', '--data', dataDir])).rejects.toThrow(
      /not configured/,
    );
    await expect(admin('purge')).rejects.toThrow(/unknown command "purge"/);
  });
});
