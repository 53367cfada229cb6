import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../../functions/shared/domain/cluster.js';
import {
  certificateReady,
  certificateRefs,
  ENDPOINT_NAME,
  endpointKinds,
  externalCaSecret,
  externalEndpointOf,
  renderEndpoint,
  withEndpoint,
} from '../../../functions/shared/engines/endpoints.js';
import { qdrantBlueprint } from '../../../functions/shared/engines/qdrant.js';
import { blueprints, getBlueprint } from '../../../functions/shared/engines/registry.js';
import type { GatewayMode, TlsSupport } from '../../../functions/shared/engines/tls.js';
import type { Blueprint, KubeObject } from '../../../functions/shared/engines/types.js';
import { valkeyBlueprint } from '../../../functions/shared/engines/valkey.js';
import { yugabytedbBlueprint } from '../../../functions/shared/engines/yugabytedb.js';
import {
  customResourceSchema,
  VENDORED_CRD_KINDS,
  VENDORED_CRDS_DIR,
  validateRendered,
} from '../../helpers/kube-crds.js';
import { clusterSpec, PUBLIC_ENDPOINT, renderContext, TEST_GATEWAY } from '../../helpers/kube-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are read and mutated freely
type Any = any;

const HOST_SUFFIX = TEST_GATEWAY.hostSuffix;

