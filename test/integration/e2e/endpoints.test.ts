import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { parseConfig } from '../../../lib/config.js';
import { STANDIN_CA_BUNDLE } from '../../../local/kube-standin/resources.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  shippedConfig,
  startTestRuntime,
} from '../../helpers/local.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are read freely in assertions
type Any = any;

const DOMAIN = 'db.example.test';

/**
 * Public endpoints over the wire (issue #17): the real handlers against the stand-ins, with the
 * shipped config plus a gateway on every EKS cluster. Nothing is proxied locally: the test checks
 * what Stratus stores, answers and applies (the Gateway API, cert-manager and Envoy Gateway objects).
 */
describe('End to end: public endpoints', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  const settle = (opId: string) => settleOperation(api, opId, 30_000);
  const endpointObjects = (id: string) =>
    (rt.kube?.list() ?? []).filter(
      (o) =>
        o.metadata.namespace === `stratus-${id}` &&
        (o.metadata.name === 'stratus-endpoint' || o.metadata.name === 'allow-gateway'),
    ) as KubeObject[];
  const kindsOf = (objects: KubeObject[]) => objects.map((o) => o.kind).sort();
  const policyOf = (id: string): Any => endpointObjects(id).find((o) => o.kind === 'SecurityPolicy');

  beforeAll(async () => {
    const shipped = shippedConfig();
    const config = parseConfig({
      ...shipped,
      endpoints: { domain: DOMAIN, hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      regions: shipped.regions.map((r) => ({
        ...r,
        eksClusters: r.eksClusters.map((c) => ({
          ...c,
          gateway: { issuer: 'stratus-endpoints', loadBalancerDnsName: `gw-${r.region}.elb.example.test` },
        })),
      })),
    });
    rt = await startTestRuntime({ config });
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  it('creates a public PostgreSQL cluster, changes its allowlist with an UPDATE, and turns it private again', async () => {
    // Act: create it public
    const created = await api('POST', '/v1/clusters', {
      name: 'orders',
      engine: 'postgresql',
      region: rt.region,
      endpoint: { public: true, allowedCidrs: ['203.0.113.0/24'] },
    });

    // Assess: READY, with the external host, TLS and the CA in its connection info
    expect(created.status).toBe(202);
    expect(created.body.cluster.endpointSettings).toEqual({ public: true, allowedCidrs: ['203.0.113.0/24'] });
    const id = created.body.cluster.id as string;
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    const host = `${id}.${rt.region}.${DOMAIN}`;
    const conn = await api('GET', `/v1/clusters/${id}/connection`);
    expect(conn.status).toBe(200);
    expect(conn.body).toMatchObject({
      host: `postgresql-rw.stratus-${id}.svc.cluster.local`,
      port: 5432,
      external: {
        endpoint: `postgresql://${host}:443`,
        host,
        port: 443,
        tls: { required: true, serverName: host, caBundle: STANDIN_CA_BUNDLE },
      },
    });
    expect(kindsOf(endpointObjects(id))).toEqual([
      'Certificate',
      'ListenerSet',
      'NetworkPolicy',
      'SecurityPolicy',
      'TLSRoute',
    ]);
    expect(policyOf(id).spec.authorization.rules[0].principal.clientCIDRs).toEqual(['203.0.113.0/24']);

    // Act: another allowlist
    const patched = await api('PATCH', `/v1/clusters/${id}`, {
      endpoint: { allowedCidrs: ['198.51.100.0/24', '2001:db8::/48'] },
    });

    // Assess: an UPDATE that succeeded, with its events, and the policy changed in Kubernetes
    expect(patched.status).toBe(202);
    expect(patched.body.operation.type).toBe('UPDATE');
    expect((await settle(patched.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect(policyOf(id).spec.authorization.rules[0].principal.clientCIDRs).toEqual([
      '198.51.100.0/24',
      '2001:db8::/48',
    ]);
    const updateEvents = await rt.bus.waitFor(
      { 'detail-type': ['Operation Status Changed'], detail: { operationId: [patched.body.operation.id] } },
      { count: 3, timeoutMs: 10_000 },
    );
    expect(updateEvents.map((e) => e.detail.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const clusterEvents = await rt.bus.waitFor(
      {
        'detail-type': ['Cluster Status Changed'],
        detail: { clusterId: [id], status: ['UPDATING', 'READY'] },
      },
      { count: 3, timeoutMs: 10_000 },
    );
    expect(clusterEvents.map((e) => e.detail.status)).toEqual(['READY', 'UPDATING', 'READY']);

    // Act: private again
    const closed = await api('PATCH', `/v1/clusters/${id}`, { endpoint: { public: false } });

    // Assess: the routes, policy, listener and certificate gone; no external connection any more
    expect(closed.status).toBe(202);
    expect((await settle(closed.body.operation.id)).body.status).toBe('SUCCEEDED');
    expect(endpointObjects(id)).toEqual([]);
    const after = await api('GET', `/v1/clusters/${id}/connection`);
    expect(after.body.external).toBeUndefined();
    expect((await api('GET', `/v1/clusters/${id}`)).body.endpointSettings).toEqual({
      public: false,
      allowedCidrs: ['198.51.100.0/24', '2001:db8::/48'],
    });
  });

  it('renders a public Qdrant cluster with an HTTPRoute and the API key check, and refuses bad endpoint input', async () => {
    // Act
    const created = await api('POST', '/v1/clusters', {
      name: 'vectors',
      engine: 'qdrant',
      region: rt.region,
      endpoint: { public: true, allowedCidrs: ['0.0.0.0/0'] },
    });
    const bad = await api('POST', '/v1/clusters', {
      name: 'cache',
      engine: 'valkey',
      region: rt.region,
      endpoint: { public: true, tokenCheck: true },
    });

    // Assess
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    const id = created.body.cluster.id as string;
    expect(created.body.cluster.endpointSettings).toEqual({
      public: true,
      allowedCidrs: ['0.0.0.0/0'],
      tokenCheck: true,
    });
    expect(kindsOf(endpointObjects(id))).toContain('HTTPRoute');
    expect(policyOf(id).spec.apiKeyAuth.credentialRefs).toEqual([
      { group: '', kind: 'Secret', name: 'qdrant-credentials' },
    ]);
    const conn = await api('GET', `/v1/clusters/${id}/connection`);
    expect(conn.body.external.endpoint).toBe(`https://${id}.${rt.region}.${DOMAIN}:443`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'endpoint.allowedCidrs',
      'endpoint.tokenCheck',
    ]);
  });
});
