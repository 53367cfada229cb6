import { describe, expect, it } from 'vitest';
import { StreamTrigger, type StreamTriggerOptions } from '../../../local/runtime/stream-trigger.js';

// The stream trigger is the local Lambda event source mapping: its filters follow Lambda's filter
// rule syntax (Lambda Developer Guide, "Filter rule syntax"), not all of EventBridge's (issue #16).
function trigger(filters: StreamTriggerOptions['filters']) {
  return new StreamTrigger({
    name: 'test',
    client: {} as StreamTriggerOptions['client'],
    streamArn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/x',
    region: 'eu-west-1',
    filters,
    batchSize: 1,
    retryAttempts: 0,
    invoke: async () => undefined,
    onFailure: async () => {},
    checkpoints: {} as StreamTriggerOptions['checkpoints'],
    log: () => {},
  });
}

describe('Class: StreamTrigger filters', () => {
  it('refuses, as CreateEventSourceMapping does, an EventBridge-only operator', () => {
    expect(() => trigger([{ dynamodb: { NewImage: { id: { S: [{ wildcard: 'cl-*' }] } } } }])).toThrow(
      "Invalid filter pattern definition. Reason: wildcard is not in Lambda's filter rule syntax",
    );
  });

  it('accepts the filters of the topology', () => {
    expect(() =>
      trigger([
        { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['Operation'] } } } },
      ]),
    ).not.toThrow();
  });
});
