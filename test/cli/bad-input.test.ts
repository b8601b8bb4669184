// Bad input through the real command line: binary files, a 50 MB file, 10,000-deep nesting,
// an include cycle, an include glob matching 10,000 files, unreadable files, non-UTF-8 bytes,
// a FIFO. Each gets a clear message, nothing crashes or hangs, and the good file next to them
// is still checked.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'client', 'out', 'cli.js');
let dir: string;

interface Finding { file: string; line: number; severity: string; code: string; message: string }

function check(args: string[], opts: { user?: string } = {}): { status: number | null; findings: Finding[]; stderr: string; ms: number } {
  const t0 = Date.now();
  const cmd = opts.user ? 'runuser' : process.execPath;
  const argv = opts.user ? ['-u', opts.user, '--', process.execPath, CLI, 'check', '--format', 'json', ...args] : [CLI, 'check', '--format', 'json', ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const ms = Date.now() - t0;
  let findings: Finding[] = [];
  try {
    findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  } catch {
    /* stdout not JSON: asserted by the caller through status/stderr */
  }
  return { status: r.status, findings, stderr: r.stderr, ms };
}

before(() => {
  if (!fs.existsSync(CLI)) execFileSync(process.execPath, [path.join(ROOT, 'client', 'scripts', 'build.mjs')], { cwd: ROOT });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-bad-'));
  fs.chmodSync(dir, 0o755);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A good site with one known finding, placed next to each bad input. */
function goodSite(d: string): string {
  const f = path.join(d, 'good.conf');
  fs.writeFileSync(f, 'server {\n    listen 80;\n    proxy_passs http://x;\n}\n');
  return f;
}

function expectGoodChecked(findings: Finding[], good: string): void {
  assert.ok(findings.some((f) => f.file === good && f.code === 'unknown-directive'), 'the good file next to the bad input is still checked');
}

test('a binary file is reported, not parsed', () => {
  const d = fs.mkdtempSync(path.join(dir, 'bin-'));
  const good = goodSite(d);
  const bin = path.join(d, 'blob.conf');
  fs.writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0, 0, 255, 254]));
  const r = check([d]);
  assert.equal(r.status, 1);
  const f = r.findings.find((x) => x.file === bin);
  assert.ok(f && /binary/.test(f.message), `binary file reported: ${JSON.stringify(r.findings)}`);
  expectGoodChecked(r.findings, good);
});

test('a 50 MB file is refused with its size, quickly', () => {
  const d = fs.mkdtempSync(path.join(dir, 'big-'));
  const good = goodSite(d);
  const big = path.join(d, 'huge.conf');
  fs.writeFileSync(big, 'add_header X-Pad "' + 'x'.repeat(50 * 1024 * 1024) + '";\n');
  const r = check([d]);
  const f = r.findings.find((x) => x.file === big);
  assert.ok(f && /MB/.test(f.message), 'size reported');
  expectGoodChecked(r.findings, good);
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
});

test('10,000-deep nesting: a clear error, no stack overflow', () => {
  const d = fs.mkdtempSync(path.join(dir, 'deep-'));
  const good = goodSite(d);
  const deep = path.join(d, 'deep.conf');
  fs.writeFileSync(deep, 'location / {\n'.repeat(10000) + '}\n'.repeat(10000));
  const r = check([d]);
  assert.notEqual(r.status, null, 'finished');
  assert.ok(r.findings.some((x) => x.file === deep && x.code === 'nesting-too-deep'), 'nesting reported');
  assert.doesNotMatch(r.stderr, /RangeError|Maximum call stack/);
  expectGoodChecked(r.findings, good);
});

test('an include cycle is reported at the include that closes it', () => {
  const d = fs.mkdtempSync(path.join(dir, 'cycle-'));
  fs.writeFileSync(path.join(d, 'nginx.conf'), 'events {}\nhttp {\n    include a.conf;\n}\n');
  fs.writeFileSync(path.join(d, 'a.conf'), 'include b.conf;\n');
  fs.writeFileSync(path.join(d, 'b.conf'), 'include a.conf;\nserver_tokens off;\n');
  const r = check([d]);
  assert.ok(r.findings.some((x) => x.code === 'include-cycle' && x.file === path.join(d, 'b.conf') && x.line === 1), JSON.stringify(r.findings));
});

test('an include glob matching 10,000 files is checked, without hanging', () => {
  const d = fs.mkdtempSync(path.join(dir, 'glob-'));
  fs.mkdirSync(path.join(d, 'sites'));
  fs.writeFileSync(path.join(d, 'nginx.conf'), 'events {}\nhttp {\n    include sites/*.conf;\n}\n');
  for (let i = 0; i < 10000; i++) fs.writeFileSync(path.join(d, 'sites', `s${i}.conf`), `server { listen ${10000 + i}; server_name s${i}.test; }\n`);
  fs.writeFileSync(path.join(d, 'sites', 's5000.conf'), 'server { listen 80; proxy_passs http://x; }\n');
  const r = check([path.join(d, 'nginx.conf')]);
  assert.equal(r.status, 1);
  assert.ok(r.findings.some((x) => x.file === path.join(d, 'sites', 's5000.conf') && x.code === 'unknown-directive'));
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
});

test('an unreadable file is reported and the rest is checked', { skip: process.getuid?.() === 0 && !fs.existsSync('/usr/sbin/runuser') ? 'root without runuser' : false }, () => {
  const d = fs.mkdtempSync(path.join(dir, 'perm-'));
  fs.chmodSync(d, 0o755);
  const good = goodSite(d);
  fs.chmodSync(good, 0o644);
  const secret = path.join(d, 'secret.conf');
  fs.writeFileSync(secret, 'server_tokens off;\n');
  fs.chmodSync(secret, 0o000);
  // As root every file is readable: run the check as an unprivileged user.
  const r = check([d], process.getuid?.() === 0 ? { user: 'nobody' } : {});
  const f = r.findings.find((x) => x.file === secret);
  assert.ok(f && /Permission denied|cannot read/.test(f.message), `unreadable file reported: ${r.stderr} ${JSON.stringify(r.findings)}`);
  expectGoodChecked(r.findings, good);
});

test('non-UTF-8 bytes are read (as Latin-1) with a note, and checked', () => {
  const d = fs.mkdtempSync(path.join(dir, 'latin-'));
  const f = path.join(d, 'latin1.conf');
  fs.writeFileSync(f, Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\nserver {\n    proxy_passs x;\n}\n')]));
  const r = check([f]);
  assert.ok(r.findings.some((x) => x.file === f && x.code === 'not-utf8'));
  assert.ok(r.findings.some((x) => x.file === f && x.code === 'unknown-directive' && x.line === 3));
});

test('an include of a FIFO is not read (it would block forever)', () => {
  const d = fs.mkdtempSync(path.join(dir, 'fifo-'));
  execFileSync('mkfifo', [path.join(d, 'pipe.conf')]);
  fs.writeFileSync(path.join(d, 'nginx.conf'), 'events {}\nhttp {\n    include pipe.conf;\n}\n');
  const r = check([path.join(d, 'nginx.conf')]);
  assert.notEqual(r.status, null);
  assert.ok(r.findings.some((x) => x.file === path.join(d, 'pipe.conf') && /not a regular file/.test(x.message)), JSON.stringify(r.findings));
});

test('usage and I/O errors exit 2 with a clear message', () => {
  const missing = check([path.join(dir, 'does-not-exist')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file or folder/);
  const bad = spawnSync(process.execPath, [CLI, 'check', '--format', 'yaml'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be text, json or sarif/);
  const unknown = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command/);
});
