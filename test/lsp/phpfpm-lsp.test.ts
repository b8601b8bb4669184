// PHP-FPM pool files through the language server's stdio protocol: php-fpm -t's checks as
// diagnostics, hover and completion from the key table, and none of nginx's features.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompletionItem, Hover, TextEdit } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import { ensureBuilt, LspClient } from './client';

let dir: string;
let client: LspClient;
const POOL = '[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = dynamic\npm.max_children = 5\npm.start_servers = 9\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.max_requestz = 500\n\n';

before(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-fpm-lsp-'));
  fs.mkdirSync(path.join(dir, 'pool.d'));
  fs.writeFileSync(path.join(dir, 'pool.d', 'www.conf'), POOL);
  client = new LspClient(dir, { nginx: { version: '', configRoot: '', extraDirectives: [] }, phpfpm: { poolPaths: [], memoryBudgetMB: 1024, workerMB: 64 }, rules: {} });
  await client.initialize();
});

after(async () => {
  await client.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a pool file gets php-fpm -t checks and the pool rules, not nginx errors', async () => {
  const file = path.join(dir, 'pool.d', 'www.conf');
  const diags = await client.open(file, POOL, 'php-fpm');
  const codes = diags.map((d) => d.code);
  assert.ok(codes.includes('fpm-pm-constraints'), JSON.stringify(codes));
  assert.ok(codes.includes('fpm-unknown-key'), 'pm.max_requestz is unknown');
  assert.ok(codes.includes('fpm-max-children-low'));
  assert.ok(!codes.some((c) => c === 'unknown-directive' || c === 'missing-semicolon'), 'no nginx diagnostics on an INI file');
  assert.equal(diags.filter((d) => d.code === 'fpm-pm-constraints').length, 1, 'the rule and php-fpm\'s own check are reported once');
});

test('hover shows the key docs; completion offers pool keys; nginx formatting does not touch it', async () => {
  const uri = URI.file(path.join(dir, 'pool.d', 'www.conf')).toString();
  const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 4 } });
  assert.ok(hover && JSON.stringify(hover.contents).includes('max_children'), JSON.stringify(hover));
  const items = await client.request<CompletionItem[] | { items: CompletionItem[] }>('textDocument/completion', { textDocument: { uri }, position: { line: 10, character: 0 } });
  const labels = (Array.isArray(items) ? items : items.items).map((i) => i.label);
  assert.ok(labels.includes('request_terminate_timeout'), labels.slice(0, 20).join(','));
  const edits = await client.request<TextEdit[] | null>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
  assert.deepEqual(edits ?? [], []);
});
