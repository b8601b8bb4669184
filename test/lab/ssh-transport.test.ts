// The transports against the real thing: a real OpenSSH sshd on loopback (started by
// ./sshd.ts), real ssh-agent, real ssh-keygen-made keys, known_hosts files cross-checked with
// ssh-keygen; and the local transport through /bin/sh. Every test has a timeout and cleans up.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthFailedError, HostKeyError, RemoteError } from '../../client/src/remote/errors';
import { fingerprint, hashHostName, KnownHosts, parseKnownHosts } from '../../client/src/remote/hostkeys';
import { connectLocal } from '../../client/src/remote/local';
import { connectSsh, type SshOptions, type SshTransport } from '../../client/src/remote/ssh';
import { loadSshConfig, parseTarget, resolveHost } from '../../client/src/remote/sshconfig';
import { shq, type Transport } from '../../client/src/remote/transport';
import { descendants, fingerprintOf, freePort, keygen, sshdSkipReason, startAgent, startSshd, tempKnownHosts, tempUser, type Sshd } from './sshd';

const skip = sshdSkipReason() ?? false;
const T = { timeout: 30_000 };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-ssh-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Polls `check` until it returns true (or fails after `ms`). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Command lines of the processes under sshd (its sessions and what they run). */
function processesUnder(pid: number): string[] {
  return descendants(pid).map((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      return '';
    }
  });
}

/** The pid holding the TCP socket bound to 127.0.0.1:port (from /proc/net/tcp and /proc/PID/fd). */
function pidOfLocalPort(port: number): number | undefined {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const row = fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === local);
  if (!row) return undefined;
  const link = `socket:[${row[9]}]`;
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readdirSync(`/proc/${pid}/fd`).some((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link)) return Number(pid);
    } catch {
      // Gone, or not ours to look at.
    }
  }
  return undefined;
}

/** Options that use only what the test sets up (no ~/.ssh, no agent of the user running the tests). */
function isolated(s: Sshd, extra: Partial<SshOptions> = {}): SshOptions {
  return {
    target: `${s.user}@127.0.0.1:${s.port}`,
    identityFiles: [s.clientKey.path],
    knownHostsFile: tempKnownHosts(s.knownHostsLines(), fs.mkdtempSync(path.join(tmp, 'kh-'))),
    agent: null,
    config: { userConfig: null, systemConfig: null, home: tmp },
    connectTimeoutMs: 10_000,
    ...extra,
  };
}

