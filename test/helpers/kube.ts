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

/** A KubeConfig for the stand-in built with loadFromOptions (no file, no real cluster). */
export function kubeConfigFor(
  standin: Pick<KubeStandin, 'url' | 'token'>,
  token = standin.token,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is explicitly skipped.
    clusters: [{ name: 'standin', server: standin.url, skipTLSVerify: true }],
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
