import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineNames } from '../../../functions/shared/engines/registry.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../../local/runtime/control-plane.js';
import { chaosKnobs, checkInvariants, injectedLine, missingChaos, runChaos } from '../../helpers/chaos.js';
import { sharedDynamoOption, shippedConfig } from '../../helpers/local.js';

/**
 * Chaos (docs/chaos.md): two regions, several hundred operations over every engine, while the
 * Kubernetes stand-ins fail, hang and drop requests, messages and stream batches are delivered
 * twice, and the provisioner is killed mid-batch. Then the invariants of DESIGN.md section 2.
 * Every fault draw comes from the seed: `CHAOS_SEED=<n>` replays a run's workload and faults.
 */
describe('Chaos: two regions under faults, duplicates and kills', () => {
  const knobs = chaosKnobs();
  const replay = `chaos seed ${knobs.seed}: replay with CHAOS_SEED=${knobs.seed}`;
  let cp: LocalControlPlane;

  beforeAll(async () => {
    console.log(replay);
    cp = await startLocalControlPlane({
      config: shippedConfig(),
      // The functions' logs (worker threads write to this process's stdout): SILENT unless asked.
      functionLogLevel: process.env.CHAOS_LOG_LEVEL ?? 'SILENT',
      regions: ['eu-west-1', 'us-east-1'],
      readinessDelayMs: 200,
      pollBaseSeconds: 1,
      // Longer than any step under load: in AWS the visibility timeout is 6x the function's
      // timeout, so a message never comes back while a delivery still works on it; at 3 s, slow
      // steps on a loaded machine came back mid-run, five times, into the DLQ (docs/chaos.md).
      visibilityTimeoutSeconds: 10,
      scheduleIntervalMs: 5000,
      queueConcurrency: 3,
      seed: knobs.seed,
      ...sharedDynamoOption(),
    });
    await cp.store.tenants.setQuotas(cp.tenantId, { maxClusters: 10_000, maxNodes: 100_000 });
    // Both regions enforce the raised quota before the workload starts (the tenant is homed in
    // the first region; the second sees the change after the replication lag).
    await cp.replication?.flush();
  }, 120_000);
  afterAll(async () => cp?.stop(), 60_000);

  it(
    'keeps every invariant',
    async () => {
      const run = await runChaos(cp, knobs);
      const { problems, figures } = await checkInvariants(cp, run);
      console.log(`chaos figures (${replay}):\n${JSON.stringify(figures, null, 2)}`);
      console.log(`chaos injected: ${injectedLine(run)}`);
      if (problems.length > 0) console.log(`chaos problems (${problems.length}):\n${problems.join('\n')}`);

      // Soft: a failed run reports every kind of failure at once.
      // The chaos happened: every fault whose knob is on was injected, in every region.
      expect.soft(missingChaos(run), `chaos that did not happen (${replay})`).toEqual([]);
      // The API never failed the workload: any 5xx (or request without a valid answer) is a bug.
      expect.soft(run.apiFailures, `5xx answers to the workload (${replay})`).toEqual([]);
      // ~3.2 operations per cluster: 144 or more with the default 24 clusters per region.
      expect
        .soft(run.accepted.length, `operations accepted (${replay})`)
        .toBeGreaterThanOrEqual(Math.min(300, knobs.clustersPerRegion * 2 * 3));
      expect.soft(problems, `invariant violations (${replay})`).toEqual([]);
      // The workload spreads over every registered engine, each created through the API.
      expect
        .soft(
          Object.keys((figures.clusters as { byEngine: object }).byEngine).sort(),
          `engines created (${replay})`,
        )
        .toEqual(engineNames());
    },
    // The window may be extended once (see runChaos), the settle bound counts from its end.
    // The checks may wait up to 90 s more for the poison messages to reach the DLQs.
    2 * knobs.chaosWindowMs + knobs.settleTimeoutMs + 150_000,
  );
});
