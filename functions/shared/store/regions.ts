import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys, strip, type Table, type TransactItem } from './core.js';

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
