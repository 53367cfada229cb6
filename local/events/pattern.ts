/**
 * EventBridge event-pattern matching, for the local bus and for the local runtime's Lambda event
 * filters (which use the same syntax on the raw record, e.g. a DynamoDB stream record).
 *
 * Semantics follow the EventBridge user guide ("Event patterns", "Content filtering", "Comparison
 * operators", "Arrays in event patterns", "Matching null values and empty strings") and
 * aws/event-ruler, the matcher EventBridge runs:
 * - keys are ANDed, the alternatives of a leaf array are ORed, `$or` ORs sub-patterns;
 * - a key containing dots is a path: `{"detail": {"state.status": [...]}}` is
 *   `{"detail": {"state": {"status": [...]}}}`, and an event key `"state.status"` is the same path
 *   as a nested `state.status` (event-ruler names every field by its dotted path, pattern and event
 *   alike: `Path#extendedName`);
 * - the event is seen as leaves: arrays are "crushed out" (an array matches when any element
 *   matches), and a pattern object matched against an array of objects must match within one
 *   element (event-ruler's array-consistent matching);
 * - an object is not a leaf: a leaf condition on an object value behaves as if the field were
 *   missing (so `exists: false` matches it, as the event-ruler README documents);
 * - a missing field matches nothing except `exists: false`.
 *
 * Validation follows event-ruler's `JsonRuleCompiler` and gives the reasons AWS gives
 * (`InvalidEventPatternException: Event pattern is not valid. Reason: <reason>`), including the
 * complexity limit of wildcard patterns ("Rule is too complex", `MachineComplexityEvaluator`).
 * Local deviation: an empty pattern `{}` (the root only) is accepted and matches every event, for
 * the bus's in-process `subscribe`/`waitFor`; AWS rejects it ("Empty objects are not allowed").
 *
 * The `lambda` dialect (Lambda event source mapping filters) rejects the operators that Lambda's
 * "Filter rule syntax" table does not list and EventBridge's operator table marks as unsupported
 * outside event buses: `wildcard`, `cidr`, and `anything-but` with `prefix`, `suffix`,
 * `equals-ignore-case` or `wildcard`.
 */
import { BlockList, isIP } from 'node:net';

export type PatternDialect = 'eventbridge' | 'lambda';

export interface PatternOptions {
  /** Which service's rules apply. @default 'eventbridge' */
  readonly dialect?: PatternDialect;
}

const PREFIXES: Record<PatternDialect, { code: string; message: string }> = {
  eventbridge: { code: 'InvalidEventPatternException', message: 'Event pattern is not valid. Reason: ' },
  lambda: { code: 'InvalidParameterValueException', message: 'Invalid filter pattern definition. Reason: ' },
};

export class InvalidEventPatternError extends Error {
  /** Dotted path of the offending node, e.g. `detail.state[0]` ('' for the root). */
  readonly path: string;
  /** The reason as AWS words it, e.g. `Empty arrays are not allowed`. */
  readonly reason: string;
  /** The AWS error code: `InvalidEventPatternException` (EventBridge) or `InvalidParameterValueException` (Lambda). */
  readonly code: string;

  constructor(path: string, reason: string, dialect: PatternDialect = 'eventbridge') {
    const prefix = PREFIXES[dialect];
    super(`${prefix.message}${reason}${path === '' ? '' : ` (at ${path})`}`);
    this.name = 'InvalidEventPatternError';
    this.path = path;
    this.reason = reason;
    this.code = prefix.code;
  }
}

/** Numbers event-ruler can compare (`ComparableNumber`): -5.0e9 to 5.0e9, 6 decimals. */
const NUMERIC_LIMIT = 5e9;
const MAX_DECIMALS = 6;
const ANYTHING_BUT_OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);
/** event-ruler `Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`. */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);
/**
 * The complexity above which PutRule answers "Rule is too complex". The measure is event-ruler's
 * (`MachineComplexityEvaluator`: the most wildcard-pattern prefixes one value can be in at once);
 * the threshold is not documented: 10 is consistent with a public report of PutRule rejecting four
 * `"*\/datasync/*.<ext>"` wildcards on one field (measured 16 here) and accepting two of them (8)
 * or four `"*.<ext>"` ones (8). See test/unit/local/pattern-aws.test.ts.
 */
