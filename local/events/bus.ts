/**
 * A local stand-in for Amazon EventBridge (dev and test only): an HTTP server that speaks the
 * AWS JSON 1.1 protocol for `AWSEvents.PutEvents`, so an unmodified `EventBridgeClient` pointed at
 * `bus.url` can publish, plus an in-process API to subscribe targets with event patterns, read the
 * accepted events and wait for them in tests.
 *
 * Where AWS is lenient in ways that hide bugs, this bus is deliberately stricter: PutEvents to a
 * bus that does not exist, or with a DetailType over 128 characters, is silently accepted and
 * dropped by AWS; here the entry fails with an error message that says why.
 *
 * Archives and replays (EventBridge User Guide, "Archiving and replaying events"): an archive keeps
 * the events of one bus that match its pattern, with the time it received them; a replay sends the
 * archived events whose `time` lies in [start, end) to the rules of that bus again (all rules, or
 * the ones named), each with a top-level `replay-name` and its original `time`, and replayed
 * events are not archived again. As the API Reference describes StartReplay, a replay goes
 * through its range one minute of event time at a time, in order of event time (then of arrival),
 * and reports STARTING, then RUNNING, then COMPLETED; CancelReplay of a STARTING or RUNNING replay
 * makes it CANCELLING, and it stops (CANCELLED) before its next minute; other states are refused
 * with IllegalStatusException. At most 10 replays run at once (LimitExceededException). Each minute
 * of event time takes `replayMinuteMs` here (AWS does not say how long it takes there). Archives
 * live in memory (a restart empties them). Over the wire: CreateArchive, DescribeArchive,
 * ListArchives, StartReplay, DescribeReplay, CancelReplay, ListReplays.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { compilePattern, InvalidEventPatternError, validatePattern } from './pattern.js';

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
  /** Set on events a replay sends again: the replay's name. */
  readonly 'replay-name'?: string;
}

export interface BusRule {
  /** @default 'default' */
  readonly busName?: string;
  /** The rule's name, which a replay may name in its `ruleNames`. @default - unnamed */
  readonly name?: string;
  /** An EventBridge event pattern; validated when subscribing. */
  readonly pattern: Record<string, unknown>;
  /** Receives its own copy of each matching event, in the order the bus accepted them. */
  readonly target: (event: BusEvent) => void | Promise<void>;
}

export interface TargetFailure {
  readonly busName: string;
  readonly event: BusEvent;
  readonly error: unknown;
}

export interface LocalBusOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - a random free port */
  readonly port?: number;
  /** Buses that exist. @default ['default'] */
  readonly busNames?: readonly string[];
  /** Appends each accepted event (the envelope) as one JSON line; parent folders are created. */
  readonly logFile?: string;
  /** Receives one line per accepted event (see `formatEventLine`). @default - no printing */
  readonly print?: (line: string) => void;
  /** @default '000000000000' */
  readonly account?: string;
  /** Region used when a request carries no SigV4 credential scope. @default 'us-east-1' */
  readonly defaultRegion?: string;
  /** Called when a target throws or rejects; failures are also kept in `targetErrors()`. */
  readonly onTargetError?: (failure: TargetFailure) => void;
  /**
   * How long a replay spends on each minute of its range (and in STARTING before the first):
   * the pace DescribeReplay sees it progress at. @default 0 - the next turn of the event loop
   */
  readonly replayMinuteMs?: number;
}

export interface ArchiveOptions {
  /** 1 to 48 characters of `[.\-_A-Za-z0-9]` (the CreateArchive constraint). */
  readonly name: string;
  /** @default 'default' */
  readonly busName?: string;
  /** Which events the archive keeps. @default - every event of the bus */
  readonly pattern?: Record<string, unknown>;
  /** Days an event is kept; 0 keeps it forever. @default 0 */
  readonly retentionDays?: number;
}

