// The remote log viewer, extension side: one panel per target following one log at a time
// over the target's transport (`tail -F`: survives truncation and rotation). The last N lines
// come first (their byte count measured on the host, so only they cross the wire), then what is
// appended. Lines are classified here (level, status, 502 signature and its cause) and sent in
// batches with flow control: at most two batches unacknowledged, the rest queued (bounded by the
// ring buffer's size, the oldest dropped and counted). Pause keeps following and queues; resume
// sends what was queued. A lost connection is retried a few times, then said plainly.

import * as vscode from 'vscode';
import { isCancelled, type Connections } from '../commands/connections';
import { diagnoseSettings } from '../commands/settings';
import { isRemoteError } from '../remote/errors';
import { classifyFailure, shellCommand, type StreamHandle, type Transport } from '../remote/transport';
import { LineSplitter, lineFacts } from './logLines';
import { isHostPath, isLogViewerSavedState, parseLogFromWebview, type LogFromWebview, type LogLine, type LogRef, type LogToWebview, type TailState } from './protocol';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const LOG_VIEW_TYPE = 'ngx502.logViewer';

const BATCH_MS = 40;
const BATCH_MAX = 5000;
const MAX_IN_FLIGHT = 2;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

// $1 path, $2 lines: the byte count of the last $2 lines (tail seeks from the end: the file is not read whole).
const LAST_LINES_BYTES = 'exec 3<"$1" || exit 2; exec 3<&-; tail -n "$2" -- "$1" | wc -c';

/** Lines the webview acknowledged as applied (for the e2e suite and the status of the panel). */
export interface ShownReport {
  target: string;
  path: string | undefined;
  /** Texts of the lines newly acknowledged. */
  lines: string[];
  total: number;
  shown: number;
}

