import { stringify } from 'yaml';
import { CliError, EXIT } from './exit-codes.js';

export type Format = 'table' | 'json' | 'yaml';
export const FORMATS: readonly Format[] = ['table', 'json', 'yaml'];

export function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new CliError(`--output must be one of ${FORMATS.join(', ')}, not "${value}"`, EXIT.VALIDATION);
}

/** A column of a table: its heading and how to read it from a row. */
export type Column = readonly [heading: string, read: (row: Record<string, unknown>) => unknown];

/**
 * Renders API data: json and yaml print it whole (what scripts parse); table prints the columns
 * given, one row per item (a single object is a one-row table).
 */
export function render(
  format: Format,
  data: unknown,
  columns: readonly Column[],
  rows?: readonly unknown[],
): string {
  if (format === 'json') return JSON.stringify(data, null, 2);
  if (format === 'yaml') return stringify(data).trimEnd();
  const list = (rows ?? (Array.isArray(data) ? data : [data])) as Record<string, unknown>[];
  return table(
    columns.map(([h]) => h),
    list.map((row) => columns.map(([, read]) => cell(read(row)))),
  );
}

export function table(headings: readonly string[], rows: readonly string[][]): string {
  const widths = headings.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headings), ...rows.map(line)].join('\n');
}

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const get =
  (key: string): Column[1] =>
  (row) =>
    row[key];

export const CLUSTER_COLUMNS: readonly Column[] = [
  ['ID', get('id')],
  ['NAME', get('name')],
  ['ENGINE', (r) => `${r.engine} ${r.version ?? ''}`.trim()],
  ['REGION', get('region')],
  ['NODES', get('nodes')],
  ['SIZE', get('size')],
  ['STATUS', get('status')],
  ['ENDPOINT', get('endpoint')],
];

export const OPERATION_COLUMNS: readonly Column[] = [
  ['ID', get('id')],
  ['TYPE', get('type')],
  ['STATUS', get('status')],
  ['CLUSTER', get('clusterId')],
  ['REGION', get('region')],
  ['CREATED', get('createdAt')],
  ['ERROR', (r) => (r.error as { code?: string; message?: string } | undefined)?.message],
];

export const API_KEY_COLUMNS: readonly Column[] = [
  ['ID', get('id')],
  ['NAME', get('name')],
  ['ROLE', get('role')],
  ['CREATED', get('createdAt')],
  ['EXPIRES', get('expiresAt')],
  ['REVOKED', get('revokedAt')],
];

export const CONNECTION_COLUMNS: readonly Column[] = [
  ['CLUSTER', get('clusterId')],
  ['ENDPOINT', get('endpoint')],
  ['HOST', get('host')],
  ['PORT', get('port')],
  ['CREDENTIAL', (r) => (r.credential as { secretName?: string; key?: string } | undefined)?.secretName],
];
