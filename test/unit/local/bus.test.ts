import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelReplayCommand,
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListReplaysCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BusEvent, formatEventLine, type LocalBus, startLocalBus } from '../../../local/events/bus.js';
import { InvalidEventPatternError } from '../../../local/events/pattern.js';

const started: LocalBus[] = [];
const tempDirs: string[] = [];

async function startBus(options: Parameters<typeof startLocalBus>[0] = {}) {
  const bus = await startLocalBus(options);
  started.push(bus);
  const client = new EventBridgeClient({
    endpoint: bus.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  return { bus, client };
}

function entry(overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    Source: 'stratus.clusters',
    DetailType: 'Cluster Status Changed',
    Detail: JSON.stringify({ clusterId: 'c-1', previousStatus: 'PENDING', status: 'PROVISIONING' }),
    ...overrides,
  };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((bus) => bus.stop()));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Function: startLocalBus', () => {
  describe('Method: PutEvents (over HTTP, real EventBridgeClient)', () => {
    it('accepts events and stores them in the EventBridge envelope', async () => {
      // Prepare
      const { bus, client } = await startBus({ account: '123456789012' });

      // Act
      const result = await client.send(
        new PutEventsCommand({
          Entries: [entry({ Time: new Date('2024-05-06T07:08:09.123Z'), Resources: ['arn:x'] }), entry()],
        }),
      );

      // Assess
      expect(result.FailedEntryCount).toBe(0);
      expect(result.Entries).toHaveLength(2);
      const events = bus.events();
      expect(events.map((event) => event.id)).toEqual(result.Entries?.map((item) => item.EventId));
      expect(events[0]).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'Cluster Status Changed',
        source: 'stratus.clusters',
        account: '123456789012',
        time: '2024-05-06T07:08:09Z',
        region: 'eu-west-1',
        resources: ['arn:x'],
        detail: { clusterId: 'c-1', previousStatus: 'PENDING', status: 'PROVISIONING' },
      });
      expect(events[1]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(events[1]?.resources).toEqual([]);
    });

    it('takes the region from the SigV4 credential scope', async () => {
      // Prepare
      const { bus } = await startBus();
      const client = new EventBridgeClient({
        endpoint: bus.url,
        region: 'ap-southeast-2',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });

      // Act
      await client.send(new PutEventsCommand({ Entries: [entry()] }));

      // Assess
      expect(bus.events()[0]?.region).toBe('ap-southeast-2');
    });

    it('reports per-entry failures and accepts the valid entries', async () => {
      // Prepare
      const { bus, client } = await startBus();

      // Act
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            entry({ Source: undefined }),
            entry({ DetailType: undefined }),
            entry({ Detail: undefined }),
            entry({ Detail: '{not json' }),
            entry({ Detail: '["an", "array"]' }),
            entry({ Detail: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) }),
            entry({ Source: 'aws.ec2' }),
            entry(),
          ],
        }),
      );

      // Assess
      expect(result.FailedEntryCount).toBe(7);
      expect(result.Entries?.map((item) => item.ErrorCode ?? 'OK')).toEqual([
        'InvalidArgument',
        'InvalidArgument',
        'InvalidArgument',
        'MalformedDetail',
        'MalformedDetail',
        'InvalidArgument',
        'NotAuthorizedForSourceException',
        'OK',
      ]);
      expect(result.Entries?.[0]?.ErrorMessage).toContain('Source is a required argument');
      expect(result.Entries?.[1]?.ErrorMessage).toContain('DetailType is a required argument');
      expect(result.Entries?.[2]?.ErrorMessage).toContain('Detail is a required argument');
      expect(result.Entries?.[5]?.ErrorMessage).toContain('over the 256 KB limit');
      expect(result.Entries?.[7]?.EventId).toBeDefined();
      expect(bus.events()).toHaveLength(1);
    });

    it('rejects a request of 11 entries with a ValidationException and accepts none', async () => {
      // Prepare
      const { bus, client } = await startBus();

      // Act
      const sending = client.send(
        new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }),
      );

      // Assess
      await expect(sending).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('less than or equal to 10'),
        $metadata: { httpStatusCode: 400 },
      });
      expect(bus.events()).toHaveLength(0);
    });

    it('fails entries for an unknown bus, by name or ARN, and routes known buses', async () => {
      // Prepare
      const { bus, client } = await startBus({ busNames: ['default', 'stratus'] });

      // Act
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            entry({ EventBusName: 'nope' }),
            entry({ EventBusName: 'arn:aws:events:eu-west-1:000000000000:event-bus/nope' }),
            entry({ EventBusName: 'arn:aws:events:eu-west-1:000000000000:event-bus/stratus' }),
            entry({ EventBusName: 'stratus' }),
            entry(),
          ],
        }),
      );

      // Assess
      expect(result.FailedEntryCount).toBe(2);
      expect(result.Entries?.[0]).toMatchObject({
        ErrorCode: 'InvalidArgument',
        ErrorMessage: expect.stringContaining('Event bus nope does not exist'),
      });
      expect(bus.events('stratus')).toHaveLength(2);
      expect(bus.events('default')).toHaveLength(1);
      expect(bus.events()).toHaveLength(3);
    });

    it('answers other operations with UnknownOperationException like AWS', async () => {
      // Prepare
      const { bus } = await startBus();

      // Act
      const response = await fetch(bus.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutRule' },
        body: '{}',
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    });

    it('answers a body that is not JSON with SerializationException', async () => {
      // Prepare
      const { bus } = await startBus();

      // Act
      const response = await fetch(bus.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
        body: '{oops',
      });

      // Assess
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
    });
  });

  describe('Method: subscribe', () => {
    it('delivers matching events to the target, in order, on its bus only', async () => {
      // Prepare
      const { bus, client } = await startBus({ busNames: ['default', 'other'] });
      const received: BusEvent[] = [];
      bus.subscribe({
        pattern: { source: ['stratus.clusters'], detail: { status: [{ 'anything-but': 'DELETED' }] } },
        target: (event) => {
          received.push(event);
        },
      });

      // Act
      await client.send(
        new PutEventsCommand({
          Entries: [
            entry({ Detail: JSON.stringify({ clusterId: 'c-1', status: 'PENDING' }) }),
            entry({ Detail: JSON.stringify({ clusterId: 'c-2', status: 'DELETED' }) }),
            entry({ Source: 'stratus.other' }),
            entry({ EventBusName: 'other' }),
            entry({ Detail: JSON.stringify({ clusterId: 'c-3', status: 'READY' }) }),
          ],
        }),
      );
      await bus.waitFor({ detail: { clusterId: ['c-3'] } });
      await vi.waitFor(() => expect(received).toHaveLength(2));

      // Assess
      expect(received.map((event) => event.detail.clusterId)).toEqual(['c-1', 'c-3']);
    });

    it('stops delivering after unsubscribing', async () => {
      // Prepare
      const { bus, client } = await startBus();
      const target = vi.fn();
      const unsubscribe = bus.subscribe({ pattern: {}, target });
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      await vi.waitFor(() => expect(target).toHaveBeenCalledTimes(1));

      // Act
      unsubscribe();
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      await bus.stop();

      // Assess
      expect(target).toHaveBeenCalledTimes(1);
    });

    it('catches target errors, reports them and keeps serving', async () => {
      // Prepare
      const onTargetError = vi.fn();
      const { bus, client } = await startBus({ onTargetError });
      bus.subscribe({
        pattern: {},
        target: async () => {
          throw new Error('target down');
        },
      });
      const healthy = vi.fn();
      bus.subscribe({ pattern: {}, target: healthy });

      // Act
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      const second = await client.send(new PutEventsCommand({ Entries: [entry()] }));
      await vi.waitFor(() => expect(bus.targetErrors()).toHaveLength(2));

      // Assess
      expect(second.FailedEntryCount).toBe(0);
      expect(onTargetError).toHaveBeenCalledWith(
        expect.objectContaining({
          busName: 'default',
          error: expect.objectContaining({ message: 'target down' }),
        }),
      );
      await vi.waitFor(() => expect(healthy).toHaveBeenCalledTimes(2));
    });

    it('gives each target its own copy of the event', async () => {
      // Prepare
      const { bus, client } = await startBus();
      bus.subscribe({
        pattern: {},
        target: (event) => {
          event.detail.clusterId = 'mutated';
        },
      });
      const seen = vi.fn();
      bus.subscribe({ pattern: {}, target: (event) => seen(event.detail.clusterId) });

      // Act
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      await bus.stop();

      // Assess
      expect(seen).toHaveBeenCalledWith('c-1');
      expect(bus.events()[0]?.detail.clusterId).toBe('c-1');
    });

    it('rejects an invalid pattern and an unknown bus', async () => {
      // Prepare
      const { bus } = await startBus();

      // Act & Assess
      expect(() => bus.subscribe({ pattern: { source: 'x' }, target: () => {} })).toThrow(
        InvalidEventPatternError,
      );
      expect(() => bus.subscribe({ busName: 'nope', pattern: {}, target: () => {} })).toThrow(
        'Event bus "nope" does not exist',
      );
    });
  });

  // EventBridge User Guide, "Archiving and replaying events" and "Replaying archived events";
  // API Reference: CreateArchive, StartReplay, DescribeReplay.
  describe('Archives and replays', () => {
    it('archives the matching events and replays a time range to every rule, with replay-name', async () => {
      // Prepare
      const { bus, client } = await startBus({ busNames: ['stratus'] });
      bus.createArchive({ name: 'all', busName: 'stratus', pattern: { source: ['stratus.clusters'] } });
      const seen: BusEvent[] = [];
      bus.subscribe({
        busName: 'stratus',
        pattern: { source: ['stratus.clusters'] },
        target: (e) => void seen.push(e),
      });
      const t0 = Date.UTC(2024, 0, 1, 0, 0, 0) / 1000;
      await client.send(
        new PutEventsCommand({
          Entries: [
            entry({ EventBusName: 'stratus', Time: new Date(t0 * 1000) }),
            entry({ EventBusName: 'stratus', Time: new Date((t0 + 60) * 1000) }),
            entry({ EventBusName: 'stratus', Time: new Date((t0 + 120) * 1000) }),
            entry({ EventBusName: 'stratus', Source: 'other.source' }),
          ],
        }),
      );
      await vi.waitFor(() => expect(seen).toHaveLength(3));

      // Act: replay [t0, t0 + 120 s): the first two events
      await bus.startReplay({
        replayName: 'r1',
        archiveName: 'all',
        eventStartTime: new Date(t0 * 1000),
        eventEndTime: new Date((t0 + 120) * 1000),
      });
      const state = await bus.replayFinished('r1');

      // Assess
      expect(bus.archivedEvents('all')).toHaveLength(3);
      expect(state).toMatchObject({ state: 'COMPLETED', eventCount: 2 });
      expect(seen).toHaveLength(5);
      const replayed = seen.slice(3);
      expect(replayed.map((e) => e['replay-name'])).toEqual(['r1', 'r1']);
      expect(replayed.map((e) => e.id)).toEqual(seen.slice(0, 2).map((e) => e.id));
      // Replayed events are not archived again, and the original events carry no replay-name.
      expect(bus.archivedEvents('all')).toHaveLength(3);
      expect(seen[0]).not.toHaveProperty('replay-name');
    });

    it('replays only to the rules named, and a rule can exclude replays with replay-name exists false', async () => {
      // Prepare
      const { bus, client } = await startBus();
      bus.createArchive({ name: 'a' });
      const named: BusEvent[] = [];
      const live: BusEvent[] = [];
      const other: BusEvent[] = [];
      bus.subscribe({
        name: 'repair',
        pattern: { source: ['stratus.clusters'] },
        target: (e) => void named.push(e),
      });
      bus.subscribe({
        name: 'live-only',
        pattern: { source: ['stratus.clusters'], 'replay-name': [{ exists: false }] },
        target: (e) => void live.push(e),
      });
      bus.subscribe({
        name: 'audit',
        pattern: { source: ['stratus.clusters'] },
        target: (e) => void other.push(e),
      });
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      await vi.waitFor(() => expect(other).toHaveLength(1));

      // Act
      await bus.startReplay({
        replayName: 'to-repair',
        archiveName: 'a',
        eventStartTime: new Date(Date.now() - 60_000),
        eventEndTime: new Date(),
        ruleNames: ['repair', 'live-only'],
      });
      await bus.replayFinished('to-repair');

      // Assess
      expect(named.map((e) => e['replay-name'])).toEqual([undefined, 'to-repair']);
      expect(live).toHaveLength(1);
      expect(other).toHaveLength(1);
    });

    it('refuses a second replay of the same name, an unknown archive and a range ending in the future', async () => {
      const { bus } = await startBus();
      bus.createArchive({ name: 'a' });
      const range = {
        eventStartTime: new Date(Date.now() - 60_000),
        eventEndTime: new Date(Date.now() - 1000),
      };
      await bus.startReplay({ replayName: 'once', archiveName: 'a', ...range });

      await expect(bus.startReplay({ replayName: 'once', archiveName: 'a', ...range })).rejects.toMatchObject(
        {
          type: 'ResourceAlreadyExistsException',
        },
      );
      await expect(bus.startReplay({ replayName: 'x', archiveName: 'nope', ...range })).rejects.toMatchObject(
        {
          type: 'ResourceNotFoundException',
        },
      );
      await expect(
        bus.startReplay({
          replayName: 'y',
          archiveName: 'a',
          eventStartTime: new Date(),
          eventEndTime: new Date(Date.now() + 60_000),
        }),
      ).rejects.toMatchObject({ type: 'ValidationException' });
      expect(() => bus.createArchive({ name: 'a' })).toThrow(/already exists/);
      expect(() => bus.createArchive({ name: 'bad', pattern: { source: [] } })).toThrow(
        'Event pattern is not valid. Reason: Empty arrays are not allowed',
      );
    });

    it('serves CreateArchive, DescribeArchive, StartReplay and DescribeReplay to the real SDK client', async () => {
      // Prepare
      const { bus, client } = await startBus({ busNames: ['stratus'] });
      const busArn = 'arn:aws:events:eu-west-1:000000000000:event-bus/stratus';
      const created = await client.send(
        new CreateArchiveCommand({
          ArchiveName: 'stratus-archive',
          EventSourceArn: busArn,
          EventPattern: JSON.stringify({ account: ['000000000000'] }),
          RetentionDays: 30,
        }),
      );
      const seen: BusEvent[] = [];
      bus.subscribe({
        busName: 'stratus',
        pattern: { source: ['stratus.clusters'] },
        target: (e) => void seen.push(e),
      });
      const now = Date.now();
      await client.send(
        new PutEventsCommand({ Entries: [entry({ EventBusName: 'stratus', Time: new Date(now - 10_000) })] }),
      );
      await vi.waitFor(() => expect(seen).toHaveLength(1));

      // Act
      const described = await client.send(new DescribeArchiveCommand({ ArchiveName: 'stratus-archive' }));
      const startedReplay = await client.send(
        new StartReplayCommand({
          ReplayName: 'wire',
          EventSourceArn: created.ArchiveArn,
          EventStartTime: new Date(now - 20_000),
          EventEndTime: new Date(now - 1000),
          Destination: { Arn: busArn },
        }),
      );
      await bus.replayFinished('wire');
      const replay = await client.send(new DescribeReplayCommand({ ReplayName: 'wire' }));

      // Assess
      expect(created.ArchiveArn).toBe('arn:aws:events:eu-west-1:000000000000:archive/stratus-archive');
      expect(described).toMatchObject({ EventCount: 1, RetentionDays: 30, State: 'ENABLED' });
      expect(startedReplay.State).toBe('STARTING');
      expect(replay).toMatchObject({ State: 'COMPLETED', Destination: { Arn: busArn } });
      expect(seen.map((e) => e['replay-name'])).toEqual([undefined, 'wire']);
    });

    // API Reference, StartReplay: "replays them using 1 minute intervals", from the first minute
    // of the range; DescribeReplay's EventLastReplayedTime tells the progress.
    it('replays minute by minute of event time, in event-time order with the original times: STARTING, RUNNING, COMPLETED', async () => {
      // Prepare: each minute of event time takes 400 ms here (a state lasts long enough to be seen).
      const { bus, client } = await startBus({ replayMinuteMs: 400 });
      bus.createArchive({ name: 'a' });
      const seen: BusEvent[] = [];
      bus.subscribe({ pattern: { source: ['stratus.clusters'] }, target: (e) => void seen.push(e) });
      const t0 = Date.UTC(2024, 0, 1, 0, 0, 0);
      // Arrival order differs from event-time order.
      await client.send(
        new PutEventsCommand({
          Entries: [
            entry({ Time: new Date(t0 + 90_000), Detail: '{"n":3}' }),
            entry({ Time: new Date(t0 + 30_000), Detail: '{"n":2}' }),
            entry({ Time: new Date(t0 + 10_000), Detail: '{"n":1}' }),
          ],
        }),
      );
      await vi.waitFor(() => expect(seen).toHaveLength(3));
      const states: string[] = [];

      // Act
      const first = await bus.startReplay({
        replayName: 'paced',
        archiveName: 'a',
        eventStartTime: new Date(t0),
        eventEndTime: new Date(t0 + 180_000),
      });
      states.push(first.state);
      const poll = setInterval(() => states.push(bus.describeReplay('paced').state), 20);
      const firstMinute = await vi.waitFor(
        () => {
          const state = bus.describeReplay('paced');
          expect(state.state).toBe('RUNNING');
          return state;
        },
        { timeout: 3000, interval: 20 },
      );
      const done = await bus.replayFinished('paced').finally(() => clearInterval(poll));
      states.push(bus.describeReplay('paced').state);

      // Assess
      expect(first).toMatchObject({ state: 'STARTING', eventCount: 0, replayEndTime: undefined });
      // The first minute [t0, t0 + 60 s) holds the events at 10 s and 30 s.
      expect(firstMinute).toMatchObject({ eventCount: 2, eventLastReplayedTime: new Date(t0 + 30_000) });
      expect(done).toMatchObject({
        state: 'COMPLETED',
        eventCount: 3,
        eventLastReplayedTime: new Date(t0 + 90_000),
      });
      expect(done.replayEndTime?.getTime()).toBeGreaterThanOrEqual(done.replayStartTime.getTime());
      // The states seen, in order, each once: never back to an earlier one.
      expect(states.filter((s, i) => s !== states[i - 1])).toEqual(['STARTING', 'RUNNING', 'COMPLETED']);
      const replayed = seen.slice(3);
      expect(replayed.map((e) => (e.detail as { n: number }).n)).toEqual([1, 2, 3]);
      expect(replayed.map((e) => e.time)).toEqual([
        new Date(t0 + 10_000).toISOString().replace('.000Z', 'Z'),
        new Date(t0 + 30_000).toISOString().replace('.000Z', 'Z'),
        new Date(t0 + 90_000).toISOString().replace('.000Z', 'Z'),
      ]);
    });

    it('cancels a running replay over the wire (CANCELLING, then CANCELLED), refuses to cancel it twice, and lists it', async () => {
      // Prepare: a replay of 10 minutes of event time at 100 ms a minute.
      const { bus, client } = await startBus({ busNames: ['stratus'], replayMinuteMs: 100 });
      const busArn = 'arn:aws:events:eu-west-1:000000000000:event-bus/stratus';
      const archive = await client.send(
        new CreateArchiveCommand({ ArchiveName: 'a', EventSourceArn: busArn }),
      );
      const end = Date.now() - 1000;
      await client.send(
        new StartReplayCommand({
          ReplayName: 'long',
          EventSourceArn: archive.ArchiveArn,
          EventStartTime: new Date(end - 600_000),
          EventEndTime: new Date(end),
          Destination: { Arn: busArn },
        }),
      );

      // Act
      const cancelled = await client.send(new CancelReplayCommand({ ReplayName: 'long' }));
      const finished = await bus.replayFinished('long');
      const again = await client.send(new CancelReplayCommand({ ReplayName: 'long' })).catch((e: Error) => e);
      const listed = await client.send(new ListReplaysCommand({ NamePrefix: 'lo' }));
      const missing = await client
        .send(new CancelReplayCommand({ ReplayName: 'none' }))
        .catch((e: Error) => e);

      // Assess
      expect(cancelled).toMatchObject({
        State: 'CANCELLING',
        ReplayArn: 'arn:aws:events:eu-west-1:000000000000:replay/long',
      });
      expect(finished.state).toBe('CANCELLED');
      expect(finished.replayEndTime).toBeInstanceOf(Date);
      expect(again).toMatchObject({ name: 'IllegalStatusException' });
      expect(listed.Replays?.map((r) => [r.ReplayName, r.State])).toEqual([['long', 'CANCELLED']]);
      expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
    });

    it('runs at most 10 replays at once (LimitExceededException)', async () => {
      // Prepare
      const { bus } = await startBus({ replayMinuteMs: 1000 });
      bus.createArchive({ name: 'a' });
      const range = {
        eventStartTime: new Date(Date.now() - 600_000),
        eventEndTime: new Date(Date.now() - 1000),
      };
      for (let i = 0; i < 10; i++) await bus.startReplay({ replayName: `r${i}`, archiveName: 'a', ...range });

      // Act
      const eleventh = bus.startReplay({ replayName: 'r10', archiveName: 'a', ...range });

      // Assess
      await expect(eleventh).rejects.toMatchObject({ type: 'LimitExceededException' });
      bus.cancelReplay('r0');
      await bus.replayFinished('r0');
      await expect(bus.startReplay({ replayName: 'r11', archiveName: 'a', ...range })).resolves.toMatchObject(
        {
          state: 'STARTING',
        },
      );
      for (let i = 1; i < 10; i++) bus.cancelReplay(`r${i}`);
      bus.cancelReplay('r11');
    });
  });

  describe('Method: waitFor', () => {
    it('counts events that arrived before the call and resolves when enough arrive', async () => {
      // Prepare
      const { bus, client } = await startBus();
      await client.send(new PutEventsCommand({ Entries: [entry()] }));

      // Act
      const waiting = bus.waitFor({ detail: { status: ['PROVISIONING'] } }, { count: 3 });
      await client.send(
        new PutEventsCommand({
          Entries: [entry(), entry({ Detail: JSON.stringify({ status: 'READY' }) }), entry()],
        }),
      );

      // Assess
      const events = await waiting;
      expect(events).toHaveLength(3);
      expect(events.map((event) => event.id)).toEqual(
        bus
          .events()
          .filter((event) => event.detail.status === 'PROVISIONING')
          .map((event) => event.id),
      );
    });

    it('rejects on timeout with a message saying what was seen', async () => {
      // Prepare
      const { bus, client } = await startBus();
      await client.send(new PutEventsCommand({ Entries: [entry()] }));

      // Act
      const waiting = bus.waitFor({ detail: { status: ['READY'] } }, { timeoutMs: 50, count: 2 });

      // Assess
      await expect(waiting).rejects.toThrow(
        /^waitFor timed out after 50 ms: 0 of 2 event\(s\) matching \{"detail":\{"status":\["READY"\]\}\} on any bus; 1 event\(s\) accepted there, the last ones:\n {2}\S+ default stratus\.clusters Cluster Status Changed clusterId=c-1 PENDING -> PROVISIONING$/,
      );
    });

    it('rejects pending waits when the bus stops', async () => {
      // Prepare
      const { bus } = await startBus();
      const waiting = bus.waitFor({}, { timeoutMs: 10_000 });

      // Act
      await bus.stop();

      // Assess
      await expect(waiting).rejects.toThrow('stopped');
    });
  });

  describe('Option: logFile', () => {
    it('appends each accepted event as one JSON line, creating folders', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'stratus-bus-'));
      tempDirs.push(dir);
      const logFile = join(dir, 'nested', 'deeper', 'events.jsonl');
      const { bus, client } = await startBus({ logFile });

      // Act
      await client.send(new PutEventsCommand({ Entries: [entry(), entry({ Source: undefined }), entry()] }));

      // Assess
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines.map((line) => JSON.parse(line))).toEqual(bus.events());
    });
  });

  describe('Option: print', () => {
    it('prints one line per accepted event', async () => {
      // Prepare
      const print = vi.fn();
      const { client } = await startBus({ print });

      // Act
      await client.send(
        new PutEventsCommand({
          Entries: [entry({ Time: new Date('2024-05-06T07:08:09Z') }), entry({ Detail: '[]' })],
        }),
      );

      // Assess
      expect(print).toHaveBeenCalledTimes(1);
      expect(print).toHaveBeenCalledWith(
        '2024-05-06T07:08:09Z default stratus.clusters Cluster Status Changed clusterId=c-1 PENDING -> PROVISIONING',
      );
    });
  });
});

