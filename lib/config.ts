import * as z from 'zod';
import { OBJECT_LOCK_MODES } from '../functions/shared/object-lock.js';
import { type FunctionId, QUEUES } from '../functions/topology.js';
import { IAM_ROLE_NAME_MAX, roleNameTooLong, stratusNames } from './names.js';

/**
 * Deployment configuration: the regions Stratus runs in and the EKS clusters each may place
 * databases on. Read from the `stratus` key of cdk.json's context by the CDK app and by the
 * local runtime, so both run the same topology. Pure zod: no CDK imports.
 */
/** One CIDR of an API server's addresses: IPv4 or IPv6, never a whole address family. */
const ApiServerCidrSchema = z
  .union([z.cidrv4(), z.cidrv6()], {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a CIDR; write an address with its prefix length, such as 10.0.32.0/20 or 172.20.0.1/32`,
  })
  .superRefine((cidr, ctx) => {
    if (cidr.endsWith('/0')) {
      ctx.addIssue({
        code: 'custom',
        message: `${cidr} allows every address: list the API server's own addresses (docs/eks.md, section 5)`,
      });
    }
  });

/** A DNS label: lower-case letters, digits and hyphens, at most 63. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A Kubernetes object or namespace name (RFC 1123 label). */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const kubeName = (field: string) =>
  z.string().regex(KUBE_NAME, `${field} must be a Kubernetes name (lower-case letters, digits, hyphens)`);

/**
 * The shared gateway of an EKS cluster, for public endpoints (issue #17; docs/eks.md, section 9):
 * Envoy Gateway's `Gateway` that every public cluster's ListenerSet attaches to, the ClusterIssuer
 * of their certificates, and the network load balancer its Service got (the wildcard DNS record
 * `*.<dnsLabel>.<endpoints.domain>` points there).
 */
