// Evidence and correlations on the real logs of one run (nginx and PHP-FPM at +0530, dmesg in
// seconds since boot), and on hand-written SELinux / SYN flood lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileLogFormat, summarizeAccess } from '../../client/src/diagnosis/logs/access-log';
import { accessEvidence, correlateAll, crashWithClosed, fpmEvidence, fpmSaturationNearNginx, kernelEvidence, nginxEvidence, oomKilledFpmChild, selinuxDeniedNginx, synFloodOnUpstream, terminateTimeoutWithClosed } from '../../client/src/diagnosis/logs/correlate';
import { MAX_SAMPLE_CHARS, MAX_SAMPLES, sampleLine } from '../../client/src/diagnosis/logs/evidence';
import { parseKernelLog } from '../../client/src/diagnosis/logs/kernel-log';
import { parseNginxErrorLog } from '../../client/src/diagnosis/logs/nginx-error';
import { parsePhpFpmLog } from '../../client/src/diagnosis/logs/php-fpm-log';
import { formatTime, parseOffset, toUtcMs, type HostClock } from '../../client/src/diagnosis/logs/time';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const manifest = JSON.parse(read('MANIFEST.json')) as { bootUtcMs: number };
// The lab ran with TZ=Asia/Kolkata: `date +%z` said +0530.
const clock: HostClock = { offsetMin: parseOffset('+0530')!, bootUtcMs: manifest.bootUtcMs };
const nginx = parseNginxErrorLog(read('nginx-main.error.log')).entries;
const fpm = parsePhpFpmLog(read('php-fpm-main.log')).events;

test('time: local wall clock + the host offset, offsets in the line, dmesg seconds + boot time', () => {
  assert.equal(parseOffset('+0530'), 330);
  assert.equal(parseOffset('-07:00'), -420);
  assert.equal(parseOffset('Z'), 0);
  assert.equal(parseOffset('+2500'), undefined);
  assert.equal(toUtcMs({ wallMs: Date.UTC(2026, 10, 24, 16, 30) }, clock), Date.UTC(2026, 10, 24, 11, 0));
  assert.equal(toUtcMs({ wallMs: Date.UTC(2026, 10, 24, 16, 30), offsetMin: 0 }, clock), Date.UTC(2026, 10, 24, 16, 30), 'the line\'s own offset wins');
  assert.equal(toUtcMs({ wallMs: 0, monoSec: 10.5 }, { offsetMin: 0, bootUtcMs: 1000 }), 11_500);
  assert.equal(toUtcMs({ wallMs: 0, monoSec: 10.5 }, { offsetMin: 0 }), undefined);
  assert.equal(toUtcMs({ wallMs: Date.UTC(2000, 0, 1), yearGuessed: true }, { offsetMin: 60, year: 2024 }), Date.UTC(2023, 11, 31, 23, 0));
  assert.equal(formatTime({ wallMs: Date.UTC(2026, 10, 24, 16, 30) }), '2026-11-24T16:30:00.000', 'no clock: the wall clock without a zone');
  // nginx's local 502s and the access log's +0530 timestamps fall on the same UTC minutes
  const access = compileLogFormat('combined');
  if ('error' in access) throw new Error(access.error);
  const minutes = new Set(summarizeAccess(access.parse(read('access-combined.log')).entries).minutes.filter((m) => m.s502 > 0).map((m) => m.minute));
  const eagain = nginx.find((e) => e.signature === 'eagain')!;
  const utc = toUtcMs(eagain.time, clock)!;
  assert.ok(minutes.has(new Date(Math.floor(utc / 60_000) * 60_000).toISOString()), 'the EAGAIN minute is a 502 minute of the access log');
});

test('evidence per source: counts, capped safe samples, first/last seen in UTC', () => {
  const ev = nginxEvidence(nginx, clock);
  const eagain = ev.find((e) => e.id === 'eagain')!;
  assert.equal(eagain.source, 'nginx-error');
  assert.equal(eagain.count, nginx.filter((e) => e.signature === 'eagain').length);
  assert.ok(eagain.count >= 3);
  assert.ok(eagain.samples.length <= MAX_SAMPLES);
  assert.match(eagain.summary, /tiny\.sock/);
  assert.match(eagain.firstSeen!, /^2026-11-24T11:\d\d:\d\d\.000Z$/);
  assert.ok(eagain.lastSeen! >= eagain.firstSeen!);
  assert.ok(ev.every((e) => e.samples.every((s) => s.length <= MAX_SAMPLE_CHARS + 1)));

  const f = fpmEvidence(fpm, clock);
  assert.ok(f.some((e) => e.id === 'fpm-max-children' && /pm\.max_children = 2/.test(e.summary) && /pool (www|busy)/.test(e.summary)));
  assert.ok(f.some((e) => e.id === 'fpm-child-signal-11'));
  assert.ok(f.some((e) => e.id === 'fpm-execution-timeout' && e.count === 1));

  const k = kernelEvidence(parseKernelLog(read('dmesg.log')).events, clock);
  const oom = k.find((e) => e.id === 'kernel-oom-killed')!;
  assert.match(oom.summary, /php-fpm8\.2 ×1/);

  const access = compileLogFormat('combined');
  if ('error' in access) throw new Error(access.error);
  const a = accessEvidence(summarizeAccess(access.parse(read('access-combined.log')).entries));
  assert.deepEqual(a.map((e) => e.id), ['access-502', 'access-504']);
  assert.match(a[0].summary, /top URIs \/s\/eagain/);

  assert.equal(sampleLine('a\u001b[31mred\u0000'), 'a\\x1b[31mred\\x00', 'control characters cannot reach the terminal');
  assert.equal(sampleLine('x'.repeat(500)).length, MAX_SAMPLE_CHARS + 1);
});