function specOf(bp: Blueprint, overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return clusterSpec({
    engine: bp.engine,
    version: bp.versions.at(-1),
    nodes: 3,
    settings: bp.settingsSchema.parse({}),
    ...overrides,
  });
}
const secretsOf = (bp: Blueprint) => Object.fromEntries(bp.secretNames.map((n) => [n, 'x']));
function renderPublic(engine: string, endpoint: ClusterSpec['endpoint'] = PUBLIC_ENDPOINT): KubeObject[] {
  const bp = getBlueprint(engine) as Blueprint;
  return bp.render(
    specOf(bp, { endpoint }),
    renderContext({ secrets: secretsOf(bp), gateway: TEST_GATEWAY }),
  );
}
const find = (objects: KubeObject[], kind: string, name = ENDPOINT_NAME): Any =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('Function: renderEndpoint', () => {
  it('renders a PostgreSQL cluster: a Certificate, a TLS listener on the gateway, a TLSRoute to postgresql-rw and the allowlist on the ListenerSet', () => {
    // Prepare
    const host = `cl-01jd8w3k5m7n9p1q3r5s7t9v2x.${HOST_SUFFIX}`;

    // Act
    const objects = renderPublic('postgresql');

    // Assess
    expect(find(objects, 'Certificate').spec).toMatchObject({
      secretName: 'stratus-endpoint-tls',
      dnsNames: [host],
      issuerRef: { kind: 'ClusterIssuer', name: TEST_GATEWAY.issuer },
    });
    const listener = find(objects, 'ListenerSet').spec;
    expect(listener.parentRef).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      name: 'stratus-gateway',
      namespace: 'stratus-gateway',
    });
    expect(listener.listeners).toEqual([
      expect.objectContaining({
        name: 'tls',
        hostname: host,
        port: 443,
        protocol: 'TLS',
        tls: {
          mode: 'Terminate',
          certificateRefs: [{ group: '', kind: 'Secret', name: 'stratus-endpoint-tls' }],
        },
      }),
    ]);
    expect(find(objects, 'TLSRoute').spec).toEqual({
      parentRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: ENDPOINT_NAME, sectionName: 'tls' },
      ],
      hostnames: [host],
      rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'postgresql-rw', port: 5432 }] }],
    });
    const policy = find(objects, 'SecurityPolicy').spec;
    expect(policy.targetRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: ENDPOINT_NAME },
    ]);
    expect(policy.authorization).toEqual({
      defaultAction: 'Deny',
      rules: [
        {
          name: 'allowed-cidrs',
          action: 'Allow',
          principal: { clientCIDRs: [...PUBLIC_ENDPOINT.allowedCidrs] },
        },
      ],
    });
    expect(policy.apiKeyAuth).toBeUndefined();
    expect(objects.find((o) => o.kind === 'HTTPRoute')).toBeUndefined();
  });

  it("renders Qdrant as HTTP: an HTTPS listener, an HTTPRoute to qdrant:6333, and the gateway's API key check against its credential Secret", () => {
    // Act
    const objects = renderPublic('qdrant', {
      public: true,
      allowedCidrs: ['198.51.100.7/32'],
      tokenCheck: true,
    });

    // Assess
    expect(find(objects, 'ListenerSet').spec.listeners[0]).toMatchObject({
      name: 'https',
      protocol: 'HTTPS',
    });
    expect(find(objects, 'HTTPRoute').spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'qdrant', port: 6333 }],
      },
    ]);
    const policy = find(objects, 'SecurityPolicy').spec;
    // A cluster created before TLS to the database: REST only, no gRPC host (as it rendered then).
    expect(policy.targetRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: ENDPOINT_NAME },
    ]);
    expect(policy.apiKeyAuth).toEqual({
      credentialRefs: [{ group: '', kind: 'Secret', name: 'qdrant-credentials' }],
      extractFrom: [{ headers: ['api-key'] }],
    });
    expect(policy.authorization.rules[0].principal.clientCIDRs).toEqual(['198.51.100.7/32']);
    expect(objects.find((o) => o.kind === 'TLSRoute')).toBeUndefined();
  });

  it('leaves the API key check out when tokenCheck is off (the allowlist stays)', () => {
    // Act
    const policy = find(
      renderPublic('qdrant', { public: true, allowedCidrs: ['0.0.0.0/0'], tokenCheck: false }),
      'SecurityPolicy',
    ).spec;

    // Assess
    expect(policy.apiKeyAuth).toBeUndefined();
    expect(policy.authorization.rules[0].principal.clientCIDRs).toEqual(['0.0.0.0/0']);
  });

  it("admits the gateway's proxy namespace to the client port only (NetworkPolicy allow-gateway)", () => {
    // Act
    const netpol = find(renderPublic('valkey'), 'NetworkPolicy', 'allow-gateway');

    // Assess
    expect(netpol.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } } },
          ],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
    });
  });

  it.each([
    ['not public', { public: false, allowedCidrs: ['203.0.113.0/24'] }, TEST_GATEWAY],
    ['public on an EKS cluster without a gateway', PUBLIC_ENDPOINT, undefined],
  ])('renders nothing of it when %s', (_what, endpoint, gateway) => {
    // Prepare
    const bp = blueprints.postgresql as Blueprint;
    const spec = specOf(bp, { endpoint });
    const ctx = renderContext({ secrets: secretsOf(bp), ...(gateway ? { gateway } : {}) });

    // Act
    const objects = bp.render(spec, ctx);

    // Assess
    expect(renderEndpoint(bp, spec, ctx)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      bp.render(specOf(bp), ctx).map((o) => `${o.kind}/${o.metadata.name}`),
    );
    expect(objects.some((o) => o.metadata.name === 'allow-gateway')).toBe(false);
  });

  it('refuses to render a public endpoint without an allowed CIDR (an empty allowlist would admit no one silently)', () => {
    // Act & Assess
    expect(() => renderPublic('postgresql', { public: true, allowedCidrs: [] })).toThrow(
      /at least one allowed CIDR/,
    );
  });

  it.each(Object.values(blueprints).map((bp) => [bp.engine, bp] as const))(
    'renders %s public with every object valid against its schema (Gateway API, cert-manager, Envoy Gateway)',
    (_engine, bp) => {
      // Prepare
      const objects = renderPublic(bp.engine);
      const endpoint = objects.filter(
        (o) => o.metadata.name === ENDPOINT_NAME || o.metadata.name === 'allow-gateway',
      );

      // Act & Assess
      expect(endpoint.map((o) => o.kind).sort()).toEqual(
        [
          'Certificate',
          'ListenerSet',
          'NetworkPolicy',
          'SecurityPolicy',
          bp.engine === 'qdrant' ? 'HTTPRoute' : 'TLSRoute',
        ].sort(),
      );
      for (const o of endpoint) expect(() => validateRendered(o)).not.toThrow();
      // The route's backend is a Service the engine renders, or one its operator makes for it.
      const route = endpoint.find((o) => o.kind.endsWith('Route')) as Any;
      expect(route.spec.rules[0].backendRefs[0].port).toBe(bp.connection(specOf(bp)).port);
    },
  );
});

