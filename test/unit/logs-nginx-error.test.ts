// The nginx error.log parser on the real lines of test/fixtures/logs (MANIFEST.json says which
// signatures each request path must show) and on hand-written edge cases: musl errno texts,
// garbage, binary, truncated lines, lines from a future nginx, hostile trailer look-alikes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { groupRequests, parseNginxErrorLog, parsePeer, requestPath, type NginxErrorEntry, type NginxSignatureId } from '../../client/src/diagnosis/logs/nginx-error';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const manifest = JSON.parse(fs.readFileSync(path.join(FIX, 'MANIFEST.json'), 'utf8')) as { scenarios: { instance: string; path: string; expect: string[]; statuses: number[] }[] };

const L = (msg: string, level = 'error', cid: number | null = 7) => `2026/11/24 16:29:32 [${level}] 28738#28738: ${cid === null ? '' : `*${cid} `}${msg}`;
const TRAILER = ', client: 127.0.0.1, server: , request: "GET /x HTTP/1.1", upstream: "http://10.0.0.5:8080/x", host: "example.com"';
const one = (line: string): NginxErrorEntry => {
  const r = parseNginxErrorLog(line);
  assert.equal(r.entries.length, 1, `one entry from ${line}`);
  return r.entries[0];
};

test('real fixtures: every scenario request shows its signatures', () => {
  const logs: Record<string, NginxErrorEntry[]> = {};
  for (const inst of ['main', 'netns']) {
    const r = parseNginxErrorLog(read(`nginx-${inst}.error.log`));
    assert.equal(r.unparsed, 0, `${inst}: unparsed ${r.unparsedSamples.join(' | ')}`);
    logs[inst] = r.entries;
  }
  let checked = 0;
  for (const s of manifest.scenarios) {
    const groups = groupRequests(logs[s.instance]).filter((g) => requestPath(g.request) === s.path);
    const found = new Set(groups.flatMap((g) => g.signatures));
    for (const want of s.expect) {
      const alternatives = want.split('|');
      assert.ok(alternatives.some((w) => found.has(w as NginxSignatureId)), `${s.instance} ${s.path}: want ${want}, found ${[...found].join(', ') || 'nothing'}`);
      checked++;
    }
    if (s.expect.length === 0) {
      const bad = [...found].filter((f) => f !== 'fastcgi-stderr');
      assert.deepEqual(bad, [], `${s.path}: a healthy request has no failure signature`);
    }
  }
  assert.ok(checked >= 40, `checked ${checked} expectations`);
});

test('real fixtures: the lines with no connection (resolver, worker_connections, fd, emerg)', () => {
  const main = parseNginxErrorLog(read('nginx-main.error.log')).entries;
  const resolver = main.find((e) => e.signature === 'resolver-unreachable')!;
  assert.equal(resolver.cid, undefined);
  assert.equal(resolver.errno, 111);
  assert.equal(resolver.action, 'resolving');
  assert.match(resolver.fields!.resolver, /^127\.0\.0\.1:\d+$/);

  const limits = parseNginxErrorLog(read('nginx-limits.error.log'));
  const wc = limits.entries.filter((e) => e.signature === 'worker-connections');
  const up = wc.find((e) => e.cid !== undefined)!;
  assert.deepEqual([up.level, up.message, up.action, up.request], ['alert', '5 worker_connections are not enough', 'connecting to upstream', 'GET /wc/1 HTTP/1.1']);
  assert.ok(wc.some((e) => e.cid === undefined && /^5 worker_connections are not enough(, reusing connections)?$/.test(e.message)), 'the accept path: no connection, no action');

  const nofile = parseNginxErrorLog(read('nginx-nofile.error.log')).entries.filter((e) => e.signature === 'too-many-open-files');
  assert.ok(nofile.length >= 1);
  assert.equal(nofile[0].level, 'alert');

  const emerg = one(read('nginx-emerg.error.log').trim());
  assert.equal(emerg.signature, 'emerg-host-not-found');
  assert.equal(emerg.resolveName, 'backend.example.invalid:8080');
  assert.match(emerg.configFile!, /nginx-emerg\.conf$/);
  assert.equal(emerg.configLine, 3);
});

