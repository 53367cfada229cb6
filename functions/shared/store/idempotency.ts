import { epoch, keys, type Table, type TransactItem } from './core.js';

/**
 * Stored responses of mutations, replayed for a repeated Idempotency-Key for 24 h (TTL). Owner:
 * the region whose API accepted the request; keys are scoped to it (the same key sent to two
 * regions names two requests), so no record is ever written by two regions.
 */
export interface IdempotencyRecord {
  readonly key: string;
  readonly requestHash: string;
  readonly response: { status: number; headers?: Record<string, string>; body?: unknown };
  readonly createdAt: string;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export class IdempotencyStore {
  constructor(private readonly table: Table) {}

  get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.table.get<IdempotencyRecord>(keys.idempotency(tenantId, this.table.region, key));
  }

  /** The record as a transaction item, written with the mutation it answers. */
  put(tenantId: string, idem: IdempotencyRecord): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: {
          ...keys.idempotency(tenantId, this.table.region, idem.key),
          entity: 'Idempotency',
          ttl: epoch(idem.createdAt, IDEMPOTENCY_TTL_SECONDS),
          ...idem,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
}