export const GatewayConfigSchema = z.strictObject({
  /** The `Gateway`'s name. @default 'stratus-gateway' */
  name: kubeName('gateway.name').default('stratus-gateway'),
  /** The `Gateway`'s namespace. @default 'stratus-gateway' */
  namespace: kubeName('gateway.namespace').default('stratus-gateway'),
  /**
   * Where the gateway's proxy pods run (Envoy Gateway puts them in its own namespace unless told
   * otherwise): the clusters' NetworkPolicies admit this namespace. @default 'envoy-gateway-system'
   */
  proxyNamespace: kubeName('gateway.proxyNamespace').default('envoy-gateway-system'),
  /** The cert-manager ClusterIssuer that issues the certificates the gateway serves (public names). */
  issuer: kubeName('gateway.issuer'),
  /**
   * The cert-manager ClusterIssuer of the databases' own certificates (TLS to the database,
   * docs/endpoints.md): they name in-cluster Services (`*.svc.cluster.local`), so it must be a CA
   * or Vault issuer (an ACME issuer cannot sign them); its CA is shown to tenants. Clusters created
   * in a region whose EKS clusters all name one serve TLS themselves (`tlsRegions`). @default - none:
   * no TLS to the database
   */
  databaseIssuer: kubeName('gateway.databaseIssuer').optional(),
  /** The listener port, the one the load balancer exposes. @default 443 */
  port: z.int().min(1).max(65535).default(443),
  /**
   * The label between the cluster id and `endpoints.domain`: hosts are
   * `<clusterId>.<dnsLabel>.<domain>`. Unique across EKS clusters. @default - the region
   */
  dnsLabel: z.string().regex(DNS_LABEL, 'gateway.dnsLabel must be a DNS label such as eu-west-1').optional(),
  /** The DNS name of the gateway's network load balancer (the wildcard record's target). */
  loadBalancerDnsName: z.hostname({
    error:
      'gateway.loadBalancerDnsName must be the load balancer DNS name, such as k8s-gw-1234.elb.eu-west-1.amazonaws.com',
  }),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** Public endpoints (issue #17): the domain under which each cluster gets a name, and its hosted zone. */
export const EndpointsConfigSchema = z.strictObject({
  /** Clusters are `<clusterId>.<dnsLabel>.<domain>`, e.g. `cl-....eu-west-1.db.example.com`. */
  domain: z
    .hostname({ error: 'endpoints.domain must be a host name such as db.example.com' })
    .refine((d) => d.includes('.') && d === d.toLowerCase() && !d.endsWith('.'), {
      error:
        'endpoints.domain must be a lower-case host name with a dot and no trailing dot, such as db.example.com',
    }),
  /** The Route 53 public hosted zone of `domain` (or of a parent): the CDK app writes the wildcard records there. */
  hostedZoneId: z
    .string()
    .regex(
      /^Z[A-Z0-9]{1,32}$/,
      'endpoints.hostedZoneId must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ',
    ),
  /** The zone's name (its apex), such as `example.com`. @default - `domain` */
  hostedZoneName: z.hostname().optional(),
});
export type EndpointsConfig = z.infer<typeof EndpointsConfigSchema>;

export const EksClusterRefSchema = z.strictObject({
  /** EKS cluster name, as `DescribeCluster` knows it. */
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'an EKS cluster name'),
  /** Maximum number of database nodes Stratus places on it. */
  capacityNodes: z.number().int().positive().default(500),
  /**
   * Where pods reach this cluster's Kubernetes API server: the `kubernetes` Service's ClusterIP
   * (/32) and the subnets of the cluster's control-plane network interfaces. The egress of pods
   * that call the API (PostgreSQL's instance manager) is limited to them; without them, to the
   * private address ranges (docs/eks.md, section 5; docs/engines.md).
   */
  apiServerCidrs: z
    .array(ApiServerCidrSchema)
    .min(1, 'apiServerCidrs needs at least one CIDR, or leave it out')
    .optional(),
  /** Its shared gateway for public endpoints (`GatewayConfigSchema`); needs `endpoints`. @default - none */
  gateway: GatewayConfigSchema.optional(),
});

/** The gateway as the functions get it in `EKS_CLUSTERS` (functions/shared/engines/endpoints.ts `GatewayContext`). */
export interface GatewayPoolEntry {
  name: string;
  namespace: string;
  proxyNamespace: string;
  hostSuffix: string;
  port: number;
  issuer: string;
  databaseIssuer?: string;
}

/** `<dnsLabel>.<domain>`: where an EKS cluster's databases get their names. */
export function gatewayHostSuffix(
  gateway: Pick<GatewayConfig, 'dnsLabel'>,
  region: string,
  domain: string,
): string {
  return `${gateway.dnsLabel ?? region}.${domain}`;
}

/**
 * An EKS cluster as the functions get it in `EKS_CLUSTERS` (functions/shared/kube/pool.ts), with
 * its gateway when the deployment has `endpoints` (`domain`: `endpoints.domain`).
 */
export function eksPoolEntry(
  cluster: {
    name: string;
    capacityNodes: number;
    apiServerCidrs?: readonly string[] | undefined;
    gateway?: GatewayConfig | undefined;
  },
  region: string,
  domain?: string,
): {
  name: string;
  capacityNodes: number;
  region: string;
  apiServerCidrs?: readonly string[];
  gateway?: GatewayPoolEntry;
} {
  const gw = cluster.gateway;
  return {
    name: cluster.name,
    capacityNodes: cluster.capacityNodes,
    region,
    ...(cluster.apiServerCidrs ? { apiServerCidrs: cluster.apiServerCidrs } : {}),
    ...(gw && domain
      ? {
          gateway: {
            name: gw.name,
            namespace: gw.namespace,
            proxyNamespace: gw.proxyNamespace,
            hostSuffix: gatewayHostSuffix(gw, region, domain),
            port: gw.port,
            issuer: gw.issuer,
            ...(gw.databaseIssuer ? { databaseIssuer: gw.databaseIssuer } : {}),
          },
        }
      : {}),
  };
}

/**
 * Regions whose EKS clusters all have a gateway with a `databaseIssuer` (a CA issuer for the
 * databases' own certificates): clusters created there serve TLS (docs/endpoints.md, "TLS end to
 * end"). Explicit, because an ACME `issuer` cannot sign in-cluster names.
 */
export function tlsRegions(config: Pick<StratusConfig, 'endpoints' | 'regions'>): string[] {
  if (!config.endpoints) return [];
  return config.regions
    .filter((r) => r.eksClusters.length > 0 && r.eksClusters.every((c) => c.gateway?.databaseIssuer))
    .map((r) => r.region);
}

/** Regions whose EKS clusters have a gateway: the API accepts `endpoint.public` for their clusters. */
export function endpointRegions(config: Pick<StratusConfig, 'endpoints' | 'regions'>): string[] {
  if (!config.endpoints) return [];
  return config.regions.filter((r) => r.eksClusters.every((c) => c.gateway)).map((r) => r.region);
}

/** `arn:<partition>:sns:<region>:<account>:<name>`; group 1 is the region. */
const SNS_TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:([a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** `arn:<partition>:acm:<region>:<account>:certificate/<uuid>`; group 1 is the region. */
const ACM_CERTIFICATE_ARN =
  /^arn:aws(?:-[a-z]+)*:acm:([a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:certificate\/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

const CERTIFICATE_ARN_MESSAGE =
  'customDomain.certificateArn must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

/** A custom domain of a region's API: a regional API Gateway domain name with an ACM certificate of that region. */
export const CustomDomainSchema = z.strictObject({
  /** The name clients use, such as `api.eu-west-1.example.com`; its DNS record is yours to create. */
  domainName: z
    .hostname({
      error: (issue) =>
        `customDomain.domainName must be a host name such as api.eu-west-1.example.com; got ${JSON.stringify(issue.input)}`,
    })
    .refine((d) => d.includes('.') && d === d.toLowerCase() && !d.endsWith('.'), {
      error: (issue) =>
        `customDomain.domainName must be a lower-case host name with a dot and no trailing dot, such as api.eu-west-1.example.com; got ${JSON.stringify(issue.input)}`,
    }),
  /** An ACM certificate for `domainName`, in the region of the API (a regional endpoint's certificate is in its own region). */
  certificateArn: z
    .string({ error: CERTIFICATE_ARN_MESSAGE })
    .regex(ACM_CERTIFICATE_ARN, CERTIFICATE_ARN_MESSAGE),
});

/** One private subnet of the functions that reach Kubernetes. */
export const VpcSubnetSchema = z.strictObject({
  subnetId: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet ID such as subnet-0a1b2c3d4e5f67890'),
  availabilityZone: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'an availability zone such as eu-west-1a'),
  /** Its route table: the DynamoDB gateway endpoint is added to it (`endpoints: "create"`). */
  routeTableId: z
    .string()
    .regex(/^rtb-[0-9a-f]{8,17}$/, 'a route table ID such as rtb-0a1b2c3d4e5f67890')
    .optional(),
});

/**
 * The VPC the Kubernetes-facing functions (those with an `eks:*` permission in
 * functions/topology.ts: provisioner, reconciler, reveal) run in, to reach EKS API endpoints that
 * are private (docs/eks.md, section 4; lib/network.ts). Given by ID: synth stays offline (no lookup).
 */
export const VpcConfigSchema = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC ID such as vpc-0a1b2c3d4e5f67890'),
    /** Private subnets, in at least two availability zones (Lambda places ENIs in each). */
    subnets: z
      .array(VpcSubnetSchema)
      .min(2, 'vpc.subnets needs at least two private subnets, in two availability zones'),
    /**
     * `create`: interface endpoints for the AWS APIs those functions call (EKS, SQS, STS,
     * EventBridge, X-Ray) and a DynamoDB gateway endpoint on the subnets' route tables. `existing`:
     * the subnets already reach them (a NAT gateway, or endpoints of your own).
     */
    endpoints: z.enum(['create', 'existing']).default('create'),
  })
  .superRefine((vpc, ctx) => {
    const zones = new Set(vpc.subnets.map((s) => s.availabilityZone));
    if (zones.size < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['subnets'],
        message: `vpc.subnets are all in ${[...zones].join(', ')}: give subnets in at least two availability zones, so that the functions survive the loss of one`,
      });
    }
    const ids = vpc.subnets.map((s) => s.subnetId);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['subnets'], message: `vpc.subnets lists ${dup} twice` });
    if (vpc.endpoints === 'create') {
      vpc.subnets.forEach((s, i) => {
        if (s.routeTableId === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['subnets', i, 'routeTableId'],
            message: `vpc.subnets[${i}] (${s.subnetId}) needs its routeTableId: with endpoints "create" the DynamoDB gateway endpoint is added to each subnet's route table (or set endpoints to "existing" if the subnets reach DynamoDB already)`,
          });
        }
      });
    }
  });
