// The PHP-FPM log, slowlog and pool error log parsers on the real lines of test/fixtures/logs
// and on hand-written variants (syslog form, debug prefix, older wordings, garbage).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePhpFpmLog, parsePhpFpmSlowlog, type FpmEvent } from '../../client/src/diagnosis/logs/php-fpm-log';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const kinds = (ev: FpmEvent[]) => new Set(ev.map((e) => e.kind));

test('real php-fpm-main.log: saturation, timeouts, crashes, exits', () => {
  const r = parsePhpFpmLog(read('php-fpm-main.log'));
  assert.equal(r.unparsed, 0, r.unparsedSamples.join(' | '));
  const k = kinds(r.events);
  for (const want of ['running', 'ready', 'max-children', 'seems-busy', 'execution-timeout', 'slow', 'child-signal', 'child-exit-code', 'child-started', 'worker-output', 'terminating', 'exiting'] as const) {
    assert.ok(k.has(want), `has ${want}`);
  }
  const max = r.events.filter((e) => e.kind === 'max-children');
  assert.deepEqual(max.map((e) => [e.pool, e.maxChildren]).sort(), [['busy', 16], ['www', 2]]);
  const busy = r.events.find((e) => e.kind === 'seems-busy')!;
  assert.equal(busy.pool, 'busy');
  assert.equal(busy.idle, 0);
  assert.ok(busy.spawning! >= 8 && busy.total! > 0);

  const timeout = r.events.find((e) => e.kind === 'execution-timeout')!;
  assert.equal(timeout.request, 'GET /s/terminate?s=4');
  assert.match(timeout.script!, /\/www\/sleep\.php$/);
  assert.ok(timeout.seconds! >= 2 && timeout.seconds! < 3);
  const term = r.events.find((e) => e.kind === 'child-signal' && e.pid === timeout.pid)!;
  assert.equal(term.signal, 15);
  assert.equal(term.signalName, 'SIGTERM');

  const segv = r.events.find((e) => e.kind === 'child-signal' && e.signal === 11)!;
  assert.equal(segv.signalName, 'SIGSEGV');
  assert.equal(segv.coreDumped, false);
  assert.ok(r.events.some((e) => e.kind === 'child-signal' && e.signal === 9 && e.signalName === 'SIGKILL'));
  const code = r.events.find((e) => e.kind === 'child-exit-code')!;
  assert.equal(code.exitCode, 0);
  assert.equal(code.level, 'NOTICE');
  // local time without a zone: the wall clock as written
  const first = r.events[0];
  assert.equal(first.kind, 'running');
  assert.match(new Date(first.time!.wallMs).toISOString(), /^2026-11-24T16:\d\d:\d\d\.000Z$/);
  assert.equal(first.time!.offsetMin, undefined);
});

test('real bind failures, the OOM-killed worker, the slowlog and the pool PHP error log', () => {
  const bind = parsePhpFpmLog(read('php-fpm-bind.log') + read('php-fpm-bind2.log') + read('php-fpm-bind3.log')).events;
  const another = bind.find((e) => e.kind === 'another-instance')!;
  assert.match(another.address!, /\/run\/www\.sock$/);
  const b98 = bind.find((e) => e.kind === 'bind-failed' && e.errno === 98)!;
  assert.match(b98.address!, /^127\.0\.0\.1:\d+$/);
  assert.equal(b98.errnoText, 'Address already in use');
  assert.ok(bind.some((e) => e.kind === 'bind-failed' && e.errno === 2));
  assert.equal(bind.filter((e) => e.kind === 'init-failed').length, 3);

  const oom = parsePhpFpmLog(read('php-fpm-oom.log')).events.find((e) => e.kind === 'child-signal')!;
  assert.equal(oom.signal, 9);
  assert.equal(oom.pool, 'oom');

  const slow = parsePhpFpmSlowlog(read('php-fpm-slow.log'));
  assert.equal(slow.unparsed, 0);
  assert.ok(slow.entries.length >= 2);
  assert.equal(slow.entries[0].pool, 'www');
  assert.match(slow.entries[0].script!, /sleep\.php$/);
  assert.match(slow.entries[0].frames[0], /^usleep\(\) .*sleep\.php:1$/);

  const php = parsePhpFpmLog(read('php-errors.log'));
  assert.equal(php.unparsed, 0);
  const errs = php.events.filter((e) => e.kind === 'php-error');
  assert.equal(errs.length, 2);
  assert.equal(errs[0].time!.offsetMin, 0, '"UTC" in the PHP error log is a zone');
  assert.ok(errs[0].raw.includes('\n#1 {main}'), 'the stack trace stays with its error');
  assert.match(errs[1].message, /^PHP Fatal error: {2}Allowed memory size of 8388608 bytes exhausted/);
});

