import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../cli/tenants.js';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { apiClient, startTestRuntime } from '../../helpers/local.js';

const TSX = resolve('node_modules/tsx/dist/cli.mjs');

/** `npm run admin -- <args>` in its own process, as an operator runs it: exit code, stdout, stderr. */
async function adminProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, 'bin/admin.ts', ...args], {
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout = '', stderr = '' } = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw e;
    return { code, stdout, stderr };
  }
}

/**
 * `npm run admin -- tenants ...` against the local runtime's DynamoDB, found through the runtime's
 * local.json as an operator's shell would find it; the tenant it makes is then used through the API.
 */
describe('CLI: tenants', () => {
  let rt: LocalRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-tenants-'));
    rt = await startTestRuntime({ dataDir });
  }, 60_000);
  afterAll(async () => {
    await rt?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a tenant whose key works and whose quotas the API enforces, then raises them, keeping its usage', async () => {
    // Act: create, in its own process.
    const created = await adminProcess(
      'tenants',
      'create',
      '--name',
      'acme',
      '--max-clusters',
      '1',
      '--max-nodes',
      '2',
      '--local',
      '--data',
      dataDir,
    );

    // Assess: exit 0, the tenant and its key on stdout, the reminder on stderr.
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('The API key is shown once: store it now.');
    const tenant = JSON.parse(created.stdout) as { tenantId: string; apiKey: string };
    expect(tenant).toMatchObject({ role: 'admin', maxClusters: 1, maxNodes: 2 });
    const call = apiClient(rt.apiUrl, tenant.apiKey);
    const create = (name: string) =>
      call('POST', '/v1/clusters', { name, engine: 'valkey', region: rt.region, nodes: 1 });

    // Assess: the key is the new tenant's admin key, and its cluster quota is 1.
    expect((await call('GET', '/v1/clusters')).body).toMatchObject({ items: [] });
    expect((await create('first')).status).toBe(202);
    const refused = await create('second');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('QUOTA_EXCEEDED');

    // Act: raise the cluster quota only.
    const lines: string[] = [];
    await run(
      [
        'quotas',
        '--tenant',
        tenant.tenantId,
        '--max-clusters',
        '3',
        '--max-nodes',
        '2',
        '--local',
        '--data',
        dataDir,
      ],
      (l) => lines.push(l),
    );

    // Assess: one more cluster fits (2 of 3 clusters), then the nodes are used up (2 of 2).
    expect(lines).toEqual([
      `quotas of ${tenant.tenantId} updated in ${rt.region}: 3 clusters, 2 nodes per region`,
    ]);
    expect((await create('second')).status).toBe(202);
    const full = await create('third');
    expect(full.status).toBe(403);
    expect(full.body.code).toBe('QUOTA_EXCEEDED');
  }, 60_000);

  it('exits 1 with the reason and the usage on bad input', async () => {
    // Act
    const [unknownTenant, badQuota] = await Promise.all([
      adminProcess(
        'tenants',
        'quotas',
        '--tenant',
        'tn-nope',
        '--max-clusters',
        '1',
        '--max-nodes',
        '1',
        '--local',
        '--data',
        dataDir,
      ),
      adminProcess(
        'tenants',
        'create',
        '--name',
        'acme',
        '--max-clusters',
        '0x10',
        '--local',
        '--data',
        dataDir,
      ),
    ]);

    // Assess
    expect(unknownTenant).toMatchObject({ code: 1, stdout: '' });
    expect(unknownTenant.stderr).toMatch(
      /^admin tenants: tenant tn-nope does not exist\n\nnpm run admin -- tenants create/,
    );
    expect(badQuota).toMatchObject({ code: 1, stdout: '' });
    expect(badQuota.stderr).toMatch(
      /^admin tenants: --max-clusters must be a whole number, 0 or more \(got "0x10"\)\n/,
    );
  }, 60_000);
});
