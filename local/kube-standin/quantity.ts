/**
 * Kubernetes resource quantities in their canonical form, as the API server stores them (k8s.io
 * apimachinery `pkg/api/resource`, `Quantity.String()`; its TestQuantityParseEmit table: `1024Mi` ->
 * `1Gi`, `1000M` -> `1G`, `.001Ki` -> `1024m`; and `1000m` -> `1`, `0.5` -> `500m`):
 *
 * - the suffix family is kept: binary (`Ki`...`Ei`), decimal SI (`n`, `u`, `m`, ``, `k`...`E`) or
 *   a decimal exponent (`e3`);
 * - a binary quantity under 1024, or not a whole number, is written in decimal SI;
 * - the number is the smallest whole one: the largest suffix (a power of 1024, or of 1000) that
 *   leaves no fraction;
 * - precision finer than a nano is rounded up (to the next nano).
 */

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const BY_EXPONENT: Record<number, string> = Object.fromEntries(
  Object.entries(DECIMAL_SUFFIXES).map(([suffix, exponent]) => [exponent, suffix]),
);
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
const NANO = 10n ** 9n;

/** The message the API server answers for a value that is not a quantity (decoding, 400). */
export const QUANTITY_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

interface Parsed {
  /** The value in nanos, rounded up; negative when the quantity is. */
  readonly nanos: bigint;
  readonly format: 'binary' | 'decimal' | 'exponent';
}

function parse(value: string | number): Parsed | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number = '0', binary, decimal, exponentText] = m;
  const [whole = '', fraction = ''] = number.split('.');
  // value = digits * 10^-fraction.length * (suffix multiplier); computed in nanos, rounded up.
  const digits = BigInt(`${whole}${fraction}` || '0');
  let scale = -fraction.length;
  let multiplier = 1n;
  let format: Parsed['format'] = 'decimal';
  if (binary !== undefined) {
    format = 'binary';
    multiplier = 1024n ** BigInt(BINARY_SUFFIXES.indexOf(binary));
  } else if (decimal !== undefined) {
    scale += DECIMAL_SUFFIXES[decimal] ?? 0;
  } else if (exponentText !== undefined) {
    format = 'exponent';
    scale += Number(exponentText);
  }
  // nanos = digits * multiplier * 10^(scale + 9), rounded up when scale + 9 < 0
  const shift = scale + 9;
  let nanos: bigint;
  if (shift >= 0) nanos = digits * multiplier * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    const product = digits * multiplier;
    nanos = product / divisor + (product % divisor === 0n ? 0n : 1n);
  }
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

/** Compares two quantities by value (`1Gi` > `1000Mi`); undefined when one is not a quantity. */
export function compareQuantities(a: string | number, b: string | number): number | undefined {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  return x.nanos === y.nanos ? 0 : x.nanos < y.nanos ? -1 : 1;
}

/** The canonical text of a quantity (a JSON string or number); undefined when it is not one. */
export function canonicalQuantity(value: string | number): string | undefined {
  const parsed = parse(value);
  if (!parsed) return undefined;
  const { format } = parsed;
  const negative = parsed.nanos < 0n;
  const nanos = negative ? -parsed.nanos : parsed.nanos;
  if (nanos === 0n) return '0';
  const prefix = negative ? '-' : '';
  if (format === 'binary' && nanos >= 1024n * NANO && nanos % NANO === 0n) {
    let units = nanos / NANO;
    let power = 0;
    while (units % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
      units /= 1024n;
      power++;
    }
    return `${prefix}${units}${BINARY_SUFFIXES[power]}`;
  }
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 1000n === 0n && exponent < 18) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (format === 'exponent') return `${prefix}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  return `${prefix}${mantissa}${BY_EXPONENT[exponent] ?? ''}`;
}
