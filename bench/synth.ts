/**
 * Synth time of a three-region app (bin/app.ts: every stack, cdk-nag), in a fresh process as
 * `cdk synth` runs it, with and without CDK's built-in CloudFormation validation (`cdk synth
 * --no-validation`), and with the function bundles up to date (the usual case) or rebuilt.
 * Floor: the same process importing aws-cdk-lib and cdk-nag and synthesizing an empty app.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BUNDLE_DIR, REPO_ROOT } from '../lib/function-bundles.js';
import { type BenchRow, emitRows, row } from './report.js';

const THREE_REGIONS = {
  stage: 'bench',
  regions: [
    { region: 'eu-west-1', eksClusters: [{ name: 'stratus-euw1-a' }] },
    { region: 'us-east-1', eksClusters: [{ name: 'stratus-use1-a' }] },
    { region: 'ap-southeast-2', eksClusters: [{ name: 'stratus-apse2-a' }] },
  ],
};

function timed(script: string[], env: Record<string, string>): number {
  const out = mkdtempSync(join(tmpdir(), 'stratus-bench-synth-'));
  try {
    const t = performance.now();
    execFileSync(process.execPath, ['--import', 'tsx', ...script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: JSON.stringify({ stratus: THREE_REGIONS }),
        ...env,
      },
    });
    return performance.now() - t;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function benchSynth(): { lines: string[]; rows: BenchRow[] } {
  const s = (v: number) => `${(v / 1000).toFixed(1)} s`;
  const floor = timed(
    [
      '-e',
      "const { App } = await import('aws-cdk-lib'); await import('cdk-nag'); new App().synth();",
      '--input-type=module',
    ],
    {},
  );
  // Bundles rebuilt: the first synth after a change to the functions.
  rmSync(join(DEFAULT_BUNDLE_DIR, 'current.json'), { force: true });
  const rebuilt = timed(['bin/app.ts'], { CDK_VALIDATION: 'false' });
  const noValidation = timed(['bin/app.ts'], { CDK_VALIDATION: 'false' });
  const withValidation = timed(['bin/app.ts'], { CDK_VALIDATION: 'true' });
  const synthRow = (name: string, ms: number, goal: boolean) =>
    row({
      bench: 'synth',
      name,
      figure: ms / 1000,
      unit: 's',
      floor: floor / 1000,
      note: 'floor: aws-cdk-lib + cdk-nag, empty app',
      ...(goal ? { goal: { max: 10, source: 'issue #11' } } : {}),
    });
  const rows = [
    synthRow('three regions, bundles up to date, --no-validation', noValidation, true),
    synthRow('three regions, with CloudFormation validation', withValidation, false),
    synthRow('three regions, bundles rebuilt', rebuilt, false),
  ];
  const lines = [
    `synth, three regions (bin/app.ts with cdk-nag, fresh process; floor: aws-cdk-lib + cdk-nag, empty app ${s(floor)})`,
    `  bundles up to date, --no-validation (what a developer runs)   ${s(noValidation)}`,
    `  bundles up to date, with CloudFormation validation (cdk's default, deploys and CI)   ${s(withValidation)}`,
    `  bundles rebuilt (after a change to the functions), --no-validation   ${s(rebuilt)}`,
  ];
  return { lines, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, rows } = benchSynth();
  for (const line of lines) console.log(`  ${line}`);
  emitRows(rows);
}
