import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  BasePathMapping,
  DomainName,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_SECONDS } from '../functions/api/cors.js';
import { ERROR_CODES } from '../functions/shared/errors.js';
import { httpRoutes } from '../functions/topology.js';
import type { StratusFunctions } from './functions.js';
import { stratusNames } from './names.js';

export interface StratusApiProps {
  /** Installation stage; the API is named `stratus-<stage>`. */
  readonly stage: string;
  /** Targets of the routes: each route of topology.ts goes to the function that declares it. */
  readonly functions: StratusFunctions;
  /**
   * Whether this stack creates API Gateway's account-level CloudWatch role (`AWS::ApiGateway::Account`,
   * one setting per account and region, which execution logging needs): `existing` when something
   * else in the account manages it (another stack, a landing zone), so the two do not overwrite
   * each other; the account must then already name a role, or the stage's logging fails to deploy.
   *
   * @default 'create'
   */
  readonly apiGatewayAccount?: 'create' | 'existing';
  /**
   * Steady-state requests per second of the stage (all clients together).
   *
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of the stage's token bucket.
   *
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Requests per client IP per 5 minutes before the WAF blocks that IP.
   *
   * @default 1000
   */
  readonly wafRateLimitPer5Minutes?: number;
  /**
   * Retention of the access log group.
   *
   * @default RetentionDays.THREE_MONTHS
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * A custom domain name for the API: a regional API Gateway domain (TLS 1.2) with an ACM
   * certificate of this stack's region, whose root maps to the stage (`https://<domainName>/v1/...`).
   * The DNS record (an alias or CNAME to `domainTarget`) is yours to create.
   *
   * @default - none: the execute-api URL only
   */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * Origins whose browser pages may call the API (the web console's): API Gateway answers their
   * CORS preflights (OPTIONS on every resource); the functions add the CORS headers of the answers
   * (functions/api/cors.ts), from the same list.
   *
   * @default - none: no OPTIONS methods
   */
  readonly corsOrigins?: readonly string[];
}

/**
 * Gateway responses: what API Gateway answers by itself (unknown route, throttling, WAF block,
 * integration timeout), rendered as the same RFC 9457 problem documents as the api Lambda, with
 * the codes of its catalog (functions/shared/errors.ts) where one exists. Gateway response
 * templates have no variable for the status code, so each response fixes its status.
 */
const GATEWAY_RESPONSES: ReadonlyArray<{
  type: ResponseType;
  status: number;
  code: string;
  title: string;
  /** Add API Gateway's own message as `detail` (for the catch-all types, where it says what happened). */
  detail?: boolean;
}> = [
  // API Gateway answers 403 "Missing Authentication Token" for a route it does not know.
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, ...catalog('ROUTE_NOT_FOUND') },
  { type: ResponseType.RESOURCE_NOT_FOUND, ...catalog('ROUTE_NOT_FOUND') },
  { type: ResponseType.REQUEST_TOO_LARGE, ...catalog('PAYLOAD_TOO_LARGE') },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, ...catalog('UNSUPPORTED_MEDIA_TYPE') },
  { type: ResponseType.BAD_REQUEST_BODY, ...catalog('VALIDATION_FAILED') },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, ...catalog('VALIDATION_FAILED') },
  { type: ResponseType.THROTTLED, status: 429, code: 'THROTTLED', title: 'Too many requests' },
  { type: ResponseType.QUOTA_EXCEEDED, status: 429, code: 'THROTTLED', title: 'Too many requests' },
  { type: ResponseType.WAF_FILTERED, status: 403, code: 'FORBIDDEN', title: 'The request was blocked' },
  { type: ResponseType.ACCESS_DENIED, status: 403, code: 'FORBIDDEN', title: 'The request was blocked' },
  {
    type: ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    title: 'The request timed out',
  },
  {
    type: ResponseType.INTEGRATION_FAILURE,
    status: 502,
    code: 'UPSTREAM_FAILURE',
    title: 'The backend failed',
  },
  // Anything else API Gateway generates: a uniform body matters more to clients than the exact
  // 4xx of a response type this API does not use (authorizers, API keys, signatures).
  {
    type: ResponseType.DEFAULT_4XX,
    status: 400,
    code: 'BAD_REQUEST',
    title: 'The request was rejected',
    detail: true,
  },
  { type: ResponseType.DEFAULT_5XX, ...catalog('INTERNAL'), detail: true },
];

function catalog(code: keyof typeof ERROR_CODES): { status: number; code: string; title: string } {
  return { ...ERROR_CODES[code], code };
}

/**
 * The regional REST API: one resource and method per route of topology.ts, proxied to the api
 * Lambda, which authenticates (Bearer API keys hashed in DynamoDB, so revocation is immediate),
 * validates and routes. Access logs in JSON, X-Ray, stage throttling, and a WAF in front.
 */
export class StratusApi extends Construct {
  public readonly restApi: RestApi;
  /** Base URL of the stage; routes start with `/v1`. */
  public readonly url: string;
  /** The custom domain, when `customDomain` is given. */
  public readonly domainName?: DomainName;

