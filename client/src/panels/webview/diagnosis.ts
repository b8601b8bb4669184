// The diagnosis panel's script: renders the state the extension posts (cause cards, the 502/504
// per-minute chart, what was not seen), keeps it with setState for a window reload, and sends
// the person's clicks back as typed messages. Every host text goes in through textContent.

import { parseDiagnosisToWebview, type AccessData, type CauseData, type DiagnosisFromWebview, type DiagnosisPanelState, type EvidenceData, type FixData, type MinuteData } from '../protocol';
import { button, clock, el, svg, vscodeApi } from './common';

const vscode = vscodeApi<DiagnosisFromWebview, DiagnosisPanelState>();
const app = document.getElementById('app')!;

function post(m: DiagnosisFromWebview): void {
  vscode.postMessage(m);
}

function render(state: DiagnosisPanelState): void {
  chartMinutes = [];
  const d = state.diagnosis;
  const running = state.status === 'running';
  const header = el(
    'header',
    { class: 'toolbar' },
    el('h1', {}, '502 diagnosis ', el('span', { class: 'target', text: state.target })),
    el(
      'div',
      { class: 'actions' },
      running ? button('Cancel', () => post({ type: 'cancel' }), { id: 'cancel', secondary: true }) : button('Re-run', () => post({ type: 'rerun' }), { id: 'rerun' }),
      button('Copy report as Markdown', () => post({ type: 'copyReport' }), { id: 'copy', secondary: true }),
      button('Open log viewer', () => post({ type: 'openLogViewer' }), { id: 'logs', secondary: true }),
    ),
  );
  const copy = header.querySelector<HTMLButtonElement>('#copy')!;
  copy.disabled = !d;

  const body: Node[] = [header, statusLine(state)];
  if (d) {
    body.push(
      el(
        'p',
        { class: 'meta' },
        `nginx ${d.host.nginxVersion ?? '(not found)'} · configuration from ${d.host.configSource} (${d.host.configFiles} files) · ${d.host.fpmFiles} PHP-FPM files · ${(d.durationMs / 1000).toFixed(1)} s`,
      ),
    );
    body.push(chartSection(d.access));
    const causes = el('section', { class: 'causes', attrs: { 'aria-label': 'Causes, most likely first' } });
    if (d.causes.length === 0) causes.append(el('p', { class: 'empty', text: 'No cause of a 502 found on this host in the window looked at.' }));
    d.causes.forEach((c, i) => causes.append(causeCard(c, i)));
    body.push(causes);
    body.push(notSeen(d.probes, d.notes));
  }
  app.replaceChildren(...body);
  drawChart();
  app.classList.toggle('stale', running && !!d);
  post({ type: 'rendered', status: state.status, firstCause: d?.causes[0]?.id, causes: d?.causes.length ?? 0 });
}

