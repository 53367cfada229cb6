import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  InvalidEventPatternError,
  matchesPattern,
  validatePattern,
} from '../../../local/events/pattern.js';

// Examples follow the EventBridge user guide: "Event pattern syntax", "Comparison operators for use
// in event patterns", "Matching on multiple field values" and "Matching null values and empty
// strings". Section names are quoted in the test names.

/** The sample event of the EventBridge content-filtering examples (EC2 state change). */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-10-02T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'running',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    service: 'EventBridge',
    FileName: 'image.PNG',
    FilePath: '/usr/lib/libc.so',
    eventVersion: '',
    responseElements: null,
    enabled: true,
  },
};

function withDetail(detail: Record<string, unknown>) {
  return { ...ec2Event, detail: { ...ec2Event.detail, ...detail } };
}

describe('Function: matchesPattern', () => {
  describe('Event pattern syntax', () => {
    it('"Event pattern syntax": matches on source, detail-type and a nested detail field', () => {
      // Prepare
      const pattern = {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['running'] },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'terminated' }))).toBe(false);
    });

    it('"Matching event values": a leaf lists alternatives (OR), keys are ANDed', () => {
      expect(matchesPattern({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event)).toBe(true);
      expect(matchesPattern({ source: ['aws.s3', 'aws.fargate'] }, ec2Event)).toBe(false);
      expect(matchesPattern({ source: ['aws.ec2'], region: ['eu-west-1'] }, ec2Event)).toBe(false);
    });

    it('matches are exact and case-sensitive; a missing field does not match', () => {
      expect(matchesPattern({ source: ['AWS.EC2'] }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { missing: ['running'] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ nothere: { state: ['running'] } }, ec2Event)).toBe(false);
    });

    it('numbers, booleans and strings match by JSON type and value', () => {
      expect(matchesPattern({ detail: { 'c-count': [5] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { 'c-count': ['5'] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { 'x-limit': [3.018e2] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { enabled: [true] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { enabled: ['true'] } }, ec2Event)).toBe(false);
    });

    it('a leaf condition on an object value does not match (objects are not leaves)', () => {
      expect(matchesPattern({ detail: ['x'] }, ec2Event)).toBe(false);
    });

    it('an empty pattern matches every event', () => {
      expect(matchesPattern({}, ec2Event)).toBe(true);
    });
  });

  describe('Matching null values and empty strings', () => {
    it('"Matching null values and empty strings": [null] matches null, [""] matches the empty string', () => {
      expect(matchesPattern({ detail: { responseElements: [null] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { eventVersion: [''] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { state: [null] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { missing: [null] } }, ec2Event)).toBe(false);
    });
  });

  describe('Matching on multiple field values (arrays)', () => {
    it('"Matching on multiple field values": an event array matches if the intersection is not empty', () => {
      // Prepare
      const pattern = {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        ],
      };
      const event = {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      };

      // Act & Assess
      expect(matchesPattern(pattern, event)).toBe(true);
      expect(matchesPattern(pattern, { resources: ['arn:aws:s3:::bucket'] })).toBe(false);
      expect(matchesPattern(pattern, { resources: [] })).toBe(false);
    });

    it('a pattern object matches an array of objects element by element (event-ruler JSON array matching)', () => {
      // Prepare
      const event = {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      };

      // Act & Assess
      expect(matchesPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
      expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
      // Fields from different array elements do not combine.
      expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
    });

    it('nested arrays are crushed out', () => {
      expect(matchesPattern({ tags: ['b'] }, { tags: [['a'], ['b', 'c']] })).toBe(true);
    });
  });

  describe('Comparison operators', () => {
    it('"Prefix matching": {"time": [{"prefix": "2017-10-02"}]}', () => {
      expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, ec2Event)).toBe(true);
      expect(matchesPattern({ time: [{ prefix: '2017-10-03' }] }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { 'c-count': [{ prefix: '5' }] } }, ec2Event)).toBe(false);
    });

    it('"Prefix matching while ignoring case": {"prefix": {"equals-ignore-case": "eventb"}}', () => {
      // Prepare
      const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] } };

      // Act & Assess
      for (const service of ['EventBridge', 'eventbridge', 'EVENTBRIDGE']) {
        expect(matchesPattern(pattern, withDetail({ service }))).toBe(true);
      }
      expect(matchesPattern(pattern, withDetail({ service: 'Lambda' }))).toBe(false);
    });

    it('"Suffix matching": {"FileName": [{"suffix": ".png"}]}', () => {
      expect(
        matchesPattern({ detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'a.png' })),
      ).toBe(true);
      expect(matchesPattern({ detail: { FileName: [{ suffix: '.png' }] } }, ec2Event)).toBe(false); // image.PNG
    });

    it('"Suffix matching while ignoring case": {"suffix": {"equals-ignore-case": ".png"}}', () => {
      expect(
        matchesPattern({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, ec2Event),
      ).toBe(true);
    });

    it('"Equals-ignore-case matching": {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}', () => {
      expect(
        matchesPattern(
          { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
          ec2Event,
        ),
      ).toBe(true);
      expect(matchesPattern({ 'detail-type': [{ 'equals-ignore-case': 'ec2 instance' }] }, ec2Event)).toBe(
        false,
      );
    });

    it('"Matching using wildcards": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}', () => {
      // Prepare
      const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };

      // Act & Assess
      expect(
        matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' }),
      ).toBe(true);
      expect(
        matchesPattern(pattern, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' }),
      ).toBe(false);
      expect(
        matchesPattern({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' }),
      ).toBe(true);
      expect(matchesPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'a*b' })).toBe(true);
      expect(matchesPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'axb' })).toBe(false);
      expect(matchesPattern({ name: [{ wildcard: 'a.c' }] }, { name: 'abc' })).toBe(false);
    });

    it('"Anything-but matching": a string, a number, a list of strings, a list of numbers', () => {
      expect(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event)).toBe(
        true,
      );
      expect(matchesPattern({ detail: { state: [{ 'anything-but': 'running' }] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, ec2Event)).toBe(false);
      expect(
        matchesPattern({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, ec2Event),
      ).toBe(true);
      expect(
        matchesPattern({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, ec2Event),
      ).toBe(false);
      expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ec2Event)).toBe(
        true,
      );
    });

    it('"Anything-but matching": a missing field does not match anything-but', () => {
      expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'initializing' }] } }, ec2Event)).toBe(
        false,
      );
    });

    it('"Anything-but matching on prefixes": {"anything-but": {"prefix": "init"}}', () => {
      expect(matchesPattern({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2Event)).toBe(
        true,
      );
      expect(
        matchesPattern(
          { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
          withDetail({ state: 'initializing' }),
        ),
      ).toBe(false);
    });

    it('"Anything-but matching on suffixes": {"anything-but": {"suffix": ".txt"}}', () => {
      expect(
        matchesPattern({ detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, ec2Event),
      ).toBe(true);
      expect(
        matchesPattern(
          { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
          withDetail({ FileName: 'a.txt' }),
        ),
      ).toBe(false);
    });

    it('"Anything-but matching while ignoring case": {"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}', () => {
      // Prepare
      const pattern = {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'STOPPED' }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ state: 'overloaded' }))).toBe(false);
    });

    it('"Anything-but matching using wildcards": {"anything-but": {"wildcard": "*/lib/*"}}', () => {
      // Prepare
      const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(false); // /usr/lib/libc.so
      expect(matchesPattern(pattern, withDetail({ FilePath: '/usr/bin/env' }))).toBe(true);
    });

    it('"Numeric matching": [">", 0, "<=", 5], ["<", 10], ["=", 3.018e2]', () => {
      // Prepare
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 0 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 6 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'd-count': 10 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 301.9 }))).toBe(false);
    });

    it('"Numeric matching": only works on JSON numbers, not on numeric strings', () => {
      expect(
        matchesPattern({ detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, withDetail({ 'c-count': '5' })),
      ).toBe(false);
    });

    it('"IP address matching": {"cidr": "10.0.0.0/24"}, also IPv6', () => {
      expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ ip: [{ cidr: '2001:db8::/64' }] }, { ip: '2001:db8::ff00:42:8329' })).toBe(
        true,
      );
      expect(matchesPattern({ ip: [{ cidr: '2001:db8::/64' }] }, { ip: '10.0.0.1' })).toBe(false);
      expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'not-an-ip' })).toBe(false);
    });

    it('"Exists matching": true needs the leaf, false also matches a missing field', () => {
      expect(matchesPattern({ detail: { state: [{ exists: true }] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { state: [{ exists: false }] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, ec2Event)).toBe(true);
      expect(matchesPattern({ detail: { missing: [{ exists: true }] } }, ec2Event)).toBe(false);
      expect(matchesPattern({ nothere: { deeper: [{ exists: false }] } }, ec2Event)).toBe(true);
      // Only leaves exist: an object value counts as absent.
      expect(matchesPattern({ detail: { c: [{ exists: false }] } }, withDetail({ c: { c1: 100 } }))).toBe(
        true,
      );
      expect(matchesPattern({ detail: { c: [{ exists: true }] } }, withDetail({ c: { c1: 100 } }))).toBe(
        false,
      );
    });

    it('"Complex example with multiple matching"', () => {
      // Prepare
      const pattern = {
        time: [{ prefix: '2017-10-02' }],
        detail: {
          state: [{ 'anything-but': 'initializing' }],
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ 'anything-but': [100, 200, 300] }],
          'source-ip': [{ cidr: '10.0.0.0/8' }],
        },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 200 }))).toBe(false);
    });

    it('"Complex example with $or matching"', () => {
      // Prepare
      const pattern = {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      };

      // Act & Assess
      expect(matchesPattern(pattern, withDetail({ 'c-count': 50, 'd-count': 50 }))).toBe(true); // x-limit
      expect(matchesPattern(pattern, withDetail({ 'c-count': 50, 'd-count': 50, 'x-limit': 1 }))).toBe(false);
    });

    it('"$or" at the top level combines with the other keys (AND)', () => {
      // Prepare
      const pattern = {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      };

      // Act & Assess
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
      expect(matchesPattern(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
    });
  });

  describe('Lambda event filtering on DynamoDB stream records', () => {
    // Prepare
    const record = {
      eventID: '1',
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        Keys: { pk: { S: 'CLUSTER#c1' }, sk: { S: 'OP#o1' } },
        NewImage: {
          entity: { S: 'Operation' },
          region: { S: 'eu-west-1' },
          status: { S: 'PENDING' },
        },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };

    it('matches new operations on the raw record', () => {
      expect(
        matchesPattern(
          { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['Operation'] } } } },
          record,
        ),
      ).toBe(true);
    });

    it('rejects other entities, other event names and other regions', () => {
      expect(matchesPattern({ dynamodb: { NewImage: { entity: { S: ['Cluster'] } } } }, record)).toBe(false);
      expect(matchesPattern({ eventName: ['MODIFY'] }, record)).toBe(false);
      expect(matchesPattern({ dynamodb: { NewImage: { region: { S: ['us-east-1'] } } } }, record)).toBe(
        false,
      );
    });

    it('status changes: an OldImage that is missing (INSERT) satisfies exists:false', () => {
      expect(
        matchesPattern(
          { eventName: ['INSERT', 'MODIFY'], dynamodb: { OldImage: { status: { S: [{ exists: false }] } } } },
          record,
        ),
      ).toBe(true);
    });
  });

  it('does not depend on later changes to the pattern object (compilePattern copies it)', () => {
    // Prepare
    const pattern: Record<string, unknown> = { source: ['aws.ec2'] };
    const matches = compilePattern(pattern);

    // Act
    pattern.source = ['aws.s3'];

    // Assess
    expect(matches(ec2Event)).toBe(true);
  });
});

