import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionId } from '../../../functions/topology.js';
import { parseConfig } from '../../../lib/config.js';
import { IAM_ROLE_NAME_MAX, roleNameTooLong, stratusNames } from '../../../lib/names.js';

describe('Function: stratusNames', () => {
  it('derives every physical name from the stage and, where per region, the region', () => {
    // Act
    const names = stratusNames('prod');

    // Assess
    expect({
      table: names.table,
      bus: names.bus,
      restApi: names.restApi,
      pageTokenSecret: names.pageTokenSecret,
      stack: names.stack('eu-west-1'),
      dashboard: names.dashboard('eu-west-1'),
      queue: names.queue('provisioning'),
      deadLetterQueue: names.deadLetterQueue('provisioning'),
      streamFailureQueue: names.streamFailureQueue('statusPublisher'),
      functionRole: names.functionRole('eu-west-1', 'statusPublisher'),
      takeoverRole: names.takeoverRole('eu-west-1', 'provisioner'),
      localFunction: names.localFunction('statusPublisher'),
    }).toEqual({
      table: 'stratus-prod',
      bus: 'stratus-prod',
      restApi: 'stratus-prod',
      pageTokenSecret: 'stratus/prod/page-token-key',
      stack: 'Stratus-prod-eu-west-1',
      dashboard: 'stratus-prod-eu-west-1',
      queue: 'stratus-prod-provisioning',
      deadLetterQueue: 'stratus-prod-provisioning-dlq',
      // The function id as the topology spells it (camelCase), unlike the role names.
      streamFailureQueue: 'stratus-prod-statusPublisher-stream-failures',
      functionRole: 'stratus-prod-eu-west-1-status-publisher',
      takeoverRole: 'stratus-prod-eu-west-1-provisioner-takeover',
      localFunction: 'stratus-prod-statusPublisher',
    });
  });

  it("lists a region's roles: one per function, one per takeover function, and the backup pods'", () => {
    // Act
    const roles = stratusNames('prod').roles('us-east-1');

    // Assess
    expect(roles).toHaveLength(Object.keys(FUNCTIONS).length + 4);
    expect(roles).toContain('stratus-prod-us-east-1-reveal-takeover');
    expect(roles).toContain(stratusNames('prod').backupPodsRole('us-east-1'));
    expect(new Set(roles).size).toBe(roles.length);
  });

  it('gives two stages no name in common', () => {
    // Prepare
    const [a, b] = [stratusNames('dev'), stratusNames('dev-eu')];
    const all = (n: typeof a) => [
      n.table,
      n.pageTokenSecret,
      n.dashboard('eu-west-1'),
      n.queue('provisioning'),
      n.deadLetterQueue('provisioning'),
      ...(Object.keys(FUNCTIONS) as FunctionId[]).map((fn) => n.streamFailureQueue(fn)),
      ...n.roles('eu-west-1'),
    ];

    // Act
    const shared = all(a).filter((name) => all(b).includes(name));

    // Assess
    expect(shared).toEqual([]);
  });
});

describe('Function: roleNameTooLong', () => {
  it('accepts a 20-character stage with a 14-character region: the longest role has 64 characters', () => {
    // Prepare
    const stage = 'a'.repeat(20);

    // Act
    const tooLong = roleNameTooLong(stage, ['eu-west-1', 'ap-southeast-1']);

    // Assess
    expect(tooLong).toBeUndefined();
    expect(stratusNames(stage).takeoverRole('ap-southeast-1', 'provisioner')).toHaveLength(IAM_ROLE_NAME_MAX);
  });

  it('names the longest role over 64 characters and the longest stage that fits', () => {
    // Prepare
    const stage = 'a'.repeat(21);

    // Act
    const tooLong = roleNameTooLong(stage, ['eu-west-1', 'ap-southeast-1']);

    // Assess
    expect(tooLong).toEqual({
      name: `stratus-${stage}-ap-southeast-1-provisioner-takeover`,
      maxStageLength: 20,
    });
  });

  it('is what parseConfig refuses a stage with', () => {
    // Prepare
    const config = {
      stage: 'a'.repeat(21),
      regions: [{ region: 'ap-southeast-1', eksClusters: [{ name: 'stratus-apse1-a' }] }],
    };

    // Act
    const act = () => parseConfig(config);

    // Assess
    expect(act).toThrow(
      `the IAM role name stratus-${'a'.repeat(21)}-ap-southeast-1-provisioner-takeover has 65 characters (IAM allows 64); use a stage of at most 20 characters`,
    );
  });
});
