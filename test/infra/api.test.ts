import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { StratusApi } from '../../lib/api.js';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import { StratusFunctions } from '../../lib/functions.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #11: stage-level API throttling from the config, and an optional custom domain per region
 * that 421 WRONG_REGION answers point to.
 */

const EU_CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const US_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000';

/** TWO_REGIONS with custom domains (and `extra`) in every region. */
function withDomains(extra: (region: string) => Record<string, unknown> = () => ({})) {
  return {
    ...TWO_REGIONS,
    regions: TWO_REGIONS.regions.map((r) => ({
      ...r,
      customDomain: {
        domainName: `api.${r.region}.example.com`,
        certificateArn: r.region === 'eu-west-1' ? EU_CERT : US_CERT,
      },
      ...extra(r.region),
    })),
  };
}

function synth(config: StratusConfig): Array<{ stack: StratusRegionStack; t: Template }> {
  return buildApp(config).stacks.map((stack) => ({ stack, t: Template.fromStack(stack) }));
}

function apiEnv(stack: StratusRegionStack, t: Template): Record<string, string> {
  const id = stack.getLogicalId(
    (stack.functions.get('api') as LambdaFunction).node.defaultChild as CfnFunction,
  );
  const fn = t.findResources('AWS::Lambda::Function')[id] as {
    Properties: { Environment: { Variables: Record<string, string> } };
  };
  return fn.Properties.Environment.Variables;
}

describe('Class: StratusApi (throttling)', () => {
  const stageThrottling = (t: Template) =>
    expect(t).toHaveResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]),
    });

  it('throttles each region’s stage at 100 requests per second with a burst of 200 by default', () => {
    for (const { t } of synth(TWO_REGIONS)) stageThrottling(t);
    expect(parseConfig({ stage: 'test', regions: TWO_REGIONS.regions }).apiThrottling).toEqual({
      rateLimit: 100,
      burstLimit: 200,
    });
  });

  it('throttles at the configured rate and burst', () => {
    // Act
    const stacks = synth(parseConfig({ ...TWO_REGIONS, apiThrottling: { rateLimit: 25.5, burstLimit: 50 } }));
    // Assess
    for (const { t } of stacks) {
      expect(t).toHaveResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ThrottlingRateLimit: 25.5, ThrottlingBurstLimit: 50 }),
        ]),
      });
    }
  });

  it('fills in the other limit’s default when only one is given', () => {
    expect(parseConfig({ ...TWO_REGIONS, apiThrottling: { burstLimit: 500 } }).apiThrottling).toEqual({
      rateLimit: 100,
      burstLimit: 500,
    });
  });

  it.each([
    [{ rateLimit: 0 }, /apiThrottling\.rateLimit must be a number of requests per second above 0/],
    [{ rateLimit: -5 }, /apiThrottling\.rateLimit must be a number of requests per second above 0/],
    [{ rateLimit: '100' }, /apiThrottling\.rateLimit must be a number of requests per second above 0/],
    [{ burstLimit: 150.5 }, /apiThrottling\.burstLimit must be a whole number of requests, at least 1/],
    [{ burstLimit: 0 }, /apiThrottling\.burstLimit must be a whole number of requests, at least 1/],
    [
      { rateLimit: 300, burstLimit: 200 },
      /apiThrottling\.burstLimit \(200\) must be at least rateLimit \(300\), so that one second's worth/,
    ],
    [{ rate: 10 }, /Unrecognized key: "rate"/],
  ])('refuses apiThrottling %j, saying what to write', (apiThrottling, message) => {
    expect(() => parseConfig({ ...TWO_REGIONS, apiThrottling })).toThrow(message);
  });
});