export const MAX_WILDCARD_COMPLEXITY = 10;
/**
 * Pattern size quotas, measured on the compact JSON. EventBridge: "Event pattern size", 2048
 * characters by default (EventBridge User Guide, "EventBridge quotas"; adjustable to 4096, the
 * `EventPattern` length constraint of PutRule). Lambda: a filter's `Pattern` is at most 4096
 * characters (Lambda API Reference, `Filter`). AWS's wording of this rejection is not documented.
 */
export const MAX_PATTERN_LENGTH: Readonly<Record<PatternDialect, number>> = {
  eventbridge: 2048,
  lambda: 4096,
};
const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Jackson prints the token AWS complains about (strings unquoted). */
function tokenText(value: unknown): string {
  if (value === undefined) return ']';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return '[';
  if (isPlainObject(value)) return '{';
  return String(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

class Validator {
  constructor(readonly dialect: PatternDialect) {}

  fail(path: string, reason: string): never {
    throw new InvalidEventPatternError(path, reason, this.dialect);
  }

  object(pattern: PlainObject, path: string, insideOr: boolean): void {
    const entries = Object.entries(pattern);
    // ruler: JsonRuleCompiler#parseObject
    if (entries.length === 0) this.fail(path, 'Empty objects are not allowed');
    for (const [key, value] of entries) {
      const here = join(path, key);
      if (key === '$or') {
        this.or(value, here);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(key)) {
        this.fail(here, `${key} is Ruler reserved fieldName which cannot be used inside $or.`);
      }
      if (Array.isArray(value)) this.leaf(value, here);
      else if (isPlainObject(value)) this.object(value, here, insideOr);
      else this.fail(here, `"${key}" must be an object or an array`);
    }
  }

  or(value: unknown, path: string): void {
    if (!Array.isArray(value)) this.fail(path, 'It must be an Array followed with $or.');
    value.forEach((alternative, index) => {
      if (!isPlainObject(alternative)) {
        this.fail(`${path}[${index}]`, 'Only JSON object is allowed in array of $or relationship.');
      }
      this.object(alternative, `${path}[${index}]`, true);
    });
    if (value.length < 2) this.fail(path, 'There must have at least 2 Objects in $or relationship.');
  }

  leaf(alternatives: unknown[], path: string): void {
    alternatives.forEach((alternative, index) => {
      const here = `${path}[${index}]`;
      if (alternative === null || typeof alternative === 'string' || typeof alternative === 'boolean') return;
      if (typeof alternative === 'number' && Number.isFinite(alternative)) return;
      if (isPlainObject(alternative)) {
        this.expression(alternative, here);
        return;
      }
      this.fail(here, 'Match value must be String, number, true, false, or null');
    });
    if (alternatives.length === 0) this.fail(path, 'Empty arrays are not allowed');
  }

  expression(expression: PlainObject, path: string): void {
    const keys = Object.keys(expression);
    const operator = keys[0];
    if (operator === undefined) this.fail(path, 'Match expression name not found');
    const operand = expression[operator];
    const here = join(path, operator);
    const onlyOne = () => {
      if (keys.length > 1) this.fail(path, 'Only one key allowed in match expression');
    };
    switch (operator) {
      case 'prefix':
      case 'suffix':
        if (isPlainObject(operand)) this.affixIgnoringCase(operator, operand, here);
        else if (typeof operand !== 'string') this.fail(here, `${operator} match pattern must be a string`);
        onlyOne();
        return;
      case 'equals-ignore-case':
        if (typeof operand !== 'string') this.fail(here, 'equals-ignore-case match pattern must be a string');
        onlyOne();
        return;
      case 'wildcard':
        this.lambdaUnsupported(here, 'wildcard');
        if (typeof operand !== 'string') this.fail(here, 'wildcard match pattern must be a string');
        this.wildcard(operand, here);
        onlyOne();
        return;
      case 'exists':
        if (typeof operand !== 'boolean')
          this.fail(here, 'exists match pattern must be either true or false.');
        onlyOne();
        return;
      case 'cidr':
        this.lambdaUnsupported(here, 'cidr');
        // sic: event-ruler reuses the prefix message for cidr
        if (typeof operand !== 'string') this.fail(here, 'prefix match pattern must be a string');
        this.cidr(operand, here);
        onlyOne();
        return;
      case 'numeric':
        this.numeric(operand, here);
        if (keys.length > 1) this.fail(path, 'Too many elements in numeric expression');
        return;
      case 'anything-but':
        this.anythingBut(operand, here);
        // sic: event-ruler reports an extra key after anything-but with the numeric message
        if (keys.length > 1) this.fail(path, 'Too many elements in numeric expression');
        return;
      default:
        this.fail(path, `Unrecognized match type ${operator}`);
    }
  }

  lambdaUnsupported(path: string, what: string): void {
    if (this.dialect === 'lambda') {
      this.fail(path, `${what} is not in Lambda's filter rule syntax (EventBridge rules only)`);
    }
  }

  affixIgnoringCase(operator: string, operand: PlainObject, path: string): void {
    const keys = Object.keys(operand);
    const inner = keys[0];
    const Name = operator === 'prefix' ? 'Prefix' : 'Suffix';
    if (inner === undefined) this.fail(path, `${Name} expression name not found`);
    if (inner !== 'equals-ignore-case') this.fail(path, `Unsupported ${operator} pattern: ${inner}`);
    if (typeof operand[inner] !== 'string') {
      this.fail(join(path, inner), 'equals-ignore-case match pattern must be a string');
    }
    if (keys.length > 1) this.fail(path, 'Only one key allowed in match expression');
  }

  /** ruler: input/WildcardParser (positions are UTF-8 byte offsets). */
  wildcard(value: string, path: string): void {
    const bytes = Buffer.from(value, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x2a) {
        if (bytes[i + 1] === 0x2a) this.fail(path, `Consecutive wildcard characters at pos ${i}`);
      } else if (bytes[i] === 0x5c) {
        if (bytes[i + 1] === 0x2a || bytes[i + 1] === 0x5c) i++;
        else this.fail(path, `Invalid escape character at pos ${i}`);
      }
    }
  }

  /** ruler: CIDR#cidr. */
  cidr(value: string, path: string): void {
    const parts = value.split('/');
    if (parts.length !== 2) this.fail(path, "Malformed CIDR, one '/' required");
    const [address, bitsText] = parts as [string, string];
    if (!/^[+-]?\d+$/.test(bitsText)) this.fail(path, 'Malformed CIDR, mask bits must be an integer');
    const bits = Number(bitsText);
    if (bits < 0) this.fail(path, 'Malformed CIDR, mask bits must not be negative');
    const family = ipFamily(address);
    if (family === 0) {
      this.fail(
        path,
        looksLikeIp(address) ? `Invalid IP address: ${address}` : `Nonstandard IP address: ${address}`,
      );
    }
    if (family === 4 && bits > 31) this.fail(path, 'IPv4 mask bits must be < 32');
    if (family === 6 && bits > 127) this.fail(path, 'IPv6 mask bits must be < 128');
  }

  /** ruler: JsonRuleCompiler#processNumericMatchExpression and #completeNumericRange. */
  numeric(operand: unknown, path: string): void {
    if (!Array.isArray(operand)) this.fail(path, 'Value of numeric must be an array.');
    const [op, value, op2, value2] = operand as unknown[];
    if (typeof op !== 'string') this.fail(path, `Invalid member in numeric match: ${tokenText(op)}`);
    const name = op === '=' ? 'equals' : op;
    if (!['=', '<', '<=', '>', '>='].includes(op))
      this.fail(path, `Unrecognized numeric range operator: ${op}`);
    if (typeof value !== 'number') this.fail(path, `Value of ${name} must be numeric`);
    this.comparable(value, path);
    if (operand.length === 2) return;
    if (op === '=' || op === '<' || op === '<=') this.fail(path, 'Too many elements in numeric expression');
    if (typeof op2 !== 'string') this.fail(path, `Bad value in numeric range: ${tokenText(op2)}`);
    if (op2 !== '<' && op2 !== '<=') this.fail(path, `Bad numeric range operator: ${op2}`);
    if (typeof value2 !== 'number') this.fail(path, `Value of ${op2} must be numeric`);
    if (operand.length > 4) this.fail(path, 'Too many terms in numeric range expression');
    this.comparable(value2, path);
    if (value >= value2) this.fail(path, 'Bottom must be less than top');
  }

  /** ruler: ComparableNumber#generate. */
  comparable(value: number, path: string): void {
    if (decimals(value) > MAX_DECIMALS) this.fail(path, 'Only values upto 6 decimals are supported');
    if (Math.abs(value) > NUMERIC_LIMIT) this.fail(path, 'Value must be between -5.0E9 and 5.0E9, inclusive');
  }

  /** ruler: JsonRuleCompiler#processMatchExpression (anything-but branch). */
  anythingBut(operand: unknown, path: string): void {
    if (isPlainObject(operand)) {
      const keys = Object.keys(operand);
      const operator = keys[0];
      if (operator === undefined) this.fail(path, 'Anything-But expression name not found');
      if (!ANYTHING_BUT_OPERATORS.has(operator))
        this.fail(path, `Unsupported anything-but pattern: ${operator}`);
      this.lambdaUnsupported(path, `anything-but with ${operator}`);
      const inner = operand[operator];
      const here = join(path, operator);
      if (!Array.isArray(inner) && typeof inner !== 'string' && typeof inner !== 'number') {
        this.fail(here, 'Value of anything-but must be an array or single string/number value.');
      }
      for (const value of Array.isArray(inner) ? inner : [inner]) {
        if (typeof value !== 'string') {
          this.fail(
            here,
            operator === 'equals-ignore-case'
              ? 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'
              : operator === 'wildcard'
                ? 'wildcard match pattern must be a string'
                : 'prefix/suffix match pattern must be a string',
          );
        }
        if ((operator === 'prefix' || operator === 'suffix') && value === '') {
          this.fail(here, 'Null prefix/suffix not allowed');
        }
        if (operator === 'wildcard') this.wildcard(value, here);
      }
      if (keys.length > 1) this.fail(path, 'Too many elements in numeric expression');
      return;
    }
    if (typeof operand === 'string') return;
    if (typeof operand === 'number') {
      this.comparable(operand, path);
      return;
    }
    if (!Array.isArray(operand)) {
      this.fail(path, 'Value of anything-but must be an array or single string/number value.');
    }
    let strings = 0;
    let numbers = 0;
    for (const value of operand) {
      if (typeof value === 'string') strings++;
      else if (typeof value === 'number') {
        numbers++;
        this.comparable(value, path);
      } else this.fail(path, 'Inside anything but list, start|null|boolean is not supported.');
    }
    if (strings > 0 === numbers > 0) {
      this.fail(
        path,
        'Inside anything but list, either all values are number or string, mixed type is not supported',
      );
    }
  }
}

/** Digits after the decimal point of a JSON number (`1e-7` has 7). */
function decimals(value: number): number {
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (match === null) return 0;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/** event-ruler `Constants.IPv4_REGEX` / `IPv6_REGEX`: what it tries to read as an address. */
function looksLikeIp(text: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(text) || /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text);
}

function ipFamily(text: string): 0 | 4 | 6 {
  if (!looksLikeIp(text)) return 0;
  const family = isIP(text);
  return family === 4 || family === 6 ? family : 0;
}

/**
 * Throws `InvalidEventPatternError` unless `pattern` is a pattern AWS accepts (PutRule /
 * TestEventPattern for EventBridge, CreateEventSourceMapping filters for the `lambda` dialect).
 */
export function validatePattern(pattern: unknown, options: PatternOptions = {}): void {
  compile(pattern, options.dialect ?? 'eventbridge');
}

// ---------------------------------------------------------------------------------------------
// Dotted keys
// ---------------------------------------------------------------------------------------------

/**
 * The pattern with dotted keys turned into nested objects. When the same leaf path is given twice
 * (`{"a.b": [1], "a": {"b": [2]}}`) the later one wins, as event-ruler's compiler overrides.
 */
function expandPattern(pattern: PlainObject): PlainObject {
  const out: PlainObject = {};
  for (const [key, value] of Object.entries(pattern)) {
    const expanded =
      key === '$or' && Array.isArray(value)
        ? value.map((alternative) => expandPattern(alternative as PlainObject))
        : isPlainObject(value)
          ? expandPattern(value)
          : value;
    if (key === '$or') {
      out[key] = expanded;
      continue;
    }
    const segments = key.split('.');
    let node = out;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (!isPlainObject(next)) node[segment] = {};
      node = node[segment] as PlainObject;
    }
    const last = segments[segments.length - 1] as string;
    const existing = node[last];
    node[last] = isPlainObject(existing) && isPlainObject(expanded) ? merge(existing, expanded) : expanded;
  }
  return out;
}

