import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../local/kube-standin/fields.js';
import { BUILTIN_KINDS, type KindInfo } from '../../../local/kube-standin/resources.js';
import { ObjectStore } from '../../../local/kube-standin/store.js';

const kind = (k: string): KindInfo => {
  const found = BUILTIN_KINDS.find((x) => x.apiVersion === 'v1' && x.kind === k);
  if (!found) throw new Error(`no built-in v1 ${k}`);
  return found;
};
const NAMESPACE = kind('Namespace');
const CONFIG_MAP = kind('ConfigMap');

function newStore(now = () => 1_000_000): ObjectStore {
  return new ObjectStore({
    readinessDelayMs: 0,
    namespaceTerminationMs: 0,
    statusRules: {},
    onChange: () => undefined,
    now,
  });
}

const configMap = (namespace: string, name: string, labels: Record<string, string> = { paged: 'yes' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data: { k: 'v' },
});

function apply(store: ObjectStore, namespace: string, name: string, labels?: Record<string, string>) {
  store.apply(
    NAMESPACE,
    undefined,
    namespace,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    't',
    true,
  );
  store.apply(CONFIG_MAP, namespace, name, configMap(namespace, name, labels), 't', true);
}

type ListBody = {
  items: Array<{ metadata: { name: string; namespace?: string } }>;
  metadata: { continue?: string; remainingItemCount?: number };
};
const ids = (list: JsonObject) =>
  (list as unknown as ListBody).items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name}`);
const tokenOf = (list: JsonObject) => (list as unknown as ListBody).metadata.continue;

/** Every page of a list, `limit` at a time, with `between` run before each continued page. */
function pages(store: ObjectStore, selector: string | undefined, limit: number, between = () => {}) {
  const out: string[][] = [];
  let token: string | undefined;
  do {
    if (token) between();
    const list = store.list(CONFIG_MAP, undefined, selector, {
      limit,
      ...(token ? { continue: token } : {}),
    });
    out.push(ids(list));
    token = tokenOf(list);
  } while (token);
  return out;
}

describe('Class: ObjectStore (kube stand-in)', () => {
  describe('Method: list (chunks)', () => {
    it('serves objects created out of order in key order (namespace, then name) across pages', () => {
      // Prepare: written in a shuffled order.
      const store = newStore();
      for (const [ns, name] of [
        ['ns-c', 'b'],
        ['ns-a', 'z'],
        ['ns-b', 'a'],
        ['ns-a', 'a'],
        ['ns-c', 'a'],
        ['ns-a-x', 'm'],
        ['ns-b', 'c'],
      ] as const)
        apply(store, ns, name);

      // Act
      const chunks = pages(store, 'paged=yes', 3);

      // Assess: byte order of `<namespace>/<name>` ('-' sorts before '/'), 3 per page.
      expect(chunks).toEqual([['ns-a-x/m', 'ns-a/a', 'ns-a/z'], ['ns-b/a', 'ns-b/c', 'ns-c/a'], ['ns-c/b']]);
    });

    it('follows deletes and creates between pages: nothing served twice, nothing deleted served, new keys ahead served', () => {
      // Prepare
      const store = newStore();
      for (const ns of ['n1', 'n2', 'n3', 'n4', 'n5']) apply(store, ns, 'cm');
      let step = 0;

      // Act: after the first page (n1, n2), n3 is deleted, and n0 (behind) and n35 (ahead) created.
      const chunks = pages(store, 'paged=yes', 2, () => {
        if (step++ > 0) return;
        store.delete(CONFIG_MAP, 'n3', 'cm');
        apply(store, 'n0', 'cm');
        apply(store, 'n35', 'cm');
      });

      // Assess
      expect(chunks.flat()).toEqual(['n1/cm', 'n2/cm', 'n35/cm', 'n4/cm', 'n5/cm']);
    });

    it('skips what the selector leaves out, and counts what remains only without a selector', () => {
      // Prepare
      const store = newStore();
      apply(store, 'a', 'x');
      apply(store, 'b', 'x', { paged: 'no' });
      apply(store, 'c', 'x');
      apply(store, 'd', 'x', { paged: 'no' });

      // Act
      const selected = pages(store, 'paged=yes', 1);
      const first = store.list(CONFIG_MAP, undefined, undefined, { limit: 1 });

      // Assess: no empty last page with a selector; the whole kind counted without one.
      expect(selected).toEqual([['a/x'], ['c/x']]);
      expect((first as unknown as ListBody).metadata.remainingItemCount).toBe(3);
    });

    it('lists one namespace of a kind from its sorted keys', () => {
      // Prepare
      const store = newStore();
      for (const name of ['c', 'a', 'b']) apply(store, 'ns', name);
      apply(store, 'ns-2', 'a');
      apply(store, 'nr', 'z');

      // Act
      const first = store.list(CONFIG_MAP, 'ns', undefined, { limit: 2 });
      const rest = store.list(CONFIG_MAP, 'ns', undefined, { limit: 2, continue: tokenOf(first) });

      // Assess
      expect(ids(first)).toEqual(['ns/a', 'ns/b']);
      expect(ids(rest)).toEqual(['ns/c']);
      expect(tokenOf(rest)).toBeUndefined();
    });

    it('keeps the order of a store restored from a snapshot written in any order', () => {
      // Prepare
      const source = newStore();
      for (const ns of ['q', 'b', 'x', 'a']) apply(source, ns, 'cm');
      const snapshot = source.snapshot();
      snapshot.entries.reverse();
      const restored = newStore();

      // Act
      restored.restore(snapshot, (obj) => {
        const m = obj.metadata as { name: string; namespace?: string };
        const k = obj.kind === 'Namespace' ? NAMESPACE : CONFIG_MAP;
        return restored.keyFor(k, m.namespace, m.name);
      });
      apply(restored, 'c', 'cm');

      // Assess
      expect(pages(restored, undefined, 10)).toEqual([['a/cm', 'b/cm', 'c/cm', 'q/cm', 'x/cm']]);
    });
  });
});
