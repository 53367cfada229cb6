/**
 * EventBridge event-pattern matching, for the local bus and for the local runtime's Lambda event
 * filters (which use the same syntax on the raw record, e.g. a DynamoDB stream record).
 *
 * Semantics follow the EventBridge user guide ("Event pattern syntax", "Comparison operators",
 * "Matching on multiple field values") and aws/event-ruler, which implements it:
 * - keys are ANDed, the alternatives of a leaf array are ORed, `$or` ORs sub-patterns;
 * - the event is seen as leaves: arrays are "crushed out" (an array matches when any element
 *   matches), and a pattern object matched against an array of objects must match within one
 *   element (event-ruler's array-consistent matching);
 * - an object is not a leaf: a leaf condition on an object value behaves as if the field were
 *   missing (so `exists: false` matches it, as the event-ruler README documents);
 * - a missing field matches nothing except `exists: false`.
 *
 * Where AWS documents a limit (numeric range, wildcard escapes), validation is at least as strict
 * as AWS, so that a pattern accepted locally is accepted by PutRule.
 */
import { BlockList, isIP } from 'node:net';

export class InvalidEventPatternError extends Error {
  /** Dotted path of the offending node, e.g. `detail.state[0]`. */
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`Invalid event pattern at ${path === '' ? 'root' : `"${path}"`}: ${reason}`, options);
    this.name = 'InvalidEventPatternError';
    this.path = path;
  }
}

/** Documented range of numeric matching ("-5.0e9 to +5.0e9 inclusive"). */
const NUMERIC_LIMIT = 5e9;
const LOWER_OPS = new Set(['>', '>=']);
const UPPER_OPS = new Set(['<', '<=']);
const ANYTHING_BUT_OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/**
 * Throws `InvalidEventPatternError` unless `pattern` is a well-formed event pattern.
 * An empty object is accepted (it matches every event), which is convenient for local tools.
 */
export function validatePattern(pattern: unknown): void {
  if (!isPlainObject(pattern)) {
    throw new InvalidEventPatternError('', `a pattern must be a JSON object, got ${describe(pattern)}`);
  }
  validateObject(pattern, '');
}

function validateObject(pattern: PlainObject, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const here = join(path, key);
    if (key === '$or' && Array.isArray(value)) {
      validateOr(value, here);
    } else if (Array.isArray(value)) {
      validateLeaf(value, here);
    } else if (isPlainObject(value)) {
      validateObject(value, here);
    } else {
      throw new InvalidEventPatternError(
        here,
        `a leaf must be an array of alternatives (write [${describe(value)}]), got ${describe(value)}`,
      );
    }
  }
}

function validateOr(alternatives: unknown[], path: string): void {
  if (alternatives.length < 2) {
    throw new InvalidEventPatternError(path, '$or needs at least two alternatives');
  }
  alternatives.forEach((alternative, index) => {
    const here = `${path}[${index}]`;
    if (!isPlainObject(alternative) || Object.keys(alternative).length === 0) {
      throw new InvalidEventPatternError(
        here,
        `each $or alternative must be a non-empty pattern object, got ${describe(alternative)}`,
      );
    }
    validateObject(alternative, here);
  });
}

function validateLeaf(alternatives: unknown[], path: string): void {
  if (alternatives.length === 0) {
    throw new InvalidEventPatternError(path, 'empty arrays are not allowed; list at least one value');
  }
  alternatives.forEach((alternative, index) => {
    const here = `${path}[${index}]`;
    if (alternative === null || ['string', 'boolean'].includes(typeof alternative)) return;
    if (typeof alternative === 'number') {
      if (!Number.isFinite(alternative)) {
        throw new InvalidEventPatternError(here, `${alternative} is not a JSON number`);
      }
      return;
    }
    if (Array.isArray(alternative)) {
      throw new InvalidEventPatternError(here, 'nested arrays are not allowed in a leaf');
    }
    if (isPlainObject(alternative)) {
      validateOperator(alternative, here);
      return;
    }
    throw new InvalidEventPatternError(here, `unsupported value ${describe(alternative)}`);
  });
}

function validateOperator(expression: PlainObject, path: string): void {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    throw new InvalidEventPatternError(
      path,
      `a match expression must have exactly one operator, got ${keys.length === 0 ? 'none' : keys.join(', ')}`,
    );
  }
  const operator = keys[0] as string;
  const operand = expression[operator];
  const here = join(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      validateStringOrIgnoreCase(operand, here);
      return;
    case 'equals-ignore-case':
      requireString(operand, here);
      return;
    case 'wildcard':
      requireString(operand, here);
      validateWildcard(operand as string, here);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw new InvalidEventPatternError(here, `exists takes true or false, got ${describe(operand)}`);
      }
      return;
    case 'numeric':
      validateNumeric(operand, here);
      return;
    case 'cidr':
      requireString(operand, here);
      parseCidr(operand as string, here);
      return;
    case 'anything-but':
      validateAnythingBut(operand, here);
      return;
    default:
      throw new InvalidEventPatternError(
        path,
        `unknown operator "${operator}" (expected prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr)`,
      );
  }
}

