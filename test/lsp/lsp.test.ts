// The language server as an editor sees it: `node server/out/server.js --stdio` spoken to over
// real JSON-RPC. Diagnostics are awaited as events (the publishDiagnostics for a URI and
// version), never with sleeps.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  MarkupContent,
  PublishDiagnosticsParams,
  TextEdit,
} from 'vscode-languageserver';
import { URI } from 'vscode-uri';

const ROOT = path.resolve(__dirname, '../..');
const BUILT = path.join(ROOT, 'server/out/server.js');
/** NGX502_SERVER_JS: test another server bundle (e.g. a candidate build) instead of server/out/server.js. */
const SERVER = process.env.NGX502_SERVER_JS ? path.resolve(process.env.NGX502_SERVER_JS) : BUILT;
const FIXTURES = path.join(ROOT, 'test/fixtures/lsp');
/** Documents under this folder exist only in the editor (didOpen), never on disk. */
const VIRTUAL = path.join(FIXTURES, 'virtual');
const SETTINGS = { nginx: { version: '1.22.1', configRoot: '', extraDirectives: [] as string[] } };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function serverIsStale(): boolean {
  if (!fs.existsSync(BUILT)) return true;
  return fs.statSync(BUILT).mtimeMs < newestMtime(path.join(ROOT, 'server/src'));
}

/** Builds server/out/server.js with the project's build script when it is missing or stale. */
function ensureBuilt(): void {
  if (SERVER !== BUILT) {
    assert.ok(fs.existsSync(SERVER), `NGX502_SERVER_JS=${SERVER} does not exist`);
    return;
  }
  if (!serverIsStale()) return;
  const r = spawnSync(process.execPath, ['client/scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (!serverIsStale()) return;
  // The build script bundles the client too; when only that part fails, bundle the server
  // alone with the same options so the server can still be tested.
  const fallback = spawnSync(
    process.execPath,
    [
      '-e',
      "require('esbuild').buildSync({ entryPoints: ['server/src/server.ts'], outfile: 'server/out/server.js', bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' })",
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  assert.ok(!serverIsStale(), `cannot build ${BUILT}:\n${r.stderr}\n${fallback.stderr}`);
}

function uriOf(file: string): string {
  return URI.file(file).toString();
}

function pos(text: string, needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `"${needle}" is in the text`);
  const o = i + delta;
  const before = text.slice(0, o);
  const line = before.split('\n').length - 1;
  return { line, character: o - (before.lastIndexOf('\n') + 1) };
}

class Client {
  readonly conn: MessageConnection;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: { uri: string; version: number; resolve: (d: Diagnostic[]) => void }[] = [];
  readonly logs: string[] = [];
  readonly configurationRequests: unknown[] = [];
  exited = false;

  constructor(readonly child: ChildProcess) {
    this.conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p);
      this.diagnostics.set(p.uri, list);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w.uri === p.uri && w.version === p.version) {
          this.waiters.splice(i, 1);
          w.resolve(p.diagnostics);
        }
      }
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => {
      this.configurationRequests.push(p);
      return p.items.map((it) => (it.section === 'nginx502' ? SETTINGS : null));
    });
    this.conn.onRequest('workspace/workspaceFolders', () => [{ uri: uriOf(FIXTURES), name: 'lsp' }]);
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    child.stderr!.on('data', (d: Buffer) => this.logs.push(String(d)));
    child.on('exit', () => {
      this.exited = true;
    });
    this.conn.listen();
  }

  /** The diagnostics published for a URI at a document version (already received or awaited). */
  diagnosticsFor(uri: string, version: number): Promise<Diagnostic[]> {
    const got = this.diagnostics.get(uri)?.find((p) => p.version === version);
    if (got) return Promise.resolve(got.diagnostics);
    return new Promise((resolve) => this.waiters.push({ uri, version, resolve }));
  }

  open(file: string, text: string, version = 1): string {
    const uri = uriOf(file);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nginx', version, text } });
    return uri;
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }
}

function diag(list: Diagnostic[], code: string): Diagnostic | undefined {
  return list.find((d) => d.code === code);
}

