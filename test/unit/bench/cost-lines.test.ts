import { describe, expect, it } from 'vitest';
import { cpuGbs, isPolling, linesOf } from '../../../bench/cost.js';
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

  it("takes the time the meter added to a function's DynamoDB requests off its GB-s, at the function's memory", () => {
    // Prepare: the API (1024 MB) ran 500 ms, of which the proxy's own reads held its requests 200 ms.
    const t = new Tallies();
    const at = { region: 'eu-west-1', detail: '' };
    t.add({ ...at, service: 'lambda', client: 'api', op: 'invoke' }, { requests: 1, gbs: 0.5 });
    t.add(
      { ...at, service: 'dynamodb', client: 'api', op: 'PutItem' },
      { requests: 2, wru: 2, meterMs: 150 },
    );
    t.add({ ...at, service: 'dynamodb', client: 'api', op: 'GetItem' }, { requests: 1, rru: 1, meterMs: 50 });
    // The replicator is no function: its requests bill no GB-s.
    t.add(
      { ...at, service: 'dynamodb', client: 'replicator', region: 'us-east-1', op: 'PutItem' },
      { wru: 1, meterMs: 1_000 },
    );

    // Act
    const lines = linesOf(t.snapshot(), 1);

    // Assess
    expect(lines.gbs).toBeCloseTo(0.5 - (1024 / 1024) * 0.2, 10);
  });
});

describe('Function: cpuGbs', () => {
  it("bills a CPU-second at Lambda's CPU share: the same below 1,769 MB whatever the memory, more above", () => {
    // Act / Assess: 1,769 MB is one vCPU; 512 MB gets 512/1769 of it, so the second stretches.
    expect(cpuGbs(512, 1000)).toBeCloseTo(1769 / 1024, 10);
    expect(cpuGbs(1024, 1000)).toBeCloseTo(1769 / 1024, 10);
    expect(cpuGbs(3538, 1000)).toBeCloseTo(3538 / 1024, 10);
    expect(cpuGbs(256, 0)).toBe(0);
  });
});
