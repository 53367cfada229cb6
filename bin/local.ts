#!/usr/bin/env node
/**
 * `npm start`: the whole control plane locally (see README, "Run it locally").
 * Entry point only: argument parsing and signals; the runtime lives in local/runtime.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from '../lib/config.js';
import { startLocalControlPlane } from '../local/runtime/control-plane.js';
import { startLocalRuntime } from '../local/runtime/runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.STRATUS_API_PORT ?? '4000' },
    region: { type: 'string' },
    regions: { type: 'string' },
    data: { type: 'string', default: '.stratus' },
    kubeconfig: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--port 4000] [--region eu-west-1] [--data .stratus] [--kubeconfig ~/.kube/config]
       npm start -- --regions eu-west-1,us-east-1 [--port 4000] [--data .stratus]

Starts DynamoDB Local, an SQS emulator (fauxqs), the local EventBridge bus, a Kubernetes API
stand-in (or uses --kubeconfig / $STRATUS_KUBECONFIG for a real cluster) and the HTTP API, all wired
from functions/topology.ts. State is kept in --data so a restart keeps your clusters.

The web console is served at <API URL>/console/. STRATUS_CORS_ORIGINS (comma-separated) adds
origins whose pages may call the API (CORS), beside the console's own.

--regions runs several regions side by side (one table, as a global table; per region its own
queues, bus, Kubernetes stand-in, API on consecutive ports from --port, and functions in worker
threads with that region's environment).`);
  process.exit(0);
}

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: { stratus?: unknown } };
const config = parseConfig(cdkJson.context?.stratus);
const started = Date.now();
const kubeconfig = values.kubeconfig ?? process.env.STRATUS_KUBECONFIG;

// The console's page may also be served from elsewhere (a dev server): its origins, comma-separated.
const corsOrigins = (process.env.STRATUS_CORS_ORIGINS ?? '')
  .split(',')
  .map((o) => o.trim())
  .filter(Boolean);

const regions = values.regions
  ?.split(',')
  .map((r) => r.trim())
  .filter(Boolean);
// Until it is up, a signal ends the process at once, through process.exit: its 'exit' listener
// kills DynamoDB Local's JVM (its own process group, so Ctrl-C in the terminal does not reach it),
// which a signal's default action would leave running. SIGHUP: the terminal was closed.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const exitNow = () => process.exit(130);
for (const signal of SIGNALS) process.once(signal, exitNow);
const runtime = regions && regions.length > 0 ? await startRegions(regions) : await startOneRegion();
for (const signal of SIGNALS) process.off(signal, exitNow);

async function startRegions(names: string[]) {
  if (kubeconfig) {
    console.error('stratus: --kubeconfig applies to one region; with --regions every region uses a stand-in');
    process.exit(2);
  }
  const plane = await startLocalControlPlane({
    config,
    regions: names,
    dataDir: values.data,
    apiPort: Number(values.port),
    console: true,
    corsOrigins,
    print: (line) => console.log(line),
  }).catch((e: Error) => {
    console.error(`stratus: could not start: ${e.message}`);
    process.exit(1);
  });
  console.log(`
Stratus control plane (local, regions ${names.join(', ')}) ready in ${Date.now() - started} ms
${plane.regions.map((r) => `  API ${r.region.padEnd(14)} ${r.apiUrl}   (Kube stand-in ${r.kube?.url})`).join('\n')}
  Console  ${plane.regions[0]?.apiUrl}/console/  (sign in with the API key below; switch regions at the top)
  API key  ${plane.apiKey}  (admin, expires ${plane.apiKeyExpiresAt}; create your own keys with it)
  State    ${values.data}/ (local.json has the API URLs and key)
  Logs     ${plane.functionsLog} (every function's log lines, JSON)

  export API=${plane.regions[0]?.apiUrl} KEY=$(node -p "require('./${values.data}/local.json').apiKey")
Events on every region's bus are printed below. Ctrl-C stops everything.
`);
  return plane;
}

async function startOneRegion() {
  const runtime = await startLocalRuntime({
    config,
    dataDir: values.data,
    apiPort: Number(values.port),
    ...(values.region ? { region: values.region } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    console: true,
    corsOrigins,
    print: (line) => console.log(line),
  }).catch((e: Error) => {
    console.error(`stratus: could not start: ${e.message}`);
    process.exit(1);
  });

  console.log(`
Stratus control plane (local, region ${runtime.region}) ready in ${Date.now() - started} ms
  API      ${runtime.apiUrl}
  Console  ${runtime.apiUrl}/console/  (sign in with the API key below)
  API key  ${runtime.apiKey}  (admin, expires ${runtime.apiKeyExpiresAt}; create your own keys with it)
  Kube     ${runtime.kube ? `stand-in at ${runtime.kube.url}  (kubectl --kubeconfig ${values.data}/kubeconfig get all -A)` : `kubeconfig ${kubeconfig}`}
  State    ${values.data}/ (local.json has the API URL and key)
  Logs     ${runtime.plane.functionsLog} (every function's log lines, JSON)

  export API=${runtime.apiUrl} KEY=$(node -p "require('./${values.data}/local.json').apiKey")
Events on the bus are printed below. Ctrl-C stops everything.
`);
  return runtime;
}

let stopping = false;
for (const signal of SIGNALS) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nstopping...');
    runtime.stop().then(
      () => process.exit(0),
      (e: Error) => {
        console.error(e.message);
        process.exit(1);
      },
    );
  });
}
