/**
 * The Stratus web console: a static single-page app over the public /v1 API through the SDK
 * (README, "Console"). Routes are URL fragments (`#/clusters/<id>`); the API key never appears in one.
 */
import { apiKeysPage } from './api-keys.js';
import { clusterPage } from './cluster.js';
import { clustersPage } from './clusters.js';
import { createPage } from './create.js';
import { clearAnnouncement, h, replace } from './dom.js';
import { signInPage } from './sign-in.js';
import { type ConsoleConfig, type EngineInfo, loadJson, Session } from './state.js';

/** What a page leaves running (pollers) and must stop when another page replaces it. */
export type Cleanup = () => void;
export type Page = (
  view: HTMLElement,
  session: Session,
  navigate: (hash: string) => void,
) => Cleanup | undefined;

async function boot(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  const [config, engines] = await Promise.all([
    loadJson<ConsoleConfig>('config.json'),
    loadJson<{ engines: EngineInfo[] }>('engines.json'),
  ]);
  const session = new Session(config, engines.engines);
  const view = h('main', { id: 'view', tabindex: '-1' });
  const header = h('header', { class: 'top' });
  replace(
    root,
    h('a', { class: 'skip', href: '#view', onclick: skipToMain }, 'Skip to content'),
    header,
    h('div', { id: 'announcer', class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true }),
    view,
  );
  let cleanup: Cleanup | undefined;

  const navigate = (hash: string) => {
    if (location.hash === hash) render();
    else location.hash = hash;
  };

  function render(): void {
    cleanup?.();
    cleanup = undefined;
    clearAnnouncement();
    renderHeader(header, session, navigate, render);
    const route = location.hash.replace(/^#/, '') || '/clusters';
    let page: Page;
    if (!session.apiKey) page = signInPage;
    else if (route === '/clusters') page = clustersPage;
    else if (route === '/clusters/new') page = createPage;
    else if (route.startsWith('/clusters/'))
      page = (v, s, n) => clusterPage(v, s, n, decodeURIComponent(route.slice('/clusters/'.length)));
    else if (route === '/api-keys') page = apiKeysPage;
    else page = clustersPage;
    view.replaceChildren();
    cleanup = page(view, session, navigate);
    // Focus the new page's heading, so keyboard and screen reader users start at the top of it.
    const heading = view.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }

  window.addEventListener('hashchange', render);
  render();
}

function skipToMain(e: Event): void {
  e.preventDefault();
  document.getElementById('view')?.focus();
}

function renderHeader(
  header: HTMLElement,
  session: Session,
  navigate: (hash: string) => void,
  rerender: () => void,
): void {
  const route = location.hash || '#/clusters';
  const link = (hash: string, text: string) =>
    h(
      'a',
      { href: hash, 'aria-current': route === hash || route.startsWith(`${hash}/`) ? 'page' : undefined },
      text,
    );
  const regionSelect = h(
    'select',
    {
      id: 'region',
      onchange: (e: Event) => {
        session.region = (e.target as HTMLSelectElement).value;
        rerender();
      },
    },
    session.config.regions.map((r) =>
      h('option', { value: r.region, selected: r.region === session.region }, r.region),
    ),
  );
  replace(
    header,
    h('a', { class: 'brand', href: '#/clusters' }, 'Stratus'),
    session.apiKey
      ? h('nav', { 'aria-label': 'Main' }, link('#/clusters', 'Clusters'), link('#/api-keys', 'API keys'))
      : null,
    h('div', { class: 'region' }, h('label', { for: 'region' }, 'Region'), regionSelect),
    session.apiKey
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            id: 'sign-out',
            onclick: () => {
              session.signOut();
              navigate('#/clusters');
            },
          },
          'Sign out',
        )
      : null,
  );
}

boot().catch((e: unknown) => {
  const root = document.getElementById('app');
  if (root)
    replace(
      root,
      h('p', { class: 'notice notice-error', role: 'alert' }, `The console could not start: ${String(e)}`),
    );
});
