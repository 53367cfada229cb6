import 'aws-sdk-client-mock-vitest/extend';
import './cdk-matchers.js';
import { killChildren } from '../../local/runtime/children.js';

// vitest ends a worker with SIGTERM (after a timed-out hook left a start running, on Ctrl-C),
// whose default action skips 'exit' listeners: kill the runtime's child processes (DynamoDB
// Local's JVM) first, then die of the signal as before.
const installed = Symbol.for('stratus.test.sigterm');
const flags = globalThis as { [installed]?: boolean };
if (!flags[installed]) {
  flags[installed] = true;
  process.once('SIGTERM', () => {
    killChildren();
    process.kill(process.pid, 'SIGTERM');
  });
}
