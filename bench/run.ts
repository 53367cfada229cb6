/**
 * `npm run bench`: prints figures; never asserts (timing belongs here, not in unit tests).
 * Each benchmark runs in its own process: handlers read their configuration once, at load.
 */
import { execFileSync } from 'node:child_process';

const benches = [
  'bench/bundles.ts',
  'bench/synth.ts',
  'bench/api-handler.ts',
  'bench/local-latency.ts',
  'bench/api-overhead.ts',
  'bench/cost.ts',
].filter((b) => !process.argv[2] || b.includes(process.argv[2]));
console.log(`Stratus benchmarks (node ${process.version}, ${new Date().toISOString()})`);
for (const b of benches) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', b], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(out);
}
