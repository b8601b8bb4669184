// The log viewer's script: a ring buffer of lines (the cap comes from the setting), a filtered
// index over it, and a virtualized list that only ever holds the rows on screen (fixed row
// height, a pool of row elements reused as the list scrolls), so 100,000 lines stay smooth.
// Filters: text or regex, level, 5xx only. Lines with a 502/504 signature are highlighted and
// carry the cause as their tooltip. Every line is put in with textContent.

import { parseLogToWebview, type LogFromWebview, type LogLevel, type LogLine, type LogRef, type LogViewerSavedState, type TailState } from '../protocol';
import { button, el, vscodeApi } from './common';

const vscode = vscodeApi<LogFromWebview, LogViewerSavedState>();
const app = document.getElementById('app')!;

const OVERSCAN = 10;
const RANK: Record<LogLevel, number> = { emerg: 0, alert: 1, crit: 2, error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

// ---------------------------------------------------------------------------------------------
// Ring buffer: absolute positions (0, 1, 2, ... for every line ever pushed); the last `cap` live.

class Ring {
  private buf: (LogLine | undefined)[];
  pushed = 0;

  constructor(public cap: number) {
    this.buf = new Array<LogLine | undefined>(cap);
  }

  get first(): number {
    return Math.max(0, this.pushed - this.cap);
  }

  get size(): number {
    return this.pushed - this.first;
  }

  push(l: LogLine): number {
    this.buf[this.pushed % this.cap] = l;
    return this.pushed++;
  }

  at(pos: number): LogLine | undefined {
    return pos >= this.first && pos < this.pushed ? this.buf[pos % this.cap] : undefined;
  }

  clear(): void {
    this.buf = new Array<LogLine | undefined>(this.cap);
    this.pushed = 0;
  }

  resize(cap: number): void {
    if (cap === this.cap) return;
    const keep: LogLine[] = [];
    for (let p = Math.max(this.first, this.pushed - cap); p < this.pushed; p++) keep.push(this.at(p)!);
    this.cap = cap;
    this.clear();
    for (const l of keep) this.push(l);
  }
}

// ---------------------------------------------------------------------------------------------
// State.

let target = '';
let logs: LogRef[] = [];
let path: string | undefined;
let paused = false;
let dropped = 0;
let lastSeq = 0;
const ring = new Ring(100_000);
/** Positions in the ring that pass the filter, oldest first; `vstart` skips evicted ones. */
let visible: number[] = [];
let vstart = 0;

interface Filter {
  test: ((s: string) => boolean) | undefined;
  maxRank: number;
  only5xx: boolean;
}
let filter: Filter = { test: undefined, maxRank: 99, only5xx: false };

function passes(l: LogLine): boolean {
  if (l.kind === 'notice') return true;
  if (filter.only5xx && !(l.status !== undefined && l.status >= 500)) return false;
  if (filter.maxRank < 99 && (l.level === undefined || RANK[l.level] > filter.maxRank)) return false;
  return filter.test ? filter.test(l.text) : true;
}

function rebuild(): void {
  visible = [];
  vstart = 0;
  for (let p = ring.first; p < ring.pushed; p++) if (passes(ring.at(p)!)) visible.push(p);
}

function shownCount(): number {
  return visible.length - vstart;
}

// ---------------------------------------------------------------------------------------------
// DOM.

const picker = el('select', { title: 'Logs found by the diagnosis', attrs: { 'aria-label': 'Log file' } });
const pathButton = button('Path…', () => post({ type: 'pickPath' }), { secondary: true, title: 'Follow another file on the host', id: 'path' });
const pauseButton = button('Pause', () => togglePause(), { id: 'pause', secondary: true });
const reconnectButton = button('Reconnect', () => post({ type: 'reconnect' }), { id: 'reconnect' });
const search = el('input', { attrs: { type: 'search', placeholder: 'Filter (text)', 'aria-label': 'Filter' } });
search.id = 'filter';
const regex = el('input', { attrs: { type: 'checkbox', 'aria-label': 'Regular expression' } });
regex.id = 'regex';
const level = el('select', { attrs: { 'aria-label': 'Level' } });
level.id = 'level';
for (const [value, label] of [
  ['99', 'All levels'],
  ['3', 'error and worse'],
  ['4', 'warn and worse'],
  ['5', 'notice and worse'],
  ['6', 'info and worse'],
] as const) {
  const o = el('option', { text: label });
  o.value = value;
  level.append(o);
}
const only5xx = el('input', { attrs: { type: 'checkbox', 'aria-label': '5xx only' } });
only5xx.id = 'only5xx';
const statusText = el('span', { class: 'tail-status', attrs: { role: 'status', 'aria-live': 'polite' } });
statusText.id = 'status';
const counts = el('span', { class: 'counts' });
counts.id = 'counts';

const detailText = el('pre', { class: 'detail-text' });
const detailHead = el('div', { class: 'detail-head' });
const details = el('section', { class: 'details', attrs: { 'aria-label': 'The selected line' } }, detailHead, detailText);
details.id = 'details';
details.hidden = true;
/** The line clicked: shown whole (wrapped) under the list, with the cause of a 502 signature. */
let selected: LogLine | undefined;

function showDetails(l: LogLine | undefined): void {
  selected = l;
  details.hidden = !l;
  if (!l) return;
  const facts = [l.kind === 'notice' ? 'viewer notice' : undefined, l.level, l.status !== undefined ? `status ${l.status}` : undefined, l.sig].filter(Boolean).join(' · ');
  detailHead.replaceChildren(
    el('span', { class: 'facts', text: facts || 'line' }),
    l.cause ? el('span', { class: 'cause', text: l.cause }) : '',
    button('Close', () => {
      showDetails(undefined);
      renderRows();
    }, { secondary: true, title: 'Close the line details' }),
  );
  detailText.textContent = l.text;
}

const viewport = el('div', { class: 'viewport', attrs: { tabindex: '0', role: 'log', 'aria-label': 'Log lines' } });
viewport.id = 'viewport';
const spacer = el('div', { class: 'spacer' });
const rows = el('div', { class: 'rows' });
viewport.append(spacer, rows);

app.replaceChildren(
  el(
    'header',
    { class: 'toolbar' },
    el('div', { class: 'group' }, el('span', { class: 'target', text: '' }), picker, pathButton, pauseButton, reconnectButton),
    el('div', { class: 'group' }, search, el('label', {}, regex, ' Regex'), level, el('label', {}, only5xx, ' 5xx only')),
    el('div', { class: 'group' }, statusText),
  ),
  viewport,
  details,
  el('footer', {}, counts),
);
const targetLabel = app.querySelector<HTMLElement>('.target')!;

let rowHeight = 18;
const pool: HTMLDivElement[] = [];

function measure(): void {
  const probe = el('div', { class: 'row', text: 'M' });
  rows.append(probe);
  rowHeight = probe.getBoundingClientRect().height || 18;
  probe.remove();
}

let frame = 0;
function scheduleRender(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderRows();
  });
}