test('hand-written forms: syslog, debug, older wordings, ondemand, core dumped', () => {
  const text = [
    '#0 a stack frame with no error before it',
    '[WARNING] [pool www] server reached pm.max_children setting (5), consider raising it',
    '[24-Nov-2026 16:29:38.123456] DEBUG: pid 1, fpm_pctl_perform_idle_server_maintenance(), line 384: [pool www] currently 0 active children, 5 spare children',
    '[21-Aug-2024 10:00:00] WARNING: [pool www] server reached max_children setting (10), consider raising it',
    '[21-Aug-2024 10:00:00] WARNING: [pool www] child 12345 exited on signal 11 (SIGSEGV - core dumped) after 3.141592 seconds from start',
    '[21-Aug-2024 10:00:00] WARNING: [pool www] child 12346 exited with code 255 after 0.5 seconds from start',
    '[21-Aug-2024 10:00:00] WARNING: [pool www] child 12347, script \'/var/www/html/index.php\' (request: "POST /index.php?x=1") execution timed out (60.012345 sec), terminating',
    '[21-Aug-2024 10:00:00] ERROR: failed to ptrace(ATTACH) child 12345: Operation not permitted (1)',
    '[21-Aug-2024 10:00:00] WARNING: failed processes threshold (10 in 60 sec) is reached, initiating reload',
    '[21-Aug-2024 10:00:00] ERROR: [pool www] failed to chown() the socket \'/run/php/php8.2-fpm.sock\': Operation not permitted (1)',
    '[21-Aug-2024 10:00:00] ERROR: An another FPM instance seems to already listen on /run/php/php7.4-fpm.sock',
    '[21-Aug-2024 10:00:00] NOTICE: Reloading in progress ...',
    '[21-Aug-2024 10:00:00] ALERT: [pool www] something new from a future php',
    '[21-Aug-2024 10:00:00 Europe/Berlin] PHP Warning:  Undefined variable $x in /var/www/a.php on line 3',
    '[21-Aug-2024 10:00:00 +02:00] PHP Parse error:  syntax error in /var/www/b.php on line 1',
    '[21-Foo-2024 10:00:00] WARNING: bad month',
    '\u0000\u0001garbage',
    '',
  ].join('\n');
  const r = parsePhpFpmLog(text);
  const ev = r.events;
  assert.equal(ev[0].kind, 'max-children');
  assert.equal(ev[0].time, undefined);
  assert.equal(ev[1].level, 'DEBUG');
  assert.equal(ev[1].pool, 'www');
  assert.equal(ev[1].time!.wallMs, Date.UTC(2026, 10, 24, 16, 29, 38, 123));
  assert.equal(ev[2].maxChildren, 10);
  assert.equal(ev[3].coreDumped, true);
  assert.equal(ev[4].exitCode, 255);
  assert.equal(ev[5].request, 'POST /index.php?x=1');
  assert.equal(ev[5].seconds, 60.012345);
  assert.deepEqual([ev[6].kind, ev[6].pid, ev[6].errno], ['ptrace-failed', 12345, 1]);
  assert.equal(ev[7].kind, 'failed-threshold');
  assert.deepEqual([ev[8].kind, ev[8].address, ev[8].errno], ['chown-failed', '/run/php/php8.2-fpm.sock', 1]);
  assert.equal(ev[9].kind, 'another-instance');
  assert.equal(ev[10].kind, 'reloading');
  assert.deepEqual([ev[11].kind, ev[11].level], ['other', 'ALERT']);
  assert.equal(ev[12].kind, 'php-error');
  assert.equal(ev[12].time!.offsetMin, undefined, 'a zone name is not an offset');
  assert.equal(ev[13].time!.offsetMin, 120);
  assert.equal(ev.length, 14);
  assert.equal(r.unparsed, 3);
});