function merge(into: PlainObject, from: PlainObject): PlainObject {
  const out = { ...into };
  for (const [key, value] of Object.entries(from)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? merge(existing, value) : value;
  }
  return out;
}

function hasDottedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasDottedKey);
  if (!isPlainObject(value)) return false;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('.') || hasDottedKey(inner)) return true;
  }
  return false;
}

/**
 * The event with dotted keys turned into nested objects: `{"a.b": 1}` becomes `{"a": {"b": 1}}`.
 * Two values for one path (`{"a.b": 1, "a": {"b": 2}}`) become an array of both, as event-ruler
 * sees two values of the field `a.b`; objects for one path merge (they are one element).
 */
function expandEvent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandEvent);
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  for (const [key, inner] of Object.entries(value)) {
    const segments = key.split('.');
    let node = out;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (next === undefined) node[segment] = {};
      else if (!isPlainObject(next)) node[segment] = [...(Array.isArray(next) ? next : [next]), {}];
      const current = node[segment];
      node = (Array.isArray(current) ? current[current.length - 1] : current) as PlainObject;
    }
    const last = segments[segments.length - 1] as string;
    node[last] = combine(node[last], expandEvent(inner));
  }
  return out;
}

function combine(existing: unknown, value: unknown): unknown {
  if (existing === undefined) return value;
  if (isPlainObject(existing) && isPlainObject(value)) {
    const out = { ...existing };
    for (const [key, inner] of Object.entries(value)) out[key] = combine(out[key], inner);
    return out;
  }
  return [...(Array.isArray(existing) ? existing : [existing]), ...(Array.isArray(value) ? value : [value])];
}