/** Each case breaks a valid rendered object in one way the schema refuses. */
interface Case {
  readonly what: string;
  readonly mutate: (obj: Any) => unknown;
  readonly error: RegExp;
}
const SCHEMA_CASES: Array<{ kind: string; engine: string; cases: Case[] }> = [
  {
    kind: 'TLSRoute',
    engine: 'postgresql',
    cases: [
      {
        what: 'a host that is not a DNS name',
        mutate: (o: Any) => (o.spec.hostnames = ['Not_A_Host']),
        error: /hostnames\/0 must match pattern/,
      },
      {
        what: 'no rule',
        mutate: (o: Any) => (o.spec.rules = []),
        error: /rules must NOT have fewer than 1 items|rules must NOT have less than 1 item/,
      },
      {
        what: 'a backend port out of range',
        mutate: (o: Any) => (o.spec.rules[0].backendRefs[0].port = 70000),
        error: /port must be <= 65535/,
      },
      {
        what: 'an unknown field (only the vendored CRD refuses it: the API server prunes it)',
        mutate: (o: Any) => (o.spec.passthrough = true),
        error: /must NOT have additional properties.*passthrough/,
      },
    ],
  },
  {
    kind: 'HTTPRoute',
    engine: 'qdrant',
    cases: [
      {
        what: 'a path match of an unknown type',
        mutate: (o: Any) => (o.spec.rules[0].matches[0].path.type = 'Glob'),
        error: /type must be equal to one of the allowed values/,
      },
      {
        what: 'an unknown field (only the vendored CRD refuses it: the API server prunes it)',
        mutate: (o: Any) => (o.spec.allowFrom = true),
        error: /must NOT have additional properties.*allowFrom/,
      },
    ],
  },
  {
    kind: 'ListenerSet',
    engine: 'valkey',
    cases: [
      {
        what: 'no parent Gateway',
        mutate: (o: Any) => delete o.spec.parentRef,
        error: /must have required property parentRef/,
      },
      {
        what: 'a TLS mode that does not exist',
        mutate: (o: Any) => (o.spec.listeners[0].tls.mode = 'Decrypt'),
        error: /mode must be equal to one of the allowed values/,
      },
      {
        what: 'a listener without a port',
        mutate: (o: Any) => delete o.spec.listeners[0].port,
        error: /must have required property port/,
      },
      {
        what: 'an unknown field (only the vendored CRD refuses it: the API server prunes it)',
        mutate: (o: Any) => (o.spec.publicPort = true),
        error: /must NOT have additional properties.*publicPort/,
      },
    ],
  },
  {
    kind: 'Certificate',
    engine: 'mongodb',
    cases: [
      {
        what: 'no issuer',
        mutate: (o: Any) => delete o.spec.issuerRef,
        error: /must have required property issuerRef/,
      },
      {
        what: 'a key algorithm cert-manager does not know',
        mutate: (o: Any) => (o.spec.privateKey.algorithm = 'DSA'),
        error: /algorithm must be equal to one of the allowed values/,
      },
      {
        what: 'no Secret to write to',
        mutate: (o: Any) => delete o.spec.secretName,
        error: /must have required property secretName/,
      },
      {
        what: 'an unknown field (only the vendored CRD refuses it: the API server prunes it)',
        mutate: (o: Any) => (o.spec.autoRenew = true),
        error: /must NOT have additional properties.*autoRenew/,
      },
    ],
  },
  {
    kind: 'SecurityPolicy',
    engine: 'qdrant',
    cases: [
      {
        what: 'a TLSRoute target (not a documented SecurityPolicy target)',
        mutate: (o: Any) => (o.spec.targetRefs[0].kind = 'TLSRoute'),
        error: /targetRefs/,
      },
      {
        what: 'an allowed address that is not a CIDR',
        mutate: (o: Any) => (o.spec.authorization.rules[0].principal.clientCIDRs = ['10.0.0.300/8']),
        error: /clientCIDRs/,
      },
      {
        what: 'an action that does not exist',
        mutate: (o: Any) => (o.spec.authorization.defaultAction = 'Reject'),
        error: /defaultAction/,
      },
      {
        what: 'an unknown field',
        mutate: (o: Any) => (o.spec.allowlist = ['10.0.0.0/8']),
        error: /allowlist/,
      },
      {
        what: 'an API key check that reads no header',
        mutate: (o: Any) => (o.spec.apiKeyAuth.extractFrom = [{}]),
        error: /extractFrom/,
      },
    ],
  },
];