export interface ReplayOptions {
  /** 1 to 64 characters of `[.\-_A-Za-z0-9]`; unique among replays. */
  readonly replayName: string;
  readonly archiveName: string;
  /** Events whose `time` is at or after this are replayed. */
  readonly eventStartTime: Date;
  /** ... and before this (must be after the start, and not in the future). */
  readonly eventEndTime: Date;
  /** Only the subscriptions with these names receive the events. @default - every rule of the bus */
  readonly ruleNames?: readonly string[];
}

/** The states of a replay (API Reference, ReplayState). */
export type ReplayStateName = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface ReplayState {
  readonly replayName: string;
  readonly archiveName: string;
  readonly state: ReplayStateName;
  readonly stateReason?: string;
  /** Events sent again so far. */
  readonly eventCount: number;
  readonly eventStartTime: Date;
  readonly eventEndTime: Date;
  /** The `time` of the last event sent again. */
  readonly eventLastReplayedTime: Date | undefined;
  readonly replayStartTime: Date;
  /** When it ended (COMPLETED, CANCELLED). */
  readonly replayEndTime: Date | undefined;
}

export interface WaitForOptions {
  /** @default - any bus */
  readonly busName?: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
  /** @default 1 */
  readonly count?: number;
}

export interface LocalBus {
  /** Endpoint for `new EventBridgeClient({ endpoint })`, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** Adds a rule; returns a function that removes it. Throws on an invalid pattern or unknown bus. */
  subscribe(rule: BusRule): () => void;
  /** Accepted events in order, of one bus or of all buses. */
  events(busName?: string): ReadonlyArray<BusEvent>;
  /**
   * Resolves with the first `count` matching events (events accepted before the call count too);
   * rejects with a message describing what was seen if they do not arrive within `timeoutMs`.
   */
  waitFor(pattern: Record<string, unknown>, options?: WaitForOptions): Promise<BusEvent[]>;
  /** Failures of targets so far (a target error never fails PutEvents, as in AWS). */
  targetErrors(): ReadonlyArray<TargetFailure>;
  /** Creates an archive (throws `AwsError` ResourceAlreadyExistsException or ValidationException). */
  createArchive(archive: ArchiveOptions): void;
  /** The events an archive holds now (retention applied), oldest first. */
  archivedEvents(archiveName: string): ReadonlyArray<BusEvent>;
  /**
   * Starts sending the archived events in the time range to the bus's rules again, each with
   * `replay-name`, minute of event time by minute; resolves at once with the STARTING state
   * (`replayFinished` waits for the end).
   */
  startReplay(replay: ReplayOptions): Promise<ReplayState>;
  /** The state of a replay now (ResourceNotFoundException when there is none). */
  describeReplay(replayName: string): ReplayState;
  /** Cancels a STARTING or RUNNING replay: CANCELLING, then CANCELLED (IllegalStatusException otherwise). */
  cancelReplay(replayName: string): ReplayState;
  /** Resolves once the replay is COMPLETED or CANCELLED and its targets have received what it sent. */
  replayFinished(replayName: string): Promise<ReplayState>;
  /** Stops accepting requests, waits for in-flight deliveries, rejects pending `waitFor`s. */
  stop(): Promise<void>;
}

const WIRE_OPERATIONS = new Set([
  'PutEvents',
  'CreateArchive',
  'DescribeArchive',
  'ListArchives',
  'StartReplay',
  'DescribeReplay',
  'CancelReplay',
  'ListReplays',
]);

/** An `EventPattern` string of the wire protocol, as an object (InvalidEventPatternException otherwise). */
function parsePattern(value: unknown): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError(
      'InvalidEventPatternException',
      'Event pattern is not valid. Reason: Filter is not an object',
    );
  }
  return parsed as Record<string, unknown>;
}

/** Documented entry size limit ("Calculating PutEvents event entry size"). */
const MAX_ENTRY_BYTES = 256 * 1024;
const MAX_ENTRIES = 10;
const MAX_DETAIL_TYPE_LENGTH = 128;
const SUMMARY_LIMIT = 200;
const JSON_11 = 'application/x-amz-json-1.1';

interface StoredEvent {
  readonly busName: string;
  readonly event: BusEvent;
}

