/**
 * What the stand-in does for clients other than ours (kubectl, client-go): TLS, content
 * negotiation, Tables, field selectors, watches, dry runs, JSON patch, strategic merge patch
 * (lists merged by their keys; refused on custom resources), the OpenAPI v3 index, and the write semantics
 * of the real API server (no generation on core kinds, the namespace finalizer, no
 * resourceVersion on create). Raw HTTP on the plain listener, except where TLS is the subject.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeStandin } from '../../../local/kube-standin/server.js';
import { startTestStandin, waitFor } from '../../helpers/kube.js';

type Json = Record<string, unknown>;

describe('Kubernetes stand-in for kubectl and client-go', () => {
  let standin: KubeStandin;
  const call = async (
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<{ status: number; body: Json; contentType: string | null }> => {
    const res = await fetch(`${standin.plainUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${standin.token}`,
        ...(opts.accept ? { accept: opts.accept } : {}),
        ...(opts.body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
      },
      ...(opts.body !== undefined
        ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
    return {
      status: res.status,
      body: (await res.json()) as Json,
      contentType: res.headers.get('content-type'),
    };
  };
  const cm = (namespace: string, name: string, data: Record<string, string> = { a: '1' }) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data,
  });
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

  beforeAll(async () => {
    standin = await startTestStandin();
    for (const name of ['neg', 'tbl', 'sel', 'wat', 'dry', 'pat']) {
      await call('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      });
    }
  });
  afterAll(async () => standin?.stop());

  describe('TLS', () => {
    it('serves HTTPS with a certificate its CA signed for 127.0.0.1, and client-node trusts it through the written kubeconfig', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'stratus-kubeconfig-'));
      try {
        await standin.writeKubeconfig(join(dir, 'kubeconfig'));
        const kc = new KubeConfig();
        kc.loadFromFile(join(dir, 'kubeconfig'));
        const api = KubernetesObjectApi.makeApiClient(kc);

        // Act
        const ns = await api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
        const untrusted = await new Promise<Error | undefined>((resolve) => {
          // Without the CA: the certificate is refused (it is not a public CA's).
          const req = httpsRequest(`${standin.url}/version`, (res) => {
            res.resume();
            resolve(undefined);
          });
          req.on('error', resolve);
          req.end();
        });

        // Assess
        expect(standin.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect(kc.getCurrentCluster()).toMatchObject({ server: standin.url, skipTLSVerify: false });
        expect(kc.getCurrentCluster()?.caData).toBe(Buffer.from(standin.caCert).toString('base64'));
        expect(ns.metadata?.name).toBe('default');
        expect(untrusted?.message).toMatch(/certificate/i);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Content negotiation', () => {
    it('answers JSON when protobuf is preferred but JSON acceptable, 406 when only protobuf is', async () => {
      // Act
      const preferred = await call('GET', '/api/v1/namespaces/neg', {
        accept: 'application/vnd.kubernetes.protobuf, */*',
      });
      const only = await call('GET', '/api/v1/namespaces/neg', {
        accept: 'application/vnd.kubernetes.protobuf',
      });

      // Assess
      expect(preferred).toMatchObject({
        status: 200,
        contentType: 'application/json',
        body: { kind: 'Namespace' },
      });
      expect(only).toMatchObject({
        status: 406,
        body: { kind: 'Status', code: 406, reason: 'NotAcceptable' },
      });
    });

    it('reads a protobuf ConfigMap (what kubectl 1.32+ `create configmap` sends), refuses protobuf of other kinds (415)', async () => {
      // Prepare: k8s.io/api generated.proto field numbers, in the `k8s\0` runtime.Unknown envelope.
      const field = (num: number, bytes: Buffer | string) => {
        const b = Buffer.from(bytes);
        return Buffer.concat([Buffer.from([(num << 3) | 2, b.length]), b]);
      };
      const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
        Buffer.concat([
          Buffer.from('k8s\u0000', 'binary'),
          field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])),
          field(2, raw),
        ]);
      const configMap = envelope(
        'v1',
        'ConfigMap',
        Buffer.concat([
          field(
            1,
            Buffer.concat([field(1, 'proto'), field(11, Buffer.concat([field(1, 'tier'), field(2, 'db')]))]),
          ),
          field(2, Buffer.concat([field(1, 'k'), field(2, 'v')])),
          field(2, Buffer.concat([field(1, 'k2'), field(2, 'v2')])),
        ]),
      );
      const post = (body: Buffer) =>
        fetch(`${standin.plainUrl}/api/v1/namespaces/neg/configmaps`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${standin.token}`,
            'content-type': 'application/vnd.kubernetes.protobuf',
          },
          body,
        });

      // Act
      const created = await post(configMap);
      const pod = await post(envelope('v1', 'Pod', field(1, field(1, 'p'))));
      const garbage = await post(Buffer.from('k8s\u0000\u00ff\u00ff', 'binary'));

      // Assess
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({
        kind: 'ConfigMap',
        metadata: { name: 'proto', namespace: 'neg', labels: { tier: 'db' } },
        data: { k: 'v', k2: 'v2' },
      });
      expect(pod.status).toBe(415);
      expect(await pod.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
      expect(garbage.status).toBe(400);
    });

    it('refuses an unknown request body type with 415 and a Status, and accepts YAML', async () => {
      // Act
      const cbor = await call('POST', '/api/v1/namespaces/neg/configmaps', {
        body: JSON.stringify(cm('neg', 'x')),
        contentType: 'application/cbor',
      });
      const text = await call('POST', '/api/v1/namespaces/neg/configmaps', {
        body: JSON.stringify(cm('neg', 'x')),
        contentType: 'text/plain',
      });
      const yaml = await call('POST', '/api/v1/namespaces/neg/configmaps', {
        body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n',
        contentType: 'application/yaml',
      });

      // Assess
      expect(cbor).toMatchObject({
        status: 415,
        body: { kind: 'Status', reason: 'UnsupportedMediaType' },
      });
      expect(text).toMatchObject({ status: 415, body: { kind: 'Status', code: 415 } });
      expect(yaml).toMatchObject({
        status: 201,
        body: { metadata: { name: 'y', namespace: 'neg' }, data: { k: 'v' } },
      });
    });
  });

  describe('Discovery', () => {
    it('serves short names, categories and the watch verb', async () => {
      // Act
      const core = await call('GET', '/api/v1');
      const apps = await call('GET', '/apis/apps/v1');

      // Assess
      const resources = [...(core.body.resources as Json[]), ...(apps.body.resources as Json[])];
      const of = (name: string) => resources.find((r) => r.name === name);
      expect(of('namespaces')).toMatchObject({
        shortNames: ['ns'],
        verbs: expect.arrayContaining(['watch']),
      });
      expect(of('statefulsets')).toMatchObject({ shortNames: ['sts'], categories: ['all'] });
      expect(of('services')).toMatchObject({ shortNames: ['svc'], categories: ['all'] });
      expect(of('configmaps')).toMatchObject({ shortNames: ['cm'] });
      expect(of('configmaps')?.categories).toBeUndefined();
    });

    it('indexes OpenAPI v3 by group-version, each PATCH declaring fieldValidation for its kind', async () => {
      // Act
      const index = await call('GET', '/openapi/v3');
      const url = (index.body.paths as Record<string, { serverRelativeURL: string }>)['apis/apps/v1']
        ?.serverRelativeURL;
      const doc = await call('GET', url ?? '/missing');

      // Assess
      expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
      const item = (doc.body.paths as Record<string, Json>)[
        '/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}'
      ];
      expect(item?.patch).toMatchObject({
        'x-kubernetes-group-version-kind': { group: 'apps', version: 'v1', kind: 'StatefulSet' },
        parameters: expect.arrayContaining([
          expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
        ]),
      });
    });
  });

  describe('Tables', () => {
    it('answers as=Table with the kind columns, ages, and the object as asked (includeObject)', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces/tbl/configmaps', { body: cm('tbl', 'two', { a: '1', b: '2' }) });

      // Act
      const list = await call('GET', '/api/v1/namespaces/tbl/configmaps', { accept: TABLE });
      const one = await call('GET', '/api/v1/namespaces/tbl', { accept: TABLE });
      const full = await call('GET', '/api/v1/namespaces/tbl/configmaps?includeObject=Object', {
        accept: TABLE,
      });
      const none = await call('GET', '/api/v1/namespaces/tbl/configmaps?includeObject=None', {
        accept: TABLE,
      });

      // Assess
      expect(list.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
      expect((list.body.columnDefinitions as Json[]).map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
      const [row] = list.body.rows as Array<{ cells: unknown[]; object: Json }>;
      expect(row?.cells).toEqual(['two', 2, expect.stringMatching(/^\d+s$/)]);
      expect(row?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'two' } });
      expect((one.body.rows as Array<{ cells: unknown[] }>)[0]?.cells.slice(0, 2)).toEqual(['tbl', 'Active']);
      expect((full.body.rows as Array<{ object: Json }>)[0]?.object).toMatchObject({
        kind: 'ConfigMap',
        data: { a: '1', b: '2' },
      });
      expect((none.body.rows as Json[])[0]?.object).toBeUndefined();
    });
  });

  describe('Field selectors', () => {
    it('selects by metadata.name and metadata.namespace, and refuses other fields with 400', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces/sel/configmaps', { body: cm('sel', 'one') });
      await call('POST', '/api/v1/namespaces/sel/configmaps', { body: cm('sel', 'two') });

      // Act
      const byName = await call('GET', '/api/v1/namespaces/sel/configmaps?fieldSelector=metadata.name%3Dtwo');
      const notName = await call(
        'GET',
        '/api/v1/namespaces/sel/configmaps?fieldSelector=metadata.name!%3Dtwo',
      );
      const byNamespace = await call('GET', '/api/v1/configmaps?fieldSelector=metadata.namespace%3D%3Dsel');
      const other = await call('GET', '/api/v1/configmaps?fieldSelector=data.a%3D1');

      // Assess
      const names = (r: { body: Json }) =>
        (r.body.items as Array<{ metadata: Json }>).map((i) => i.metadata.name);
      expect(names(byName)).toEqual(['two']);
      expect(names(notName)).toEqual(['one']);
      expect(names(byNamespace)).toEqual(['one', 'two']);
      expect(other).toMatchObject({ status: 400, body: { message: 'field label not supported: data.a' } });
    });
  });

  describe('Watches', () => {
    /** Reads a watch stream's events until `until` holds for them or the stream ends. */
    const watch = async (path: string, until: (events: Json[]) => boolean, act?: () => Promise<void>) => {
      const controller = new AbortController();
      const res = await fetch(`${standin.plainUrl}${path}`, {
        headers: { authorization: `Bearer ${standin.token}` },
        signal: controller.signal,
      });
      const events: Json[] = [];
      const reader = res.body?.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let ended = false;
      const reading = (async () => {
        for (;;) {
          const chunk = await reader?.read().catch(() => ({ done: true, value: undefined }));
          if (!chunk || chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            events.push(JSON.parse(buffer.slice(0, nl)) as Json);
            buffer = buffer.slice(nl + 1);
          }
          if (until(events)) break;
        }
        ended = true;
      })();
      await act?.();
      await waitFor(async () => (ended ? true : undefined), { what: 'the watch events' });
      controller.abort();
      await reading;
      return { status: res.status, events };
    };

    it('streams ADDED, MODIFIED and DELETED with rising resourceVersions, from the state (no resourceVersion)', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces/wat/configmaps', { body: cm('wat', 'before') });

      // Act
      const { status, events } = await watch(
        '/api/v1/namespaces/wat/configmaps?watch=1',
        (e) => e.some((x) => x.type === 'DELETED'),
        async () => {
          await call('POST', '/api/v1/namespaces/wat/configmaps', { body: cm('wat', 'new') });
          await call('PATCH', '/api/v1/namespaces/wat/configmaps/new', {
            body: { data: { a: '2' } },
            contentType: 'application/merge-patch+json',
          });
          await call('DELETE', '/api/v1/namespaces/wat/configmaps/new');
        },
      );

      // Assess
      expect(status).toBe(200);
      expect(events.map((e) => [e.type, ((e.object as Json).metadata as Json).name])).toEqual([
        ['ADDED', 'before'],
        ['ADDED', 'new'],
        ['MODIFIED', 'new'],
        ['DELETED', 'new'],
      ]);
      const versions = events
        .slice(1)
        .map((e) => Number(((e.object as Json).metadata as Json).resourceVersion));
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).toBe(3);
      expect(events[1]?.object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    });

    it('resumes from a list resourceVersion (what happened since), sends a bookmark, and ends at timeoutSeconds', async () => {
      // Prepare
      const list = await call('GET', '/api/v1/namespaces/wat/configmaps');
      const rv = (list.body.metadata as Json).resourceVersion as string;
      await call('POST', '/api/v1/namespaces/wat/configmaps', { body: cm('wat', 'since') });

      // Act
      const { events } = await watch(
        `/api/v1/namespaces/wat/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
        () => false,
      );

      // Assess: only the change since the list, a bookmark at the current version, then the end.
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
      expect(events[0]?.object).toMatchObject({ metadata: { name: 'since' } });
      const bookmark = events[1]?.object as { metadata: Json } | undefined;
      expect(Number(bookmark?.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    });

    it('answers a watch from a resourceVersion older than its window with an ERROR event: 410 Expired', async () => {
      // Prepare
      const small = await startTestStandin({ watchWindow: 1 });
      try {
        const headers = { authorization: `Bearer ${small.token}`, 'content-type': 'application/json' };
        for (const name of ['a', 'b']) {
          await fetch(`${small.plainUrl}/api/v1/namespaces/default/configmaps`, {
            method: 'POST',
            headers,
            body: JSON.stringify(cm('default', name)),
          });
        }

        // Act
        const res = await fetch(
          `${small.plainUrl}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1`,
          {
            headers,
          },
        );
        const lines = (await res.text()).trim().split('\n');

        // Assess
        expect(lines.map((l) => JSON.parse(l))).toEqual([
          {
            type: 'ERROR',
            object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
          },
        ]);
      } finally {
        await small.stop();
      }
    });

    it('filters by field selector, and sees the namespace removed by the simulated controller', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wat-gone' } },
      });

      // Act
      const { events } = await watch(
        '/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3Dwat-gone',
        (e) => e.some((x) => x.type === 'DELETED'),
        async () => {
          await call('DELETE', '/api/v1/namespaces/wat-gone');
        },
      );

      // Assess
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(events[1]?.object).toMatchObject({ status: { phase: 'Terminating' } });
    });
  });

  describe('Write semantics', () => {
    it('keeps no generation on ConfigMaps and Namespaces, gives Namespaces the kubernetes finalizer, and answers their deletion with the object', async () => {
      // Act
      const created = await call('POST', '/api/v1/namespaces/pat/configmaps', { body: cm('pat', 'gen') });
      const updated = await call('PUT', '/api/v1/namespaces/pat/configmaps/gen', {
        body: cm('pat', 'gen', { a: '2' }),
      });
      const ns = await call('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pat-ns' } },
      });
      const deleted = await call('DELETE', '/api/v1/namespaces/pat-ns');

      // Assess
      expect((created.body.metadata as Json).generation).toBeUndefined();
      expect((updated.body.metadata as Json).generation).toBeUndefined();
      expect(ns.body).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
      expect((ns.body.metadata as Json).generation).toBeUndefined();
      expect(deleted).toMatchObject({
        status: 200,
        body: { kind: 'Namespace', metadata: { name: 'pat-ns', deletionTimestamp: expect.any(String) } },
      });
    });

    it('reads and writes spec.replicas through the scale subresource (autoscaling/v1 Scale), a body without Content-Type being JSON', async () => {
      // Prepare
      await call('POST', '/apis/apps/v1/namespaces/pat/deployments', {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          // The template's labels match the selector and it has a container: the API server
          // refuses a workload otherwise.
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx' }] },
            },
          },
        },
      });
      const path = '/apis/apps/v1/namespaces/pat/deployments/web/scale';

      // Act
      const read = await call('GET', path);
      const patched = await call('PATCH', path, {
        body: { spec: { replicas: 3 } },
        contentType: 'application/merge-patch+json',
      });
      const put = await fetch(`${standin.plainUrl}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${standin.token}` },
        // Bytes: fetch sends no Content-Type for them (for a string it sends text/plain).
        body: new TextEncoder().encode(JSON.stringify({ ...patched.body, spec: { replicas: 4 } })),
      });
      const stale = await call('PUT', path, { body: { ...patched.body, spec: { replicas: 5 } } });
      const negative = await call('PATCH', path, {
        body: { spec: { replicas: -1 } },
        contentType: 'application/merge-patch+json',
      });
      const deployment = await call('GET', '/apis/apps/v1/namespaces/pat/deployments/web');
      const discovery = await call('GET', '/apis/apps/v1');

      // Assess
      expect(read.body).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        spec: { replicas: 1 },
        status: { selector: 'app=web' },
      });
      expect(patched.body).toMatchObject({ spec: { replicas: 3 } });
      expect(put.status).toBe(200);
      expect(stale.status).toBe(409);
      expect(negative.status).toBe(422);
      expect(deployment.body).toMatchObject({ spec: { replicas: 4 }, metadata: { generation: 3 } });
      expect(discovery.body.resources).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'deployments/scale',
            group: 'autoscaling',
            version: 'v1',
            kind: 'Scale',
          }),
        ]),
      );
    });

    it('refuses a create that carries a resourceVersion with 400', async () => {
      // Act
      const res = await call('POST', '/api/v1/namespaces/pat/configmaps', {
        body: { ...cm('pat', 'rv'), metadata: { name: 'rv', resourceVersion: '12' } },
      });

      // Assess
      expect(res).toMatchObject({
        status: 400,
        body: { reason: 'BadRequest', message: 'resourceVersion should not be set on objects to be created' },
      });
    });

    it('answers dryRun=All writes as if done, and changes nothing', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces/dry/configmaps', { body: cm('dry', 'kept') });
      const before = await call('GET', '/api/v1/namespaces/dry/configmaps');

      // Act
      const created = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', {
        body: cm('dry', 'ghost'),
      });
      const patched = await call('PATCH', '/api/v1/namespaces/dry/configmaps/kept?dryRun=All', {
        body: { data: { a: '9' } },
        contentType: 'application/merge-patch+json',
      });
      const deleted = await call('DELETE', '/api/v1/namespaces/dry/configmaps/kept?dryRun=All');
      const nsDeleted = await call('DELETE', '/api/v1/namespaces/dry?dryRun=All');
      const bad = await call('DELETE', '/api/v1/namespaces/dry/configmaps/kept?dryRun=Some');
      const after = await call('GET', '/api/v1/namespaces/dry/configmaps');
      const ns = await call('GET', '/api/v1/namespaces/dry');

      // Assess
      expect(created).toMatchObject({
        status: 201,
        body: { metadata: { name: 'ghost', uid: expect.any(String) } },
      });
      expect(patched).toMatchObject({ status: 200, body: { data: { a: '9' } } });
      expect(deleted.status).toBe(200);
      expect(nsDeleted.body).toMatchObject({ status: { phase: 'Terminating' } });
      expect(bad.status).toBe(400);
      expect(after.body.items).toEqual(before.body.items);
      expect(ns.body).toMatchObject({ status: { phase: 'Active' } });
      expect((ns.body.metadata as Json).deletionTimestamp).toBeUndefined();
    });

    it('applies a JSON patch (RFC 6902), atomically: a failed test changes nothing (422)', async () => {
      // Prepare
      await call('POST', '/api/v1/namespaces/pat/configmaps', {
        body: cm('pat', 'json', { a: '1', b: '2' }),
      });
      const patch = (ops: unknown) =>
        call('PATCH', '/api/v1/namespaces/pat/configmaps/json', {
          body: ops,
          contentType: 'application/json-patch+json',
        });

      // Act
      const applied = await patch([
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: '10' },
        { op: 'remove', path: '/data/b' },
        { op: 'copy', from: '/data/a', path: '/data/c' },
        { op: 'move', from: '/data/c', path: '/data/d' },
        { op: 'add', path: '/metadata/labels', value: { 'x~y/z': 'w' } },
      ]);
      const failed = await patch([
        { op: 'remove', path: '/data/a' },
        { op: 'test', path: '/data/d', value: 'other' },
      ]);
      const missing = await patch([{ op: 'remove', path: '/data/nope' }]);
      const after = await call('GET', '/api/v1/namespaces/pat/configmaps/json');

      // Assess
      expect(applied).toMatchObject({
        status: 200,
        body: { data: { a: '10', d: '10' }, metadata: { labels: { 'x~y/z': 'w' } } },
      });
      expect((applied.body.data as Json).b).toBeUndefined();
      expect(failed).toMatchObject({ status: 422, body: { kind: 'Status', reason: 'Invalid' } });
      expect(missing.status).toBe(422);
      expect(after.body.data).toEqual({ a: '10', d: '10' });
    });

    it('applies a strategic merge patch, lists merged by their patch merge keys; refuses one without a merge key (422), a bad directive (400), and any on a custom resource (415)', async () => {
      // Prepare
      await call('POST', '/apis/apps/v1/namespaces/pat/statefulsets', {
        body: {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'db' } },
            template: {
              metadata: { labels: { app: 'db' } },
              spec: { containers: [{ name: 'db', image: 'pg' }] },
            },
          },
        },
      });
      await call('POST', '/apis/postgresql.cnpg.io/v1/namespaces/pat/clusters', {
        body: {
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: { name: 'pg' },
          spec: { instances: 1 },
        },
      });
      const smp = (path: string, body: unknown) =>
        call('PATCH', path, { body, contentType: 'application/strategic-merge-patch+json' });

      // Act
      const plain = await smp('/apis/apps/v1/namespaces/pat/statefulsets/db', { spec: { replicas: 2 } });
      const list = await smp('/apis/apps/v1/namespaces/pat/statefulsets/db', {
        spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } },
      });
      const noKey = await smp('/apis/apps/v1/namespaces/pat/statefulsets/db', {
        spec: { template: { spec: { containers: [{ image: 'busybox' }] } } },
      });
      const badDirective = await smp('/apis/apps/v1/namespaces/pat/statefulsets/db', {
        metadata: { labels: { $patch: 'sideways' } },
      });
      const custom = await smp('/apis/postgresql.cnpg.io/v1/namespaces/pat/clusters/pg', {
        spec: { instances: 2 },
      });
      const after = await call('GET', '/apis/apps/v1/namespaces/pat/statefulsets/db');

      // Assess
      expect(plain).toMatchObject({ status: 200, body: { spec: { replicas: 2 } } });
      expect(list.status).toBe(200);
      expect(noKey).toMatchObject({
        status: 422,
        body: {
          kind: 'Status',
          reason: 'Invalid',
          message: expect.stringContaining('does not contain declared merge key: name'),
        },
      });
      expect(badDirective).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
      expect(custom).toMatchObject({ status: 415, body: { kind: 'Status', reason: 'UnsupportedMediaType' } });
      expect(
        (
          after.body as {
            spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } };
          }
        ).spec.template.spec.containers.map((c) => [c.name, c.image]),
      ).toEqual([
        ['db', 'pg'],
        ['sidecar', 'busybox'],
      ]);
    });
  });

  describe('CRD installation', () => {
    const crd = (served: string[]) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.stratus.test' },
      spec: {
        group: 'stratus.test',
        scope: 'Namespaced',
        names: { kind: 'Gadget', plural: 'gadgets' },
        versions: served.map((name, i) => ({
          name,
          served: true,
          storage: i === 0,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 1 } } } },
            },
          },
        })),
      },
    });
    const gadget = (name: string, spec: Json = {}) => ({
      apiVersion: 'stratus.test/v1',
      kind: 'Gadget',
      metadata: { name },
      spec,
    });
    const GADGETS = '/apis/stratus.test/v1/namespaces/default/gadgets';

    it('serves the kinds of a created CRD with its schema, and on deletion stops serving them and deletes their objects', async () => {
      // Prepare
      const badName = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        body: { ...crd(['v1']), metadata: { name: 'wrong' } },
      });
      const before = await call('GET', GADGETS);

      // Act
      const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        body: crd(['v1']),
      });
      const discovery = await call('GET', '/apis/stratus.test/v1');
      const made = await call('POST', `${GADGETS}?fieldValidation=Strict`, { body: gadget('g1') });
      const unknown = await call('POST', `${GADGETS}?fieldValidation=Strict`, {
        body: gadget('g2', { colour: 'red' }),
      });
      const wrongType = await call('POST', GADGETS, { body: gadget('g3', { size: 'big' }) });
      const deleted = await call(
        'DELETE',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.stratus.test',
      );
      const after = await call('GET', GADGETS);
      // Installed again: the object deleted with the CRD does not come back.
      await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd(['v1']) });
      const reinstalled = await call('GET', GADGETS);
      await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.stratus.test');

      // Assess
      expect(badName).toMatchObject({
        status: 422,
        body: {
          message: expect.stringContaining(
            'metadata.name: Invalid value: "wrong": must be spec.names.plural+"."+spec.group',
          ),
        },
      });
      expect(before.status).toBe(404);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        spec: { names: { singular: 'gadget', listKind: 'GadgetList' }, conversion: { strategy: 'None' } },
      });
      expect(discovery.body.resources).toEqual([
        expect.objectContaining({ name: 'gadgets', kind: 'Gadget', namespaced: true }),
      ]);
      expect(made).toMatchObject({ status: 201, body: { spec: { size: 1 } } });
      expect(unknown).toMatchObject({
        status: 400,
        body: {
          message:
            'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.colour"',
        },
      });
      expect(wrongType).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
      expect(deleted.status).toBe(200);
      expect(after.status).toBe(404);
      expect(reinstalled).toMatchObject({ status: 200, body: { items: [] } });
    });

    it('serves an installed CRD and its objects again after a restart from the data file', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'stratus-crd-'));
      const dataFile = join(dir, 'kube.json');
      const first = await startTestStandin({ dataFile });
      const at = (s: KubeStandin) => (method: string, path: string, body?: unknown) =>
        fetch(`${s.plainUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));
      try {
        await at(first)('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd(['v1']));
        await at(first)('POST', GADGETS, gadget('kept', { size: 3 }));
      } finally {
        await first.stop();
      }

      // Act
      const second = await startTestStandin({ dataFile });
      let got: { status: number; body: Json };
      try {
        got = await at(second)('GET', `${GADGETS}/kept`);
      } finally {
        await second.stop();
        await rm(dir, { recursive: true, force: true });
      }

      // Assess
      expect(got).toMatchObject({ status: 200, body: { kind: 'Gadget', spec: { size: 3 } } });
    });
  });
});
