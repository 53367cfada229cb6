import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeStandin, startKubeStandin } from '../../../local/kube-standin/server.js';

/**
 * What the stand-in costs as it fills up (issue #12: 1,000 clusters, some 10,000 objects): work
 * per request and bytes written per change must not grow with the number of objects stored.
 * Counted (status rule calls, bytes written by this process), never timed.
 */
const started: KubeStandin[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function standin(opts: Parameters<typeof startKubeStandin>[0]): Promise<KubeStandin> {
  const s = await startKubeStandin({ token: 't', ...opts });
  started.push(s);
  return s;
}

function client(s: KubeStandin) {
  return async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${s.plainUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.token}`, 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

const configMap = (name: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', labels: { app: 'scale' } },
  data: { value },
});

/** Bytes this process has written (files, sockets, pipes) so far: Linux's /proc/self/io. */
const written = () => Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kubernetes stand-in at scale', () => {
  it('runs a simulated controller once per write of an object, not for every stored object at every request', async () => {
    // Prepare: 300 objects whose kind has a status rule, ready at once.
    let ruleCalls = 0;
    const s = await standin({
      readinessDelayMs: 0,
      statusRules: {
        'v1/ConfigMap': () => {
          ruleCalls++;
          return { observed: true };
        },
      },
    });
    const api = client(s);
    await api('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns' },
    });
    for (let i = 0; i < 300; i++)
      await api('POST', '/api/v1/namespaces/ns/configmaps', configMap(`cm-${i}`, 'v'));

    // Act: 100 more requests.
    for (let i = 0; i < 100; i++) await api('GET', '/api/v1/namespaces/ns/configmaps/cm-1');
    const read = await api('GET', '/api/v1/namespaces/ns/configmaps/cm-299');

    // Assess: every object converged (once), and the requests did not revisit them.
    expect(read.body.status).toEqual({ observed: true });
    expect(ruleCalls).toBe(300);
  });

  it('lists a namespace and a label selector among thousands of objects in other namespaces', async () => {
    // Prepare
    const s = await standin({});
    const api = client(s);
    for (const ns of ['ns', 'other']) {
      await api('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
    }
    for (let i = 0; i < 50; i++) {
      await api('POST', '/api/v1/namespaces/other/configmaps', {
        ...configMap(`cm-${i}`, 'v'),
        metadata: { name: `cm-${i}`, namespace: 'other', labels: { app: 'scale' } },
      });
    }
    await api('POST', '/api/v1/namespaces/ns/configmaps', configMap('b', 'v'));
    await api('POST', '/api/v1/namespaces/ns/configmaps', configMap('a', 'v'));
    await api('POST', '/api/v1/namespaces/ns/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns', labels: { app: 'scale' } },
    });

    // Act
    const inNs = await api('GET', '/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dscale');
    const everywhere = await api('GET', '/api/v1/configmaps?labelSelector=app%3Dscale');
    const namespaces = await api('GET', '/api/v1/namespaces');

    // Assess: only that namespace's ConfigMaps, in name order; across namespaces, all of them.
    const names = (list: Record<string, unknown>) =>
      (list.items as Array<{ metadata: { name: string; namespace?: string } }>).map((o) =>
        o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name,
      );
    expect(names(inNs.body)).toEqual(['ns/a', 'ns/b']);
    expect(names(everywhere.body)).toHaveLength(52);
    expect(names(namespaces.body)).toEqual(['default', 'kube-public', 'kube-system', 'ns', 'other']);
  });

  it('persists a change by writing that change, not every stored object again', async () => {
    // Prepare: 500 objects of 1 KB persisted.
    const dir = await mkdtemp(join(tmpdir(), 'standin-scale-'));
    dirs.push(dir);
    const dataFile = join(dir, 'kube.json');
    const s = await standin({ dataFile });
    const api = client(s);
    await api('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns' },
    });
    for (let i = 0; i < 500; i++)
      await api('POST', '/api/v1/namespaces/ns/configmaps', configMap(`cm-${i}`, 'x'.repeat(1000)));
    await sleep(500); // past the persistence debounce (50 ms)

    // Act: one object changes.
    const before = written();
    const patched = await api(
      'PATCH',
      '/api/v1/namespaces/ns/configmaps/cm-7',
      { data: { value: 'changed' } },
      'application/merge-patch+json',
    );
    await sleep(500);
    const bytes = written() - before;
    await s.stop();
    started.splice(started.indexOf(s), 1);
    const again = await standin({ dataFile });
    const read = await client(again)('GET', '/api/v1/namespaces/ns/configmaps/cm-7');

    // Assess: a few KB (the request, its answer, the change), not the 500 KB stored; and it was kept.
    expect(patched.status).toBe(200);
    expect(bytes).toBeLessThan(20_000);
    expect(read.body.data).toEqual({ value: 'changed' });
  });
});
