/**
 * The rows protocol of `npm run bench` (bench/run.ts, issue #12): every bench runs in its own
 * process, prints its human output as before, and emits its figures as rows, one marker line each
 * on stdout (`emitRows`). The runner picks the marker lines out (`parseRows`), leaves the rest
 * on screen, and prints every bench's rows as one table at the end, with the same in JSON.
 *
 * A row is one figure next to its floor (the least the same work costs, measured in the same run
 * where it can be) and the goal set for it, as a ratio to the floor (`goal.ratio`) or as a bound
 * on the figure itself (`goal.max`, `goal.min`). Benchmarks never assert: `met` is a column.
 */

export interface BenchGoal {
  /** figure / floor must be at most this. */
  readonly ratio?: number;
  /** The figure must be at most this (its unit). */
  readonly max?: number;
  /** The figure must be at least this (its unit). */
  readonly min?: number;
  /** Where the goal comes from, e.g. `issue #12`. */
  readonly source?: string;
}

export interface BenchRow {
  /** The bench that measured it (bench/<bench>.ts). */
  readonly bench: string;
  readonly name: string;
  readonly figure: number;
  readonly unit: string;
  readonly floor?: number;
  /** figure / floor, filled in by `row` when both are there. */
  readonly ratio?: number;
  readonly goal?: BenchGoal;
  readonly note?: string;
}

export const ROWS_MARK = 'STRATUS_BENCH_ROWS ';

/** A row with its ratio computed (figure / floor) when a floor is given. */
export function row(r: Omit<BenchRow, 'ratio'>): BenchRow {
  const ratio = r.floor !== undefined && r.floor > 0 ? r.figure / r.floor : undefined;
  return { ...r, ...(ratio !== undefined ? { ratio } : {}) };
}

/** Prints rows on the marker line bench/run.ts reads; a bench run alone prints them too (harmless). */
export function emitRows(rows: readonly BenchRow[]): void {
  if (rows.length > 0) console.log(`${ROWS_MARK}${JSON.stringify(rows)}`);
}

/** Splits a bench's stdout into its rows and the human output (marker lines removed). */
export function parseRows(stdout: string): { rows: BenchRow[]; text: string } {
  const rows: BenchRow[] = [];
  const text: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(ROWS_MARK)) rows.push(...(JSON.parse(line.slice(ROWS_MARK.length)) as BenchRow[]));
    else text.push(line);
  }
  return { rows, text: text.join('\n') };
}

/** Whether the row meets its goal; undefined when it has none (or no floor for a ratio goal). */
export function met(r: BenchRow): boolean | undefined {
  const g = r.goal;
  if (!g) return undefined;
  const checks: boolean[] = [];
  if (g.ratio !== undefined) {
    if (r.ratio === undefined) return undefined;
    checks.push(r.ratio <= g.ratio);
  }
  if (g.max !== undefined) checks.push(r.figure <= g.max);
  if (g.min !== undefined) checks.push(r.figure >= g.min);
  return checks.length > 0 ? checks.every(Boolean) : undefined;
}

/** A figure in a few significant digits: 0.043, 1.26, 91.4, 1234. */
export function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function goalText(r: BenchRow): string {
  const g = r.goal;
  if (!g) return '';
  const parts: string[] = [];
  if (g.ratio !== undefined) parts.push(`<= ${g.ratio}x floor`);
  if (g.max !== undefined) parts.push(`<= ${num(g.max)} ${r.unit}`);
  if (g.min !== undefined) parts.push(`>= ${num(g.min)} ${r.unit}`);
  return parts.join(', ');
}

/** The rows as one aligned table: bench, figure, floor, ratio, goal, met. */
export function formatTable(rows: readonly BenchRow[]): string[] {
  const cells = [
    ['bench', 'figure', 'unit', 'floor', 'ratio', 'goal', 'met'],
    ...rows.map((r) => {
      const m = met(r);
      return [
        `${r.bench}: ${r.name}`,
        num(r.figure),
        r.unit,
        num(r.floor),
        r.ratio !== undefined ? `${num(r.ratio)}x` : '-',
        goalText(r),
        m === undefined ? '' : m ? 'yes' : 'NO',
      ];
    }),
  ];
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length))) ?? [];
  // Text columns (name, unit, goal, met) left-aligned; numbers right-aligned.
  const left = new Set([0, 2, 5, 6]);
  return cells.map((c) =>
    c
      .map((v, i) => (left.has(i) ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
