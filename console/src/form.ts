import type { StratusApiError } from '../../sdk/index.js';
import { h } from './dom.js';
import type { JsonSchema } from './state.js';

/**
 * A field: label, control, hint and the slot for the API's error about it. `path` is the API's
 * name of the field in problem `errors` (`name`, `settings.maxConnections`).
 */
export function field(
  path: string,
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLDivElement {
  const id = fieldId(path);
  control.id = id;
  control.name = path;
  const describedBy = [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
  return h(
    'div',
    { class: isCheck ? 'field field-check' : 'field', 'data-path': path },
    isCheck ? [control, h('label', { for: id }, label)] : [h('label', { for: id }, label), control],
    hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null,
    h('p', { id: `${id}-error`, class: 'field-error', hidden: true }),
  );
}

export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The controls of an engine's settings, from its JSON Schema: one per property, with its default. */
export function settingsFields(schema: JsonSchema): HTMLDivElement[] {
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => {
    const path = `settings.${name}`;
    const label = humanize(name);
    let control: HTMLInputElement | HTMLSelectElement;
    const hints: string[] = [];
    if (prop.enum) {
      control = h(
        'select',
        {},
        prop.enum.map((v) => h('option', { value: String(v), selected: v === prop.default }, String(v))),
      );
    } else if (prop.type === 'boolean') {
      control = h('input', { type: 'checkbox', checked: prop.default === true });
    } else if (prop.type === 'integer' || prop.type === 'number') {
      control = h('input', {
        type: 'number',
        inputmode: 'numeric',
        min: prop.minimum,
        max: prop.maximum,
        step: prop.type === 'integer' ? 1 : 'any',
        value: typeof prop.default === 'number' ? prop.default : undefined,
      });
      if (prop.minimum !== undefined && prop.maximum !== undefined)
        hints.push(`${prop.minimum} to ${prop.maximum}`);
    } else {
      control = h('input', {
        type: 'text',
        value: typeof prop.default === 'string' ? prop.default : undefined,
      });
    }
    control.dataset.setting = name;
    control.dataset.kind = prop.type ?? 'string';
    if (prop.default !== undefined) hints.push(`default ${String(prop.default)}`);
    if (prop.description) hints.unshift(prop.description);
    return field(path, label, control, hints.join('; ') || undefined);
  });
}

/** The settings the form holds, typed as their schema says; empty text fields are left to the default. */
export function readSettings(container: HTMLElement): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const el of container.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-setting]')) {
    const name = el.dataset.setting ?? '';
    const kind = el.dataset.kind;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') settings[name] = el.checked;
    else if (el.value === '') continue;
    else if (kind === 'integer' || kind === 'number') settings[name] = Number(el.value);
    else settings[name] = el.value;
  }
  return settings;
}

/**
 * Shows a problem's field errors next to their fields (the first one focused) and returns the
 * message for the form's summary: the problem's title and detail, plus errors of fields not shown.
 */
export function showProblem(form: HTMLFormElement, e: StratusApiError): string {
  clearErrors(form);
  const unplaced: string[] = [];
  let first: HTMLElement | undefined;
  for (const err of e.errors) {
    const control = form.querySelector<HTMLElement>(`#${CSS.escape(fieldId(err.path))}`);
    const slot = form.querySelector<HTMLElement>(`#${CSS.escape(fieldId(err.path))}-error`);
    if (!control || !slot) {
      unplaced.push(err.path ? `${err.path}: ${err.message}` : err.message);
      continue;
    }
    slot.textContent = err.message;
    slot.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  first?.focus();
  const placed = e.errors.length - unplaced.length;
  return [
    placed > 0 ? `${e.title}.` : (e.detail ?? e.title),
    placed > 0 ? `${placed} field${placed > 1 ? 's' : ''} to correct below.` : '',
    ...unplaced,
  ]
    .filter(Boolean)
    .join(' ');
}

export function clearErrors(form: HTMLFormElement): void {
  for (const slot of form.querySelectorAll<HTMLElement>('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