export type VpcConfig = z.infer<typeof VpcConfigSchema>;

export const RegionConfigSchema = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'),
    eksClusters: z.array(EksClusterRefSchema).min(1, 'each region needs at least one EKS cluster'),
    /**
     * The region's public API base URL (its custom domain, or the stage URL once deployed), without
     * `/v1`. Other regions' 421 answers name it (`apiUrl`, `Location`); without it they name only the region.
     *
     * @default - `https://<customDomain.domainName>` with a custom domain, else none
     */
    apiUrl: z
      .url({
        protocol: /^https$/,
        error: 'apiUrl must be an https URL such as https://api.eu-west-1.example.com',
      })
      .refine((u) => !/\/v1\/?$/.test(u), 'apiUrl is the base URL, without /v1')
      .optional(),
    /**
     * Whether a region that takes this one over (`npm run admin -- regions takeover`) may manage its
     * databases on this region's EKS clusters: this region's stack creates a takeover role per
     * Kubernetes-facing function, assumable by the same function of the other regions, with the
     * same access entries as its own (docs/eks.md, "Takeover access"; docs/decisions.md D19).
     */
    takeoverAccess: z.boolean().default(true),
    /**
     * Copy this region's backups to that (other, configured) region: its backup bucket replicates
     * to a copy bucket there (`stratus-<stage>-backup-copies-<account>-<region>`, S3 replication,
     * deletions too), from which a cluster in that region can be restored (README, "Cross-region
     * copies"). Deploy the destination region's stack first: S3 checks the copy bucket exists.
     *
     * @default - no copies
     */
    backupCopyTo: z.string().optional(),
    /**
     * An existing SNS topic of this region that every alarm of the region's stack notifies; the
     * stack then creates none (lib/alarm-topic.ts). CloudWatch alarms notify topics of their own
     * region only.
     *
     * @default - the stack creates an encrypted topic
     */
    alarmTopicArn: z
      .string()
      .regex(
        SNS_TOPIC_ARN,
        'alarmTopicArn must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops-alarms',
      )
      .optional(),
    /**
     * A custom domain for the region's API, mapped to its stage (lib/api.ts); clients then call
     * `https://<domainName>/v1/...`. @default - none: the execute-api URL only
     */
    customDomain: CustomDomainSchema.optional(),
    /**
     * The VPC of the Kubernetes-facing functions, to reach private EKS API endpoints.
     * @default - none: those functions run outside any VPC, and the EKS API endpoints must be public
     */
    vpc: VpcConfigSchema.optional(),
  })
  .superRefine((r, ctx) => {
    const certificateRegion = r.customDomain?.certificateArn.match(ACM_CERTIFICATE_ARN)?.[1];
    if (certificateRegion !== undefined && certificateRegion !== r.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['customDomain', 'certificateArn'],
        message: `customDomain.certificateArn is a certificate of ${certificateRegion}, but the API of ${r.region} has a regional endpoint, which needs a certificate of ${r.region}: request or import one there`,
      });
    }
    for (const [i, subnet] of (r.vpc?.subnets ?? []).entries()) {
      if (!subnet.availabilityZone.startsWith(r.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vpc', 'subnets', i, 'availabilityZone'],
          message: `vpc.subnets[${i}] is in ${subnet.availabilityZone}, which is not a zone of ${r.region}: the functions of ${r.region} run in that region's VPC`,
        });
      }
    }
    const topicRegion = r.alarmTopicArn?.match(SNS_TOPIC_ARN)?.[1];
    if (topicRegion !== undefined && topicRegion !== r.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmTopicArn'],
        message: `alarmTopicArn is a topic of ${topicRegion}, but the alarms of ${r.region} can notify only a topic of ${r.region}: name a topic there, or leave alarmTopicArn out to have one created`,
      });
    }
  })
  // 421 WRONG_REGION answers point to the custom domain unless the config names another URL.
  .transform((r) =>
    r.apiUrl === undefined && r.customDomain !== undefined
      ? { ...r, apiUrl: `https://${r.customDomain.domainName}` }
      : r,
  );

