import * as z from 'zod';

/** Body of a provisioning queue message: which operation to advance. Versioned. */
export const ProvisioningMessageSchema = z.strictObject({
  v: z.literal(1),
  tenantId: z.string().min(1).max(64),
  operationId: z.string().min(1).max(64),
  clusterId: z.string().min(1).max(64),
  /** Why it was sent: the first dispatch, a readiness poll, or a retry after a transient error. */
  reason: z.enum(['dispatch', 'poll', 'retry']),
  /** Polls or retries so far, for backoff. */
  attempt: z.int().min(0).max(10_000),
  /**
   * The workflow step this message may claim on its operation (docs/operations.md, "One delivery
   * owns a step"): absent (0) on a dispatch, one more than its sender's on every message the
   * provisioner sends itself. Optional, so messages of version 1 without it still parse.
   */
  seq: z.int().min(0).max(1_000_000).optional(),
  /**
   * The operation's correlation id (the API request's `X-Correlation-Id`), so that every log line
   * of the message's work carries it (docs/operations.md, "Following a request"). Optional, so
   * messages sent before it was added still parse; the provisioner's own messages copy it.
   */
  correlationId: z.string().min(1).max(100).optional(),
});
export type ProvisioningMessage = z.infer<typeof ProvisioningMessageSchema>;