function hoverText(h: Hover | null): string {
  assert.ok(h, 'a hover');
  const c = h.contents as MarkupContent;
  return typeof c === 'string' ? c : c.value;
}

function labels(r: CompletionItem[] | CompletionList | null): string[] {
  const items = Array.isArray(r) ? r : r?.items ?? [];
  return items.map((i) => i.label);
}

let client: Client;

before(async () => {
  ensureBuilt();
  const child = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  client = new Client(child);
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`the server exited (${signal ?? code}) before answering initialize:\n${client.logs.join('')}`))),
  );
  const init = await Promise.race([died, client.request<{ capabilities: Record<string, unknown> }>('initialize', {
    processId: process.pid,
    rootUri: uriOf(FIXTURES),
    workspaceFolders: [{ uri: uriOf(FIXTURES), name: 'lsp' }],
    capabilities: {
      workspace: { configuration: true, workspaceFolders: true },
      textDocument: {
        hover: { contentFormat: ['markdown', 'plaintext'] },
        completion: { completionItem: { snippetSupport: true } },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        publishDiagnostics: { versionSupport: true },
      },
    },
  })]);
  died.catch(() => {});
  for (const cap of ['hoverProvider', 'completionProvider', 'documentSymbolProvider', 'definitionProvider', 'foldingRangeProvider', 'documentFormattingProvider']) {
    assert.ok(init.capabilities[cap], `server announces ${cap}`);
  }
  await client.conn.sendNotification('initialized', {});
});

after(async () => {
  if (!client) return;
  if (!client.exited) {
    const exited = new Promise<void>((resolve) => client.child.once('exit', () => resolve()));
    try {
      await client.request('shutdown', null);
      await client.conn.sendNotification('exit');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => client.child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
  client.conn.dispose();
});

const BROKEN = `events {
    worker_connections 64;
}
http {
    server {
        listen 8081;
        location / {
            proxy_passs http://127.0.0.1:9000;
            server {
            }
            root /var/www
        }
    }
}
`;

describe('diagnostics', () => {
  const file = path.join(VIRTUAL, 'broken/nginx.conf');
  let uri: string;

  test('didOpen publishes the errors of a broken config, with their ranges', async () => {
    uri = client.open(file, BROKEN, 1);
    const list = await client.diagnosticsFor(uri, 1);
    const unknown = diag(list, 'unknown-directive');
    assert.ok(unknown, `unknown-directive in ${JSON.stringify(list)}`);
    assert.deepEqual(unknown.range, { start: pos(BROKEN, 'proxy_passs'), end: pos(BROKEN, 'proxy_passs', 'proxy_passs'.length) });
    assert.equal(unknown.severity, 1);
    assert.equal(unknown.source, 'nginx502');
    const misplaced = diag(list, 'not-allowed-here');
    assert.ok(misplaced, 'server inside location is reported');
    assert.deepEqual(misplaced.range.start, pos(BROKEN, 'server {\n            }'));
    assert.match(String(misplaced.message), /not allowed here/);
    const semi = diag(list, 'missing-semicolon');
    assert.ok(semi, 'the missing ";" is reported');
    assert.deepEqual(semi.range.start, pos(BROKEN, 'root /var/www'));
    assert.ok(client.configurationRequests.length > 0, 'the server pulled its settings with workspace/configuration');
  });

  test('incremental didChange updates the diagnostics; fixing an error clears it', async () => {
    const at = pos(BROKEN, 'proxy_passs', 'proxy_pass'.length);
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' }],
    });
    const v2 = await client.diagnosticsFor(uri, 2);
    assert.equal(diag(v2, 'unknown-directive'), undefined, `fixed typo is no longer reported: ${JSON.stringify(v2)}`);
    assert.ok(diag(v2, 'not-allowed-here'), 'the other errors stay');
    assert.ok(diag(v2, 'missing-semicolon'));

    // Add the ";" (after the edit above, positions are those of the new text).
    const text2 = BROKEN.replace('proxy_passs', 'proxy_pass');
    const end = pos(text2, 'root /var/www', 'root /var/www'.length);
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: end, end }, text: ';' }],
    });
    const v3 = await client.diagnosticsFor(uri, 3);
    assert.equal(diag(v3, 'missing-semicolon'), undefined, `added ";" clears it: ${JSON.stringify(v3)}`);

    // Remove the misplaced server block: no errors remain.
    const text3 = text2.replace('root /var/www', 'root /var/www;');
    const s = pos(text3, '            server {');
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 4 },
      contentChanges: [{ range: { start: s, end: { line: s.line + 2, character: 0 } }, text: '' }],
    });
    const v4 = await client.diagnosticsFor(uri, 4);
    assert.deepEqual(v4.filter((d) => d.severity === 1), [], 'a fixed config has no errors');
  });

  test('the settings reach the checks (nginx version from workspace/configuration)', async () => {
    // `http2 on;` appeared in nginx 1.25.1; the client configured 1.22.1.
    const text = 'events {}\nhttp {\n    server {\n        http2 on;\n    }\n}\n';
    const u = client.open(path.join(VIRTUAL, 'version/nginx.conf'), text);
    const list = await client.diagnosticsFor(u, 1);
    const d = diag(list, 'unknown-directive');
    assert.ok(d, `http2 is unknown to 1.22.1: ${JSON.stringify(list)}`);
    assert.match(String(d.message), /1\.25\.1/);
  });
});

