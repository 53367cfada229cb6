import type { TestProject } from 'vitest/node';
import { functionBundles } from '../../lib/function-bundles.js';
import { killChildren } from '../../local/runtime/children.js';
import { startDynamoLocal } from '../../local/runtime/dynamodb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * DynamoDB Local started once for the whole run (in memory, one database per access key and
     * region), that test runtimes and tables share with an access key of their own
     * (test/helpers/local.ts); '' where it could not start (each then starts its own).
     */
    sharedDynamoEndpoint: string;
  }
}

/**
 * Once per run, before any test file: the functions' bundles (lib/function-bundles.ts) that every
 * local runtime's execution environments load, so that test files started together do not each
 * build them; and one DynamoDB Local for every test runtime and table, rather than a JVM started
 * (and warmed up) by each of them: its start was half of a runtime's on 2 cores.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo] = await Promise.allSettled([
    startDynamoLocal({ sharedDb: false }),
    Promise.resolve(functionBundles()),
  ]);
  if (dynamo.status === 'rejected') {
    // Not fatal: each runtime then starts its own, and says why if that fails too.
    console.warn(`shared DynamoDB Local did not start (each test runtime starts its own): ${dynamo.reason}`);
  }
  project.provide('sharedDynamoEndpoint', dynamo.status === 'fulfilled' ? dynamo.value.endpoint : '');
  // The run ended by a signal rather than through the teardown: no JVM outlives it.
  const onSignal = (signal: NodeJS.Signals) => {
    killChildren();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (dynamo.status === 'fulfilled') await dynamo.value.stop();
  };
}
