import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditStore } from './audit.js';
import { type Fence, keys, type Page, strip, type Table, type TransactItem } from './core.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.js';
import type { TenantStore } from './tenants.js';

/**
 * API keys, by SHA-256 of the secret. Owner: the tenant's home region. Keys are created and
 * revoked only there (other regions answer 421), each write fenced by the tenant's `homeRegion`
 * and committed with its audit record; every region reads them, so a revocation reaches a
 * region within the replication lag.
 */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly name?: string;
  readonly role: 'admin' | 'editor' | 'viewer';
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

export type StoredApiKey = ApiKeyRecord & { readonly ref: { pk: string; sk: string } };

/** Transaction item names that callers map to answers. */
export const API_KEY_ITEMS = { tenantHome: 'tenantHome', key: 'key', audit: 'audit' } as const;

/** The name of a request's key fence in the transaction that carries it (`ApiKeyStore.fence`). */
export const API_KEY_FENCE = 'apiKey';

export class ApiKeyStore {
  constructor(
    private readonly table: Table,
    private readonly tenants: TenantStore,
    private readonly idempotency: IdempotencyStore,
    private readonly audit: AuditStore,
  ) {}

  /**
   * The key and its `apiKey.create` audit record (by `actor`), in one transaction.
   * @throws StaleStateError naming `tenantHome` when the tenant is not homed in this region.
   */
  async create(
    keyHash: string,
    key: ApiKeyRecord,
    who: Pick<AuditEntry, 'actor' | 'correlationId'>,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.table.transact(
      'create API key',
      {
        [API_KEY_ITEMS.tenantHome]: this.tenants.homeCheck(key.tenantId),
        [API_KEY_ITEMS.key]: this.put(keyHash, key),
        [API_KEY_ITEMS.audit]: this.auditItem('apiKey.create', key, key.createdAt, who),
      },
      idem ? this.idempotency.put(key.tenantId, idem) : undefined,
    );
  }

  /**
   * Marks the key revoked, with its `apiKey.revoke` audit record, in one transaction.
   * @throws StaleStateError naming `tenantHome`, or `key` when the key is gone.
   */
  async revoke(
    key: StoredApiKey,
    now: string,
    who: Pick<AuditEntry, 'actor' | 'correlationId'>,
    idem?: IdempotencyRecord,
  ): Promise<void> {
    await this.table.transact(
      'revoke API key',
      {
        [API_KEY_ITEMS.tenantHome]: this.tenants.homeCheck(key.tenantId),
        [API_KEY_ITEMS.key]: this.revokeItem(key, now),
        [API_KEY_ITEMS.audit]: this.auditItem('apiKey.revoke', key, now, who),
      },
      idem ? this.idempotency.put(key.tenantId, idem) : undefined,
    );
  }

  /** Consistent in this region's replica: a revoked key stops working on the next request once the revocation is here. */
  get(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.table.get<ApiKeyRecord>(keys.apiKey(hash));
  }

  /**
   * A transaction's fence on the key (docs/decisions.md, D29): the transaction commits only if the
   * key, as `key` describes it, still exists and is neither revoked nor expired at commit time, in
   * this region's replica: what `get` would have found valid. A ConditionCheck (2 WRU, not
   * replicated), named `apiKey` in the transaction's failures.
   */
  fence(hash: string, key: Pick<ApiKeyRecord, 'tenantId' | 'keyId' | 'role'>, now: string): Fence {
    return {
      name: API_KEY_FENCE,
      committed: false,
      item: {
        ConditionCheck: {
          TableName: this.table.name,
          Key: keys.apiKey(hash),
          ConditionExpression:
            'tenantId = :t AND keyId = :k AND #role = :r AND attribute_not_exists(revokedAt) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':t': key.tenantId, ':k': key.keyId, ':r': key.role, ':now': now },
        },
      },
    };
  }

  /** A tenant's key by id (gsi1), with its table key. */
  async find(tenantId: string, keyId: string): Promise<StoredApiKey | undefined> {
    const res = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :id',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#APIKEYS`, ':id': keyId },
      }),
    );
    const item = res.Items?.[0];
    if (!item) return undefined;
    return { ...strip<ApiKeyRecord>(item), ref: { pk: String(item.pk), sk: String(item.sk) } };
  }

  list(tenantId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<ApiKeyRecord>> {
    return this.table.queryPage<ApiKeyRecord>(
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#APIKEYS` },
      },
      limit,
      startKey,
    );
  }

  /** A new key item. */
  put(keyHash: string, key: ApiKeyRecord): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: {
          ...keys.apiKey(keyHash),
          entity: 'ApiKey',
          gsi1pk: `TENANT#${key.tenantId}#APIKEYS`,
          gsi1sk: key.keyId,
          ...key,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The audit record of an action on `key`. */
  auditItem(
    action: 'apiKey.create' | 'apiKey.revoke',
    key: Pick<ApiKeyRecord, 'tenantId' | 'keyId'>,
    at: string,
    who: Pick<AuditEntry, 'actor' | 'correlationId'>,
  ): TransactItem {
    return this.audit.item({ action, tenantId: key.tenantId, target: key.keyId, at, ...who });
  }

  /** Marks a key revoked (the first revocation time stays). */
  private revokeItem(key: StoredApiKey, now: string): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: key.ref,
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ConditionExpression: 'attribute_exists(pk) AND tenantId = :t',
        ExpressionAttributeValues: { ':now': now, ':t': key.tenantId },
      },
    };
  }
}
