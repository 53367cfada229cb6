import { createHash } from 'node:crypto';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type BackupRestoreTestCompleted,
  type ClusterDriftDetected,
  type ClusterDriftRepairSuspended,
  type DriftFinding,
  EVENT_CATALOG,
  EVENT_SOURCE,
} from '../shared/events/catalog.js';

/** At most this many findings in one event (an event entry is limited to 256 KB). */
const MAX_FINDINGS = 100;

/** A short, stable digest of findings: the same drift gives the same hash, whatever the order. */
export function findingsHash(findings: readonly DriftFinding[]): string {
  const canonical = findings
    .map((f) => [f.apiVersion, f.kind, f.namespace ?? '', f.name, f.issue].join('|'))
    .sort()
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** A `Cluster Drift Detected` detail, validated against the catalog. */
export function driftEvent(input: {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly region: string;
  readonly clusterId: string;
  readonly correlationId?: string;
  readonly findings: readonly DriftFinding[];
  readonly action: ClusterDriftDetected['action'];
}): ClusterDriftDetected {
  const detail: ClusterDriftDetected = {
    schemaVersion: '1',
    eventId: input.eventId,
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    region: input.region,
    clusterId: input.clusterId,
    ...(input.correlationId ? { correlationId: input.correlationId } : {}),
    findings: input.findings.slice(0, MAX_FINDINGS),
    action: input.action,
  };
  return EVENT_CATALOG['Cluster Drift Detected'].schema.parse(detail);
}

/** A `Cluster Drift Repair Suspended` detail, validated against the catalog. */
export function suspendedEvent(input: {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly region: string;
  readonly clusterId: string;
  readonly findings: readonly DriftFinding[];
  readonly repairs: number;
  readonly suspendedUntil: string;
}): ClusterDriftRepairSuspended {
  const detail: ClusterDriftRepairSuspended = {
    schemaVersion: '1',
    eventId: input.eventId,
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    region: input.region,
    clusterId: input.clusterId,
    findings: input.findings.slice(0, MAX_FINDINGS),
    repairs: input.repairs,
    suspendedAt: input.occurredAt,
    suspendedUntil: input.suspendedUntil,
  };
  return EVENT_CATALOG['Cluster Drift Repair Suspended'].schema.parse(detail);
}

/** What the reconciler publishes: a drift it found, or a drift it stopped repairing. */
export type ReconcilerEvent =
  | { readonly detailType: 'Cluster Drift Detected'; readonly detail: ClusterDriftDetected }
  | { readonly detailType: 'Cluster Drift Repair Suspended'; readonly detail: ClusterDriftRepairSuspended }
  | { readonly detailType: 'Backup Restore Test Completed'; readonly detail: BackupRestoreTestCompleted };

/** Thrown when the bus did not accept an event. */
export class PublishError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** Puts one reconciler event on the region's bus; throws when it was not accepted. */
export function eventBridgePublisher(
  client: EventBridgeClient,
  busName: string,
): (event: ReconcilerEvent) => Promise<void> {
  return async ({ detailType, detail }) => {
    const res = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            Resources: [],
            Time: new Date(detail.occurredAt),
          },
        ],
      }),
    );
    const entry = res.Entries?.[0];
    if ((res.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
      throw new PublishError(
        `the bus rejected the ${detailType} event ${detail.eventId}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  };
}