function requireString(operand: unknown, path: string): void {
  if (typeof operand !== 'string') {
    throw new InvalidEventPatternError(path, `expected a string, got ${describe(operand)}`);
  }
}

function validateStringOrIgnoreCase(operand: unknown, path: string): void {
  if (typeof operand === 'string') return;
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      requireString(operand['equals-ignore-case'], join(path, 'equals-ignore-case'));
      return;
    }
  }
  throw new InvalidEventPatternError(
    path,
    `expected a string or {"equals-ignore-case": string}, got ${describe(operand)}`,
  );
}

function validateWildcard(value: string, path: string): void {
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '\\') {
      const next = value[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(path, 'a backslash may only escape "*" or "\\"');
      }
      i++;
    } else if (char === '*' && value[i + 1] === '*') {
      throw new InvalidEventPatternError(path, 'consecutive wildcard characters are not allowed');
    }
  }
}

function validateNumeric(operand: unknown, path: string): void {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new InvalidEventPatternError(
      path,
      `numeric takes [op, value] or [lowerOp, value, upperOp, value], got ${describe(operand)}`,
    );
  }
  const [firstOp, firstValue, secondOp, secondValue] = operand as unknown[];
  checkNumber(firstValue, path);
  if (operand.length === 2) {
    if (firstOp !== '=' && !LOWER_OPS.has(firstOp as string) && !UPPER_OPS.has(firstOp as string)) {
      throw new InvalidEventPatternError(path, `unknown numeric operator ${describe(firstOp)}`);
    }
    return;
  }
  checkNumber(secondValue, path);
  if (!LOWER_OPS.has(firstOp as string) || !UPPER_OPS.has(secondOp as string)) {
    throw new InvalidEventPatternError(
      path,
      `a numeric range is [">" or ">=", low, "<" or "<=", high], got ${describe(operand)}`,
    );
  }
  if ((firstValue as number) >= (secondValue as number)) {
    throw new InvalidEventPatternError(
      path,
      'the lower bound of a numeric range must be below the upper bound',
    );
  }
}

function checkNumber(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidEventPatternError(path, `numeric bounds must be JSON numbers, got ${describe(value)}`);
  }
  if (Math.abs(value) > NUMERIC_LIMIT) {
    throw new InvalidEventPatternError(path, `${value} is outside the supported range -5.0e9 to 5.0e9`);
  }
}

function validateAnythingBut(operand: unknown, path: string): void {
  if (typeof operand === 'string') return;
  if (typeof operand === 'number') {
    checkNumber(operand, path);
    return;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new InvalidEventPatternError(path, 'anything-but list must not be empty');
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number' && Number.isFinite(item));
    if (!allStrings && !allNumbers) {
      throw new InvalidEventPatternError(path, 'anything-but list must hold only strings or only numbers');
    }
    return;
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const operator = keys[0];
    if (keys.length !== 1 || operator === undefined || !ANYTHING_BUT_OPERATORS.has(operator)) {
      throw new InvalidEventPatternError(
        path,
        `anything-but takes a value, a list, or one of {prefix}, {suffix}, {equals-ignore-case}, {wildcard}; got ${describe(operand)}`,
      );
    }
    const inner = operand[operator];
    const here = join(path, operator);
    const values =
      (operator === 'equals-ignore-case' || operator === 'wildcard') && Array.isArray(inner)
        ? inner
        : [inner];
    if (values.length === 0) throw new InvalidEventPatternError(here, 'list must not be empty');
    for (const value of values) {
      requireString(value, here);
      if (operator === 'wildcard') validateWildcard(value as string, here);
    }
    return;
  }
  throw new InvalidEventPatternError(path, `unsupported anything-but operand ${describe(operand)}`);
}

function parseCidr(value: string, path: string): { list: BlockList; family: 4 | 6 } {
  const slash = value.lastIndexOf('/');
  const address = value.slice(0, slash);
  const bitsText = value.slice(slash + 1);
  const bits = Number(bitsText);
  const family = isIP(address);
  if (slash < 0 || family === 0 || !/^\d{1,3}$/.test(bitsText) || bits > (family === 4 ? 32 : 128)) {
    throw new InvalidEventPatternError(path, `${describe(value)} is not a CIDR block like "10.0.0.0/24"`);
  }
  const list = new BlockList();
  list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  return { list, family: family === 4 ? 4 : 6 };
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

const cidrCache = new Map<string, { list: BlockList; family: 4 | 6 }>();
const wildcardCache = new Map<string, RegExp>();

/**
 * Whether `event` matches `pattern`. Validates the pattern first (throws
 * `InvalidEventPatternError`); callers matching many events should still validate once up front
 * to fail fast at subscription time.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

/**
 * Validates `pattern` once and returns a matcher for it. The pattern is deep-copied, so later
 * changes to the caller's object do not change what the matcher accepts.
 */
export function compilePattern(pattern: Record<string, unknown>): (event: unknown) => boolean {
  validatePattern(pattern);
  const frozen = structuredClone(pattern);
  return (event) => matchObject(frozen, isPlainObject(event) ? event : undefined);
}

function matchObject(pattern: PlainObject, value: PlainObject | undefined): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(sub)) {
      if (!sub.some((alternative) => matchObject(alternative as PlainObject, value))) return false;
      continue;
    }
    const field = value !== undefined && Object.hasOwn(value, key) ? value[key] : undefined;
    const matched = Array.isArray(sub) ? matchLeaf(sub, field) : matchNested(sub as PlainObject, field);
    if (!matched) return false;
  }
  return true;
}

