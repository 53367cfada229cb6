/**
 * The Kubernetes stand-in in a process of its own, for `bench/reconciler-scale.ts --standin-process`
 * (so that its CPU is not the reconciler's, as a real API server's is not): serves the snapshot
 * file given as its argument, prints `{ url, plainUrl, token, caCert }` as one JSON line on stdout, and stops
 * when its standard input closes (the parent exited or ended it).
 */
import { startKubeStandin } from '../local/kube-standin/server.js';

const dataFile = process.argv[2];
if (!dataFile) throw new Error('usage: standin-child.ts <snapshot file>');
const standin = await startKubeStandin({ readinessDelayMs: 0, dataFile });
const { url, plainUrl, token, caCert } = standin;
process.stdout.write(`${JSON.stringify({ url, plainUrl, token, caCert })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void standin.stop().then(() => process.exit(0));
});