test('FPM saturation near EAGAIN: within the window, and per pool when the pool map is known', () => {
  const any = fpmSaturationNearNginx(nginx, fpm, clock)!;
  assert.equal(any.source, 'correlation');
  assert.deepEqual(any.sources, ['php-fpm', 'nginx-error']);
  assert.ok(any.count >= 3);
  assert.ok(any.samples.some((s) => s.includes('max_children')) && any.samples.some((s) => s.includes('(11: ')));
  // The EAGAIN came from the static pool "tiny", which logs nothing: with the map, no correlation
  // for it (the reference's "a saturated static pool leaves nothing in the PHP-FPM log").
  const poolOf = (p: { unix?: string }) => (p.unix ? /\/(\w+)\.sock$/.exec(p.unix)?.[1] : undefined);
  const strict = fpmSaturationNearNginx(nginx, fpm, clock, 120_000, poolOf)!;
  assert.ok(strict.samples.every((s) => !s.includes('tiny.sock')), 'no EAGAIN of the static pool');
  assert.ok(strict.samples.some((s) => s.includes('www.sock')), 'the www pool\'s header timeout with its own max_children');
  assert.ok(strict.count < any.count);
  assert.equal(fpmSaturationNearNginx(nginx, fpm, clock, 1), undefined, 'a 1 ms window finds nothing');
  const farClock = { ...clock, offsetMin: 0 };
  assert.equal(fpmSaturationNearNginx(nginx, fpm.map((e) => ({ ...e, time: e.time && { wallMs: e.time.wallMs, offsetMin: -600 } })), farClock), undefined, 'ten hours apart: no correlation');
});

test('request_terminate_timeout: FPM "execution timed out" + SIGTERM matched to nginx 104 on the same request', () => {
  const e = terminateTimeoutWithClosed(fpm, nginx, clock)!;
  assert.equal(e.count, 1);
  assert.ok(e.samples.some((s) => s.includes('execution timed out')));
  assert.ok(e.samples.some((s) => s.includes('exited on signal 15')));
  assert.ok(e.samples.some((s) => s.includes('GET /s/terminate?s=4 HTTP/1.1') && s.includes('(104: ')));
  assert.match(e.summary, /SIGTERM/);
});

test('crash: SIGSEGV worker with nginx losing requests', () => {
  const e = crashWithClosed(fpm, nginx, [], clock)!;
  assert.ok(e.count >= 1);
  assert.deepEqual(e.sources, ['php-fpm', 'nginx-error']);
  assert.match(e.summary, /signal 11/);
});

test('OOM: the kernel victim pid equals the FPM worker that died of SIGKILL (real run)', () => {
  const kernel = parseKernelLog(read('dmesg.log')).events;
  const oomFpm = parsePhpFpmLog(read('php-fpm-oom.log')).events;
  const e = oomKilledFpmChild(kernel, oomFpm, clock)!;
  assert.equal(e.count, 1);
  assert.match(e.summary, /memory cgroup/);
  assert.ok(e.samples.some((s) => s.includes('Killed process')) && e.samples.some((s) => s.includes('exited on signal 9')));
  // dmesg's seconds since boot, placed with the boot time, and FPM's local time agree within seconds
  assert.ok(Math.abs(Date.parse(e.firstSeen!) - Date.parse(e.lastSeen!)) < 5_000, `${e.firstSeen} .. ${e.lastSeen}`);
  // a pid seen in FPM's log but killed ten minutes later is not the same process
  const late = kernel.map((k) => (k.time ? { ...k, time: { ...k.time, monoSec: k.time.monoSec! + 3600 } } : k));
  assert.equal(oomKilledFpmChild(late, oomFpm, clock), undefined);
  assert.equal(oomKilledFpmChild(kernel, fpm, clock), undefined, 'the main pool\'s kill -9 was not the OOM killer');
});

test('SELinux and SYN flood (hand-written kernel lines)', () => {
  const kernel = parseKernelLog(read('kernel-handwritten.log'), { year: 2024 }).events;
  const at = '2024/12/17 00:57:23';
  const ng = parseNginxErrorLog(`${at} [crit] 845#845: *3 connect() to 127.0.0.1:9000 failed (13: Permission denied) while connecting to upstream, client: 1.1.1.1, server: a, request: "GET /index.php HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "a"\n${at} [error] 845#845: *5 upstream timed out (110: Connection timed out) while connecting to upstream, client: 1.1.1.1, server: a, request: "GET / HTTP/1.1", upstream: "http://10.0.0.5:8080/", host: "a"`).entries;
  const utc: HostClock = { offsetMin: 0 };
  const se = selinuxDeniedNginx(kernel, ng, utc)!;
  assert.deepEqual(se.sources, ['kernel', 'nginx-error']);
  assert.match(se.summary, /^SELinux denied nginx .*name_connect tcp_socket port 9000/);
  assert.match(se.summary, /connectto unix_stream_socket/);
  assert.match(se.summary, /1 "\(13: Permission denied\)"/);
  const syn = synFloodOnUpstream(kernel, ng, utc)!;
  assert.match(syn.summary, /port 9000, 8080|port 8080, 9000/);
  const all = correlateAll({ nginx: ng, kernel, clock: utc });
  assert.deepEqual(all.map((e) => e.id).sort(), ['selinux-denied-nginx', 'syn-flood-on-upstream']);
});

test('correlateAll on the real run finds the saturation, the terminate timeout and the crash', () => {
  const ids = correlateAll({ nginx, fpm, kernel: parseKernelLog(read('dmesg.log')).events, clock }).map((e) => e.id);
  for (const id of ['fpm-saturation-near-nginx', 'terminate-timeout-with-closed', 'crash-with-closed']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
});
