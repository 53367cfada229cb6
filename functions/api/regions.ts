import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { ProblemError } from '../shared/errors.js';
import type { Store } from '../shared/store/store.js';

/** `STRATUS_API_URLS` as JSON carries it; each URL without its trailing slashes. */
export const ApiUrlsSchema = z
  .record(z.string(), z.url({ protocol: /^https?$/ }))
  .transform(
    (urls): Readonly<Record<string, string>> =>
      Object.fromEntries(Object.entries(urls).map(([r, u]) => [r, u.replace(/\/+$/, '')])),
  );

/** `STRATUS_API_URLS`: `{"<region>": "https://api.example.com"}`; a bad value fails the cold start, loudly. */
export function parseApiUrls(raw: string): Readonly<Record<string, string>> {
  const parsed = ApiUrlsSchema.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(`STRATUS_API_URLS is not a region -> URL map: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * A 421 names the region to send the request to (`region`); here it gains that region's API
 * (`apiUrl`) and a `Location` header to the same resource there, so a client can follow it.
 */
export function routeToRegion(
  error: unknown,
  event: Pick<APIGatewayProxyEvent, 'path' | 'resource' | 'queryStringParameters'>,
  apiUrls: Readonly<Record<string, string>>,
): unknown {
  if (!(error instanceof ProblemError) || error.code !== 'WRONG_REGION') return error;
  const region = String(error.extensions.region ?? '');
  const apiUrl = apiUrls[region];
  if (!apiUrl) return error;
  const query = new URLSearchParams(
    Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] != null),
  ).toString();
  const location = `${apiUrl}${event.path ?? event.resource}${query ? `?${query}` : ''}`;
  return new ProblemError(
    'WRONG_REGION',
    error.message,
    { ...error.extensions, apiUrl },
    { cause: error, headers: { ...error.headers, location } },
  );
}

/** How long a warm API trusts its copy of the region controllers; the create transaction re-checks them. */
const CONTROLLERS_TTL_MS = 5_000;

/** Region -> managing region for regions taken over (usually none), read at most every few seconds. */
export function cachedControllers(store: Store, now: () => number = Date.now) {
  let cached: { at: number; value: Promise<Readonly<Record<string, string>>> } | undefined;
  return (): Promise<Readonly<Record<string, string>>> => {
    if (!cached || now() - cached.at > CONTROLLERS_TTL_MS) {
      const value = store.regions.controllers();
      cached = { at: now(), value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
