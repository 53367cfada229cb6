import { describe, expect, it } from 'vitest';
import {
  failedConditionUnits,
  type Item,
  itemSize,
  numberSize,
  readUnits,
  valueSize,
  writeUnits,
} from '../../../bench/capacity.js';

const INDEXES = [
  { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
];

const s = (v: string) => ({ S: v });
/** An item of exactly `bytes` bytes: pk (2 + 1), sk (2 + 1), v (1 + the rest). */
const sized = (bytes: number, extra: Item = {}): Item => ({
  pk: s('a'),
  sk: s('b'),
  v: s('x'.repeat(bytes - 7 - itemSize(extra))),
  ...extra,
});

describe('Function: itemSize', () => {
  it('counts attribute names and values by the Developer Guide rules', () => {
    // Prepare
    const item: Item = {
      name: s('héllo'), // 4 + 6 UTF-8 bytes
      n: { N: '-0012.500' }, // 1 + (3 significant digits -> 2) + 1
      ok: { BOOL: true }, // 2 + 1
      none: { NULL: true }, // 4 + 1
      l: { L: [s('ab'), { N: '7' }] }, // 1 + 3 + (1 + 2) + (1 + 2)
      m: { M: { k: s('v') } }, // 1 + 3 + 1 + 1 + 1
      ss: { SS: ['a', 'bc'] }, // 2 + 3
      b: { B: Buffer.from('abcd').toString('base64') }, // 1 + 4
    };

    // Act
    const size = itemSize(item);

    // Assess
    expect(size).toBe(10 + 4 + 3 + 5 + 10 + 7 + 5 + 5);
  });

  it('counts a number by its significant digits', () => {
    // Act / Assess
    expect([
      numberSize('0'),
      numberSize('1'),
      numberSize('12'),
      numberSize('123'),
      numberSize('1e10'),
    ]).toEqual([1, 2, 2, 3, 2]);
  });

  it('counts binary values given as bytes', () => {
    // Act / Assess
    expect(valueSize({ B: new Uint8Array([1, 2, 3]) })).toBe(3);
  });
});

describe('Function: writeUnits', () => {
  it('charges 1 unit per KB of the larger image, at least 1', () => {
    // Act
    const small = writeUnits({
      before: undefined,
      after: sized(100),
      transactional: false,
      indexes: INDEXES,
    });
    const grown = writeUnits({
      before: sized(900),
      after: sized(1025),
      transactional: false,
      indexes: INDEXES,
    });
    const shrunk = writeUnits({
      before: sized(2100),
      after: sized(10),
      transactional: false,
      indexes: INDEXES,
    });

    // Assess
    expect([small.total, grown.total, shrunk.total]).toEqual([1, 2, 3]);
  });

  it('doubles table units in a transaction, a ConditionCheck included, and not the index updates', () => {
    // Prepare
    const indexed = sized(500, { gsi1pk: s('p'), gsi1sk: s('s') });

    // Act
    const put = writeUnits({ before: undefined, after: indexed, transactional: true, indexes: INDEXES });
    const check = writeUnits({
      before: indexed,
      after: indexed,
      transactional: true,
      indexes: INDEXES,
      conditionCheck: true,
    });

    // Assess
    expect(put).toEqual({ table: 2, indexes: { gsi1: 1 }, total: 3 });
    expect(check).toEqual({ table: 2, indexes: {}, total: 2 });
  });

  it('charges an index by what happens to the entry: put, delete, key change, projected change, nothing', () => {
    // Prepare
    const base = { pk: s('a'), sk: s('b') };
    const in1 = { ...base, gsi1pk: s('p'), gsi1sk: s('1') };
    const moved = { ...base, gsi1pk: s('p'), gsi1sk: s('2') };
    const changed = { ...in1, status: s('READY') };
    const w = (before: Item | undefined, after: Item | undefined) =>
      writeUnits({ before, after, transactional: false, indexes: INDEXES }).indexes;

    // Act / Assess
    expect(w(base, in1)).toEqual({ gsi1: 1 });
    expect(w(in1, base)).toEqual({ gsi1: 1 });
    expect(w(in1, undefined)).toEqual({ gsi1: 1 });
    expect(w(in1, moved)).toEqual({ gsi1: 2 });
    expect(w(in1, changed)).toEqual({ gsi1: 1 });
    expect(w(in1, { ...in1 })).toEqual({});
    expect(w(base, { ...base, gsi2pk: s('x') })).toEqual({}); // half a key: not in the index
  });
});

describe('Function: failedConditionUnits', () => {
  it('charges the existing item per KB, or 1 when there is none', () => {
    // Act / Assess
    expect([failedConditionUnits(undefined), failedConditionUnits(sized(3000))]).toEqual([1, 3]);
  });
});

describe('Function: readUnits', () => {
  it("keeps DynamoDB Local's figure but never below what AWS charges for a read that finds nothing", () => {
    // Act / Assess
    expect([readUnits(0, false), readUnits(0, true), readUnits(2.5, false)]).toEqual([0.5, 1, 2.5]);
  });
});
