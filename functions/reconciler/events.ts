import { createHash } from 'node:crypto';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type ClusterDriftDetected,
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

/** Thrown when the bus did not accept an event. */
export class PublishError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** Puts one `Cluster Drift Detected` event on the region's bus; throws when it was not accepted. */
export function eventBridgePublisher(
  client: EventBridgeClient,
  busName: string,
): (detail: ClusterDriftDetected) => Promise<void> {
  return async (detail) => {
    const res = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: 'Cluster Drift Detected',
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
        `the bus rejected the drift event ${detail.eventId}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  };
}
