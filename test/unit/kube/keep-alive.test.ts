import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../../functions/shared/kube/client.js';

/**
 * A minimal Kubernetes API server on a local port (discovery of v1 ConfigMaps and GET of one),
 * counting the TCP connections it accepts and the requests it serves.
 */
async function countingServer(): Promise<{
  server: Server;
  url: string;
  connections: () => number;
  requests: () => number;
}> {
  let connections = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') {
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get'] }],
        }),
      );
      return;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      res.end(
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: m[1], name: m[2] } }),
      );
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
  };
}

describe('Function: createKubeClient (connections)', () => {
  let api: Awaited<ReturnType<typeof countingServer>>;

  beforeEach(async () => {
    api = await countingServer();
  });
  afterEach(async () => {
    api.server.closeAllConnections();
    await new Promise((ok) => api.server.close(ok));
  });

  it('reuses one connection for requests made one after the other (keep-alive)', async () => {
    // Prepare
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'local', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'local', token: 'token' }],
      contexts: [{ name: 'local', cluster: 'local', user: 'local' }],
      currentContext: 'local',
    });
    const kube = createKubeClient(kc);

    // Act
    for (let i = 0; i < 5; i++) {
      await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: `cm-${i}` } });
    }

    // Assess
    expect(api.requests()).toBeGreaterThanOrEqual(6); // discovery, then five reads
    expect(api.connections()).toBe(1);
  });
});
