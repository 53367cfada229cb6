import { describe, expect, it } from 'vitest';
import { compilePattern, InvalidEventPatternError, validatePattern } from '../../../local/events/pattern.js';

// Table-driven cases checked against what AWS accepts, rejects and matches (issue #16). Every row
// names its source: a section of the EventBridge User Guide ("EB: <section>"), the Lambda Developer
// Guide ("Lambda: <section>"), or a test or source file of aws/event-ruler, the matcher EventBridge
// runs ("ruler: <file>#<test>"). Rejections are checked against the reason AWS gives
// (InvalidEventPatternException: "Event pattern is not valid. Reason: <reason>").

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** [source, pattern, event, matches?] */
type MatchCase = [string, Record<string, Json>, Json, boolean];
/** [source, pattern, reason AWS gives] */
type RejectCase = [string, Json, string];

function runMatches(cases: MatchCase[]) {
  it.each(cases)('%s: %j against %j -> %s', (_source, pattern, event, expected) => {
    expect(compilePattern(pattern)(event)).toBe(expected);
  });
}

function runRejections(cases: RejectCase[]) {
  it.each(cases)('%s: rejects %j (%s)', (_source, pattern, reason) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(`Event pattern is not valid. Reason: ${reason}`);
  });
}

describe('issue #16: anything-but with a list of prefixes or suffixes', () => {
  runMatches([
    // ruler: JsonRuleCompiler#processAnythingButValuesSetMatchExpression (a list for prefix/suffix)
    [
      'ruler: anything-but prefix list',
      { s: [{ 'anything-but': { prefix: ['init', 'test'] } }] },
      { s: 'running' },
      true,
    ],
    [
      'ruler: anything-but prefix list',
      { s: [{ 'anything-but': { prefix: ['init', 'test'] } }] },
      { s: 'initializing' },
      false,
    ],
    [
      'ruler: anything-but prefix list',
      { s: [{ 'anything-but': { prefix: ['init', 'test'] } }] },
      { s: 'testing' },
      false,
    ],
    [
      'ruler: anything-but suffix list',
      { f: [{ 'anything-but': { suffix: ['.txt', '.log'] } }] },
      { f: 'a.png' },
      true,
    ],
    [
      'ruler: anything-but suffix list',
      { f: [{ 'anything-but': { suffix: ['.txt', '.log'] } }] },
      { f: 'a.log' },
      false,
    ],
    // EB: Content filtering, "Anything-but matching on prefixes": a missing field matches nothing
    ['EB: Anything-but matching', { s: [{ 'anything-but': { prefix: ['init'] } }] }, { other: 'x' }, false],
  ]);
});

describe('issue #16: anything-but with an empty prefix or suffix', () => {
  runRejections([
    // ruler: JsonRuleCompiler#processAnythingButValuesSetSingleValueMatchExpression
    [
      'ruler: empty anything-but prefix',
      { s: [{ 'anything-but': { prefix: '' } }] },
      'Null prefix/suffix not allowed',
    ],
    [
      'ruler: empty anything-but suffix',
      { s: [{ 'anything-but': { suffix: '' } }] },
      'Null prefix/suffix not allowed',
    ],
    // ruler: JsonRuleCompiler#processAnythingButValuesSetMatchExpression (in a list too)
    [
      'ruler: empty prefix in a list',
      { s: [{ 'anything-but': { prefix: ['a', ''] } }] },
      'Null prefix/suffix not allowed',
    ],
    [
      'ruler: anything-but prefix number',
      { s: [{ 'anything-but': { prefix: 5 } }] },
      'prefix/suffix match pattern must be a string',
    ],
  ]);
});

describe('issue #16: keys containing dots are paths, on the pattern side and on the event side', () => {
  runMatches([
    // ruler: Path#extendedName (field names are joined with "."), JsonRuleCompiler#writeRules
    ['ruler: Path', { detail: { 'state.status': ['ok'] } }, { detail: { state: { status: 'ok' } } }, true],
    ['ruler: Path', { detail: { 'state.status': ['ok'] } }, { detail: { state: { status: 'no' } } }, false],
    // ruler: Event flattening joins event keys with "." too, so a dotted event key is the same path
    ['ruler: Path', { detail: { state: { status: ['ok'] } } }, { detail: { 'state.status': 'ok' } }, true],
    ['ruler: Path', { 'detail.state.status': ['ok'] }, { 'detail.state': { status: 'ok' } }, true],
    [
      'ruler: Path',
      { detail: { 'state.status': [{ exists: false }] } },
      { detail: { state: { other: 1 } } },
      true,
    ],
    [
      'ruler: Path',
      { detail: { 'state.status': [{ exists: true }] } },
      { detail: { 'state.status': 'x' } },
      true,
    ],
  ]);
});

