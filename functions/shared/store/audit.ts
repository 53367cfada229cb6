import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../ids.js';
import { epoch, keys, type Page, type Table, type TransactItem } from './core.js';

/** What was done. Every API-key action and every secret reveal is audited. */
export type AuditAction = 'apiKey.create' | 'apiKey.revoke' | 'connection.reveal';

/** Who acted when no API key did: the admin CLI and the local runtime's bootstrap. */
export const OPERATOR_ACTOR = 'operator';

/**
 * One audit record. Owner: the region that served the action (`region`); insert-only, under a
 * key no other record can have (time + a fresh random id), written only if absent: a record is
 * never overwritten, and two actions in the same millisecond with the same caller-supplied
 * correlation id are two records.
 */
export interface AuditRecord {
  readonly auditId: string;
  readonly tenantId: string;
  readonly action: AuditAction;
  /** The caller's API key id, or `operator` (CLI, local runtime). */
  readonly actor: string;
  /** What was acted on: a key id (`key-...`) or a cluster id (`cl-...`). */
  readonly target: string;
  readonly correlationId: string;
  readonly at: string;
  /** The region whose API (or CLI run) wrote it. */
  readonly region: string;
}

export type AuditEntry = Omit<AuditRecord, 'auditId' | 'region'>;

const AUDIT_TTL_SECONDS = 400 * 24 * 3600;

export class AuditStore {
  constructor(private readonly table: Table) {}

  /** The record as a transaction item, to commit it with the action it describes. */
  item(entry: AuditEntry): TransactItem {
    return { Put: this.put(entry) };
  }

  /** Writes a record on its own (an action that writes nothing else, e.g. a reveal). */
  async record(entry: AuditEntry): Promise<AuditRecord> {
    const put = this.put(entry);
    await this.table.db.send(new PutCommand(put));
    return this.strip(put.Item);
  }

  /** A tenant's records, oldest first. */
  list(tenantId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<AuditRecord>> {
    return this.table.queryPage<AuditRecord>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':audit': 'AUDIT#' },
      },
      limit,
      startKey,
    );
  }

  private put(entry: AuditEntry) {
    const auditId = newId('aud', Date.parse(entry.at));
    return {
      TableName: this.table.name,
      Item: {
        ...keys.audit(entry.tenantId, entry.at, auditId),
        entity: 'Audit',
        ttl: epoch(entry.at, AUDIT_TTL_SECONDS),
        auditId,
        region: this.table.region,
        ...entry,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  private strip(item: Record<string, unknown>): AuditRecord {
    const { pk: _pk, sk: _sk, entity: _e, ttl: _t, ...record } = item;
    return record as unknown as AuditRecord;
  }
}
