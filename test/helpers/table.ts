import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Store } from '../../functions/shared/store/store.js';
import {
  deleteTable,
  ensureTable,
  LOCAL_CREDENTIALS,
  startDynamoLocal,
} from '../../local/runtime/dynamodb.js';
import { sharedDynamo } from './local.js';

/**
 * One table of its own, for store-level integration tests (no runtime around it): in the run's
 * shared DynamoDB Local under an access key of its own (test/helpers/global-setup.ts), else in a
 * DynamoDB Local of its own.
 */
export interface TestTable {
  readonly name: string;
  /** A document client on the table (one client, one database: every region's store sees the same items). */
  readonly doc: DynamoDBDocumentClient;
  /** The store as `region` writes through it. */
  store(region: string): Store;
  stop(): Promise<void>;
}

/** A start bound for `beforeAll`: a JVM start on a loaded 2-core machine. */
export const TABLE_START_TIMEOUT_MS = 180_000;

export async function startTestTable(name = 'stratus-test'): Promise<TestTable> {
  const shared = sharedDynamo();
  const own = shared ? undefined : await startDynamoLocal({});
  const client = new DynamoDBClient({
    endpoint: shared?.endpoint ?? own?.endpoint,
    region: 'eu-west-1',
    credentials: { ...LOCAL_CREDENTIALS, accessKeyId: shared?.accessKeyId ?? LOCAL_CREDENTIALS.accessKeyId },
  });
  const stop = async () => {
    if (shared) await deleteTable(client, name).catch(() => undefined);
    client.destroy();
    await own?.stop();
  };
  try {
    await ensureTable(client, name);
  } catch (e) {
    await stop();
    throw e;
  }
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    name,
    doc,
    store: (region) => new Store(doc, name, region),
    stop,
  };
}
