import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../../functions/topology.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

/** The real provisioner behind the local queue mapping, fauxqs doing the redrive. */
describe('Queue: provisioning', () => {
  let rt: LocalRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime({ visibilityTimeoutSeconds: 1 });
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('moves a poison message to the DLQ after maxReceiveCount receives, never looping', async () => {
    const queueUrl = rt.queueUrls.provisioning ?? '';
    const dlqUrl = rt.queueUrls['provisioning-dlq'] ?? '';
    const failedBefore = rt.triggers.queues[0]?.failed ?? 0;
    await rt.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not":"a provisioning message"}' }),
    );

    const dead = await eventually(
      async () =>
        (
          await rt.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: dlqUrl,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
            }),
          )
        ).Messages ?? [],
      (m) => m.length > 0,
      30_000,
    );
    expect(dead[0]?.Body).toBe('{"not":"a provisioning message"}');
    const failures = (rt.triggers.queues[0]?.failed ?? 0) - failedBefore;
    expect(failures).toBe(QUEUES.provisioning.maxReceiveCount);
  }, 40_000);
});
