import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  type KubeStandin,
  type KubeStandinOptions,
  startKubeStandin,
} from '../../local/kube-standin/server.js';

/** A stand-in with short simulated delays, so tests do not wait for realistic timings. */
export function startTestStandin(opts: KubeStandinOptions = {}): Promise<KubeStandin> {
  return startKubeStandin({ readinessDelayMs: 100, namespaceTerminationMs: 50, ...opts });
}

/**
 * A clock that moves only when told. Given to the stand-in (`now`), it makes simulated readiness
 * and namespace termination happen at a step of the test rather than after a wall-clock delay,
 * which a busy machine stretches: "not ready yet" holds however long a request takes.
 */
export interface ManualClock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/**
 * A KubeConfig for the stand-in built with loadFromOptions (no file, no real cluster): HTTPS,
 * trusting the stand-in's CA, as the kubeconfig it writes.
 */
export function kubeConfigFor(
  standin: Pick<KubeStandin, 'url' | 'token' | 'caCert'>,
  token = standin.token,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'standin',
        server: standin.url,
        caData: Buffer.from(standin.caCert).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'standin', token }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'standin' }],
    currentContext: 'standin',
  });
  return kc;
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = 5_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** An HTTP proxy in front of the stand-in that counts Kubernetes API requests. */
export interface CountingProxy {
  readonly url: string;
  /** Requests since the last reset, e.g. `{ 'GET discovery': 4, 'PATCH': 12 }`. */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  /** A kubeconfig for the stand-in that goes through the proxy (plain HTTP). */
  kubeconfigYaml(standin: Pick<KubeStandin, 'kubeconfigYaml'>): string;
  stop(): Promise<void>;
}

const isDiscoveryPath = (path: string): boolean => {
  const segments = path.split('/').filter(Boolean);
  const [root] = segments;
  return (
    (root === 'api' && segments.length <= 2) ||
    (root === 'apis' && segments.length <= 3) ||
    (root === 'version' && segments.length === 1)
  );
};

/**
 * Forwards every request to `target`'s plain-HTTP listener unchanged (a proxy that reads the
 * traffic cannot sit in a TLS connection); counts them by verb (discovery apart).
 */
export async function startCountingProxy(target: Pick<KubeStandin, 'plainUrl'>): Promise<CountingProxy> {
  const upstream = new URL(target.plainUrl);
  const agent = new Agent({ keepAlive: true });
  let counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const key = isDiscoveryPath(path) ? `${req.method} discovery` : `${req.method}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (e) => res.destroy(e));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
    },
    kubeconfigYaml: (standin) => standin.kubeconfigYaml({ server: url }),
    async stop() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
