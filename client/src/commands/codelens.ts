// "Run diagnosis on TARGET" above proxy_pass/fastcgi_pass lines when a target is known: the
// host a remote file came from, else the most recent target.

import * as vscode from 'vscode';
import { REMOTE_SCHEME } from '../remotefs/provider';
import type { Connections } from './connections';
import type { RecentTargets } from './targets';

const PASS = /^\s*(proxy_pass|fastcgi_pass|uwsgi_pass|scgi_pass|grpc_pass)\s/;

export class DiagnoseCodeLens implements vscode.CodeLensProvider {
  constructor(
    private readonly connections: Connections,
    private readonly recent: RecentTargets,
  ) {}

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const target = doc.uri.scheme === REMOTE_SCHEME ? this.connections.targetFor(doc.uri.authority) : this.recent.list()[0];
    if (!target) return [];
    const out: vscode.CodeLens[] = [];
    const max = Math.min(doc.lineCount, 20_000);
    for (let i = 0; i < max && out.length < 200; i++) {
      const text = doc.lineAt(i).text;
      if (!PASS.test(text)) continue;
      out.push(new vscode.CodeLens(new vscode.Range(i, 0, i, 0), { title: `$(pulse) Run diagnosis on ${target}`, command: 'nginx502.diagnose', arguments: [target] }));
    }
    return out;
  }
}
