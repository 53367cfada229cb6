import type { Cluster } from '../../sdk/index.js';
import { announce, h, setBadge, setText } from './dom.js';
import type { Page } from './main.js';
import { poll } from './poll.js';
import { describeError } from './state.js';

const SETTLED = new Set(['READY', 'FAILED', 'DELETED']);
const OPTIONAL = new Set(['Version', 'Region', 'Nodes', 'Size']);

/**
 * The tenant's clusters with live status: polled (every second while one is changing, backing off
 * to 10 s when nothing changes), each row updated in place so that nothing flickers or loses focus.
 */
export const clustersPage: Page = (view, session) => {
  const tbody = h('tbody');
  const empty = h('p', { class: 'hint', hidden: true }, 'No clusters yet.');
  const updated = h('p', { class: 'hint', 'aria-live': 'off' });
  const table = h(
    'table',
    { id: 'clusters' },
    h('caption', { class: 'visually-hidden' }, `Clusters seen from ${session.region}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Name', 'Engine', 'Version', 'Region', 'Nodes', 'Size', 'Status'].map((c) =>
          h('th', { scope: 'col', class: OPTIONAL.has(c) ? 'optional' : undefined }, c),
        ),
      ),
    ),
    tbody,
  );
  view.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Clusters'),
      h('a', { class: 'button', href: '#/clusters/new' }, 'Create cluster'),
    ),
    h('div', { class: 'table-wrap' }, table),
    empty,
    updated,
  );

  const rows = new Map<string, { tr: HTMLTableRowElement; cells: HTMLElement[]; status: HTMLElement }>();
  const render = (clusters: Cluster[]) => {
    const seen = new Set<string>();
    clusters.forEach((c, i) => {
      seen.add(c.id);
      let row = rows.get(c.id);
      if (!row) {
        // Version, region, nodes and size give way on a phone (.optional): name, engine and status stay.
        const cells = Array.from({ length: 6 }, (_, i) =>
          h('td', { class: i >= 2 ? 'optional' : undefined }),
        );
        const status = h('span');
        const tr = h(
          'tr',
          { 'data-id': c.id },
          h('th', { scope: 'row' }, h('a', { href: `#/clusters/${encodeURIComponent(c.id)}` }, c.name)),
          cells.slice(1),
          h('td', {}, status),
        );
        row = { tr, cells, status };
        rows.set(c.id, row);
      }
      const [, engine, version, region, nodes, size] = row.cells;
      if (engine) setText(engine, c.engine);
      if (version) setText(version, c.version);
      if (region) setText(region, c.region);
      if (nodes) setText(nodes, String(c.nodes));
      if (size) setText(size, c.size);
      setBadge(row.status, c.status);
      row.status.title = c.statusReason ?? '';
      // Keep order without moving rows that are already in place (moving would drop focus).
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] ?? null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    empty.hidden = clusters.length > 0;
    setText(updated, `Updated ${new Date().toLocaleTimeString()}; refreshed automatically.`);
  };

  const poller = poll(
    async () => {
      const clusters: Cluster[] = [];
      for await (const c of session.client().clusters.listAll({ limit: 100 })) clusters.push(c);
      render(clusters);
      return { busy: clusters.some((c) => !SETTLED.has(c.status)) };
    },
    { onError: (e) => announce(`Could not refresh the clusters: ${describeError(e)}`, 'error') },
  );
  return () => poller.stop();
};
