import { Duration } from 'aws-cdk-lib';
import { CnameRecord, HostedZone } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { type EndpointsConfig, type GatewayConfig, gatewayHostSuffix } from './config.js';

export interface StratusEndpointsDnsProps {
  /** The deployment's `endpoints` (domain and hosted zone). */
  readonly endpoints: EndpointsConfig;
  readonly region: string;
  /** This region's EKS clusters with a gateway. */
  readonly gateways: ReadonlyArray<{ readonly eksCluster: string; readonly gateway: GatewayConfig }>;
}

/**
 * Public endpoints' DNS (issue #17, docs/endpoints.md): one wildcard record per EKS cluster with a
 * gateway, `*.<dnsLabel>.<domain>` -> its network load balancer, in the configured hosted zone.
 * Every public cluster's name (`<clusterId>.<dnsLabel>.<domain>`) resolves through it, so
 * provisioning a cluster makes no DNS call; the gateway routes on the name the client sends (SNI).
 */
export class StratusEndpointsDns extends Construct {
  /** The records' names, by EKS cluster. */
  public readonly recordNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StratusEndpointsDnsProps) {
    super(scope, id);
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.endpoints.hostedZoneId,
      zoneName: props.endpoints.hostedZoneName ?? props.endpoints.domain,
    });
    const names: Record<string, string> = {};
    for (const { eksCluster, gateway } of props.gateways) {
      const recordName = `*.${gatewayHostSuffix(gateway, props.region, props.endpoints.domain)}`;
      new CnameRecord(this, `Wildcard-${eksCluster}`, {
        zone,
        recordName: `${recordName}.`,
        domainName: gateway.loadBalancerDnsName,
        ttl: Duration.minutes(5),
        comment: `Stratus public endpoints on ${eksCluster} (its gateway's load balancer)`,
      });
      names[eksCluster] = recordName;
    }
    this.recordNames = names;
  }
}