test('real fixtures: peers, FastCGI stderr with quotes and a fake trailer, multi-line stack traces', () => {
  const r = parseNginxErrorLog(read('nginx-main.error.log'));
  const by = (p: string) => r.entries.filter((e) => requestPath(e.request) === p);

  const missing = by('/s/socket-missing')[0];
  assert.equal(missing.peer!.scheme, 'fastcgi');
  assert.match(missing.peer!.unix!, /\/run\/php7\.4-fpm\.sock$/);
  assert.equal(missing.level, 'crit');

  const stderr = by('/stderr.php').find((e) => e.signature === 'fastcgi-stderr')!;
  assert.equal(stderr.fastcgiStderr, 'PHP message: custom "quoted", message, client: 1.2.3.4, server: evil');
  assert.equal(stderr.client, '127.0.0.1');
  assert.equal(stderr.action, 'reading response header from upstream');

  const uncaught = by('/s/uncaught').find((e) => e.signature === 'fastcgi-stderr')!;
  assert.ok(uncaught.raw.split('\n').length >= 5, 'the stack trace lines are joined to their entry');
  assert.match(uncaught.fastcgiStderr!, /Uncaught RuntimeException: boom, client: 9\.9\.9\.9, server: "x".*\n#1 \{main\}\n {2}thrown in/s);
  assert.equal(uncaught.server, '');
  assert.equal(uncaught.request, 'GET /s/uncaught HTTP/1.1');

  const dead = groupRequests(r.entries).filter((g) => requestPath(g.request) === '/s/dead-pair');
  assert.equal(dead[0].peers.length, 2, 'one line per peer tried, grouped');
  const nolive = dead.flatMap((g) => g.entries).find((e) => e.signature === 'no-live-upstreams')!;
  assert.equal(nolive.peer!.group, 'dead_pair');

  const tls = by('/s/tls-cipher')[0];
  assert.equal(tls.sslAlert, 40);
  const verify = by('/s/tls-verify')[0];
  assert.equal(verify.verifyError!.code, 21);

  const binary = r.entries.find((e) => e.message.startsWith('client sent invalid method'));
  assert.ok(binary, 'the TLS ClientHello request line parses as an entry');
});

test('errno numbers, not texts: glibc and musl wordings give the same signature', () => {
  const cases: [string, NginxSignatureId][] = [
    ['upstream timed out (110: Connection timed out) while connecting to upstream', 'connect-timeout'],
    ['upstream timed out (110: Operation timed out) while connecting to upstream', 'connect-timeout'],
    ['upstream timed out (110: Operation timed out) while reading response header from upstream', 'read-timeout'],
    ['connect() failed (113: No route to host) while connecting to upstream', 'no-route'],
    ['connect() failed (113: Host is unreachable) while connecting to upstream', 'no-route'],
    ['connect() to 10.0.0.5:8080 failed (99: Cannot assign requested address) while connecting to upstream', 'ephemeral-ports'],
    ['connect() to 10.0.0.5:8080 failed (99: Address not available) while connecting to upstream', 'ephemeral-ports'],
    ['socket() failed (24: Too many open files) while connecting to upstream', 'too-many-open-files'],
    ['socket() failed (24: No file descriptors available) while connecting to upstream', 'too-many-open-files'],
    ['connect() failed (111: Connection refused) while connecting to upstream', 'connect-refused'],
    ['connect() failed (111: Connection refused by peer) while connecting to upstream', 'connect-refused'],
    ['recv() failed (104: Connection reset by peer) while reading response header from upstream', 'reset-by-peer'],
    ['readv() failed (104: Connection reset by network) while reading response header from upstream', 'reset-by-peer'],
    ['connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream', 'eagain'],
    ['connect() to unix:/run/php/php8.2-fpm.sock failed (11: Try again) while connecting to upstream', 'eagain'],
    ['connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream', 'unix-socket-missing'],
    ['connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream', 'unix-socket-refused'],
    ['connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream', 'permission-denied'],
    ['connect() to 127.0.0.1:9000 failed (13: Permission denied) while connecting to upstream', 'permission-denied'],
    ['connect() to [2001:db8::1]:80 failed (101: Network unreachable) while connecting to upstream', 'net-unreachable'],
    ['writev() failed (32: Broken pipe) while sending request to upstream', 'broken-pipe'],
    ['backend.internal could not be resolved (3: Host not found)', 'dns-not-resolved'],
    ['backend.internal could not be resolved (110: Operation timed out)', 'dns-not-resolved'],
  ];
  for (const [msg, sig] of cases) {
    const e = one(L(msg) + TRAILER);
    assert.equal(e.signature, sig, msg);
    assert.equal(e.host, 'example.com', msg);
  }
  const e = one(L('connect() failed (113: Host is unreachable) while connecting to upstream') + TRAILER);
  assert.equal(e.errno, 113);
  assert.equal(e.errnoText, 'Host is unreachable');
});

test('other signatures written by hand (old builds, alpine, other modules)', () => {
  const cases: [string, NginxSignatureId | undefined][] = [
    [L('upstream prematurely closed connection while reading response header from upstream') + TRAILER, 'prematurely-closed'],
    [L('upstream prematurely closed connection while reading upstream') + TRAILER, 'upstream-body-truncated'],
    [L('upstream sent invalid status "foo" while reading response header from upstream') + TRAILER, 'invalid-header'],
    [L('upstream sent duplicate header line: "Content-Length: 4", previous value: "Content-Length: 5" while reading response header from upstream') + TRAILER, 'invalid-header'],
    [L('upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading response header from upstream') + TRAILER, 'invalid-header'],
    [L('FastCGI sent in stderr: "Access to the script \'/var/www/x.txt\' has been denied (see security.limit_extensions)" while reading response header from upstream') + TRAILER, 'fpm-access-denied'],
    [L('upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream') + TRAILER, 'ssl-verify-error'],
    [L('peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream') + TRAILER, 'ssl-handshake-failure'],
    [L('upstream timed out (110: Connection timed out) while SSL handshaking to upstream') + TRAILER, 'connect-timeout'],
    [L('upstream timed out (110: Connection timed out) while sending request to upstream') + TRAILER, 'send-timeout'],
    [L('no live upstreams while connecting to upstream', 'error') + ', client: 10.1.1.1, server: app.example, request: "GET / HTTP/1.1", upstream: "http://backend/", host: "app.example"', 'no-live-upstreams'],
    [L('send() failed (111: Connection refused) while resolving, resolver: 10.0.0.2:53', 'error', null), 'resolver-unreachable'],
    [L('accept4() failed (24: Too many open files)', 'crit', null), 'too-many-open-files'],
    [L('1024 worker_connections are not enough while connecting to upstream', 'alert') + TRAILER, 'worker-connections'],
    [L('1024 worker_connections exceed open file resource limit: 1000', 'warn', null), 'worker-connections-exceed-nofile'],
    [L('worker process 2345 exited on signal 11 (core dumped)', 'alert', null), 'worker-crash'],
    [L('open() "/var/www/x" failed (2: No such file or directory)') + ', client: 1.1.1.1, server: _, request: "GET /x HTTP/1.1", host: "a"', undefined],
    [L('client intended to send too large body: 1048577 bytes', 'error') + ', client: 1.1.1.1, server: _, request: "POST /up HTTP/1.1", host: "a"', undefined],
  ];
  for (const [line, sig] of cases) assert.equal(one(line).signature, sig, line);
  const old = one('2015/03/02 10:11:12 [error] 6536#0: *1 connect() failed (111: Connection refused) while connecting to upstream, client: ::1, server: localhost, request: "GET / HTTP/1.0", upstream: "http://[::1]:3000/", host: "localhost"');
  assert.equal(old.tid, 0);
  assert.equal(old.peer!.host, '::1');
  assert.equal(old.peer!.port, 3000);
});

test('peers: unix with and without trailing colon, URIs, IPv6, groups', () => {
  assert.deepEqual(parsePeer('fastcgi://unix:/run/php/php8.2-fpm.sock:', true), { text: 'fastcgi://unix:/run/php/php8.2-fpm.sock:', scheme: 'fastcgi', unix: '/run/php/php8.2-fpm.sock' });
  assert.equal(parsePeer('fastcgi://unix:/run/php/php8.2-fpm.sock', true).unix, '/run/php/php8.2-fpm.sock');
  assert.deepEqual(parsePeer('http://unix:/tmp/app.sock:/api/x?y=1', true), { text: 'http://unix:/tmp/app.sock:/api/x?y=1', scheme: 'http', unix: '/tmp/app.sock', uri: '/api/x?y=1' });
  assert.deepEqual(parsePeer('http://10.0.0.5:8080/path?q=1', true), { text: 'http://10.0.0.5:8080/path?q=1', scheme: 'http', host: '10.0.0.5', port: 8080, uri: '/path?q=1' });
  assert.deepEqual(parsePeer('https://[2001:db8::5]:8443/', true), { text: 'https://[2001:db8::5]:8443/', scheme: 'https', host: '2001:db8::5', port: 8443, uri: '/' });
  assert.equal(parsePeer('http://backend_pool/x', true).group, 'backend_pool');
  assert.equal(parsePeer('unix:/x.sock', false).unix, '/x.sock');
  assert.equal(parsePeer('[::1]:8081', false).host, '::1');
});

test('the trailer: a fake one inside the message, an empty server, a truncated line, unknown keys', () => {
  const fake = one(L('FastCGI sent in stderr: "PHP message: x, client: 6.6.6.6, server: evil, request: "GET /evil HTTP/1.1", host: "evil"" while reading response header from upstream, client: 10.0.0.1, server: shop, request: "GET /real HTTP/1.1", upstream: "fastcgi://unix:/run/php.sock:", host: "shop.example"'));
  assert.equal(fake.client, '10.0.0.1');
  assert.equal(fake.request, 'GET /real HTTP/1.1');
  assert.equal(fake.fastcgiStderr, 'PHP message: x, client: 6.6.6.6, server: evil, request: "GET /evil HTTP/1.1", host: "evil"');

  const hostileRequest = one(L('connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: , request: "GET /a", client: 1.1.1.1, server: x, host: "y HTTP/1.1", upstream: "http://10.0.0.5:80/a", host: "shop"'));
  assert.equal(hostileRequest.client, '10.0.0.1');
  assert.equal(hostileRequest.signature, 'connect-refused');

  const truncated = one(L('upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: x, request: "GET /very/long/uri/that/was/cut'));
  assert.equal(truncated.truncated, true);
  assert.equal(truncated.request, 'GET /very/long/uri/that/was/cut');
  assert.equal(truncated.signature, 'read-timeout');

  const cutInClient = one(L('connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.'));
  assert.equal(cutInClient.signature, 'connect-refused');

  const future = one(L('connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: x, request: "GET / HTTP/3", upstream: "http://10.0.0.5:80/", host: "a", trace id: "abc-123", quic: on'));
  assert.equal(future.host, 'a');
  assert.deepEqual(future.fields, { 'trace id': 'abc-123', quic: 'on' });

  const stream = one(L('connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: 0.0.0.0:5432, upstream: "10.0.0.5:5432", bytes from/to client:0/0, bytes from/to upstream:0/0', 'error', 3));
  assert.equal(stream.upstream, '10.0.0.5:5432');
  assert.equal(stream.peer!.port, 5432);
});

test('garbage, binary, other formats, a future nginx: counted, never thrown', () => {
  const text = [
    '\u0000\u0001\u0002binary\uFFFD\uFFFD',
    'Nov 24 16:29:32 web1 nginx[123]: something from syslog',
    '127.0.0.1 - - [24/Nov/2026:16:31:36 +0530] "GET / HTTP/1.1" 200 7 "-" "curl"',
    '2026/11/24 16:29:32 [fatal] 1#1: a level that does not exist',
    '2026/13/45 99:99:99 [error] 1#1: *1 impossible date',
    '2026/11/24 16:29:32.123456 [error] 28738#28738: *9 a future nginx with microseconds and a new message (999: Something new) while frobnicating upstream, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "h"',
    '2026/11/24 16:29:32 [error] 28738#28738: *10 ',
    '2026/11/24 16:29:32 [error] 28738#28738:',
    '2026/11/24 16:29',
    '',
    '\r',
    '"quoted", client: 1.2.3.4, server: x',
  ].join('\n');
  const r = parseNginxErrorLog(text);
  assert.equal(r.lines, 12);
  assert.equal(r.entries.length, 3);
  assert.equal(r.unparsed, 7);
  const future = r.entries.find((e) => e.cid === 9)!;
  assert.equal(future.errno, 999);
  assert.equal(future.action, 'frobnicating upstream');
  assert.equal(future.signature, undefined);
  assert.equal(future.time.wallMs, Date.UTC(2026, 10, 24, 16, 29, 32, 123));
  const impossible = r.entries.find((e) => e.cid === 1)!;
  assert.equal(impossible.time.wallMs, 0, 'an impossible date parses with no time');
  assert.equal(r.unclassified, 3);
});

test('random bytes and mutations of real lines never throw', () => {
  const real = read('nginx-main.error.log').split('\n');
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 3000; i++) {
    let s = real[rnd(real.length)];
    for (let k = rnd(6); k > 0; k--) {
      const at = rnd(s.length + 1);
      const ins = ['"', ', client: ', ', server: ', ' while ', '(', ')', '\n', '\u0000', '*', '#', ':', ' (24: x)', ''][rnd(13)];
      s = s.slice(0, at) + ins + s.slice(at + rnd(10));
    }
    const r = parseNginxErrorLog(s + '\n' + String.fromCharCode(...Array.from({ length: rnd(50) }, () => rnd(65536))));
    assert.ok(r.lines >= 1);
  }
});

