// Rules through the language server's stdio protocol, data-driven from
// test/fixtures/rules/<rule>/{fires,near-miss}/: the rule fires on the expected line (and not on
// the near miss); every quick fix it offers, applied as the editor would apply the returned
// WorkspaceEdit, leaves a config that real `nginx -t` (and `php-fpm -t`) accept, and after it
// the rule no longer fires.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import { ensureBuilt, LspClient } from './client';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'rules');
const NGINX = ['/usr/sbin/nginx'].find((p) => fs.existsSync(p));
const PHPFPM = fs.existsSync('/usr/sbin') ? fs.readdirSync('/usr/sbin').filter((f) => /^php-fpm[\d.]*$/.test(f)).map((f) => path.join('/usr/sbin', f))[0] : undefined;
const VERSION = NGINX ? /nginx\/(\S+)/.exec(spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr)?.[1] : undefined;
let work: string;

interface Expected {
  file: string;
  rule: string;
  line?: number;
}

function copy(src: string, name: string): string {
  const dst = path.join(work, name);
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

function offsetOf(text: string, p: { line: number; character: number }): number {
  let o = 0;
  for (let l = 0; l < p.line; l++) o = text.indexOf('\n', o) + 1;
  return o + p.character;
}

/** Applies a WorkspaceEdit's changes to the files on disk, as an editor would. */
function apply(changes: Record<string, TextEdit[]>): void {
  for (const [uri, edits] of Object.entries(changes)) {
    const file = URI.parse(uri).fsPath;
    let text = fs.readFileSync(file, 'utf8');
    const sorted = [...edits].sort((a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start));
    for (const e of sorted) text = text.slice(0, offsetOf(text, e.range.start)) + e.newText + text.slice(offsetOf(text, e.range.end));
    fs.writeFileSync(file, text);
  }
}

/** Real nginx -t and php-fpm -t on a fixture folder; returns the failures. */
function realChecks(dir: string): string[] {
  const failures: string[] = [];
  const conf = path.join(dir, 'nginx.conf');
  if (NGINX && fs.existsSync(conf)) {
    const r = spawnSync(NGINX, ['-t', '-q', '-p', dir + '/', '-c', conf, '-e', path.join(dir, 'test-error.log')], { encoding: 'utf8' });
    if (r.status !== 0) failures.push(`nginx -t: ${r.stderr.trim()}`);
  }
  const fpm = path.join(dir, 'php-fpm.conf');
  if (PHPFPM && fs.existsSync(fpm)) {
    const r = spawnSync(PHPFPM, ['-t', '-y', fpm, '-p', dir], { encoding: 'utf8' });
    if (r.status !== 0) failures.push(`php-fpm -t: ${(r.stderr + r.stdout).trim()}`);
  }
  return failures;
}

before(() => {
  ensureBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-rules-'));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

const SETTINGS = { nginx: { version: VERSION ?? '', configRoot: '', extraDirectives: [] }, phpfpm: { poolPaths: [], memoryBudgetMB: 1024, workerMB: 64 }, rules: {} };

for (const rule of fs.readdirSync(FIXTURES).sort()) {
  describe(rule, () => {
    test('fires on the expected line; every quick fix passes the real checks and silences it', { timeout: 60_000 }, async () => {
      const dir = copy(path.join(FIXTURES, rule, 'fires'), `${rule}-fires`);
      const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
      const client = new LspClient(dir, SETTINGS);
      try {
        await client.initialize();
        const file = path.join(dir, exp.file);
        const diags = await client.open(file, undefined, file.endsWith('nginx.conf') ? 'nginx' : 'php-fpm');
        const hit = diags.find((d) => d.code === rule && d.range.start.line + 1 === exp.line);
        assert.ok(hit, `${rule} on line ${exp.line}; got ${JSON.stringify(diags.map((d) => [d.code, d.range.start.line + 1]))}`);
        assert.ok(hit.codeDescription?.href.endsWith(`${rule}.md`), 'links its docs page');
        assert.ok(fs.existsSync(URI.parse(hit.codeDescription!.href).fsPath), 'the docs page exists');
        const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
          textDocument: { uri: URI.file(file).toString() },
          range: hit.range,
          context: { diagnostics: [hit] },
        });
        assert.ok(actions.length > 0, 'offers a quick fix');
        // Each fix on a fresh copy.
        for (const [i, action] of actions.entries()) {
          const fixed = copy(path.join(FIXTURES, rule, 'fires'), `${rule}-fix${i}`);
          const changes = Object.fromEntries(Object.entries(action.edit?.changes ?? {}).map(([u, e]) => [URI.file(URI.parse(u).fsPath.replace(dir, fixed)).toString(), e]));
          apply(changes);
          assert.deepEqual(realChecks(fixed), [], `after "${action.title}"`);
          const c2 = new LspClient(fixed, SETTINGS);
          try {
            await c2.initialize();
            const f2 = path.join(fixed, exp.file);
            const after: Diagnostic[] = await c2.open(f2, undefined, f2.endsWith('nginx.conf') ? 'nginx' : 'php-fpm');
            assert.ok(!after.some((d) => d.code === rule), `"${action.title}" silences ${rule}: ${JSON.stringify(after.filter((d) => d.code === rule).map((d) => d.message))}`);
            assert.ok(!after.some((d) => d.severity === 1), `no errors after "${action.title}": ${JSON.stringify(after.filter((d) => d.severity === 1).map((d) => d.message))}`);
          } finally {
            await c2.stop();
          }
        }
      } finally {
        await client.stop();
      }
    });

    test('does not fire on the near miss', { timeout: 30_000 }, async () => {
      const dir = copy(path.join(FIXTURES, rule, 'near-miss'), `${rule}-near`);
      const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
      assert.deepEqual(realChecks(dir), [], 'the near miss is a valid config');
      const client = new LspClient(dir, SETTINGS);
      try {
        await client.initialize();
        const file = path.join(dir, exp.file);
        const diags = await client.open(file, undefined, file.endsWith('nginx.conf') ? 'nginx' : 'php-fpm');
        assert.ok(!diags.some((d) => d.code === rule), JSON.stringify(diags.map((d) => [d.code, d.message])));
      } finally {
        await client.stop();
      }
    });
  });
}
