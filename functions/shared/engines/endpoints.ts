/**
 * A cluster's public endpoint (issue #17, docs/endpoints.md): the objects every blueprint's
 * render adds when `spec.endpoint.public` is on, for the shared gateway of its EKS cluster (Envoy
 * Gateway, driven by Gateway API resources; docs/eks.md, section 9). In the cluster's namespace:
 *
 * - a cert-manager `Certificate` for `<clusterId>.<hostSuffix>` from the EKS cluster's ClusterIssuer;
 * - a Gateway API `ListenerSet` that adds one listener to the platform's `Gateway`: TLS (or HTTPS
 *   for engines that speak HTTP) on the gateway's port, for that host only, terminating TLS with
 *   that certificate (same namespace: no ReferenceGrant);
 * - a `TLSRoute` (TCP engines) or an `HTTPRoute` (Qdrant) from that listener to the engine's
 *   client Service;
 * - an Envoy Gateway `SecurityPolicy`: the allowlist (`authorization`, `clientCIDRs`, default
 *   deny) and, for HTTP engines with `tokenCheck`, the API key check (`apiKeyAuth` against the
 *   cluster's own credential Secret);
 * - a `NetworkPolicy` that admits the gateway's proxies (their namespace) to the client port.
 *
 * The engine's in-cluster connection (`Blueprint.connection`) names the Service, port and scheme,
 * so no blueprint declares anything for it. Rendered only when the EKS cluster has a gateway
 * (`RenderContext.gateway`); the API refuses `public` in a region without one.
 */
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { type ExternalEndpoint, externalHost, speaksHttp } from '../domain/endpoint.js';
import { objectMeta } from './tenancy.js';
import type { Blueprint, KubeKind, KubeObject, RenderContext } from './types.js';

/** The shared gateway of an EKS cluster, from the deployment config (`eksClusters[].gateway`). */
export interface GatewayContext {
  /** The platform's `Gateway` the ListenerSets attach to. */
  readonly name: string;
  readonly namespace: string;
  /** Where the gateway's proxy pods run: the only namespace the NetworkPolicy admits. */
  readonly proxyNamespace: string;
  /** `<dnsLabel>.<domain>`: a cluster's host is `<clusterId>.<hostSuffix>`. */
  readonly hostSuffix: string;
  /** The gateway's listener port (the NLB's). */
  readonly port: number;
  /** The cert-manager ClusterIssuer of the clusters' certificates. */
  readonly issuer: string;
}

/** Every object of the endpoint is named so (one per kind and cluster). */
export const ENDPOINT_NAME = 'stratus-endpoint';
/** The Secret cert-manager writes the certificate to (`tls.crt`, `tls.key`, `ca.crt` for CA issuers). */
export const ENDPOINT_TLS_SECRET = 'stratus-endpoint-tls';
/** The NetworkPolicy that admits the gateway's proxies. */
export const GATEWAY_POLICY = 'allow-gateway';
/** The header the gateway reads the API key from: Qdrant's own (`api-key`), as its clients send it. */
export const API_KEY_HEADER = 'api-key';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_API = `${GATEWAY_GROUP}/v1`;
const CERT_MANAGER_API = 'cert-manager.io/v1';
const ENVOY_GATEWAY_API = 'gateway.envoyproxy.io/v1alpha1';

/** The namespaced kinds `renderEndpoint` may render (beside the tenancy's NetworkPolicy). */
export const ENDPOINT_KINDS: readonly KubeKind[] = [
  { apiVersion: CERT_MANAGER_API, kind: 'Certificate' },
  { apiVersion: GATEWAY_API, kind: 'ListenerSet' },
  { apiVersion: GATEWAY_API, kind: 'TLSRoute' },
  { apiVersion: GATEWAY_API, kind: 'HTTPRoute' },
  { apiVersion: ENVOY_GATEWAY_API, kind: 'SecurityPolicy' },
];