function renderRows(): void {
  const n = shownCount();
  spacer.style.height = `${n * rowHeight}px`;
  const top = viewport.scrollTop;
  const height = viewport.clientHeight;
  const from = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const to = Math.min(n, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const need = Math.max(0, to - from);
  while (pool.length < need) {
    const r = document.createElement('div');
    pool.push(r);
    rows.append(r);
  }
  rows.style.transform = `translateY(${from * rowHeight}px)`;
  for (let i = 0; i < pool.length; i++) {
    const r = pool[i];
    if (i >= need) {
      r.hidden = true;
      continue;
    }
    const l = ring.at(visible[vstart + from + i]);
    r.hidden = false;
    if (!l) continue;
    r.className = `row${l.kind === 'notice' ? ' notice' : ''}${l.level ? ` l-${l.level}` : ''}${l.sig ? ' sig' : ''}${l.status !== undefined && l.status >= 500 ? ' s5xx' : ''}${selected?.seq === l.seq ? ' selected' : ''}`;
    r.textContent = l.text;
    r.title = l.sig && l.cause ? l.cause : '';
    r.dataset.seq = String(l.seq);
  }
  counts.textContent = `${ring.size.toLocaleString()} lines${shownCount() !== ring.size ? ` · ${shownCount().toLocaleString()} match` : ''} · keeps ${ring.cap.toLocaleString()}${dropped ? ` · ${dropped.toLocaleString()} dropped while paused or too fast` : ''}`;
}

function atBottom(): boolean {
  return viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - rowHeight * 2;
}

function scrollToBottom(): void {
  viewport.scrollTop = viewport.scrollHeight;
}

// ---------------------------------------------------------------------------------------------

function post(m: LogFromWebview): void {
  vscode.postMessage(m);
}

function togglePause(): void {
  paused = !paused;
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
  post({ type: paused ? 'pause' : 'resume' });
}

function save(): void {
  vscode.setState({ target, path, logs });
}

function fillPicker(): void {
  const opts: HTMLOptionElement[] = [];
  if (!path || !logs.some((l) => l.path === path)) {
    const o = el('option', { text: path ?? 'Pick a log…' });
    o.value = path ?? '';
    opts.push(o);
  }
  for (const l of logs) {
    const o = el('option', { text: `${l.path}${l.kind !== 'other' ? `  (${l.kind})` : ''}` });
    o.value = l.path;
    opts.push(o);
  }
  picker.replaceChildren(...opts);
  picker.value = path ?? '';
}

function setStatus(state: TailState, message: string | undefined): void {
  const label: Record<TailState, string> = { idle: '', connecting: 'Connecting…', live: 'Live', paused: 'Paused', reconnecting: 'Reconnecting…', error: 'Error', stopped: 'Stopped' };
  statusText.textContent = message ? `${label[state]}${label[state] ? ': ' : ''}${message}` : label[state];
  statusText.className = `tail-status ${state}`;
  reconnectButton.hidden = !(state === 'error' || state === 'stopped');
  pauseButton.disabled = !(state === 'live' || state === 'paused');
  app.dataset.state = state;
}

function applyFilter(): void {
  const text = search.value;
  let test: Filter['test'];
  search.classList.remove('invalid');
  search.title = '';
  if (text) {
    if (regex.checked) {
      try {
        const re = new RegExp(text, 'i');
        test = (s) => re.test(s);
      } catch (e) {
        search.classList.add('invalid');
        search.title = e instanceof Error ? e.message : 'invalid regular expression';
      }
    } else {
      const needle = text.toLowerCase();
      test = (s) => s.toLowerCase().includes(needle);
    }
  }
  filter = { test, maxRank: Number(level.value), only5xx: only5xx.checked };
  rebuild();
  renderRows();
  scrollToBottom();
}

let filterTimer: number | undefined;
search.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = window.setTimeout(applyFilter, 120);
});
regex.addEventListener('change', applyFilter);
level.addEventListener('change', applyFilter);
only5xx.addEventListener('change', applyFilter);
picker.addEventListener('change', () => {
  if (picker.value) post({ type: 'open', path: picker.value });
});
viewport.addEventListener('scroll', scheduleRender, { passive: true });
rows.addEventListener('click', (ev) => {
  const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
  const seq = Number(row?.dataset.seq);
  if (!row || !Number.isFinite(seq)) return;
  for (let p = ring.pushed - 1; p >= ring.first; p--) {
    const l = ring.at(p);
    if (l?.seq === seq) {
      showDetails(l);
      break;
    }
  }
  renderRows();
});
new ResizeObserver(scheduleRender).observe(viewport);