class LogViewer {
  private ready = false;
  private path: string | undefined;
  private generation = 0;
  private tail: StreamHandle | undefined;
  private paused = false;
  private seq = 0;
  private queue: LogLine[] = [];
  private dropped = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private reset = false;
  private state: TailState = 'idle';
  /** Recently sent lines by seq, until acknowledged. */
  private readonly sent = new Map<number, string>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly target: string,
    private logs: LogRef[],
    private readonly owner: LogViewers,
    private initialPath: string | undefined,
  ) {
    panel.webview.options = webviewOptions(owner.extensionUri);
    this.subs.push(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    panel.webview.html = webviewHtml(panel.webview, owner.extensionUri, 'logviewer', `Logs: ${target}`);
    this.subs.push(
      panel.onDidDispose(() => {
        void this.stop();
        for (const s of this.subs) s.dispose();
        owner.forget(this);
      }),
    );
  }

  get currentPath(): string | undefined {
    return this.path;
  }

  /** Adds logs to the picker and (when given) switches to `path`. */
  show(logs: LogRef[], path: string | undefined): void {
    for (const l of logs) if (!this.logs.some((x) => x.path === l.path)) this.logs.push(l);
    this.panel.reveal(undefined, false);
    if (!this.ready) {
      if (path) this.initialPath = path;
      return;
    }
    this.postInit();
    if (path && path !== this.path) void this.open(path);
  }

  private post(m: LogToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private postInit(): void {
    this.post({ type: 'init', target: this.target, logs: this.logs, path: this.path ?? this.initialPath, maxLines: diagnoseSettings().logViewerMaxLines });
  }

  private setState(state: TailState, message?: string): void {
    this.state = state;
    this.post({ type: 'status', state, path: this.path, message });
  }

  private receive(raw: unknown): void {
    const m = parseLogFromWebview(raw);
    if (!m) {
      this.owner.log.warn(`log viewer: dropped an invalid message from the webview`);
      return;
    }
    void this.handle(m).catch((e: unknown) => this.owner.log.error(`log viewer: ${m.type}: ${e instanceof Error ? e.message : String(e)}`));
  }

  private async handle(m: LogFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        this.inFlight = 0;
        this.postInit();
        const p = this.path ?? this.initialPath ?? this.logs.find((l) => l.kind === 'nginx-error')?.path ?? this.logs[0]?.path;
        if (p) await this.open(p);
        else this.setState('idle', 'Pick a log, or type its path.');
        return;
      }
      case 'open':
        await this.open(m.path);
        return;
      case 'pickPath': {
        const p = await vscode.window.showInputBox({
          title: `Follow a log on ${this.target}`,
          prompt: 'The absolute path of a file on the host',
          value: this.path ?? '/var/log/nginx/error.log',
          validateInput: (v) => (isHostPath(v.trim()) ? undefined : 'An absolute path (starting with /)'),
        });
        if (p) await this.open(p.trim());
        return;
      }
      case 'pause':
        this.paused = true;
        if (this.state === 'live') this.setState('paused');
        return;
      case 'resume':
        this.paused = false;
        if (this.state === 'paused') this.setState('live');
        this.schedule(0);
        return;
      case 'reconnect':
        if (this.path) await this.open(this.path);
        return;
      case 'ack': {
        this.inFlight = Math.max(0, this.inFlight - 1);
        const lines: string[] = [];
        for (const [seq, text] of this.sent) {
          if (seq > m.lastSeq) break;
          lines.push(text);
          this.sent.delete(seq);
        }
        this.owner.shown({ target: this.target, path: this.path, lines, total: m.total, shown: m.shown });
        this.schedule(0);
        return;
      }
    }
  }

  /** Stops the current tail (if any) and follows `path` from its last N lines. */
  async open(path: string, reconnectAttempt = 0): Promise<void> {
    const gen = ++this.generation;
    await this.stop();
    if (gen !== this.generation) return;
    if (reconnectAttempt === 0) {
      // A fresh start (another log, or Reconnect): the list starts again from the last N lines.
      this.queue = [];
      this.sent.clear();
      this.dropped = 0;
      this.reset = true;
    }
    if (path !== this.path) {
      this.path = path;
      if (!this.logs.some((l) => l.path === path)) this.logs.push({ path, kind: 'other' });
      this.postInit();
    }
    const settings = diagnoseSettings();
    this.setState(reconnectAttempt > 0 ? 'reconnecting' : 'connecting', reconnectAttempt > 0 ? `Connection lost; reconnecting (attempt ${reconnectAttempt})…` : `Opening ${path}…`);
    let t: Transport;
    try {
      t = await this.owner.connections.get(this.target);
    } catch (e) {
      if (gen !== this.generation) return;
      if (isCancelled(e)) return this.setState('stopped', 'Cancelled.');
      return this.lost(path, gen, reconnectAttempt, e);
    }
    if (gen !== this.generation) return;
    const sudo = settings.sudo;
    let fromEnd = 0;
    const initialLines = reconnectAttempt > 0 ? 0 : settings.logViewerInitialLines;
    try {
      const argv = ['sh', '-c', LAST_LINES_BYTES, 'ngx502-lines', path, String(initialLines)];
      const r = await t.run(shellCommand(sudo ? ['sudo', '-n', '--', ...argv] : argv), { timeoutMs: 20_000, maxBytes: 1024 });
      if (gen !== this.generation) return;
      if (r.code === 0) fromEnd = Number(r.stdout.trim()) || 0;
      else {
        const kind = classifyFailure(r.stderr);
        if (kind === 'not-permitted') {
          return this.setState('error', `${path} cannot be read on ${this.target}${sudo ? ' (sudo -n was refused)' : ': turn on the setting nginx502.diagnose.sudo to read it through sudo -n'}.`);
        }
        if (kind === 'missing') this.notice(`${path} does not exist (yet): waiting for it to appear.`);
        else if (r.timedOut) return this.lost(path, gen, reconnectAttempt, new Error('no answer within 20 s'));
        else this.notice(`${path}: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
      }
    } catch (e) {
      if (gen !== this.generation) return;
      return this.lost(path, gen, reconnectAttempt, e);
    }
    const splitter = new LineSplitter();
    const handle = t.stream(
      path,
      (chunk) => {
        if (gen !== this.generation) return;
        this.enqueue(splitter.push(chunk));
      },
      {
        fromEnd,
        sudo,
        onStderr: (text) => {
          if (gen !== this.generation) return;
          for (const line of text.split('\n')) {
            const s = line.trim();
            if (!s) continue;
            // tail -F's own notices: truncated, replaced (rotation), inaccessible, appeared.
            this.notice(s.replace(/^tail: /, ''));
          }
        },
      },
    );
    this.tail = handle;
    try {
      await handle.ready;
    } catch (e) {
      if (gen !== this.generation) return;
      return this.lost(path, gen, reconnectAttempt, e);
    }
    if (gen !== this.generation) return;
    if (reconnectAttempt > 0) this.notice('Reconnected: lines written while disconnected are not shown.');
    this.setState(this.paused ? 'paused' : 'live');
    void handle.done.then(
      (end) => {
        if (gen !== this.generation || end.stopped) return;
        this.enqueue(splitter.flush());
        this.setState('stopped', `The tail on ${this.target} ended (${end.code !== null ? `exit ${end.code}` : end.signal ?? 'no status'})${end.stderr.trim() ? `: ${end.stderr.trim().split('\n').pop()}` : ''}.`);
      },
      (e: unknown) => {
        if (gen !== this.generation) return;
        void this.lost(path, gen, 0, e);
      },
    );
  }

  /** The transport failed: reconnect with backoff, then give up with a clear message. */
  private async lost(path: string, gen: number, attempt: number, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    this.owner.log.warn(`log viewer ${this.target} ${path}: ${message}`);
    const transportFailure = isRemoteError(e, 'disconnected', 'closed', 'timeout', 'unreachable', 'connection-refused', 'protocol');
    if (!transportFailure || attempt >= RECONNECT_DELAYS_MS.length) {
      this.setState('error', `${transportFailure ? 'Connection lost' : 'Cannot follow the log'}: ${message}`);
      return;
    }
    this.setState('reconnecting', `Connection lost (${message}); reconnecting…`);
    await this.owner.connections.close(this.target);
    await new Promise((r) => setTimeout(r, RECONNECT_DELAYS_MS[attempt]));
    if (gen !== this.generation) return;
    await this.open(path, attempt + 1);
  }

  private async stop(): Promise<void> {
    const h = this.tail;
    this.tail = undefined;
    if (h) await h.stop().catch(() => undefined);
  }

  private notice(text: string): void {
    this.queue.push({ seq: ++this.seq, text, kind: 'notice' });
    this.schedule(BATCH_MS);
  }

  private enqueue(texts: string[]): void {
    if (texts.length === 0) return;
    for (const text of texts) this.queue.push({ seq: ++this.seq, text, ...lineFacts(text) });
    const cap = diagnoseSettings().logViewerMaxLines;
    if (this.queue.length > cap) {
      const n = this.queue.length - cap;
      this.queue.splice(0, n);
      this.dropped += n;
    }
    this.schedule(this.queue.length >= BATCH_MAX ? 0 : BATCH_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private flush(): void {
    if (!this.ready || this.inFlight >= MAX_IN_FLIGHT) return;
    if (this.paused && !this.reset) return;
    if (this.queue.length === 0 && !this.reset) return;
    const lines = this.paused ? [] : this.queue.splice(0, BATCH_MAX);
    for (const l of lines) if (l.kind !== 'notice') this.sent.set(l.seq, l.text);
    this.inFlight++;
    this.post({ type: 'lines', lines, ...(this.reset ? { reset: true } : {}), ...(this.dropped ? { dropped: this.dropped } : {}) });
    this.reset = false;
    this.dropped = 0;
    if (this.queue.length > 0) this.schedule(BATCH_MS);
  }

  dispose(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    void this.stop();
  }
}

export class LogViewers implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly viewers = new Map<string, LogViewer>();
  private readonly shownEmitter = new vscode.EventEmitter<ShownReport>();
  /** The webview applied lines to its list. */
  readonly onDidShow = this.shownEmitter.event;

  constructor(
    readonly extensionUri: vscode.Uri,
    readonly log: vscode.LogOutputChannel,
    readonly connections: Connections,
  ) {}

  /** Opens (or reveals) the target's log viewer, following `path` (or the first error log). */
  open(target: string, logs: LogRef[], path?: string): void {
    const v = this.viewers.get(target);
    if (v) {
      v.show(logs, path);
      return;
    }
    // Kept alive while hidden: its lines (up to the ring buffer's cap) live only in the webview.
    const panel = vscode.window.createWebviewPanel(LOG_VIEW_TYPE, `Logs: ${target}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { ...webviewOptions(this.extensionUri), retainContextWhenHidden: true });
    this.viewers.set(target, new LogViewer(panel, target, [...logs], this, path));
  }

  /** The path a target's viewer follows. */
  pathOf(target: string): string | undefined {
    return this.viewers.get(target)?.currentPath;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    // The webview saved {target, path, logs} with setState when it was initialised.
    if (!isLogViewerSavedState(saved) || this.viewers.has(saved.target)) {
      panel.dispose();
      return;
    }
    this.viewers.set(saved.target, new LogViewer(panel, saved.target, [...saved.logs], this, saved.path));
  }

  forget(v: LogViewer): void {
    v.dispose();
    if (this.viewers.get(v.target) === v) this.viewers.delete(v.target);
  }

  shown(r: ShownReport): void {
    this.shownEmitter.fire(r);
  }

  /** Stops every tail; the panels stay for VS Code to restore after a reload. */
  dispose(): void {
    for (const v of this.viewers.values()) v.dispose();
    this.viewers.clear();
    this.shownEmitter.dispose();
  }
}
