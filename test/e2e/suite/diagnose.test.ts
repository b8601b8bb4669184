// "Diagnose 502 on host" against the lab host over SSH (nginx proxying to a closed port), the
// host's files through ngx502-remote:, and the log viewer following the lab's error log.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { Nginx502Api } from '../../../client/src/commands/api';
import type { DiagnosisPanelState } from '../../../client/src/panels/protocol';
import { api, lab, nextEvent, type LabInfo } from './env';

/** One request to the lab's nginx; resolves with the status (a 502 from the closed backend). */
function request(l: LabInfo, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: l.port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('Diagnose 502 on host', () => {
  let a: Nginx502Api;
  let l: LabInfo;
  before(async () => {
    a = await api();
    l = lab();
  });

  it('shows upstream-refused first in the panel for the lab host', async () => {
    const rendered = nextEvent(a.onDidRenderDiagnosis, (r) => r.target === l.target && r.status === 'done', 90_000, 'the panel to render the result');
    const state = await vscode.commands.executeCommand<DiagnosisPanelState>('nginx502.diagnose', l.target);
    assert.equal(state.status, 'done', state.error);
    assert.equal(state.diagnosis?.causes[0]?.id, 'upstream-refused', JSON.stringify(state.diagnosis?.causes.map((c) => c.id)));
    const r = await rendered;
    assert.equal(r.firstCause, 'upstream-refused');
    assert.ok(state.diagnosis.logs.some((x) => x.path === l.errorLog), `the lab's error log among the logs found: ${JSON.stringify(state.diagnosis.logs)}`);
  });

  it('opens the host file read-only through ngx502-remote:', async () => {
    const uri = vscode.Uri.from({ scheme: 'ngx502-remote', authority: l.target, path: l.nginxConf });
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.getText(), fs.readFileSync(l.nginxConf, 'utf8'));
    assert.equal(doc.languageId, 'nginx');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from('x'))), /read-only|NoPermissions/i);
  });

  it('shows a 502 line appended to the error log within 2 s', async () => {
    const first = nextEvent(a.onDidShowLogLines, (r) => r.target === l.target && r.total > 0, 30_000, 'the initial lines of the error log');
    await vscode.commands.executeCommand('nginx502.openLogViewer', l.target, l.errorLog);
    await first;
    const marker = `/closed/e2e-${Date.now()}`;
    const t0 = Date.now();
    const shown = nextEvent(a.onDidShowLogLines, (r) => r.lines.some((x) => x.includes(marker)), 10_000, `a line with ${marker} in the log viewer`);
    assert.equal(await request(l, marker), 502);
    await shown;
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `shown after ${ms} ms`);
  });

  it('passes a line with <script> and <img onerror> through unchanged (the webview shows it as text)', async () => {
    const payload = `2025/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /<script>window.ngx502xss=1</script><img src=x onerror=\\"window.ngx502xss=2\\"> HTTP/1.1", upstream: "http://127.0.0.1:1/", host: "e2e-${Date.now()}"`;
    const shown = nextEvent(a.onDidShowLogLines, (r) => r.lines.includes(payload), 10_000, 'the payload line in the log viewer');
    fs.appendFileSync(l.errorLog, payload + '\n');
    await shown;
  });
});