describe.each(SCHEMA_CASES)('Schema: $kind', ({ kind, engine, cases }) => {
  const valid = () => structuredClone(find(renderPublic(engine), kind));

  it('accepts the rendered object', () => {
    // Act & Assess
    expect(() => validateRendered(valid())).not.toThrow();
  });

  it.each(cases)('refuses $what', ({ mutate, error }) => {
    // Prepare
    const obj = valid();
    mutate(obj);

    // Act & Assess
    expect(() => validateRendered(obj)).toThrow(error);
  });
});

describe('Vendored CRDs (deploy/crds)', () => {
  it.each(VENDORED_CRD_KINDS)('validates %s against its vendored CRD, listed with its source', (key) => {
    // Prepare
    const [group, version, kind] = key.split('/') as [string, string, string];

    // Act
    const schema = customResourceSchema(`${group}/${version}`, kind);

    // Assess
    expect(schema.file.startsWith(VENDORED_CRDS_DIR)).toBe(true);
    expect(readFileSync(join(VENDORED_CRDS_DIR, 'README.md'), 'utf8')).toContain(basename(schema.file));
  });
});

describe('Function: certificateReady', () => {
  it.each([
    ['absent', undefined, false, /not found/],
    ['without conditions', { status: {} }, false, /not issued yet/],
    [
      'not ready, with its reason',
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'False', message: 'Issuing certificate as Secret does not exist' },
          ],
        },
      },
      false,
      /Issuing certificate/,
    ],
    ['ready', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, true, /issued/],
  ])('a Certificate %s is ready=%s', (_what, status, ready, reason) => {
    // Prepare
    const live = status
      ? ({
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: ENDPOINT_NAME },
          ...status,
        } as KubeObject)
      : undefined;

    // Act
    const got = certificateReady(live);

    // Assess
    expect(got.ready).toBe(ready);
    expect(got.reason).toMatch(reason);
  });
});

describe('Function: endpointKinds', () => {
  it('lists the endpoint kinds only where the EKS cluster has a gateway (their CRDs come with it)', () => {
    // Act & Assess
    expect(endpointKinds(undefined)).toEqual([]);
    expect(endpointKinds(TEST_GATEWAY).map((k) => k.kind)).toEqual([
      'Certificate',
      'ListenerSet',
      'TLSRoute',
      'HTTPRoute',
      'GRPCRoute',
      'BackendTLSPolicy',
      'SecurityPolicy',
    ]);
  });
});

/**
 * TLS to the database (engines/tls.ts): the framework's part, with stand-in `tls` declarations on
 * two real engines (each engine's own TLS render is tested in its file).
 */
