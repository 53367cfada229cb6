import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import { buildApp, TWO_REGIONS } from './synth.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const gateway = (lb: string, extra: Record<string, unknown> = {}) => ({
  issuer: 'stratus-endpoints',
  loadBalancerDnsName: lb,
  ...extra,
});

/** TWO_REGIONS with public endpoints: eu-west-1's two EKS clusters on two labels, us-east-1's on the default one. */
function withGateways(): StratusConfig {
  return parseConfig({
    ...TWO_REGIONS,
    endpoints: { domain: 'db.example.com', hostedZoneId: ZONE, hostedZoneName: 'example.com' },
    regions: [
      {
        region: 'eu-west-1',
        eksClusters: [
          { name: 'stratus-euw1-a', gateway: gateway('gw-a.elb.eu-west-1.amazonaws.com') },
          {
            name: 'stratus-euw1-b',
            capacityNodes: 50,
            gateway: gateway('gw-b.elb.eu-west-1.amazonaws.com', { dnsLabel: 'euw1-b' }),
          },
        ],
      },
      {
        region: 'us-east-1',
        eksClusters: [
          {
            name: 'stratus-use1-a',
            gateway: gateway('gw.elb.us-east-1.amazonaws.com', { databaseIssuer: 'stratus-databases' }),
          },
        ],
      },
    ],
  });
}

const templates = (config: StratusConfig) =>
  buildApp(config).stacks.map((stack) => ({ region: stack.region, t: Template.fromStack(stack) }));

const records = (t: Template) =>
  Object.values(t.findResources('AWS::Route53::RecordSet')).map(
    (r) => (r as { Properties: unknown }).Properties,
  );

describe('Class: StratusEndpointsDns', () => {
  it('creates one wildcard CNAME per EKS cluster with a gateway, in the configured zone, pointing at its load balancer', () => {
    // Act
    const [eu, us] = templates(withGateways());

    // Assess
    expect(records(eu?.t as Template)).toEqual([
      {
        HostedZoneId: ZONE,
        Name: '*.eu-west-1.db.example.com.',
        Type: 'CNAME',
        ResourceRecords: ['gw-a.elb.eu-west-1.amazonaws.com'],
        TTL: '300',
        Comment: "Stratus public endpoints on stratus-euw1-a (its gateway's load balancer)",
      },
      {
        HostedZoneId: ZONE,
        Name: '*.euw1-b.db.example.com.',
        Type: 'CNAME',
        ResourceRecords: ['gw-b.elb.eu-west-1.amazonaws.com'],
        TTL: '300',
        Comment: "Stratus public endpoints on stratus-euw1-b (its gateway's load balancer)",
      },
    ]);
    expect(records(us?.t as Template)).toEqual([
      expect.objectContaining({
        Name: '*.us-east-1.db.example.com.',
        ResourceRecords: ['gw.elb.us-east-1.amazonaws.com'],
      }),
    ]);
  });

  it("gives the functions each gateway's host suffix and issuers, and the API the regions that accept public endpoints and TLS", () => {
    // Act
    const eu = templates(withGateways())[0]?.t as Template;
    const env = Object.values(eu.findResources('AWS::Lambda::Function')).map(
      (f) =>
        (f as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment
          ?.Variables ?? {},
    );

    // Assess
    const api = env.find((v) => 'ENDPOINT_REGIONS' in v);
    expect(api?.ENDPOINT_REGIONS).toBe('eu-west-1,us-east-1');
    // TLS to the database only where every gateway names a databaseIssuer (a CA issuer).
    expect(api?.TLS_REGIONS).toBe('us-east-1');
    const issuers = JSON.parse(env.find((v) => 'EKS_CLUSTERS' in v)?.EKS_CLUSTERS ?? '[]');
    expect(issuers.map((c: { gateway?: { databaseIssuer?: string } }) => c.gateway?.databaseIssuer)).toEqual([
      undefined,
      undefined,
      'stratus-databases',
    ]);
    const pool = JSON.parse(env.find((v) => 'EKS_CLUSTERS' in v)?.EKS_CLUSTERS ?? '[]');
    expect(pool.map((c: { gateway?: { hostSuffix: string } }) => c.gateway?.hostSuffix)).toEqual([
      'eu-west-1.db.example.com',
      'euw1-b.db.example.com',
      'us-east-1.db.example.com',
    ]);
  });

  it('keeps cdk-nag AwsSolutions clean with the records', () => {
    // Prepare
    const { app } = buildApp(withGateways());

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assess
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });

  it('creates no record without endpoints', () => {
    // Act & Assess
    for (const { t } of templates(TWO_REGIONS))
      expect(t.findResources('AWS::Route53::RecordSet')).toEqual({});
  });

  it.each([
    [
      'a gateway without endpoints',
      {
        regions: [{ region: 'eu-west-1', eksClusters: [{ name: 'a', gateway: gateway('gw.example.com') }] }],
      },
      /has a gateway but the config has no endpoints/,
    ],
    [
      'a region with and without a gateway',
      {
        endpoints: { domain: 'db.example.com', hostedZoneId: ZONE },
        regions: [
          {
            region: 'eu-west-1',
            eksClusters: [{ name: 'a', gateway: gateway('gw.example.com') }, { name: 'b' }],
          },
        ],
      },
      /has EKS clusters with and without a gateway/,
    ],
    [
      'two gateways on one name',
      {
        endpoints: { domain: 'db.example.com', hostedZoneId: ZONE },
        regions: [
          {
            region: 'eu-west-1',
            eksClusters: [
              { name: 'a', gateway: gateway('gw-a.example.com') },
              { name: 'b', gateway: gateway('gw-b.example.com') },
            ],
          },
        ],
      },
      /a and b would both serve \*\.eu-west-1\.db\.example\.com/,
    ],
    [
      'a hosted zone ID that is not one',
      { endpoints: { domain: 'db.example.com', hostedZoneId: 'example.com' }, regions: TWO_REGIONS.regions },
      /endpoints\.hostedZoneId must be a Route 53 hosted zone ID/,
    ],
  ])('refuses %s', (_what, config, message) => {
    // Act & Assess
    expect(() => parseConfig({ stage: 'test', ...config })).toThrow(message);
  });
});
