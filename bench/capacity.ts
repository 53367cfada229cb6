/**
 * DynamoDB capacity units from item images, by the rules of the DynamoDB Developer Guide, for
 * bench/cost.ts. DynamoDB Local returns `ConsumedCapacity` right for single-item reads and writes
 * (indexes included), but not for `TransactWriteItems`: it reports one item's units for the whole
 * transaction (a Put plus a ConditionCheck: 2, where AWS bills 4). So the bench computes every
 * write's units itself from the item before and after it, and checks its figure against DynamoDB
 * Local's on single-item writes.
 *
 * Rules (docs/cost.md, "DynamoDB"; DynamoDB Developer Guide, "Capacity unit consumption" and
 * "Global secondary indexes: write capacity units"):
 * - item size: attribute names plus values (strings in UTF-8 bytes; numbers 1 byte per two
 *   significant digits plus 1; booleans and nulls 1; lists and maps 3 plus their elements, 1 byte
 *   each more); a write costs 1 unit per KB of the larger of the item before and after, at least 1;
 * - a transactional write costs twice that, a `ConditionCheck` included (2 per KB of the item);
 * - each index the item is in before or after: 1 unit per KB of the entry put, 1 per KB of the entry
 *   deleted (a key change does both), 1 per KB when only projected attributes changed (every
 *   attribute here: the indexes project ALL), none when the item is in neither. Index updates are
 *   not doubled for transactions (DynamoDB applies them after the commit); see docs/cost.md.
 */

/** An attribute value in DynamoDB JSON (`{"S": "..."}`, `{"N": "1"}`, `{"M": {...}}`...). */
export type AttributeValue = Readonly<Record<string, unknown>>;
export type Item = Readonly<Record<string, AttributeValue>>;

export interface IndexKeys {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a number as DynamoDB counts them: 1 per two significant digits, plus 1. */
export function numberSize(n: string): number {
  const digits = n
    .replace(/[eE][+-]?\d+$/, '')
    .replace(/^[-+]/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.min(38, digits.length) / 2) + 1;
}

/** Bytes of one attribute value (its name not included). */
export function valueSize(v: AttributeValue): number {
  const [type, raw] = Object.entries(v)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(String(raw));
    case 'N':
      return numberSize(String(raw));
    case 'B':
      return raw instanceof Uint8Array ? raw.length : Buffer.from(String(raw), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (raw as string[]).reduce((n, s) => n + utf8(s), 0);
    case 'NS':
      return (raw as string[]).reduce((n, s) => n + numberSize(s), 0);
    case 'BS':
      return (raw as Array<string | Uint8Array>).reduce(
        (n, b) => n + (b instanceof Uint8Array ? b.length : Buffer.from(b, 'base64').length),
        0,
      );
    case 'L':
      return 3 + (raw as AttributeValue[]).reduce((n, e) => n + 1 + valueSize(e), 0);
    case 'M':
      return (
        3 +
        Object.entries(raw as Record<string, AttributeValue>).reduce(
          (n, [k, e]) => n + 1 + utf8(k) + valueSize(e),
          0,
        )
      );
    default:
      throw new Error(`unknown DynamoDB attribute type ${type}`);
  }
}

/** Bytes of an item: every attribute's name and value. */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce((n, [k, v]) => n + utf8(k) + valueSize(v), 0);
}

const perKb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

export interface WriteUnits {
  readonly table: number;
  /** Units per index name (only the indexes the write touched). */
  readonly indexes: Readonly<Record<string, number>>;
  readonly total: number;
}

function inIndex(item: Item | undefined, index: IndexKeys): boolean {
  return !!item && index.partitionKey in item && (!index.sortKey || index.sortKey in item);
}

const indexKey = (item: Item, index: IndexKeys) =>
  JSON.stringify([item[index.partitionKey], index.sortKey ? item[index.sortKey] : null]);

/** Key order does not make two images different. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Units of one item write that succeeded: `before` and `after` are the item's images (undefined
 * when absent: a put of a new item, a delete). `conditionCheck`: a transaction's ConditionCheck
 * (`before` is the item checked, nothing is written).
 */
export function writeUnits(opts: {
  readonly before: Item | undefined;
  readonly after: Item | undefined;
  readonly transactional: boolean;
  readonly indexes: readonly IndexKeys[];
  readonly conditionCheck?: boolean;
}): WriteUnits {
  const { before, after } = opts;
  const sizeBefore = before ? itemSize(before) : 0;
  const sizeAfter = after ? itemSize(after) : 0;
  const table = perKb(Math.max(sizeBefore, sizeAfter)) * (opts.transactional ? 2 : 1);
  const indexes: Record<string, number> = {};
  if (!opts.conditionCheck) {
    for (const index of opts.indexes) {
      const was = inIndex(before, index);
      const is = inIndex(after, index);
      let units = 0;
      if (was && is && before && after) {
        if (indexKey(before, index) !== indexKey(after, index)) units = perKb(sizeBefore) + perKb(sizeAfter);
        else if (canonical(before) !== canonical(after)) units = perKb(Math.max(sizeBefore, sizeAfter));
      } else if (is) units = perKb(sizeAfter);
      else if (was) units = perKb(sizeBefore);
      if (units > 0) indexes[index.name] = units;
    }
  }
  const total = table + Object.values(indexes).reduce((a, b) => a + b, 0);
  return { table, indexes, total };
}

/**
 * Units of a conditional single-item write whose condition failed: DynamoDB still charges it,
 * 1 unit per KB of the existing item, 1 when there is none (Developer Guide, "Capacity unit
 * consumption for writes").
 */
export function failedConditionUnits(before: Item | undefined): number {
  return perKb(before ? itemSize(before) : 0);
}

/**
 * Read units of a read DynamoDB Local reported: its figure, but at least what AWS charges for a
 * read that finds nothing (1 strongly consistent, 0.5 eventually consistent); DynamoDB Local
 * reports 0 for a query that matched nothing.
 */
export function readUnits(reported: number, consistent: boolean): number {
  return Math.max(reported, consistent ? 1 : 0.5);
}