describe('TLS to the database: the certificate and the gateway modes', () => {
  const IN_CLUSTER = ['valkey', 'valkey.stratus-cl-01jd8w3k5m7n9p1q3r5s7t9v2x.svc.cluster.local'];
  const tlsOf = (mode: GatewayMode, members = 0): TlsSupport => ({
    dnsNames: () => IN_CLUSTER,
    gatewayMode: () => mode,
    renewal: { kind: 'reloads' },
    ...(members
      ? { members: () => Array.from({ length: members }, (_, i) => ({ service: `m-${i}`, port: 6379 })) }
      : {}),
  });
  const withTls = (bp: Blueprint, tls: TlsSupport, connTls = true): Blueprint =>
    withEndpoint({
      ...bp,
      tls,
      connection: (spec) => ({
        ...bp.connection(spec),
        ...(connTls ? { tls: { serverName: bp.connection(spec).host, required: true } } : {}),
      }),
    });
  const render = (
    bp: Blueprint,
    overrides: Partial<ClusterSpec> = {},
    gateway: typeof TEST_GATEWAY | null = TEST_GATEWAY,
  ) =>
    bp.render(
      specOf(bp, { tls: true, ...overrides }),
      renderContext({ secrets: secretsOf(bp), ...(gateway ? { gateway } : {}) }),
    );
  const host = `cl-01jd8w3k5m7n9p1q3r5s7t9v2x.${HOST_SUFFIX}`;

  it("renders the database's Certificate from the databaseIssuer, with the in-cluster names, also when not public", () => {
    // Act
    const objects = render(
      withTls(valkeyBlueprint, tlsOf('terminate')),
      {},
      {
        ...TEST_GATEWAY,
        databaseIssuer: 'stratus-internal-ca',
      },
    );

    // Assess
    expect(find(objects, 'Certificate', 'stratus-tls').spec).toEqual({
      secretName: 'stratus-tls',
      dnsNames: IN_CLUSTER,
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'stratus-internal-ca' },
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['digital signature', 'server auth', 'client auth'],
    });
    expect(objects.some((o) => o.metadata.name === ENDPOINT_NAME)).toBe(false);
  });

  it('renders no database Certificate without spec.tls, without a gateway, or for an engine without TLS', () => {
    // Prepare
    const bp = withTls(valkeyBlueprint, tlsOf('passthrough'));

    // Act & Assess
    expect(find(render(bp, { tls: false }), 'Certificate', 'stratus-tls')).toBeUndefined();
    expect(find(render(bp, {}, null), 'Certificate', 'stratus-tls')).toBeUndefined();
    expect(find(render(withEndpoint(yugabytedbBlueprint)), 'Certificate', 'stratus-tls')).toBeUndefined();
  });

  it("passes TLS through to the engine: a Passthrough listener, no gateway certificate, the external host in the database's certificate", () => {
    // Act
    const objects = render(withTls(valkeyBlueprint, tlsOf('passthrough')), { endpoint: PUBLIC_ENDPOINT });

    // Assess
    expect(find(objects, 'Certificate', 'stratus-tls').spec.dnsNames).toEqual([...IN_CLUSTER, host]);
    expect(find(objects, 'Certificate')).toBeUndefined();
    expect(find(objects, 'ListenerSet').spec.listeners).toEqual([
      expect.objectContaining({ name: 'tls', hostname: host, protocol: 'TLS', tls: { mode: 'Passthrough' } }),
    ]);
    expect(find(objects, 'TLSRoute').spec.rules).toEqual([
      { backendRefs: [{ group: '', kind: 'Service', name: 'valkey', port: 6379 }] },
    ]);
    expect(find(objects, 'SecurityPolicy').spec.targetRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: ENDPOINT_NAME },
    ]);
    for (const o of objects.filter((x) => x.metadata.name.startsWith('stratus-'))) validateRendered(o);
  });

  it('routes each member on its own host and Service (split horizon), with every possible member host in the certificate', () => {
    // Act
    const objects = render(withTls(valkeyBlueprint, tlsOf('passthrough', 3)), { endpoint: PUBLIC_ENDPOINT });

    // Assess
    const host = (i: number) => `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-${i}.${HOST_SUFFIX}`;
    const hosts = [0, 1, 2].map(host);
    // Every member index the API allows: a scale reissues no certificate.
    expect(find(objects, 'Certificate', 'stratus-tls').spec.dnsNames).toEqual([
      ...IN_CLUSTER,
      ...Array.from({ length: 9 }, (_, i) => host(i)),
    ]);
    expect(find(objects, 'ListenerSet').spec.listeners.map((l: Any) => [l.name, l.hostname])).toEqual(
      hosts.map((h, i) => [`member-${i}`, h]),
    );
    for (const i of [0, 1, 2]) {
      expect(find(objects, 'TLSRoute', `${ENDPOINT_NAME}-${i}`).spec).toEqual({
        parentRefs: [
          {
            group: 'gateway.networking.k8s.io',
            kind: 'ListenerSet',
            name: ENDPOINT_NAME,
            sectionName: `member-${i}`,
          },
        ],
        hostnames: [hosts[i]],
        rules: [{ backendRefs: [{ group: '', kind: 'Service', name: `m-${i}`, port: 6379 }] }],
      });
    }
    expect(find(objects, 'TLSRoute')).toBeUndefined();
    for (const o of objects.filter((x) => x.metadata.name.startsWith('stratus-'))) validateRendered(o);
  });

  it('re-encrypts to an HTTP engine: a BackendTLSPolicy on its Service, verified with the database CA as its in-cluster name', () => {
    // Act
    const objects = render(withTls(qdrantBlueprint, tlsOf('reencrypt')), { endpoint: PUBLIC_ENDPOINT });

    // Assess
    const btls = find(objects, 'BackendTLSPolicy');
    expect(btls.spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'qdrant' }],
      validation: {
        caCertificateRefs: [{ group: '', kind: 'Secret', name: 'stratus-tls' }],
        hostname: 'qdrant.stratus-cl-01jd8w3k5m7n9p1q3r5s7t9v2x.svc.cluster.local',
      },
    });
    validateRendered(btls);
    // The gateway still terminates the client's TLS (it checks the API key) with its own certificate.
    expect(find(objects, 'Certificate').spec.dnsNames[0]).toBe(host);
    expect(find(objects, 'ListenerSet').spec.listeners[0].tls.mode).toBe('Terminate');
  });

  it('exposes a gRPC port on its own host: a listener, a GRPCRoute, the same policy and the port admitted', () => {
    // Prepare
    const bp = withEndpoint({
      ...qdrantBlueprint,
      connection: (spec) => ({ ...qdrantBlueprint.connection(spec), grpcPort: 6334 }),
    });
    const grpc = `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-grpc.${HOST_SUFFIX}`;

    // Act
    const objects = render(bp, { tls: false, endpoint: { ...PUBLIC_ENDPOINT, tokenCheck: true } });

    // Assess
    expect(find(objects, 'Certificate').spec.dnsNames).toEqual([host, grpc]);
    expect(
      find(objects, 'ListenerSet').spec.listeners.map((l: Any) => [l.name, l.hostname, l.protocol]),
    ).toEqual([
      ['https', host, 'HTTPS'],
      ['grpc', grpc, 'HTTPS'],
    ]);
    const route = find(objects, 'GRPCRoute');
    expect(route.spec).toEqual({
      parentRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: ENDPOINT_NAME, sectionName: 'grpc' },
      ],
      hostnames: [grpc],
      rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'qdrant', port: 6334 }] }],
    });
    validateRendered(route);
    const policy = find(objects, 'SecurityPolicy');
    expect(policy.spec.targetRefs.map((t: Any) => t.kind)).toEqual(['HTTPRoute', 'GRPCRoute']);
    expect(policy.spec.apiKeyAuth).toBeDefined();
    expect(find(objects, 'NetworkPolicy', 'allow-gateway').spec.ingress[0].ports).toEqual([
      { protocol: 'TCP', port: 6333 },
      { protocol: 'TCP', port: 6334 },
    ]);
    expect(find(objects, 'BackendTLSPolicy')).toBeUndefined();
  });

  it.each([
    ['passthrough', ['stratus-tls'], 'stratus-tls'],
    ['reencrypt', ['stratus-tls', ENDPOINT_NAME], 'stratus-endpoint-tls'],
    ['terminate', ['stratus-tls', ENDPOINT_NAME], 'stratus-endpoint-tls'],
  ] as const)(
    'waits, in %s mode, for the certificates %j and shows the CA of %s outside',
    (mode, names, caSecret) => {
      // Prepare
      const bp = withTls(valkeyBlueprint, tlsOf(mode));
      const spec = specOf(bp, { tls: true, endpoint: PUBLIC_ENDPOINT });

      // Act & Assess
      expect(certificateRefs(bp, spec, TEST_GATEWAY).map((r) => r.metadata.name)).toEqual(names);
      expect(certificateRefs(bp, spec, undefined)).toEqual([]);
      expect(externalCaSecret(bp, spec)).toBe(caSecret);
    },
  );

  it('shows every member host outside, the first as the host, and the gRPC host', () => {
    // Prepare
    const bp = withTls(valkeyBlueprint, tlsOf('passthrough', 2));
    const spec = specOf(bp, { tls: true, endpoint: PUBLIC_ENDPOINT });

    // Act
    const external = externalEndpointOf(bp, spec, TEST_GATEWAY, 'PEM');

    // Assess
    expect(external).toEqual({
      host: `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-0.${HOST_SUFFIX}`,
      port: 443,
      caBundle: 'PEM',
      hosts: [0, 1].map((i) => `cl-01jd8w3k5m7n9p1q3r5s7t9v2x-${i}.${HOST_SUFFIX}`),
    });
  });
});

