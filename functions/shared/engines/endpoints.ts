/**
 * A cluster's public endpoint and its database certificate (issue #17, docs/endpoints.md; D32,
 * D35): the objects every blueprint's render adds for the shared gateway of its EKS cluster
 * (Envoy Gateway, driven by Gateway API resources; docs/eks.md, section 9). In the cluster's
 * namespace:
 *
 * - TLS clusters (`spec.tls`, tls.ts): a cert-manager `Certificate` `stratus-tls` from the EKS
 *   cluster's `databaseIssuer`, which the engine serves, public or not;
 * - when `spec.endpoint.public` is on, by the engine's gateway mode (`gatewayModeOf`):
 *   - a `Certificate` for `<clusterId>.<hostSuffix>` from the gateway's `issuer`, unless TLS passes
 *     through to the engine;
 *   - a Gateway API `ListenerSet` that adds listeners to the platform's `Gateway`, on its port:
 *     `TLS` with `Passthrough` (one per member where the engine has `members`: MongoDB), else `TLS`
 *     or `HTTPS` terminating with that certificate (same namespace: no ReferenceGrant), and for
 *     engines with a gRPC port one more on `<clusterId>-grpc.<hostSuffix>`;
 *   - `TLSRoute`s (TCP engines) or an `HTTPRoute` (Qdrant) from them to the engine's client
 *     Service (or each member's), a `GRPCRoute` to the gRPC port, and a `BackendTLSPolicy` where
 *     the gateway re-encrypts to the engine;
 *   - an Envoy Gateway `SecurityPolicy`: the allowlist (`authorization`, `clientCIDRs`, default
 *     deny) and, for HTTP engines with `tokenCheck`, the API key check (`apiKeyAuth` against the
 *     cluster's own credential Secret);
 *   - a `NetworkPolicy` that admits the gateway's proxies (their namespace) to the client ports.
 *
 * The engine's in-cluster connection (`Blueprint.connection`) names the Service, ports and scheme,
 * so no blueprint declares anything for it but its `tls`. Rendered only when the EKS cluster has a
 * gateway (`RenderContext.gateway`); the API refuses `public` in a region without one.
 */
import type { ClusterSpec, ConnectionInfo } from '../domain/cluster.js';
import { type ExternalEndpoint, externalHost, speaksHttp } from '../domain/endpoint.js';
import { MAX_NODES } from '../domain/sizes.js';
import { namespaceOf, objectMeta } from './tenancy.js';
import {
  DATABASE_TLS_CERTIFICATE,
  DATABASE_TLS_SECRET,
  type GatewayMember,
  type GatewayMode,
  memberHost,
  tlsOn,
} from './tls.js';
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
  /** The cert-manager ClusterIssuer of the certificates the gateway serves. */
  readonly issuer: string;
  /** The ClusterIssuer of the databases' own certificates (tls.ts); absent: `issuer`. */
  readonly databaseIssuer?: string;
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
  { apiVersion: GATEWAY_API, kind: 'GRPCRoute' },
  { apiVersion: GATEWAY_API, kind: 'BackendTLSPolicy' },
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
  /** The engine's gRPC port on the same Service (Qdrant): a GRPCRoute on its own host. */
  readonly grpcPort?: number;
  /** The in-cluster name the engine's certificate is verified against (TLS clusters). */
  readonly serverName?: string;
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
    ...(conn.grpcPort ? { grpcPort: conn.grpcPort } : {}),
    ...(conn.tls ? { serverName: conn.tls.serverName } : {}),
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

/**
 * How the gateway reaches the cluster's engine: as its blueprint says for a TLS cluster, else
 * `terminate` (TLS ends at the gateway; the engine speaks plain TCP).
 */
export function gatewayModeOf(blueprint: Blueprint, spec: ClusterSpec): GatewayMode {
  return tlsOn(spec) && blueprint.tls ? blueprint.tls.gatewayMode(spec) : 'terminate';
}

/** The members the gateway routes one by one (passthrough engines with `members`), else none. */
function gatewayMembers(blueprint: Blueprint, spec: ClusterSpec): GatewayMember[] {
  return gatewayModeOf(blueprint, spec) === 'passthrough' ? (blueprint.tls?.members?.(spec) ?? []) : [];
}

