// `ngx502 diagnose` against the real thing: real 502s and 504s produced by driving HTTP requests
// through a real nginx in front of a real PHP-FPM and small node backends (./lab.ts), then a
// diagnosis over SSH to a real sshd, asserting the first cause. Also the security promises
// (host keys, shell metacharacters in config paths, nothing written on the host) and the faults
// (unreachable host, bad key, sshd killed mid-diagnosis, a 1 GB log, a hanging probe, a host
// without ss/systemctl/journalctl).
//
// Scenarios run one after the other (the engine diagnoses the nginx it finds running), each with
// a fresh folder, so no scenario sees another's log lines.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, Lab, labSkipReason, runCli, tailOf, type DiagnoseJson, type DiagnoseRun, type FpmPool, type RequestResult, type Site, type SiteSpec } from './lab';
import { fingerprintOf, freePort, hashHostName, keygen, startSshd, tempKnownHosts } from './sshd';

const skip = labSkipReason() ?? false;
if (skip) console.log(`# diagnose lab skipped: ${skip}`);

let lab: Lab;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-lab-test-'));

before(async () => {
  if (!skip) lab = await Lab.start();
});
after(async () => {
  await lab?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Causes = DiagnoseJson['targets'][number]['causes'];

function causesOf(r: DiagnoseRun): Causes {
  assert.ok(r.json, `no JSON from ngx502 diagnose (exit ${r.code}):\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  const t = r.json.targets[0];
  assert.ok(!t.error, `diagnosis failed: ${t.error}`);
  return t.causes;
}

/** One line per cause with its evidence: what a failing assertion shows. */
function explain(r: DiagnoseRun, site?: Site): string {
  const t = r.json?.targets[0];
  const lines = [`exit ${r.code} in ${r.ms} ms`];
  for (const c of t?.causes ?? []) {
    lines.push(`  ${c.id} [${c.confidence} ${c.score}]`);
    for (const e of c.evidence.slice(0, 4)) lines.push(`      ${e.source}: ${e.summary.slice(0, 200)}`);
  }
  for (const p of t?.probes ?? []) if (p.status !== 'ok') lines.push(`  probe ${p.id}: ${p.status} ${p.note ?? ''}`);
  if (site) {
    const tail = (f: string) => tailOf(f, 2000).split('\n').slice(-6).join('\n') || '(none)';
    lines.push(`  nginx error.log:\n${tail(site.logs.error)}`, `  php-fpm.log:\n${tail(site.logs.fpm)}`);
  }
  if (!t) lines.push(r.stderr);
  return lines.join('\n');
}

function report(name: string, r: DiagnoseRun, drove: RequestResult | undefined): void {
  const c = r.json?.targets[0]?.causes[0];
  const got = c ? `${c.id} (${c.confidence}, score ${c.score})` : 'no cause';
  const codes = drove ? Object.entries(drove.counts).map(([s, n]) => `${n}x${s}`).join(' ') : '';
  console.log(`# ${name.padEnd(22)} first cause: ${got.padEnd(42)} diagnose ${r.ms} ms (engine ${r.json?.targets[0]?.durationMs ?? '?'} ms)${codes ? `; requests: ${codes}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Scenarios: the site, what to do to it, the statuses the requests must get, the first cause.

interface Scenario {
  name: string;
  expect: string;
  spec: (lab: Lab) => Omit<SiteSpec, 'name'>;
  /** Produces the failure; returns the requests that show it. */
  drive: (lab: Lab, site: Site) => Promise<RequestResult>;
  /** The statuses the failing requests must include. */
  status: number;
}

const php = (name: string, src: string) => ({ [name]: `<?php ${src}` });
const pool = (p: FpmPool) => p;

const SCENARIOS: Scenario[] = [
  {
    name: 'backend port closed',
    expect: 'upstream-refused',
    status: 502,
    spec: (l) => ({ server: [`location /closed/ { proxy_pass http://127.0.0.1:${l.backends.closed}; }`] }),
    drive: (l, s) => l.requests(s, '/closed/x', 5, 5),
  },
  {
    name: 'FPM stopped',
    expect: 'fpm-down',
    status: 502,
    spec: () => ({}),
    drive: async (l, s) => {
      await l.requests(s, '/index.php', 2);
      await s.stopFpm('graceful');
      assert.ok(!fs.existsSync(s.socket), 'a stopped PHP-FPM removes its socket');
      return l.requests(s, '/index.php', 5, 5);
    },
  },
  {
    name: 'FPM killed (SIGKILL)',
    expect: 'fpm-down',
    status: 502,
    spec: () => ({}),
    drive: async (l, s) => {
      await l.requests(s, '/index.php', 2);
      await s.stopFpm('kill');
      assert.ok(fs.existsSync(s.socket), 'a killed PHP-FPM leaves its socket behind');
      return l.requests(s, '/index.php', 5, 5);
    },
  },
  {
    name: 'socket permission',
    expect: 'fpm-socket-permission',
    status: 502,
    spec: () => ({ fpm: pool({ listenOwner: 'root', listenGroup: 'root', listenMode: '0660' }) }),
    drive: (l, s) => l.requests(s, '/index.php', 5, 5),
  },
  {
    name: 'pool saturated',
    expect: 'fpm-saturated',
    status: 502,
    spec: () => ({ fpm: pool({ maxChildren: 1, backlog: 1 }), php: php('slow.php', 'usleep(1500000); echo "slow\\n";') }),
    drive: (l, s) => l.requests(s, '/slow.php', 30, 30),
  },
  {
    name: 'terminate timeout',
    expect: 'fpm-terminate-timeout',
    status: 502,
    spec: () => ({ fpm: pool({ requestTerminateTimeout: '1s' }), fastcgiReadTimeout: '10s', php: php('sleep3.php', 'sleep(3); echo "done\\n";') }),
    drive: (l, s) => l.requests(s, '/sleep3.php', 2, 2),
  },
  {
    name: 'worker SIGSEGV',
    expect: 'backend-crash',
    status: 502,
    spec: () => ({ php: php('crash.php', 'posix_kill(getmypid(), 11); sleep(1); echo "survived\\n";') }),
    drive: (l, s) => l.requests(s, '/crash.php', 3, 1),
  },
  {
    name: 'slow backend (504)',
    expect: 'upstream-timeout',
    status: 504,
    spec: (l) => ({ server: [`location /slow/ { proxy_pass http://127.0.0.1:${l.backends.slow}; proxy_read_timeout 1s; }`] }),
    drive: (l, s) => l.requests(s, '/slow/x', 3, 3),
  },
  {
    name: 'header too big',
    expect: 'header-too-big',
    status: 502,
    spec: (l) => ({ server: [`location /big/ { proxy_pass http://127.0.0.1:${l.backends.bigHeader}; proxy_buffer_size 1k; }`] }),
    drive: (l, s) => l.requests(s, '/big/x', 3, 3),
  },
  {
    name: 'DNS failure',
    expect: 'dns-failure',
    status: 502,
    spec: (l) => ({
      server: [`location /dns/ { resolver 127.0.0.1:${l.backends.dns} valid=1s ipv6=off; resolver_timeout 3s; set $api api.backend.invalid; proxy_pass http://$api:8080; }`],
    }),
    drive: (l, s) => l.requests(s, '/dns/x', 3, 3),
  },
  {
    name: 'TLS to plain HTTP',
    expect: 'upstream-tls',
    status: 502,
    spec: (l) => ({ server: [`location /tls/ { proxy_pass https://127.0.0.1:${l.backends.ok}; }`] }),
    drive: (l, s) => l.requests(s, '/tls/x', 3, 3),
  },
];

describe('ngx502 diagnose on the lab', { skip, concurrency: false }, () => {
  for (const sc of SCENARIOS) {
    test(`${sc.name} -> ${sc.expect}`, { timeout: 60_000 }, async () => {
      const site = await lab.site({ name: sc.name.replace(/\W+/g, '-').toLowerCase(), ...sc.spec(lab) });
      try {
        // The healthy parts of the site answer.
        assert.deepEqual((await lab.requests(site, '/health')).counts, { 200: 1 });
        const drove = await sc.drive(lab, site);
        assert.ok(drove.counts[sc.status] > 0, `expected some ${sc.status}s, got ${JSON.stringify(drove.counts)}`);
        const r = await lab.diagnose();
        report(sc.name, r, drove);
        if (process.env.NGX502_LAB_VERBOSE) console.log(explain(r, site).replace(/^/gm, '#   '));
        assert.equal(r.code, 0, r.stderr);
        const causes = causesOf(r);
        assert.equal(causes[0]?.id, sc.expect, explain(r, site));
        assert.notEqual(causes[0].confidence, 'low', explain(r, site));
      } finally {
        await site.stop();
      }
    });
  }

  test('the healthy lab yields no cause at medium or high confidence', { timeout: 60_000 }, async () => {
    const site = await lab.site({ name: 'healthy' });
    try {
      const drove = await lab.requests(site, '/index.php', 5, 5);
      const more = await lab.requests(site, '/app/x', 5, 5);
      assert.deepEqual(drove.counts, { 200: 5 });
      assert.deepEqual(more.counts, { 200: 5 });
      const r = await lab.diagnose();
      report('healthy', r, drove);
      const causes = causesOf(r).filter((c) => c.confidence !== 'low');
      assert.deepEqual(causes.map((c) => c.id), [], explain(r, site));
    } finally {
      await site.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Security.

/** sha256 of every file under `dir` (symlinks and sockets by their kind), except what `skip` names. */
function snapshot(dir: string, skipFile: (rel: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (e.isDirectory()) {
        out.set(rel + '/', 'dir');
        walk(full);
      } else if (skipFile(rel) || !e.isFile()) out.set(rel, e.isFile() ? 'skipped' : e.isSocket() ? 'socket' : 'other');
      else out.set(rel, createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

describe('security', { skip, concurrency: false }, () => {
  test('an unknown host key is refused without --accept-new-host-key, and recorded with it', { timeout: 60_000 }, async () => {
    const kh = tempKnownHosts([], fs.mkdtempSync(path.join(tmp, 'kh-')));
    const refused = await lab.diagnose({ args: ['--known-hosts', kh], timeoutMs: 30_000 });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /host key/i);
    assert.match(refused.stderr, /127\.0\.0\.1/);
    assert.match(refused.stderr, /--accept-new-host-key|unknown|not known/i);
    assert.equal(fs.readFileSync(kh, 'utf8'), '', 'nothing recorded without the flag');

    const accepted = await lab.diagnose({ args: ['--known-hosts', kh, '--accept-new-host-key'], timeoutMs: 30_000 });
    assert.equal(accepted.code, 0, accepted.stderr);
    const recorded = fs.readFileSync(kh, 'utf8');
    const name = `[127.0.0.1]:${lab.sshd.port}`;
    // Recorded plain or hashed (|1|salt|hash, as OpenSSH's HashKnownHosts).
    const line = recorded.split('\n').find((l) => {
      const host = l.split(/\s+/)[0] ?? '';
      const m = /^\|1\|([^|]+)\|/.exec(host);
      return host === name || (m !== null && hashHostName(name, Buffer.from(m[1], 'base64')) === host);
    });
    assert.ok(line, `known_hosts holds ${name}: ${recorded}`);
    const blob = line.split(/\s+/)[2];
    assert.ok(lab.sshd.hostKeys.some((k) => k.blob.toString('base64') === blob), 'the recorded key is the server\'s');
    // Now known: accepted without the flag.
    const again = await lab.diagnose({ args: ['--known-hosts', kh], timeoutMs: 30_000 });
    assert.equal(again.code, 0, again.stderr);
  });

  test('a changed host key is refused, with both fingerprints', { timeout: 60_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'changed-'));
    // Other keys of every type the server has, under its name.
    const fakes = lab.sshd.hostKeys.map((k, i) => keygen(path.join(dir, `fake${i}`), k.type === 'ssh-ed25519' ? 'ed25519' : k.type.startsWith('ecdsa') ? 'ecdsa' : 'rsa'));
    const kh = tempKnownHosts(fakes.map((f) => `[127.0.0.1]:${lab.sshd.port} ${f.type} ${f.blob.toString('base64')}`), dir);
    const before = fs.readFileSync(kh, 'utf8');
    for (const extra of [[], ['--accept-new-host-key']]) {
      const r = await lab.diagnose({ args: ['--known-hosts', kh, ...extra], timeoutMs: 30_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /host key/i);
      assert.ok(lab.sshd.hostKeys.some((k) => r.stderr.includes(fingerprintOf(k.blob))), `the presented key's fingerprint is in: ${r.stderr}`);
      assert.ok(fakes.some((f) => r.stderr.includes(fingerprintOf(f.blob))), `the known key's fingerprint is in: ${r.stderr}`);
      assert.equal(fs.readFileSync(kh, 'utf8'), before, 'known_hosts is not changed');
    }
  });

  test('shell metacharacters in config paths run nothing', { timeout: 60_000 }, async () => {
    const dir = path.join(lab.root, 'meta');
    const evil = [`${dir}/x;touch ${dir}/pwned1`, `${dir}/logs/$(touch ${dir}/pwned2)`, `${dir}/logs/\`touch ${dir}/pwned3\``, `${dir}/logs/a|touch ${dir}/pwned4&`];
    for (const p of evil) fs.mkdirSync(path.dirname(p), { recursive: true });
    const q = (s: string) => `"${s}"`;
    const site = await lab.site({
      name: 'meta',
      errorLog: evil[0],
      http: [`error_log ${q(evil[1])};`, `access_log ${q(evil[3])};`],
      server: [`error_log ${q(evil[2])};`, `location /sock/ { fastcgi_pass ${q(`unix:${dir}/run/s;touch ${dir}/pwned5`)}; }`],
    });
    try {
      const drove = await lab.requests(site, '/sock/x', 2);
      assert.deepEqual(drove.counts, { 502: 2 });
      const r = await lab.diagnose();
      assert.equal(r.code, 0, r.stderr);
      const probes = r.json!.targets[0].probes;
      // The log with ';' in its name was found and read (as data).
      assert.equal(probes.find((p) => p.id === `log:${evil[0]}`)?.status, 'ok', JSON.stringify(probes));
      const pwned = fs.readdirSync(dir).filter((f) => f.startsWith('pwned'));
      assert.deepEqual(pwned, [], 'no command in a path ran');
      const home = fs.readdirSync(lab.home).filter((f) => f.startsWith('pwned'));
      assert.deepEqual(home, []);
      assert.ok(!fs.existsSync('/root/pwned1') && !fs.existsSync(`${os.homedir()}/pwned1`));
    } finally {
      await site.stop();
    }
  });

  test('no probe writes anything on the host', { timeout: 60_000 }, async () => {
    const site = await lab.site({ name: 'readonly', server: [`location /closed/ { proxy_pass http://127.0.0.1:${lab.backends.closed}; }`] });
    try {
      await lab.requests(site, '/index.php', 3, 3);
      await lab.requests(site, '/closed/x', 3, 3);
      // Logs nginx and PHP-FPM append to, sockets and pid files are theirs to change.
      const skipFile = (rel: string) => /(^|\/)logs\//.test(rel) || /(^|\/)run\//.test(rel);
      const before = snapshot(lab.root, skipFile);
      const r = await lab.diagnose();
      assert.equal(r.code, 0, r.stderr);
      const afterSnap = snapshot(lab.root, skipFile);
      const changed = [...new Set([...before.keys(), ...afterSnap.keys()])].filter((k) => before.get(k) !== afterSnap.get(k));
      assert.deepEqual(changed, [], 'files created, removed or changed by the diagnosis');
    } finally {
      await site.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Faults.

/** A folder of symlinks to every command in PATH except `without`; `fakes` are scripts put in it. */
function fakePath(name: string, without: string[], fakes: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (without.includes(n) || n in fakes || fs.existsSync(path.join(dir, n))) continue;
      try {
        fs.symlinkSync(path.join(d, n), path.join(dir, n));
      } catch {
        // A name seen twice (merged /usr).
      }
    }
  }
  for (const [n, src] of Object.entries(fakes)) fs.writeFileSync(path.join(dir, n), src, { mode: 0o755 });
  return dir;
}

describe('faults', { skip, concurrency: false }, () => {
  test('connection refused: exit 2 and a clear message, quickly', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const r = await lab.diagnose({ target: `root@127.0.0.1:${port}`, timeoutMs: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /refused/i);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  test('authentication failure: exit 2 and a clear message, quickly', { timeout: 30_000 }, async () => {
    const wrong = keygen(path.join(tmp, 'wrong-key'), 'ed25519');
    const r = await runCli([process.execPath, CLI, 'diagnose', lab.target, '--json', '--identity', wrong.path, '--known-hosts', lab.knownHosts], { ...process.env, HOME: lab.home, SSH_AUTH_SOCK: '' }, 20_000);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /authenticat|permission denied/i);
    assert.match(r.stderr, /root@127\.0\.0\.1/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  test('sshd killed mid-diagnosis: a result or a clear error, no hang', { timeout: 60_000 }, async () => {
    // A second sshd whose sessions find an `ss` that hangs (its probe waits 10 s for it): the
    // diagnosis is surely still running when sshd and its sessions are killed.
    const hang = fakePath('hang-ssh', [], { ss: '#!/bin/sh\nsleep 30\n' });
    const site = await lab.site({ name: 'sshd-killed' });
    const s = await startSshd({ extraConfig: [`ForceCommand PATH=${hang}; export PATH; exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"`] });
    try {
      const kh = tempKnownHosts(s.knownHostsLines(), fs.mkdtempSync(path.join(tmp, 'kh-')));
      let killed: Promise<void> | undefined;
      let killedAt = 0;
      const t0 = Date.now();
      const r = await runCli(
        [process.execPath, CLI, 'diagnose', `root@127.0.0.1:${s.port}`, '--json', '--identity', s.clientKey.path, '--known-hosts', kh, '--since', '10m'],
        { ...process.env, HOME: lab.home, SSH_AUTH_SOCK: '' },
        45_000,
        () => {
          // At its first progress line the CLI is connecting; a second later the probes run (and
          // the hanging one holds the diagnosis for 10 s).
          if (!killed) {
            killed = new Promise((res) => setTimeout(res, 1000)).then(() => {
              killedAt = Date.now();
              return s.stop();
            });
          }
        },
      );
      const endedAt = t0 + r.ms;
      await killed;
      assert.equal(r.timedOut, false, 'the CLI hung');
      assert.ok(killedAt > 0 && killedAt < endedAt, `sshd was killed during the diagnosis:\n${r.stderr}`);
      assert.equal(r.code, 2, `${r.stderr}\n${r.stdout.slice(0, 500)}`);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${s.port}`));
      assert.match(r.stderr, /disconnect|connection|closed|lost/i);
      assert.ok(endedAt - killedAt < 10_000, `it took ${endedAt - killedAt} ms after sshd died to report it`);
      console.log(`# sshd killed mid-diagnosis: exit ${r.code} ${endedAt - killedAt} ms after the kill: ${r.stderr.trim().split('\n').at(-1)}`);
    } finally {
      await s.stop();
      await site.stop();
    }
  });

  test('a 1 GB error log is read at its tail only', { timeout: 60_000 }, async () => {
    const site = await lab.site({ name: 'big-log', server: [`location /closed/ { proxy_pass http://127.0.0.1:${lab.backends.closed}; }`] });
    try {
      // Sparse: 1 GB of holes, then nginx appends real lines (O_APPEND) at the end.
      fs.truncateSync(site.logs.error, 1 << 30);
      const drove = await lab.requests(site, '/closed/x', 4, 4);
      assert.deepEqual(drove.counts, { 502: 4 });
      assert.ok(fs.statSync(site.logs.error).size > 1 << 30);
      const r = await lab.diagnose();
      report('1 GB error log', r, drove);
      const causes = causesOf(r);
      assert.equal(causes[0]?.id, 'upstream-refused', explain(r, site));
      const probe = r.json!.targets[0].probes.find((p) => p.id === `log:${site.logs.error}`);
      assert.equal(probe?.status, 'ok');
      assert.ok(probe!.durationMs < 3000, `reading the tail took ${probe!.durationMs} ms`);
      assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
      const ev = causes[0].evidence.find((e) => e.source === 'nginx error log');
      assert.equal(ev?.count, 4, 'the 4 lines at the end were found');
    } finally {
      await site.stop();
    }
  });

  test('a probe that hangs is cut by its timeout (local target)', { timeout: 60_000 }, async () => {
    const hang = fakePath('hang-local', [], { ss: '#!/bin/sh\nsleep 30\n' });
    const site = await lab.site({ name: 'hang' });
    try {
      const r = await lab.diagnose({ target: 'local', env: { PATH: hang }, timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const probes = r.json!.targets[0].probes;
      const listeners = probes.find((p) => p.id === 'listeners');
      assert.equal(listeners?.status, 'timeout', JSON.stringify(probes));
      assert.ok(r.ms < 25_000, `took ${r.ms} ms`);
      console.log(`# hanging ss: listeners ${listeners?.status} after ${listeners?.durationMs} ms; diagnose ${r.ms} ms`);
    } finally {
      await site.stop();
    }
  });

  test('a host without ss, systemctl and journalctl still completes', { timeout: 60_000 }, async () => {
    const bare = fakePath('bare', ['ss', 'systemctl', 'journalctl']);
    const site = await lab.site({ name: 'bare' });
    try {
      const r = await lab.diagnose({ target: 'local', env: { PATH: bare }, timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const probes = r.json!.targets[0].probes;
      const status = (id: string) => probes.find((p) => p.id === id)?.status;
      assert.equal(status('listeners'), 'missing', JSON.stringify(probes));
      assert.equal(status('units'), 'missing', JSON.stringify(probes));
      assert.equal(status('config-files'), 'ok', 'the configuration is read without nginx -T');
      assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    } finally {
      await site.stop();
    }
  });
});