async function expectRemoteError(p: Promise<unknown>, kind: RemoteError['kind']): Promise<RemoteError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RemoteError, `expected a RemoteError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

/** The same basic behaviour for every transport. */
function basicTests(name: string, get: () => Transport, processes: () => string[]) {
  test(`${name}: stdout, stderr, exit code, stdin, binary output`, T, async () => {
    const t = get();
    const r = await t.run('echo out; echo err >&2; exit 3', { timeoutMs: 10_000, maxBytes: 1000 });
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
    assert.equal(r.timedOut, false);
    assert.equal(r.truncated, false);
    const cat = await t.run('tr a-z A-Z', { timeoutMs: 10_000, maxBytes: 1000, stdin: 'hello\n' });
    assert.equal(cat.stdout, 'HELLO\n');
    assert.equal(cat.code, 0);
    const bin = await t.run("printf '\\000\\377\\001'", { timeoutMs: 10_000, maxBytes: 1000, encoding: 'buffer' });
    assert.deepEqual([...bin.stdout], [0, 255, 1]);
    // stdin is empty when none is given: `cat` ends at once.
    const empty = await t.run('cat; echo done', { timeoutMs: 5000, maxBytes: 1000 });
    assert.equal(empty.stdout, 'done\n');
  });

  test(`${name}: the byte cap truncates and kills`, T, async () => {
    const t = get();
    const start = Date.now();
    const r = await t.run('yes ngx502-cap-marker', { timeoutMs: 20_000, maxBytes: 10_000 });
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 10_000);
    assert.ok(r.stdout.startsWith('ngx502-cap-marker\n'));
    assert.ok(Date.now() - start < 5000);
    await until('yes to be killed', () => !processes().some((c) => c.includes('ngx502-cap-marker')));
  });

  test(`${name}: a timeout kills the command and what it started`, T, async () => {
    const t = get();
    const start = Date.now();
    const r = await t.run('sleep 100.5; echo never', { timeoutMs: 500, maxBytes: 1000 });
    const took = Date.now() - start;
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    assert.equal(r.stdout, '');
    assert.ok(took >= 450 && took < 3000, `took ${took} ms`);
    await until('sleep 100.5 to be killed', () => !processes().some((c) => c.includes('sleep 100.5')));
  });

  test(`${name}: readTail reads only the tail of a big file, and reports missing files`, T, async () => {
    const t = get();
    const file = path.join(tmp, `${name}-big.log`);
    const fd = fs.openSync(file, 'w');
    const block = Buffer.alloc(1 << 20, 'x');
    for (let i = 0; i < 20; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, 'the last line\n');
    fs.closeSync(fd);
    const size = fs.statSync(file).size;
    const before = t instanceof Object && 'bytesReceived' in t ? (t as SshTransport).bytesReceived : 0;
    const r = await t.readTail(file, 64 * 1024);
    assert.equal(r.status, 'ok');
    assert.equal(r.size, size);
    assert.equal(r.data.length, 64 * 1024);
    assert.ok(r.data.toString().endsWith('xxthe last line\n'));
    assert.equal(r.truncated, true);
    if ('bytesReceived' in t) {
      const got = (t as SshTransport).bytesReceived - before;
      assert.ok(got < 200_000, `received ${got} bytes for a 64 KiB tail of a 20 MB file`);
    }
    const small = await t.readTail(file, 10 * 1024 * 1024 * 1024);
    assert.equal(small.data.length, size);
    assert.equal(small.truncated, false);
    const missing = await t.readTail(path.join(tmp, 'no-such.log'), 100);
    assert.equal(missing.status, 'missing');
    assert.equal(missing.data.length, 0);
    const dir = await t.readTail(tmp, 100);
    assert.equal(dir.status, 'failed');
  });

  test(`${name}: paths with shell metacharacters are quoted, never run`, T, async () => {
    const t = get();
    const dir = fs.mkdtempSync(path.join(tmp, 'meta-'));
    const evil = path.join(dir, `a b'$(touch ngx502-pwned1)\`touch ngx502-pwned2\`;touch ngx502-pwned3 "q"|&\n-- *.log`);
    fs.writeFileSync(evil, 'line 1\nline 2\n');
    const r = await t.readTail(evil, 7);
    assert.equal(r.status, 'ok');
    assert.equal(r.data.toString(), 'line 2\n');
    const s = await t.run(`cat -- ${shq(evil)}`, { timeoutMs: 5000, maxBytes: 1000 });
    assert.equal(s.stdout, 'line 1\nline 2\n');
    const h = t.stream(evil, () => undefined);
    await h.ready;
    await h.stop();
    // Commands start in the login's home (ssh) or our cwd (local): nothing was created there.
    const cwd = (await t.run('pwd', { timeoutMs: 5000, maxBytes: 1000 })).stdout.trim();
    for (const d of [cwd, dir]) assert.deepEqual(fs.readdirSync(d).filter((f) => f.startsWith('ngx502-pwned')), []);
  });

  test(`${name}: stream follows appends, truncation and rotation`, T, async () => {
    const t = get();
    const file = path.join(tmp, `${name}-follow.log`);
    fs.writeFileSync(file, 'old line, not shown\n');
    let seen = '';
    const notices: string[] = [];
    const h = t.stream(file, (c) => (seen += c.toString()), { onStderr: (s) => notices.push(s) });
    await h.ready;
    fs.appendFileSync(file, 'appended 1\n');
    await until('the appended line', () => seen.includes('appended 1\n'));
    assert.ok(!seen.includes('old line'));
    // Truncation (logrotate copytruncate): tail starts over at the beginning.
    fs.truncateSync(file, 0);
    await until('tail to notice the truncation', () => notices.join('').includes('truncated'));
    fs.appendFileSync(file, 'after truncate\n');
    await until('the line after truncation', () => seen.includes('after truncate\n'));
    // Rotation (rename and a new file): followed by name.
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, 'in the new file\n');
    await until('the line of the rotated-in file', () => seen.includes('in the new file\n'), 10_000);
    const end = await h.stop();
    assert.equal(end.stopped, true);
    await until('tail -F to be killed', () => !processes().some((c) => c.includes('tail') && c.includes(file)));
  });

  test(`${name}: stream can start with the file's last bytes and stops at maxBytes`, T, async () => {
    const t = get();
    const file = path.join(tmp, `${name}-from-end.log`);
    fs.writeFileSync(file, 'aaaa\nbbbb\n');
    let seen = '';
    const h = t.stream(file, (c) => (seen += c.toString()), { fromEnd: 5, maxBytes: 12 });
    await h.ready;
    fs.appendFileSync(file, 'cccc\ndddd\n');
    const end = await h.done;
    assert.equal(seen, 'bbbb\ncccc\ndd');
    assert.equal(end.truncated, true);
    assert.equal(end.bytes, 12);
  });
}

