import { parseArgs } from 'node:util';

import { BOOTSTRAP_KEY_LIFETIME_HOURS, MAX_KEY_LIFETIME_DAYS } from '../functions/shared/domain/apikeys.js';
import { DEFAULT_RATE_LIMITS, rateLimitsProblem } from '../functions/shared/domain/rate-limit.js';
import { createTenant, DEFAULT_QUOTAS, issueAdminKey } from '../functions/shared/tenants.js';
import { RegionAccess } from './access.js';

export const usage = `npm run admin -- tenants create --name <name> [--home-region <r>] [--max-clusters ${DEFAULT_QUOTAS.maxClusters}] [--max-nodes ${DEFAULT_QUOTAS.maxNodes}] [--key-hours ${BOOTSTRAP_KEY_LIFETIME_HOURS}] [--local [--data .stratus]]
npm run admin -- tenants quotas --tenant <tenantId> --max-clusters <n> --max-nodes <n> [--local [--data .stratus]]
npm run admin -- tenants issue-key --tenant <tenantId> [--key-hours ${BOOTSTRAP_KEY_LIFETIME_HOURS}] [--local [--data .stratus]]
npm run admin -- tenants rate-limit --tenant <tenantId> --rate <n> --burst <n> [--local [--data .stratus]]

Creates a tenant and its first admin API key (printed once), or changes a tenant's quotas (what
it uses is kept: a quota lowered below its usage blocks new clusters and nodes, removes none), or
issues a new admin key for a tenant that has none left (break-glass; printed once). Keys made here
are bootstrap keys: they expire after --key-hours (default ${BOOTSTRAP_KEY_LIFETIME_HOURS}); create the tenant's own keys
with them (POST /v1/api-keys), then let them expire. Every key made here is audited with the
actor "operator".
Quotas are per region: the tenant may run up to --max-clusters clusters and --max-nodes nodes in
each region. A tenant's items are written only in its home region (--home-region, default the
first region of cdk.json); \`quotas\` finds the tenant and writes there.
--local talks to the DynamoDB of a running \`npm start\` (<--data>/local.json); otherwise the
table stratus-<stage> in each region with your AWS credentials.
rate-limit sets the tenant's API rate limit per region: each region's API admits --burst requests
per window of burst/rate seconds (default ${DEFAULT_RATE_LIMITS.rate}/s, burst ${DEFAULT_RATE_LIMITS.burst}); more answer 429 RATE_LIMITED
with Retry-After. It applies within 30 s (each API caches it) plus the replication lag.`;

const NAME_MAX = 100;
const KEY_HOURS_MAX = MAX_KEY_LIFETIME_DAYS * 24;

/** --key-hours: a whole number of hours, 1 to KEY_HOURS_MAX. */
function keyHours(value: string | undefined): number {
  if (value === undefined) return BOOTSTRAP_KEY_LIFETIME_HOURS;
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > KEY_HOURS_MAX)
    throw new Error(`--key-hours must be a whole number of hours, 1 to ${KEY_HOURS_MAX} (got "${value}")`);
  return Number(value);
}

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

const KEY_REMINDER =
  'The API key is shown once: store it now. It is a bootstrap key: create your own keys with it (POST /v1/api-keys) before it expires.';

/**
 * `tenants create` and `tenants issue-key` print the new tenant as JSON (the API key in it is shown this once) and a
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
      'key-hours': { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      local: { type: 'boolean', default: false },
      data: { type: 'string' },
    },
  });
  let write: (access: RegionAccess) => Promise<void>;
  if (command === 'create') {
    const name = values.name?.trim();
    if (!name || name.length > NAME_MAX)
      throw new Error(`--name is required (at most ${NAME_MAX} characters)`);
    if (values.rate !== undefined || values.burst !== undefined)
      throw new Error('--rate and --burst go with rate-limit (a new tenant gets the default rate limit)');
    const quotas = {
      maxClusters: quota('max-clusters', values['max-clusters'], DEFAULT_QUOTAS.maxClusters),
      maxNodes: quota('max-nodes', values['max-nodes'], DEFAULT_QUOTAS.maxNodes),
    };
    const keyLifetimeHours = keyHours(values['key-hours']);
    write = async (access) => {
      const home = access.assertRegion(values['home-region'] ?? access.regions[0], '--home-region');
      const t = await createTenant(access.store(home), name, { ...quotas, keyLifetimeHours });
      print(
        JSON.stringify(
          {
            tenantId: t.tenantId,
            homeRegion: home,
            keyId: t.keyId,
            role: 'admin',
            apiKey: t.apiKey,
            expiresAt: t.expiresAt,
            ...quotas,
          },
          null,
          2,
        ),
      );
      warn(KEY_REMINDER);
    };
  } else if (command === 'issue-key') {
    const tenantId = values.tenant;
    if (!tenantId) throw new Error('--tenant is required');
    for (const option of ['home-region', 'max-clusters', 'max-nodes', 'rate', 'burst'] as const)
      if (values[option] !== undefined) throw new Error(`--${option} does not go with issue-key`);
    const keyLifetimeHours = keyHours(values['key-hours']);
    write = async (access) => {
      const tenant = await access.store(access.regions[0] as string).tenants.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
      const k = await issueAdminKey(access.store(tenant.homeRegion), tenantId, { keyLifetimeHours });
      print(
        JSON.stringify(
          {
            tenantId,
            homeRegion: tenant.homeRegion,
            keyId: k.keyId,
            role: 'admin',
            apiKey: k.apiKey,
            expiresAt: k.expiresAt,
          },
          null,
          2,
        ),
      );
      warn(KEY_REMINDER);
    };
  } else if (command === 'rate-limit') {
    const tenantId = values.tenant;
    if (!tenantId) throw new Error('--tenant is required');
    for (const option of ['home-region', 'max-clusters', 'max-nodes', 'key-hours'] as const)
      if (values[option] !== undefined) throw new Error(`--${option} does not go with rate-limit`);
    const limits = { rate: quota('rate', values.rate), burst: quota('burst', values.burst) };
    const problem = rateLimitsProblem(limits);
    if (problem) throw new Error(`--${problem}`);
    write = async (access) => {
      const tenant = await access.store(access.regions[0] as string).tenants.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
      await access.store(tenant.homeRegion).tenants.setRateLimits(tenantId, limits);
      print(
        `rate limit of ${tenantId} updated in ${tenant.homeRegion}: ${limits.burst} requests per ${limits.burst / limits.rate} s (${limits.rate}/s) per region`,
      );
    };
  } else if (command === 'quotas') {
    const tenantId = values.tenant;
    if (!tenantId) throw new Error('--tenant is required');
    if (values['home-region'] !== undefined) throw new Error('--home-region goes with create');
    for (const option of ['key-hours', 'rate', 'burst'] as const)
      if (values[option] !== undefined) throw new Error(`--${option} does not go with quotas`);
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
