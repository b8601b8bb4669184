// The formatter against real configs and real nginx: for every main config of the corpus that
// nginx accepts, every file of its tree is formatted (in a temporary copy), formatting again
// changes nothing, every comment is kept, and `nginx -T` reads the same tokens before and after.
// Every other nginx file of the corpus is formatted too (idempotence, comments, our lexer's
// token stream), also where nginx itself cannot run it.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import type { FormattingOptions } from 'vscode-languageserver';
import type { Node } from '../../server/src/nginx/ast';
import { Lexer } from '../../server/src/nginx/lexer';
import { parse } from '../../server/src/nginx/parser';
import { NginxService } from '../../server/src/service';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { formatDocument } from '../../server/src/features/format';
import { NGINX } from './nginx';

const CORPUS = '/work/shared/corpus';
const MANIFEST = path.join(CORPUS, 'MANIFEST.tsv');
const OPTIONS: FormattingOptions = { tabSize: 4, insertSpaces: true };

interface Row {
  path: string;
  kind: string;
  nginxT: string;
}

function manifest(): Row[] {
  if (!fs.existsSync(MANIFEST)) return [];
  return fs
    .readFileSync(MANIFEST, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const c = l.split('\t');
      return { path: c[0], kind: c[1], nginxT: c[3] ?? '' };
    });
}

/** What nginx reads: the token stream of a config text, comments dropped. */
function tokens(text: string): string[] {
  const out: string[] = [];
  const lx = new Lexer(text, () => {});
  for (;;) {
    const t = lx.next();
    if (t.type === 'eof') return out;
    if (t.type === 'comment') continue;
    out.push(t.type === 'word' ? `w ${t.word.raw}` : t.type);
  }
}

/** Every `#` comment the parser sees, in order (statement comments and comments between arguments). */
function comments(text: string): string[] {
  const out: { offset: number; text: string }[] = [];
  const rec = (nodes: readonly Node[]): void => {
    for (const n of nodes) {
      if (n.kind === 'comment') out.push({ offset: n.span.start.offset, text: n.text.trimEnd() });
      else {
        for (const c of n.innerComments ?? []) out.push({ offset: c.span.start.offset, text: c.text.trimEnd() });
        if (n.block) rec(n.block.children);
      }
    }
  };
  rec(parse(text).nodes);
  return out.sort((a, b) => a.offset - b.offset).map((c) => c.text);
}

function applyEdits(text: string, edits: { newText: string }[]): string {
  // formatDocument returns one whole-document edit.
  return edits.length === 0 ? text : edits[0].newText;
}

interface FormatOutcome {
  formatted?: string;
  /** Set when the formatter refused (syntax errors) or the model could not be built. */
  refused?: string;
}

/** Formats one file through the language service, as the server does. */
function formatFile(service: NginxService, file: string, text: string): FormatOutcome {
  const uri = URI.file(file).toString();
  service.open(uri, text, 1);
  try {
    const m = service.model(uri, DEFAULT_SETTINGS);
    if (!m) return { refused: 'no model (unreadable or binary)' };
    if (m.parse.problems.some((p) => p.severity === 'error')) {
      assert.deepEqual(formatDocument(m, OPTIONS), [], `${file}: a document with syntax errors must not be formatted`);
      return { refused: m.parse.problems.find((p) => p.severity === 'error')!.message };
    }
    const formatted = applyEdits(text, formatDocument(m, OPTIONS));
    service.open(uri, formatted, 2);
    const m2 = service.model(uri, DEFAULT_SETTINGS);
    assert.ok(m2, `${file}: formatted text has a model`);
    assert.deepEqual(m2.parse.problems.filter((p) => p.severity === 'error').map((p) => p.message), [], `${file}: formatted text parses`);
    const again = formatDocument(m2, OPTIONS);
    if (again.length > 0) {
      const second = again[0].newText;
      const a = formatted.split('\n');
      const b = second.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      assert.fail(`${file}: formatting is not idempotent; first difference at line ${i + 1}:\n  ${JSON.stringify(a[i])}\n  ${JSON.stringify(b[i])}`);
    }
    return { formatted };
  } finally {
    service.close(uri);
  }
}

/**
 * `nginx -T` of a copy. `asNobody`: as an unprivileged user, where nginx ignores `user` (a
 * config naming a user or group this machine lacks) and the pid file goes into the copy
 * (`-g` directives are not part of the dump).
 */
