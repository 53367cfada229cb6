import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../functions/shared/store/store.js';
import type { QueueId } from '../functions/topology.js';
import { parseConfig, type StratusConfig } from '../lib/config.js';
import { stratusNames } from '../lib/names.js';

/** What `npm start` writes to `<data>/local.json` that operator commands need. */
export interface LocalState {
  readonly dynamodbEndpoint?: string;
  /** The access key whose databases are the replicas, where DynamoDB Local is shared (the tests'). @default 'local' */
  readonly dynamodbAccessKeyId?: string;
  readonly sqsEndpoint?: string;
  readonly region: string;
  /** Each region's replica (table name) when the local runtime replicates; absent: one shared table. */
  readonly tables?: Readonly<Record<string, string>>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function readConfig(): StratusConfig {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { stratus: unknown } };
  return parseConfig(cdk.context.stratus);
}

/**
 * Per-region access for operator commands: each region's replica of the table (a `Store` that
 * writes as that region) and its SQS. `local` reads a running `npm start`'s `<data>/local.json`;
 * otherwise AWS in each region with the caller's credentials.
 */
export class RegionAccess {
  readonly config: StratusConfig;
  private readonly local?: LocalState;
  private readonly stores = new Map<string, Store>();
  private readonly sqsClients = new Map<string, SQSClient>();

  constructor(opts: { local: boolean; dataDir?: string; config?: StratusConfig }) {
    this.config = opts.config ?? readConfig();
    if (opts.local) {
      const file = join(opts.dataDir ?? '.stratus', 'local.json');
      if (!existsSync(file)) throw new Error(`${file} does not exist: is \`npm start\` running?`);
      const state = JSON.parse(readFileSync(file, 'utf8')) as LocalState;
      if (!state.dynamodbEndpoint)
        throw new Error(`${file} has no dynamodbEndpoint: is \`npm start\` running?`);
      this.local = state;
    }
  }

  get regions(): string[] {
    return this.config.regions.map((r) => r.region);
  }

  /** Throws a clear error for a region the deployment does not have. */
  assertRegion(region: string | undefined, flag: string): string {
    if (!region || !this.regions.includes(region)) {
      throw new Error(`${flag} must be one of: ${this.regions.join(', ')}`);
    }
    return region;
  }

  store(region: string): Store {
    let store = this.stores.get(region);
    if (!store) {
      const client = this.local
        ? new DynamoDBClient({
            endpoint: this.local.dynamodbEndpoint,
            region,
            credentials: {
              ...LOCAL_CREDENTIALS,
              accessKeyId: this.local.dynamodbAccessKeyId ?? LOCAL_CREDENTIALS.accessKeyId,
            },
          })
        : new DynamoDBClient({ region });
      const table = this.local?.tables?.[region] ?? stratusNames(this.config.stage).table;
      store = new Store(DynamoDBDocumentClient.from(client), table, region);
      this.stores.set(region, store);
    }
    return store;
  }

  sqs(region: string): SQSClient {
    let sqs = this.sqsClients.get(region);
    if (!sqs) {
      sqs = this.local?.sqsEndpoint
        ? new SQSClient({
            endpoint: this.local.sqsEndpoint,
            region,
            credentials: LOCAL_CREDENTIALS,
            useQueueUrlAsEndpoint: false,
          })
        : new SQSClient({ region });
      this.sqsClients.set(region, sqs);
    }
    return sqs;
  }

  /** A queue's URL by its stable name (docs/decisions.md D14). */
  async queueUrl(region: string, queue: QueueId): Promise<string> {
    const name = stratusNames(this.config.stage).queue(queue);
    const res = await this.sqs(region).send(new GetQueueUrlCommand({ QueueName: name }));
    if (!res.QueueUrl) throw new Error(`queue ${name} not found in ${region}`);
    return res.QueueUrl;
  }

  destroy(): void {
    for (const s of this.stores.values()) s.table.db.destroy();
    for (const q of this.sqsClients.values()) q.destroy();
  }
}