describe('Function: validatePattern', () => {
  // Reasons as AWS words them (event-ruler JsonRuleCompiler); more cases in pattern-aws.test.ts.
  it.each([
    ['a non-object pattern', ['aws.ec2'], 'Filter is not an object'],
    ['a non-array leaf', { source: 'aws.ec2' }, '"source" must be an object or an array'],
    ['a numeric leaf', { detail: { count: 5 } }, '"count" must be an object or an array'],
    ['an empty leaf', { source: [] }, 'Empty arrays are not allowed'],
    ['a nested array', { source: [['aws.ec2']] }, 'Match value must be String, number, true, false, or null'],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }, 'Unrecognized match type contains'],
    [
      'two operators in one expression',
      { source: [{ prefix: 'a', suffix: 'b' }] },
      'Only one key allowed in match expression',
    ],
    ['an empty expression', { source: [{}] }, 'Match expression name not found'],
    ['a non-string prefix', { source: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
    [
      'exists that is not a boolean',
      { source: [{ exists: 'yes' }] },
      'exists match pattern must be either true or false.',
    ],
    ['numeric that is not a list', { n: [{ numeric: 5 }] }, 'Value of numeric must be an array.'],
    ['a numeric string bound', { n: [{ numeric: ['>', '5'] }] }, 'Value of > must be numeric'],
    [
      'an unknown numeric operator',
      { n: [{ numeric: ['!=', 5] }] },
      'Unrecognized numeric range operator: !=',
    ],
    [
      'an upper bound before the lower one',
      { n: [{ numeric: ['<', 5, '>', 0] }] },
      'Too many elements in numeric expression',
    ],
    ['an empty numeric range', { n: [{ numeric: ['>', 5, '<', 5] }] }, 'Bottom must be less than top'],
    [
      'a numeric bound out of range',
      { n: [{ numeric: ['>', 6e9] }] },
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    ],
    ['a bad CIDR', { ip: [{ cidr: '10.0.0.0/33' }] }, 'IPv4 mask bits must be < 32'],
    ['a CIDR without prefix length', { ip: [{ cidr: '10.0.0.1' }] }, "Malformed CIDR, one '/' required"],
    ['consecutive wildcards', { s: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 1'],
    ['a bad wildcard escape', { s: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 1'],
    [
      'a mixed anything-but list',
      { s: [{ 'anything-but': ['a', 1] }] },
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'an empty anything-but list',
      { s: [{ 'anything-but': [] }] },
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but with an unknown operator',
      { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
      'Unsupported anything-but pattern: numeric',
    ],
    [
      'anything-but null',
      { s: [{ 'anything-but': null }] },
      'Value of anything-but must be an array or single string/number value.',
    ],
    [
      '$or with one alternative',
      { $or: [{ a: ['b'] }] },
      'There must have at least 2 Objects in $or relationship.',
    ],
    [
      '$or with a non-object alternative',
      { $or: [{ a: ['b'] }, 'c'] },
      'Only JSON object is allowed in array of $or relationship.',
    ],
  ])('rejects %s', (_name, pattern, reason) => {
    // Act & Assess
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(`Event pattern is not valid. Reason: ${reason}`);
  });

  it('names the path of the offending node and the AWS error code', () => {
    // Act
    const error = (() => {
      try {
        validatePattern({ detail: { state: ['ok', { prefx: 'x' }] } });
      } catch (caught) {
        return caught;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect(error).toMatchObject({
      name: 'InvalidEventPatternError',
      code: 'InvalidEventPatternException',
      path: 'detail.state[1]',
      reason: 'Unrecognized match type prefx',
      message: 'Event pattern is not valid. Reason: Unrecognized match type prefx (at detail.state[1])',
    });
  });

  it('accepts every documented operator form', () => {
    expect(() =>
      validatePattern({
        a: ['x', 1, true, null],
        b: [
          { prefix: 'x' },
          { prefix: { 'equals-ignore-case': 'x' } },
          { suffix: { 'equals-ignore-case': 'x' } },
        ],
        c: [
          { 'equals-ignore-case': 'x' },
          { wildcard: 'a*b\\*c\\\\' },
          { exists: false },
          { cidr: '::1/127' },
        ],
        d: [{ numeric: ['=', 1] }, { numeric: ['>=', 0, '<', 5e9] }],
        e: [
          { 'anything-but': 'x' },
          { 'anything-but': 1 },
          { 'anything-but': [1, 2] },
          { 'anything-but': { prefix: 'x' } },
          { 'anything-but': { suffix: 'x' } },
          { 'anything-but': { prefix: ['x', 'y'] } },
          { 'anything-but': { wildcard: ['x*', '*y'] } },
          { 'anything-but': { 'equals-ignore-case': 'x' } },
        ],
        f: { $or: [{ g: ['1'] }, { h: ['2'] }] },
      }),
    ).not.toThrow();
  });

  it('matchesPattern validates too', () => {
    expect(() => matchesPattern({ source: 'aws.ec2' }, {})).toThrow(InvalidEventPatternError);
  });
});
