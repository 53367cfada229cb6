import { type ApiKey, StratusApiError } from '../../sdk/index.js';
import { confirmDialog } from './dialog.js';
import { announce, h, replace, time } from './dom.js';
import { clearErrors, field, showProblem } from './form.js';
import type { Page } from './main.js';
import { describeError } from './state.js';

/** The tenant's API keys: create one (its secret shown once, here, never again) and revoke. */
export const apiKeysPage: Page = (view, session) => {
  const client = () => session.client();
  const tbody = h('tbody');
  const created = h('div', { id: 'created-key', 'aria-live': 'polite' });
  const name = h('input', { type: 'text', autocomplete: 'off', required: true });
  const role = h(
    'select',
    {},
    ['viewer', 'editor', 'admin'].map((r) => h('option', { value: r }, r)),
  );
  const summary = h('div', { class: 'notice notice-error', role: 'alert', tabindex: '-1', hidden: true });
  const form = h(
    'form',
    { class: 'card', id: 'key-form', novalidate: true },
    h('h2', {}, 'Create a key'),
    summary,
    h('div', { class: 'grid' }, field('name', 'Name', name), field('role', 'Role', role)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')),
  );

  const load = async () => {
    const keys: ApiKey[] = [];
    for await (const k of client().apiKeys.listAll({ limit: 100 })) keys.push(k);
    replace(
      tbody,
      keys.map((k) =>
        h(
          'tr',
          { 'data-id': k.id },
          h('th', { scope: 'row' }, k.name),
          h('td', {}, k.role),
          h('td', {}, h('code', {}, k.id)),
          h('td', {}, time(k.createdAt)),
          h(
            'td',
            {},
            k.revokedAt
              ? `revoked ${time(k.revokedAt)}`
              : k.expiresAt
                ? `expires ${time(k.expiresAt)}`
                : 'active',
          ),
          h(
            'td',
            {},
            k.revokedAt
              ? ''
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger small',
                    'aria-label': `Revoke ${k.name}`,
                    onclick: () => revoke(k),
                  },
                  'Revoke',
                ),
          ),
        ),
      ),
    );
  };
  const reload = () => load().catch((e) => announce(`Could not list the keys: ${describeError(e)}`, 'error'));

  const revoke = (k: ApiKey) =>
    confirmDialog({
      title: `Revoke ${k.name}`,
      preview: async () => {
        const d = await client().apiKeys.revokeDryRun(k.id);
        return [
          `Outcome: ${String((d as { outcome?: string }).outcome ?? 'REVOKE')}`,
          'Requests with this key are refused from then on.',
        ];
      },
      confirmLabel: `Revoke ${k.name}`,
      danger: true,
      apply: async () => {
        await client().apiKeys.revoke(k.id);
        announce(`Key ${k.name} revoked.`);
        await reload();
      },
    });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      clearErrors(form);
      summary.hidden = true;
      try {
        const key = await client().apiKeys.create({
          name: name.value.trim(),
          role: role.value as ApiKey['role'],
        });
        name.value = '';
        const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy');
        copy.addEventListener('click', () => {
          void navigator.clipboard?.writeText(key.secret ?? '').then(() => announce('Copied.'));
        });
        replace(
          created,
          h(
            'div',
            { class: 'notice notice-info' },
            h(
              'p',
              {},
              h('strong', {}, `Key ${key.name} created.`),
              ' Copy its secret now: it is shown this once and cannot be read again.',
            ),
            h('p', {}, h('code', { class: 'secret', id: 'new-secret' }, key.secret ?? '')),
            copy,
          ),
        );
        copy.focus();
        await reload();
      } catch (err) {
        summary.textContent = err instanceof StratusApiError ? showProblem(form, err) : describeError(err);
        summary.hidden = false;
      }
    })();
  });

  view.append(
    h('h1', {}, 'API keys'),
    created,
    form,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'api-keys' },
        h('caption', { class: 'visually-hidden' }, 'API keys'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Role', 'ID', 'Created', 'State', ''].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        tbody,
      ),
    ),
  );
  void reload();
  return undefined;
};
