import { describe, expect, it } from 'vitest';
import { emitRows, formatTable, met, parseRows, ROWS_MARK, row } from '../../../bench/report.js';

describe('Function: row', () => {
  it('computes the ratio to the floor, and none without a floor', () => {
    // Act
    const withFloor = row({ bench: 'b', name: 'n', figure: 30, unit: 'ms', floor: 20 });
    const without = row({ bench: 'b', name: 'n', figure: 30, unit: 'ms' });

    // Assess
    expect(withFloor.ratio).toBe(1.5);
    expect(without).not.toHaveProperty('ratio');
  });
});

describe('Function: met', () => {
  it('checks a ratio goal, a bound on the figure, both, and says nothing without a goal', () => {
    // Prepare
    const base = { bench: 'b', name: 'n', unit: 'ms' };

    // Act & Assess
    expect(met(row({ ...base, figure: 30, floor: 20, goal: { ratio: 1.5 } }))).toBe(true);
    expect(met(row({ ...base, figure: 31, floor: 20, goal: { ratio: 1.5 } }))).toBe(false);
    expect(met(row({ ...base, figure: 31, goal: { ratio: 1.5 } }))).toBeUndefined();
    expect(met(row({ ...base, figure: 1.2, goal: { max: 1 } }))).toBe(false);
    expect(met(row({ ...base, figure: 60, goal: { min: 50 } }))).toBe(true);
    expect(met(row({ ...base, figure: 30, floor: 20, goal: { ratio: 2, max: 25 } }))).toBe(false);
    expect(met(row({ ...base, figure: 30 }))).toBeUndefined();
  });
});

describe('Function: parseRows', () => {
  it('takes the rows off the marker lines and keeps the rest of the output', () => {
    // Prepare
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      emitRows([row({ bench: 'b', name: 'first', figure: 2, unit: 's', floor: 1 })]);
      emitRows([]);
    } finally {
      console.log = log;
    }
    const stdout = ['human line 1', ...printed, 'human line 2', ''].join('\n');

    // Act
    const { rows, text } = parseRows(stdout);

    // Assess
    expect(printed).toHaveLength(1);
    expect(printed[0]?.startsWith(ROWS_MARK)).toBe(true);
    expect(rows).toEqual([{ bench: 'b', name: 'first', figure: 2, unit: 's', floor: 1, ratio: 2 }]);
    expect(text).toBe('human line 1\nhuman line 2\n');
  });
});

describe('Function: formatTable', () => {
  it('prints one aligned line per row with figure, floor, ratio, goal and whether it is met', () => {
    // Prepare
    const rows = [
      row({ bench: 'api', name: 'POST p50', figure: 31.25, unit: 'ms', floor: 20, goal: { ratio: 1.5 } }),
      row({ bench: 'scale', name: 'READY', figure: 4.2, unit: 'clusters/s', goal: { min: 50 } }),
    ];

    // Act
    const lines = formatTable(rows);

    // Assess
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^api: POST p50\s+31\.3\s+ms\s+20\.0\s+1\.56x\s+<= 1\.5x floor\s+NO$/);
    expect(lines[2]).toMatch(/^scale: READY\s+4\.20\s+clusters\/s\s+-\s+-\s+>= 50\.0 clusters\/s\s+NO$/);
    // Aligned: the figure column ends at the same place on every line.
    const end = (l: string | undefined, v: string) => (l ?? '').indexOf(v) + v.length;
    expect(end(lines[1], '31.3')).toBe(end(lines[2], '4.20'));
  });
});