describe('features on the fixture tree (nginx.conf includes conf.d/*.conf)', () => {
  const main = path.join(FIXTURES, 'nginx.conf');
  const text = fs.readFileSync(main, 'utf8');
  let uri: string;

  before(async () => {
    uri = client.open(main, text);
    const list = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(list.filter((d) => d.severity === 1), [], 'the fixture tree is valid');
  });

  test('hover on a directive shows its syntax, context, module and nginx.org link', async () => {
    const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(text, 'proxy_pass http') });
    const md = hoverText(h);
    assert.match(md, /ngx_http_proxy_module/);
    assert.match(md, /\*\*Syntax:\*\*/);
    assert.match(md, /location/);
    assert.match(md, /https:\/\/nginx\.org\/en\/docs\/http\/ngx_http_proxy_module\.html#proxy_pass/);
    assert.deepEqual(h!.range, { start: pos(text, 'proxy_pass http'), end: pos(text, 'proxy_pass http', 'proxy_pass'.length) });
  });

  test('hover picks the entry of the context: listen in an http server', async () => {
    const md = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(text, 'listen 8080', 2) }));
    assert.match(md, /ngx_http_core_module/);
  });

  test('hover on a variable: built-in, prefix family, user variable from an included map', async () => {
    const builtin = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(text, '$uri @fallback', 2) }));
    assert.match(builtin, /\$uri/);
    assert.match(builtin, /ngx_http_core_module/);
    const user = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(text, '$connection_upgrade', 3) }));
    assert.match(user, /set by `map`/i);
    assert.match(user, /maps\.conf line 1/);
    const nothing = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(text, '8080', 1) });
    assert.equal(nothing, null);
  });

  test('definition of an upstream name leads to the included file that defines it', async () => {
    const locs = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(text, 'backend;', 3) });
    assert.equal(locs.length, 1);
    assert.equal(locs[0].uri, uriOf(path.join(FIXTURES, 'conf.d/upstreams.conf')));
    assert.deepEqual(locs[0].range, { start: { line: 0, character: 9 }, end: { line: 0, character: 16 } });
  });

  test('definition of @name, of an include and of a $variable', async () => {
    const named = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(text, '@fallback;', 3) });
    assert.deepEqual(named.map((l) => [l.uri, l.range.start.line]), [[uri, pos(text, 'location @fallback').line]]);
    const inc = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(text, 'conf.d/*.conf', 2) });
    assert.deepEqual(inc.map((l) => l.uri).sort(), [uriOf(path.join(FIXTURES, 'conf.d/maps.conf')), uriOf(path.join(FIXTURES, 'conf.d/upstreams.conf'))]);
    const v = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(text, '$connection_upgrade', 4) });
    assert.deepEqual(v.map((l) => [l.uri, l.range.start.line, l.range.start.character]), [[uriOf(path.join(FIXTURES, 'conf.d/maps.conf')), 0, 18]]);
  });

  test('document symbols are hierarchical', async () => {
    const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(syms.map((s) => s.name), ['events', 'http']);
    const http = syms[1];
    assert.deepEqual(http.children!.map((s) => s.name), ['include conf.d/*.conf', 'example.test www.example.test']);
    assert.equal(http.children![0].kind, 1 /* SymbolKind.File */);
    const server = http.children![1];
    assert.deepEqual(server.children!.map((s) => s.name), ['/', '/api/', '@fallback']);
    assert.ok(server.range.start.line <= server.selectionRange.start.line && server.selectionRange.end.line <= server.range.end.line);
  });

  test('folding ranges cover blocks up to the line before "}" and comment runs', async () => {
    const ranges = await client.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    const httpLine = pos(text, 'http {').line;
    const lines = text.split('\n');
    const httpClose = lines.findIndex((l, i) => i > httpLine && l === '}');
    assert.ok(ranges.some((r) => r.startLine === httpLine && r.endLine === httpClose - 1), JSON.stringify(ranges));
    const loc = pos(text, 'location /api/').line;
    assert.ok(ranges.some((r) => r.startLine === loc && r.endLine === loc + 1));
  });
});