function nginxDump(dir: string, asNobody = false): { ok: boolean; stdout: string; stderr: string } {
  // stdout and stderr go to files: through a pipe (a socket in Node) nginx cannot open
  // "/dev/stdout" or "/dev/stderr", which some configs log to.
  const base = path.join(tmpRoot, `dump-${process.pid}-${dumps++}`);
  const out = fs.openSync(base + '.out', 'w');
  const err = fs.openSync(base + '.err', 'w');
  const log = asNobody ? path.join(dir, '.nginx-test-error.log') : base + '.log';
  try {
    const args = ['-T', '-q', '-p', dir + '/', '-c', path.join(dir, 'nginx.conf'), '-e', log];
    const r = asNobody
      ? spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', NGINX!, ...args, '-g', `pid ${path.join(dir, 'nginx.pid')};`], { stdio: ['ignore', out, err], timeout: 30_000 })
      : spawnSync(NGINX!, args, { stdio: ['ignore', out, err], timeout: 30_000 });
    return { ok: r.status === 0, stdout: fs.readFileSync(base + '.out', 'utf8'), stderr: fs.readFileSync(base + '.err', 'utf8').trim() };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(base + '.out', { force: true });
    fs.rmSync(base + '.err', { force: true });
    fs.rmSync(log, { force: true });
  }
}
let dumps = 0;
const SETPRIV = '/usr/bin/setpriv';

/** Whether the failure is only an unknown `user`/group, which nginx checks only as root. */
function userFailure(stderr: string): boolean {
  return /getpwnam\(|getgrnam\(/.test(stderr) && process.getuid?.() === 0 && fs.existsSync(SETPRIV);
}

/** Hands a copy to `uid` (the corpus is read-only, and so is a plain copy of it). */
function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else if (!e.isSymbolicLink()) {
      fs.chownSync(p, uid, uid);
      fs.chmodSync(p, 0o644);
    }
  }
}

/**
 * The stand-ins the corpus harness used, applied to the temporary copy only: Debian's
 * /etc/nginx files for ones the config expects next to it (mime.types, fastcgi_params of an
 * Alpine image), and Debian's module folder for `load_module modules/...`. Returns what it did.
 */
function standIn(dir: string, stderr: string): string | undefined {
  const open = /open\(\) "([^"]+)" failed \(2:/.exec(stderr);
  if (open && isUnder(open[1], dir)) {
    const rel = path.relative(dir, open[1]);
    const debian = path.join('/etc/nginx', rel);
    if (fs.existsSync(debian) && fs.statSync(debian).isFile() && !fs.existsSync(open[1])) {
      fs.mkdirSync(path.dirname(open[1]), { recursive: true });
      fs.copyFileSync(debian, open[1]);
      return `Debian ${debian} as ${rel}`;
    }
  }
  const dl = /dlopen\(\) "([^"]+)" failed/.exec(stderr);
  if (dl && isUnder(dl[1], dir) && path.relative(dir, dl[1]).startsWith('modules' + path.sep) && !fs.existsSync(path.join(dir, 'modules'))) {
    for (const mods of ['/usr/share/nginx/modules', '/usr/lib/nginx/modules']) {
      if (fs.existsSync(mods)) {
        fs.symlinkSync(mods, path.join(dir, 'modules'));
        return `modules -> ${mods}`;
      }
    }
  }
  return undefined;
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + path.sep);
}

const rows = manifest();
const stats = { treesCompared: 0, treesSkipped: [] as string[], treeFilesFormatted: 0, corpusFiles: 0, corpusFormatted: 0, corpusChanged: 0, refused: [] as string[] };
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-fmt-'));

after(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  console.log(
    `format round trip: ${stats.treesCompared} trees compared by nginx -T (${stats.treeFilesFormatted} files formatted in them)` +
      (stats.treesSkipped.length ? `; skipped: ${stats.treesSkipped.join('; ')}` : ''),
  );
  console.log(
    `format corpus: ${stats.corpusFiles} nginx files, ${stats.corpusFormatted} formatted (${stats.corpusChanged} changed), ${stats.refused.length} refused for syntax errors` +
      (stats.refused.length ? ` (${stats.refused.join('; ')})` : ''),
  );
});

