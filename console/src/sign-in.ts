import { StratusApiError } from '../../sdk/index.js';
import { h } from './dom.js';
import type { Page } from './main.js';
import { describeError } from './state.js';

/** Sign in with an API key: checked with one request before it is kept (sessionStorage only). */
export const signInPage: Page = (view, session, navigate) => {
  const input = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-hint',
  });
  const error = h('p', { id: 'api-key-error', class: 'field-error', hidden: true });
  const form = h(
    'form',
    { class: 'card narrow', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input, error),
    h(
      'p',
      { id: 'api-key-hint', class: 'hint' },
      'Kept in this tab only (session storage) until you sign out or close it. `npm start` prints a local key.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      const key = input.value.trim();
      const fail = (message: string) => {
        session.signOut();
        error.textContent = message;
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', 'api-key-error api-key-hint');
        input.focus();
      };
      if (!key) return fail('Enter an API key.');
      session.signIn(key);
      try {
        await session.client().clusters.list({ limit: 1 });
        input.value = '';
        navigate('#/clusters');
      } catch (err) {
        fail(
          err instanceof StratusApiError && err.status === 401
            ? 'This key is not valid (unknown, expired or revoked).'
            : describeError(err),
        );
      }
    })();
  });
  view.append(h('h1', {}, 'Sign in'), form);
  return undefined;
};
