import { StratusApiError } from '../../sdk/index.js';
import { h, replace } from './dom.js';
import { describeError } from './state.js';

export interface ConfirmOptions {
  readonly title: string;
  /** Inputs of the change (a number of nodes, a size), if any; the preview runs again when they change. */
  readonly fields?: HTMLElement;
  /** The dry run: what the API says would happen, as lines for a person. */
  readonly preview: () => Promise<string[]>;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  /** The change itself; its error is shown in the dialog. */
  readonly apply: () => Promise<void>;
}

/**
 * A modal confirmation (native <dialog>: focus moves in and is trapped, Escape cancels, focus
 * returns to the button that opened it). The confirm button is enabled only once the dry-run
 * preview of the current inputs succeeded, so nothing is changed without seeing what would change.
 */
export function confirmDialog(opts: ConfirmOptions): void {
  const opener = document.activeElement as HTMLElement | null;
  const preview = h(
    'div',
    { class: 'preview', id: 'dialog-preview', 'aria-live': 'polite' },
    'Checking (dry run)…',
  );
  const confirm = h(
    'button',
    { type: 'submit', class: opts.danger ? 'danger' : '', disabled: true },
    opts.confirmLabel,
  );
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'dialog-title' }, opts.title),
    opts.fields ?? null,
    h('h3', {}, 'Preview'),
    preview,
    h('div', { class: 'actions' }, confirm, cancel),
  );
  const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', id: 'confirm-dialog' }, form);
  document.body.append(dialog);

  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    confirm.disabled = true;
    replace(preview, 'Checking (dry run)…');
    try {
      const lines = await opts.preview();
      if (mine !== seq) return;
      replace(
        preview,
        h(
          'ul',
          {},
          lines.map((l) => h('li', {}, l)),
        ),
      );
      confirm.disabled = false;
    } catch (e) {
      if (mine !== seq) return;
      replace(preview, h('p', { class: 'field-error' }, problemText(e)));
    }
  };
  // 'input' only: 'change' fires again on blur, which would disable the confirm button under the
  // pointer that is clicking it.
  opts.fields?.addEventListener('input', () => void refresh());

  const close = () => {
    dialog.close();
    dialog.remove();
    opener?.focus();
  };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      confirm.disabled = true;
      try {
        await opts.apply();
        close();
      } catch (err) {
        replace(preview, h('p', { class: 'field-error', role: 'alert' }, problemText(err)));
      }
    })();
  });
  dialog.showModal();
  void refresh();
}

function problemText(e: unknown): string {
  if (e instanceof StratusApiError && e.errors.length > 0)
    return `${e.title}: ${e.errors.map((x) => `${x.path}: ${x.message}`).join('; ')}`;
  return describeError(e);
}
