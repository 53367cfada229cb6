import type { ClusterSpec } from '../../functions/shared/domain/cluster.js';
import type { GatewayContext } from '../../functions/shared/engines/endpoints.js';
import type { RenderContext } from '../../functions/shared/engines/types.js';

/** A valid cluster spec, shaped like the ids and sizes the API produces. */
export function clusterSpec(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    tenantId: 'tn-01jd8w3k5m7n9p1q3r5s7t9v1w',
    clusterId: 'cl-01jd8w3k5m7n9p1q3r5s7t9v2x',
    name: 'vectors',
    engine: 'qdrant',
    version: '1.15.5',
    region: 'eu-west-1',
    nodes: 1,
    size: { cpu: '500m', memory: '1Gi', storageGiB: 10 },
    settings: {},
    generation: 1,
    ...overrides,
  };
}

/** An EKS cluster's gateway, as EKS_CLUSTERS carries it (lib/config.ts `eksPoolEntry`). */
export const TEST_GATEWAY: GatewayContext = {
  name: 'stratus-gateway',
  namespace: 'stratus-gateway',
  proxyNamespace: 'envoy-gateway-system',
  hostSuffix: 'eu-west-1.db.example.com',
  port: 443,
  issuer: 'stratus-endpoints',
};

/** A public endpoint's settings (the API's defaults for a TCP engine). */
export const PUBLIC_ENDPOINT = { public: true, allowedCidrs: ['203.0.113.0/24', '2001:db8::/48'] } as const;

export const TEST_API_KEY = 'test-api-key-0123456789abcdef-SECRET';

export function renderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    secrets: { apiKey: TEST_API_KEY },
    operationId: 'op-01jd8w3k5m7n9p1q3r5s7t9v3y',
    correlationId: 'corr-01jd8w3k5m7n9p1q3r5s7t9v4z',
    ...overrides,
  };
}

/**
 * Objects the stand-in's simulated controllers make, not Stratus (PVCs of StatefulSets and
 * CloudNativePG instances, an operator's StatefulSet): left out where a test compares what was applied.
 */
export function madeByController(o: { kind: string; metadata: Record<string, unknown> }): boolean {
  const owners = o.metadata.ownerReferences;
  return o.kind === 'PersistentVolumeClaim' || (Array.isArray(owners) && owners.length > 0);
}
