import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Policy } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsoleSync } from '../console/build.mjs';
import { CONSOLE_HEADERS, consoleContentSecurityPolicy } from '../console/headers.js';
import { acknowledgeWildcardResource } from './nag.js';

export interface StratusConsoleProps {
  readonly stage: string;
  /** Origins of the regions' APIs, which the page may call (its CSP's `connect-src`). */
  readonly apiOrigins: readonly string[];
  /**
   * A custom domain for the distribution, with its ACM certificate (us-east-1).
   *
   * @default - the distribution's `*.cloudfront.net` domain only
   */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * The built site (console/build.mjs), uploaded as is.
   *
   * @default - `buildConsoleSync()`: built now if missing or stale, offline
   */
  readonly siteDir?: string;
}

/**
 * The web console as a static site: a private, encrypted S3 bucket (TLS only, no public access)
 * read by a CloudFront distribution through Origin Access Control, with security headers (a
 * strict CSP: own scripts and styles only, calls to the regions' APIs only). `deploySite` uploads
 * the built site and its `config.json` (the regions' API URLs) and invalidates the cache.
 */
export class StratusConsole extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  /** Where people open the console, e.g. `https://console.example.com` (an origin: no trailing slash). */
  public readonly origin: string;
  /** Every origin the console is served from (the distribution's own domain, and the custom one). */
  public readonly origins: readonly string[];
  private readonly siteDir: string;

  constructor(scope: Construct, id: string, props: StratusConsoleProps) {
    super(scope, id);
    this.siteDir = props.siteDir ?? buildConsoleSync();

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `stratus-${props.stage}-console`,
      comment: 'Stratus console: CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleContentSecurityPolicy(props.apiOrigins),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: CONSOLE_HEADERS['permissions-policy'] ?? '',
            override: true,
          },
        ],
      },
    });

    const domain = props.customDomain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Stratus ${props.stage} web console`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      ...(domain
        ? {
            domainNames: [domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
          }
        : {}),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
    });
    const own = `https://${this.distribution.distributionDomainName}`;
    this.origin = domain ? `https://${domain.domainName}` : own;
    this.origins = domain ? [this.origin, own] : [own];

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the console build of this repository, readable by CloudFront alone (OAC); requests are logged by no one else, and the API calls the console makes are in the API access logs.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The console is for tenants anywhere; access is decided by the API key at the API, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static files only (GET/HEAD, cached); every request with data goes to the regional API, which has its own WAF (lib/api.ts).',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Static files only: no request carries data or credentials to the distribution (the API key stays in the page and goes to the API, whose access logs record every call).',
      },
      ...(domain
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                "Without a custom domain the distribution uses CloudFront's default certificate, whose TLS policy cannot be chosen; set console.domainName for TLSv1.2_2021.",
            },
          ]),
    );
  }

  /**
   * Uploads the site with its `config.json` (each region's API URL, `defaultRegion` first in the
   * switcher), then invalidates the distribution's cache. Files are revalidated on every load
   * (`no-cache`): the site is small, and a deploy shows at once.
   */
  deploySite(config: {
    readonly regions: readonly { readonly region: string; readonly apiUrl: string }[];
    readonly defaultRegion: string;
  }): BucketDeployment {
    const deployment = new BucketDeployment(this, 'Deployment', {
      sources: [
        Source.asset(this.siteDir),
        Source.jsonData('config.json', {
          regions: config.regions.map((r) => ({ region: r.region, apiUrl: r.apiUrl })),
          defaultRegion: config.defaultRegion,
        }),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      cacheControl: [CacheControl.noCache()],
      prune: true,
      memoryLimit: 256,
    });
    acknowledgeBucketDeployment(this, deployment);
    return deployment;
  }
}

/**
 * cdk-nag findings of the BucketDeployment's custom resource (CDK's singleton provider function,
 * at the stack's root): its managed logging policy, its runtime, and the wildcards of CDK's own
 * grants, acknowledged one by one as cdk-nag names them (lib/nag.ts).
 */
function acknowledgeBucketDeployment(scope: Construct, deployment: BucketDeployment): void {
  const stack = Stack.of(scope);
  const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  for (const target of [provider, deployment].filter((c): c is Construct => c !== undefined)) {
    Validations.of(target).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketDeployment provider: the AWS managed policy only lets it write its own logs.",
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "CDK's BucketDeployment provider pins its own runtime (it runs the AWS CLI layer), at deploy time only.",
      },
    );
  }
  const policy = provider?.node.tryFindChild('ServiceRole')?.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof Policy)) return;
  const reason =
    "CDK's BucketDeployment provider: it copies the site from the CDK asset bucket into the console bucket (read, list, write and delete objects of those two buckets) and invalidates the distribution (CloudFront's invalidation actions take no resource).";
  const statements =
    (policy.document.toJSON() as { Statement?: Array<{ Action?: unknown; Resource?: unknown }> }).Statement ??
    [];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
  for (const action of new Set(statements.flatMap((st) => list(st.Action)).filter((a) => a.includes('*'))))
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
  for (const resource of new Set(
    statements.flatMap((st) => list(st.Resource)).filter((r) => r.includes('*')),
  ))
    acknowledgeWildcardResource(policy, resource, reason);
}