// ---------------------------------------------------------------------------------------------
// Wildcard complexity (event-ruler MachineComplexityEvaluator)
// ---------------------------------------------------------------------------------------------

const STAR = -1;

/** `"` + the pattern's UTF-8 bytes + `"`, with STAR for an unescaped `*` (rules are quoted). */
function wildcardTokens(pattern: string): number[] {
  const bytes = Buffer.from(pattern, 'utf8');
  const tokens = [0x22];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x5c) tokens.push(bytes[++i] as number);
    else tokens.push(byte === 0x2a ? STAR : byte);
  }
  tokens.push(0x22);
  return tokens;
}

/**
 * The most states of wildcard patterns one value can be in at once: each pattern is a chain of
 * states (one per byte or `*`, a `*` state looping on any byte and skippable), and a value is in
 * every state its bytes so far can reach. Summing over distinct patterns equals event-ruler's count
 * of wildcard patterns reachable from each shared state. Stops as soon as `limit` is exceeded.
 */
export function wildcardComplexity(patterns: readonly string[], limit = MAX_WILDCARD_COMPLEXITY): number {
  const chains = [...new Set(patterns)].map(wildcardTokens);
  if (chains.length === 0) return 0;
  const closure = (tokens: number[], states: Set<number>) => {
    for (const state of [...states]) {
      let at = state;
      while (at < tokens.length && tokens[at] === STAR) states.add(++at);
    }
    return states;
  };
  const alphabet = new Set<number>([0x100]); // 0x100: any byte no pattern names
  for (const tokens of chains) for (const token of tokens) if (token !== STAR) alphabet.add(token);
  const start = chains.map((tokens) => closure(tokens, new Set([0])));
  const key = (sets: Set<number>[]) => sets.map((set) => [...set].sort((a, b) => a - b).join(',')).join('|');
  const seen = new Set([key(start)]);
  const queue = [start];
  let max = 0;
  while (queue.length > 0) {
    const current = queue.shift() as Set<number>[];
    for (const byte of alphabet) {
      const next = chains.map((tokens, index) => {
        const states = new Set<number>();
        for (const state of current[index] as Set<number>) {
          if (state > 0 && tokens[state - 1] === STAR) states.add(state);
          if (state < tokens.length && tokens[state] === byte) states.add(state + 1);
        }
        return closure(tokens, states);
      });
      const size = next.reduce((sum, states) => sum + [...states].filter((state) => state > 0).length, 0);
      if (size > max) max = size;
      if (max > limit) return max;
      const id = key(next);
      if (size > 0 && !seen.has(id)) {
        seen.add(id);
        queue.push(next);
      }
    }
  }
  return max;
}

