// The kernel log parser on real dmesg output (a memcg OOM kill of a PHP-FPM worker, a segfault)
// and on the hand-written forms (AVC, conntrack, SYN flooding, journal, kern.log, dmesg -r).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKernelLog } from '../../client/src/diagnosis/logs/kernel-log';
import { parsePhpFpmLog } from '../../client/src/diagnosis/logs/php-fpm-log';
import { toUtcMs } from '../../client/src/diagnosis/logs/time';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const manifest = JSON.parse(read('MANIFEST.json')) as { bootUtcMs: number };

test('real dmesg: the memcg OOM kill names the PHP-FPM worker FPM saw die of SIGKILL', () => {
  const k = parseKernelLog(read('dmesg.log'));
  assert.equal(k.unparsed, 0);
  const killed = k.events.find((e) => e.kind === 'oom-killed')!;
  assert.equal(killed.comm, 'php-fpm8.2');
  assert.equal(killed.cgroup, true);
  assert.equal(killed.uid, 65534);
  assert.ok(killed.anonRssKb! > 50_000);
  const fpm = parsePhpFpmLog(read('php-fpm-oom.log')).events.find((e) => e.kind === 'child-signal')!;
  assert.equal(killed.pid, fpm.pid);
  const constraint = k.events.find((e) => e.kind === 'oom-constraint')!;
  assert.equal(constraint.pid, killed.pid);
  assert.equal(constraint.comm, 'php-fpm8.2');
  assert.match(constraint.memcg!, /ngx502-oom-/);
  assert.ok(k.events.some((e) => e.kind === 'oom-invoked' && e.comm === 'php-fpm8.2'));
  const segv = k.events.find((e) => e.kind === 'segfault')!;
  assert.equal(segv.comm, 'python3');
  assert.equal(segv.address, '0');
  assert.equal(segv.object, 'libc.so.6');
  assert.ok(k.other > 20, 'the call trace and task table are read as other lines');

  // dmesg -T shows the same events at wall-clock times; dmesg's seconds + boot time agree with them.
  const t = parseKernelLog(read('dmesg-T.log'));
  const killedT = t.events.find((e) => e.kind === 'oom-killed')!;
  assert.equal(killedT.pid, killed.pid);
  const mono = toUtcMs(killed.time, { offsetMin: 0, bootUtcMs: manifest.bootUtcMs })!;
  const human = toUtcMs(killedT.time, { offsetMin: 0 })!;
  assert.ok(Math.abs(mono - human) < 5_000, `dmesg ${new Date(mono).toISOString()} vs dmesg -T ${new Date(human).toISOString()}`);
});

test('hand-written forms: AVC, conntrack, SYN flooding, journal, kern.log, dmesg -r, traps', () => {
  const k = parseKernelLog(read('kernel-handwritten.log'), { year: 2024 });
  const by = (kind: string) => k.events.filter((e) => e.kind === kind);
  assert.equal(by('conntrack-full').length, 2);
  const syn = by('syn-flood');
  assert.deepEqual(syn.map((s) => [s.listen, s.port]), [['0.0.0.0:8080', 8080], ['[::]:443', 443], ['9000', 9000]]);
  const avc = by('avc-denied');
  assert.equal(avc.length, 3);
  assert.deepEqual([avc[0].permission, avc[0].comm, avc[0].dest, avc[0].tclass, avc[0].permissive, avc[0].pid], ['name_connect', 'nginx', 9000, 'tcp_socket', false, 845]);
  assert.equal(avc[0].scontext, 'system_u:system_r:httpd_t:s0');
  assert.equal(avc[0].time!.wallMs, Date.UTC(2024, 11, 17, 0, 57, 23));
  assert.deepEqual([avc[1].permission, avc[1].target, avc[1].tclass], ['connectto', '/run/php-fpm/www.sock', 'unix_stream_socket']);
  assert.equal(toUtcMs(avc[1].time), 1734393443741, 'audit(EPOCH) is UTC');
  assert.equal(avc[2].permissive, true);
  const oom = by('oom-killed');
  assert.deepEqual(oom.map((o) => [o.pid, o.comm, o.cgroup ?? false]), [[12345, 'php-fpm8.2', false], [4242, 'php-fpm7.4', false]]);
  assert.deepEqual(by('oom-invoked').map((o) => [o.pid, o.comm]), [[4242, 'php-fpm7.4']]);
  assert.equal(oom[0].time!.offsetMin, 0);
  const c = by('oom-constraint')[0];
  assert.deepEqual([c.pid, c.comm, c.uid], [12345, 'php-fpm8.2', 33]);
  assert.equal(c.time!.wallMs, Date.UTC(2024, 11, 17, 0, 57, 24, 123));
  const seg = by('segfault')[0];
  assert.deepEqual([seg.comm, seg.pid, seg.object], ['php-fpm8.2', 23456, 'opcache.so']);
  assert.equal(seg.time!.yearGuessed, true);
  assert.equal(by('unit-oom')[0].comm, 'php8.2-fpm.service');
  assert.deepEqual([by('trap')[0].comm, by('trap')[0].pid], ['php-fpm8.2', 5555]);
  assert.equal(by('tcp-mem').length, 1);
  assert.equal(by('orphan-sockets').length, 1);
  assert.equal(k.other, 1);
});

test('garbage and binary never throw', () => {
  const r = parseKernelLog(['\u0000\u0001\u0002', '[ 12.5', '[Mon Foo 31 25:61:61 2024] x', 'Out of memory: Killed process', 'avc:  denied  {', 'x[1]: segfault at', '', '\uFFFD\uFFFD'].join('\n'));
  assert.equal(r.events.length, 0);
  assert.equal(r.lines, 8);
  assert.ok(r.unparsed >= 1);
});
