import { parseArgs } from 'node:util';

import { createTenant, DEFAULT_QUOTAS } from '../functions/shared/tenants.js';
import { RegionAccess } from './access.js';

export const usage = `npm run admin -- tenants create --name <name> [--home-region <r>] [--max-clusters ${DEFAULT_QUOTAS.maxClusters}] [--max-nodes ${DEFAULT_QUOTAS.maxNodes}] [--local [--data .stratus]]
npm run admin -- tenants quotas --tenant <tenantId> --max-clusters <n> --max-nodes <n> [--local [--data .stratus]]

Creates a tenant and its first admin API key (printed once), or changes a tenant's quotas (what
it uses is kept: a quota lowered below its usage blocks new clusters and nodes, removes none).
Quotas are per region: the tenant may run up to --max-clusters clusters and --max-nodes nodes in
each region. A tenant's items are written only in its home region (--home-region, default the
first region of cdk.json); \`quotas\` finds the tenant and writes there.
--local talks to the DynamoDB of a running \`npm start\` (<--data>/local.json); otherwise the
table stratus-<stage> in each region with your AWS credentials.`;

const NAME_MAX = 100;

/** A quota as typed: digits only, so that `''`, `-1`, `1.5`, `0x10` or `1e3` are refused, not read as numbers. */
function quota(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  if (!/^\d{1,9}$/.test(value))
    throw new Error(`--${name} must be a whole number, 0 or more (got "${value}")`);
  return Number(value);
}

/**
 * `tenants create` prints the new tenant as JSON (the API key in it is shown this once) and a
 * reminder on `warn`; `tenants quotas` prints one line. Bad input throws before anything is written.
 */
export async function run(
  args: string[],
  print: (line: string) => void = console.log,
  warn: (line: string) => void = console.error,
): Promise<void> {
  const [command, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      'max-clusters': { type: 'string' },
      'max-nodes': { type: 'string' },
      'home-region': { type: 'string' },
      local: { type: 'boolean', default: false },
      data: { type: 'string' },
    },
  });
  let write: (access: RegionAccess) => Promise<void>;
  if (command === 'create') {
    const name = values.name?.trim();
    if (!name || name.length > NAME_MAX)
      throw new Error(`--name is required (at most ${NAME_MAX} characters)`);
    const quotas = {
      maxClusters: quota('max-clusters', values['max-clusters'], DEFAULT_QUOTAS.maxClusters),
      maxNodes: quota('max-nodes', values['max-nodes'], DEFAULT_QUOTAS.maxNodes),
    };
    write = async (access) => {
      const home = access.assertRegion(values['home-region'] ?? access.regions[0], '--home-region');
      const t = await createTenant(access.store(home), name, quotas);
      print(
        JSON.stringify(
          {
            tenantId: t.tenantId,
            homeRegion: home,
            keyId: t.keyId,
            role: 'admin',
            apiKey: t.apiKey,
            ...quotas,
          },
          null,
          2,
        ),
      );
      warn('The API key is shown once: store it now.');
    };
  } else if (command === 'quotas') {
    const tenantId = values.tenant;
    if (!tenantId) throw new Error('--tenant is required');
    if (values['home-region'] !== undefined) throw new Error('--home-region goes with create');
    const quotas = {
      maxClusters: quota('max-clusters', values['max-clusters']),
      maxNodes: quota('max-nodes', values['max-nodes']),
    };
    write = async (access) => {
      // Any replica knows where the tenant lives; only that region writes it.
      const tenant = await access.store(access.regions[0] as string).tenants.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
      await access.store(tenant.homeRegion).tenants.setQuotas(tenantId, quotas);
      print(
        `quotas of ${tenantId} updated in ${tenant.homeRegion}: ${quotas.maxClusters} clusters, ${quotas.maxNodes} nodes per region`,
      );
    };
  } else {
    throw new Error(`unknown command "${command ?? ''}"`);
  }

  if (values.data !== undefined && !values.local) throw new Error('--data goes with --local');
  const access = new RegionAccess({
    local: values.local ?? false,
    ...(values.data ? { dataDir: values.data } : {}),
  });
  try {
    await write(access);
  } catch (e) {
    const refused = (err: unknown): boolean =>
      err instanceof Error &&
      ((err as { code?: string }).code === 'ECONNREFUSED' || err.message.includes('ECONNREFUSED'));
    if (refused(e) || refused((e as Error).cause)) {
      throw new Error(`cannot reach DynamoDB${values.local ? ' Local' : ''}: is \`npm start\` running?`, {
        cause: e,
      });
    }
    throw e;
  } finally {
    access.destroy();
  }
}