describe('Function: formatEventLine', () => {
  const base: BusEvent = {
    version: '0',
    id: 'id-1',
    'detail-type': 'Operation Status Changed',
    source: 'stratus.operations',
    account: '000000000000',
    time: '2024-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {},
  };

  it('shows ids, the status transition, then the rest of the detail as compact JSON', () => {
    // Act
    const line = formatEventLine(
      {
        ...base,
        detail: {
          operationId: 'op-1',
          clusterId: 'c-1',
          status: 'SUCCEEDED',
          previousStatus: 'RUNNING',
          step: 3,
        },
      },
      'stratus',
    );

    // Assess
    expect(line).toBe(
      '2024-01-01T00:00:00Z stratus stratus.operations Operation Status Changed clusterId=c-1 operationId=op-1 RUNNING -> SUCCEEDED {"step":3}',
    );
  });

  it('shows a status without a previous one, and omits an empty rest', () => {
    expect(formatEventLine({ ...base, detail: { status: 'PENDING' } }, 'default')).toBe(
      '2024-01-01T00:00:00Z default stratus.operations Operation Status Changed status=PENDING',
    );
  });

  it('truncates the rest of the detail to about 200 characters', () => {
    // Act
    const line = formatEventLine({ ...base, detail: { clusterId: 'c-1', blob: 'x'.repeat(500) } }, 'default');

    // Assess
    const rest = line.split(' clusterId=c-1 ')[1] ?? '';
    expect(rest).toHaveLength(200);
    expect(rest.endsWith('…')).toBe(true);
    expect(line).not.toContain('\n');
  });
});
