// The pure parts of the transports: targets, ssh config resolution, known_hosts matching, and
// the host-side wrapper (run here through a local /bin/sh, as sshd would run it).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RemoteError } from '../../client/src/remote/errors';
import { fingerprint, hashHostName, hostFieldMatches, KnownHosts, keyTypeOf, knownHostsName, parseKnownHosts } from '../../client/src/remote/hostkeys';
import { remoteCommand } from '../../client/src/remote/ssh';
import { expandTokens, globFiles, loadSshConfig, parseProxyJump, parseTarget, resolveHost } from '../../client/src/remote/sshconfig';
import { Semaphore } from '../../client/src/remote/transport';

const T = { timeout: 20_000 };

/** An ed25519 public key blob (type string + 32 bytes). */
function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  const klen = Buffer.alloc(4);
  klen.writeUInt32BE(32);
  return Buffer.concat([len, t, klen, Buffer.alloc(32, fill)]);
}

describe('targets', () => {
  test('[user@]host[:port], brackets, IPv6, ssh:// and bad input', () => {
    assert.deepEqual(parseTarget('web1'), { user: undefined, host: 'web1', port: undefined });
    assert.deepEqual(parseTarget('deploy@web1:2222'), { user: 'deploy', host: 'web1', port: 2222 });
    assert.deepEqual(parseTarget('a@b@c'), { user: 'a@b', host: 'c', port: undefined });
    assert.deepEqual(parseTarget('[10.0.0.1]:22'), { user: undefined, host: '10.0.0.1', port: 22 });
    assert.deepEqual(parseTarget('::1'), { user: undefined, host: '::1', port: undefined });
    assert.deepEqual(parseTarget('ssh://u@h:1'), { user: 'u', host: 'h', port: 1 });
    for (const bad of ['', 'h:x', 'h:70000', '@h', 'h`id`', 'a b', '$(id)']) assert.throws(() => parseTarget(bad), RemoteError, bad);
    assert.deepEqual(parseProxyJump('a, b@c:2 ,'), ['a', 'b@c:2']);
    assert.deepEqual(parseProxyJump('none'), []);
  });

  test('tokens', () => {
    const t = { home: '/home/me', host: 'h.example', alias: 'h', port: 2222, user: 'root', localUser: 'me' };
    assert.equal(expandTokens('%d/.ssh/%r@%h:%p-%n-%u-%%h', t), '/home/me/.ssh/root@h.example:2222-h-me-%h');
  });
});

