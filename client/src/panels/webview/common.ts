// Shared by the webview scripts: the VS Code API handle, and DOM helpers that only ever put
// text into the page (textContent, attributes set as properties): host and log text never
// goes through innerHTML or an HTML parser.

export interface VsCodeApi<Out, State> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<Out, State>(): VsCodeApi<Out, State>;

export function vscodeApi<Out, State>(): VsCodeApi<Out, State> {
  return acquireVsCodeApi<Out, State>();
}

type Child = Node | string | undefined | null | false;

export interface ElOptions {
  class?: string;
  text?: string;
  title?: string;
  /** Attributes set with setAttribute: only constant names, values are text. */
  attrs?: Record<string, string>;
  onClick?: (ev: Event) => void;
}

/** An element with text content and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, opts: ElOptions = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (opts.class) e.className = opts.class;
  if (opts.text !== undefined) e.textContent = opts.text;
  if (opts.title !== undefined) e.title = opts.title;
  for (const [k, v] of Object.entries(opts.attrs ?? {})) e.setAttribute(k, v);
  if (opts.onClick) e.addEventListener('click', opts.onClick);
  for (const c of children) if (c !== undefined && c !== null && c !== false) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with numeric/text attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | undefined)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) if (c) e.append(c);
  return e;
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string; id?: string } = {}): HTMLButtonElement {
  const b = el('button', { class: opts.secondary ? 'secondary' : undefined, text: label, title: opts.title });
  b.type = 'button';
  if (opts.id) b.id = opts.id;
  b.addEventListener('click', onClick);
  return b;
}

/** `10:42` in the viewer's local time for an ISO time; the input itself when it is not one. */
export function clock(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