/** What the gateway forwards to: the engine's client Service, port and protocol. */
export interface GatewayBackend {
  readonly service: string;
  readonly port: number;
  /** The in-cluster scheme (`postgresql`, `redis`, `http`...). */
  readonly scheme: string;
  /** HTTP engines get an HTTPS listener, an HTTPRoute and (optionally) the token check. */
  readonly http: boolean;
  /** The credential Secret (Qdrant's API key: the token check's credentials). */
  readonly credentialSecret?: string;
}

/** The backend of an engine's in-cluster connection: `<service>.<namespace>.svc...:<port>`. */
export function gatewayBackend(conn: ConnectionInfo): GatewayBackend {
  const scheme = conn.endpoint.split('://')[0] ?? '';
  return {
    service: conn.host.split('.')[0] ?? conn.host,
    port: conn.port,
    scheme,
    http: speaksHttp(scheme),
    ...(conn.credentialRef ? { credentialSecret: conn.credentialRef.name } : {}),
  };
}

/** Whether an engine speaks HTTP (the gateway's token check applies), from its connection. */
export function isHttpEngine(blueprint: Blueprint, spec: ClusterSpec): boolean {
  return gatewayBackend(blueprint.connection(spec)).http;
}

/** The scheme clients use through the gateway: TLS always (`https`, `rediss`; the others say TLS in their options). */
export function externalScheme(scheme: string): string {
  if (scheme === 'http') return 'https';
  if (scheme === 'redis') return 'rediss';
  return scheme;
}

/** Whether the spec asks for a public endpoint. */
export function isPublic(spec: ClusterSpec): boolean {
  return spec.endpoint?.public === true;
}

/** The objects of a public endpoint (none when not public, or without a gateway). */
export function renderEndpoint(spec: ClusterSpec, ctx: RenderContext, conn: ConnectionInfo): KubeObject[] {
  const gateway = ctx.gateway;
  const settings = spec.endpoint;
  if (!gateway || !settings?.public) return [];
  if (settings.allowedCidrs.length === 0) {
    // An authorization without an allow rule denies everything; never render an empty allowlist.
    throw new Error('renderEndpoint: a public endpoint needs at least one allowed CIDR');
  }
  const backend = gatewayBackend(conn);
  const host = externalHost(spec.clusterId, gateway.hostSuffix);
  const meta = () => objectMeta(spec, ctx, ENDPOINT_NAME);
  const listener = backend.http ? 'https' : 'tls';
  const tokenCheck = backend.http && settings.tokenCheck !== false && backend.credentialSecret;
  const routeKind = backend.http ? 'HTTPRoute' : 'TLSRoute';
  const parentRef = { group: GATEWAY_GROUP, kind: 'ListenerSet', name: ENDPOINT_NAME, sectionName: listener };
  const backendRefs = [{ group: '', kind: 'Service', name: backend.service, port: backend.port }];
  return [
    {
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: meta(),
      spec: {
        secretName: ENDPOINT_TLS_SECRET,
        dnsNames: [host],
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: gateway.issuer },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['digital signature', 'server auth'],
      },
    },
    {
      apiVersion: GATEWAY_API,
      kind: 'ListenerSet',
      metadata: meta(),
      spec: {
        parentRef: {
          group: GATEWAY_GROUP,
          kind: 'Gateway',
          name: gateway.name,
          namespace: gateway.namespace,
        },
        listeners: [
          {
            name: listener,
            hostname: host,
            port: gateway.port,
            protocol: backend.http ? 'HTTPS' : 'TLS',
            tls: {
              mode: 'Terminate',
              certificateRefs: [{ group: '', kind: 'Secret', name: ENDPOINT_TLS_SECRET }],
            },
            allowedRoutes: {
              namespaces: { from: 'Same' },
              kinds: [{ group: GATEWAY_GROUP, kind: routeKind }],
            },
          },
        ],
      },
    },
    backend.http
      ? {
          apiVersion: GATEWAY_API,
          kind: 'HTTPRoute',
          metadata: meta(),
          spec: {
            parentRefs: [parentRef],
            hostnames: [host],
            rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs }],
          },
        }
      : {
          apiVersion: GATEWAY_API,
          kind: 'TLSRoute',
          metadata: meta(),
          spec: { parentRefs: [parentRef], hostnames: [host], rules: [{ backendRefs }] },
        },
    {
      apiVersion: ENVOY_GATEWAY_API,
      kind: 'SecurityPolicy',
      metadata: meta(),
      spec: {
        // The HTTP engines' policy goes on their route (where the API key check applies); the TCP
        // engines' on their ListenerSet: Envoy Gateway enforces client CIDRs there for L4 listeners.
        targetRefs: [
          { group: GATEWAY_GROUP, kind: backend.http ? 'HTTPRoute' : 'ListenerSet', name: ENDPOINT_NAME },
        ],
        authorization: {
          defaultAction: 'Deny',
          rules: [
            {
              name: 'allowed-cidrs',
              action: 'Allow',
              principal: { clientCIDRs: [...settings.allowedCidrs] },
            },
          ],
        },
        ...(tokenCheck
          ? {
              apiKeyAuth: {
                credentialRefs: [{ group: '', kind: 'Secret', name: backend.credentialSecret }],
                extractFrom: [{ headers: [API_KEY_HEADER] }],
              },
            }
          : {}),
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: objectMeta(spec, ctx, GATEWAY_POLICY),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gateway.proxyNamespace } },
              },
            ],
            ports: [{ protocol: 'TCP', port: backend.port }],
          },
        ],
      },
    },
  ];
}

