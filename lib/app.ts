import { type App, Tags } from 'aws-cdk-lib';
import type { StratusConfig } from './config.js';
import { stratusNames } from './names.js';
import { StratusRegionStack } from './region-stack.js';

export interface StratusAppOptions {
  /**
   * Account to deploy to.
   *
   * @default - environment-agnostic account (resolved at deploy time from the credentials)
   */
  readonly account?: string;
}

/**
 * Adds one `StratusRegionStack` per configured region, `Stratus-<stage>-<region>`. The first
 * region's stack owns the global table; the others read their replica's stream, which exists
 * only once that stack is deployed, hence the dependency (deployment order, not a reference).
 */
export function addStratusStacks(
  app: App,
  config: StratusConfig,
  options: StratusAppOptions = {},
): StratusRegionStack[] {
  const stacks = config.regions.map(
    ({ region }) =>
      new StratusRegionStack(app, stratusNames(config.stage).stack(region), {
        env: { account: options.account, region },
        config,
        description: `Stratus control plane (${config.stage}) in ${region}`,
        // Termination protection: the stack holds the table (or its replica).
        terminationProtection: true,
      }),
  );
  const [primary, ...secondaries] = stacks;
  for (const stack of secondaries)
    if (primary) stack.addStackDependency(primary, 'the global table replica must exist');
  Tags.of(app).add('project', 'stratus');
  Tags.of(app).add('stratus:stage', config.stage);
  return stacks;
}
