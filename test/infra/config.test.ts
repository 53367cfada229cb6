import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { TWO_REGIONS } from './synth.js';

/*
 * Issue #11: every configuration mistake is refused with a message that names the field and says
 * what to write instead.
 */

/** TWO_REGIONS with `patch` applied to the region `region`. */
function withRegion(region: string, patch: Record<string, unknown>) {
  return {
    ...TWO_REGIONS,
    regions: TWO_REGIONS.regions.map((r) => (r.region === region ? { ...r, ...patch } : r)),
  };
}

describe('Function: parseConfig (alarms)', () => {
  it('leaves alarms.email out when it is not given', () => {
    expect(parseConfig({ stage: 'test', regions: TWO_REGIONS.regions }).alarms).toEqual({});
  });

  it.each([
    [
      { email: 'oncall' },
      /alarms\.email must be an e-mail address such as oncall@example\.com; got "oncall"/,
    ],
    [{ emails: ['a@example.com'] }, /Unrecognized key: "emails"/],
  ])('refuses alarms %j, saying what to write', (alarms, message) => {
    expect(() => parseConfig({ ...TWO_REGIONS, alarms })).toThrow(message);
  });

  it.each([
    [
      'sns:ops-alarms',
      /alarmTopicArn must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops-alarms/,
    ],
    ['arn:aws:sqs:eu-west-1:123456789012:ops', /alarmTopicArn must be an SNS topic ARN/],
    [
      'arn:aws:sns:us-east-1:123456789012:ops',
      /alarmTopicArn is a topic of us-east-1, but the alarms of eu-west-1 can notify only a topic of eu-west-1/,
    ],
  ])('refuses an alarmTopicArn %s, saying what to write', (arn, message) => {
    expect(() => parseConfig(withRegion('eu-west-1', { alarmTopicArn: arn }))).toThrow(message);
    expect(() => parseConfig(withRegion('eu-west-1', { alarmTopicArn: arn }))).toThrow(
      /at regions\[0\]\.alarmTopicArn/,
    );
  });

  it('accepts a topic ARN of the region, in any partition', () => {
    const config = parseConfig(
      withRegion('eu-west-1', { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms' }),
    );
    expect(config.regions[0]?.alarmTopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:ops-alarms');
    expect(() =>
      parseConfig({
        stage: 'gov',
        regions: [
          {
            region: 'us-gov-west-1',
            eksClusters: [{ name: 'a' }],
            alarmTopicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops',
          },
        ],
      }),
    ).not.toThrow();
  });

  it('refuses an e-mail address when every region notifies its own existing topic', () => {
    const config = {
      ...TWO_REGIONS,
      alarms: { email: 'oncall@example.com' },
      regions: TWO_REGIONS.regions.map((r) => ({
        ...r,
        alarmTopicArn: `arn:aws:sns:${r.region}:123456789012:ops`,
      })),
    };
    expect(() => parseConfig(config)).toThrow(
      /alarms\.email subscribes to the topics the stacks create, but every region names its own alarmTopicArn/,
    );
  });
});