/** The objects whose live state tells the endpoint is ready: its Certificate (issued). */
export function endpointReadinessRef(spec: ClusterSpec) {
  return {
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: { name: ENDPOINT_NAME, namespace: `stratus-${spec.clusterId}` },
  };
}

/** cert-manager's `Ready` condition: the certificate is issued and stored in its Secret. */
export function certificateReady(live: KubeObject | undefined): { ready: boolean; reason: string } {
  if (!live) return { ready: false, reason: `Certificate ${ENDPOINT_NAME} not found` };
  const status = (live.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
  const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { ready: true, reason: 'issued' };
  return {
    ready: false,
    reason: `cert-manager: ${typeof ready?.message === 'string' && ready.message ? ready.message : 'the certificate is not issued yet'}`,
  };
}

/** Where a public endpoint answers, with the CA bundle read from the certificate's Secret. */
export function externalEndpointOf(
  spec: ClusterSpec,
  gateway: GatewayContext,
  caBundle: string | undefined,
): ExternalEndpoint {
  return {
    host: externalHost(spec.clusterId, gateway.hostSuffix),
    port: gateway.port,
    ...(caBundle ? { caBundle } : {}),
  };
}

/**
 * The endpoint's kinds where the EKS cluster has a gateway, else none: listing a kind whose CRD
 * is not installed fails, so a prune (workflow.ts) and the reconciler's lists (drift.ts) add them
 * to `Blueprint.kinds` only for EKS clusters with a gateway (the CRDs come with it: docs/eks.md).
 */
export function endpointKinds(gateway: GatewayContext | undefined): readonly KubeKind[] {
  return gateway ? ENDPOINT_KINDS : [];
}

/**
 * A blueprint whose render adds the endpoint's objects (registry.ts wraps every blueprint). Its
 * `kinds` stay the engine's: see `endpointKinds`.
 */
export function withEndpoint(blueprint: Blueprint): Blueprint {
  return {
    ...blueprint,
    render(spec, ctx) {
      const objects = blueprint.render(spec, ctx);
      return [...objects, ...renderEndpoint(spec, ctx, blueprint.connection(spec))];
    },
  };
}
