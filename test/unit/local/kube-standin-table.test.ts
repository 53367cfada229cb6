import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { JsonPatchError, jsonPatch, strategicIsPlainMerge } from '../../../local/kube-standin/fields.js';
import { negotiate, parseAccept } from '../../../local/kube-standin/negotiation.js';
import { DEFAULT_EXTRA_KINDS } from '../../../local/kube-standin/resources.js';
import { evalJsonPath, humanDuration } from '../../../local/kube-standin/table.js';
import { WatchHub } from '../../../local/kube-standin/watch.js';
import { CRDS_DIR } from '../../helpers/kube-crds.js';

describe('Function: humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-500, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [8 * 3_600_000, '8h'],
    [47 * 3_600_000, '47h'],
    [50 * 3_600_000, '2d2h'],
    [72 * 3_600_000, '3d'],
    [400 * 86_400_000, '400d'],
    [(3 * 365 + 20) * 86_400_000, '3y20d'],
    [9 * 365 * 86_400_000, '9y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('Function: evalJsonPath (additionalPrinterColumns)', () => {
  const obj = {
    status: {
      phase: 'Ready',
      conditions: [
        { type: 'Ready', reason: 'Fine' },
        { type: 'SyncReplicationTopologySatisfied', reason: 'Spread' },
      ],
    },
  };

  it('follows fields, indexes and equality filters', () => {
    // Act & Assess
    expect(evalJsonPath(obj, '.status.phase')).toEqual(['Ready']);
    expect(evalJsonPath(obj, '.status.conditions[1].type')).toEqual(['SyncReplicationTopologySatisfied']);
    expect(
      evalJsonPath(obj, ".status.conditions[?(@.type=='SyncReplicationTopologySatisfied')].reason"),
    ).toEqual(['Spread']);
    expect(evalJsonPath(obj, '.status.missing')).toEqual([]);
  });
});

describe('Default custom kinds: printer columns', () => {
  it('match the additionalPrinterColumns of the vendored CRDs (../shared/crds)', () => {
    // Prepare
    const files = {
      Cluster: 'postgresql.cnpg.io_clusters.yaml',
      Dragonfly: 'dragonflydb.io_dragonflies.yaml',
      MongoDBCommunity: 'mongodbcommunity.mongodb.com_mongodbcommunity.yaml',
      ScyllaCluster: 'scylla.scylladb.com_scyllaclusters.yaml',
      YBUniverse: 'operator.yugabyte.io_ybuniverses.yaml',
    };

    for (const kind of DEFAULT_EXTRA_KINDS) {
      const file = files[kind.kind as keyof typeof files];
      const crd = parseAllDocuments(readFileSync(join(CRDS_DIR, file), 'utf8'))
        .map((d) => d.toJS())
        .find((d) => d?.kind === 'CustomResourceDefinition');
      const version = crd.spec.versions.find(
        (v: { name: string }) => `${crd.spec.group}/${v.name}` === kind.apiVersion,
      );

      // Assess
      expect(kind.printerColumns, kind.kind).toEqual(version.additionalPrinterColumns);
      expect(kind.shortNames ?? [], kind.kind).toEqual(crd.spec.names.shortNames ?? []);
      expect(kind.categories ?? [], kind.kind).toEqual(crd.spec.names.categories ?? []);
    }
  });
});

describe('Function: negotiate', () => {
  it('prefers a Table only where allowed, falls back to JSON, and refuses protobuf alone (406)', () => {
    // Prepare
    const kubectlGet =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

    // Act & Assess
    expect(negotiate(kubectlGet, true)).toBe('table');
    expect(negotiate(kubectlGet, false)).toBe('json');
    expect(negotiate('application/vnd.kubernetes.protobuf, */*', true)).toBe('json');
    expect(negotiate(undefined, true)).toBe('json');
    expect(
      negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json', true),
    ).toBe('json');
    expect(() => negotiate('application/vnd.kubernetes.protobuf', true)).toThrow(
      expect.objectContaining({ code: 406, reason: 'NotAcceptable' }),
    );
  });

  it('orders media ranges by q, keeping the client order among equals', () => {
    // Act
    const ranges = parseAccept('application/yaml;q=0.5, application/json, text/plain;q=0');

    // Assess
    expect(ranges.map((r) => r.type)).toEqual(['application/json', 'application/yaml']);
  });
});

describe('Function: jsonPatch (RFC 6902)', () => {
  it('escapes ~0 and ~1, appends with -, and fails as a whole', () => {
    // Prepare
    const doc = { a: { 'b/c': 1, 'd~e': 2 }, list: [1, 2] };

    // Act
    const patched = jsonPatch(doc, [
      { op: 'replace', path: '/a/b~1c', value: 10 },
      { op: 'remove', path: '/a/d~0e' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
    ]);

    // Assess
    expect(patched).toEqual({ a: { 'b/c': 10 }, list: [0, 1, 2, 3] });
    expect(doc).toEqual({ a: { 'b/c': 1, 'd~e': 2 }, list: [1, 2] });
    expect(() => jsonPatch(doc, [{ op: 'add', path: '/list/5', value: 1 }])).toThrow(JsonPatchError);
    expect(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/a' }])).toThrow(JsonPatchError);
    expect(() => jsonPatch(doc, { op: 'add' })).toThrow(JsonPatchError);
  });
});

describe('Function: strategicIsPlainMerge', () => {
  it('is true only without lists and $-directives', () => {
    // Act & Assess
    expect(strategicIsPlainMerge({ metadata: { labels: { a: 'b', c: null } } })).toBe(true);
    expect(strategicIsPlainMerge({ spec: { containers: [] } })).toBe(false);
    expect(strategicIsPlainMerge({ $setElementOrder: {} })).toBe(false);
    expect(strategicIsPlainMerge({ spec: { $retainKeys: 'x' } })).toBe(false);
  });
});

describe('Class: WatchHub', () => {
  it('replays what happened after a resourceVersion, and says expired once part of it fell out of the window', () => {
    // Prepare
    const hub = new WatchHub(2);
    const obj = (rv: number) => ({ metadata: { name: `o${rv}`, resourceVersion: String(rv) } });

    // Act
    hub.record('ADDED', obj(1));
    hub.record('ADDED', obj(2));
    const beforeOverflow = hub.since(0);
    hub.record('MODIFIED', obj(3));

    // Assess
    expect(beforeOverflow).toHaveLength(2);
    expect(hub.since(1)).toEqual([
      expect.objectContaining({ type: 'ADDED', resourceVersion: 2 }),
      expect.objectContaining({ type: 'MODIFIED', resourceVersion: 3 }),
    ]);
    expect(hub.since(0)).toBe('expired');
    expect(hub.since(3)).toEqual([]);
  });
});
