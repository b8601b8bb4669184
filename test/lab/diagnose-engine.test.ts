// What the diagnosis lab taught the engine, pinned without the lab (no nginx, no sshd): the
// kernel log is the machine's and holds other services' OOM kills; a missing socket while no
// PHP-FPM runs is "PHP-FPM is down" before "wrong socket"; a pool socket nginx never connects to
// is no cause; a sparse log's first line follows megabytes of NUL bytes. Log lines are the real
// programs' (this machine's dmesg, the lab's nginx 1.22 and PHP-FPM 8.2), pids aligned by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Collected, LogText } from '../../client/src/diagnosis/collect';
import type { Proc } from '../../client/src/diagnosis/probes/processes';
import { rank } from '../../client/src/diagnosis/ranking';
import { extractSignals } from '../../client/src/diagnosis/signals';
import { forEachLine } from '../../client/src/diagnosis/logs/lines';
import { parseNginxErrorLog } from '../../client/src/diagnosis/logs/nginx-error';

const NOW = Date.UTC(2026, 10, 24, 11, 20, 0);

const DMESG_FOREIGN_OOM = [
  '[Tue Nov 24 11:13:44 2026] php-fpm8.2 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
  '[Tue Nov 24 11:13:44 2026] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/process_api/e40b/ngx502-oom-8552,task_memcg=/process_api/e40b/ngx502-oom-8552,task=php-fpm8.2,pid=12932,uid=65534',
  '[Tue Nov 24 11:13:44 2026] Memory cgroup out of memory: Killed process 12932 (php-fpm8.2) total-vm:158704kB, anon-rss:97464kB, file-rss:5700kB, shmem-rss:0kB, UID:65534 pgtables:304kB oom_score_adj:0',
  '[Tue Nov 24 11:13:44 2026] python3[12991]: segfault at 0 ip 00007fd261385ad8 sp 00007ffc4bcd27b8 error 4 in libc.so.6[167ad8,7fd261244000+156000] likely on CPU 0 (core 0, socket 0)',
  '',
].join('\n');

const FPM_QUIET = ['[24-Nov-2026 11:10:00] NOTICE: fpm is running, pid 199', '[24-Nov-2026 11:10:00] NOTICE: ready to handle connections', ''].join('\n');
const FPM_OOM_CHILD = FPM_QUIET + '[24-Nov-2026 11:13:44] WARNING: [pool www] child 12932 exited on signal 9 (SIGKILL) after 212.400000 seconds from start\n';

const SOCK = '/srv/lab/run/php.sock';
const NGINX_SOCKET_MISSING = `2026/11/24 11:15:18 [crit] 198#198: *7 connect() to unix:${SOCK} failed (2: No such file or directory) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /index.php HTTP/1.1", upstream: "fastcgi://unix:${SOCK}:", host: "127.0.0.1:42133"\n`;

function log(kind: LogText['kind'], text: string, status: LogText['status'] = 'ok'): LogText {
  return { path: `/srv/lab/logs/${kind}.log`, kind, status, text, truncated: false };
}

const proc = (pid: number, user: string, args: string): Proc => ({ pid, ppid: 1, user, group: user, args });

function collected(o: { logs?: LogText[]; kernel?: string; fpmMaster?: boolean; pools?: Record<string, string>; sockets?: Collected['sockets']; nginxSockets?: string[] }): Collected {
  const all = [proc(10, 'root', 'nginx: master process nginx -c /srv/lab/nginx.conf'), proc(11, 'www-data', 'nginx: worker process')];
  if (o.fpmMaster) all.push(proc(20, 'root', 'php-fpm: master process (/srv/lab/php-fpm.conf)'), proc(21, 'www-data', 'php-fpm: pool www'));
  return {
    probes: [],
    configSource: 'nginx -T',
    facts: {
      errorLogs: [],
      accessLogs: [],
      backends: (o.nginxSockets ?? [SOCK]).map((s) => ({ directive: 'fastcgi_pass', kind: 'unix' as const, host: s, where: { file: '/srv/lab/nginx.conf', line: 20 } })),
      user: 'www-data',
    },
    fpmFiles: new Map(Object.entries(o.pools ?? {})),
    processes: {
      all,
      nginxMaster: all[0],
      nginxWorkers: [all[1]],
      fpmMasters: all.filter((p) => p.args.startsWith('php-fpm: master')),
      fpmPools: new Map(),
      fpmConfs: [],
    },
    system: { pressure: {}, tz: '+0000', now: NOW },
    kernel: o.kernel === undefined ? undefined : { source: 'dmesg', text: o.kernel },
    sockets: o.sockets,
    logs: o.logs ?? [],
  };
}