test('keepalive: one connection, two requests, two groups', () => {
  const text = [
    L('connect() failed (111: Connection refused) while connecting to upstream', 'error', 5) + ', client: 1.1.1.1, server: a, request: "GET /one HTTP/1.1", upstream: "http://10.0.0.5:80/one", host: "a"',
    L('connect() failed (111: Connection refused) while connecting to upstream', 'error', 5) + ', client: 1.1.1.1, server: a, request: "GET /one HTTP/1.1", upstream: "http://10.0.0.6:80/one", host: "a"',
    L('connect() failed (111: Connection refused) while connecting to upstream', 'error', 5) + ', client: 1.1.1.1, server: a, request: "GET /two HTTP/1.1", upstream: "http://10.0.0.5:80/two", host: "a"',
    L('client 1.1.1.1 closed keepalive connection', 'info', 5),
    '2026/11/24 16:29:32 [error] 999#999: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 1.1.1.1, server: a, request: "GET /one HTTP/1.1", upstream: "http://10.0.0.5:80/one", host: "a"',
  ].join('\n');
  const g = groupRequests(parseNginxErrorLog(text).entries);
  assert.equal(g.length, 3);
  assert.deepEqual(g.map((x) => [x.pid, x.request, x.peers.length, x.entries.length]), [
    [28738, 'GET /one HTTP/1.1', 2, 2],
    [28738, 'GET /two HTTP/1.1', 1, 2],
    [999, 'GET /one HTTP/1.1', 1, 1],
  ]);
});
