import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../functions/shared/engines/types.js';
import { standinCaBundle } from '../../../local/kube-standin/resources.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import {
  apiClient,
  RUNTIME_START_TIMEOUT_MS,
  settleOperation,
  shippedConfigWithGateways,
  startTestRuntime,
} from '../../helpers/local.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are read freely in assertions
type Any = any;

const DOMAIN = 'db.example.test';
/** The stand-in's cert-manager writes each ClusterIssuer's own placeholder CA. */
const GATEWAY_CA = standinCaBundle('stratus-endpoints');
const DATABASE_CA = standinCaBundle('stratus-databases');

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
  const databaseCertificate = (id: string) =>
    (rt.kube?.list() ?? []).find(
      (o) =>
        o.kind === 'Certificate' &&
        o.metadata.namespace === `stratus-${id}` &&
        o.metadata.name === 'stratus-tls',
    );
  const policyOf = (id: string): Any => endpointObjects(id).find((o) => o.kind === 'SecurityPolicy');

  beforeAll(async () => {
    const config = shippedConfigWithGateways(DOMAIN);
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
    const inCluster = `postgresql-rw.stratus-${id}.svc.cluster.local`;
    expect(conn.body).toMatchObject({
      host: inCluster,
      port: 5432,
      // TLS to the database: created where the EKS cluster has a gateway, PostgreSQL 17 refuses plain text.
      tls: { required: true, serverName: inCluster, caBundle: DATABASE_CA },
      external: {
        endpoint: `postgresql://${host}:443`,
        host,
        port: 443,
        // Passed through: clients outside see the database's own certificate, so its CA.
        tls: { required: true, serverName: host, caBundle: DATABASE_CA },
      },
    });
    // TLS passes through the gateway to PostgreSQL: no certificate of the gateway's own.
    expect(kindsOf(endpointObjects(id))).toEqual([
      'ListenerSet',
      'NetworkPolicy',
      'SecurityPolicy',
      'TLSRoute',
    ]);
    const listenerSet: Any = endpointObjects(id).find((o) => o.kind === 'ListenerSet');
    expect(listenerSet.spec.listeners[0].tls).toEqual({ mode: 'Passthrough' });
    const databaseCert: Any = databaseCertificate(id);
    expect(databaseCert.spec.dnsNames).toEqual(expect.arrayContaining([inCluster, host]));
    expect(databaseCert.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    const pg: Any = (rt.kube?.list() ?? []).find(
      (o) => o.kind === 'Cluster' && o.metadata.namespace === `stratus-${id}`,
    );
    expect(pg.spec.certificates).toEqual({ serverTLSSecret: 'stratus-tls', serverCASecret: 'stratus-tls' });
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
    // The database keeps serving TLS with its own certificate: public or not changes nothing there.
    expect(databaseCertificate(id)).toBeDefined();
    const after = await api('GET', `/v1/clusters/${id}/connection`);
    expect(after.body.external).toBeUndefined();
    expect(after.body.tls).toMatchObject({ required: true, serverName: inCluster });
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
    // gRPC on its own host; the gateway re-encrypts to Qdrant, verifying its in-cluster name.
    expect(conn.body.external.grpc).toEqual({ host: `${id}-grpc.${rt.region}.${DOMAIN}`, port: 443 });
    // Re-encrypted: clients outside see the gateway's certificate; in the cluster, the database's.
    expect(conn.body.external.tls.caBundle).toBe(GATEWAY_CA);
    expect(conn.body.tls.caBundle).toBe(DATABASE_CA);
    expect(conn.body).toMatchObject({
      endpoint: `https://qdrant.stratus-${id}.svc.cluster.local:6333`,
      grpcPort: 6334,
    });
    expect(kindsOf(endpointObjects(id))).toEqual(
      [
        'BackendTLSPolicy',
        'Certificate',
        'GRPCRoute',
        'HTTPRoute',
        'ListenerSet',
        'NetworkPolicy',
        'SecurityPolicy',
      ].sort(),
    );
    const btls: Any = endpointObjects(id).find((o) => o.kind === 'BackendTLSPolicy');
    expect(btls.spec.validation.hostname).toBe(`qdrant.stratus-${id}.svc.cluster.local`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'endpoint.allowedCidrs',
      'endpoint.tokenCheck',
    ]);
  });

  it('routes a public three-member MongoDB member by member (split horizon), so that clients find the primary', async () => {
    // Act
    const created = await api('POST', '/v1/clusters', {
      name: 'docs',
      engine: 'mongodb',
      region: rt.region,
      nodes: 3,
      endpoint: { public: true, allowedCidrs: ['203.0.113.0/24'] },
    });

    // Assess
    expect(created.status).toBe(202);
    expect((await settle(created.body.operation.id)).body.status).toBe('SUCCEEDED');
    const id = created.body.cluster.id as string;
    const hosts = [0, 1, 2].map((i) => `${id}-${i}.${rt.region}.${DOMAIN}`);
    const conn = await api('GET', `/v1/clusters/${id}/connection`);
    expect(conn.body.external).toMatchObject({
      endpoint: `mongodb://${hosts.map((h) => `${h}:443`).join(',')}/?replicaSet=mongodb&authSource=admin&tls=true`,
      host: hosts[0],
      hosts,
      tls: { required: true, caBundle: DATABASE_CA },
    });
    // Each host is its own TLS server name: none is given for all.
    expect(conn.body.external.tls.serverName).toBeUndefined();
    const objects = (rt.kube?.list() ?? []).filter((o) => o.metadata.namespace === `stratus-${id}`) as Any[];
    const routes = objects.filter((o) => o.kind === 'TLSRoute');
    expect(routes.map((r) => [r.spec.hostnames[0], r.spec.rules[0].backendRefs[0].name]).sort()).toEqual(
      hosts.map((h, i) => [h, `mongodb-${i}-external`]),
    );
    for (const i of [0, 1, 2]) {
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === `mongodb-${i}-external`);
      expect(svc.spec.selector['statefulset.kubernetes.io/pod-name']).toBe(`mongodb-${i}`);
    }
    const mongo = objects.find((o) => o.kind === 'MongoDBCommunity');
    expect(mongo.spec.security.tls).toMatchObject({ enabled: true, optional: false });
    expect(mongo.spec.replicaSetHorizons.slice(0, 3)).toEqual(hosts.map((h) => ({ external: `${h}:443` })));
    const certificate: Any = objects.find(
      (o) => o.kind === 'Certificate' && o.metadata.name === 'stratus-tls',
    );

    // Act: scale down to one member
    const scaled = await api('PATCH', `/v1/clusters/${id}`, { nodes: 1 });

    // Assess: the other members' routes, listeners and Services pruned; the certificate not reissued
    expect(scaled.status).toBe(202);
    expect((await settle(scaled.body.operation.id)).body.status).toBe('SUCCEEDED');
    const after = (rt.kube?.list() ?? []).filter((o) => o.metadata.namespace === `stratus-${id}`) as Any[];
    expect(after.filter((o) => o.kind === 'TLSRoute').map((r) => r.spec.hostnames[0])).toEqual([hosts[0]]);
    expect(
      after
        .filter((o) => o.kind === 'Service' && o.metadata.name.endsWith('-external'))
        .map((o) => o.metadata.name),
    ).toEqual(['mongodb-0-external']);
    expect(after.find((o) => o.kind === 'ListenerSet').spec.listeners.map((l: Any) => l.name)).toEqual([
      'member-0',
    ]);
    const certAfter = after.find((o) => o.kind === 'Certificate' && o.metadata.name === 'stratus-tls');
    expect(certAfter.spec.dnsNames).toEqual(certificate.spec.dnsNames);
    expect((await api('GET', `/v1/clusters/${id}/connection`)).body.external.hosts).toEqual([hosts[0]]);
  });
});
