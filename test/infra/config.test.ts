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
  it('fills in the documented alarm thresholds when alarms is left out', () => {
    // Act
    const config = parseConfig({ stage: 'test', regions: TWO_REGIONS.regions });
    // Assess
    expect(config.alarms).toEqual({
      api5xxRatePercent: 5,
      apiP99LatencyMs: 2500,
      streamIteratorAgeSeconds: 300,
      provisioningMessageAgeSeconds: 900,
      operationsFailed: 5,
    });
  });

  it('keeps the thresholds it is given', () => {
    const alarms = {
      email: 'oncall@example.com',
      api5xxRatePercent: 0.5,
      apiP99LatencyMs: 1000,
      streamIteratorAgeSeconds: 120,
      provisioningMessageAgeSeconds: 3600,
      operationsFailed: 0,
    };
    expect(parseConfig({ ...TWO_REGIONS, alarms }).alarms).toEqual(alarms);
  });

  it.each([
    [
      { email: 'oncall' },
      /alarms\.email must be an e-mail address such as oncall@example\.com; got "oncall"/,
    ],
    [{ api5xxRatePercent: 0 }, /alarms\.api5xxRatePercent must be a number of percent from 0\.1 to 100/],
    [{ api5xxRatePercent: '5' }, /alarms\.api5xxRatePercent must be a number of percent/],
    [
      { apiP99LatencyMs: 30_000 },
      /alarms\.apiP99LatencyMs must be a whole number of milliseconds from 100 to 29000/,
    ],
    [{ apiP99LatencyMs: 250.5 }, /alarms\.apiP99LatencyMs must be a whole number/],
    [
      { streamIteratorAgeSeconds: 90_000 },
      /alarms\.streamIteratorAgeSeconds must be a whole number of seconds from 60 to 86400/,
    ],
    [
      { provisioningMessageAgeSeconds: 30 },
      /alarms\.provisioningMessageAgeSeconds must be a whole number of seconds from 60 to 345600/,
    ],
    [{ emails: ['a@example.com'] }, /Unrecognized key: "emails"/],
    [
      { operationsFailed: -1 },
      /alarms\.operationsFailed must be a whole number of operations from 0 to 100000/,
    ],
    [{ operationsFailed: 2.5 }, /alarms\.operationsFailed must be a whole number of operations/],
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
