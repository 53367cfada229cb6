import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../local/runtime/runtime.js';
import { madeByController } from '../../helpers/kube-fixtures.js';
import { apiClient, eventually, RUNTIME_START_TIMEOUT_MS, startTestRuntime } from '../../helpers/local.js';

type LogLine = Record<string, unknown>;

/**
 * docs/operations.md, "Following a request": one grep of a correlation id in the functions' logs
 * shows a request's whole life, API -> dispatcher -> provisioner -> status publisher, and the
 * Kubernetes objects and the events carry it too.
 */
describe('End to end: a correlation id follows the work', () => {
  let rt: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // The test runs log SILENT (vitest.config.ts); this one reads the functions' INFO lines.
    rt = await startTestRuntime({ functionLogLevel: 'INFO', echoFunctionLogs: false });
    api = apiClient(rt.apiUrl, rt.apiKey);
  }, RUNTIME_START_TIMEOUT_MS);
  afterAll(async () => rt?.stop());

  /** The lines of functions.log that mention `text` anywhere, as grep would find them. */
  const grep = async (text: string): Promise<LogLine[]> =>
    (await readFile(rt.plane.functionsLog, 'utf8'))
      .split('\n')
      .filter((line) => line.includes(text))
      .map((line) => JSON.parse(line) as LogLine);

  it('is on the log lines of every function that worked on the request, on the objects and on the events', async () => {
    // Prepare
    const correlationId = `corr-test-${Date.now().toString(36)}`;

    // Act
    const created = await api(
      'POST',
      '/v1/clusters',
      { name: 'traced', engine: 'qdrant', region: rt.region, nodes: 1 },
      { 'x-correlation-id': correlationId },
    );
    expect(created.status).toBe(202);
    expect(created.headers.get('x-correlation-id')).toBe(correlationId);
    const { cluster, operation } = created.body;
    const done = await eventually(
      () => api('GET', `/v1/operations/${operation.id}`),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.body.status),
    );
    expect(done.body).toMatchObject({ status: 'SUCCEEDED', correlationId });

    // Assess: the logs. Every function's lines are written as they come; the status publisher's
    // last one (SUCCEEDED) may trail the API's answer by a moment.
    const lines = await eventually(
      () => grep(correlationId),
      (found) => found.some((l) => l.function === 'statusPublisher' && l.status === 'SUCCEEDED'),
    );
    const functions = new Set(lines.map((l) => l.function));
    expect([...functions]).toEqual(
      expect.arrayContaining(['api', 'dispatcher', 'provisioner', 'statusPublisher']),
    );
    // Found by the key, not by chance in a message: each line carries it as `correlationId`,
    // with the operation's id on the pipeline's lines.
    for (const line of lines) expect(line.correlationId, JSON.stringify(line)).toBe(correlationId);
    for (const line of lines.filter((l) => l.function !== 'api')) {
      expect(line.operationId, JSON.stringify(line)).toBe(operation.id);
    }
    expect(lines.find((l) => l.function === 'api')).toMatchObject({
      message: 'request',
      method: 'POST',
      resource: '/v1/clusters',
      status: 202,
    });
    expect(lines.filter((l) => l.function === 'provisioner').map((l) => l.message)).toEqual(
      expect.arrayContaining(['applied', 'ready']),
    );
    // No other request's lines: the provisioner's keys are per record, not left on its logger.
    const other = await grep('"correlationId"');
    expect(other.filter((l) => l.operationId === operation.id && l.correlationId !== correlationId)).toEqual(
      [],
    );

    // Kubernetes: every object Stratus applied for the cluster carries the id (not the PVCs its
    // StatefulSet's controller made).
    const ns = `stratus-${cluster.id}`;
    const objects = (rt.kube?.list() ?? []).filter(
      (o) => (o.metadata.namespace === ns || o.metadata.name === ns) && !madeByController(o),
    );
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.metadata.annotations?.['stratus.dev/correlation-id'], `${o.kind} ${o.metadata.name}`).toBe(
        correlationId,
      );
    }

    // Events: the operation's status changes carry it.
    const events = await rt.bus.waitFor(
      { 'detail-type': ['Operation Status Changed'], detail: { operationId: [operation.id] } },
      { count: 3, timeoutMs: 10_000 },
    );
    for (const e of events) expect(e.detail.correlationId).toBe(correlationId);
  });
});
