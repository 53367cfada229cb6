/**
 * Watches (`?watch=1`): the store's write events kept in a bounded window (so a watch can start
 * at the resourceVersion of a list made a moment earlier, as client-go's reflector and kubectl
 * do), and the open watches they are streamed to. A watch from a resourceVersion older than the
 * window gets the API server's answer: an ERROR event carrying a 410 `Expired` Status.
 */
import type { JsonObject } from './fields.js';
import type { WatchEventType } from './store.js';

export interface RecordedEvent {
  readonly type: WatchEventType;
  readonly resourceVersion: number;
  /** A copy taken when the event happened. */
  readonly object: JsonObject;
}

type Listener = (event: RecordedEvent) => void;

export class WatchHub {
  private readonly window: RecordedEvent[] = [];
  /** The resourceVersion of the newest event that fell out of the window (0: none fell out). */
  private forgotten = 0;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly capacity = 2000) {}

  record(type: WatchEventType, obj: JsonObject): void {
    const resourceVersion = Number((obj.metadata as JsonObject | undefined)?.resourceVersion ?? 0);
    const event: RecordedEvent = { type, resourceVersion, object: structuredClone(obj) };
    this.window.push(event);
    if (this.window.length > this.capacity) {
      const dropped = this.window.splice(0, this.window.length - this.capacity);
      this.forgotten = dropped[dropped.length - 1]?.resourceVersion ?? this.forgotten;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Events after `resourceVersion`, or `expired` when some of them are no longer kept. */
  since(resourceVersion: number): RecordedEvent[] | 'expired' {
    if (resourceVersion < this.forgotten) return 'expired';
    return this.window.filter((e) => e.resourceVersion > resourceVersion);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watching(): number {
    return this.listeners.size;
  }
}

/** A `fieldSelector` the stand-in can evaluate: `metadata.name` and `metadata.namespace`. */
export type FieldRequirement = {
  field: 'metadata.name' | 'metadata.namespace';
  op: '=' | '!=';
  value: string;
};

/** `metadata.name=x,metadata.namespace!=y` -> requirements; any other field is 400, as for the real server. */
export function parseFieldSelector(selector: string | null): FieldRequirement[] | string {
  if (!selector) return [];
  const out: FieldRequirement[] = [];
  for (const term of selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) return `invalid selector: '${selector}'; can't understand '${term}'`;
    const [, field = '', op, value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace')
      return `field label not supported: ${field}`;
    out.push({ field, op: op === '!=' ? '!=' : '=', value });
  }
  return out;
}

export function matchesFields(obj: JsonObject, requirements: readonly FieldRequirement[]): boolean {
  const m = (obj.metadata ?? {}) as JsonObject;
  return requirements.every((r) => {
    const actual = String((r.field === 'metadata.name' ? m.name : m.namespace) ?? '');
    return r.op === '=' ? actual === r.value : actual !== r.value;
  });
}
