/** A tiny element builder: `h('button', { type: 'button', onclick }, 'Save')`. No framework, no innerHTML. */
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;
export type Child = Node | string | number | false | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Sets text only when it changed, so that polling never re-renders what a reader is looking at. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** A status badge: the word is always shown (colour is never the only signal). */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${status.toLowerCase()}` }, status);
}

export function setBadge(el: HTMLElement, status: string): void {
  const cls = `badge badge-${status.toLowerCase()}`;
  if (el.className !== cls) el.className = cls;
  setText(el, status);
}

export function time(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A live region that screen readers announce, for outcomes of actions. */
export function announce(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.className = `notice notice-${kind}`;
  el.hidden = false;
  el.textContent = message;
}

export function clearAnnouncement(): void {
  const el = document.getElementById('announcer');
  if (el) {
    el.hidden = true;
    el.textContent = '';
  }
}
