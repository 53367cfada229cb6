/**
 * Function bundles: size of each function's bundle (lib/function-bundles.ts) and its module load
 * time (median of fresh processes, each importing the bundle once, as a Lambda cold start does
 * before the first invocation), next to their floors measured in the same run:
 *   - the Kubernetes functions against a bundle of `@kubernetes/client-node` alone (the parts
 *     Stratus imports), the floor of any function that talks to Kubernetes with that client;
 *   - every function against a bundle of the packages each one carries before its own code (the
 *     DynamoDB document client, zod, middy, Powertools Logger, Metrics and Tracer);
 *   - the API with the AWS SDK left out of the bundle (as if the Lambda runtime's SDK were used),
 *     and with `--enable-source-maps` (what the deployed functions set), to decide both.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, buildSync } from 'esbuild';
import { type EnvSource, FUNCTIONS, type FunctionId } from '../functions/topology.js';
import { functionBundles, REPO_ROOT } from '../lib/function-bundles.js';
import { type BenchRow, emitRows, row } from './report.js';
import { percentile } from './stats.js';

const RUNS = Number(process.env.BENCH_LOAD_RUNS ?? 10);

/** A plausible value for every environment variable a function reads at module scope. */
function dummyEnv(source: EnvSource): string {
  if ('value' in source) return source.value;
  switch (source.ref) {
    case 'table':
      return 'stratus-bench';
    case 'queueUrl':
      return 'https://sqs.eu-west-1.amazonaws.com/123456789012/stratus-bench-provisioning';
    case 'bus':
      return 'stratus-bench';
    case 'region':
      return 'eu-west-1';
    case 'regions':
      return 'eu-west-1,us-east-1';
    case 'apiUrls':
      return '{}';
    case 'corsOrigins':
      return '';
    case 'eksClusters':
      return JSON.stringify([{ name: 'bench', capacityNodes: 10, region: 'eu-west-1' }]);
    case 'endpointRegions':
    case 'tlsRegions':
      return '';
    case 'takeoverRoles':
      return '{}';
    case 'kubeAuth':
      return 'eks';
    case 'backupBucket':
      return 'stratus-bench-backups';
    case 'backupCopies':
      return '{}';
    case 'backupObjectLock':
      return '';
    case 'backupRole':
      return 'arn:aws:iam::123456789012:role/stratus-bench-eu-west-1-backup-pods';
    case 'pageTokenSecret':
      return 'stratus/bench/page-token-key';
  }
}

