// The language server in a real VS Code: a fixture config opens with the diagnostics nginx -t
// and the 502 rules give, and a quick fix applies.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { api, when } from './env';

function fixture(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the e2e workspace is not open');
  return vscode.Uri.joinPath(folder.uri, 'nginx', 'nginx.conf');
}

const codes = (ds: readonly vscode.Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${typeof d.code === 'object' ? d.code.value : d.code}:${vscode.DiagnosticSeverity[d.severity]}`).sort();

describe('the language server in VS Code', () => {
  before(async () => {
    await api();
  });

  it('opens a fixture config with the expected diagnostics', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture());
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'nginx');
    const want = ['15:proxy-pass-localhost:Warning', '19:unknown-directive:Error'];
    const got = await when(vscode.languages.onDidChangeDiagnostics, () => {
      const c = codes(vscode.languages.getDiagnostics(doc.uri));
      return c.length >= want.length ? c : undefined;
    }, 30_000, 'the diagnostics of nginx/nginx.conf');
    assert.deepEqual(got, want);
  });

  it('applies the quick fix of proxy-pass-localhost', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture());
    const d = vscode.languages.getDiagnostics(doc.uri).find((x) => (typeof x.code === 'object' ? x.code.value : x.code) === 'proxy-pass-localhost');
    assert.ok(d, 'the proxy-pass-localhost warning');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Use 127.0.0.1 instead of localhost');
    assert.ok(fix?.edit, `a quick fix "Use 127.0.0.1 instead of localhost" (got: ${actions.map((a) => a.title).join(', ')})`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.lineAt(14).text, /proxy_pass http:\/\/127\.0\.0\.1:8080;/);
    // The server re-checks the edited text: the warning goes, the error stays.
    const after = await when(vscode.languages.onDidChangeDiagnostics, () => {
      const c = codes(vscode.languages.getDiagnostics(doc.uri));
      return c.some((x) => x.includes('proxy-pass-localhost')) ? undefined : c;
    }, 20_000, 'the warning to go after the fix');
    assert.deepEqual(after, ['19:unknown-directive:Error']);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