function matchNested(pattern: PlainObject, field: unknown): boolean {
  if (isPlainObject(field)) return matchObject(pattern, field);
  if (Array.isArray(field)) {
    const objects = crush(field).filter(isPlainObject);
    if (objects.length > 0) return objects.some((element) => matchObject(pattern, element));
  }
  return matchObject(pattern, undefined);
}

/** Flattens nested arrays ("crushes out" array structure, as event-ruler does). */
function crush(values: unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? crush(value) : [value]));
}

/** The leaf values a field contributes: objects are not leaves, arrays are crushed. */
function leafValues(field: unknown): Json[] {
  if (field === undefined) return [];
  const values = Array.isArray(field) ? crush(field) : [field];
  return values.filter((value) => value !== undefined && !isPlainObject(value)) as Json[];
}

function matchLeaf(alternatives: unknown[], field: unknown): boolean {
  const values = leafValues(field);
  return alternatives.some((alternative) => matchAlternative(alternative, values));
}

function matchAlternative(alternative: unknown, values: Json[]): boolean {
  if (!isPlainObject(alternative)) return values.some((value) => value === alternative);
  const [operator, operand] = Object.entries(alternative)[0] as [string, unknown];
  if (operator === 'exists') return values.length > 0 === operand;
  if (operator === 'anything-but') return values.some((value) => !matchesAnythingButOperand(operand, value));
  return values.some((value) => matchStringOrNumberOperator(operator, operand, value));
}

function matchStringOrNumberOperator(operator: string, operand: unknown, value: Json): boolean {
  if (operator === 'numeric') return typeof value === 'number' && inRange(operand as unknown[], value);
  if (typeof value !== 'string') return false;
  switch (operator) {
    case 'prefix':
      return typeof operand === 'string'
        ? value.startsWith(operand)
        : fold(value).startsWith(fold(ignoreCaseOperand(operand)));
    case 'suffix':
      return typeof operand === 'string'
        ? value.endsWith(operand)
        : fold(value).endsWith(fold(ignoreCaseOperand(operand)));
    case 'equals-ignore-case':
      return fold(value) === fold(operand as string);
    case 'wildcard':
      return wildcardRegExp(operand as string).test(value);
    case 'cidr':
      return inCidr(operand as string, value);
    default:
      return false;
  }
}

/** True when `value` is one of the things anything-but excludes. */
function matchesAnythingButOperand(operand: unknown, value: Json): boolean {
  if (Array.isArray(operand)) return operand.some((excluded) => excluded === value);
  if (!isPlainObject(operand)) return operand === value;
  const [operator, inner] = Object.entries(operand)[0] as [string, unknown];
  const list = Array.isArray(inner) ? inner : [inner];
  return list.some((item) => matchStringOrNumberOperator(operator, item, value));
}

function ignoreCaseOperand(operand: unknown): string {
  return (operand as { 'equals-ignore-case': string })['equals-ignore-case'];
}

function fold(value: string): string {
  return value.toLowerCase();
}

function inRange(operand: unknown[], value: number): boolean {
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1] as number;
    const ok =
      op === '='
        ? value === bound
        : op === '>'
          ? value > bound
          : op === '>='
            ? value >= bound
            : op === '<'
              ? value < bound
              : op === '<='
                ? value <= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardRegExp(pattern: string): RegExp {
  let cached = wildcardCache.get(pattern);
  if (cached === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const char = pattern[i] as string;
      if (char === '\\') {
        source += escapeRegExp(pattern[i + 1] ?? '');
        i++;
      } else if (char === '*') {
        source += '[\\s\\S]*';
      } else {
        source += escapeRegExp(char);
      }
    }
    cached = new RegExp(`^${source}$`);
    wildcardCache.set(pattern, cached);
  }
  return cached;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function inCidr(cidr: string, value: string): boolean {
  let parsed = cidrCache.get(cidr);
  if (parsed === undefined) {
    parsed = parseCidr(cidr, '');
    cidrCache.set(cidr, parsed);
  }
  if (isIP(value) !== parsed.family) return false;
  return parsed.list.check(value, parsed.family === 4 ? 'ipv4' : 'ipv6');
}
