import { beforeAll, describe, expect, it } from 'vitest';
import { type Operation, StratusApiError, StratusClient } from '../../../sdk/index.js';
import { type ClientsPlane, HOME, LOADED_MACHINE_MS, OTHER } from '../../helpers/clients.js';

/** The SDK over HTTP against the local control plane of two regions (clients.test.ts starts it). */
export function sdkSuite(getPlane: () => ClientsPlane): void {
  describe('SDK: against the local control plane', () => {
    let plane: ClientsPlane;
    let stratus: StratusClient;

    beforeAll(() => {
      plane = getPlane();
      stratus = new StratusClient({ baseUrl: plane.cp.region(HOME).apiUrl, apiKey: plane.cp.apiKey });
    });

    it(
      'creates a cluster in the other region through a followed 421, waits for it with progress, then deletes it',
      async () => {
        // Act: the home region's API does not manage us-east-1: the SDK follows the 421 there.
        const created = await stratus.clusters.create({
          name: 'sdk-orders',
          engine: 'valkey',
          region: OTHER,
        });
        const seen: Operation['status'][] = [];
        const done = await stratus.waitForOperation(created.operation?.id ?? '', {
          timeout: LOADED_MACHINE_MS,
          pollIntervalMs: 200,
          onProgress: (op) => seen.push(op.status),
        });

        // Assess
        expect(created.cluster).toMatchObject({ name: 'sdk-orders', region: OTHER, status: 'PENDING' });
        expect(done).toMatchObject({ status: 'SUCCEEDED', type: 'CREATE', region: OTHER });
        expect(seen.at(-1)).toBe('SUCCEEDED');
        expect(seen.length).toBeGreaterThan(1);
        const other = new StratusClient({ baseUrl: plane.cp.region(OTHER).apiUrl, apiKey: plane.cp.apiKey });
        expect((await other.clusters.get(created.cluster.id)).status).toBe('READY');

        // Act: a delete through the home region's API also lands in us-east-1.
        const deleted = await stratus.clusters.delete(created.cluster.id);
        const gone = await stratus.waitForOperation(deleted.operation?.id ?? '', {
          timeout: LOADED_MACHINE_MS,
          pollIntervalMs: 200,
        });

        // Assess
        expect(gone).toMatchObject({ status: 'SUCCEEDED', type: 'DELETE' });
      },
      LOADED_MACHINE_MS,
    );

    it(
      'replays a create with the same Idempotency-Key, and throws typed problems',
      async () => {
        // Prepare
        const input = { name: 'sdk-idem', engine: 'qdrant', region: HOME } as const;

        // Act
        const first = await stratus.clusters.create(input, { idempotencyKey: 'sdk-test-42' });
        const again = await stratus.clusters.create(input, { idempotencyKey: 'sdk-test-42' });
        const taken = await stratus.clusters.create(input).catch((e: unknown) => e);
        const invalid = await stratus.clusters
          .create({ ...input, name: 'Bad Name!', nodes: 99 })
          .catch((e: unknown) => e);
        const missing = await stratus.clusters.get('cl-doesnotexist').catch((e: unknown) => e);
        const dry = await stratus.clusters.createDryRun({ ...input, name: 'sdk-dry' });

        // Assess
        expect(again.operation?.id).toBe(first.operation?.id);
        expect(taken).toBeInstanceOf(StratusApiError);
        expect(taken).toMatchObject({ status: 409, code: 'CLUSTER_NAME_TAKEN' });
        expect((taken as StratusApiError).correlationId).toBeTruthy();
        expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect((invalid as StratusApiError).errors.map((e) => e.path).sort()).toEqual(['name', 'nodes']);
        expect(missing).toMatchObject({ status: 404, code: 'CLUSTER_NOT_FOUND' });
        expect(dry).toMatchObject({ dryRun: true, outcome: 'CREATE' });
        await expect(stratus.clusters.get('cl-doesnotexist')).rejects.toThrow(StratusApiError);
        const names: string[] = [];
        for await (const c of stratus.clusters.listAll({ region: HOME })) names.push(c.name);
        expect(names).not.toContain('sdk-dry');
      },
      LOADED_MACHINE_MS,
    );

    it(
      'iterates API keys page by page, and a revoked key gets 401 UNAUTHENTICATED',
      async () => {
        // Prepare
        const made = [];
        for (const name of ['sdk-a', 'sdk-b', 'sdk-c'])
          made.push(await stratus.apiKeys.create({ name, role: 'viewer' }));

        // Act
        const pages = await stratus.apiKeys.list({ limit: 1 });
        const names: string[] = [];
        for await (const key of stratus.apiKeys.listAll({ limit: 1 })) names.push(key.name);
        await stratus.apiKeys.revoke(made[0]?.id ?? '');
        const revoked = new StratusClient({ baseUrl: stratus.baseUrl, apiKey: made[0]?.secret ?? '' });
        const viewer = new StratusClient({ baseUrl: stratus.baseUrl, apiKey: made[1]?.secret ?? '' });

        // Assess
        expect(pages.items).toHaveLength(1);
        expect(pages.nextToken).toBeTruthy();
        expect(names).toEqual(expect.arrayContaining(['sdk-a', 'sdk-b', 'sdk-c']));
        expect(new Set(names).size).toBe(names.length);
        await expect(revoked.clusters.list()).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
        await expect(viewer.apiKeys.create({ name: 'nope', role: 'admin' })).rejects.toMatchObject({
          status: 403,
          code: 'FORBIDDEN_ROLE',
        });
      },
      LOADED_MACHINE_MS,
    );
  });
}
