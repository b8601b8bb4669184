// The diagnosis panel, extension side: one panel per target, a run with a cancellable progress
// notification stage by stage, the state posted to the webview after its `ready`, the webview's
// requests validated and carried out. Survives a window reload through the serializer (the
// webview keeps its last state with setState; the restored panel shows it until Re-run).

import * as vscode from 'vscode';
import { isCancelled } from '../commands/connections';
import { reportMarkdown } from './diagnosisData';
import { isDiagnosisPanelState, parseDiagnosisFromWebview, type DiagnosisData, type DiagnosisFromWebview, type DiagnosisPanelState, type DiagnosisToWebview, type LogRef } from './protocol';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const DIAGNOSIS_VIEW_TYPE = 'ngx502.diagnosis';

/** Runs one diagnosis (connecting as needed); rejects with CancelledError when cancelled. */
export type DiagnosisRunner = (target: string, onStage: (stage: string) => void, token: vscode.CancellationToken) => Promise<DiagnosisData>;

export interface DiagnosisPanelHooks {
  openLogViewer(target: string, logs: LogRef[], path?: string): Promise<void>;
  openFile(target: string, file: string, line?: number): Promise<void>;
}

/** What a panel's webview reported it rendered (the handshake's answer; the e2e suite listens). */
export interface RenderedReport {
  target: string;
  status: DiagnosisPanelState['status'];
  firstCause?: string;
  causes: number;
}

