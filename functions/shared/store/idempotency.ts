import { deflateRawSync, inflateRawSync } from 'node:zlib';
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

/** The item as stored: the response's body as deflated JSON (`bodyZ`), a map in records written before. */
type StoredRecord = Omit<IdempotencyRecord, 'response'> & {
  readonly response: IdempotencyRecord['response'];
  readonly bodyZ?: Uint8Array;
};

export class IdempotencyStore {
  constructor(private readonly table: Table) {}

  async get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const stored = await this.table.get<StoredRecord>(keys.idempotency(tenantId, this.table.region, key));
    if (!stored) return undefined;
    const { bodyZ, ...record } = stored;
    if (!bodyZ) return record;
    const body: unknown = JSON.parse(inflateRawSync(bodyZ).toString('utf8'));
    return { ...record, response: { ...record.response, body } };
  }

  /**
   * The record as a transaction item, written with the mutation it answers. The response's body
   * is stored deflated (a Binary attribute): a 202 that names the cluster and its operation is
   * about 1 KB as a map and some 500 bytes deflated, which keeps the item under the 1 KB of one
   * write unit (docs/cost.md: 2 WRU and 1 rWRU less per mutation with an Idempotency-Key).
   */
  put(tenantId: string, idem: IdempotencyRecord): TransactItem {
    const { body, ...response } = idem.response;
    return {
      Put: {
        TableName: this.table.name,
        Item: {
          ...keys.idempotency(tenantId, this.table.region, idem.key),
          entity: 'Idempotency',
          ttl: epoch(idem.createdAt, IDEMPOTENCY_TTL_SECONDS),
          ...idem,
          response,
          ...(body === undefined ? {} : { bodyZ: deflateRawSync(JSON.stringify(body)) }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
}