describe('Class: StratusApi (custom domain)', () => {
  let stacks: Array<{ stack: StratusRegionStack; t: Template }>;

  beforeAll(() => {
    stacks = synth(parseConfig(withDomains()));
  });

  it('creates a regional TLS 1.2 domain name with the region’s certificate', () => {
    for (const { stack, t } of stacks) {
      expect(t).toHaveResourceCount('AWS::ApiGateway::DomainName', 1);
      expect(t).toHaveResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: `api.${stack.region}.example.com`,
        RegionalCertificateArn: stack.region === 'eu-west-1' ? EU_CERT : US_CERT,
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
      });
    }
  });

  it('maps the root of the domain to the stage, so that /v1 routes are the same on both URLs', () => {
    for (const { stack, t } of stacks) {
      const domain = stack.getLogicalId(stack.api.domainName?.node.defaultChild as never);
      expect(t).toHaveResourceCount('AWS::ApiGateway::BasePathMapping', 1);
      expect(t).toHaveResourceProperties('AWS::ApiGateway::BasePathMapping', {
        DomainName: { Ref: domain },
        RestApiId: { Ref: stack.getLogicalId(stack.api.restApi.node.defaultChild as never) },
        Stage: { Ref: stack.getLogicalId(stack.api.restApi.deploymentStage.node.defaultChild as never) },
        BasePath: Match.absent(),
      });
    }
  });

  it('outputs the custom domain URL and the target its DNS record points to', () => {
    for (const { stack, t } of stacks) {
      const domain = stack.getLogicalId(stack.api.domainName?.node.defaultChild as never);
      expect(t.findOutputs('CustomDomainTarget').CustomDomainTarget?.Value).toEqual({
        'Fn::GetAtt': [domain, 'RegionalDomainName'],
      });
      expect(t.findOutputs('CustomDomainUrl').CustomDomainUrl?.Value).toEqual({
        'Fn::Join': ['', ['https://', { Ref: domain }]],
      });
    }
  });

  it('makes each region’s custom domain the URL that 421 WRONG_REGION answers of every region point to', () => {
    for (const { stack, t } of stacks) {
      expect(JSON.parse(apiEnv(stack, t).STRATUS_API_URLS ?? '')).toEqual({
        'eu-west-1': 'https://api.eu-west-1.example.com',
        'us-east-1': 'https://api.us-east-1.example.com',
      });
    }
  });

  it('keeps an apiUrl the config gives, over the custom domain', () => {
    // Prepare
    const config = parseConfig(
      withDomains((region) => (region === 'us-east-1' ? { apiUrl: 'https://stratus-us.example.com' } : {})),
    );
    // Assess
    expect(config.regions.map((r) => r.apiUrl)).toEqual([
      'https://api.eu-west-1.example.com',
      'https://stratus-us.example.com',
    ]);
  });

  it('creates no domain name without customDomain', () => {
    for (const { t } of synth(TWO_REGIONS)) {
      expect(t).toHaveResourceCount('AWS::ApiGateway::DomainName', 0);
      expect(t).toHaveResourceCount('AWS::ApiGateway::BasePathMapping', 0);
      expect(t.findOutputs('CustomDomainUrl')).toEqual({});
    }
  });

  it.each([
    [
      { domainName: 'api.eu-west-1.example.com', certificateArn: US_CERT },
      /customDomain\.certificateArn is a certificate of us-east-1, but the API of eu-west-1 has a regional endpoint, which needs a certificate of eu-west-1/,
    ],
    [
      { domainName: 'api.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
      /customDomain\.certificateArn must be an ACM certificate ARN such as arn:aws:acm:eu-west-1/,
    ],
    [
      { domainName: 'https://api.example.com', certificateArn: EU_CERT },
      /customDomain\.domainName must be a host name such as api\.eu-west-1\.example\.com; got "https:\/\/api\.example\.com"/,
    ],
    [
      { domainName: '*.example.com', certificateArn: EU_CERT },
      /customDomain\.domainName must be a host name/,
    ],
    [{ domainName: 'API.example.com', certificateArn: EU_CERT }, /must be a lower-case host name with a dot/],
    [{ domainName: 'localhost', certificateArn: EU_CERT }, /must be a lower-case host name with a dot/],
    [{ domainName: 'api.example.com' }, /customDomain\.certificateArn must be an ACM certificate ARN/],
  ])('refuses customDomain %j, saying what to fix', (customDomain, message) => {
    const config = {
      ...TWO_REGIONS,
      regions: TWO_REGIONS.regions.map((r) => (r.region === 'eu-west-1' ? { ...r, customDomain } : r)),
    };
    expect(() => parseConfig(config)).toThrow(message);
    expect(() => parseConfig(config)).toThrow(/regions\[0\]\.customDomain/);
  });

  it('refuses two regions with one API URL, since a 421 answer would send clients back where they came from', () => {
    // Prepare: one latency-routed name for both regions.
    const config = withDomains(() => ({
      customDomain: { domainName: 'api.example.com', certificateArn: EU_CERT },
    }));
    config.regions[1] = {
      ...(config.regions[1] as (typeof config.regions)[number]),
      customDomain: { domainName: 'api.example.com', certificateArn: US_CERT },
    };
    // Act, Assess
    expect(() => parseConfig(config)).toThrow(
      /eu-west-1 and us-east-1 have the same apiUrl https:\/\/api\.example\.com \(given, or from customDomain\).*set apiUrl to a name that reaches only that region/,
    );
    // With its own apiUrl per region, a shared domain is fine.
    expect(() =>
      parseConfig({
        ...config,
        regions: config.regions.map((r) => ({ ...r, apiUrl: `https://${r.region}.api.example.com` })),
      }),
    ).not.toThrow();
  });

  it('refuses, in the construct, a certificate of another region', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const { stacks: built } = buildApp();
    const functions = (built[0] as StratusRegionStack).functions;
    expect(functions).toBeInstanceOf(StratusFunctions);
    // Act, Assess
    expect(
      () =>
        new StratusApi(stack, 'Api', {
          stage: 't',
          functions,
          customDomain: { domainName: 'api.example.com', certificateArn: US_CERT },
        }),
    ).toThrow(
      /the certificate of api\.example\.com is in us-east-1; a regional API in eu-west-1 needs a certificate of eu-west-1/,
    );
  });
});