interface Subscription {
  readonly busName: string;
  readonly name?: string;
  readonly matches: (event: unknown) => boolean;
  readonly target: BusRule['target'];
  /** Deliveries are chained so that a target sees events in order. */
  queue: Promise<void>;
}

interface Waiter {
  readonly busName: string | undefined;
  readonly matches: (event: unknown) => boolean;
  readonly count: number;
  readonly found: BusEvent[];
  readonly resolve: (events: BusEvent[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

interface Archive {
  readonly name: string;
  readonly busName: string;
  readonly pattern: Record<string, unknown>;
  readonly matches: (event: unknown) => boolean;
  readonly retentionDays: number;
  readonly createdAt: Date;
  readonly events: Array<{ readonly receivedAt: number; readonly event: BusEvent }>;
}

const ARCHIVE_NAME = /^[.\-_A-Za-z0-9]{1,48}$/;
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Replays running at once (EventBridge quotas: "Concurrent replays", 10 per account and Region). */
const MAX_CONCURRENT_REPLAYS = 10;
const ACTIVE: ReadonlySet<ReplayStateName> = new Set(['STARTING', 'RUNNING', 'CANCELLING']);

interface Replay {
  state: ReplayState;
  readonly finished: Promise<ReplayState>;
  timer?: NodeJS.Timeout;
}

export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export async function startLocalBus(options: LocalBusOptions = {}): Promise<LocalBus> {
  const host = options.host ?? '127.0.0.1';
  const account = options.account ?? '000000000000';
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const busNames = new Set(options.busNames ?? ['default']);
  const stored: StoredEvent[] = [];
  const subscriptions = new Set<Subscription>();
  const waiters = new Set<Waiter>();
  const failures: TargetFailure[] = [];
  const archives = new Map<string, Archive>();
  const replays = new Map<string, Replay>();
  const replayMinuteMs = options.replayMinuteMs ?? 0;
  let stopped = false;

  if (options.logFile !== undefined) mkdirSync(dirname(options.logFile), { recursive: true });

  function requireBus(busName: string): void {
    if (!busNames.has(busName)) {
      throw new Error(`Event bus "${busName}" does not exist (known: ${[...busNames].join(', ')})`);
    }
  }

  function accept(busName: string, event: BusEvent): void {
    stored.push({ busName, event });
    for (const archive of archives.values()) {
      if (archive.busName === busName && archive.matches(event)) {
        archive.events.push({ receivedAt: Date.now(), event: structuredClone(event) });
      }
    }
    if (options.logFile !== undefined) appendFileSync(options.logFile, `${JSON.stringify(event)}\n`);
    options.print?.(formatEventLine(event, busName));
    for (const subscription of subscriptions) {
      if (subscription.busName === busName && subscription.matches(event))
        deliver(subscription, busName, event);
    }
    for (const waiter of waiters) {
      if ((waiter.busName === undefined || waiter.busName === busName) && waiter.matches(event)) {
        waiter.found.push(event);
        if (waiter.found.length >= waiter.count) settle(waiter);
      }
    }
  }

  function deliver(subscription: Subscription, busName: string, event: BusEvent): void {
    const copy = structuredClone(event);
    subscription.queue = subscription.queue
      .then(() => subscription.target(copy))
      .catch((error: unknown) => {
        const failure = { busName, event, error };
        failures.push(failure);
        try {
          options.onTargetError?.(failure);
        } catch {
          // The reporter itself failed; the failure is still recorded in targetErrors().
        }
      });
  }

  function settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
    waiter.resolve(waiter.found.slice(0, waiter.count));
  }

  function putEvents(body: unknown, region: string): { FailedEntryCount: number; Entries: EntryResult[] } {
    const entries = (body as { Entries?: unknown } | null)?.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      const count = Array.isArray(entries) ? entries.length : 0;
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${
          count < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`
        } (got ${count})`,
      );
    }
    const checked = entries.map((entry) => checkEntry(entry, region));
    const total = checked.reduce((sum, result) => sum + ('size' in result ? result.size : 0), 0);
    if (total > MAX_ENTRY_BYTES) {
      throw new AwsError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results: EntryResult[] = checked.map((result) => {
      if (!('event' in result)) return result;
      accept(result.busName, result.event);
      return { EventId: result.event.id };
    });
    return {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  }

  function checkEntry(
    raw: unknown,
    region: string,
  ): { ErrorCode: string; ErrorMessage: string } | { busName: string; event: BusEvent; size: number } {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const invalid = (parameter: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
    });
    const { Source: source, DetailType: detailType, Detail: detailText, Resources: resources } = entry;
    if (typeof source !== 'string' || source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof detailType !== 'string' || detailType === '') {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (detailType.length > MAX_DETAIL_TYPE_LENGTH) {
      return invalid('DetailType', `DetailType is longer than ${MAX_DETAIL_TYPE_LENGTH} characters.`);
    }
    if (typeof detailText !== 'string' || detailText === '') {
      return invalid('Detail', 'Detail is a required argument.');
    }
    if (
      resources !== undefined &&
      !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))
    ) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object.' };
    }
    if (source.startsWith('aws.')) {
      return {
        ErrorCode: 'NotAuthorizedForSourceException',
        ErrorMessage: `Not authorized for the source "${source}": sources starting with "aws." are reserved.`,
      };
    }
    const size =
      (entry.Time !== undefined ? 14 : 0) +
      byteLength(source) +
      byteLength(detailType) +
      byteLength(detailText) +
      ((resources as string[] | undefined) ?? []).reduce((sum, resource) => sum + byteLength(resource), 0);
    if (size > MAX_ENTRY_BYTES) {
      return invalid('Entry', `the entry is ${size} bytes, over the 256 KB limit.`);
    }
    const busName = busNameOf(entry.EventBusName);
    if (busName === undefined || !busNames.has(busName)) {
      return invalid(
        'EventBusName',
        `Event bus ${String(entry.EventBusName)} does not exist. (AWS would accept the entry and drop it silently.)`,
      );
    }
    const time = timeOf(entry.Time);
    if (time === undefined) return invalid('Time', `${String(entry.Time)} is not a timestamp.`);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account,
      time,
      region,
      resources: [...((resources as string[] | undefined) ?? [])],
      detail: detail as Record<string, unknown>,
    };
    return { busName, event, size };
  }

  function archiveArn(region: string, name: string): string {
    return `arn:aws:events:${region}:${account}:archive/${name}`;
  }

  function createArchive(archive: ArchiveOptions): void {
    if (!ARCHIVE_NAME.test(archive.name)) {
      throw new AwsError(
        'ValidationException',
        `Archive name ${archive.name} must match [.\\-_A-Za-z0-9]{1,48}.`,
      );
    }
    if (archives.has(archive.name)) {
      throw new AwsError('ResourceAlreadyExistsException', `Archive ${archive.name} already exists.`);
    }
    const busName = archive.busName ?? 'default';
    if (!busNames.has(busName)) {
      throw new AwsError('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
    }
    const retentionDays = archive.retentionDays ?? 0;
    if (!Number.isInteger(retentionDays) || retentionDays < 0) {
      throw new AwsError('ValidationException', 'RetentionDays must be an integer of at least 0.');
    }
    const pattern = archive.pattern ?? {};
    if (archive.pattern !== undefined) {
      try {
        validatePattern(pattern);
      } catch (error) {
        if (error instanceof InvalidEventPatternError) {
          throw new AwsError('InvalidEventPatternException', error.message);
        }
        throw error;
      }
    }
    archives.set(archive.name, {
      name: archive.name,
      busName,
      pattern,
      matches: compilePattern(pattern),
      retentionDays,
      createdAt: new Date(),
      events: [],
    });
  }

  function requireArchive(name: string): Archive {
    const archive = archives.get(name);
    if (!archive) throw new AwsError('ResourceNotFoundException', `Archive ${name} does not exist.`);
    return archive;
  }

  /** Drops events past the archive's retention. */
  function retained(archive: Archive): Archive['events'] {
    if (archive.retentionDays > 0) {
      const oldest = Date.now() - archive.retentionDays * DAY_MS;
      const keep = archive.events.filter((item) => item.receivedAt >= oldest);
      archive.events.splice(0, archive.events.length, ...keep);
    }
    return archive.events;
  }

  async function startReplay(replay: ReplayOptions): Promise<ReplayState> {
    if (!REPLAY_NAME.test(replay.replayName)) {
      throw new AwsError(
        'ValidationException',
        `Replay name ${replay.replayName} must match [.\\-_A-Za-z0-9]{1,64}.`,
      );
    }
    if (replays.has(replay.replayName)) {
      throw new AwsError('ResourceAlreadyExistsException', `Replay ${replay.replayName} already exists.`);
    }
    const archive = requireArchive(replay.archiveName);
    const start = replay.eventStartTime.getTime();
    const end = replay.eventEndTime.getTime();
    if (!(Number.isFinite(start) && Number.isFinite(end)) || start >= end) {
      throw new AwsError('ValidationException', 'EventStartTime must be before EventEndTime.');
    }
    if (end > Date.now()) {
      throw new AwsError('ValidationException', 'EventEndTime cannot be in the future.');
    }
    if ([...replays.values()].filter((r) => ACTIVE.has(r.state.state)).length >= MAX_CONCURRENT_REPLAYS) {
      throw new AwsError(
        'LimitExceededException',
        `At most ${MAX_CONCURRENT_REPLAYS} replays can run at once in an account and Region.`,
      );
    }
    const rules = replay.ruleNames === undefined ? undefined : new Set(replay.ruleNames);
    // In order of `time`, then of arrival (a stable sort of the archive's order).
    const events = retained(archive)
      .map((item) => item.event)
      .filter((event) => {
        const time = Date.parse(event.time);
        return time >= start && time < end;
      })
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const targets = () =>
      [...subscriptions].filter(
        (subscription) =>
          subscription.busName === archive.busName &&
          (rules === undefined || rules.has(subscription.name ?? '')),
      );
    let finish: (state: ReplayState) => void = () => {};
    const entry: Replay = {
      state: {
        replayName: replay.replayName,
        archiveName: archive.name,
        state: 'STARTING',
        eventCount: 0,
        eventStartTime: new Date(start),
        eventEndTime: new Date(end),
        eventLastReplayedTime: undefined,
        replayStartTime: new Date(),
        replayEndTime: undefined,
      },
      finished: new Promise<ReplayState>((resolve) => {
        finish = resolve;
      }),
    };
    replays.set(replay.replayName, entry);
    const conclude = async (state: 'COMPLETED' | 'CANCELLED') => {
      await Promise.all(targets().map((subscription) => subscription.queue));
      entry.state = { ...entry.state, state, replayEndTime: new Date() };
      finish(entry.state);
    };
    // One minute of event time per step: [start + k min, start + (k + 1) min).
    let windowStart = start;
    let next = 0;
    const step = () => {
      entry.timer = undefined;
      if (entry.state.state === 'CANCELLING') {
        void conclude('CANCELLED');
        return;
      }
      if (stopped) return;
      if (windowStart >= end) {
        void conclude('COMPLETED');
        return;
      }
      const windowEnd = Math.min(windowStart + MINUTE_MS, end);
      let count = entry.state.eventCount;
      let last = entry.state.eventLastReplayedTime;
      const receivers = targets();
      while (next < events.length && Date.parse((events[next] as BusEvent).time) < windowEnd) {
        const original = events[next++] as BusEvent;
        const event: BusEvent = { ...structuredClone(original), 'replay-name': replay.replayName };
        for (const subscription of receivers) {
          if (subscription.matches(event)) deliver(subscription, archive.busName, event);
        }
        count++;
        last = new Date(original.time);
      }
      entry.state = { ...entry.state, state: 'RUNNING', eventCount: count, eventLastReplayedTime: last };
      windowStart = windowEnd;
      entry.timer = setTimeout(step, replayMinuteMs);
    };
    entry.timer = setTimeout(step, replayMinuteMs);
    return entry.state;
  }

  function requireReplay(name: string): Replay {
    const replay = replays.get(name);
    if (!replay) throw new AwsError('ResourceNotFoundException', `Replay ${name} does not exist.`);
    return replay;
  }

  function cancelReplay(name: string): ReplayState {
    const replay = requireReplay(name);
    if (replay.state.state !== 'STARTING' && replay.state.state !== 'RUNNING') {
      throw new AwsError(
        'IllegalStatusException',
        `Replay ${name} is ${replay.state.state}: a replay can be canceled only when the state is Running or Starting.`,
      );
    }
    replay.state = { ...replay.state, state: 'CANCELLING' };
    return replay.state;
  }

  /** What DescribeReplay and ListReplays say of a replay. */
  function replayFields(state: ReplayState, region: string): Record<string, unknown> {
    const seconds = (date: Date | undefined) => (date === undefined ? undefined : date.getTime() / 1000);
    return {
      ReplayName: state.replayName,
      EventSourceArn: archiveArn(region, state.archiveName),
      State: state.state,
      ...(state.stateReason ? { StateReason: state.stateReason } : {}),
      EventStartTime: seconds(state.eventStartTime),
      EventEndTime: seconds(state.eventEndTime),
      EventLastReplayedTime: seconds(state.eventLastReplayedTime),
      ReplayStartTime: seconds(state.replayStartTime),
      ReplayEndTime: seconds(state.replayEndTime),
    };
  }

  /** The JSON 1.1 operations besides PutEvents: archives and replays. */
  async function wire(operation: string, body: unknown, region: string): Promise<unknown> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const text = (field: string): string => {
      const value = input[field];
      if (typeof value !== 'string' || value === '') {
        throw new AwsError('ValidationException', `${field} is a required argument.`);
      }
      return value;
    };
    const seconds = (value: number | undefined) => (value === undefined ? undefined : value / 1000);
    switch (operation) {
      case 'PutEvents':
        return putEvents(body, region);
      case 'CreateArchive': {
        const name = text('ArchiveName');
        const pattern = input.EventPattern === undefined ? undefined : parsePattern(input.EventPattern);
        createArchive({
          name,
          busName: busNameOf(text('EventSourceArn')) ?? '',
          ...(pattern ? { pattern } : {}),
          ...(typeof input.RetentionDays === 'number' ? { retentionDays: input.RetentionDays } : {}),
        });
        return {
          ArchiveArn: archiveArn(region, name),
          State: 'ENABLED',
          CreationTime: seconds(requireArchive(name).createdAt.getTime()),
        };
      }
      case 'DescribeArchive': {
        const archive = requireArchive(text('ArchiveName'));
        const events = retained(archive);
        return {
          ArchiveArn: archiveArn(region, archive.name),
          ArchiveName: archive.name,
          EventSourceArn: `arn:aws:events:${region}:${account}:event-bus/${archive.busName}`,
          EventPattern: JSON.stringify(archive.pattern),
          State: 'ENABLED',
          RetentionDays: archive.retentionDays,
          EventCount: events.length,
          SizeBytes: events.reduce((sum, item) => sum + byteLength(JSON.stringify(item.event)), 0),
          CreationTime: seconds(archive.createdAt.getTime()),
        };
      }
      case 'ListArchives':
        return {
          Archives: [...archives.values()].map((archive) => ({
            ArchiveName: archive.name,
            EventSourceArn: `arn:aws:events:${region}:${account}:event-bus/${archive.busName}`,
            State: 'ENABLED',
            RetentionDays: archive.retentionDays,
            EventCount: retained(archive).length,
            CreationTime: seconds(archive.createdAt.getTime()),
          })),
        };
      case 'StartReplay': {
        const source = text('EventSourceArn');
        const archiveName = /:archive\/(.+)$/.exec(source)?.[1];
        if (archiveName === undefined) {
          throw new AwsError('ValidationException', `EventSourceArn ${source} is not an archive ARN.`);
        }
        const destination = (input.Destination ?? {}) as { Arn?: unknown; FilterArns?: unknown };
        const archive = requireArchive(archiveName);
        if (busNameOf(destination.Arn) !== archive.busName) {
          throw new AwsError(
            'ValidationException',
            'Destination must be the event bus the archive receives events from.',
          );
        }
        const filterArns = Array.isArray(destination.FilterArns) ? destination.FilterArns : undefined;
        const state = await startReplay({
          replayName: text('ReplayName'),
          archiveName,
          eventStartTime: new Date(Number(input.EventStartTime) * 1000),
          eventEndTime: new Date(Number(input.EventEndTime) * 1000),
          ...(filterArns
            ? { ruleNames: filterArns.map((arn) => String(arn).replace(/^.*:rule\/(?:[^/]+\/)?/, '')) }
            : {}),
        });
        return {
          ReplayArn: `arn:aws:events:${region}:${account}:replay/${state.replayName}`,
          State: state.state,
          ReplayStartTime: seconds(state.replayStartTime.getTime()),
        };
      }
      case 'DescribeReplay': {
        const state = requireReplay(text('ReplayName')).state;
        return {
          ...replayFields(state, region),
          ReplayArn: `arn:aws:events:${region}:${account}:replay/${state.replayName}`,
          Destination: {
            Arn: `arn:aws:events:${region}:${account}:event-bus/${requireArchive(state.archiveName).busName}`,
          },
        };
      }
      case 'CancelReplay': {
        const state = cancelReplay(text('ReplayName'));
        return {
          ReplayArn: `arn:aws:events:${region}:${account}:replay/${state.replayName}`,
          State: state.state,
        };
      }
      case 'ListReplays': {
        const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
        const source = typeof input.EventSourceArn === 'string' ? input.EventSourceArn : undefined;
        return {
          Replays: [...replays.values()]
            .map((r) => r.state)
            .filter(
              (state) =>
                state.replayName.startsWith(prefix) &&
                (input.State === undefined || state.state === input.State) &&
                (source === undefined || archiveArn(region, state.archiveName) === source),
            )
            .map((state) => replayFields(state, region)),
        };
      }
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}.`);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, payload: unknown, errorType?: string) => {
      const headers: Record<string, string> = { 'content-type': JSON_11, 'x-amzn-requestid': requestId };
      if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
      response.writeHead(status, headers);
      response.end(JSON.stringify(payload));
    };
    try {
      const text = await readBody(request);
      const target = request.headers['x-amz-target'];
      const operation = typeof target === 'string' ? target.replace(/^AWSEvents\./, '') : '';
      if (request.method !== 'POST' || !WIRE_OPERATIONS.has(operation)) {
        throw new AwsError(
          'UnknownOperationException',
          `The local event bus implements AWSEvents.${[...WIRE_OPERATIONS].join(', AWSEvents.')}, not ${String(target ?? `${request.method} ${request.url}`)}.`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text === '' ? '{}' : text);
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.');
      }
      const region = regionOf(request.headers.authorization) ?? defaultRegion;
      send(200, await wire(operation, body, region));
    } catch (error) {
      const awsError =
        error instanceof AwsError
          ? error
          : new AwsError('InternalException', error instanceof Error ? error.message : String(error), 500);
      send(awsError.status, { __type: awsError.type, message: awsError.message }, awsError.type);
    }
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s), so a client
  // never reuses a socket this server is closing (an ECONNRESET on a loaded machine).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,

    subscribe(rule) {
      const busName = rule.busName ?? 'default';
      requireBus(busName);
      const subscription: Subscription = {
        busName,
        ...(rule.name !== undefined ? { name: rule.name } : {}),
        matches: compilePattern(rule.pattern),
        target: rule.target,
        queue: Promise.resolve(),
      };
      subscriptions.add(subscription);
      return () => {
        subscriptions.delete(subscription);
      };
    },

    events(busName) {
      return stored
        .filter((item) => busName === undefined || item.busName === busName)
        .map((item) => item.event);
    },

    waitFor(pattern, waitOptions = {}) {
      const { busName, timeoutMs = 5000, count = 1 } = waitOptions;
      if (busName !== undefined) requireBus(busName);
      const matches = compilePattern(pattern);
      const found = stored
        .filter((item) => (busName === undefined || item.busName === busName) && matches(item.event))
        .map((item) => item.event);
      if (found.length >= count) return Promise.resolve(found.slice(0, count));
      if (stopped) return Promise.reject(new Error('waitFor called on a stopped local event bus'));
      return new Promise<BusEvent[]>((resolve, reject) => {
        const waiter: Waiter = {
          busName,
          matches,
          count,
          found,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(timeoutMessage(pattern, waiter, timeoutMs, stored)));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },

    targetErrors() {
      return [...failures];
    },

    createArchive,

    archivedEvents(archiveName) {
      return retained(requireArchive(archiveName)).map((item) => structuredClone(item.event));
    },

    startReplay,

    describeReplay(replayName) {
      return requireReplay(replayName).state;
    },

    cancelReplay,

    replayFinished(replayName) {
      return requireReplay(replayName).finished;
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      server.closeAllConnections();
      await closed;
      for (const replay of replays.values()) clearTimeout(replay.timer);
      await Promise.all([...subscriptions].map((subscription) => subscription.queue));
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('The local event bus was stopped while waiting for events'));
      }
      waiters.clear();
    },
  };
}

/**
 * One line per event: `<time> <bus> <source> <detail-type> <summary>`, where the summary shows
 * `clusterId=…`, `operationId=…` and `previousStatus -> status` when the detail has them, then the
 * rest of the detail as compact JSON cut to about 200 characters.
 */
export function formatEventLine(event: BusEvent, busName: string): string {
  const { clusterId, operationId, previousStatus, status, ...rest } = event.detail;
  const parts: string[] = [];
  if (clusterId !== undefined) parts.push(`clusterId=${scalar(clusterId)}`);
  if (operationId !== undefined) parts.push(`operationId=${scalar(operationId)}`);
  if (status !== undefined) {
    parts.push(
      previousStatus !== undefined
        ? `${scalar(previousStatus)} -> ${scalar(status)}`
        : `status=${scalar(status)}`,
    );
  } else if (previousStatus !== undefined) {
    parts.push(`previousStatus=${scalar(previousStatus)}`);
  }
  if (Object.keys(rest).length > 0) parts.push(truncate(JSON.stringify(rest), SUMMARY_LIMIT));
  return [event.time, busName, event.source, event['detail-type'], ...parts].join(' ');
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The region of a SigV4 `Authorization` header's credential scope (`Credential=AKID/date/region/…`). */
function regionOf(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\//)?.[1];
}

/** A bus name from `EventBusName`, which may be a name or an event-bus ARN. */
function busNameOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return 'default';
  if (typeof value !== 'string') return undefined;
  const arn = value.match(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/);
  return arn ? arn[1] : value;
}

/** Entry `Time` (epoch seconds on the wire) or now, as ISO 8601 without milliseconds, like AWS. */
function timeOf(value: unknown): string | undefined {
  let date: Date;
  if (value === undefined || value === null) date = new Date();
  else if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string')
    date = new Date(Number.isNaN(Number(value)) ? value : Number(value) * 1000);
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timeoutMessage(
  pattern: Record<string, unknown>,
  waiter: Waiter,
  timeoutMs: number,
  stored: readonly StoredEvent[],
): string {
  const scope = waiter.busName === undefined ? 'any bus' : `bus "${waiter.busName}"`;
  const seen = stored.filter((item) => waiter.busName === undefined || item.busName === waiter.busName);
  const recent = seen
    .slice(-5)
    .map((item) => `  ${formatEventLine(item.event, item.busName)}`)
    .join('\n');
  return (
    `waitFor timed out after ${timeoutMs} ms: ${waiter.found.length} of ${waiter.count} event(s) matching ` +
    `${JSON.stringify(pattern)} on ${scope}; ${seen.length} event(s) accepted there` +
    (recent === '' ? '.' : `, the last ones:\n${recent}`)
  );
}