function statusLine(state: DiagnosisPanelState): HTMLElement {
  const when = state.finishedAt ? new Date(state.finishedAt).toLocaleString() : '';
  switch (state.status) {
    case 'running':
      return el('p', { class: 'status running', attrs: { role: 'status' } }, el('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), state.stage ? `Running: ${state.stage}…` : 'Running…');
    case 'error':
      return el('div', { class: 'status error', attrs: { role: 'alert' } }, el('strong', { text: 'The diagnosis failed. ' }), el('span', { text: state.error ?? '' }), state.diagnosis ? ' The results below are from the previous run.' : '');
    case 'cancelled':
      return el('p', { class: 'status', text: state.restored ? `Restored after a reload; the run was interrupted. ${state.diagnosis ? 'Results below are from the previous run.' : ''}` : `Cancelled.${state.diagnosis ? ' The results below are from the previous run.' : ''}` });
    case 'done':
      return el('p', { class: 'status', text: state.restored ? `Restored after a reload: results from ${when}. Re-run to refresh.` : `Finished ${when}.` });
  }
}

function causeCard(c: CauseData, i: number): HTMLElement {
  const card = el(
    'article',
    { class: `card confidence-${c.confidence}`, attrs: { 'data-cause': c.id } },
    el(
      'header',
      {},
      el('span', { class: 'rank', text: `${i + 1}` }),
      el('h2', { class: 'title', text: c.title }),
      el('span', { class: `badge ${c.confidence}`, text: c.confidence, title: 'confidence' }),
      el('span', { class: 'score', text: `score ${c.score}` }),
      el('code', { class: 'cause-id', text: c.id }),
    ),
  );
  if (c.evidence.length) {
    const list = el('ul', { class: 'evidence' });
    for (const e of c.evidence) list.append(evidenceItem(e));
    card.append(el('h3', { text: 'Evidence' }), list);
  }
  if (c.fixes.length) {
    const list = el('ul', { class: 'fixes' });
    for (const f of c.fixes) list.append(fixItem(f));
    card.append(el('h3', { text: 'Fix' }), list);
  }
  return card;
}

function evidenceItem(e: EvidenceData): HTMLElement {
  const times = [e.firstSeen && `first ${e.firstSeen}`, e.lastSeen && `last ${e.lastSeen}`].filter(Boolean).join(', ');
  const li = el('li', {}, el('span', { class: 'source', text: e.source }), ' ', el('span', { text: e.summary }), ' ', el('span', { class: 'count', text: `×${e.count}${times ? ` · ${times}` : ''}` }));
  if (e.file) li.append(' ', e.line ? fileButton(e.file, e.line) : logButton(e.file));
  if (e.samples.length) {
    const pre = el('pre', { class: 'samples' });
    pre.textContent = e.samples.join('\n');
    li.append(pre);
  }
  return li;
}

function fixItem(f: FixData): HTMLElement {
  const li = el('li', {}, el('span', { text: f.what }));
  if (f.file) li.append(' ', fileButton(f.file, f.line));
  li.append(el('div', { class: 'verify' }, 'verify: ', el('code', { text: f.verify })));
  return li;
}

function fileButton(file: string, line: number | undefined): HTMLButtonElement {
  const label = `${file}${line ? `:${line}` : ''}`;
  const b = button(label, () => post({ type: 'openFile', file, ...(line ? { line } : {}) }), { secondary: true, title: `Open ${label} on the host (read-only)` });
  b.classList.add('file');
  return b;
}

function logButton(file: string): HTMLButtonElement {
  const b = button(file, () => post({ type: 'openLogViewer', path: file }), { secondary: true, title: `Follow ${file} in the log viewer` });
  b.classList.add('file');
  return b;
}

// ---------------------------------------------------------------------------------------------
// The chart: 502 and 504 per minute over the window, as stacked bars (gaps are zero minutes).

const CHART_H = 140;
const PAD = { l: 34, r: 8, t: 10, b: 22 };

function chartSection(access: AccessData | undefined): HTMLElement {
  const section = el('section', { class: 'chart', attrs: { 'aria-label': '502 and 504 per minute' } });
  section.append(el('h2', { text: '502 / 504 per minute' }));
  if (!access || access.minutes.length === 0) {
    section.append(el('p', { class: 'empty', text: access ? 'No timed requests in the access log window.' : 'No access log was read.' }));
    return section;
  }
  section.append(
    el(
      'p',
      { class: 'meta' },
      `${access.total} requests · `,
      el('span', { class: 'k502', text: `${access.s502} × 502` }),
      ' · ',
      el('span', { class: 'k504', text: `${access.s504} × 504` }),
      ` · ${access.s5xx} × 5xx`,
      access.top502Uris.length ? ` · most 502s: ${access.top502Uris.slice(0, 3).map((u) => `${u.uri} (${u.count})`).join(', ')}` : '',
    ),
  );
  const holder = el('div', { class: 'chart-holder' });
  chartMinutes = fillMinutes(access.minutes);
  section.append(holder);
  return section;
}

/** The minutes the chart shows; drawn once the section is in the page (its width is known) and again on resize. */
let chartMinutes: MinuteData[] = [];

function drawChart(): void {
  const holder = app.querySelector<HTMLElement>('.chart-holder');
  if (!holder || chartMinutes.length === 0) return;
  const width = Math.max(240, Math.floor(holder.clientWidth) - 2); // the svg's border
  holder.replaceChildren(chart(chartMinutes, width));
}

let resizeFrame = 0;
new ResizeObserver(() => {
  if (resizeFrame) return;
  resizeFrame = requestAnimationFrame(() => {
    resizeFrame = 0;
    drawChart();
  });
}).observe(app);

/** Every minute from the first to the last (at least 30, at most 24 h), zeros where nothing was logged. */
function fillMinutes(minutes: MinuteData[]): MinuteData[] {
  const byTime = new Map<number, MinuteData>();
  for (const m of minutes) {
    const t = Date.parse(m.minute);
    if (!Number.isNaN(t)) byTime.set(t, m);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  if (times.length === 0) return [];
  const out: MinuteData[] = [];
  const last = Math.min(times[times.length - 1], times[0] + 24 * 60 * 60_000);
  const first = Math.min(times[0], last - 29 * 60_000);
  for (let t = first; t <= last; t += 60_000) out.push(byTime.get(t) ?? { minute: new Date(t).toISOString(), total: 0, s5xx: 0, s502: 0, s504: 0 });
  return out;
}

function chart(minutes: MinuteData[], CHART_W: number): SVGSVGElement {
  const max = Math.max(1, ...minutes.map((m) => m.s502 + m.s504));
  const w = CHART_W - PAD.l - PAD.r;
  const h = CHART_H - PAD.t - PAD.b;
  const step = w / minutes.length;
  const bw = Math.max(1, step * 0.8);
  const y = (v: number) => PAD.t + h - (v / max) * h;
  const root = svg('svg', { viewBox: `0 0 ${CHART_W} ${CHART_H}`, width: CHART_W, height: CHART_H, role: 'img', class: 'bars' });
  root.append(svg('title', {}, document.createTextNode(`502 and 504 responses per minute, ${minutes.length} minutes, at most ${max} in a minute`)));
  // Axis and grid: the max and half of it.
  for (const v of [0, Math.round(max / 2), max]) {
    if (v === 0 && max === 0) continue;
    root.append(svg('line', { x1: PAD.l, x2: CHART_W - PAD.r, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }));
    const label = svg('text', { x: PAD.l - 4, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' });
    label.textContent = String(v);
    root.append(label);
  }
  minutes.forEach((m, i) => {
    const x = PAD.l + i * step + (step - bw) / 2;
    const g = svg('g', { class: 'minute' });
    const tip = svg('title');
    tip.textContent = `${clock(m.minute)}: ${m.s502} × 502, ${m.s504} × 504 (${m.total} requests)`;
    g.append(tip);
    // A transparent full-height target so the tooltip works on empty minutes too.
    g.append(svg('rect', { x: PAD.l + i * step, y: PAD.t, width: step, height: h, class: 'hit' }));
    if (m.s502 > 0) g.append(svg('rect', { x, y: y(m.s502), width: bw, height: y(0) - y(m.s502), class: 'b502' }));
    if (m.s504 > 0) g.append(svg('rect', { x, y: y(m.s502 + m.s504), width: bw, height: y(0) - y(m.s504), class: 'b504' }));
    root.append(g);
  });
  const labels = minutes.length > 1 ? [0, minutes.length - 1] : [0];
  if (minutes.length > 8) labels.splice(1, 0, Math.floor(minutes.length / 2));
  for (const i of labels) {
    const t = svg('text', { x: PAD.l + i * step + step / 2, y: CHART_H - 6, class: 'tick', 'text-anchor': i === 0 && minutes.length > 1 ? 'start' : i === minutes.length - 1 && minutes.length > 1 ? 'end' : 'middle' });
    t.textContent = clock(minutes[i].minute);
    root.append(t);
  }
  return root;
}

function notSeen(probes: { id: string; status: string; note?: string }[], notes: string[]): HTMLElement {
  const bad = probes.filter((p) => p.status !== 'ok');
  const details = el('details', { class: 'not-seen' });
  details.append(el('summary', { text: `What the diagnosis could not see (${bad.length} probes${notes.length ? `, ${notes.length} notes` : ''})` }));
  const list = el('ul');
  for (const n of notes) list.append(el('li', { text: n }));
  for (const p of bad) list.append(el('li', {}, el('code', { text: p.id }), ` ${p.status}${p.note ? `: ${p.note.split('\n')[0]}` : ''}`));
  if (!bad.length && !notes.length) list.append(el('li', { text: 'Every probe ran.' }));
  details.append(list);
  return details;
}

// ---------------------------------------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent) => {
  const m = parseDiagnosisToWebview(ev.data);
  if (!m) return;
  vscode.setState(m.state);
  render(m.state);
});

// A reloaded panel shows what it had at once; the extension then sends the current state.
const saved = vscode.getState();
const initial = parseDiagnosisToWebview({ type: 'state', state: saved });
if (initial) render(initial.state);
else app.replaceChildren(el('p', { class: 'status running' }, el('span', { class: 'spinner' }), 'Starting…'));
post({ type: 'ready' });