/** A number of `unit` between `min` and `max`, whole when `integer`, with one message for every mistake. */
function bounded(field: string, unit: string, min: number, max: number, integer = true) {
  const message = `${field} must be ${integer ? 'a whole number of' : 'a number of'} ${unit} from ${min} to ${max}`;
  return z
    .number({ error: message })
    .refine((v) => v >= min && v <= max && (!integer || Number.isInteger(v)), { error: message });
}

/** The alarm thresholds when the config gives none (docs/deploy.md, "Alarms"). */
export const DEFAULT_ALARM_THRESHOLDS = {
  api5xxRatePercent: 5,
  apiP99LatencyMs: 2500,
  streamIteratorAgeSeconds: 300,
  provisioningMessageAgeSeconds: 900,
  operationsFailed: 5,
} as const;
export type AlarmThresholds = { readonly [K in keyof typeof DEFAULT_ALARM_THRESHOLDS]: number };

/**
 * Where alarms go and when the main ones fire (lib/alarm-topic.ts, lib/observability.ts). Every
 * threshold has a default that docs/deploy.md explains.
 */
export const AlarmsConfigSchema = z
  .strictObject({
    /**
     * An e-mail address subscribed to the topic each region's stack creates (AWS sends a
     * confirmation message first). Regions with an `alarmTopicArn` get no subscription: subscribe
     * on your own topic.
     */
    email: z
      .email({
        error: (issue) =>
          `alarms.email must be an e-mail address such as oncall@example.com; got ${JSON.stringify(issue.input)}`,
      })
      .optional(),
    /** Share of API requests answered 5xx, in percent, for 5 minutes in a row. @default 5 */
    api5xxRatePercent: bounded('alarms.api5xxRatePercent', 'percent', 0.1, 100, false).default(
      DEFAULT_ALARM_THRESHOLDS.api5xxRatePercent,
    ),
    /**
     * p99 latency of the API stage in milliseconds, for 3 five-minute periods in a row; at most the
     * 29 s API Gateway waits for the api Lambda. @default 2500
     */
    apiP99LatencyMs: bounded('alarms.apiP99LatencyMs', 'milliseconds', 100, 29_000).default(
      DEFAULT_ALARM_THRESHOLDS.apiP99LatencyMs,
    ),
    /**
     * Age of the oldest stream record a stream-triggered function has yet to process, in seconds;
     * at most the stream's 24 h retention. @default 300
     */
    streamIteratorAgeSeconds: bounded('alarms.streamIteratorAgeSeconds', 'seconds', 60, 86_400).default(
      DEFAULT_ALARM_THRESHOLDS.streamIteratorAgeSeconds,
    ),
    /**
     * Age of the oldest message of the provisioning queue, in seconds (a message that failed once
     * comes back after the 12-minute visibility timeout). @default 900
     */
    provisioningMessageAgeSeconds: bounded(
      'alarms.provisioningMessageAgeSeconds',
      'seconds',
      60,
      QUEUES.provisioning.retentionDays * 86_400,
    ).default(DEFAULT_ALARM_THRESHOLDS.provisioningMessageAgeSeconds),
    /**
     * Operations of the region that ended FAILED (any type and engine, deadline expiry and
     * delivery failure included) in 15 minutes; the alarm fires above it. @default 5
     */
    operationsFailed: bounded('alarms.operationsFailed', 'operations', 0, 100_000).default(
      DEFAULT_ALARM_THRESHOLDS.operationsFailed,
    ),
  })
  .prefault({});

