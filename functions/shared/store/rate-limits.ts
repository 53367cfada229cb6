import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateWindow } from '../domain/rate-limit.js';
import { keys, type Table } from './core.js';

/** Counters outlive their window by this much, then TTL removes them. */
const COUNTER_TTL_SECONDS = 3600;

/**
 * Per-tenant request counters, one item per tenant, region and window (`RATE#<t>#<region>` /
 * `WINDOW#<length>#<index>`). Owner: the region in the key, whose API alone counts there; the
 * count only grows, by atomic ADDs conditional on staying within the limit.
 */
export class RateLimitStore {
  constructor(private readonly table: Table) {}

  /**
   * Counts `n` more requests of the tenant in this region's `window`, only if the count stays
   * within `limit`. True when counted, false when that would go over.
   */
  async take(tenantId: string, window: RateWindow, n: number, limit: number): Promise<boolean> {
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.rateWindow(tenantId, this.table.region, window.id),
          UpdateExpression: 'SET entity = :entity, #ttl = :ttl ADD #n :n',
          ConditionExpression: 'attribute_not_exists(#n) OR #n <= :max',
          ExpressionAttributeNames: { '#n': 'requests', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':entity': 'RateWindow',
            ':ttl': Math.ceil(window.endMs / 1000) + COUNTER_TTL_SECONDS,
            ':n': n,
            ':max': limit - n,
          },
        }),
      );
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }
}