function addLines(lines: LogLine[], reset: boolean): void {
  const follow = reset || atBottom();
  if (reset) {
    ring.clear();
    visible = [];
    vstart = 0;
    showDetails(undefined);
  }
  for (const l of lines) {
    const pos = ring.push(l);
    if (passes(l)) visible.push(pos);
    if (l.seq > lastSeq) lastSeq = l.seq;
  }
  // Forget evicted positions; compact the index now and then.
  const first = ring.first;
  while (vstart < visible.length && visible[vstart] < first) vstart++;
  if (vstart > 50_000 && vstart > visible.length / 2) {
    visible = visible.slice(vstart);
    vstart = 0;
  }
  renderRows();
  if (follow) scrollToBottom();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = parseLogToWebview(ev.data);
  if (!m) return;
  switch (m.type) {
    case 'init':
      target = m.target;
      logs = m.logs;
      path = m.path;
      targetLabel.textContent = m.target;
      ring.resize(Math.max(1000, Math.floor(m.maxLines)));
      rebuild();
      fillPicker();
      save();
      renderRows();
      return;
    case 'lines':
      if (m.dropped) dropped += m.dropped;
      if (m.reset) dropped = m.dropped ?? 0;
      addLines(m.lines, m.reset === true);
      post({ type: 'ack', lastSeq, total: ring.size, shown: shownCount() });
      return;
    case 'status':
      if (m.path && m.path !== path) {
        path = m.path;
        fillPicker();
        save();
      }
      setStatus(m.state, m.message);
      return;
  }
});

measure();
setStatus('idle', undefined);
const saved = vscode.getState();
if (saved) {
  target = saved.target;
  targetLabel.textContent = saved.target;
}
post({ type: 'ready' });
