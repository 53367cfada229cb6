import { describe, expect, it } from 'vitest';
import { isPolling, linesOf } from '../../../bench/cost.js';
import { Tallies } from '../../../bench/counting-proxy.js';

describe('Function: linesOf', () => {
  it('sums the lines of an operation, leaving polling and per-item tallies out', () => {
    // Prepare
    const t = new Tallies();
    const at = { region: 'eu-west-1', detail: '' };
    t.add({ ...at, service: 'dynamodb', client: 'api', op: 'GetItem' }, { requests: 2, rru: 2 });
    t.add({ ...at, service: 'dynamodb', client: 'api', op: 'TransactWriteItems' }, { requests: 1, wru: 9 });
    t.add(
      { ...at, service: 'dynamodb', client: 'api', op: 'item', detail: 'TransactWriteItems put Cluster' },
      { wru: 3 },
    );
    t.add(
      { ...at, service: 'dynamodb', client: 'replicator', region: 'us-east-1', op: 'PutItem' },
      { wru: 4 },
    );
    t.add({ ...at, service: 'dynamodb', client: 'replicator', op: 'GetRecords' }, { requests: 50 });
    t.add(
      { ...at, service: 'sqs', client: 'triggers', op: 'ReceiveMessage', detail: 'empty' },
      { requests: 30 },
    );
    t.add(
      { ...at, service: 'sqs', client: 'triggers', op: 'ReceiveMessage', detail: 'messages' },
      { requests: 2 },
    );
    t.add({ ...at, service: 'lambda', client: 'api', op: 'invoke' }, { requests: 2, gbs: 0.5 });
    t.add(
      { ...at, service: 'eventbridge', client: 'statusPublisher', op: 'PutEvents' },
      { requests: 1, chunks: 4 },
    );
    t.add(
      { ...at, service: 'kubernetes', client: 'functions', op: 'apply', detail: 'services' },
      { requests: 6 },
    );

    // Act
    const lines = linesOf(t.snapshot(), 2);

    // Assess
    expect(lines).toEqual({
      rru: 1,
      wru: 4.5,
      rwru: 2,
      sqs: 1,
      invocations: 1,
      gbs: 0.25,
      events: 2,
      kube: 3,
    });
    expect(
      isPolling({ service: 'dynamodb', client: 'replicator', region: 'x', op: 'PutItem', detail: '' }),
    ).toBe(false);
  });
});
