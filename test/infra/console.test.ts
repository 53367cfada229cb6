import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildConsoleSync } from '../../console/build.mjs';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';
import { buildApp, TWO_REGIONS } from './synth.js';

/*
 * Issue #13: the web console as a static site (S3 + CloudFront with OAC and security headers) in
 * the first region's stack, and the APIs' CORS for its origins.
 */

const CONSOLE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000';

function withConsole(console: Record<string, unknown>): StratusConfig {
  return parseConfig({ ...TWO_REGIONS, console });
}

function synth(config: StratusConfig): Array<{ stack: StratusRegionStack; t: Template }> {
  return buildApp(config).stacks.map((stack) => ({ stack, t: Template.fromStack(stack) }));
}

function apiEnv(stack: StratusRegionStack, t: Template): Record<string, unknown> {
  const id = stack.getLogicalId(
    (stack.functions.get('api') as LambdaFunction).node.defaultChild as CfnFunction,
  );
  const fn = t.findResources('AWS::Lambda::Function')[id] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return fn.Properties.Environment.Variables;
}

describe('Class: StratusConsole', () => {
  it('deploys nothing of the console, and no CORS, without a console section', () => {
    // Act
    const [primary, secondary] = synth(TWO_REGIONS);

    // Assess
    for (const s of [primary, secondary]) {
      expect(s?.t).toHaveResourceCount('AWS::CloudFront::Distribution', 0);
      // The region's backup bucket only (test/infra/backup-bucket.test.ts): no console bucket.
      expect(s?.t).toHaveResourceCount('AWS::S3::Bucket', 1);
      expect(
        s?.t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
      ).toEqual({});
      if (s) expect(apiEnv(s.stack, s.t).STRATUS_CORS_ORIGINS).toBe('');
    }
  });

  it('serves a private, encrypted, TLS-only bucket through CloudFront with Origin Access Control, in the first region only', () => {
    // Act
    const [primary, secondary] = synth(withConsole({}));

    // Assess
    const t = primary?.t as Template;
    expect(t).toHaveResourceCount('AWS::CloudFront::Distribution', 1);
    expect(secondary?.t).toHaveResourceCount('AWS::CloudFront::Distribution', 0);
    expect(t).toHaveResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    expect(t).toHaveResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' } }),
        ]),
      },
    });
    expect(t).toHaveResourceCount('AWS::CloudFront::OriginAccessControl', 1);
    expect(t).toHaveResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
    expect(Object.keys(t.findOutputs('ConsoleUrl'))).toEqual(['ConsoleUrl']);
  });

  it("sends a strict CSP naming only the regions' APIs, HSTS, and no framing", () => {
    // Act
    const [primary] = synth(withConsole({}));

    // Assess
    const policies = primary?.t.findResources('AWS::CloudFront::ResponseHeadersPolicy') ?? {};
    const config = Object.values(policies)[0] as {
      Properties: {
        ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Record<string, Record<string, unknown>> };
      };
    };
    const security = config.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = String(security.ContentSecurityPolicy?.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(
      "connect-src 'self' https://*.execute-api.eu-west-1.amazonaws.com https://*.execute-api.us-east-1.amazonaws.com",
    );
    expect(security.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(security.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63_072_000 });
    expect(security.ContentTypeOptions).toMatchObject({ Override: true });
  });

  it('uploads the built site with a config.json naming the APIs, bundled offline at synth', () => {
    // Act
    const [primary] = synth(withConsole({}));

    // Assess: two sources, the site and config.json, whose marker is this region's API (its stage URL).
    const deployments = primary?.t.findResources('Custom::CDKBucketDeployment') ?? {};
    const props = (Object.values(deployments)[0] as { Properties: Record<string, unknown> }).Properties;
    expect(props.SourceObjectKeys).toHaveLength(2);
    expect(JSON.stringify(props.SourceMarkers)).toContain(
      primary?.stack.getLogicalId(primary.stack.api.restApi.node.defaultChild as CfnElement),
    );
    expect(props.DistributionPaths).toEqual(['/*']);
    expect(props.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    // The site itself, built by esbuild from the sources, without a network.
    const site = buildConsoleSync();
    for (const file of ['index.html', 'app.js', 'app.css', 'engines.json'])
      expect(existsSync(join(site, file))).toBe(true);
  });

  it('has no unacknowledged cdk-nag finding, with and without a custom domain', () => {
    for (const console of [{}, { domainName: 'console.example.com', certificateArn: CONSOLE_CERT }]) {
      // Act
      const { app } = buildApp(withConsole(console));
      const report = new AwsSolutionsChecks(app).validateScope(app);

      // Assess
      const findings = report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect(findings).toEqual([]);
    }
  });

  it("allows the console's origins in the APIs' CORS: the distribution's in the first region, a custom domain and extra origins in every region", () => {
    // Act
    const stacks = synth(
      withConsole({
        domainName: 'console.example.com',
        certificateArn: CONSOLE_CERT,
        corsOrigins: ['https://staging-console.example.com'],
      }),
    );

    // Assess
    const [primary, secondary] = stacks;
    const primaryOrigins = JSON.stringify(
      primary ? Stack.of(primary.stack).resolve(apiEnv(primary.stack, primary.t).STRATUS_CORS_ORIGINS) : '',
    );
    expect(primaryOrigins).toContain('https://console.example.com');
    expect(primaryOrigins).toContain('DomainName');
    expect(secondary ? apiEnv(secondary.stack, secondary.t).STRATUS_CORS_ORIGINS : '').toBe(
      'https://console.example.com,https://staging-console.example.com',
    );
    for (const s of stacks) {
      expect(
        Object.keys(s.t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }))
          .length,
      ).toBeGreaterThan(5);
    }
    expect(primary?.t).toHaveResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['console.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
      }),
    });
  });

  it('refuses a console certificate outside us-east-1, and a domain without its certificate', () => {
    // Act / Assess
    expect(() =>
      withConsole({
        domainName: 'console.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      }),
    ).toThrow(/us-east-1/);
    expect(() => withConsole({ domainName: 'console.example.com' })).toThrow(/go together/);
    expect(() => withConsole({ corsOrigins: ['https://x.example.com/path'] })).toThrow(/origins/);
  });
});