describe('ssh transport over a real sshd', { skip }, () => {
  let sshd: Sshd;
  let t: SshTransport;

  before(async () => {
    sshd = await startSshd();
    t = await connectSsh(isolated(sshd));
  });
  after(async () => {
    await t?.close();
    await sshd?.stop();
  });
  // Every channel a test opened has been given back.
  afterEach(() => assert.equal(t.channelsInUse, 0));

  basicTests('ssh', () => t, () => processesUnder(sshd.pid));

  test('20 concurrent commands over one connection, at most 8 channels at once', T, async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'conc-'));
    const start = Date.now();
    // Each command marks itself running, waits, counts the running ones, and unmarks itself.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.run(`touch ${shq(`${dir}/${i}`)}; sleep 0.3; ls ${shq(dir)} | wc -l; rm ${shq(`${dir}/${i}`)}`, { timeoutMs: 10_000, maxBytes: 100 }),
      ),
    );
    const took = Date.now() - start;
    const counts = results.map((r) => Number(r.stdout.trim()));
    assert.ok(results.every((r) => r.code === 0));
    assert.ok(Math.max(...counts) <= 8, `at most 8 at once, saw ${Math.max(...counts)}`);
    assert.ok(Math.max(...counts) >= 4, `concurrent, saw ${Math.max(...counts)}`);
    assert.ok(took < 20 * 300, `took ${took} ms`);
    // And without the sleep: the raw cost of 20 commands over one connection.
    const s2 = Date.now();
    const quick = await Promise.all(Array.from({ length: 20 }, (_, i) => t.run(`echo ${i}`, { timeoutMs: 10_000, maxBytes: 100 })));
    const quickMs = Date.now() - s2;
    assert.deepEqual(
      quick.map((r) => r.stdout),
      Array.from({ length: 20 }, (_, i) => `${i}\n`),
    );
    console.log(`# 20 concurrent commands (sleep 0.3 each): ${took} ms; 20 concurrent echo: ${quickMs} ms`);
  });

  test('a server with MaxSessions 3: extra channels are refused, the transport runs fewer at once', T, async () => {
    const small = await startSshd({ extraConfig: ['MaxSessions 3'] });
    const c = await connectSsh(isolated(small, { concurrency: 8 }));
    try {
      const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => c.run(`sleep 0.1; echo ${i}`, { timeoutMs: 10_000, maxBytes: 100 })));
      assert.deepEqual(
        rs.map((r) => r.stdout.trim()),
        Array.from({ length: 12 }, (_, i) => String(i)),
      );
    } finally {
      await c.close();
      await small.stop();
    }
  });

  test('abort a queued and a running command', T, async () => {
    const ac = new AbortController();
    const p = t.run('sleep 100.25', { timeoutMs: 60_000, maxBytes: 100, signal: ac.signal });
    await until('the command to start', () => processesUnder(sshd.pid).some((c) => c.includes('sleep 100.25')));
    ac.abort();
    await assert.rejects(p, { name: 'AbortError' });
    await until('sleep 100.25 to be killed', () => !processesUnder(sshd.pid).some((c) => c.includes('sleep 100.25')));
    // Eight channels busy, a ninth command waits for one: aborting it leaves the others alone.
    const busy = new AbortController();
    const running = Array.from({ length: 8 }, () => t.run('sleep 100.375', { timeoutMs: 60_000, maxBytes: 100, signal: busy.signal }).catch((e: unknown) => e));
    const queued = new AbortController();
    const waiting = t.run('echo never', { timeoutMs: 60_000, maxBytes: 100, signal: queued.signal });
    await until('8 commands to run', () => processesUnder(sshd.pid).filter((c) => c === 'sleep 100.375').length === 8);
    queued.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    busy.abort();
    for (const e of await Promise.all(running)) assert.equal((e as Error).name, 'AbortError');
    await until('the sleeps to be killed', () => !processesUnder(sshd.pid).some((c) => c.includes('sleep 100.375')));
    assert.equal((await t.run('echo still fine', { timeoutMs: 5000, maxBytes: 100 })).stdout, 'still fine\n');
  });

  test('readTail of a file the user cannot read is not-permitted', { ...T, skip: process.getuid?.() === 0 ? false : 'needs root (a second user)' }, async () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.chmodSync(home, 0o755);
    const u = tempUser('unused-password-1', home);
    if (!u) return;
    let c: SshTransport | undefined;
    try {
      c = await connectSsh(isolated(sshd, { target: `${u.name}@127.0.0.1:${sshd.port}` }));
      const secret = path.join(tmp, 'root-only.log');
      fs.writeFileSync(secret, 'secret\n', { mode: 0o600 });
      fs.chmodSync(tmp, 0o755);
      const r = await c.readTail(secret, 100);
      assert.equal(r.status, 'not-permitted', r.stderr);
      const sudo = await c.readTail(secret, 100, { sudo: true });
      assert.ok(sudo.status === 'not-permitted' || sudo.status === 'failed', `${sudo.status}: ${sudo.stderr}`);
    } finally {
      await c?.close();
      u.remove();
    }
  });
});