/**
 * The web console as a static site (lib/console.ts): an S3 bucket behind a CloudFront
 * distribution, in the first region's stack. Left out, nothing of it is deployed.
 */
export const ConsoleConfigSchema = z
  .strictObject({
    /**
     * A custom domain for the distribution, such as `console.example.com` (its DNS record is yours
     * to create). Its origin is then allowed by every region's API; without it, only the first
     * region's API knows the distribution's own domain (the other regions' stacks are deployed
     * apart), so give the console a domain, or list that domain in `corsOrigins`, for the console
     * to call the other regions' APIs. @default - the distribution's `*.cloudfront.net` domain only
     */
    domainName: z
      .hostname({
        error: (issue) =>
          `console.domainName must be a host name such as console.example.com; got ${JSON.stringify(issue.input)}`,
      })
      .refine((d) => d.includes('.') && d === d.toLowerCase() && !d.endsWith('.'), {
        error: 'console.domainName must be a lower-case host name with a dot, such as console.example.com',
      })
      .optional(),
    /** An ACM certificate for `domainName` in us-east-1 (CloudFront takes only those). */
    certificateArn: z
      .string({ error: CERTIFICATE_ARN_MESSAGE })
      .regex(ACM_CERTIFICATE_ARN, CERTIFICATE_ARN_MESSAGE)
      .optional(),
    /**
     * More origins every region's API allows (CORS), such as the distribution's
     * `https://d111111abcdef8.cloudfront.net` once deployed. @default - none
     */
    corsOrigins: z
      .array(
        z
          .url({
            protocol: /^https$/,
            error: 'console.corsOrigins must be https origins such as https://console.example.com',
          })
          .refine(
            (u) => new URL(u).origin === u,
            'console.corsOrigins must be origins: scheme and host, no path or trailing slash',
          ),
      )
      .default([]),
  })
  .superRefine((c, ctx) => {
    if ((c.domainName === undefined) !== (c.certificateArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateArn'],
        message:
          'console.domainName and console.certificateArn go together: a custom domain needs its certificate',
      });
    }
    const certificateRegion = c.certificateArn?.match(ACM_CERTIFICATE_ARN)?.[1];
    if (certificateRegion !== undefined && certificateRegion !== 'us-east-1') {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateArn'],
        message: `console.certificateArn is a certificate of ${certificateRegion}; CloudFront takes certificates of us-east-1 only: request or import one there`,
      });
    }
  });
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;

