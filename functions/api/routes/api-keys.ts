import {
  DEFAULT_KEY_LIFETIME_DAYS,
  defaultExpiry,
  hashApiKey,
  isAllowedExpiry,
  MAX_KEY_LIFETIME_DAYS,
  newApiKeySecret,
} from '../../shared/domain/apikeys.js';
import { wrongRegion } from '../../shared/domain/plan.js';
import { ProblemError, ValidationError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { CreateApiKeyRequest } from '../../shared/schemas/api.js';
import { API_KEY_ITEMS } from '../../shared/store/api-keys.js';
import type { ApiKeyRecord } from '../../shared/store/store.js';
import type { ApiResponse } from '../http.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { pathId, type RequestContext } from '../routes.js';
import { committing } from '../store-errors.js';

/**
 * API keys are written only by the tenant's home region (docs/data-model.md): elsewhere the
 * answer is 421 naming it, so a key's revocation can never be lost to a replication conflict.
 */
async function assertTenantHome(ctx: RequestContext): Promise<void> {
  const tenant = await ctx.store.tenants.get(ctx.principal.tenantId);
  if (!tenant)
    throw new ProblemError('CONCURRENT_MODIFICATION', 'The tenant is not known in this region yet; retry');
  if (tenant.homeRegion !== ctx.apiRegion) throw notHome(tenant.homeRegion, ctx.apiRegion);
}

const notHome = (home: string, here: string) =>
  wrongRegion(home, `API keys of this tenant are managed by the ${home} API (this is ${here})`);

/** Who acts, for the audit record: the caller's key, and the request's correlation id. */
const actorOf = (ctx: RequestContext) => ({ actor: ctx.principal.keyId, correlationId: ctx.correlationId });

function keyDto(k: ApiKeyRecord) {
  return {
    id: k.keyId,
    name: k.name ?? '',
    role: k.role,
    createdAt: k.createdAt,
    ...(k.expiresAt ? { expiresAt: k.expiresAt } : {}),
    ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
  };
}

export async function createApiKey(ctx: RequestContext): Promise<ApiResponse> {
  const req = ctx.body as CreateApiKeyRequest;
  // Every key expires: in DEFAULT_KEY_LIFETIME_DAYS unless the caller chooses (at most a year).
  if (req.expiresAt && !isAllowedExpiry(req.expiresAt, ctx.now)) {
    throw new ValidationError([
      {
        path: 'expiresAt',
        message: `must be in the future and at most ${MAX_KEY_LIFETIME_DAYS} days ahead (default: ${DEFAULT_KEY_LIFETIME_DAYS} days)`,
      },
    ]);
  }
  const key: ApiKeyRecord = {
    keyId: newId('key', ctx.now.getTime()),
    tenantId: ctx.principal.tenantId,
    name: req.name,
    role: req.role,
    createdAt: ctx.now.toISOString(),
    expiresAt: req.expiresAt ? new Date(req.expiresAt).toISOString() : defaultExpiry(ctx.now),
  };
  await assertTenantHome(ctx);
  if (ctx.dryRun) return { status: 200, body: { dryRun: true, outcome: 'CREATE' } };
  const secret = newApiKeySecret();
  const response: ApiResponse = { status: 201, body: { ...keyDto(key), secret } };
  // A replay must not hand the secret out again, and the table never holds it: store it redacted.
  const record = ctx.idempotency.record(response, (body) => ({ ...(body as object), secret: undefined }));
  await committing(ctx.store.apiKeys.create(hashApiKey(secret), key, actorOf(ctx), record), {
    [API_KEY_ITEMS.tenantHome]: () =>
      new ProblemError('CONCURRENT_MODIFICATION', 'The tenant moved region; retry'),
  });
  return response;
}

export async function listApiKeys(ctx: RequestContext): Promise<ApiResponse> {
  const q = ctx.query as { limit: number; nextToken?: string };
  const scope = JSON.stringify(['api-keys', ctx.principal.tenantId]);
  const start = q.nextToken ? await decodePageToken(q.nextToken, scope) : undefined;
  const page = await ctx.store.apiKeys.list(ctx.principal.tenantId, q.limit, start);
  return {
    status: 200,
    body: {
      items: page.items.map(keyDto),
      ...(page.lastKey ? { nextToken: await encodePageToken(page.lastKey, scope) } : {}),
    },
  };
}

export async function revokeApiKey(ctx: RequestContext): Promise<ApiResponse> {
  const keyId = pathId(ctx, 'keyId', 'key', 'API_KEY_NOT_FOUND');
  const key = await ctx.store.apiKeys.find(ctx.principal.tenantId, keyId);
  if (!key) throw new ProblemError('API_KEY_NOT_FOUND');
  await assertTenantHome(ctx);
  if (ctx.dryRun) return { status: 200, body: { dryRun: true, outcome: 'DELETE' } };
  const now = ctx.now.toISOString();
  const response: ApiResponse = { status: 200, body: keyDto({ ...key, revokedAt: key.revokedAt ?? now }) };
  await committing(ctx.store.apiKeys.revoke(key, now, actorOf(ctx), ctx.idempotency.record(response)), {
    [API_KEY_ITEMS.tenantHome]: () =>
      new ProblemError('CONCURRENT_MODIFICATION', 'The tenant moved region; retry'),
    [API_KEY_ITEMS.key]: () => new ProblemError('API_KEY_NOT_FOUND'),
  });
  return response;
}