describe('completion', () => {
  const text = `events {
}
http {
    upstream app_backend {
        server 127.0.0.1:9000;
    }
    server {
        set $site_root /srv;

        location / {

            prox
        }
        location @down {
            return 503;
        }
        location /x {
            proxy_pass http://
        }
        location /y {
            root /srv
            try_files $uri @
        }
        location /z {
            gzip 
        }
        location /v {
            return 200 "$site_
`;
  let uri: string;
  before(async () => {
    uri = client.open(path.join(VIRTUAL, 'completion/nginx.conf'), text);
    await client.diagnosticsFor(uri, 1);
  });
  const complete = (position: { line: number; character: number }) =>
    client.request<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument: { uri }, position });

  test('inside server: listen is offered, proxy_pass is not', async () => {
    const got = labels(await complete({ line: pos(text, 'set $site_root').line + 1, character: 8 }));
    assert.ok(got.includes('listen'), 'listen in server');
    assert.ok(got.includes('location'));
    assert.ok(!got.includes('proxy_pass'), 'proxy_pass is not allowed in server');
    assert.ok(!got.includes('worker_connections'));
  });

  test('inside location (empty line, and while typing without ";"): proxy_pass, not listen', async () => {
    const empty = labels(await complete({ line: pos(text, 'location / {').line + 1, character: 12 }));
    assert.ok(empty.includes('proxy_pass'));
    assert.ok(!empty.includes('listen'), 'listen is not allowed in location');
    const typing = await complete(pos(text, 'prox', 4));
    const items = Array.isArray(typing) ? typing : typing!.items;
    const pp = items.find((i) => i.label === 'proxy_pass');
    assert.ok(pp, 'proxy_pass while typing "prox"');
    assert.match(String(pp.detail), /^proxy_pass URL;$/);
    assert.ok(pp.documentation, 'with documentation');
    assert.ok(!items.some((i) => i.label === 'listen'));
  });

  test('right after "{": the block\'s directives; block directives insert a snippet', async () => {
    const r = await complete(pos(text, 'location / {', 'location / {'.length));
    const items = Array.isArray(r) ? r : r!.items;
    const loc = items.find((i) => i.label === 'location');
    assert.ok(loc, 'nested location');
    assert.equal(loc.insertTextFormat, 2);
    assert.equal((loc.textEdit as TextEdit).newText, 'location $1 {\n\t$0\n}');
  });

  test('upstream names after proxy_pass http://, named locations, variables, on/off', async () => {
    assert.deepEqual(labels(await complete(pos(text, 'proxy_pass http://', 'proxy_pass http://'.length))), ['app_backend']);
    assert.deepEqual(labels(await complete(pos(text, '$uri @', '$uri @'.length))), ['@down']);
    const vars = labels(await complete(pos(text, '"$site_', '"$site_'.length)));
    assert.ok(vars.includes('$site_root'), 'user variable from set');
    assert.ok(vars.includes('$request_uri'), 'built-in variable');
    assert.deepEqual(labels(await complete(pos(text, 'gzip ', 'gzip '.length))), ['on', 'off']);
  });

  test('nothing at statement start inside a map body', async () => {
    const src = 'events {}\nhttp {\n    map $uri $x {\n        \n    }\n}\n';
    const u = client.open(path.join(VIRTUAL, 'completion-map/nginx.conf'), src);
    const r = await client.request<CompletionItem[] | null>('textDocument/completion', { textDocument: { uri: u }, position: { line: 3, character: 8 } });
    assert.deepEqual(labels(r), []);
  });
});

