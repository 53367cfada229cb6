import * as z from 'zod';
import { CLUSTER_STATUSES, OPERATION_STATUSES, OPERATION_TYPES } from '../domain/cluster.js';

/**
 * The event catalog: every event Stratus publishes, declared once. `source` and `detail-type`
 * never change for a given event; `detail.schemaVersion` changes only on breaking changes.
 * Subscribers deduplicate on `detail.eventId` (stable across redeliveries).
 */
export const EVENT_SOURCE = 'stratus.control-plane';

const common = {
  schemaVersion: z.literal('1'),
  /** Stable id of the logical event: `<entity id>/<statusVersion>`. */
  eventId: z.string(),
  occurredAt: z.iso.datetime(),
  tenantId: z.string(),
  region: z.string(),
  clusterId: z.string(),
  correlationId: z.string().optional(),
};

export const ClusterStatusChangedSchema = z.object({
  ...common,
  operationId: z.string().optional(),
  previousStatus: z.enum(CLUSTER_STATUSES).nullable(),
  status: z.enum(CLUSTER_STATUSES),
  statusReason: z.string().optional(),
  cluster: z.object({
    name: z.string(),
    engine: z.string(),
    version: z.string(),
    nodes: z.int(),
    generation: z.int(),
    observedGeneration: z.int(),
    endpoint: z.string().optional(),
  }),
});

export const OperationStatusChangedSchema = z.object({
  ...common,
  operationId: z.string(),
  operationType: z.enum(OPERATION_TYPES),
  previousStatus: z.enum(OPERATION_STATUSES).nullable(),
  status: z.enum(OPERATION_STATUSES),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const EVENT_CATALOG = {
  'Cluster Status Changed': {
    schema: ClusterStatusChangedSchema,
    description: 'A cluster changed status (PENDING, PROVISIONING, READY, FAILED, ...).',
  },
  'Operation Status Changed': {
    schema: OperationStatusChangedSchema,
    description: 'An operation changed status (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED).',
  },
} as const;

export type DetailType = keyof typeof EVENT_CATALOG;
export type ClusterStatusChanged = z.infer<typeof ClusterStatusChangedSchema>;
export type OperationStatusChanged = z.infer<typeof OperationStatusChangedSchema>;
