import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../functions/shared/store/store.js';
import { createTenant, DEFAULT_QUOTAS } from '../functions/shared/tenants.js';
import { parseConfig } from '../lib/config.js';

export const usage = `npm run admin -- tenants create --name <name> [--home-region <r>] [--max-clusters ${DEFAULT_QUOTAS.maxClusters}] [--max-nodes ${DEFAULT_QUOTAS.maxNodes}] [--local]
npm run admin -- tenants quotas --tenant <tenantId> --max-clusters <n> --max-nodes <n> [--local]

Creates a tenant and its first admin API key (printed once), or changes a tenant's quotas.
Quotas are per region (each region may run up to --max-clusters clusters and --max-nodes nodes
of the tenant). A tenant's items are written only in its home region (--home-region, default the
first configured region): \`quotas\` finds the tenant and writes there.
--local talks to the DynamoDB of a running \`npm start\` (.stratus/local.json); otherwise the
table stratus-<stage> in that region with your AWS credentials.`;

interface LocalState {
  readonly dynamodbEndpoint?: string;
  readonly region: string;
  /** Each region's replica (table name) when the local runtime replicates; absent: one shared table. */
  readonly tables?: Readonly<Record<string, string>>;
}

/** The store of `region`'s replica: writes land where the item's owner is (docs/data-model.md). */
export function storeFor(local: boolean, region: string | undefined): Store {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { stratus: unknown } };
  const config = parseConfig(cdk.context.stratus);
  const regions = config.regions.map((r) => r.region);
  const target = region ?? regions[0] ?? 'eu-west-1';
  if (!regions.includes(target)) throw new Error(`--home-region must be one of: ${regions.join(', ')}`);
  if (local) {
    const state = JSON.parse(readFileSync('.stratus/local.json', 'utf8')) as LocalState;
    if (!state.dynamodbEndpoint)
      throw new Error('.stratus/local.json has no dynamodbEndpoint: is `npm start` running?');
    const client = new DynamoDBClient({
      endpoint: state.dynamodbEndpoint,
      region: target,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return new Store(
      DynamoDBDocumentClient.from(client),
      state.tables?.[target] ?? `stratus-${config.stage}`,
      target,
    );
  }
  return new Store(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: target })),
    `stratus-${config.stage}`,
    target,
  );
}

const positive = (name: string, v: string | undefined, fallback?: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (n === undefined || !Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer`);
  return n;
};

export async function run(args: string[]): Promise<void> {
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
    },
  });
  const local = values.local ?? false;
  if (command === 'create') {
    const store = storeFor(local, values['home-region']);
    if (!values.name || values.name.length > 100)
      throw new Error('--name is required (at most 100 characters)');
    const t = await createTenant(store, values.name, {
      maxClusters: positive('max-clusters', values['max-clusters'], DEFAULT_QUOTAS.maxClusters),
      maxNodes: positive('max-nodes', values['max-nodes'], DEFAULT_QUOTAS.maxNodes),
    });
    console.log(
      JSON.stringify(
        { tenantId: t.tenantId, homeRegion: store.region, keyId: t.keyId, role: 'admin', apiKey: t.apiKey },
        null,
        2,
      ),
    );
    console.error('The API key is shown once: store it now.');
    return;
  }
  if (command === 'quotas') {
    if (!values.tenant) throw new Error('--tenant is required');
    const tenant = await storeFor(local, undefined).tenants.get(values.tenant);
    if (!tenant) throw new Error(`tenant ${values.tenant} does not exist`);
    await storeFor(local, tenant.homeRegion).tenants.setQuotas(values.tenant, {
      maxClusters: positive('max-clusters', values['max-clusters']),
      maxNodes: positive('max-nodes', values['max-nodes']),
    });
    console.log(`quotas of ${values.tenant} updated`);
    return;
  }
  throw new Error(`unknown command "${command ?? ''}"`);
}