  constructor(scope: Construct, id: string, props: StratusApiProps) {
    super(scope, id);
    const rateLimit = props.throttlingRateLimit ?? 100;
    const burstLimit = props.throttlingBurstLimit ?? 200;
    const wafLimit = props.wafRateLimitPer5Minutes ?? 1000;
    if (rateLimit <= 0 || burstLimit < rateLimit) {
      throw new Error(
        `StratusApi: throttling needs rateLimit > 0 and burstLimit >= rateLimit (got ${rateLimit}/${burstLimit}).`,
      );
    }
    if (!Number.isInteger(wafLimit) || wafLimit < 10) {
      throw new Error(
        `StratusApi: wafRateLimitPer5Minutes must be an integer >= 10, WAF's minimum (got ${wafLimit}).`,
      );
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
    });
    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: stratusNames(props.stage).restApi,
      description: 'Stratus control plane API',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Routes carry their version (`/v1/...`); the stage name is not part of the contract.
      deployOptions: {
        stageName: 'live',
        tracingEnabled: true,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        metricsEnabled: true,
        // Errors only: INFO execution logs would copy request metadata into a second log.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            extendedRequestId: AccessLogField.contextExtendedRequestId(),
            ip: AccessLogField.contextIdentitySourceIp(),
            userAgent: AccessLogField.contextIdentityUserAgent(),
            requestTime: AccessLogField.contextRequestTime(),
            method: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            path: AccessLogField.contextPath(),
            status: AccessLogField.contextStatus(),
            responseLength: AccessLogField.contextResponseLength(),
            latencyMs: AccessLogField.contextResponseLatency(),
            integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
            integrationError: AccessLogField.contextIntegrationErrorMessage(),
            errorType: AccessLogField.contextErrorResponseType(),
            wafStatus: AccessLogField.contextWafResponseCode(),
            xrayTraceId: AccessLogField.contextXrayTraceId(),
          }),
        ),
      },
      // Execution logging needs API Gateway's account-level CloudWatch role (one per region).
      cloudWatchRole: (props.apiGatewayAccount ?? 'create') === 'create',
      ...(props.corsOrigins && props.corsOrigins.length > 0
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: CORS_ALLOW_METHODS,
              allowHeaders: CORS_ALLOW_HEADERS,
              maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
            },
          }
        : {}),
    });

    for (const route of httpRoutes()) {
      const integration = new LambdaIntegration(props.functions.get(route.fn), {
        proxy: true,
        // One invoke permission per method, not two (no console test-invoke permission).
        allowTestInvoke: false,
      });
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration);
    }

    for (const response of GATEWAY_RESPONSES) {
      this.restApi.addGatewayResponse(pascalType(response.type), {
        type: response.type,
        statusCode: String(response.status),
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        templates: { 'application/json': problemTemplate(response) },
      });
    }

    this.url = this.restApi.url;
    if (props.customDomain) this.domainName = this.addCustomDomain(props.customDomain);
    this.addFirewall(wafLimit);

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Authentication is done in the api Lambda: Bearer API keys hashed in DynamoDB, so a revoked key is refused on the next request (no authorizer cache).',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Clients are machines holding Stratus API keys, not Cognito users; the api Lambda authenticates every request against the key table.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Requests are validated by the zod schemas of the api Lambda (the one API contract, shared with the local runtime), answering problem+json with field errors.',
      },
    );
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role: the AWS managed policy is the documented one and API Gateway writes to log groups it names itself.",
      });
    }
  }

  private addCustomDomain(domain: { domainName: string; certificateArn: string }): DomainName {
    const region = Stack.of(this).region;
    // arn:<partition>:acm:<region>:<account>:certificate/<id>
    const certificateRegion = domain.certificateArn.split(':')[3];
    if (
      !Token.isUnresolved(domain.certificateArn) &&
      !Token.isUnresolved(region) &&
      certificateRegion !== region
    ) {
      throw new Error(
        `StratusApi: the certificate of ${domain.domainName} is in ${certificateRegion}; a regional API in ${region} needs a certificate of ${region}.`,
      );
    }
    const domainName = new DomainName(this, 'CustomDomain', {
      domainName: domain.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    // No base path: the routes carry their version (/v1), as on the execute-api URL.
    new BasePathMapping(this, 'CustomDomainMapping', {
      domainName,
      restApi: this.restApi,
      stage: this.restApi.deploymentStage,
    });
    return domainName;
  }

  /** Regional WAF on the stage: AWS common rule set plus a per-IP rate limit. */
  private addFirewall(rateLimit: number): void {
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('StratusApi'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        {
          name: 'AwsCommonRuleSet',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' },
          },
          visibilityConfig: visibility('AwsCommonRuleSet'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.restApi.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
  }
}

/**
 * The body template. Gateway templates only substitute variables (no VTL);
 * `$context.error.messageString` is already a quoted JSON string, so it goes in unquoted.
 */
function problemTemplate(response: (typeof GATEWAY_RESPONSES)[number]): string {
  const body = JSON.stringify({
    type: 'about:blank',
    title: response.title,
    status: response.status,
    code: response.code,
    requestId: '$context.requestId',
  });
  return response.detail ? `${body.slice(0, -1)},"detail":$context.error.messageString}` : body;
}

/** `MISSING_AUTHENTICATION_TOKEN` -> `MissingAuthenticationToken`, a stable construct ID. */
function pascalType(type: ResponseType): string {
  return type.responseType
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
