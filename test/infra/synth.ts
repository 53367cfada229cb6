import { App } from 'aws-cdk-lib';
import { addStratusStacks } from '../../lib/app.js';
import { parseConfig, type StratusConfig } from '../../lib/config.js';
import type { StratusRegionStack } from '../../lib/region-stack.js';

/** A two-region config like cdk.json's, with a second EKS cluster in the primary region. */
export const TWO_REGIONS: StratusConfig = parseConfig({
  stage: 'test',
  regions: [
    {
      region: 'eu-west-1',
      eksClusters: [{ name: 'stratus-euw1-a' }, { name: 'stratus-euw1-b', capacityNodes: 50 }],
    },
    { region: 'us-east-1', eksClusters: [{ name: 'stratus-use1-a' }] },
  ],
});

/**
 * The app as bin/app.ts builds it. Its functions' code is the one build of every function
 * (lib/function-bundles.ts: built once per source change and reused from .build/functions/, by
 * test/helpers/global-setup.ts in a full run, else by the first test that needs it).
 */
export function buildApp(config: StratusConfig = TWO_REGIONS): { app: App; stacks: StratusRegionStack[] } {
  const app = new App();
  const stacks = addStratusStacks(app, config, { account: '123456789012' });
  return { app, stacks };
}
