import { QueryCommand, type QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterRecord, OperationRecord } from '../domain/records.js';
import { keys, strip, type Table, type TransactItem } from './core.js';
import type { TenantRecord } from './tenants.js';

/**
 * Which region's control plane manages a region's clusters. Absent: the region itself. A
 * takeover (`npm run admin -- regions takeover`) makes another region the controller while the
 * region is down; a handback returns it. Owner: the current controller, the only region that
 * writes the item (docs/data-model.md, docs/operations.md).
 */
export interface RegionControlRecord {
  readonly region: string;
  readonly controller: string;
  readonly changedAt: string;
  /** Why, for the runbook's record (e.g. "takeover: eu-west-1 down"). */
  readonly reason?: string;
}

export class RegionStore {
  constructor(private readonly table: Table) {}

  /** Regions whose controller is not themselves, by region (one query; usually empty). */
  async controllers(): Promise<Record<string, string>> {
    const res = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'CONTROL' },
        ConsistentRead: true,
      }),
    );
    const out: Record<string, string> = {};
    for (const item of res.Items ?? []) {
      const rec = strip<RegionControlRecord>(item);
      if (rec.controller !== rec.region) out[rec.region] = rec.controller;
    }
    return out;
  }

  /** This region controls `region`'s clusters: fences every write to items of that region. */
  controlCheck(region: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.table.name,
        Key: keys.regionControl(region),
        ConditionExpression:
          region === this.table.region ? 'attribute_not_exists(pk) OR controller = :me' : 'controller = :me',
        ExpressionAttributeValues: { ':me': this.table.region },
      },
    };
  }

  /** Makes `to` the controller of `region`; written by `to` itself (this table's region), only if `from` controlled it. */
  setController(region: string, from: string, now: string, reason: string): TransactItem {
    const to = this.table.region;
    return {
      Put: {
        TableName: this.table.name,
        Item: {
          ...keys.regionControl(region),
          entity: 'RegionControl',
          region,
          controller: to,
          changedAt: now,
          reason,
        },
        ConditionExpression:
          from === region ? 'attribute_not_exists(pk) OR controller = :from' : 'controller = :from',
        ExpressionAttributeValues: { ':from': from },
      },
    };
  }

  /** Gives `region` back to `to`, written by the current controller (this table's region). */
  handBack(region: string, to: string, now: string, reason: string): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: {
          ...keys.regionControl(region),
          entity: 'RegionControl',
          region,
          controller: to,
          changedAt: now,
          reason,
        },
        ConditionExpression: 'controller = :me',
        ExpressionAttributeValues: { ':me': this.table.region },
      },
    };
  }
}

/** What a takeover or handback moved. */
export interface RehomeResult {
  readonly tenants: number;
  readonly clusters: number;
  /** Non-terminal operations re-homed: each must be sent to the new home's provisioning queue. */
  readonly operations: OperationRecord[];
  /** Items that changed meanwhile (their condition failed): none are lost, a rerun picks them up. */
  readonly skipped: number;
}

/**
 * Moves what `from` manages to `to`, writing through this table's region (which must be the
 * region that is, or is becoming, the controller). Every write is conditional on
 * `homeRegion = from`, so running it again moves only what is left. `select` narrows the
 * clusters and tenants (a handback moves only the clusters of the returning region).
 */
export async function rehome(
  table: Table,
  from: string,
  to: string,
  now: string,
  select: {
    readonly cluster: (c: ClusterRecord) => boolean;
    readonly tenant: (t: TenantRecord & { originalHomeRegion?: string }) => boolean;
  },
): Promise<RehomeResult> {
  let tenants = 0;
  let clusters = 0;
  let skipped = 0;
  const operations: OperationRecord[] = [];
  const conditional = async (write: Promise<unknown>): Promise<boolean> => {
    try {
      await write;
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') {
        skipped++;
        return false;
      }
      throw e;
    }
  };
  for await (const item of indexItems(table, 'gsi1', `HOME#${from}`)) {
    const isTenant = item.entity === 'Tenant';
    const rec = strip<ClusterRecord & TenantRecord & { originalHomeRegion?: string }>(item);
    if (isTenant ? !select.tenant(rec) : !select.cluster(rec)) continue;
    const moved = await conditional(
      table.db.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: isTenant
            ? rec.originalHomeRegion === to
              ? 'SET homeRegion = :to, gsi1pk = :pk, updatedAt = :now REMOVE originalHomeRegion'
              : 'SET homeRegion = :to, gsi1pk = :pk, updatedAt = :now, originalHomeRegion = if_not_exists(originalHomeRegion, :from)'
            : 'SET homeRegion = :to, gsi1pk = :pk, updatedAt = :now',
          ConditionExpression: 'homeRegion = :from',
          ExpressionAttributeValues: { ':to': to, ':from': from, ':pk': `HOME#${to}`, ':now': now },
        }),
      ),
    );
    if (moved && isTenant) tenants++;
    if (moved && !isTenant) clusters++;
  }
  for await (const item of indexItems(table, 'gsi2', `ACTIVE#${from}`)) {
    const op = strip<OperationRecord>(item);
    const cluster = await table.get<ClusterRecord>(keys.cluster(op.tenantId, op.clusterId));
    // The cluster decides: an operation moves only with a cluster that moved (or had moved).
    if (!cluster || cluster.homeRegion !== to) continue;
    const moved = await conditional(
      table.db.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET homeRegion = :to, gsi2pk = :pk, updatedAt = :now',
          ConditionExpression: 'homeRegion = :from AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': to,
            ':from': from,
            ':pk': `ACTIVE#${to}`,
            ':now': now,
            ':queued': 'QUEUED',
            ':running': 'RUNNING',
          },
        }),
      ),
    );
    if (moved) operations.push({ ...op, homeRegion: to });
  }
  return { tenants, clusters, operations, skipped };
}

/** Every item of one partition of an index, page after page. */
async function* indexItems(
  table: Table,
  index: 'gsi1' | 'gsi2',
  pk: string,
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const res: QueryCommandOutput = await table.db.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ':pk': pk },
        ExclusiveStartKey: startKey,
      }),
    );
    yield* res.Items ?? [];
    startKey = res.LastEvaluatedKey;
  } while (startKey);
}