/** The gRPC host of an engine with a gRPC port: `<clusterId>-grpc.<hostSuffix>`. */
export function grpcHost(clusterId: string, hostSuffix: string): string {
  return `${clusterId}-grpc.${hostSuffix}`;
}

/**
 * The cluster's external hosts: one per member for engines the gateway routes member by member,
 * else `<clusterId>.<hostSuffix>`; then the gRPC host of engines that have one.
 */
export function externalHosts(
  blueprint: Blueprint,
  spec: ClusterSpec,
  gateway: Pick<GatewayContext, 'hostSuffix'>,
): { hosts: string[]; grpc?: string } {
  const members = gatewayMembers(blueprint, spec);
  const hosts =
    members.length > 0
      ? members.map((_, i) => memberHost(spec.clusterId, i, gateway.hostSuffix))
      : [externalHost(spec.clusterId, gateway.hostSuffix)];
  const grpcPort = gatewayBackend(blueprint.connection(spec)).grpcPort;
  return grpcPort ? { hosts, grpc: grpcHost(spec.clusterId, gateway.hostSuffix) } : { hosts };
}

/**
 * The database's own certificate (tls.ts): the in-cluster names its blueprint lists and, when the
 * gateway passes TLS through to it, its external hosts too (always: turning `public` on or off
 * does not reissue it). From the EKS cluster's `databaseIssuer` (a CA or Vault issuer).
 */
export function renderDatabaseCertificate(
  blueprint: Blueprint,
  spec: ClusterSpec,
  ctx: RenderContext,
): KubeObject[] {
  const gateway = ctx.gateway;
  const tls = blueprint.tls;
  if (!gateway || !tls || !tlsOn(spec)) return [];
  const passthrough = gatewayModeOf(blueprint, spec) === 'passthrough';
  // Per-member hosts for every member index the API allows: a scale reissues no certificate (an
  // operator would restart every member for it).
  const external = !passthrough
    ? []
    : gatewayMembers(blueprint, spec).length > 0
      ? Array.from({ length: MAX_NODES }, (_, i) => memberHost(spec.clusterId, i, gateway.hostSuffix))
      : externalHosts(blueprint, spec, gateway).hosts;
  return [
    {
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: objectMeta(spec, ctx, DATABASE_TLS_CERTIFICATE),
      spec: {
        secretName: DATABASE_TLS_SECRET,
        dnsNames: [...new Set([...tls.dnsNames(spec), ...external])],
        issuerRef: {
          group: 'cert-manager.io',
          kind: 'ClusterIssuer',
          name: gateway.databaseIssuer ?? gateway.issuer,
        },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        // Peers present it too (replicas to their primary, Qdrant's peers).
        usages: ['digital signature', 'server auth', 'client auth'],
        // Labels on the Secret for a controller that reloads on them (tls.ts, `secretLabels`).
        ...(tls.secretLabels ? { secretTemplate: { labels: { ...tls.secretLabels } } } : {}),
      },
    },
  ];
}

