/**
 * In-process cost of one request through the API handler (routing, auth, zod, planning,
 * problem mapping), with DynamoDB mocked so only our code is measured.
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { apiEvent } from '../test/helpers/events.js';
import { type BenchRow, emitRows, row } from './report.js';
import { percentile, summarize } from './stats.js';

process.env.TABLE_NAME = 'bench';
process.env.STRATUS_REGION = 'eu-west-1';
process.env.STRATUS_REGIONS = 'eu-west-1,us-east-1';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.PAGE_TOKEN_KEY = 'bench-page-token-key-bench-page-token-key';

export async function benchApiHandler(iterations = 5000): Promise<{ lines: string[]; rows: BenchRow[] }> {
  const { route } = await import('../functions/api/handler.js');
  const ddb = mockClient(DynamoDBDocumentClient);
  const key = 'stratus_benchbenchbenchbenchbenchbenchbench';
  // Every GetItem answers with an item that is both a valid key and a valid cluster.
  ddb.on(GetCommand).resolves({
    Item: {
      keyId: 'k',
      tenantId: 'tn-bench',
      role: 'admin',
      clusterId: 'cl-01jd8w0000000000000000000b',
      name: 'bench',
      engine: 'qdrant',
      version: '1.15.5',
      region: 'eu-west-1',
      nodes: 3,
      sizeName: 'small',
      settings: {},
      deletionProtection: false,
      status: 'READY',
      generation: 1,
      observedGeneration: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    },
  });
  ddb.on(TransactWriteCommand).resolves({});
  const headers = { authorization: `Bearer ${key}` };
  const cases = {
    'POST /v1/clusters (202)': () =>
      route(
        apiEvent({
          method: 'POST',
          resource: '/v1/clusters',
          headers,
          body: { name: 'bench', engine: 'qdrant', region: 'eu-west-1', nodes: 3 },
        }),
      ),
    'POST /v1/clusters invalid (400)': () =>
      route(
        apiEvent({ method: 'POST', resource: '/v1/clusters', headers, body: { name: 'Bad!', engine: 1 } }),
      ),
    'GET /v1/clusters/{id} (200)': () =>
      route(
        apiEvent({
          method: 'GET',
          resource: '/v1/clusters/{clusterId}',
          pathParameters: { clusterId: 'cl-01jd8w0000000000000000000b' },
          headers,
        }),
      ),
  };
  const lines: string[] = [];
  const rows: BenchRow[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < 200; i++) await fn(); // warm-up (JIT)
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      if (i % 250 === 0) ddb.resetHistory(); // the mock records every call; keep it small
      const t = performance.now();
      await fn();
      samples.push((performance.now() - t) * 1000);
    }
    lines.push(`api handler  ${name.padEnd(34)} ${summarize(samples, 'µs')}`);
    const sorted = samples.sort((a, b) => a - b);
    rows.push(
      row({
        bench: 'api-handler',
        name: `${name} p50`,
        figure: percentile(sorted, 50),
        unit: 'µs',
        note: 'in process, DynamoDB mocked',
      }),
    );
  }
  ddb.restore();
  return { lines, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, rows } = await benchApiHandler();
  for (const line of lines) console.log(`  ${line}`);
  emitRows(rows);
}
