import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ProblemError } from '../shared/errors.js';
import type { IdempotencyRecord, Store } from '../shared/store/store.js';
import { type ApiResponse, header } from './http.js';

const KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

/** The request's fingerprint: same key + same fingerprint = the same request. */
export function requestHash(event: APIGatewayProxyEvent, body: unknown): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        event.httpMethod,
        event.resource,
        event.pathParameters ?? {},
        event.queryStringParameters ?? {},
        canonical(body),
      ]),
    )
    .digest('hex');
}

/** Key order does not make two bodies different. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

export function idempotencyKey(event: APIGatewayProxyEvent): string | undefined {
  const key = header(event, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!KEY.test(key)) {
    throw new ProblemError(
      'INVALID_HEADER',
      'Idempotency-Key must be 1-255 characters: letters, digits, _ . : -',
    );
  }
  return key;
}

/** The stored answer for a repeated key, or 422 when the key was used for another request. */
export function replay(record: IdempotencyRecord, hash: string): ApiResponse {
  if (record.requestHash !== hash) {
    throw new ProblemError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request; use a new key for a new request',
    );
  }
  return {
    status: record.response.status,
    headers: { ...record.response.headers, 'idempotent-replayed': 'true' },
    ...(record.response.body === undefined ? {} : { body: record.response.body }),
  };
}

/** What a mutation hands to the store so that its response is recorded in the same transaction. */
export class Idempotency {
  constructor(
    readonly key: string | undefined,
    readonly hash: string,
    private readonly now: Date,
  ) {}

  /** The record to commit with the mutation, or undefined without a key. `redact` removes what must not be stored. */
  record(
    response: ApiResponse,
    redact: (body: unknown) => unknown = (b) => b,
  ): IdempotencyRecord | undefined {
    if (!this.key) return undefined;
    return {
      key: this.key,
      requestHash: this.hash,
      response: {
        status: response.status,
        ...(response.headers ? { headers: response.headers } : {}),
        ...(response.body === undefined ? {} : { body: redact(response.body) }),
      },
      createdAt: this.now.toISOString(),
    };
  }

  /** After a lost race on the key: the winner's response (same request) or 422. */
  async resolveConflict(store: Store, tenantId: string): Promise<ApiResponse> {
    const winner = this.key ? await store.idempotency.get(tenantId, this.key) : undefined;
    if (!winner)
      throw new ProblemError(
        'CONCURRENT_MODIFICATION',
        'A concurrent request with the same Idempotency-Key is in progress; retry',
      );
    return replay(winner, this.hash);
  }
}
