// PHP-FPM files through the real command line: found in the given folders, added with --fpm,
// checked with their includes; bad input (an unreadable include, a binary pool file, absurd
// values, CRLF and a BOM) gets a clear message and no crash.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'client', 'out', 'cli.js');
let dir: string;

interface Finding {
  file: string;
  line: number;
  severity: string;
  code: string;
  message: string;
}

function check(args: string[], user?: string): { status: number | null; findings: Finding[]; stderr: string } {
  const cmd = user ? 'runuser' : process.execPath;
  const argv = user ? ['-u', user, '--', process.execPath, CLI, 'check', '--format', 'json', ...args] : [CLI, 'check', '--format', 'json', ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  let findings: Finding[] = [];
  try {
    findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  } catch {
    /* not JSON: the caller asserts on status and stderr */
  }
  return { status: r.status, findings, stderr: r.stderr };
}

/** The cross-file rules (issue 3's table) also speak about pools; these tests look at the PHP-FPM checker's own findings. */
const RULES = new Set([
  'fastcgi-socket-mismatch', 'fastcgi-socket-permission', 'fpm-terminate-before-nginx', 'fpm-max-children-low', 'fpm-listen-backlog-low',
  'fpm-listen-allowed-clients', 'fpm-max-requests-unbounded', 'fastcgi-script-filename-missing',
]);
const own = (fs: Finding[]): Finding[] => fs.filter((f) => !RULES.has(f.code) && f.severity !== 'information');

const POOL = '[www]\nuser = www-data\nlisten = /run/php/www.sock\npm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n';

function write(rel: string, text: string | Buffer): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

before(() => {
  if (!fs.existsSync(CLI)) execFileSync(process.execPath, [path.join(ROOT, 'client', 'scripts', 'build.mjs')], { cwd: ROOT });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-fpm-cli-'));
  fs.chmodSync(dir, 0o755);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a folder with php-fpm.conf and pool.d/: pool files are checked, with their includes', () => {
  write('etc/php/fpm/php-fpm.conf', `[global]\npid = /run/php/fpm.pid\ninclude = ${dir}/etc/php/fpm/pool.d/*.conf\n`);
  write('etc/php/fpm/pool.d/www.conf', POOL + 'pm.start_servers = 4\n');
  write('etc/php/fpm/pool.d/api.conf', '[api]\nuser = www-data\nlisten = /run/php/www.sock\npm = static\npm.max_children = 2\n# old comment\n');
  const r = check([path.join(dir, 'etc/php/fpm')]);
  assert.equal(r.status, 1, r.stderr);
  const codes = own(r.findings).map((f) => `${path.basename(f.file)}:${f.line}:${f.code}`).sort();
  // pool.d/*.conf is read in glob order: api.conf first, so www.conf's listen is the duplicate.
  assert.deepEqual(codes, ['api.conf:6:fpm-hash-comment', 'www.conf:3:fpm-listen-duplicate', 'www.conf:8:fpm-pm-constraints']);
  const pm = r.findings.find((f) => f.code === 'fpm-pm-constraints')!;
  assert.match(pm.message, /pm\.start_servers\(4\) must not be less than pm\.min_spare_servers\(1\) and not greater than pm\.max_spare_servers\(3\)/);
});

test('--fpm adds pool files outside the given paths (repeatable, files or folders)', () => {
  write('nginx/nginx.conf', 'events {}\nhttp { server { listen 80; } }\n');
  const single = write('elsewhere/site.conf', '[site]\nuser = www-data\nlisten = 127.0.0.1:9001\npm = static\npm.max_children = 0\n');
  write('elsewhere2/pool.d/a.conf', '[a]\nuser = www-data\nlisten = 127.0.0.1:9002\npm = ondemand\npm.max_children = 2\npm.process_idle_timeout = 0\n');
  const r = check([path.join(dir, 'nginx'), '--fpm', single, '--fpm', path.join(dir, 'elsewhere2')]);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map((f) => `${path.basename(f.file)}:${f.line}:${f.code}`).sort(), ['a.conf:6:fpm-pm-constraints', 'site.conf:5:fpm-pm-constraints']);
  const bad = check([path.join(dir, 'nginx'), '--fpm', path.join(dir, 'no/such/file.conf')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no such file or folder/);
});

test('bad input: binary pool file, absurd values, CRLF, BOM, an include cycle', () => {
  const bin = write('bad/pool.d/binary.conf', Buffer.from([0x5b, 0x77, 0x00, 0x01, 0x02, 0x5d]));
  const absurd = write('bad/pool.d/absurd.conf', '[absurd]\nuser = www-data\nlisten = /run/php/absurd.sock\npm = static\npm.max_children = 99999999999\nrequest_terminate_timeout = ' + '9'.repeat(5000) + 'd\n');
  const crlf = write('bad/pool.d/crlf.conf', ('\uFEFF' + POOL.replace('[www]', '[crlf]').replace('www.sock', 'crlf.sock') + 'bogus = 1\n').replace(/\n/g, '\r\n'));
  const cycle = write('bad/cycle/php-fpm.conf', `[global]\ninclude = ${dir}/bad/cycle/php-fpm.conf\n` + POOL);
  const r = check(['--fpm', path.dirname(bin), '--fpm', cycle]);
  assert.equal(r.status, 1, r.stderr);
  const by = (f: string): Finding[] => own(r.findings).filter((x) => x.file === f);
  assert.match(by(bin)[0]?.message ?? '', /binary/);
  assert.deepEqual(by(absurd).map((f) => `${f.line}:${f.severity}:${f.code}`).sort(), ['5:warning:fpm-absurd-value', '5:warning:fpm-int-overflow', '6:warning:fpm-int-overflow']);
  assert.match(by(absurd).find((f) => f.code === 'fpm-int-overflow')!.message, /reads pm\.max_children as 1215752191/);
  assert.deepEqual(by(crlf).map((f) => `${f.line}:${f.code}`), ['8:fpm-unknown-key']);
  assert.deepEqual(by(cycle).map((f) => `${f.line}:${f.code}`), ['2:fpm-include-cycle']);
});

test('an include the checking user cannot read', { skip: process.getuid?.() !== 0 ? 'needs root to drop to nobody' : false }, () => {
  const secret = write('perm/secret.conf', POOL);
  fs.chmodSync(secret, 0o600);
  const main = write('perm/php-fpm.conf', `[global]\ninclude = ${secret}\n`);
  fs.chmodSync(path.dirname(main), 0o755);
  fs.chmodSync(main, 0o644);
  fs.chmodSync(path.join(dir, 'perm'), 0o755);
  const r = check(['--fpm', main], 'nobody');
  const f = r.findings.find((x) => x.code === 'fpm-include-unreadable');
  assert.ok(f, JSON.stringify(r.findings) + r.stderr);
  assert.equal(f.line, 2);
  assert.match(f.message, /Permission denied/);
});