describe('host keys', { skip }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  const edKey = () => sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')!;

  test('our fingerprints are OpenSSH\'s', T, () => {
    for (const k of sshd.hostKeys) {
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.path}.pub`], { encoding: 'utf8' });
      assert.equal(out.split(' ')[1], fingerprint(k.blob));
      assert.equal(fingerprintOf(k.blob), fingerprint(k.blob));
    }
  });

  test('an unknown host is refused without acceptance, and known_hosts is left alone', T, async () => {
    const kh = tempKnownHosts([], fs.mkdtempSync(path.join(tmp, 'kh-')));
    const e = await expectRemoteError(connectSsh(isolated(sshd, { knownHostsFile: kh })), 'host-key-unknown');
    assert.ok(e instanceof HostKeyError);
    assert.equal(e.details.fingerprint, fingerprint(edKey().blob));
    assert.match(e.message, new RegExp(e.details.fingerprint.replace(/[+/]/g, '\\$&')));
    assert.equal(fs.readFileSync(kh, 'utf8'), '');
  });

  test('a plain 127.0.0.1 entry does not cover port ' + 'PORT ([host]:port is needed)', T, async () => {
    const kh = tempKnownHosts([`127.0.0.1 ${edKey().type} ${edKey().blob.toString('base64')}`], fs.mkdtempSync(path.join(tmp, 'kh-')));
    await expectRemoteError(connectSsh(isolated(sshd, { knownHostsFile: kh })), 'host-key-unknown');
  });

  test('accepted: recorded like accept-new ([127.0.0.1]:PORT), then the next connect is silent', T, async () => {
    const kh = path.join(fs.mkdtempSync(path.join(tmp, 'kh-')), 'sub', 'known_hosts'); // folder created too
    const asked: string[] = [];
    const c = await connectSsh(
      isolated(sshd, {
        knownHostsFile: kh,
        acceptNewHostKey: (info) => {
          asked.push(info.fingerprint);
          assert.equal(info.knownHostsName, `[127.0.0.1]:${sshd.port}`);
          assert.equal(info.file, kh);
          return true;
        },
      }),
    );
    await c.close();
    assert.deepEqual(asked, [fingerprint(edKey().blob)]);
    const text = fs.readFileSync(kh, 'utf8');
    assert.equal(text, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${edKey().blob.toString('base64')}\n`);
    // OpenSSH reads what we wrote.
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh], { encoding: 'utf8' });
    assert.match(found, /ssh-ed25519/);
    const again = await connectSsh(isolated(sshd, { knownHostsFile: kh, acceptNewHostKey: () => assert.fail('asked again') }));
    await again.close();
  });

  test('HashKnownHosts yes: the recorded entry is hashed, and OpenSSH finds it', T, async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'kh-'));
    const kh = path.join(dir, 'known_hosts');
    const cfg = path.join(dir, 'config');
    fs.writeFileSync(cfg, 'Host *\n  HashKnownHosts yes\n');
    const c = await connectSsh(isolated(sshd, { knownHostsFile: kh, acceptNewHostKey: true, config: { userConfig: cfg, systemConfig: null, home: tmp } }));
    await c.close();
    const text = fs.readFileSync(kh, 'utf8');
    assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    assert.ok(!text.includes('127.0.0.1'));
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh], { encoding: 'utf8' });
    assert.match(found, /ssh-ed25519/);
    const again = await connectSsh(isolated(sshd, { knownHostsFile: kh }));
    await again.close();
  });

  test('a hashed entry (made by ssh-keygen -H) is verified', T, async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'kh-'));
    const kh = tempKnownHosts(sshd.knownHostsLines(), dir);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    assert.ok(fs.readFileSync(kh, 'utf8').startsWith('|1|'));
    const c = await connectSsh(isolated(sshd, { knownHostsFile: kh }));
    await c.close();
    // Our own hashing agrees with OpenSSH's lookup too.
    const ours = tempKnownHosts([`${hashHostName(`[127.0.0.1]:${sshd.port}`)} ssh-ed25519 ${edKey().blob.toString('base64')}`], fs.mkdtempSync(path.join(tmp, 'kh-')));
    assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', ours], { encoding: 'utf8' }), /ssh-ed25519/);
  });

  test('a changed key is always refused, with both fingerprints', T, async () => {
    const other = keygen(path.join(tmp, 'other_host_key'), 'ed25519');
    const kh = tempKnownHosts(
      [`# a comment`, `example.org,[127.0.0.1]:${sshd.port} ssh-ed25519 ${other.blob.toString('base64')}`],
      fs.mkdtempSync(path.join(tmp, 'kh-')),
    );
    let asked = false;
    const e = await expectRemoteError(
      connectSsh(
        isolated(sshd, {
          knownHostsFile: kh,
          acceptNewHostKey: () => {
            asked = true;
            return true;
          },
        }),
      ),
      'host-key-changed',
    );
    assert.equal(asked, false);
    assert.ok(e.message.includes(fingerprint(edKey().blob)), e.message);
    assert.ok(e.message.includes(fingerprint(other.blob)), e.message);
    assert.ok(e.message.includes(`${kh}:2`), e.message);
    assert.ok(e instanceof HostKeyError && e.details.knownFingerprints[0] === fingerprint(other.blob));
  });

  test('several key types: a host known only by its ECDSA key is asked for that key', T, async () => {
    const kh = tempKnownHosts(sshd.knownHostsLines({ types: ['ecdsa-sha2-nistp256'] }), fs.mkdtempSync(path.join(tmp, 'kh-')));
    const c = await connectSsh(isolated(sshd, { knownHostsFile: kh }));
    await c.close();
    // Wildcards and negation.
    const wild = tempKnownHosts([`!10.*,[127.0.0.?]:${sshd.port} ${edKey().type} ${edKey().blob.toString('base64')}`], fs.mkdtempSync(path.join(tmp, 'kh-')));
    const w = await connectSsh(isolated(sshd, { knownHostsFile: wild }));
    await w.close();
  });

  test('@revoked is refused even when the key is also listed; @cert-authority lines are skipped', T, async () => {
    const ed = edKey();
    const kh = tempKnownHosts(
      [`@cert-authority * ssh-ed25519 ${ed.blob.toString('base64')}`, ...sshd.knownHostsLines(), `@revoked * ssh-ed25519 ${ed.blob.toString('base64')}`],
      fs.mkdtempSync(path.join(tmp, 'kh-')),
    );
    const e = await expectRemoteError(connectSsh(isolated(sshd, { knownHostsFile: kh, acceptNewHostKey: true })), 'host-key-revoked');
    assert.ok(e.message.includes(fingerprint(ed.blob)));
    const entries = parseKnownHosts(fs.readFileSync(kh, 'utf8'), kh);
    assert.deepEqual(
      entries.map((x) => x.marker ?? ''),
      ['cert-authority', '', '', 'revoked'],
    );
  });

  test('KnownHosts.check on its own', T, () => {
    const ed = edKey();
    const kh = new KnownHosts({ files: [tempKnownHosts(sshd.knownHostsLines({ hashed: true }), fs.mkdtempSync(path.join(tmp, 'kh-')))] });
    assert.equal(kh.check('127.0.0.1', sshd.port, ed.blob).status, 'known');
    assert.equal(kh.check('127.0.0.1', sshd.port + 1, ed.blob).status, 'unknown');
    assert.deepEqual(kh.knownTypes('127.0.0.1', sshd.port).sort(), ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });
});