/** The objects of a public endpoint (none when not public, or without a gateway). */
export function renderEndpoint(blueprint: Blueprint, spec: ClusterSpec, ctx: RenderContext): KubeObject[] {
  const gateway = ctx.gateway;
  const settings = spec.endpoint;
  if (!gateway || !settings?.public) return [];
  if (settings.allowedCidrs.length === 0) {
    // An authorization without an allow rule denies everything; never render an empty allowlist.
    throw new Error('renderEndpoint: a public endpoint needs at least one allowed CIDR');
  }
  const backend = gatewayBackend(blueprint.connection(spec));
  const mode = gatewayModeOf(blueprint, spec);
  const members = gatewayMembers(blueprint, spec);
  const { hosts, grpc } = externalHosts(blueprint, spec, gateway);
  const meta = (name = ENDPOINT_NAME) => objectMeta(spec, ctx, name);
  const passthrough = mode === 'passthrough';
  const listener = backend.http ? 'https' : 'tls';
  const tokenCheck = backend.http && settings.tokenCheck !== false && backend.credentialSecret;
  const routeKind = backend.http ? 'HTTPRoute' : 'TLSRoute';
  const parentRef = (sectionName: string) => ({
    group: GATEWAY_GROUP,
    kind: 'ListenerSet',
    name: ENDPOINT_NAME,
    sectionName,
  });
  const backendRefs = (service: string, port: number) => [
    { group: '', kind: 'Service', name: service, port },
  ];
  const terminate = {
    mode: 'Terminate',
    certificateRefs: [{ group: '', kind: 'Secret', name: ENDPOINT_TLS_SECRET }],
  };
  // One listener (and route) per host: the cluster's, or each member's.
  const routes = hosts.map((host, i) => {
    const member = members[i];
    return {
      listener: member ? `member-${i}` : listener,
      route: member ? `${ENDPOINT_NAME}-${i}` : ENDPOINT_NAME,
      host,
      service: member?.service ?? backend.service,
      port: member?.port ?? backend.port,
    };
  });
  const objects: KubeObject[] = [];
  if (!passthrough) {
    // The certificate the gateway serves (the database's own is served by the engine).
    objects.push({
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: meta(),
      spec: {
        secretName: ENDPOINT_TLS_SECRET,
        dnsNames: [...hosts, ...(grpc ? [grpc] : [])],
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: gateway.issuer },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['digital signature', 'server auth'],
      },
    });
  }
  objects.push({
    apiVersion: GATEWAY_API,
    kind: 'ListenerSet',
    metadata: meta(),
    spec: {
      parentRef: { group: GATEWAY_GROUP, kind: 'Gateway', name: gateway.name, namespace: gateway.namespace },
      listeners: [
        ...routes.map((r) => ({
          name: r.listener,
          hostname: r.host,
          port: gateway.port,
          protocol: backend.http ? 'HTTPS' : 'TLS',
          tls: passthrough ? { mode: 'Passthrough' } : terminate,
          allowedRoutes: { namespaces: { from: 'Same' }, kinds: [{ group: GATEWAY_GROUP, kind: routeKind }] },
        })),
        ...(grpc
          ? [
              {
                name: 'grpc',
                hostname: grpc,
                port: gateway.port,
                protocol: 'HTTPS',
                tls: terminate,
                allowedRoutes: {
                  namespaces: { from: 'Same' },
                  kinds: [{ group: GATEWAY_GROUP, kind: 'GRPCRoute' }],
                },
              },
            ]
          : []),
      ],
    },
  });
  for (const r of routes) {
    objects.push(
      backend.http
        ? {
            apiVersion: GATEWAY_API,
            kind: 'HTTPRoute',
            metadata: meta(r.route),
            spec: {
              parentRefs: [parentRef(r.listener)],
              hostnames: [r.host],
              rules: [
                {
                  matches: [{ path: { type: 'PathPrefix', value: '/' } }],
                  backendRefs: backendRefs(r.service, r.port),
                },
              ],
            },
          }
        : {
            apiVersion: GATEWAY_API,
            kind: 'TLSRoute',
            metadata: meta(r.route),
            spec: {
              parentRefs: [parentRef(r.listener)],
              hostnames: [r.host],
              rules: [{ backendRefs: backendRefs(r.service, r.port) }],
            },
          },
    );
  }
  if (grpc && backend.grpcPort) {
    objects.push({
      apiVersion: GATEWAY_API,
      kind: 'GRPCRoute',
      metadata: meta(),
      spec: {
        parentRefs: [parentRef('grpc')],
        hostnames: [grpc],
        rules: [{ backendRefs: backendRefs(backend.service, backend.grpcPort) }],
      },
    });
  }
  if (mode === 'reencrypt' && backend.serverName) {
    // The gateway opens TLS to the engine and verifies its certificate (same Secret's CA).
    objects.push({
      apiVersion: GATEWAY_API,
      kind: 'BackendTLSPolicy',
      metadata: meta(),
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: backend.service }],
        validation: {
          caCertificateRefs: [{ group: '', kind: 'Secret', name: DATABASE_TLS_SECRET }],
          hostname: backend.serverName,
        },
      },
    });
  }
  objects.push(
    {
      apiVersion: ENVOY_GATEWAY_API,
      kind: 'SecurityPolicy',
      metadata: meta(),
      spec: {
        // The HTTP engines' policy goes on their routes (where the API key check applies); the TCP
        // engines' on their ListenerSet: Envoy Gateway enforces client CIDRs there for L4 listeners.
        targetRefs: backend.http
          ? [
              { group: GATEWAY_GROUP, kind: 'HTTPRoute', name: ENDPOINT_NAME },
              ...(grpc ? [{ group: GATEWAY_GROUP, kind: 'GRPCRoute', name: ENDPOINT_NAME }] : []),
            ]
          : [{ group: GATEWAY_GROUP, kind: 'ListenerSet', name: ENDPOINT_NAME }],
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
            ports: [
              ...new Set([
                backend.port,
                ...routes.map((r) => r.port),
                ...(backend.grpcPort ? [backend.grpcPort] : []),
              ]),
            ].map((port) => ({ protocol: 'TCP', port })),
          },
        ],
      },
    },
  );
  return objects;
}