class DiagnosisPanel {
  state: DiagnosisPanelState;
  private ready = false;
  private cancel: vscode.CancellationTokenSource | undefined;
  private current: Promise<DiagnosisPanelState> | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    state: DiagnosisPanelState,
    private readonly owner: DiagnosisPanels,
  ) {
    this.state = state;
    panel.webview.options = webviewOptions(owner.extensionUri);
    this.subs.push(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    panel.webview.html = webviewHtml(panel.webview, owner.extensionUri, 'diagnosis', `502 diagnosis: ${state.target}`);
    this.subs.push(
      panel.onDidDispose(() => {
        this.cancel?.cancel();
        for (const s of this.subs) s.dispose();
        owner.forget(this);
      }),
    );
  }

  get target(): string {
    return this.state.target;
  }

  /** Cancels a running diagnosis. */
  stop(): void {
    this.cancel?.cancel();
  }

  update(state: DiagnosisPanelState): void {
    this.state = state;
    this.panel.title = `502: ${state.target}`;
    this.post({ type: 'state', state });
    this.owner.changed(this);
  }

  private post(m: DiagnosisToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private receive(raw: unknown): void {
    const m = parseDiagnosisFromWebview(raw);
    if (!m) {
      this.owner.log.warn(`diagnosis panel: dropped an invalid message from the webview: ${safeJson(raw)}`);
      return;
    }
    void this.handle(m).catch((e: unknown) => {
      this.owner.log.error(`diagnosis panel: ${m.type}: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showErrorMessage(`Nginx 502: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private async handle(m: DiagnosisFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post({ type: 'state', state: this.state });
        return;
      case 'rerun':
        await this.run();
        return;
      case 'cancel':
        this.cancel?.cancel();
        return;
      case 'copyReport': {
        const d = this.state.diagnosis;
        if (!d) return;
        await vscode.env.clipboard.writeText(reportMarkdown(d, new Date(this.state.finishedAt ?? Date.now())));
        void vscode.window.showInformationMessage(`Nginx 502: the report on ${this.target} is on the clipboard (Markdown).`);
        return;
      }
      case 'openLogViewer':
        await this.owner.hooks.openLogViewer(this.target, this.state.diagnosis?.logs ?? [], m.path);
        return;
      case 'openFile':
        await this.owner.hooks.openFile(this.target, m.file, m.line);
        return;
      case 'rendered':
        this.owner.rendered({ target: this.target, status: m.status, firstCause: m.firstCause, causes: m.causes });
        return;
    }
  }

  /** Runs the diagnosis with a cancellable progress notification; resolves with the final state (a run in progress is joined). */
  run(): Promise<DiagnosisPanelState> {
    this.current ??= this.runOnce().finally(() => (this.current = undefined));
    return this.current;
  }

  private async runOnce(): Promise<DiagnosisPanelState> {
    const source = new vscode.CancellationTokenSource();
    this.cancel = source;
    const startedAt = Date.now();
    const previous = this.state.diagnosis;
    this.update({ target: this.target, status: 'running', stage: 'starting', startedAt, diagnosis: previous });
    try {
      const diagnosis = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Nginx 502: diagnosing ${this.target}`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => source.cancel());
          try {
            return await this.owner.runner(
              this.target,
              (stage) => {
                progress.report({ message: stage });
                if (this.state.status === 'running') this.update({ ...this.state, stage });
              },
              source.token,
            );
          } finally {
            sub.dispose();
          }
        },
      );
      this.update({ target: this.target, status: 'done', startedAt, finishedAt: Date.now(), diagnosis });
    } catch (e) {
      if (isCancelled(e) || source.token.isCancellationRequested) {
        this.owner.log.info(`diagnosis of ${this.target} cancelled`);
        this.update({ target: this.target, status: 'cancelled', startedAt, finishedAt: Date.now(), diagnosis: previous });
      } else {
        const message = e instanceof Error ? e.message : String(e);
        this.owner.log.error(`diagnosis of ${this.target} failed: ${message}`);
        this.update({ target: this.target, status: 'error', startedAt, finishedAt: Date.now(), error: message, diagnosis: previous });
      }
    } finally {
      source.dispose();
      if (this.cancel === source) this.cancel = undefined;
    }
    return this.state;
  }
}

export class DiagnosisPanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly panels = new Map<string, DiagnosisPanel>();
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedReport>();
  private readonly changedEmitter = new vscode.EventEmitter<DiagnosisPanelState>();
  /** A webview rendered a state (status, first cause). */
  readonly onDidRender = this.renderedEmitter.event;
  /** A panel's state changed (run started, stage, result). */
  readonly onDidChange = this.changedEmitter.event;
  /** The state of the most recently updated panel. */
  last: DiagnosisPanelState | undefined;

  constructor(
    readonly extensionUri: vscode.Uri,
    readonly log: vscode.LogOutputChannel,
    readonly runner: DiagnosisRunner,
    readonly hooks: DiagnosisPanelHooks,
  ) {}

  /** Opens (or reveals) the target's panel and runs a diagnosis in it. */
  async diagnose(target: string): Promise<DiagnosisPanelState> {
    let p = this.panels.get(target);
    if (p) p.panel.reveal(undefined, false);
    else {
      const panel = vscode.window.createWebviewPanel(DIAGNOSIS_VIEW_TYPE, `502: ${target}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, webviewOptions(this.extensionUri));
      p = new DiagnosisPanel(panel, { target, status: 'running', stage: 'starting', startedAt: Date.now() }, this);
      this.panels.set(target, p);
    }
    return p.run();
  }

  /** The panel of a target, if open. */
  state(target: string): DiagnosisPanelState | undefined {
    return this.panels.get(target)?.state;
  }

  /** Reveals the most recent panel; false when none is open. */
  revealLast(): boolean {
    const p = this.last && this.panels.get(this.last.target);
    p?.panel.reveal();
    return p !== undefined;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    if (!isDiagnosisPanelState(saved)) {
      this.log.warn('diagnosis panel: no usable saved state after reload; closing it');
      panel.dispose();
      return;
    }
    // A run cut by the reload is shown as cancelled; the result shown is the saved one, marked restored.
    const state: DiagnosisPanelState = { ...saved, status: saved.status === 'running' ? 'cancelled' : saved.status, stage: undefined, restored: true };
    const existing = this.panels.get(state.target);
    if (existing) {
      panel.dispose();
      return;
    }
    const p = new DiagnosisPanel(panel, state, this);
    this.panels.set(state.target, p);
    this.changed(p);
  }

  forget(p: DiagnosisPanel): void {
    if (this.panels.get(p.target) === p) this.panels.delete(p.target);
  }

  changed(p: DiagnosisPanel): void {
    this.last = p.state;
    this.changedEmitter.fire(p.state);
  }

  rendered(r: RenderedReport): void {
    this.renderedEmitter.fire(r);
  }

  /** Cancels running diagnoses; the panels stay for VS Code to restore after a reload. */
  dispose(): void {
    for (const p of this.panels.values()) p.stop();
    this.panels.clear();
    this.renderedEmitter.dispose();
    this.changedEmitter.dispose();
  }
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s.length > 200 ? s.slice(0, 200) + '…' : s;
  } catch {
    return String(v);
  }
}