describe('issue #16: the complexity limit of wildcard patterns', () => {
  runRejections([
    // Public report of PutRule rejecting four wildcards of this shape on one field:
    // "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters
    // or fewer repeating character sequences after a wildcard character"; two of them were accepted.
    [
      'ruler: MachineComplexityEvaluator',
      {
        detail: {
          key: [
            { wildcard: '*/datasync/*.bif' },
            { wildcard: '*/datasync/*.tif' },
            { wildcard: '*/datasync/*.tiff' },
            { wildcard: '*/datasync/*.svs' },
          ],
        },
      },
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
    // ruler: MachineComplexityEvaluatorTest#testEvaluateLongSequenceofWildcards ("*a*a*a*a*a*a*a*a*": 17)
    [
      'ruler: MachineComplexityEvaluatorTest',
      { s: [{ wildcard: '*a*a*a*a*a*a*a*a*' }] },
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
    // the same measure applies to anything-but wildcards (MATCH_TYPES_WITH_COMPLEXITY)
    [
      'ruler: MachineComplexityEvaluator',
      { s: [{ 'anything-but': { wildcard: '*a*a*a*a*a*a*a*a*' } }] },
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
  ]);

  it.each([
    // the accepted halves of the same report
    [{ key: [{ wildcard: '*/datasync/*.bif' }, { wildcard: '*/datasync/*.tif' }] }],
    [{ key: [{ wildcard: '*.bif' }, { wildcard: '*.tiff' }, { wildcard: '*.tif' }, { wildcard: '*.svs' }] }],
    // EB: Content filtering, "Matching using wildcards" examples
    [{ EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }],
    [{ source: [{ wildcard: 'Simple*Service' }] }],
  ])('accepts wildcard patterns AWS accepts: %j', (pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
  });
});

describe('the documented matching rules, section by section', () => {
  runMatches([
    // EB: Matching null values and empty strings
    ['EB: null values and empty strings', { d: { v: [null] } }, { d: { v: null } }, true],
    ['EB: null values and empty strings', { d: { v: [null] } }, { d: {} }, false],
    ['EB: null values and empty strings', { d: { v: [''] } }, { d: { v: '' } }, true],
    ['EB: null values and empty strings', { d: { v: [''] } }, { d: { v: null } }, false],
    // EB: Arrays in event patterns: an event array matches when the intersection is not empty
    ['EB: Arrays', { resources: ['a', 'b'] }, { resources: ['c', 'b'] }, true],
    ['EB: Arrays', { resources: ['a', 'b'] }, { resources: ['c'] }, false],
    ['EB: Arrays', { resources: [{ prefix: 'ar' }] }, { resources: ['x', 'arn'] }, true],
    // ruler: README "exists" (an array of values exists; an empty array has no leaf)
    ['ruler: README exists', { tags: [{ exists: true }] }, { tags: ['a'] }, true],
    ['ruler: README exists', { tags: [{ exists: false }] }, { tags: [] }, true],
    ['ruler: README exists', { tags: [{ exists: true }] }, { tags: [] }, false],
    // EB: Content filtering, "Exists matching" only works on leaf nodes: an object is not a leaf
    ['EB: Exists matching', { d: { c: [{ exists: false }] } }, { d: { c: { c1: 1 } } }, true],
    ['EB: Exists matching', { d: { c: [{ exists: true }] } }, { d: { c: { c1: 1 } } }, false],
    // EB: Content filtering, "Equals-ignore-case matching"
    ['EB: Equals-ignore-case', { n: [{ 'equals-ignore-case': 'alice' }] }, { n: 'ALICE' }, true],
    ['EB: Equals-ignore-case', { n: [{ 'equals-ignore-case': 'alice' }] }, { n: 'alic' }, false],
    // EB: Content filtering, "Prefix/Suffix matching while ignoring case"
    [
      'EB: Prefix ignoring case',
      { s: [{ prefix: { 'equals-ignore-case': 'EventB' } }] },
      { s: 'eventbridge' },
      true,
    ],
    ['EB: Suffix ignoring case', { f: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { f: 'A.PNG' }, true],
    ['EB: Suffix matching', { f: [{ suffix: '.png' }] }, { f: 'A.PNG' }, false],
    // EB: Content filtering, "Matching using wildcards": "\\*" is a literal star, "*" matches empty
    ['EB: Wildcards', { s: [{ wildcard: 'a\\*b' }] }, { s: 'a*b' }, true],
    ['EB: Wildcards', { s: [{ wildcard: 'a\\*b' }] }, { s: 'axb' }, false],
    ['EB: Wildcards', { s: [{ wildcard: 'a*b' }] }, { s: 'ab' }, true],
    ['EB: Wildcards', { s: [{ wildcard: 'a\\\\*' }] }, { s: 'a\\xyz' }, true],
    // EB: Content filtering, "Numeric matching": inclusive and exclusive bounds, JSON numbers only
    ['EB: Numeric matching', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 }, true],
    ['EB: Numeric matching', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 0 }, false],
    ['EB: Numeric matching', { n: [{ numeric: ['>=', 0] }] }, { n: '1' }, false],
    ['EB: Numeric matching', { n: [{ numeric: ['=', 3.018e2] }] }, { n: 301.8 }, true],
    // ruler: ComparableNumber (an event number beyond +-5.0e9 is in no range)
    ['ruler: ComparableNumber', { n: [{ numeric: ['>', 0] }] }, { n: 6e9 }, false],
    // EB: Content filtering, "IP address matching"; ruler: CIDRTest (IPv6)
    ['EB: IP address matching', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.255' }, true],
    ['EB: IP address matching', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.0' }, false],
    ['ruler: CIDRTest', { ip: [{ cidr: '2001:db8::/64' }] }, { ip: '2001:DB8::FF00:42:8329' }, true],
    // ruler: JsonRuleCompiler#writeRules compiles an IP string as an address (any notation)
    ['ruler: writeRules IP', { ip: ['2001:db8::1'] }, { ip: '2001:0DB8:0:0:0:0:0:1' }, true],
    ['ruler: writeRules IP', { ip: ['10.0.0.1'] }, { ip: '10.0.0.2' }, false],
    // EB: Content filtering, "Anything-but matching": lists, numbers, a missing field
    ['EB: Anything-but', { s: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { s: 'running' }, true],
    ['EB: Anything-but', { n: [{ 'anything-but': [100, 200] }] }, { n: 200 }, false],
    ['EB: Anything-but', { s: [{ 'anything-but': 'x' }] }, {}, false],
    [
      'EB: Anything-but ignoring case',
      { s: [{ 'anything-but': { 'equals-ignore-case': ['A', 'b'] } }] },
      { s: 'B' },
      false,
    ],
    [
      'EB: Anything-but wildcard',
      { s: [{ 'anything-but': { wildcard: ['*/lib/*', '*.txt'] } }] },
      { s: 'a.txt' },
      false,
    ],
    [
      'EB: Anything-but wildcard',
      { s: [{ 'anything-but': { wildcard: ['*/lib/*', '*.txt'] } }] },
      { s: '/bin/a' },
      true,
    ],
    // EB: Content filtering, "Complex example with $or matching" (nested $or, with AND)
    [
      'EB: $or',
      { a: ['1'], $or: [{ b: ['2'] }, { $or: [{ c: ['3'] }, { d: ['4'] }] }] },
      { a: '1', d: '4' },
      true,
    ],
    [
      'EB: $or',
      { a: ['1'], $or: [{ b: ['2'] }, { $or: [{ c: ['3'] }, { d: ['4'] }] }] },
      { a: '1', d: '5' },
      false,
    ],
    // ruler: array-consistent matching (ACMachine): fields of one pattern object match one element
    [
      'ruler: ACMachineTest',
      { e: { f: ['Anna'], l: ['Jones'] } },
      {
        e: [
          { f: 'Anna', l: 'Smith' },
          { f: 'P', l: 'Jones' },
        ],
      },
      false,
    ],
    [
      'ruler: ACMachineTest',
      { e: { f: ['Anna'], l: ['Smith'] } },
      {
        e: [
          { f: 'Anna', l: 'Smith' },
          { f: 'P', l: 'Jones' },
        ],
      },
      true,
    ],
    // ruler: JsonRuleCompiler#writeRules with overriding: a path given twice keeps the later leaf
    ['ruler: writeRules override', { 'a.b': ['1'], a: { b: ['2'] } }, { a: { b: '2' } }, true],
    ['ruler: writeRules override', { 'a.b': ['1'], a: { b: ['2'] } }, { a: { b: '1' } }, false],
  ]);
});

describe('what is a valid pattern at all', () => {
  runRejections([
    // ruler: JsonRuleCompiler#doCompile / #parseObject
    ['ruler: doCompile', 'source', 'Filter is not an object'],
    ['ruler: parseObject', { detail: {} }, 'Empty objects are not allowed'],
    ['ruler: parseObject', { detail: 'x' }, '"detail" must be an object or an array'],
    ['ruler: parseIntoOrRelationship', { $or: { a: ['1'] } }, 'It must be an Array followed with $or.'],
    [
      'ruler: parseObjectInsideOrRelationship',
      { $or: [{ prefix: ['1'] }, { b: ['2'] }] },
      'prefix is Ruler reserved fieldName which cannot be used inside $or.',
    ],
    // ruler: processMatchExpression and friends
    [
      'ruler: processMatchExpression',
      { s: [{ prefix: { 'equals-ignore-case': 5 } }] },
      'equals-ignore-case match pattern must be a string',
    ],
    [
      'ruler: processPrefixEqualsIgnoreCaseExpression',
      { s: [{ prefix: { suffix: 'x' } }] },
      'Unsupported prefix pattern: suffix',
    ],
    [
      'ruler: processMatchExpression',
      { s: [{ 'equals-ignore-case': ['x'] }] },
      'equals-ignore-case match pattern must be a string',
    ],
    ['ruler: processMatchExpression', { s: [{ wildcard: 5 }] }, 'wildcard match pattern must be a string'],
    ['ruler: processMatchExpression', { s: [{ exactly: 'x' }] }, 'Unrecognized match type exactly'],
    [
      'ruler: processMatchExpression',
      { s: [{ 'anything-but': {} }] },
      'Anything-But expression name not found',
    ],
    [
      'ruler: processMatchExpression',
      { s: [{ 'anything-but': { 'equals-ignore-case': [1] } }] },
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    ],
    [
      'ruler: processMatchExpression',
      { s: [{ 'anything-but': { wildcard: 'a**' } }] },
      'Consecutive wildcard characters at pos 1',
    ],
    [
      'ruler: processAnythingButListMatchExpression',
      { s: [{ 'anything-but': [true] }] },
      'Inside anything but list, start|null|boolean is not supported.',
    ],
    // ruler: processNumericMatchExpression / completeNumericRange
    ['ruler: processNumericMatchExpression', { n: [{ numeric: [] }] }, 'Invalid member in numeric match: ]'],
    [
      'ruler: processNumericMatchExpression',
      { n: [{ numeric: ['=', 1, '<', 2] }] },
      'Too many elements in numeric expression',
    ],
    ['ruler: completeNumericRange', { n: [{ numeric: ['>', 1, 2, 3] }] }, 'Bad value in numeric range: 2'],
    ['ruler: completeNumericRange', { n: [{ numeric: ['>', 1, '>', 3] }] }, 'Bad numeric range operator: >'],
    [
      'ruler: completeNumericRange',
      { n: [{ numeric: ['>', 1, '<', 3, '<', 4] }] },
      'Too many terms in numeric range expression',
    ],
    // EB: Numeric matching ("-5.0e9 to +5.0e9 inclusive ... six digits to the right of the decimal point")
    [
      'EB: Numeric matching',
      { n: [{ numeric: ['<', -5000000001] }] },
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    ],
    [
      'EB: Numeric matching',
      { n: [{ numeric: ['=', 0.0000001] }] },
      'Only values upto 6 decimals are supported',
    ],
    [
      'EB: Numeric matching',
      { n: [{ 'anything-but': 6e9 }] },
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    ],
    // ruler: CIDR#cidr
    ['ruler: CIDR', { ip: [{ cidr: '10.0.0.0/x' }] }, 'Malformed CIDR, mask bits must be an integer'],
    ['ruler: CIDR', { ip: [{ cidr: '10.0.0.0/32' }] }, 'IPv4 mask bits must be < 32'],
    ['ruler: CIDR', { ip: [{ cidr: '::/128' }] }, 'IPv6 mask bits must be < 128'],
    ['ruler: CIDR', { ip: [{ cidr: 'host/8' }] }, 'Nonstandard IP address: host'],
    ['ruler: CIDR', { ip: [{ cidr: '300.0.0.0/8' }] }, 'Invalid IP address: 300.0.0.0'],
    ['ruler: CIDR', { ip: [{ cidr: 5 }] }, 'prefix match pattern must be a string'],
  ]);

  it('accepts the limits themselves (EB: Numeric matching)', () => {
    expect(() => validatePattern({ n: [{ numeric: ['>=', -5e9, '<=', 5e9] }] })).not.toThrow();
    expect(() => validatePattern({ n: [{ numeric: ['=', 0.000001] }] })).not.toThrow();
    expect(() => validatePattern({ s: [{ prefix: '' }] })).not.toThrow(); // only anything-but refuses ""
  });
});

describe('Lambda event filtering differs from EventBridge', () => {
  const lambda = { dialect: 'lambda' } as const;

  // Lambda: "Filter rule syntax" lists Null, Empty, Equals, And, Or, Not (anything-but with values),
  // Numeric, Exists, Does not exist, Begins with; EB: Comparison operators marks anything-but with
  // prefix/suffix/equals-ignore-case/wildcard as unsupported outside event buses. A filter using
  // them fails at CreateEventSourceMapping ("InvalidParameterValueException").
  it.each([
    [{ s: [{ wildcard: 'a*' }] }, 'wildcard'],
    [{ ip: [{ cidr: '10.0.0.0/8' }] }, 'cidr'],
    [{ s: [{ 'anything-but': { prefix: 'x' } }] }, 'anything-but with prefix'],
    [{ s: [{ 'anything-but': { 'equals-ignore-case': 'x' } }] }, 'anything-but with equals-ignore-case'],
  ])('rejects %j in a Lambda filter (%s)', (pattern, what) => {
    expect(() => validatePattern(pattern, lambda)).toThrow(
      `Invalid filter pattern definition. Reason: ${what} is not in Lambda's filter rule syntax`,
    );
    expect(() => validatePattern(pattern)).not.toThrow();
  });

  it.each([
    [{ eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['Operation'] } } } }],
    [{ s: [null, '', { prefix: 'us-' }, { 'anything-but': ['Raining'] }, { exists: false }] }],
    [{ n: [{ numeric: ['>', 10, '<=', 20] }, { numeric: ['=', 100] }] }],
  ])('accepts what the Lambda table lists: %j', (pattern) => {
    expect(() => validatePattern(pattern, lambda)).not.toThrow();
  });

  it("reports invalid Lambda filters with Lambda's error code", () => {
    expect(() => validatePattern({ s: [] }, lambda)).toThrow(
      expect.objectContaining({
        code: 'InvalidParameterValueException',
        reason: 'Empty arrays are not allowed',
      }),
    );
  });
});

describe('pattern size quotas', () => {
  const lambda = { dialect: 'lambda' as const };
  /** A pattern whose compact JSON is exactly `length` characters. */
  const sized = (length: number) => {
    const base = JSON.stringify({ s: [''] }).length;
    return { s: ['x'.repeat(length - base)] };
  };

  // EB: "Amazon EventBridge quotas", Event pattern size: 2,048 characters (adjustable); the
  // EventPattern of PutRule is at most 4096 characters (API Reference, PutRule).
  it('accepts an EventBridge pattern of 2048 characters and rejects one of 2049', () => {
    expect(() => validatePattern(sized(2048))).not.toThrow();
    expect(() => validatePattern(sized(2049))).toThrow(
      'Event pattern is not valid. Reason: Event pattern is 2049 characters, over the 2048-character quota',
    );
  });

  // Lambda: API Reference, "Filter": Pattern, maximum length 4096.
  it('accepts a Lambda filter of 4096 characters and rejects one of 4097', () => {
    expect(() => validatePattern(sized(4096), lambda)).not.toThrow();
    expect(() => validatePattern(sized(4097), lambda)).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValueException' }),
    );
  });
});