/** The wildcard strings (also of anything-but) of one leaf. */
function leafWildcards(alternatives: unknown[]): string[] {
  const found: string[] = [];
  for (const alternative of alternatives) {
    if (!isPlainObject(alternative)) continue;
    if (typeof alternative.wildcard === 'string') found.push(alternative.wildcard);
    const but = alternative['anything-but'];
    if (isPlainObject(but) && but.wildcard !== undefined) {
      found.push(...(Array.isArray(but.wildcard) ? but.wildcard : [but.wildcard]));
    }
  }
  return found;
}

type Clause = Array<[string, unknown[]]>;

/** The pattern as event-ruler compiles it: one list of (field path, leaf) per `$or` branch. */
function clauses(pattern: PlainObject, path: string, into: Clause[]): Clause[] {
  let current = into;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      current = value.flatMap((alternative) =>
        clauses(
          alternative as PlainObject,
          path,
          current.map((clause) => [...clause]),
        ),
      );
    } else if (Array.isArray(value)) {
      for (const clause of current) clause.push([join(path, key), value]);
    } else if (isPlainObject(value)) {
      current = clauses(value, join(path, key), current);
    }
  }
  return current;
}

/**
 * Rejects a pattern whose wildcards are too complex. Fields are matched in path order; the
 * wildcards of one field meet in one byte machine when the clauses agree on every field before it
 * (event-ruler's name states), so they are measured together.
 */
