import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type Table, type TransactItem } from './core.js';

/**
 * The tenant and its quotas. Owner: the tenant's home region (`homeRegion`), which alone
 * writes the tenant item, its API keys and its quota limits (docs/data-model.md). Quotas are
 * per region, as AWS service quotas are: `maxClusters` and `maxNodes` bound what the tenant may
 * run in each region, and each region counts its own usage (`UsageRecord`).
 */
export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
  /** The region that writes this tenant's items (set at creation; moved only by a region takeover). */
  readonly homeRegion: string;
  /** Per-region limits. */
  readonly maxClusters: number;
  readonly maxNodes: number;
  /** Per-region API rate limit (requests per second, and per window): absent, the defaults (domain/rate-limit.ts). */
  readonly apiRate?: number;
  readonly apiBurst?: number;
}

/** A tenant's clusters and nodes in one region, counted by the same transactions that create and delete. */
export interface UsageRecord {
  readonly clusters: number;
  readonly nodes: number;
}

/** Tenants are listed per home region (gsi1), so a takeover finds the tenants it moves. */
export function tenantIndex(homeRegion: string, tenantId: string) {
  return { gsi1pk: `HOME#${homeRegion}`, gsi1sk: `TENANT#${tenantId}` };
}

export function tenantItem(t: TenantRecord): Record<string, unknown> {
  return { ...keys.tenant(t.tenantId), entity: 'Tenant', ...tenantIndex(t.homeRegion, t.tenantId), ...t };
}

export class TenantStore {
  constructor(private readonly table: Table) {}

  get(tenantId: string): Promise<TenantRecord | undefined> {
    return this.table.get<TenantRecord>(keys.tenant(tenantId));
  }

  /** What the tenant uses in `region` (zero when it never had a cluster there). */
  async usage(tenantId: string, region: string): Promise<UsageRecord> {
    const u = await this.table.get<Partial<UsageRecord>>(keys.usage(tenantId, region));
    return { clusters: u?.clusters ?? 0, nodes: u?.nodes ?? 0 };
  }

  /**
   * A new tenant with its first API key (`firstKey`, from ApiKeyStore.put) and that key's audit
   * record (`audit`, from ApiKeyStore.auditItem), in its home region.
   */
  async create(tenant: TenantRecord, firstKey: TransactItem, audit: TransactItem): Promise<void> {
    if (tenant.homeRegion !== this.table.region) {
      throw new Error(`tenant ${tenant.tenantId} is homed in ${tenant.homeRegion}: create it there`);
    }
    await this.table.transact('create tenant', {
      tenant: {
        Put: {
          TableName: this.table.name,
          Item: tenantItem(tenant),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      key: firstKey,
      audit,
    });
  }

  /**
   * Sets a tenant's per-region quotas. Only its home region writes the tenant item; every region
   * applies the new limits once the change has replicated to it.
   */
  async setQuotas(tenantId: string, quotas: { maxClusters: number; maxNodes: number }): Promise<void> {
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.tenant(tenantId),
          UpdateExpression: 'SET maxClusters = :mc, maxNodes = :mn',
          ConditionExpression: 'attribute_exists(pk) AND homeRegion = :me',
          ExpressionAttributeValues: {
            ':mc': quotas.maxClusters,
            ':mn': quotas.maxNodes,
            ':me': this.table.region,
          },
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      const tenant = await this.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
      throw new Error(
        `tenant ${tenantId} is homed in ${tenant.homeRegion}: change its quotas there (this is ${this.table.region})`,
      );
    }
  }

  /**
   * Sets a tenant's per-region API rate limit, in its home region only (as `setQuotas`); each
   * region's API applies it once it has replicated there and the API's cache of it expired.
   */
  async setRateLimits(tenantId: string, limits: { rate: number; burst: number }): Promise<void> {
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.tenant(tenantId),
          UpdateExpression: 'SET apiRate = :r, apiBurst = :b',
          ConditionExpression: 'attribute_exists(pk) AND homeRegion = :me',
          ExpressionAttributeValues: { ':r': limits.rate, ':b': limits.burst, ':me': this.table.region },
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      const tenant = await this.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
      throw new Error(
        `tenant ${tenantId} is homed in ${tenant.homeRegion}: change its rate limit there (this is ${this.table.region})`,
      );
    }
  }

  /** The tenant is homed here and its limits are the ones read: fences a create against a concurrent quota change. */
  quotaCheck(tenant: TenantRecord): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.table.name,
        Key: keys.tenant(tenant.tenantId),
        ConditionExpression: 'maxClusters = :mc AND maxNodes = :mn',
        ExpressionAttributeValues: { ':mc': tenant.maxClusters, ':mn': tenant.maxNodes },
      },
    };
  }

  /** The tenant is (still) homed in this region: fences writes of tenant-owned items (API keys). */
  homeCheck(tenantId: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.table.name,
        Key: keys.tenant(tenantId),
        ConditionExpression: 'homeRegion = :me',
        ExpressionAttributeValues: { ':me': this.table.region },
      },
    };
  }

  /**
   * Counts `clusters` and `nodes` more in `region`. With `limits`, refuses to go over them (the
   * condition fails, named by the caller's transaction; callers check `exceedsAlone` first, since
   * a first reservation in a region has no count to compare); without, it always applies (a
   * rollback taking back what it had released).
   */
  reserve(
    tenantId: string,
    region: string,
    add: UsageRecord,
    limits?: Pick<TenantRecord, 'maxClusters' | 'maxNodes'>,
  ): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.usage(tenantId, region),
        // Names as placeholders: `clusters` is a DynamoDB reserved word.
        UpdateExpression: 'SET entity = :entity ADD #c :c, #n :n',
        ...(limits
          ? {
              ConditionExpression:
                '(attribute_not_exists(#c) OR #c <= :maxC) AND (attribute_not_exists(#n) OR #n <= :maxN)',
            }
          : {}),
        ExpressionAttributeNames: { '#c': 'clusters', '#n': 'nodes' },
        ExpressionAttributeValues: {
          ':entity': 'Usage',
          ':c': add.clusters,
          ':n': add.nodes,
          ...(limits
            ? {
                ':maxC': limits.maxClusters - add.clusters,
                ':maxN': limits.maxNodes - add.nodes,
              }
            : {}),
        },
      },
    };
  }

  /** True when `add` alone is over the limits, whatever the usage. */
  static exceedsAlone(add: UsageRecord, limits: Pick<TenantRecord, 'maxClusters' | 'maxNodes'>): boolean {
    return add.clusters > limits.maxClusters || add.nodes > limits.maxNodes;
  }

  release(tenantId: string, region: string, sub: UsageRecord): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: keys.usage(tenantId, region),
        UpdateExpression: 'ADD #c :c, #n :n',
        ExpressionAttributeNames: { '#c': 'clusters', '#n': 'nodes' },
        ExpressionAttributeValues: { ':c': -sub.clusters, ':n': -sub.nodes },
      },
    };
  }
}
