// A minimal LSP client for tests: spawns the bundled server over stdio, answers its
// configuration requests, and resolves diagnostics as events (URI + version), never sleeps.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { URI } from 'vscode-uri';

export const ROOT = path.resolve(__dirname, '../..');
export const SERVER = path.join(ROOT, 'server/out/server.js');

/** Builds the bundles when server/out/server.js is missing or older than the sources. */
export function ensureBuilt(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
    }, 0);
  if (fs.existsSync(SERVER) && fs.statSync(SERVER).mtimeMs >= newest(path.join(ROOT, 'server/src'))) return;
  const r = spawnSync(process.execPath, ['client/scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export class LspClient {
  readonly conn: MessageConnection;
  readonly child: ChildProcess;
  private readonly waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void }[] = [];
  private readonly latest = new Map<string, PublishDiagnosticsParams>();
  private versions = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly settings: unknown,
  ) {
    this.child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.conn = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.latest.set(p.uri, p);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w.uri === p.uri && (w.version === undefined || w.version === p.version)) {
          this.waiters.splice(i, 1);
          w.resolve(p.diagnostics);
        }
      }
    });
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((it) => (it.section === 'nginx502' ? this.settings : null)));
    this.conn.onRequest('workspace/workspaceFolders', () => [{ uri: URI.file(this.root).toString(), name: 'test' }]);
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onNotification('window/logMessage', () => undefined);
    this.child.stderr!.resume();
    this.conn.listen();
  }

  async initialize(): Promise<void> {
    await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: URI.file(this.root).toString(),
      workspaceFolders: [{ uri: URI.file(this.root).toString(), name: 'test' }],
      capabilities: { workspace: { configuration: true, workspaceFolders: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
    });
    await this.conn.sendNotification('initialized', {});
  }

  /** Opens (or re-sends) a document and resolves with its diagnostics for that version. */
  open(file: string, text = fs.readFileSync(file, 'utf8'), languageId = 'nginx'): Promise<Diagnostic[]> {
    const uri = URI.file(file).toString();
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    const got = new Promise<Diagnostic[]>((resolve) => this.waiters.push({ uri, version, resolve }));
    if (version === 1) void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
    else void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return got;
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      /* already gone */
    }
    this.conn.dispose();
    if (this.child.exitCode === null) this.child.kill();
  }
}