const WINDOW = 30 * 60_000;

test("another service's OOM kill of a php-fpm process is not this PHP-FPM's", () => {
  const c = collected({ kernel: DMESG_FOREIGN_OOM, logs: [log('php-fpm', FPM_QUIET), log('nginx-error', '')] });
  const s = extractSignals(c, WINDOW);
  assert.deepEqual(s.signals.filter((x) => x.source === 'kernel').map((x) => x.id), []);
  assert.ok(s.notes.some((n) => /OOM kill.*php-fpm8\.2 \(pid 12932\) not counted/.test(n)), s.notes.join('\n'));
  assert.deepEqual(rank(c, s.signals, []).map((x) => x.id), []);
});

test('an OOM kill of a worker PHP-FPM reports (same pid) is counted', () => {
  const c = collected({ kernel: DMESG_FOREIGN_OOM, logs: [log('php-fpm', FPM_OOM_CHILD), log('nginx-error', '')] });
  const s = extractSignals(c, WINDOW);
  assert.deepEqual(s.signals.filter((x) => x.source === 'kernel').map((x) => x.id), ['oom-kill']);
  const causes = rank(c, s.signals, []);
  assert.equal(causes[0].id, 'oom-killed');
  assert.equal(causes[0].confidence, 'high', 'the kernel and PHP-FPM agree');
});

test("without PHP-FPM's log, a php-fpm OOM kill is counted by its name", () => {
  const c = collected({ kernel: DMESG_FOREIGN_OOM, logs: [log('php-fpm', '', 'not-permitted')] });
  const s = extractSignals(c, WINDOW);
  assert.deepEqual(s.signals.filter((x) => x.source === 'kernel').map((x) => x.id), ['oom-kill']);
});

test('a missing socket while no PHP-FPM runs: PHP-FPM is down, even when the pools found name another socket', () => {
  const pools = { '/etc/php/8.2/fpm/pool.d/www.conf': '[www]\nlisten = /run/php/php8.2-fpm.sock\n' };
  const sockets = [
    { path: SOCK, exists: false },
    { path: '/run/php/php8.2-fpm.sock', exists: false },
  ];
  const down = collected({ logs: [log('nginx-error', NGINX_SOCKET_MISSING)], pools, sockets });
  const causes = rank(down, extractSignals(down, WINDOW).signals, []);
  assert.equal(causes[0].id, 'fpm-down');
  assert.equal(causes[0].confidence, 'high');
  // With PHP-FPM running (on the other socket), nginx points at the wrong one.
  const wrong = collected({ logs: [log('nginx-error', NGINX_SOCKET_MISSING)], pools, sockets, fpmMaster: true });
  assert.equal(rank(wrong, extractSignals(wrong, WINDOW).signals, [])[0].id, 'fpm-wrong-socket');
});

test('a missing pool socket nginx never connects to is no cause', () => {
  const c = collected({
    logs: [log('nginx-error', '')],
    pools: { '/etc/php/8.2/fpm/pool.d/www.conf': '[www]\nlisten = /run/php/php8.2-fpm.sock\n' },
    sockets: [{ path: '/run/php/php8.2-fpm.sock', exists: false }],
    nginxSockets: [],
  });
  assert.deepEqual(rank(c, extractSignals(c, WINDOW).signals, []).map((x) => `${x.id} ${x.confidence}`), []);
});

test("a sparse log's first line after megabytes of NUL bytes is read", () => {
  const text = '\0'.repeat(2 << 20) + NGINX_SOCKET_MISSING + NGINX_SOCKET_MISSING;
  const lines: string[] = [];
  forEachLine(text, (l) => lines.push(l));
  assert.equal(lines[0], NGINX_SOCKET_MISSING.trimEnd());
  const parsed = parseNginxErrorLog(text);
  assert.equal(parsed.entries.length, 2);
  assert.equal(parsed.unparsed, 0);
});
