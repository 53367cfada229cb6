import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../functions/shared/store/store.js';
import { createTenant, DEFAULT_QUOTAS } from '../functions/shared/tenants.js';
import { parseConfig } from '../lib/config.js';

export const usage = `npm run admin -- tenants create --name <name> [--max-clusters ${DEFAULT_QUOTAS.maxClusters}] [--max-nodes ${DEFAULT_QUOTAS.maxNodes}] [--region <r>] [--local]
npm run admin -- tenants quotas --tenant <tenantId> --max-clusters <n> --max-nodes <n> [--region <r>] [--local]

Creates a tenant and its first admin API key (printed once), or changes a tenant's quotas.
--local talks to the DynamoDB of a running \`npm start\` (.stratus/local.json); otherwise the
table stratus-<stage> in --region with your AWS credentials.`;

function storeFor(local: boolean, region: string | undefined): Store {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { stratus: unknown } };
  const config = parseConfig(cdk.context.stratus);
  let client: DynamoDBClient;
  if (local) {
    const state = JSON.parse(readFileSync('.stratus/local.json', 'utf8')) as {
      dynamodbEndpoint?: string;
      region: string;
    };
    if (!state.dynamodbEndpoint)
      throw new Error('.stratus/local.json has no dynamodbEndpoint: is `npm start` running?');
    client = new DynamoDBClient({
      endpoint: state.dynamodbEndpoint,
      region: state.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  } else {
    client = new DynamoDBClient({ region: region ?? config.regions[0]?.region });
  }
  return new Store(DynamoDBDocumentClient.from(client), `stratus-${config.stage}`);
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
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
    },
  });
  const store = storeFor(values.local ?? false, values.region);
  if (command === 'create') {
    if (!values.name || values.name.length > 100)
      throw new Error('--name is required (at most 100 characters)');
    const t = await createTenant(store, values.name, {
      maxClusters: positive('max-clusters', values['max-clusters'], DEFAULT_QUOTAS.maxClusters),
      maxNodes: positive('max-nodes', values['max-nodes'], DEFAULT_QUOTAS.maxNodes),
    });
    console.log(
      JSON.stringify({ tenantId: t.tenantId, keyId: t.keyId, role: 'admin', apiKey: t.apiKey }, null, 2),
    );
    console.error('The API key is shown once: store it now.');
    return;
  }
  if (command === 'quotas') {
    if (!values.tenant) throw new Error('--tenant is required');
    await store.setQuotas(values.tenant, {
      maxClusters: positive('max-clusters', values['max-clusters']),
      maxNodes: positive('max-nodes', values['max-nodes']),
    });
    console.log(`quotas of ${values.tenant} updated`);
    return;
  }
  throw new Error(`unknown command "${command ?? ''}"`);
}