describe('authentication', { skip }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  test('an encrypted key: the passphrase is asked through the callback', T, async () => {
    const key = keygen(path.join(tmp, 'id_encrypted'), 'ed25519', 'correct horse');
    fs.appendFileSync(path.join(sshd.dir, 'authorized_keys'), key.pub + '\n');
    const asked: [string, number][] = [];
    const c = await connectSsh(
      isolated(sshd, {
        identityFiles: [key.path],
        passphrase: (file, attempt) => {
          asked.push([file, attempt]);
          return attempt === 1 ? 'wrong' : 'correct horse';
        },
      }),
    );
    assert.deepEqual(asked, [
      [key.path, 1],
      [key.path, 2],
    ]);
    assert.equal((await c.run('echo ok', { timeoutMs: 5000, maxBytes: 100 })).stdout, 'ok\n');
    await c.close();
    // No passphrase: the key is skipped and the failure says why.
    const e = await expectRemoteError(connectSsh(isolated(sshd, { identityFiles: [key.path], passphrase: () => undefined })), 'auth-failed');
    assert.match(e.message, /id_encrypted \(no passphrase given\)/);
  });

  test('ssh-agent through its socket', T, async () => {
    const agent = await startAgent();
    try {
      agent.add(sshd.clientKey.path);
      const c = await connectSsh(isolated(sshd, { identityFiles: [], agent: agent.sock }));
      assert.equal((await c.run('echo via agent', { timeoutMs: 5000, maxBytes: 100 })).stdout, 'via agent\n');
      await c.close();
      // IdentitiesOnly: the agent offers only the configured key; here a key the server does not know.
      const stranger = keygen(path.join(tmp, 'id_stranger'), 'ed25519');
      const cfg = path.join(tmp, 'agent-config');
      fs.writeFileSync(cfg, `Host 127.0.0.1\n  IdentitiesOnly yes\n  IdentityFile ${stranger.path}\n`);
      const e = await expectRemoteError(connectSsh(isolated(sshd, { identityFiles: [], agent: agent.sock, config: { userConfig: cfg, systemConfig: null, home: tmp } })), 'auth-failed');
      assert.ok(e instanceof AuthFailedError);
      assert.deepEqual(e.tried, ['agent', `publickey ${stranger.path}`]);
    } finally {
      await agent.stop();
    }
  });

  test('a password through the callback (a temporary user)', { ...T, skip: process.getuid?.() === 0 ? false : 'needs root (useradd)' }, async () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const u = tempUser('s3cret-pw', home);
    if (!u) return;
    try {
      const prompts: number[] = [];
      const c = await connectSsh(
        isolated(sshd, {
          target: `${u.name}@127.0.0.1:${sshd.port}`,
          identityFiles: [],
          password: ({ user, attempt }) => {
            assert.equal(user, u.name);
            prompts.push(attempt);
            return attempt === 1 ? 'wrong' : 's3cret-pw';
          },
        }),
      );
      assert.deepEqual(prompts, [1, 2]);
      assert.equal((await c.run('id -un', { timeoutMs: 5000, maxBytes: 100 })).stdout, `${u.name}\n`);
      await c.close();
      const e = await expectRemoteError(connectSsh(isolated(sshd, { target: `${u.name}@127.0.0.1:${sshd.port}`, identityFiles: [], password: () => 'nope' })), 'auth-failed');
      assert.ok(e instanceof AuthFailedError);
      assert.deepEqual(e.tried, ['password', 'password', 'password']);
    } finally {
      u.remove();
    }
  });

  test('a wrong key: a clear authentication failure naming what was tried', T, async () => {
    const wrong = keygen(path.join(tmp, 'id_wrong'), 'ed25519');
    const start = Date.now();
    const e = await expectRemoteError(connectSsh(isolated(sshd, { identityFiles: [wrong.path, path.join(tmp, 'id_missing')] })), 'auth-failed');
    assert.ok(Date.now() - start < 5000);
    assert.ok(e instanceof AuthFailedError);
    assert.deepEqual(e.tried, [`publickey ${wrong.path}`, `publickey ${path.join(tmp, 'id_missing')} (cannot read it)`]);
    assert.deepEqual(e.allowed.sort(), ['password', 'publickey']);
    assert.match(e.message, new RegExp(`^${sshd.user}@127\\.0\\.0\\.1:${sshd.port}: authentication failed\\. Tried: publickey `));
  });
});

