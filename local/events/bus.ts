/**
 * A local stand-in for Amazon EventBridge (dev and test only): an HTTP server that speaks the
 * AWS JSON 1.1 protocol for `AWSEvents.PutEvents`, so an unmodified `EventBridgeClient` pointed at
 * `bus.url` can publish, plus an in-process API to subscribe targets with event patterns, read the
 * accepted events and wait for them in tests.
 *
 * Where AWS is lenient in ways that hide bugs, this bus is deliberately stricter: PutEvents to a
 * bus that does not exist, or with a DetailType over 128 characters, is silently accepted and
 * dropped by AWS; here the entry fails with an error message that says why.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { compilePattern } from './pattern.js';

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
}

export interface BusRule {
  /** @default 'default' */
  readonly busName?: string;
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
  /** Stops accepting requests, waits for in-flight deliveries, rejects pending `waitFor`s. */
  stop(): Promise<void>;
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

class AwsError extends Error {
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
  let stopped = false;

  if (options.logFile !== undefined) mkdirSync(dirname(options.logFile), { recursive: true });

  function requireBus(busName: string): void {
    if (!busNames.has(busName)) {
      throw new Error(`Event bus "${busName}" does not exist (known: ${[...busNames].join(', ')})`);
    }
  }

  function accept(busName: string, event: BusEvent): void {
    stored.push({ busName, event });
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
      if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
        throw new AwsError(
          'UnknownOperationException',
          `The local event bus implements only AWSEvents.PutEvents, not ${String(target ?? `${request.method} ${request.url}`)}.`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text === '' ? '{}' : text);
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.');
      }
      send(200, putEvents(body, regionOf(request.headers.authorization) ?? defaultRegion));
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

    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      server.closeAllConnections();
      await closed;
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
