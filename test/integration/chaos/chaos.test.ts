import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalControlPlane, startLocalControlPlane } from '../../../local/runtime/control-plane.js';
import { chaosKnobs, checkInvariants, runChaos } from '../../helpers/chaos.js';
import { shippedConfig } from '../../helpers/local.js';

/**
 * Chaos (docs/chaos.md): two regions, several hundred operations over every engine, while the
 * Kubernetes stand-ins fail, hang and drop requests, messages and stream batches are delivered
 * twice, and the provisioner is killed mid-batch. Then the invariants of DESIGN.md section 2.
 */
describe('Chaos: two regions under faults, duplicates and kills', () => {
  const knobs = chaosKnobs();
  let cp: LocalControlPlane;

  beforeAll(async () => {
    // The functions' logs (worker threads write to this process's stdout): SILENT unless asked.
    process.env.POWERTOOLS_LOG_LEVEL = process.env.CHAOS_LOG_LEVEL ?? 'SILENT';
    cp = await startLocalControlPlane({
      config: shippedConfig(),
      regions: ['eu-west-1', 'us-east-1'],
      readinessDelayMs: 200,
      pollBaseSeconds: 1,
      visibilityTimeoutSeconds: 3,
      scheduleIntervalMs: 5000,
      queueConcurrency: 3,
    });
    await cp.store.tenants.setQuotas(cp.tenantId, { maxClusters: 10_000, maxNodes: 100_000 });
  }, 120_000);
  afterAll(async () => cp?.stop(), 60_000);

  it(
    'keeps every invariant',
    async () => {
      const run = await runChaos(cp, knobs);
      const { problems, figures } = await checkInvariants(cp, run);
      console.log(`chaos figures:\n${JSON.stringify(figures, null, 2)}`);
      if (problems.length > 0) console.log(`chaos problems (${problems.length}):\n${problems.join('\n')}`);

      // ~3.2 operations per cluster: 300 or more with the default 50 clusters per region.
      expect(run.accepted.length).toBeGreaterThanOrEqual(Math.min(300, knobs.clustersPerRegion * 2 * 3));
      if (knobs.kills > 0) expect(run.kills).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    },
    knobs.chaosWindowMs + knobs.settleTimeoutMs + 60_000,
  );
});
