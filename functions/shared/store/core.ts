import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/*
 * The shared core of the store: table access, keys, and transactions whose items have names.
 * Aggregates (tenants, API keys, clusters, operations, ...) build their items on it; see
 * docs/data-model.md for the layout and which region writes each item.
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Transaction items by name; an undefined entry is left out (an item that applies only sometimes). */
export type NamedItems = Readonly<Record<string, TransactItem | undefined>>;

/** The name of the idempotency record's item, appended by `Table.transact` when a record is given. */
export const IDEMPOTENCY_ITEM = 'idempotency';

/**
 * A condition a transaction carries for its caller, not for the write itself: the API key's
 * validity (docs/decisions.md, D29), so that a request whose key was not read may commit only if
 * the key is valid at commit time. `Table.transact` appends the item (named `name`) and sets
 * `committed` once a transaction that carried it succeeded.
 */
export interface Fence {
  readonly name: string;
  readonly item: TransactItem;
  committed: boolean;
}

export const keys = {
  tenant: (t: string) => ({ pk: `TENANT#${t}`, sk: '#TENANT' }),
  /** A tenant's usage in one region: written only by the region that controls it. */
  usage: (t: string, region: string) => ({ pk: `TENANT#${t}`, sk: `USAGE#${region}` }),
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  cluster: (t: string, c: string) => ({ pk: `TENANT#${t}`, sk: `CLUSTER#${c}` }),
  /** Names are unique per tenant and region: the guard is written only by the region's controller. */
  clusterName: (t: string, region: string, name: string) => ({
    pk: `TENANT#${t}`,
    sk: `CLUSTERNAME#${region}#${name}`,
  }),
  operation: (t: string, o: string) => ({ pk: `TENANT#${t}`, sk: `OPERATION#${o}` }),
  /** A backup: kept after its cluster is deleted (it is what a restore reads). */
  backup: (t: string, b: string) => ({ pk: `TENANT#${t}`, sk: `BACKUP#${b}` }),
  /** The restore test of a scheduled backup (one per backup). */
  restoreTest: (t: string, b: string) => ({ pk: `TENANT#${t}`, sk: `RESTORETEST#${b}` }),
  /** Idempotency-Keys are scoped to the region whose API accepted the request. */
  idempotency: (t: string, region: string, key: string) => ({
    pk: `TENANT#${t}`,
    sk: `IDEMPOTENCY#${region}#${key}`,
  }),
  /** A tenant's API requests in one region and rate-limit window: written only by that region's API. */
  rateWindow: (t: string, region: string, window: string) => ({
    pk: `RATE#${t}#${region}`,
    sk: `WINDOW#${window}`,
  }),
  /** Which region's control plane manages a region's clusters (absent: the region itself). */
  regionControl: (region: string) => ({ pk: 'CONTROL', sk: `REGION#${region}` }),
  /** One audit record; the id holds random bits, so two records never share a key. */
  audit: (t: string, at: string, auditId: string) => ({ pk: `TENANT#${t}`, sk: `AUDIT#${at}#${auditId}` }),
  /** Where a region's drift sweep continues. */
  reconcilerCursor: (region: string) => ({ pk: `RECONCILER#${region}`, sk: 'CURSOR' }),
  /** The last drift a region's reconciler reported for a cluster. */
  driftReport: (region: string, clusterId: string) => ({
    pk: `RECONCILER#${region}`,
    sk: `DRIFT#${clusterId}`,
  }),
};

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl']);

/** An item without its table keys and index attributes: the record the code works with. */
export function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) out[k] = v;
  return out as T;
}

export const epoch = (iso: string, plusSeconds: number) => Math.floor(Date.parse(iso) / 1000) + plusSeconds;

/**
 * A conditional write lost: the state it was based on is stale (a race lost, or the change was
 * already made). `failed` names the transaction items whose condition failed, so callers map
 * exactly the failure they care about (`failed.includes('nameGuard')`), whatever the items' order.
 */
export class StaleStateError extends Error {
  readonly failed: readonly string[];
  constructor(message: string, options?: ErrorOptions & { failed?: readonly string[] }) {
    super(message, options);
    this.name = 'StaleStateError';
    this.failed = options?.failed ?? [];
  }
}

/** Another transaction touched the same items at the same moment (DynamoDB `TransactionConflict`); a retry may pass. */
export class TransactionConflictError extends Error {
  constructor(what: string, options?: ErrorOptions) {
    super(`another request changed the same data (${what})`, options);
    this.name = 'TransactionConflictError';
  }
}

/** The Idempotency-Key item already existed at commit time (a concurrent duplicate). */
export class IdempotencyConflictError extends Error {
  constructor(options?: ErrorOptions) {
    super('idempotency key already recorded', options);
    this.name = 'IdempotencyConflictError';
  }
}

export interface Page<T> {
  readonly items: T[];
  readonly lastKey?: Record<string, unknown>;
}

/**
 * One replica of the table, seen from the region whose functions write through it. `region` is
 * the writer region: every item a function writes carries it where ownership matters
 * (`homeRegion`), and conditions check it, so a region never writes an item another owns.
 */
export class Table {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly name: string,
    readonly region: string,
  ) {}

  async get<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return res.Item ? strip<T>(res.Item) : undefined;
  }

  /** Reads on until `limit` items matched or the key range ends (filters apply after the key condition). */
  async queryPage<T>(
    input: Omit<QueryCommandInput, 'TableName'>,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<Page<T>> {
    const items: T[] = [];
    let exclusiveStartKey = startKey;
    do {
      const res = await this.db.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
          Limit: limit - items.length,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of res.Items ?? []) items.push(strip<T>(item));
      exclusiveStartKey = res.LastEvaluatedKey;
    } while (exclusiveStartKey && items.length < limit);
    return { items, ...(exclusiveStartKey ? { lastKey: exclusiveStartKey } : {}) };
  }

  /**
   * One TransactWriteItems of named items (plus the idempotency record, if any, as
   * `idempotency`). A cancelled transaction becomes IdempotencyConflictError (the key was taken
   * meanwhile), TransactionConflictError (a concurrent transaction), or StaleStateError naming
   * the items whose condition failed; anything else is rethrown. A `fence` is appended last and
   * marked committed when the transaction succeeds.
   */
  async transact(what: string, named: NamedItems, idempotency?: TransactItem, fence?: Fence): Promise<void> {
    const entries = Object.entries(named).filter((e): e is [string, TransactItem] => e[1] !== undefined);
    if (idempotency) entries.push([IDEMPOTENCY_ITEM, idempotency]);
    if (fence) entries.push([fence.name, fence.item]);
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: entries.map(([, item]) => item) }));
      if (fence) fence.committed = true;
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      const failed = entries.filter((_, i) => codes[i] === 'ConditionalCheckFailed').map(([name]) => name);
      if (failed.includes(IDEMPOTENCY_ITEM)) throw new IdempotencyConflictError({ cause: e });
      if (failed.length > 0) {
        throw new StaleStateError(`${what}: condition failed on ${failed.join(', ')}`, { cause: e, failed });
      }
      if (codes.includes('TransactionConflict')) throw new TransactionConflictError(what, { cause: e });
      throw e;
    }
  }
}
