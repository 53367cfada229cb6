import { StratusApiError, StratusClient } from '../../sdk/index.js';

/** config.json, written beside the bundle: the regions the console can talk to. */
export interface ConsoleConfig {
  /** Each region's API base URL, in the order the switcher shows them. */
  readonly regions: readonly { readonly region: string; readonly apiUrl: string }[];
  /** The region selected when the session has none. @default the first */
  readonly defaultRegion?: string;
}

/** engines.json, generated from the engines' blueprints at build time (console/build.mjs). */
export interface EngineInfo {
  readonly engine: string;
  /** Oldest first; the last is the default. */
  readonly versions: readonly string[];
  /** The blueprint's settings schema as JSON Schema (the API validates `settings` with it). */
  readonly settingsSchema: JsonSchema;
}

export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly enum?: readonly (string | number)[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly description?: string;
}

const KEY = 'stratus.apiKey';
const REGION = 'stratus.region';

/**
 * The signed-in session. The API key lives in sessionStorage only: it is gone when the tab closes,
 * it is never put in a URL (routes are `#/...` fragments without it), and signing out removes it.
 */
export class Session {
  private cached: { key: string; region: string; client: StratusClient } | undefined;

  constructor(
    readonly config: ConsoleConfig,
    readonly engines: readonly EngineInfo[],
  ) {}

  get apiKey(): string | undefined {
    return sessionStorage.getItem(KEY) ?? undefined;
  }

  get region(): string {
    const stored = sessionStorage.getItem(REGION);
    const known = this.config.regions.map((r) => r.region);
    if (stored && known.includes(stored)) return stored;
    return this.config.defaultRegion ?? known[0] ?? '';
  }

  set region(region: string) {
    sessionStorage.setItem(REGION, region);
  }

  get apiUrl(): string {
    return this.config.regions.find((r) => r.region === this.region)?.apiUrl ?? '';
  }

  signIn(apiKey: string): void {
    sessionStorage.setItem(KEY, apiKey);
  }

  signOut(): void {
    sessionStorage.removeItem(KEY);
    this.cached = undefined;
  }

  /** The SDK client of the selected region, signed with the session's key. */
  client(): StratusClient {
    const key = this.apiKey;
    if (!key) throw new Error('not signed in');
    if (this.cached?.key !== key || this.cached.region !== this.region) {
      this.cached = {
        key,
        region: this.region,
        client: new StratusClient({ baseUrl: this.apiUrl, apiKey: key, retry: { retries: 2 } }),
      };
    }
    return this.cached.client;
  }
}

/** A message for a person, from whatever a call threw. */
export function describeError(e: unknown): string {
  if (e instanceof StratusApiError) {
    const id = e.correlationId ? ` (correlation id ${e.correlationId})` : '';
    return `${e.message}${id}`;
  }
  return e instanceof Error ? e.message : String(e);
}

export async function loadJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