/** Median milliseconds to import `file` in a fresh Node process (process start not included). */
function loadMs(file: string, env: Record<string, string>, nodeArgs: string[] = []): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(
      process.execPath,
      [
        ...nodeArgs,
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); console.log(performance.now() - t);`,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          ...env,
        },
      },
    );
    samples.push(Number(out.trim().split('\n').at(-1)));
  }
  return percentile(
    samples.sort((a, b) => a - b),
    50,
  );
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (v: number) => `${v.toFixed(0)} ms`;

export function benchBundles(): { lines: string[]; rows: BenchRow[] } {
  const t0 = performance.now();
  const bundles = functionBundles();
  const buildMs = performance.now() - t0;
  const rows: BenchRow[] = [];
  const lines = [
    `function bundles (${bundles.built ? `built in ${ms(buildMs)}` : 'up to date, reused'}; load = median of ${RUNS} fresh processes)`,
  ];

  // Inside the repository, so that a bundle that leaves the SDK out finds it in node_modules.
  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  const scratch = mkdtempSync(join(REPO_ROOT, '.build', 'bench-bundles-'));
  try {
    // Floor: @kubernetes/client-node alone, the parts Stratus imports.
    writeFileSync(
      join(scratch, 'kube.mjs'),
      "import { ApiException, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';\nexport const used = [ApiException, KubeConfig, KubernetesObjectApi];\n",
    );
    const common: BuildOptions = {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      absWorkingDir: REPO_ROOT,
      logLevel: 'error',
    };
    buildSync({
      ...common,
      entryPoints: [join(scratch, 'kube.mjs')],
      outfile: join(scratch, 'kube.out.mjs'),
    });
    const kubeFile = join(scratch, 'kube.out.mjs');
    const kubeSize = statSync(kubeFile).size;
    // Floor of the api: what any function of this design carries before its own code (the
    // DynamoDB document client, zod, middy, Powertools Logger, Metrics and Tracer), so that the
    // api's figures read as a ratio to what the chosen packages cost.
    writeFileSync(
      join(scratch, 'base.mjs'),
      [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';",
        "import { Logger } from '@aws-lambda-powertools/logger';",
        "import { Metrics } from '@aws-lambda-powertools/metrics';",
        "import { Tracer } from '@aws-lambda-powertools/tracer';",
        "import middy from '@middy/core';",
        "import * as z from 'zod';",
        'const tracer = new Tracer();',
        'export const doc = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));',
        'export const used = [GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, new Logger(), new Metrics({ namespace: "x" }), middy, z.object({ a: z.string() })];',
        '',
      ].join('\n'),
    );
    buildSync({
      ...common,
      entryPoints: [join(scratch, 'base.mjs')],
      outfile: join(scratch, 'base.out.mjs'),
    });
    const baseFile = join(scratch, 'base.out.mjs');
    const baseSize = statSync(baseFile).size;
    const kubeLoad = loadMs(kubeFile, {});
    const baseLoad = loadMs(baseFile, {});
    lines.push(
      `  floor: @kubernetes/client-node alone  ${kb(kubeSize)}  load ${ms(kubeLoad)}`,
      `  floor: the packages every function carries (DynamoDB document client, zod, middy, Powertools Logger/Metrics/Tracer)  ${kb(baseSize)}  load ${ms(baseLoad)}`,
    );

    for (const [fnId, def] of Object.entries(FUNCTIONS) as Array<
      [FunctionId, (typeof FUNCTIONS)[FunctionId]]
    >) {
      const env = Object.fromEntries(Object.entries(def.environment).map(([k, s]) => [k, dummyEnv(s)]));
      const size = bundles.sizes[fnId] ?? 0;
      const load = loadMs(bundles.file(fnId), env);
      const kube = def.permissions.some((p) => p.startsWith('eks:'));
      const top = Object.entries(bundles.packages[fnId] ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(', ');
      const issue11 = { source: 'issue #11' };
      const floorKb = (kube ? kubeSize : baseSize) / 1024;
      const floorNote = kube
        ? 'floor: @kubernetes/client-node alone'
        : 'floor: the packages every function carries';
      rows.push(
        row({
          bench: 'bundles',
          name: `${fnId} bundle size`,
          figure: size / 1024,
          unit: 'KB',
          floor: floorKb,
          note: floorNote,
          ...(fnId === 'api'
            ? { goal: { max: 250, ...issue11 } }
            : fnId === 'provisioner' || fnId === 'reconciler'
              ? { goal: { ratio: 1.2, ...issue11 } }
              : {}),
        }),
        row({
          bench: 'bundles',
          name: `${fnId} module load`,
          figure: load,
          unit: 'ms',
          floor: kube ? kubeLoad : baseLoad,
          note: `median of ${RUNS} fresh processes; ${floorNote}`,
          ...(fnId === 'api' ? { goal: { max: 40, ...issue11 } } : {}),
        }),
      );
      lines.push(
        `  ${fnId.padEnd(16)} ${kb(size).padStart(8)}  load ${ms(load).padStart(6)}${
          kube
            ? `  (${(size / kubeSize).toFixed(2)}x size, ${(load / kubeLoad).toFixed(2)}x load of client-node; ${(size / (kubeSize + baseSize)).toFixed(2)}x size of client-node + the common packages)`
            : `  (${(size / baseSize).toFixed(2)}x size, ${(load / baseLoad).toFixed(2)}x load of the common packages)`
        }  largest: ${top}`,
      );
    }

    // The API's two decisions: the AWS SDK in the bundle or from the runtime; source maps on or off.
    const apiEnv = Object.fromEntries(
      Object.entries(FUNCTIONS.api.environment).map(([k, s]) => [k, dummyEnv(s as EnvSource)]),
    );
    const external = join(scratch, 'api-sdk-external.mjs');
    buildSync({
      ...common,
      entryPoints: [join(REPO_ROOT, FUNCTIONS.api.entry)],
      outfile: external,
      external: ['@aws-sdk/*', '@smithy/*'],
    });
    // The layer question (layers/README.md): the provisioner with @kubernetes/client-node and the
    // SDK left to a layer (node_modules, unbundled), and what the three Kubernetes functions upload.
    const provEnv = Object.fromEntries(
      Object.entries(FUNCTIONS.provisioner.environment).map(([k, s]) => [k, dummyEnv(s as EnvSource)]),
    );
    const layered = join(scratch, 'provisioner-layered.mjs');
    buildSync({
      ...common,
      entryPoints: [join(REPO_ROOT, FUNCTIONS.provisioner.entry)],
      outfile: layered,
      external: ['@aws-sdk/*', '@smithy/*', '@kubernetes/client-node'],
    });
    const kubeFns = (Object.keys(FUNCTIONS) as FunctionId[]).filter((f) =>
      (FUNCTIONS[f].permissions as readonly string[]).some((p) => p.startsWith('eks:')),
    );
    const zipped = (file: string) => gzipSync(readFileSync(file)).length;
    const bundledUpload = kubeFns.reduce((n, f) => n + zipped(bundles.file(f)), 0);
    lines.push(
      `  layer variant: provisioner without client-node and the SDK (from a layer's node_modules)  ${kb(statSync(layered).size)}  load ${ms(loadMs(layered, provEnv))}`,
      `  upload of the ${kubeFns.length} Kubernetes functions per region, gzipped: bundled ${kb(bundledUpload)}; with a layer, the functions ${kb(zipped(layered) * kubeFns.length)} + the layer once`,
    );
    lines.push(
      `  api, AWS SDK not bundled (loaded from node_modules, as from the runtime)  ${kb(statSync(external).size)}  load ${ms(loadMs(external, apiEnv))}`,
      `  api, with --enable-source-maps (as deployed)  load ${ms(loadMs(bundles.file('api'), apiEnv, ['--enable-source-maps']))}`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { lines, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, rows } = benchBundles();
  for (const line of lines) console.log(`  ${line}`);
  emitRows(rows);
}