describe('TLS to the database: every engine that serves it', () => {
  const tlsEngines = Object.values(blueprints).filter((bp) => bp.tls);

  it('is every engine but YugabyteDB (whose YSQL cannot take TLS from the gateway)', () => {
    // Act & Assess
    expect(tlsEngines.map((bp) => bp.engine).sort()).toEqual(
      ['dragonfly', 'mongodb', 'postgresql', 'qdrant', 'scylladb', 'valkey'].sort(),
    );
  });

  it.each(tlsEngines.map((bp) => [bp.engine, bp] as const))(
    'renders %s public with TLS: every object valid, the Secret mounted or named, the gateway as its mode says',
    (_engine, bp) => {
      // Prepare
      const spec = specOf(bp, { tls: true, endpoint: PUBLIC_ENDPOINT });

      // Act
      const objects = bp.render(spec, renderContext({ secrets: secretsOf(bp), gateway: TEST_GATEWAY }));

      // Assess
      for (const o of objects)
        expect(() => validateRendered(o), `${o.kind}/${o.metadata.name}`).not.toThrow();
      const cert = find(objects, 'Certificate', 'stratus-tls');
      expect(cert.spec.dnsNames).toEqual(expect.arrayContaining(bp.tls?.dnsNames(spec) ?? []));
      // The engine's own objects use the Secret cert-manager writes.
      const engineObjects = objects.filter((o) => !o.metadata.name.startsWith('stratus-'));
      expect(JSON.stringify(engineObjects)).toContain('stratus-tls');
      const listeners = find(objects, 'ListenerSet').spec.listeners;
      const mode = bp.tls?.gatewayMode(spec);
      expect(listeners[0].tls.mode).toBe(mode === 'passthrough' ? 'Passthrough' : 'Terminate');
      expect(find(objects, 'BackendTLSPolicy') !== undefined).toBe(mode === 'reencrypt');
      expect(bp.connection(spec).tls?.serverName).toBe(bp.connection(spec).host);
    },
  );

  it("labels PostgreSQL's certificate Secret for CloudNativePG's reload, and no other engine's", () => {
    // Act
    const templates = Object.fromEntries(
      tlsEngines.map((bp) => {
        const objects = bp.render(
          specOf(bp, { tls: true }),
          renderContext({ secrets: secretsOf(bp), gateway: TEST_GATEWAY }),
        );
        return [bp.engine, find(objects, 'Certificate', 'stratus-tls').spec.secretTemplate];
      }),
    );

    // Assess: cert-manager copies secretTemplate's labels to stratus-tls, CloudNativePG reloads on them.
    expect(templates).toEqual({
      dragonfly: undefined,
      mongodb: undefined,
      postgresql: { labels: { 'cnpg.io/reload': '' } },
      qdrant: undefined,
      scylladb: undefined,
      valkey: undefined,
    });
  });

  it('says how each engine picks up a renewed certificate, and restarts only through an object it renders', () => {
    // Prepare
    const how = (bp: Blueprint, spec: ClusterSpec) => {
      const renewal = bp.tls?.renewal;
      if (renewal?.kind !== 'restart') return renewal?.kind;
      const t = renewal.target(spec);
      return `${t.apiVersion} ${t.kind}/${t.name} ${t.podAnnotations.join('.')}`;
    };

    // Act
    const ways = Object.fromEntries(tlsEngines.map((bp) => [bp.engine, how(bp, specOf(bp, { tls: true }))]));

    // Assess
    expect(ways).toEqual({
      dragonfly: 'dragonflydb.io/v1alpha1 Dragonfly/dragonfly spec.podMetadata.annotations',
      mongodb: 'reloads',
      postgresql: 'reloads',
      qdrant: 'apps/v1 StatefulSet/qdrant spec.template.metadata.annotations',
      scylladb: 'reloads',
      valkey: 'apps/v1 StatefulSet/valkey spec.template.metadata.annotations',
    });
    for (const bp of tlsEngines) {
      const renewal = bp.tls?.renewal;
      if (renewal?.kind !== 'restart') continue;
      const spec = specOf(bp, { tls: true });
      const target = renewal.target(spec);
      const objects = bp.render(spec, renderContext({ secrets: secretsOf(bp), gateway: TEST_GATEWAY }));
      // Rendered (so listed by the reconciler) with the pod template's metadata where the path says.
      const rendered: Any = objects.find(
        (o) =>
          o.apiVersion === target.apiVersion && o.kind === target.kind && o.metadata.name === target.name,
      );
      expect(rendered, bp.engine).toBeDefined();
      const parent = target.podAnnotations.slice(0, -1).reduce((o: Any, k) => o?.[k], rendered);
      expect(parent, `${bp.engine}: ${target.podAnnotations.join('.')}`).toBeTypeOf('object');
    }
  });
});
