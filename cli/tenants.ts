import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../functions/shared/store/store.js';
import { createTenant, DEFAULT_QUOTAS } from '../functions/shared/tenants.js';
import { parseConfig } from '../lib/config.js';

export const usage = `npm run admin -- tenants create --name <name> [--max-clusters ${DEFAULT_QUOTAS.maxClusters}] [--max-nodes ${DEFAULT_QUOTAS.maxNodes}] [--region <r>] [--local [--data .stratus]]
npm run admin -- tenants quotas --tenant <tenantId> --max-clusters <n> --max-nodes <n> [--region <r>] [--local [--data .stratus]]

Creates a tenant and its first admin API key (printed once), or changes a tenant's quotas (what
it uses is kept: a quota lowered below its usage blocks new clusters and nodes, removes none).
--local talks to the DynamoDB of a running \`npm start\` (<--data>/local.json); otherwise the
table stratus-<stage> in --region (default: the first region of cdk.json) with your AWS credentials.`;

const NAME_MAX = 100;

interface Target {
  readonly store: Store;
  readonly client: DynamoDBClient;
  /** Where the commands write, for error messages. */
  readonly where: string;
}

function target(values: { local?: boolean; data?: string; region?: string }): Target {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { stratus: unknown } };
  const config = parseConfig(cdk.context.stratus);
  const table = `stratus-${config.stage}`;
  if (values.local) {
    const file = join(values.data ?? '.stratus', 'local.json');
    if (!existsSync(file)) throw new Error(`${file} does not exist: is \`npm start\` running?`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as { dynamodbEndpoint?: string; region: string };
    if (!state.dynamodbEndpoint)
      throw new Error(`${file} has no dynamodbEndpoint: is \`npm start\` running?`);
    const client = new DynamoDBClient({
      endpoint: state.dynamodbEndpoint,
      region: state.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return {
      client,
      store: new Store(DynamoDBDocumentClient.from(client), table),
      where: `DynamoDB Local at ${state.dynamodbEndpoint}`,
    };
  }
  if (values.data !== undefined) throw new Error('--data goes with --local');
  const configured = config.regions.map((r) => r.region);
  if (values.region !== undefined && !configured.includes(values.region)) {
    throw new Error(`--region ${values.region} is not configured in cdk.json (${configured.join(', ')})`);
  }
  const region = values.region ?? configured[0];
  const client = new DynamoDBClient({ region });
  return {
    client,
    store: new Store(DynamoDBDocumentClient.from(client), table),
    where: `${table} in ${region}`,
  };
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
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
      data: { type: 'string' },
    },
  });
  let write: (store: Store) => Promise<void>;
  if (command === 'create') {
    const name = values.name?.trim();
    if (!name || name.length > NAME_MAX)
      throw new Error(`--name is required (at most ${NAME_MAX} characters)`);
    const quotas = {
      maxClusters: quota('max-clusters', values['max-clusters'], DEFAULT_QUOTAS.maxClusters),
      maxNodes: quota('max-nodes', values['max-nodes'], DEFAULT_QUOTAS.maxNodes),
    };
    write = async (store) => {
      const t = await createTenant(store, name, quotas);
      print(
        JSON.stringify(
          { tenantId: t.tenantId, keyId: t.keyId, role: 'admin', apiKey: t.apiKey, ...quotas },
          null,
          2,
        ),
      );
      warn('The API key is shown once: store it now.');
    };
  } else if (command === 'quotas') {
    const tenant = values.tenant;
    if (!tenant) throw new Error('--tenant is required');
    const quotas = {
      maxClusters: quota('max-clusters', values['max-clusters']),
      maxNodes: quota('max-nodes', values['max-nodes']),
    };
    write = async (store) => {
      await store.setQuotas(tenant, quotas);
      print(`quotas of ${tenant} updated: ${quotas.maxClusters} clusters, ${quotas.maxNodes} nodes`);
    };
  } else {
    throw new Error(`unknown command "${command ?? ''}"`);
  }

  const { store, client, where } = target(values);
  try {
    await write(store);
  } catch (e) {
    const refused = (err: unknown): boolean =>
      err instanceof Error &&
      ((err as { code?: string }).code === 'ECONNREFUSED' || err.message.includes('ECONNREFUSED'));
    if (refused(e) || refused((e as Error).cause)) {
      throw new Error(`cannot reach ${where}: is \`npm start\` running?`, { cause: e });
    }
    throw e;
  } finally {
    client.destroy();
  }
}