describe('formatting', () => {
  const messy = `# top
events{worker_connections 64;}
http {
  server { listen 8080;   server_name  a.test;   # names
        location / {
   return 200 "x  y";   # reply
      }



      log_format main '$remote_addr'
                      '$status';
  }
}
`;
  const expected = `# top
events {
    worker_connections 64;
}
http {
    server {
        listen 8080;
        server_name a.test; # names
        location / {
            return 200 "x  y"; # reply
        }

        log_format main '$remote_addr'
            '$status';
    }
}
`;

  test('formats a document; formatting the result again gives no edit', async () => {
    const uri = client.open(path.join(VIRTUAL, 'format/nginx.conf'), messy);
    const edits = await client.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    assert.equal(edits.length, 1);
    assert.deepEqual(edits[0].range.start, { line: 0, character: 0 });
    assert.equal(edits[0].newText, expected);
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: edits[0].range, text: edits[0].newText }],
    });
    await client.diagnosticsFor(uri, 2);
    const again = await client.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    assert.deepEqual(again, []);
    const tabs = await client.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: false } });
    assert.equal(tabs[0].newText, expected.replace(/^((?: {4})+)/gm, (s) => '\t'.repeat(s.length / 4)));
  });

  test('refuses to format a document with syntax errors', async () => {
    const uri = client.open(path.join(VIRTUAL, 'format-broken/nginx.conf'), 'http {\n  server {\n listen 80\n  }\n');
    const edits = await client.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    assert.deepEqual(edits, []);
  });
});

describe('bad input', () => {
  test('binary-ish and deeply nested documents: the server answers and stays alive', async () => {
    let binary = '';
    for (let i = 0; i < 20000; i++) binary += String.fromCharCode((i * 7919) % 256);
    const deep = 'http {\n' + 'location / {\n'.repeat(5000) + '}\n'.repeat(2000) + '"unclosed \\';
    const long = 'x'.repeat(300000) + ' {' + '{'.repeat(1000);
    for (const [name, text] of [['binary', binary], ['deep', deep], ['long', long]] as const) {
      const uri = client.open(path.join(VIRTUAL, `bad/${name}.conf`), text);
      await client.diagnosticsFor(uri, 1);
      const position = { line: 3, character: 5 };
      const answers = await Promise.all([
        client.request('textDocument/hover', { textDocument: { uri }, position }),
        client.request('textDocument/completion', { textDocument: { uri }, position }),
        client.request('textDocument/documentSymbol', { textDocument: { uri } }),
        client.request('textDocument/definition', { textDocument: { uri }, position }),
        client.request('textDocument/foldingRange', { textDocument: { uri } }),
        client.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } }),
      ]);
      assert.equal(answers.length, 6, name);
      assert.deepEqual(answers[5], [], `${name}: broken input is not formatted`);
    }
    assert.equal(client.exited, false, 'the server is alive');
    // And still works on a normal document.
    const okUri = client.open(path.join(VIRTUAL, 'alive/nginx.conf'), 'events {}\nhttp {\n    gzip on;\n}\n');
    await client.diagnosticsFor(okUri, 1);
    const md = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: okUri }, position: { line: 2, character: 5 } }));
    assert.match(md, /ngx_http_gzip_module/);
    assert.ok(!client.logs.some((l) => / failed: /.test(l)), `no handler failed:\n${client.logs.filter((l) => / failed: /.test(l)).join('\n')}`);
  });
});
