import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../../functions/shared/store/store.js';
import {
  ensureTable,
  LOCAL_CREDENTIALS,
  type LocalDynamo,
  startDynamoLocal,
} from '../../local/runtime/dynamodb.js';

/** One table in its own DynamoDB Local, for store-level integration tests (no runtime around it). */
export interface TestTable {
  readonly name: string;
  readonly dynamo: LocalDynamo;
  /** A document client on the table (DynamoDB Local runs with `-sharedDb`: every region sees one database). */
  readonly doc: DynamoDBDocumentClient;
  /** The store as `region` writes through it. */
  store(region: string): Store;
  stop(): Promise<void>;
}

/** A start bound for `beforeAll`: a JVM start on a loaded 2-core machine. */
export const TABLE_START_TIMEOUT_MS = 180_000;

export async function startTestTable(name = 'stratus-test'): Promise<TestTable> {
  const dynamo = await startDynamoLocal({});
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await ensureTable(client, name);
  } catch (e) {
    client.destroy();
    await dynamo.stop();
    throw e;
  }
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    name,
    dynamo,
    doc,
    store: (region) => new Store(doc, name, region),
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}