type CertificateRef = Pick<KubeObject, 'apiVersion' | 'kind'> & {
  metadata: { name: string; namespace: string };
};

/**
 * The Certificates a READY cluster waits for (cert-manager issued them): the database's own
 * (TLS clusters), and the one the gateway serves (public, unless TLS passes through to the engine).
 */
export function certificateRefs(
  blueprint: Blueprint,
  spec: ClusterSpec,
  gateway: GatewayContext | undefined,
): CertificateRef[] {
  if (!gateway) return [];
  const ref = (name: string): CertificateRef => ({
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: { name, namespace: namespaceOf(spec.clusterId) },
  });
  const refs: CertificateRef[] = [];
  if (tlsOn(spec) && blueprint.tls) refs.push(ref(DATABASE_TLS_CERTIFICATE));
  if (isPublic(spec) && gatewayModeOf(blueprint, spec) !== 'passthrough') refs.push(ref(ENDPOINT_NAME));
  return refs;
}

/** cert-manager's `Ready` condition: the certificate is issued and stored in its Secret. */
export function certificateReady(
  live: KubeObject | undefined,
  name = ENDPOINT_NAME,
): { ready: boolean; reason: string } {
  if (!live) return { ready: false, reason: `Certificate ${name} not found` };
  const status = (live.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
  const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { ready: true, reason: 'issued' };
  return {
    ready: false,
    reason: `cert-manager: ${typeof ready?.message === 'string' && ready.message ? ready.message : `the certificate ${name} is not issued yet`}`,
  };
}

/**
 * The Secret whose `ca.crt` external clients trust: the engine's own certificate's when TLS
 * passes through to it, else the gateway's.
 */
export function externalCaSecret(blueprint: Blueprint, spec: ClusterSpec): string {
  return gatewayModeOf(blueprint, spec) === 'passthrough' ? DATABASE_TLS_SECRET : ENDPOINT_TLS_SECRET;
}

/** Where a public endpoint answers, with the CA bundle read from the certificate's Secret. */
export function externalEndpointOf(
  blueprint: Blueprint,
  spec: ClusterSpec,
  gateway: GatewayContext,
  caBundle: string | undefined,
): ExternalEndpoint {
  const { hosts, grpc } = externalHosts(blueprint, spec, gateway);
  return {
    host: hosts[0] ?? externalHost(spec.clusterId, gateway.hostSuffix),
    port: gateway.port,
    ...(caBundle ? { caBundle } : {}),
    ...(hosts.length > 1 || gatewayMembers(blueprint, spec).length > 0 ? { hosts } : {}),
    ...(grpc ? { grpcHost: grpc } : {}),
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
 * A blueprint whose render adds the database's certificate (TLS clusters) and the endpoint's
 * objects (registry.ts wraps every blueprint). Its `kinds` stay the engine's: see `endpointKinds`.
 */
export function withEndpoint(blueprint: Blueprint): Blueprint {
  return {
    ...blueprint,
    render(spec, ctx) {
      const objects = blueprint.render(spec, ctx);
      return [
        ...objects,
        ...renderDatabaseCertificate(blueprint, spec, ctx),
        ...renderEndpoint(blueprint, spec, ctx),
      ];
    },
  };
}