/** A function's IAM role name (`stratusNames(stage).functionRole`, lib/names.ts). */
export function functionRoleName(stage: string, region: string, fnId: FunctionId): string {
  return stratusNames(stage).functionRole(region, fnId);
}

/** The takeover role's name in `region` (`stratusNames(stage).takeoverRole`, lib/names.ts). */
export function takeoverRoleName(stage: string, region: string, fnId: FunctionId): string {
  return stratusNames(stage).takeoverRole(region, fnId);
}

/** The retention periods CloudWatch Logs offers (`RetentionInDays`), in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Stage names `removalPolicy: destroy` is refused for: prod, production, and those followed by `-...`. */
const PRODUCTION_STAGE = /^prod(uction)?(-|$)/;

export const StratusConfigSchema = z
  .strictObject({
    /** Prefix of every resource name, so two installations can share an account. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,20}$/)
      .default('prod'),
    /**
     * An EKS access policy for the provisioner (and its takeover roles) on top of its Kubernetes
     * RBAC, scoped to the `stratus-*` namespaces; none by default (lib/functions.ts
     * `eksAccessPolicy`, docs/eks.md section 1).
     */
    eksAccessPolicy: z
      .enum(['AmazonEKSEditPolicy', 'AmazonEKSAdminPolicy'], {
        error:
          'eksAccessPolicy must be AmazonEKSEditPolicy or AmazonEKSAdminPolicy (namespace-scoped), or left out',
      })
      .optional(),
    /**
     * `create`: each region's stack creates API Gateway's account-level CloudWatch role setting
     * (`AWS::ApiGateway::Account`); `existing`: the account already has one, managed elsewhere
     * (lib/api.ts `apiGatewayAccount`, docs/deploy.md).
     */
    apiGatewayAccount: z
      .enum(['create', 'existing'], {
        error:
          'apiGatewayAccount must be "create" (the default) or "existing" (the account already names a role)',
      })
      .default('create'),
    /**
     * Days every log group of the stacks keeps its events (functions and API access logs); one of
     * the values CloudWatch Logs offers. @default - 30 for functions, 90 for API access logs
     */
    logRetentionDays: z
      .number()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), {
        error: `logRetentionDays must be one of the values CloudWatch Logs offers: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .optional(),
    /**
     * Stage-level throttling of each region's API (all clients together; per-tenant limits are the
     * API's own, docs/operations.md). API Gateway answers 429 THROTTLED beyond it.
     */
    apiThrottling: z
      .strictObject({
        /** Steady-state requests per second. @default 100 */
        rateLimit: z
          .number({ error: 'apiThrottling.rateLimit must be a number of requests per second above 0' })
          .refine((v) => v > 0 && Number.isFinite(v), {
            error: 'apiThrottling.rateLimit must be a number of requests per second above 0',
          })
          .default(100),
        /** Requests API Gateway lets through at once (its token bucket's size). @default 200 */
        burstLimit: z
          .number({ error: 'apiThrottling.burstLimit must be a whole number of requests, at least 1' })
          .refine((v) => Number.isInteger(v) && v >= 1, {
            error: 'apiThrottling.burstLimit must be a whole number of requests, at least 1',
          })
          .default(200),
      })
      .prefault({})
      .refine((t) => t.burstLimit >= t.rateLimit, {
        error: (issue) => {
          const t = issue.input as { rateLimit: number; burstLimit: number };
          return `apiThrottling.burstLimit (${t.burstLimit}) must be at least rateLimit (${t.rateLimit}), so that one second's worth of requests arriving together is not throttled`;
        },
      }),
    /**
     * What happens to the table, log groups, queues and alarm topic when a stack is deleted:
     * `retain` keeps them (except after a failed first creation); `destroy` deletes them, data
     * included, for non-production stages (lib/removal-policy.ts).
     */
    removalPolicy: z
      .enum(['retain', 'destroy'], {
        error: (issue) =>
          `removalPolicy must be "retain" (the default) or "destroy" (non-production stages); got ${JSON.stringify(issue.input)}`,
      })
      .default('retain'),
    /**
     * S3 Object Lock on every region's backup bucket and copy bucket (issue #14): each object a
     * backup writes is locked for `days` from its upload, in `governance` mode (users with
     * `s3:BypassGovernanceRetention` may still delete; Stratus's roles have none) or `compliance`
     * mode (nobody may, the root user included). The API then refuses a schedule whose
     * `retentionDays` is shorter, and a DELETE of a backup still locked (`409 BACKUP_LOCKED`).
     * Set it before a region's first deploy: Object Lock is enabled when a bucket is created
     * (docs/deploy.md). @default - none
     */
    backupObjectLock: z
      .strictObject({
        mode: z.enum(OBJECT_LOCK_MODES, {
          error: 'backupObjectLock.mode must be "governance" or "compliance"',
        }),
        days: z
          .number({ error: 'backupObjectLock.days must be a whole number of days from 1 to 3650' })
          .refine((d) => Number.isInteger(d) && d >= 1 && d <= 3650, {
            error:
              'backupObjectLock.days must be a whole number of days from 1 to 3650 (the longest retentionDays a schedule may have)',
          }),
      })
      .optional(),
    /** Alarm notifications and thresholds (`AlarmsConfigSchema`). */
    alarms: AlarmsConfigSchema,
    /** The web console's static site (`ConsoleConfigSchema`). @default - none */
    console: ConsoleConfigSchema.optional(),
    /** Public endpoints' domain and hosted zone (`EndpointsConfigSchema`). @default - none: no public endpoints */
    endpoints: EndpointsConfigSchema.optional(),
    regions: z
      .array(RegionConfigSchema)
      .min(1)
      .refine((rs) => new Set(rs.map((r) => r.region)).size === rs.length, 'regions must be unique')
      .superRefine((rs, ctx) => {
        // Every region's functions know every region's EKS clusters, and a database's placement is
        // the EKS cluster's name alone: one name must mean one cluster.
        const seen = new Map<string, string>();
        for (const { region, eksClusters } of rs) {
          for (const { name } of eksClusters) {
            const first = seen.get(name);
            if (first !== undefined) {
              ctx.addIssue({
                code: 'custom',
                message: `EKS cluster names must be unique across all regions: "${name}" is listed in ${first === region ? `${region} twice` : `${first} and ${region}`}`,
              });
            }
            seen.set(name, region);
          }
        }
        const configured = new Set(rs.map((r) => r.region));
        for (const [i, { region, backupCopyTo }] of rs.entries()) {
          if (backupCopyTo !== undefined && (backupCopyTo === region || !configured.has(backupCopyTo))) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'backupCopyTo'],
              message: `backupCopyTo of ${region} must be another configured region (${[...configured].filter((r) => r !== region).join(', ') || 'none'}), not ${backupCopyTo}`,
            });
          }
        }
      }),
  })
  .superRefine((config, ctx) => {
    if (config.removalPolicy === 'destroy' && PRODUCTION_STAGE.test(config.stage)) {
      ctx.addIssue({
        code: 'custom',
        path: ['removalPolicy'],
        message: `removalPolicy "destroy" deletes the table and every tenant's data with the stacks, and the stage "${config.stage}" is named as a production one: use "retain", or a stage that does not start with prod or production (such as dev or test-eu)`,
      });
    }
    // A 421 WRONG_REGION answer sends the client to the home region's apiUrl: one URL for two
    // regions (a latency-routed name, say) would send it back where it came from.
    const byUrl = new Map<string, string>();
    for (const { region, apiUrl } of config.regions) {
      if (apiUrl === undefined) continue;
      const url = apiUrl.replace(/\/+$/, '');
      const first = byUrl.get(url);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions'],
          message: `${first} and ${region} have the same apiUrl ${url} (given, or from customDomain): 421 WRONG_REGION answers send clients to their home region's URL, so each region needs its own; set apiUrl to a name that reaches only that region`,
        });
      }
      byUrl.set(url, region);
    }
    if (config.alarms.email !== undefined && config.regions.every((r) => r.alarmTopicArn !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'email'],
        message:
          'alarms.email subscribes to the topics the stacks create, but every region names its own alarmTopicArn: subscribe the address to those topics, or leave alarms.email out',
      });
    }
    // Public endpoints: a gateway needs the domain; a region's EKS clusters all have one or none
    // (a public cluster may be placed on any of them); one host suffix per gateway.
    const suffixes = new Map<string, string>();
    for (const [i, r] of config.regions.entries()) {
      const withGateway = r.eksClusters.filter((c) => c.gateway);
      if (withGateway.length > 0 && !config.endpoints) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'eksClusters'],
          message: `${withGateway[0]?.name} has a gateway but the config has no endpoints (domain and hostedZoneId): add endpoints, or leave gateway out`,
        });
      }
      if (withGateway.length > 0 && withGateway.length < r.eksClusters.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'eksClusters'],
          message: `${r.region} has EKS clusters with and without a gateway: a public cluster may be placed on any of them, so give each a gateway (or none)`,
        });
      }
      for (const c of withGateway) {
        const suffix = gatewayHostSuffix(
          c.gateway as GatewayConfig,
          r.region,
          config.endpoints?.domain ?? '',
        );
        const first = suffixes.get(suffix);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'eksClusters'],
            message: `${first} and ${c.name} would both serve *.${suffix}: give one of them another gateway.dnsLabel`,
          });
        }
        suffixes.set(suffix, c.name);
      }
    }
    const tooLong = roleNameTooLong(
      config.stage,
      config.regions.map((r) => r.region),
    );
    if (tooLong) {
      ctx.addIssue({
        code: 'custom',
        path: ['stage'],
        message: `the IAM role name ${tooLong.name} has ${tooLong.name.length} characters (IAM allows ${IAM_ROLE_NAME_MAX}); use a stage of at most ${tooLong.maxStageLength} characters`,
      });
    }
  });
export type StratusConfig = z.infer<typeof StratusConfigSchema>;
export type RegionConfig = z.infer<typeof RegionConfigSchema>;

/** Parses the config, with an error that says which field to fix. */
export function parseConfig(raw: unknown): StratusConfig {
  const parsed = StratusConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Invalid Stratus configuration (cdk.json context "stratus"): ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