describe('ssh config', () => {
  test('first value wins, user before system config, Include with globs and relative paths, Match exec never runs', T, () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-cfg-'));
    try {
      fs.mkdirSync(path.join(home, '.ssh', 'inc'), { recursive: true });
      fs.writeFileSync(
        path.join(home, '.ssh', 'config'),
        [
          'Host web*',
          '  User deploy',
          '  Include inc/*.conf',
          'Match exec "touch ' + path.join(home, 'pwned') + '"',
          '  User exec-user',
          'Host *',
          '  Port 2200',
          '  IdentityFile ~/.ssh/id_%r',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(home, '.ssh', 'inc', 'a.conf'), 'HostName %h.internal\nProxyJump bastion\nHost bastion\n  User jump\n');
      fs.writeFileSync(path.join(home, '.ssh', 'inc', 'b.txt'), 'Port 1\n');
      const system = path.join(home, 'ssh_config');
      fs.writeFileSync(system, 'Host *\n  Port 9\n  HashKnownHosts yes\n  IdentityFile ~/.ssh/id_system\n');
      const src = { userConfig: path.join(home, '.ssh', 'config'), systemConfig: system, home, localUser: 'me' };
      const cfg = loadSshConfig(src);
      const web = resolveHost(cfg, parseTarget('web1'), src);
      assert.equal(web.user, 'deploy');
      assert.equal(web.hostName, 'web1.internal');
      assert.equal(web.port, 2200);
      assert.deepEqual(web.proxyJump, ['bastion']);
      assert.equal(web.hashKnownHosts, true);
      assert.deepEqual(web.identityFiles, [path.join(home, '.ssh', 'id_deploy'), path.join(home, '.ssh', 'id_system')]);
      assert.equal(resolveHost(cfg, parseTarget('bastion'), src).user, 'jump');
      assert.equal(resolveHost(cfg, parseTarget('other@web1:22'), src).port, 22);
      assert.equal(resolveHost(cfg, parseTarget('db'), src).user, 'me');
      assert.equal(fs.existsSync(path.join(home, 'pwned')), false);
      assert.deepEqual(globFiles(path.join(home, '.ssh', 'inc', '*.conf')), [path.join(home, '.ssh', 'inc', 'a.conf')]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('known_hosts', () => {
  const ed = blob('ssh-ed25519', 1);
  const ed2 = blob('ssh-ed25519', 2);
  const ec = blob('ecdsa-sha2-nistp256', 3);

  test('names, patterns, hashes', () => {
    assert.equal(knownHostsName('h', 22), 'h');
    assert.equal(knownHostsName('h', 2222), '[h]:2222');
    assert.ok(hostFieldMatches('a,b,h', 'h'));
    assert.ok(hostFieldMatches('*.example.com', 'WWW.example.com'));
    assert.ok(!hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com'));
    assert.ok(hostFieldMatches('[h]:2222', '[h]:2222'));
    assert.ok(!hostFieldMatches('h', '[h]:2222'));
    const salt = Buffer.alloc(20, 7);
    const hashed = hashHostName('[h]:2222', salt);
    assert.equal(hashed, `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[h]:2222').digest('base64')}`);
    assert.ok(hostFieldMatches(hashed, '[h]:2222'));
    assert.ok(!hostFieldMatches(hashed, 'h'));
    assert.equal(keyTypeOf(ed), 'ssh-ed25519');
    assert.match(fingerprint(ed), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test('known, changed, unknown, revoked; several types per host; garbage lines skipped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-kh-unit-'));
    try {
      const file = path.join(dir, 'known_hosts');
      fs.writeFileSync(
        file,
        [
          '# comment',
          'garbage',
          `@unknown-marker h ssh-ed25519 ${ed.toString('base64')}`,
          `h ssh-ed25519 not-base64!`,
          `h,[h]:2222 ssh-ed25519 ${ed.toString('base64')} comment words`,
          `[h]:2222 ecdsa-sha2-nistp256 ${ec.toString('base64')}`,
          `@revoked * ecdsa-sha2-nistp256 ${blob('ecdsa-sha2-nistp256', 9).toString('base64')}`,
        ].join('\n'),
      );
      assert.equal(parseKnownHosts(fs.readFileSync(file, 'utf8')).length, 3);
      const kh = new KnownHosts({ files: [file] });
      assert.equal(kh.check('h', 22, ed).status, 'known');
      assert.equal(kh.check('h', 2222, ec).status, 'known');
      const changed = kh.check('h', 22, ed2);
      assert.equal(changed.status, 'changed');
      assert.equal(changed.status === 'changed' && changed.known[0].line, 5);
      const unknown = kh.check('h', 22, ec);
      assert.deepEqual(unknown, { status: 'unknown', otherTypes: ['ssh-ed25519'] });
      assert.equal(kh.check('other', 22, blob('ecdsa-sha2-nistp256', 9)).status, 'revoked');
      assert.deepEqual(kh.algorithmsFor('h', 2222).slice(0, 2), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
      assert.equal(kh.algorithmsFor('other', 22)[0], 'ssh-ed25519');
      // Appending to a file without a final newline starts a new line.
      kh.add('new', 2200, ed2);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      assert.equal(lines[lines.length - 2], `[new]:2200 ssh-ed25519 ${ed2.toString('base64')}`);
      assert.equal(kh.check('new', 2200, ed2).status, 'known');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('semaphore', () => {
  test('FIFO, limit, abort while waiting', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const ac = new AbortController();
    const p3 = s.acquire(ac.signal);
    const p4 = s.acquire().then((r) => (order.push(4), r));
    ac.abort();
    await assert.rejects(p3, { name: 'AbortError' });
    assert.equal(s.inUse, 2);
    r1();
    r1(); // twice is once
    const r4 = await p4;
    assert.deepEqual(order, [4]);
    assert.equal(s.inUse, 2);
    r2();
    r4();
    assert.equal(s.inUse, 0);
  });
});

/** Runs the host-side command line through sh as sshd would (`$SHELL -c LINE`), stdin a pipe. */
function runWrapped(line: string, opts: { stdin?: string; closeStdinAfterMs?: number }) {
  const child = spawn('/bin/sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else if (opts.closeStdinAfterMs !== undefined) timer = setTimeout(() => child.stdin.end(), opts.closeStdinAfterMs);
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, out });
    }),
  );
}

/** Whether a process with this exact command line exists. */
function running(cmdline: string): boolean {
  return fs.readdirSync('/proc').some((p) => {
    try {
      return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() === cmdline;
    } catch {
      return false;
    }
  });
}

describe('host-side wrapper', () => {
  test('exit status and output pass through; stdin reaches the command only when given', T, async () => {
    const r = await runWrapped(remoteCommand("printf '%s|' \"$0\" a; exit 7", 5000, false), { closeStdinAfterMs: 3000 });
    assert.equal(r.code, 7);
    assert.equal(r.out, 'sh|a|');
    const cat = await runWrapped(remoteCommand('tr a-z A-Z', 5000, true), { stdin: 'abc' });
    assert.deepEqual(cat, { code: 0, out: 'ABC' });
  });

  test('EOF on stdin (the channel closed) kills the command and what it started', T, async () => {
    const start = Date.now();
    const r = await runWrapped(remoteCommand('sleep 30.25 & sleep 31.25; echo never', 60_000, false), { closeStdinAfterMs: 200 });
    assert.ok(Date.now() - start < 5000);
    assert.equal(r.out, '');
    assert.notEqual(r.code, 0);
    for (let i = 0; i < 100 && (running('sleep 30.25') || running('sleep 31.25')); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(!running('sleep 30.25') && !running('sleep 31.25'));
  });

  test('the host-side limit fires when we cannot (our limit plus a margin)', T, async () => {
    const start = Date.now();
    const r = await runWrapped(remoteCommand('sleep 30.5', 200, false), { closeStdinAfterMs: 15_000 });
    const took = Date.now() - start;
    assert.equal(r.code, 124);
    assert.ok(took >= 2500 && took < 6000, `took ${took} ms`);
  });
});
