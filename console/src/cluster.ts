import type { Cluster, DryRun, Operation } from '../../sdk/index.js';
import { confirmDialog } from './dialog.js';
import { announce, badge, h, replace, setBadge, setText, time } from './dom.js';
import type { Cleanup } from './main.js';
import { poll } from './poll.js';
import { describeError, type Session } from './state.js';

const SETTLED = new Set(['READY', 'FAILED', 'DELETED']);
const SIZES = ['small', 'medium', 'large'] as const;

/**
 * One cluster: its state, the actions (scale, resize, upgrade, delete: each with a dry-run preview
 * and a confirmation), its operations timeline, its events and its connection information.
 */
export function clusterPage(
  view: HTMLElement,
  session: Session,
  navigate: (hash: string) => void,
  clusterId: string,
): Cleanup {
  const client = () => session.client();
  let current: Cluster | undefined;
  const heading = h('h1', {}, clusterId);
  const status = h('span', { class: 'badge' });
  const facts = h('dl', { class: 'facts' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Cluster actions' });
  const timeline = h('ol', { class: 'timeline', id: 'operations' });
  const events = h('ol', { class: 'events', id: 'events' });
  const connection = h('div', { id: 'connection' }, h('p', { class: 'hint' }, 'Loading…'));

  view.append(
    h('p', {}, h('a', { href: '#/clusters' }, '← All clusters')),
    h('div', { class: 'page-head' }, heading, status),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'h-details' },
      h('h2', { id: 'h-details' }, 'Details'),
      facts,
      actions,
    ),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'h-ops' },
        h('h2', { id: 'h-ops' }, 'Operations'),
        timeline,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'h-events' },
        h('h2', { id: 'h-events' }, 'Events'),
        h(
          'p',
          { class: 'hint' },
          'Derived from the operations: the API has no events endpoint (',
          h('code', {}, 'stratus events tail'),
          ' reads the bus locally).',
        ),
        events,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'h-conn' },
      h('h2', { id: 'h-conn' }, 'Connection'),
      connection,
    ),
  );

  const action = (label: string, run: () => void, danger = false) =>
    h('button', { type: 'button', class: danger ? 'danger' : 'secondary', onclick: run }, label);
  replace(
    actions,
    action('Scale', () => current && scale(current)),
    action('Resize', () => current && resize(current)),
    action('Upgrade', () => current && upgrade(current)),
    action('Delete', () => current && remove(current), true),
  );

  const renderCluster = (c: Cluster) => {
    current = c;
    setText(heading, c.name);
    setBadge(status, c.status);
    const rows: [string, string][] = [
      ['ID', c.id],
      ['Engine', `${c.engine} ${c.version}`],
      ['Region', c.region],
      ['Nodes', String(c.nodes)],
      ['Size', c.size],
      ['Deletion protection', c.deletionProtection ? 'on' : 'off'],
      ['Settings', JSON.stringify(c.settings)],
      ['Status reason', c.statusReason ?? '—'],
      ['Created', time(c.createdAt)],
      ['Updated', time(c.updatedAt)],
    ];
    // In place: one dt/dd pair per fact, text changed only where it changed.
    rows.forEach(([k, v], i) => {
      let dd = facts.children[i * 2 + 1] as HTMLElement | undefined;
      if (!dd) {
        facts.append(h('dt', {}, k));
        dd = h('dd', { 'data-fact': k });
        facts.append(dd);
      }
      setText(dd, v);
    });
    for (const b of actions.querySelectorAll('button')) b.disabled = c.status === 'DELETED';
  };

  const renderOperations = (ops: Operation[]) => {
    const key = JSON.stringify(ops.map((o) => [o.id, o.status, o.updatedAt]));
    if (timeline.dataset.key === key) return;
    timeline.dataset.key = key;
    replace(
      timeline,
      ops.length === 0 ? h('li', { class: 'hint' }, 'No operations.') : null,
      ops.map((o) =>
        h(
          'li',
          { 'data-operation': o.id },
          h('div', { class: 'row' }, h('strong', {}, o.type), badge(o.status), h('code', {}, o.id)),
          h(
            'p',
            { class: 'hint' },
            `queued ${time(o.createdAt)}`,
            o.startedAt ? `, started ${time(o.startedAt)}` : '',
            o.finishedAt ? `, finished ${time(o.finishedAt)}` : '',
          ),
          o.error ? h('p', { class: 'field-error' }, `${o.error.code}: ${o.error.message}`) : null,
        ),
      ),
    );
    const derived = ops
      .flatMap((o) => [
        { at: o.createdAt, text: `${o.type} requested (operation ${o.id})` },
        o.startedAt ? { at: o.startedAt, text: `${o.type} started` } : undefined,
        o.finishedAt
          ? {
              at: o.finishedAt,
              text: `${o.type} ${o.status.toLowerCase()}${o.error ? `: ${o.error.code}` : ''}`,
            }
          : undefined,
      ])
      .filter((e): e is { at: string; text: string } => e !== undefined)
      .sort((a, b) => b.at.localeCompare(a.at));
    replace(
      events,
      derived.map((e) => h('li', {}, h('time', { datetime: e.at }, time(e.at)), ' ', e.text)),
    );
  };

  let connectionShown = false;
  const renderConnection = async (c: Cluster) => {
    if (connectionShown || c.status !== 'READY') {
      if (!connectionShown)
        replace(connection, h('p', { class: 'hint' }, 'Available once the cluster is READY.'));
      return;
    }
    connectionShown = true;
    try {
      const info = await client().clusters.connection(c.id);
      const secret = h('div', { id: 'secret' });
      const reveal = h('button', { type: 'button', class: 'secondary', id: 'reveal' }, 'Reveal credential');
      reveal.addEventListener('click', () => {
        void (async () => {
          try {
            const revealed = await client().clusters.revealConnection(c.id);
            const hide = h('button', { type: 'button', class: 'secondary' }, 'Hide');
            hide.addEventListener('click', () => {
              replace(secret);
              reveal.hidden = false;
              reveal.focus();
            });
            replace(
              secret,
              h('p', {}, 'Credential: ', h('code', { class: 'secret' }, revealed.secret ?? '')),
              hide,
            );
            reveal.hidden = true;
            hide.focus();
          } catch (e) {
            replace(secret, h('p', { class: 'field-error', role: 'alert' }, describeError(e)));
          }
        })();
      });
      replace(
        connection,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Endpoint'),
          h('dd', {}, h('code', {}, info.endpoint)),
          h('dt', {}, 'Host'),
          h('dd', {}, info.host),
          h('dt', {}, 'Port'),
          h('dd', {}, String(info.port)),
          info.credential
            ? [
                h('dt', {}, 'Credential'),
                h('dd', {}, `Secret ${info.credential.secretName}, key ${info.credential.key}`),
              ]
            : null,
        ),
        h('p', { class: 'hint' }, 'Revealing the credential needs an admin key and is audited.'),
        reveal,
        secret,
      );
    } catch (e) {
      connectionShown = false;
      replace(connection, h('p', { class: 'hint' }, describeError(e)));
    }
  };

  const poller = poll(
    async () => {
      const [c, ops] = await Promise.all([
        client().clusters.get(clusterId),
        client().clusters.operations(clusterId, { limit: 20 }),
      ]);
      renderCluster(c);
      renderOperations(ops.items);
      await renderConnection(c);
      const busy =
        !SETTLED.has(c.status) || ops.items.some((o) => o.status === 'QUEUED' || o.status === 'RUNNING');
      return { busy };
    },
    { onError: (e) => announce(`Could not refresh the cluster: ${describeError(e)}`, 'error') },
  );

  /** What a dry run says would change, in words. */
  const describeDryRun = (before: Cluster, answer: DryRun): string[] => {
    // A PATCH's 200 is typed as the dry run or the cluster (a deletionProtection-only change).
    const d = answer as { outcome?: string; cluster?: Partial<Cluster> };
    const lines = [
      `Outcome: ${d.outcome}${d.outcome === 'METADATA_UPDATE' ? ' (no operation)' : ' (an operation is queued)'}`,
    ];
    const after = d.cluster;
    if (after) {
      for (const k of ['nodes', 'size', 'version', 'deletionProtection'] as const)
        if (after[k] !== undefined && after[k] !== before[k])
          lines.push(`${k}: ${String(before[k])} → ${String(after[k])}`);
    }
    if (d.outcome === 'DELETE') lines.push(`${before.name} and its data will be deleted.`);
    return lines;
  };

  const mutate = async (run: () => Promise<{ operation?: Operation }>, what: string) => {
    const { operation } = await run();
    announce(`${what}: ${operation ? `operation ${operation.id} queued` : 'done'}.`);
    poller.kick();
  };

  const numberDialog = (
    c: Cluster,
    title: string,
    control: HTMLInputElement | HTMLSelectElement,
    label: string,
    patch: () => { nodes?: number; size?: (typeof SIZES)[number]; version?: string },
  ) => {
    control.id = 'change-value';
    confirmDialog({
      title,
      fields: h('div', { class: 'field' }, h('label', { for: 'change-value' }, label), control),
      preview: async () => describeDryRun(c, await client().clusters.updateDryRun(c.id, patch())),
      confirmLabel: title,
      apply: () => mutate(() => client().clusters.update(c.id, patch()), title),
    });
  };

  const scale = (c: Cluster) => {
    const input = h('input', {
      type: 'number',
      min: 1,
      max: 9,
      step: 1,
      value: c.nodes,
      inputmode: 'numeric',
    });
    numberDialog(c, `Scale ${c.name}`, input, 'Nodes (1 to 9)', () => ({ nodes: Number(input.value) }));
  };
  const resize = (c: Cluster) => {
    const select = h(
      'select',
      {},
      SIZES.map((s) => h('option', { value: s, selected: s === c.size }, s)),
    );
    numberDialog(c, `Resize ${c.name}`, select, 'Size', () => ({
      size: select.value as (typeof SIZES)[number],
    }));
  };
  const upgrade = (c: Cluster) => {
    const versions = session.engines.find((e) => e.engine === c.engine)?.versions ?? [c.version];
    const select = h(
      'select',
      {},
      versions.map((v) => h('option', { value: v, selected: v === c.version }, v)),
    );
    numberDialog(c, `Upgrade ${c.name}`, select, 'Version', () => ({ version: select.value }));
  };
  const remove = (c: Cluster) =>
    confirmDialog({
      title: `Delete ${c.name}`,
      preview: async () => describeDryRun(c, await client().clusters.deleteDryRun(c.id)),
      confirmLabel: `Delete ${c.name}`,
      danger: true,
      apply: async () => {
        await mutate(() => client().clusters.delete(c.id), `Delete ${c.name}`);
        navigate('#/clusters');
      },
    });

  return () => poller.stop();
}