describe('ssh config and ProxyJump', { skip }, () => {
  let a: Sshd;
  let b: Sshd;
  let home: string;
  before(async () => {
    [a, b] = await Promise.all([startSshd(), startSshd()]);
    home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true });
    fs.copyFileSync(a.clientKey.path, path.join(home, '.ssh', 'key-127.0.0.1'));
    fs.copyFileSync(b.clientKey.path, path.join(home, '.ssh', 'id_b'));
    fs.chmodSync(path.join(home, '.ssh', 'key-127.0.0.1'), 0o600);
    fs.chmodSync(path.join(home, '.ssh', 'id_b'), 0o600);
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), [...a.knownHostsLines(), ...b.knownHostsLines({ hashed: true })].join('\n') + '\n');
    fs.writeFileSync(
      path.join(home, '.ssh', 'config'),
      [
        'Host lab',
        '  HostName 127.0.0.1',
        `  Port ${a.port}`,
        `  User ${a.user}`,
        '  IdentityFile ~/.ssh/key-%h',
        '  IdentityFile ~/.ssh/does-not-exist',
        '  IdentitiesOnly yes',
        'Include conf.d/*.conf',
        'Host *',
        '  ServerAliveInterval 5',
      ].join('\n') + '\n',
    );
    fs.writeFileSync(
      path.join(home, '.ssh', 'conf.d', 'jump.conf'),
      ['Host behind', '  HostName 127.0.0.1', `  Port ${b.port}`, `  User ${b.user}`, '  IdentityFile %d/.ssh/id_b', '  ProxyJump lab', 'Host refused', '  HostName 127.0.0.1', '  Port 1', '  ProxyJump lab'].join('\n') + '\n',
    );
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const opts = (target: string): SshOptions => ({ target, agent: null, config: { userConfig: path.join(home, '.ssh', 'config'), systemConfig: null, home }, connectTimeoutMs: 10_000 });

  test('resolveHost: HostName, User, Port, IdentityFile tokens, Include, ProxyJump', T, () => {
    const cfg = loadSshConfig(opts('x').config);
    const lab = resolveHost(cfg, parseTarget('lab'), opts('x').config);
    assert.equal(lab.hostName, '127.0.0.1');
    assert.equal(lab.port, a.port);
    assert.deepEqual(lab.identityFiles, [path.join(home, '.ssh', 'key-127.0.0.1'), path.join(home, '.ssh', 'does-not-exist')]);
    assert.equal(lab.identitiesOnly, true);
    assert.equal(lab.serverAliveIntervalMs, 5000);
    const behind = resolveHost(cfg, parseTarget('other@behind:2222'), opts('x').config);
    assert.deepEqual([behind.user, behind.port, behind.proxyJump], ['other', 2222, ['lab']]);
    assert.deepEqual(parseTarget('ssh://u@[::1]:2200'), { user: 'u', host: '::1', port: 2200 });
    assert.deepEqual(parseTarget('fe80::1'), { user: undefined, host: 'fe80::1', port: undefined });
    assert.throws(() => parseTarget('host;rm -rf /'), RemoteError);
  });

  test('a Host alias of ~/.ssh/config', T, async () => {
    const c = await connectSsh(opts('lab'));
    try {
      assert.equal(c.hops.length, 1);
      const r = await c.run('echo $SSH_CONNECTION', { timeoutMs: 5000, maxBytes: 200 });
      assert.match(r.stdout, new RegExp(` ${a.port}\\n$`));
    } finally {
      await c.close();
    }
  });

  test('ProxyJump: through the first sshd to the second, both host keys verified', T, async () => {
    const c = await connectSsh(opts('behind'));
    try {
      assert.deepEqual(
        c.hops.map((h) => h.port),
        [a.port, b.port],
      );
      const r = await c.run('echo $SSH_CONNECTION', { timeoutMs: 5000, maxBytes: 200 });
      assert.match(r.stdout, new RegExp(` ${b.port}\\n$`));
      // b's client is a's session process (the forwarding), not us.
      const src = Number(r.stdout.split(' ')[1]);
      const owner = pidOfLocalPort(src);
      assert.ok(owner !== undefined && descendants(a.pid).includes(owner), `port ${src} belongs to ${owner}, not to a's sshd`);
    } finally {
      await c.close();
    }
    // b unknown while a known: refused, naming the jump host.
    const kh = tempKnownHosts(a.knownHostsLines(), fs.mkdtempSync(path.join(tmp, 'kh-')));
    const e = await expectRemoteError(connectSsh({ ...opts('behind'), knownHostsFile: kh }), 'host-key-unknown');
    assert.equal(e.via, 'lab');
    assert.equal(e.port, b.port);
    assert.match(e.message, /via lab/);
    // a unknown: refused at the first hop.
    const khB = tempKnownHosts(b.knownHostsLines(), fs.mkdtempSync(path.join(tmp, 'kh-')));
    const eA = await expectRemoteError(connectSsh({ ...opts('behind'), knownHostsFile: khB }), 'host-key-unknown');
    assert.equal(eA.port, a.port);
    assert.equal(eA.via, undefined);
  });

  test('ProxyJump to a closed port: connection refused, via the jump host', T, async () => {
    const e = await expectRemoteError(connectSsh(opts('refused')), 'connection-refused');
    assert.equal(e.via, 'lab');
  });

  test('ProxyCommand is refused clearly', T, async () => {
    const cfg = path.join(home, 'proxycommand.conf');
    fs.writeFileSync(cfg, 'Host pc\n  ProxyCommand nc %h %p\n');
    await expectRemoteError(connectSsh({ ...opts('pc'), config: { userConfig: cfg, systemConfig: null, home } }), 'config');
  });
});

