import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, issueAdminKey } from '../../../functions/shared/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';
import { routeClient } from './client.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Issue #10 over the wire, against DynamoDB Local: per-tenant rate limits (item 8); every API-key
 * action and every secret reveal leaves an audit record (actor, tenant, target, time, correlation
 * id) that nothing overwrites (item 10); keys expire by default and an expired key is refused
 * (item 11).
 */
describe('Tenant safeguards: rate limits, audit trail, key expiry', () => {
  let rt: LocalRuntime;
  let call: ReturnType<typeof routeClient>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    call = routeClient(rt.apiUrl);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  const trail = async (tenantId: string) => (await rt.store.audit.list(tenantId, 100)).items;

  describe('Audit records', () => {
    it('keeps two records with the same time and correlation id (neither overwritten nor refused)', async () => {
      // Prepare: the same instant and the same caller-supplied correlation id, twice.
      const tenantId = 'tn-01jd8w00000000000000audit1';
      const entry = {
        action: 'connection.reveal' as const,
        tenantId,
        actor: 'key-01jd8w0000000000000000000a',
        target: 'cl-01jd8w0000000000000000000b',
        correlationId: 'corr-same-12345',
        at: '2026-03-01T12:00:00.000Z',
      };

      // Act
      const results = await Promise.allSettled([
        rt.store.audit.record(entry),
        rt.store.audit.record({ ...entry, target: 'cl-01jd8w0000000000000000000c' }),
      ]);

      // Assess
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const items = await trail(tenantId);
      expect(items.map((i) => i.target).sort()).toEqual([
        'cl-01jd8w0000000000000000000b',
        'cl-01jd8w0000000000000000000c',
      ]);
      expect(new Set(items.map((i) => i.auditId)).size).toBe(2);
    });

    it('records the creation and the revocation of a key, with the acting key and correlation id', async () => {
      // Prepare
      const tenant = await createTenant(rt.store, 'audited');
      const headers = { 'x-correlation-id': 'corr-audit-create-1' };

      // Act
      const created = await call(tenant.apiKey, 'POST', '/v1/api-keys', {
        body: { name: 'ci', role: 'viewer' },
        headers,
      });
      const revoked = await call(tenant.apiKey, 'DELETE', '/v1/api-keys/{keyId}', {
        params: { keyId: created.body.id },
        headers: { 'x-correlation-id': 'corr-audit-revoke-1' },
      });

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(revoked.status, revoked.text).toBe(200);
      const records = await trail(tenant.tenantId);
      expect(records).toEqual([
        // The tenant's first key, made by the operator (CLI or local runtime).
        expect.objectContaining({ action: 'apiKey.create', actor: 'operator', target: tenant.keyId }),
        expect.objectContaining({
          action: 'apiKey.create',
          actor: tenant.keyId,
          target: created.body.id,
          tenantId: tenant.tenantId,
          correlationId: 'corr-audit-create-1',
          at: created.body.createdAt,
          region: rt.region,
        }),
        expect.objectContaining({
          action: 'apiKey.revoke',
          actor: tenant.keyId,
          target: created.body.id,
          correlationId: 'corr-audit-revoke-1',
          at: revoked.body.revokedAt,
        }),
      ]);
    });

    it('records a dry run and an idempotent replay of a key creation no more than once', async () => {
      // Prepare
      const tenant = await createTenant(rt.store, 'replayed');
      const req = { body: { name: 'once', role: 'viewer' }, headers: { 'idempotency-key': 'audit-once-1' } };

      // Act
      const dry = await call(tenant.apiKey, 'POST', '/v1/api-keys', { ...req, query: { dryRun: 'true' } });
      const first = await call(tenant.apiKey, 'POST', '/v1/api-keys', req);
      const replay = await call(tenant.apiKey, 'POST', '/v1/api-keys', req);

      // Assess
      expect([dry.status, first.status, replay.status]).toEqual([200, 201, 201]);
      const creations = (await trail(tenant.tenantId)).filter((r) => r.actor === tenant.keyId);
      expect(creations.map((r) => r.target)).toEqual([first.body.id]);
    });

    it('records every reveal of a credential, with the admin key that read it', async () => {
      // Prepare: a READY cluster.
      const created = await call(rt.apiKey, 'POST', '/v1/clusters', {
        body: { name: 'audit-reveal', engine: 'qdrant', region: rt.region },
      });
      expect(created.status, created.text).toBe(202);
      const clusterId = created.body.cluster.id as string;
      await eventually(
        () => call(rt.apiKey, 'GET', '/v1/clusters/{clusterId}', { params: { clusterId } }),
        (r) => r.body.status === 'READY',
        45_000,
      );
      const before = (await trail(rt.tenantId)).filter((r) => r.action === 'connection.reveal').length;

      // Act: two reveals with the same correlation id.
      const headers = { 'x-correlation-id': 'corr-reveal-twice' };
      const reveals = await Promise.all(
        [1, 2].map(() =>
          call(rt.apiKey, 'POST', '/v1/clusters/{clusterId}/connection/reveal', {
            params: { clusterId },
            headers,
          }),
        ),
      );

      // Assess: both answered, both recorded.
      expect(reveals.map((r) => r.status)).toEqual([200, 200]);
      const reveal = (await trail(rt.tenantId)).filter((r) => r.action === 'connection.reveal');
      expect(reveal).toHaveLength(before + 2);
      expect(reveal.slice(-2)).toEqual([
        expect.objectContaining({
          target: clusterId,
          correlationId: 'corr-reveal-twice',
          tenantId: rt.tenantId,
        }),
        expect.objectContaining({
          target: clusterId,
          correlationId: 'corr-reveal-twice',
          tenantId: rt.tenantId,
        }),
      ]);
      expect(reveal.at(-1)?.actor).toMatch(/^key-/);
    }, 60_000);
  });

  describe('Expiry', () => {
    it('gives a key created without expiresAt 90 days, and refuses more than 366', async () => {
      // Act
      const created = await call(rt.apiKey, 'POST', '/v1/api-keys', {
        body: { name: 'default', role: 'viewer' },
      });
      const tooLong = await call(rt.apiKey, 'POST', '/v1/api-keys', {
        body: { name: 'long', role: 'viewer', expiresAt: new Date(Date.now() + 367 * DAY_MS).toISOString() },
      });

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(90 * DAY_MS);
      const listed = await call(rt.apiKey, 'GET', '/v1/api-keys', { query: { limit: '100' } });
      expect(listed.body.items.find((k: { id: string }) => k.id === created.body.id)?.expiresAt).toBe(
        created.body.expiresAt,
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.errors).toEqual([expect.objectContaining({ path: 'expiresAt' })]);
    });

    it('refuses an expired key with 401 API_KEY_EXPIRED naming when it expired', async () => {
      // Prepare: a bootstrap key issued 25 hours ago (it lives 24).
      const expired = await issueAdminKey(rt.store, rt.tenantId, {
        now: new Date(Date.now() - 25 * 3600 * 1000),
      });

      // Act
      const res = await call(expired.apiKey, 'GET', '/v1/clusters');

      // Assess
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('API_KEY_EXPIRED');
      expect(res.body.detail).toContain(expired.expiresAt);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    });

    it('gives the bootstrap admin key of `npm start` a 24-hour life', () => {
      expect(Date.parse(rt.apiKeyExpiresAt) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
      expect(Date.parse(rt.apiKeyExpiresAt) - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    });
  });

  describe('Revocation (docs/decisions.md, D29: keys an instance has seen)', () => {
    it('refuses a key at its first request after its revocation, though the API has seen it: no cluster created, nothing read', async () => {
      // Prepare: an editor key, used to create and read until the API instances know it.
      const tenant = await createTenant(rt.store, 'revoked-seen');
      await rt.store.tenants.setQuotas(tenant.tenantId, { maxClusters: 20, maxNodes: 60 });
      const made = await call(tenant.apiKey, 'POST', '/v1/api-keys', {
        body: { name: 'ci', role: 'editor' },
      });
      expect(made.status, made.text).toBe(201);
      const key: string = made.body.secret;
      const create = (name: string) =>
        call(key, 'POST', '/v1/clusters', { body: { name, engine: 'qdrant', region: rt.region } });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const created = await create(`seen-${i}`);
        // A malformed check of the key (a key seen before) would fail these with a 500.
        expect(created.status, created.text).toBe(202);
        ids.push(created.body.cluster.id);
        expect(
          (
            await call(key, 'GET', '/v1/clusters/{clusterId}', {
              params: { clusterId: created.body.cluster.id },
            })
          ).status,
        ).toBe(200);
      }

      // Act
      const revoked = await call(tenant.apiKey, 'DELETE', '/v1/api-keys/{keyId}', {
        params: { keyId: made.body.id },
      });
      const createAfter = await create('after-revocation');
      const getAfter = await call(key, 'GET', '/v1/clusters/{clusterId}', {
        params: { clusterId: ids[0] ?? '' },
      });

      // Assess
      expect(revoked.status, revoked.text).toBe(200);
      expect(createAfter.status).toBe(401);
      expect(createAfter.body.code).toBe('UNAUTHENTICATED');
      expect(getAfter.status).toBe(401);
      expect(getAfter.text).not.toContain('seen-0');
      expect(
        await rt.store.clusters.getByName(tenant.tenantId, rt.region, 'after-revocation'),
      ).toBeUndefined();
    });
  });

  describe('Per-tenant rate limit', () => {
    it('answers 429 RATE_LIMITED with a truthful Retry-After to a tenant over its limit, while another tenant is served', async () => {
      // Prepare: a tenant allowed 20 requests per 4 s window (leases of one: exact), another with
      // the defaults. The 21 requests must fall in one window: an attempt that crossed a window
      // boundary (a slow, loaded machine) is run again with a fresh tenant.
      const windowMs = 4_000;
      const windowOf = () => Math.floor(Date.now() / windowMs);
      const quiet = await createTenant(rt.store, 'quiet');
      let statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof call>> | undefined;
      let noisy: Awaited<ReturnType<typeof createTenant>> | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        noisy = await createTenant(rt.store, `noisy-${attempt}`);
        await rt.store.tenants.setRateLimits(noisy.tenantId, { rate: 5, burst: 20 });
        // Act
        const started = windowOf();
        statuses = [];
        for (let i = 0; i < 20; i++) statuses.push((await call(noisy.apiKey, 'GET', '/v1/clusters')).status);
        limited = await call(noisy.apiKey, 'GET', '/v1/clusters');
        if (windowOf() === started) break;
      }
      if (!noisy || !limited) throw new Error('unreachable: at least one attempt ran');
      const other = await call(quiet.apiKey, 'GET', '/v1/clusters');

      // Assess
      expect(statuses).toEqual(Array(20).fill(200));
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);
      expect(other.status).toBe(200);
      // Assess: after Retry-After seconds, the tenant is served again.
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      expect((await call(noisy.apiKey, 'GET', '/v1/clusters')).status).toBe(200);
    }, 60_000);
  });
});
