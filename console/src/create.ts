import { StratusApiError } from '../../sdk/index.js';
import { h, replace } from './dom.js';
import { clearErrors, field, readSettings, settingsFields, showProblem } from './form.js';
import type { Page } from './main.js';
import { describeError } from './state.js';

/**
 * The create form: the cluster's fields (from the API's request schema) and the chosen engine's
 * settings (from its blueprint's schema, engines.json); the API's field errors appear next to
 * the fields they name.
 */
export const createPage: Page = (view, session, navigate) => {
  const engines = session.engines;
  const engineSelect = h(
    'select',
    {},
    engines.map((e) => h('option', { value: e.engine }, e.engine)),
  );
  const versionSelect = h('select', {});
  const settingsBox = h('fieldset', { class: 'settings' });
  const summary = h('div', {
    id: 'form-summary',
    class: 'notice notice-error',
    role: 'alert',
    tabindex: '-1',
    hidden: true,
  });

  const showEngine = () => {
    const engine = engines.find((e) => e.engine === engineSelect.value);
    const versions = engine?.versions ?? [];
    replace(
      versionSelect,
      versions.map((v, i) => h('option', { value: v, selected: i === versions.length - 1 }, v)),
    );
    replace(
      settingsBox,
      h('legend', {}, `${engineSelect.value} settings`),
      engine ? settingsFields(engine.settingsSchema) : [],
    );
  };
  engineSelect.addEventListener('change', showEngine);

  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const region = h(
    'select',
    {},
    session.config.regions.map((r) =>
      h('option', { value: r.region, selected: r.region === session.region }, r.region),
    ),
  );
  const nodes = h('input', { type: 'number', inputmode: 'numeric', min: 1, max: 9, step: 1, value: 1 });
  const size = h(
    'select',
    {},
    ['small', 'medium', 'large'].map((s) => h('option', { value: s }, s)),
  );
  const protect = h('input', { type: 'checkbox' });
  const submit = h('button', { type: 'submit' }, 'Create cluster');

  const form = h(
    'form',
    { class: 'card', id: 'create-form', novalidate: true },
    summary,
    field(
      'name',
      'Name',
      name,
      '3 to 40 characters: lower-case letters, digits and hyphens, starting with a letter.',
    ),
    h(
      'div',
      { class: 'grid' },
      field('engine', 'Engine', engineSelect),
      field('version', 'Version', versionSelect, 'The newest is the default.'),
      field('region', 'Region', region),
      field('nodes', 'Nodes', nodes, '1 to 9'),
      field('size', 'Size', size),
    ),
    settingsBox,
    field(
      'deletionProtection',
      'Deletion protection',
      protect,
      'A protected cluster cannot be deleted until this is turned off.',
    ),
    h(
      'div',
      { class: 'actions' },
      submit,
      h('a', { class: 'button secondary', href: '#/clusters' }, 'Cancel'),
    ),
  );
  showEngine();

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      clearErrors(form);
      summary.hidden = true;
      submit.disabled = true;
      try {
        const { cluster } = await session.client().clusters.create({
          name: name.value.trim(),
          engine: engineSelect.value,
          region: region.value,
          version: versionSelect.value,
          nodes: Number(nodes.value),
          size: size.value as 'small' | 'medium' | 'large',
          deletionProtection: protect.checked,
          settings: readSettings(settingsBox),
        });
        navigate(`#/clusters/${encodeURIComponent(cluster.id)}`);
      } catch (err) {
        summary.textContent = err instanceof StratusApiError ? showProblem(form, err) : describeError(err);
        summary.hidden = false;
        if (!(err instanceof StratusApiError) || err.errors.length === 0) summary.focus();
      } finally {
        submit.disabled = false;
      }
    })();
  });

  view.append(h('h1', {}, 'Create a cluster'), form);
  return undefined;
};
