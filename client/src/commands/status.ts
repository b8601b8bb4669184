// The status bar item: the language server's state and the last diagnosis (click: show it, or
// diagnose a host when there is none yet).

import * as vscode from 'vscode';
import type { DiagnosisPanelState } from '../panels/protocol';

export type ServerState = 'starting' | 'running' | 'stopped';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('nginx502.status', vscode.StatusBarAlignment.Left, 10);
  private server: ServerState = 'starting';
  private last: DiagnosisPanelState | undefined;

  constructor() {
    this.item.name = 'Nginx 502 Doctor';
    this.item.command = 'nginx502.showLastDiagnosis';
    this.render();
    this.item.show();
  }

  setServer(state: ServerState): void {
    this.server = state;
    this.render();
  }

  setDiagnosis(state: DiagnosisPanelState): void {
    this.last = state;
    this.render();
  }

  private render(): void {
    const icon = this.server === 'running' ? '$(check)' : this.server === 'starting' ? '$(sync~spin)' : '$(error)';
    const d = this.last;
    let result = '';
    let detail = 'No diagnosis yet: click to diagnose a host.';
    if (d) {
      const first = d.diagnosis?.causes[0];
      if (d.status === 'running') result = ` · $(loading~spin) ${d.target}`;
      else if (d.status === 'error') result = ` · $(warning) ${d.target}: failed`;
      else if (d.status === 'cancelled' && !d.diagnosis) result = ` · ${d.target}: cancelled`;
      else if (d.diagnosis) result = ` · ${d.target}: ${first ? `${first.id} (${first.confidence})` : 'no cause found'}`;
      detail =
        d.status === 'running'
          ? `Diagnosing ${d.target}: ${d.stage ?? ''}`
          : d.status === 'error'
            ? `The diagnosis of ${d.target} failed: ${d.error ?? ''}`
            : first
              ? `${d.target}: ${first.title} (${first.confidence}, score ${first.score}); ${d.diagnosis!.causes.length} cause(s).`
              : `${d.target}: no cause of a 502 found.`;
    }
    this.item.text = `${icon} nginx${result}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    tip.supportThemeIcons = true;
    tip.appendText(`Nginx 502 Doctor: language server ${this.server}.\n\n`);
    tip.appendText(detail);
    this.item.tooltip = tip;
    this.item.backgroundColor = this.server === 'stopped' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
