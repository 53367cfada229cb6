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
});
export type ProvisioningMessage = z.infer<typeof ProvisioningMessageSchema>;