function checkComplexity(pattern: PlainObject, fail: (path: string, reason: string) => never): void {
  if (!JSON.stringify(pattern).includes('"wildcard"')) return;
  const machines = new Map<string, { path: string; wildcards: Set<string> }>();
  for (const clause of clauses(pattern, '', [[]])) {
    const fields = [...clause].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let state = '';
    for (const [path, leaf] of fields) {
      const id = `${state}\u0000${path}`;
      const machine = machines.get(id) ?? { path, wildcards: new Set<string>() };
      for (const wildcard of leafWildcards(leaf)) machine.wildcards.add(wildcard);
      machines.set(id, machine);
      state = `${id}\u0000${JSON.stringify(leaf)}`;
    }
  }
  for (const { path, wildcards } of machines.values()) {
    if (wildcardComplexity([...wildcards]) > MAX_WILDCARD_COMPLEXITY) fail(path, TOO_COMPLEX);
  }
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

const cidrCache = new Map<string, { list: BlockList; family: 4 | 6 }>();
const wildcardCache = new Map<string, RegExp>();

function compile(pattern: unknown, dialect: PatternDialect): PlainObject {
  const validator = new Validator(dialect);
  if (!isPlainObject(pattern)) return validator.fail('', 'Filter is not an object');
  if (Object.keys(pattern).length === 0) return {};
  const length = JSON.stringify(pattern).length;
  if (length > MAX_PATTERN_LENGTH[dialect]) {
    validator.fail(
      '',
      `Event pattern is ${length} characters, over the ${MAX_PATTERN_LENGTH[dialect]}-character quota`,
    );
  }
  validator.object(pattern, '', false);
  const expanded = expandPattern(structuredClone(pattern));
  checkComplexity(expanded, (path, reason) => validator.fail(path, reason));
  return expanded;
}

/**
 * Whether `event` matches `pattern`. Validates the pattern first (throws
 * `InvalidEventPatternError`); callers matching many events should use `compilePattern`.
 */
export function matchesPattern(
  pattern: Record<string, unknown>,
  event: unknown,
  options: PatternOptions = {},
): boolean {
  return compilePattern(pattern, options)(event);
}

/**
 * Validates `pattern` once and returns a matcher for it. The pattern is deep-copied, so later
 * changes to the caller's object do not change what the matcher accepts.
 */
export function compilePattern(
  pattern: Record<string, unknown>,
  options: PatternOptions = {},
): (event: unknown) => boolean {
  const compiled = compile(pattern, options.dialect ?? 'eventbridge');
  return (event) => {
    const seen = hasDottedKey(event) ? expandEvent(event) : event;
    return matchObject(compiled, isPlainObject(seen) ? seen : undefined);
  };
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
  if (!isPlainObject(alternative)) return values.some((value) => equalsExactly(alternative, value));
  const [operator, operand] = Object.entries(alternative)[0] as [string, unknown];
  if (operator === 'exists') return values.length > 0 === operand;
  if (operator === 'anything-but') return values.some((value) => !matchesAnythingButOperand(operand, value));
  return values.some((value) => matchStringOrNumberOperator(operator, operand, value));
}

/**
 * Exact matching. A pattern string that is an IP address matches the same address however the
 * event writes it (event-ruler `JsonRuleCompiler#writeRules` compiles it as an address range).
 */
function equalsExactly(alternative: unknown, value: Json): boolean {
  if (alternative === value) return true;
  if (typeof alternative !== 'string' || typeof value !== 'string') return false;
  const family = ipFamily(alternative);
  if (family === 0 || ipFamily(value) !== family) return false;
  return canonicalIp(alternative, family) === canonicalIp(value, family);
}

function canonicalIp(address: string, family: 4 | 6): string {
  const list = new BlockList();
  list.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
  return list.rules[0] ?? address;
}

function matchStringOrNumberOperator(operator: string, operand: unknown, value: Json): boolean {
  if (operator === 'numeric') {
    return (
      typeof value === 'number' && Math.abs(value) <= NUMERIC_LIMIT && inRange(operand as unknown[], value)
    );
  }
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
    const [address, bits] = cidr.split('/') as [string, string];
    const family = isIP(address) === 4 ? 4 : 6;
    const list = new BlockList();
    list.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    parsed = { list, family };
    cidrCache.set(cidr, parsed);
  }
  if (isIP(value) !== parsed.family) return false;
  return parsed.list.check(value, parsed.family === 4 ? 'ipv4' : 'ipv6');
}