describe('connection failures', { skip }, () => {
  test('connection refused on a closed port, quickly', T, async () => {
    const port = await freePort();
    const start = Date.now();
    const e = await expectRemoteError(connectSsh({ target: `root@127.0.0.1:${port}`, agent: null, config: { userConfig: null, systemConfig: null, home: tmp } }), 'connection-refused');
    assert.match(e.message, /connection refused/);
    assert.ok(Date.now() - start < 2000);
  });

  test('a name that does not resolve', T, async () => {
    await expectRemoteError(connectSsh({ target: 'root@no-such-host.invalid', agent: null, config: { userConfig: null, systemConfig: null, home: tmp } }), 'dns-failure');
  });

  test('a port that accepts but never speaks SSH: a timeout', T, async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const start = Date.now();
      await expectRemoteError(connectSsh({ target: `root@127.0.0.1:${port}`, agent: null, config: { userConfig: null, systemConfig: null, home: tmp }, connectTimeoutMs: 800 }), 'timeout');
      assert.ok(Date.now() - start < 3000);
    } finally {
      silent.close();
    }
  });

  test('sshd killed mid-command: the command and later ones fail with `disconnected`, within seconds', T, async () => {
    const s = await startSshd();
    const c = await connectSsh(isolated(s));
    // Settled into values at once, so that the rejections are handled when they happen.
    const outcome = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: unknown) => e);
    const running = outcome(c.run('sleep 30', { timeoutMs: 60_000, maxBytes: 100 }));
    const queued = Array.from({ length: 12 }, () => outcome(c.run('sleep 30', { timeoutMs: 60_000, maxBytes: 100 })));
    await until('the commands to start', () => processesUnder(s.pid).filter((x) => x === 'sleep 30').length >= 8);
    const start = Date.now();
    await s.stop();
    for (const e of [await running, ...(await Promise.all(queued))]) {
      assert.ok(e instanceof RemoteError && e.kind === 'disconnected', String(e));
      assert.match(e.message, new RegExp(`root@127\\.0\\.0\\.1:${s.port}: connection lost`));
    }
    assert.ok(Date.now() - start < 5000);
    await expectRemoteError(c.run('true', { timeoutMs: 1000, maxBytes: 10 }), 'disconnected');
    assert.equal(c.connected, false);
    await c.close();
  });
});

describe('local transport', () => {
  const t = connectLocal();
  after(() => t.close());
  basicTests('local', () => t, () => processesUnder(process.pid));

  test('local: close kills what is still running', T, async () => {
    const l = connectLocal();
    const p = l.run('sleep 100.75', { timeoutMs: 60_000, maxBytes: 10 });
    await until('the command to start', () => processesUnder(process.pid).some((c) => c.includes('sleep 100.75')));
    await l.close();
    const r = await p;
    assert.equal(r.code, null);
    await until('sleep 100.75 to be killed', () => !processesUnder(process.pid).some((c) => c.includes('sleep 100.75')));
    await expectRemoteError(l.run('true', { timeoutMs: 1000, maxBytes: 10 }), 'closed');
  });
});