describe('format round trip through nginx -T', { skip: rows.length === 0 ? `no corpus at ${CORPUS}` : undefined }, () => {
  const mains = rows.filter((r) => r.kind === 'nginx-main' && r.nginxT === 'ok');
  const nginxMissing = NGINX === undefined;

  test('the corpus has main configs nginx accepts', () => {
    assert.ok(mains.length > 0);
  });

  for (const row of mains) {
    test(row.path, { skip: nginxMissing ? 'nginx is not installed (/usr/sbin/nginx): nginx -T comparisons are skipped (apt-get install nginx)' : undefined }, (t) => {
      const src = path.dirname(path.join(CORPUS, row.path));
      const dir = path.join(tmpRoot, row.path.replace(/[/\\]/g, '__'));
      fs.cpSync(src, dir, { recursive: true });
      let before = nginxDump(dir);
      const notes: string[] = [];
      for (let i = 0; i < 5 && !before.ok; i++) {
        const note = standIn(dir, before.stderr);
        if (!note) break;
        notes.push(note);
        before = nginxDump(dir);
      }
      let asNobody = false;
      if (!before.ok && userFailure(before.stderr)) {
        fs.chmodSync(tmpRoot, 0o711);
        chownTree(dir, 65534);
        const retry = nginxDump(dir, true);
        if (retry.ok) {
          asNobody = true;
          before = retry;
          notes.push('run as nobody (the configured user does not exist here)');
        }
      }
      if (notes.length > 0) t.diagnostic(`stand-ins: ${notes.join(', ')}`);
      if (!before.ok) {
        // Needs files or users outside its folder (the corpus labels it in a sandbox).
        stats.treesSkipped.push(`${row.path}: ${before.stderr.split('\n')[0].replace(/^.*?\[emerg\] \d+#\d+: /, '')}`);
        return;
      }
      const service = new NginxService();
      const main = path.join(dir, 'nginx.conf');
      const uri = URI.file(main).toString();
      service.open(uri, fs.readFileSync(main, 'utf8'), 1);
      const m = service.model(uri, DEFAULT_SETTINGS);
      service.close(uri);
      assert.ok(m, 'main config has a model');
      const files = [...m.tree.files.keys()].filter((f) => isUnder(f, dir) && fs.statSync(f).isFile());
      assert.ok(files.includes(main));
      for (const file of files) {
        const text = fs.readFileSync(file, 'latin1');
        const utf8 = Buffer.from(text, 'latin1').toString('utf8');
        // Write back in the file's own encoding: UTF-8 when it decodes, bytes as read otherwise.
        const isUtf8 = Buffer.from(utf8, 'utf8').equals(Buffer.from(text, 'latin1'));
        const original = isUtf8 ? utf8 : text;
        const r = formatFile(service, file, original);
        assert.ok(r.formatted !== undefined, `${file}: refused: ${r.refused}`);
        assert.deepEqual(comments(r.formatted), comments(original), `${file}: every comment is kept`);
        fs.writeFileSync(file, r.formatted, isUtf8 ? 'utf8' : 'latin1');
        stats.treeFilesFormatted++;
      }
      const afterDump = nginxDump(dir, asNobody);
      assert.ok(afterDump.ok, `nginx -T fails after formatting: ${afterDump.stderr}`);
      const t0 = tokens(before.stdout);
      const t1 = tokens(afterDump.stdout);
      if (t0.length !== t1.length || t0.some((t, i) => t !== t1[i])) {
        const i = t0.findIndex((t, k) => t !== t1[k]);
        assert.fail(`nginx -T token streams differ at token ${i}: ${JSON.stringify(t0.slice(Math.max(0, i - 3), i + 3))} vs ${JSON.stringify(t1.slice(Math.max(0, i - 3), i + 3))}`);
      }
      assert.ok(t0.length > 0);
      stats.treesCompared++;
    });
  }

  test('some trees were compared by nginx -T', { skip: nginxMissing ? 'nginx is not installed (/usr/sbin/nginx)' : undefined }, () => {
    assert.ok(stats.treesCompared > 0, `no tree could be compared; skipped: ${stats.treesSkipped.join('; ')}`);
  });
});

describe('format every nginx file of the corpus', { skip: rows.length === 0 ? `no corpus at ${CORPUS}` : undefined }, () => {
  const files = rows.filter((r) => r.kind.startsWith('nginx-'));
  const service = new NginxService();
  for (const row of files) {
    test(row.path, () => {
      const file = path.join(CORPUS, row.path);
      const buf = fs.readFileSync(file);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch {
        text = buf.toString('latin1');
      }
      stats.corpusFiles++;
      const r = formatFile(service, file, text);
      if (r.formatted === undefined) {
        stats.refused.push(`${row.path}: ${r.refused}`);
        return;
      }
      stats.corpusFormatted++;
      if (r.formatted !== text) stats.corpusChanged++;
      assert.deepEqual(tokens(r.formatted), tokens(text), 'the token stream is unchanged');
      assert.deepEqual(comments(r.formatted), comments(text), 'every comment is kept');
    });
  }
});
