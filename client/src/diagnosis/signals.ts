// Turns the logs read from a host into the signals the ranking weighs: nginx signatures per
// upstream, PHP-FPM and kernel events, and the access log's 5xx per minute, all inside the
// diagnosis window on the host's own clock.

import type { Collected } from './collect';
import type { Signal } from './ranking';
import { compileLogFormat, summarizeAccess, type AccessSummary } from './logs/access-log';
import { EvidenceBuilder } from './logs/evidence';
import { parseKernelLog } from './logs/kernel-log';
import { parseNginxErrorLog, type NginxErrorEntry } from './logs/nginx-error';
import { parsePhpFpmLog } from './logs/php-fpm-log';
import { toUtcMs, type HostClock, type LogTime } from './logs/time';

export interface Signals {
  signals: Signal[];
  access?: AccessSummary;
  /** What could not be read or understood, for the report. */
  notes: string[];
}

function peerOf(e: NginxErrorEntry): string | undefined {
  const p = e.peer;
  if (!p) return e.resolveName;
  if (p.unix) return `unix:${p.unix}`;
  if (p.host !== undefined) return `${p.host.includes(':') ? `[${p.host}]` : p.host}${p.port ? `:${p.port}` : ''}`;
  return p.group;
}

export function extractSignals(c: Collected, sinceMs: number): Signals {
  const clock: HostClock = { offsetMin: tzMinutes(c.system?.tz) ?? 0 };
  const now = c.system?.now ?? Date.now();
  const from = now - sinceMs;
  const inWindow = (t: LogTime | undefined): boolean => {
    const utc = toUtcMs(t, clock);
    return utc === undefined || utc >= from;
  };
  const out: Signal[] = [];
  const notes: string[] = [];
  const groups = new Map<string, { b: EvidenceBuilder; s: Signal }>();
  const add = (key: string, make: () => Signal, raw: string, time?: LogTime): void => {
    let g = groups.get(key);
    if (!g) {
      const s = make();
      g = { b: new EvidenceBuilder(s.source === 'access' ? 'nginx-access' : s.source, s.id, clock), s };
      groups.set(key, g);
    }
    g.b.add(raw, time);
  };

  let access: AccessSummary | undefined;
  // What the web stack's own logs say died: to tell its processes from others in the kernel log.
  const stackExits: StackExits = { fpm: new Set(), fpmKills: [], nginx: new Set(), fpmLogRead: false, nginxLogRead: false, backendLost: false };
  for (const log of c.logs) {
    if (log.status !== 'ok') {
      notes.push(`${log.path}: ${log.status}${log.note ? ` (${log.note.split('\n')[0]})` : ''}`);
      continue;
    }
    if (log.kind === 'nginx-error') {
      const parsed = parseNginxErrorLog(log.text);
      if (parsed.unparsed > 0) notes.push(`${log.path}: ${parsed.unparsed} line(s) not in nginx's error log format`);
      stackExits.nginxLogRead = true;
      for (const e of parsed.entries) {
        const exit = /^worker process (\d+) exited on signal/.exec(e.message);
        if (exit) stackExits.nginx.add(Number(exit[1]));
        if (!e.signature || !inWindow(e.time)) continue;
        if (BACKEND_LOST.has(e.signature) && e.peer && !e.peer.unix) stackExits.backendLost = true;
        const upstream = peerOf(e);
        add(`nginx\0${e.signature}\0${upstream ?? ''}`, () => ({ id: e.signature!, source: 'nginx-error', count: 0, samples: [], upstream, file: log.path }), e.raw, e.time);
      }
    } else if (log.kind === 'php-fpm') {
      const parsed = parsePhpFpmLog(log.text);
      stackExits.fpmLogRead = true;
      for (const e of parsed.events) {
        if (e.kind === 'child-signal' && e.pid !== undefined) stackExits.fpm.add(e.pid);
        const at = e.kind === 'child-signal' && e.signal === 9 ? toUtcMs(e.time, clock) : undefined;
        if (at !== undefined) stackExits.fpmKills.push(at);
        if (!inWindow(e.time)) continue;
        let id: string | undefined;
        if (e.kind === 'max-children') id = 'max-children';
        else if (e.kind === 'seems-busy') id = 'seems-busy';
        else if (e.kind === 'execution-timeout') id = 'execution-timed-out';
        else if (e.kind === 'child-signal') id = e.signal === 11 ? 'child-sigsegv' : e.signal === 9 ? 'child-sigkill' : e.signal === 15 ? 'child-sigterm' : `child-signal-${e.signal}`;
        else if (e.kind === 'bind-failed' || e.kind === 'init-failed' || e.kind === 'another-instance') id = e.kind;
        if (!id) continue;
        const sid = id;
        add(`fpm\0${sid}`, () => ({ id: sid, source: 'php-fpm', count: 0, samples: [], file: log.path, detail: e.pool ? { pool: e.pool } : undefined }), e.raw, e.time);
      }
    } else if (log.kind === 'nginx-access' && log.format) {
      const parser = compileLogFormat(log.format);
      if ('error' in parser) {
        notes.push(`${log.path}: log_format not understood (${parser.error})`);
        continue;
      }
      const parsed = parser.parse(log.text);
      const sum = summarizeAccess(parsed.entries, { fromMs: from });
      access = access ? mergeAccess(access, sum) : sum;
    }
  }
  if (c.kernel && c.kernel.text) {
    const k = parseKernelLog(c.kernel.text);
    const kclock: HostClock = clock;
    const foreign = new Map<string, number[]>();
    const webPorts = stackPorts(c);
    for (const e of k.events) {
      const utc = toUtcMs(e.time, kclock);
      if (utc !== undefined && utc < from) continue;
      if ((e.kind === 'oom-killed' || e.kind === 'segfault') && !ofWebStack(e, utc, stackExits)) {
        foreign.set(e.comm ?? '?', [...(foreign.get(e.comm ?? '?') ?? []), e.pid ?? 0]);
        continue;
      }
      let id: string | undefined;
      if (e.kind === 'oom-killed') id = 'oom-kill';
      else if (e.kind === 'conntrack-full') id = 'conntrack-full';
      // A listen queue overflowing on a port of this web stack (nginx's listens, its backends);
      // another service's port says nothing about the 502s.
      else if (e.kind === 'syn-flood' && (e.port === undefined || webPorts.size === 0 || webPorts.has(e.port))) id = 'syn-flood';
      else if (e.kind === 'avc-denied' && /nginx|httpd/.test(e.comm ?? e.raw)) id = 'selinux-avc';
      // Crashes of the web stack only: a segfaulting cron job says nothing about the 502s.
      else if (e.kind === 'segfault' && /php|fpm|nginx|uwsgi|gunicorn|puma|unicorn|httpd|apache/.test(e.comm ?? '')) id = 'segfault';
      if (!id) continue;
      const sid = id;
      add(`kernel\0${sid}`, () => ({ id: sid, source: 'kernel', count: 0, samples: [], file: c.kernel!.source, detail: e.comm ? { process: e.comm } : undefined }), e.raw, e.time);
    }
    for (const [comm, pids] of foreign) {
      notes.push(`kernel log: ${pids.length} OOM kill(s)/crash(es) of ${comm} (pid ${pids.slice(0, 5).join(', ')}) not counted: not a process of this web stack (no PHP-FPM or nginx log line reports that pid, and nginx lost no backend connection)`);
    }
  }
  for (const g of groups.values()) {
    const ev = g.b.build('');
    out.push({ ...g.s, count: ev.count, samples: ev.samples, firstSeen: ev.firstSeen, lastSeen: ev.lastSeen });
  }
  if (access && access.s5xx > 0) out.push({ id: 'access-5xx', source: 'access', count: access.s5xx, samples: [], firstSeen: access.firstSeen, lastSeen: access.lastSeen });
  return { signals: out, access, notes };
}

/** nginx signatures of a backend that went away mid-request or stopped accepting. */
const BACKEND_LOST = new Set(['prematurely-closed', 'reset-by-peer', 'broken-pipe', 'connect-refused']);

interface StackExits {
  /** Pids PHP-FPM's log reports exiting ("child N exited on signal S"), and when SIGKILLed ones did. */
  fpm: Set<number>;
  fpmKills: number[];
  /** Pids of nginx workers its log reports exiting on a signal. */
  nginx: Set<number>;
  fpmLogRead: boolean;
  nginxLogRead: boolean;
  /** nginx lost connections to a TCP backend (reset, closed, refused) in the window. */
  backendLost: boolean;
}

/**
 * Whether a process the kernel killed (OOM) or saw crash belongs to the web stack diagnosed here:
 * the kernel log is the machine's, and holds other services' (and other containers') processes.
 * A PHP-FPM worker is ours when PHP-FPM's log reports that pid exiting (it logs every child's
 * death), or a SIGKILLed child within a minute (pids differ when PHP-FPM runs in a PID namespace);
 * an nginx worker when nginx's log reports it. When that log could not be read, the name decides.
 * Any other process counts only when nginx lost connections to a TCP backend in the window (it
 * may be that backend).
 */
function ofWebStack(e: { comm?: string; pid?: number }, utc: number | undefined, seen: StackExits): boolean {
  const name = e.comm ?? '';
  if (/php|fpm/i.test(name)) {
    if (!seen.fpmLogRead) return true;
    if (e.pid !== undefined && seen.fpm.has(e.pid)) return true;
    return utc !== undefined && seen.fpmKills.some((t) => Math.abs(t - utc) <= 60_000);
  }
  if (/^nginx/.test(name)) return !seen.nginxLogRead || (e.pid !== undefined && seen.nginx.has(e.pid));
  return seen.backendLost;
}

/** Ports nginx listens on (from its configuration) and its backends' ports. */
function stackPorts(c: Collected): Set<number> {
  const ports = new Set<number>();
  for (const b of c.facts.backends) if (b.port !== undefined) ports.add(b.port);
  for (const text of c.config?.files.values() ?? []) {
    for (const m of text.matchAll(/^\s*listen\s+(?:[^;\s]*:)?(\d+)\b/gm)) ports.add(Number(m[1]));
  }
  return ports;
}

function tzMinutes(tz: string | undefined): number | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(tz ?? '');
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : undefined;
}

function mergeAccess(a: AccessSummary, b: AccessSummary): AccessSummary {
  const minutes = new Map(a.minutes.map((m) => [m.minute, { ...m }]));
  for (const m of b.minutes) {
    const x = minutes.get(m.minute);
    if (!x) minutes.set(m.minute, { ...m });
    else {
      x.total += m.total;
      x.s5xx += m.s5xx;
      x.s502 += m.s502;
      x.s503 += m.s503;
      x.s504 += m.s504;
    }
  }
  return {
    ...a,
    total: a.total + b.total,
    s5xx: a.s5xx + b.s5xx,
    s502: a.s502 + b.s502,
    s503: a.s503 + b.s503,
    s504: a.s504 + b.s504,
    minutes: [...minutes.values()].sort((x, y) => (x.minute < y.minute ? -1 : 1)),
    top502Uris: [...a.top502Uris, ...b.top502Uris].sort((x, y) => y.count - x.count).slice(0, 5),
    top502Upstreams: [...a.top502Upstreams, ...b.top502Upstreams].sort((x, y) => y.count - x.count).slice(0, 5),
    untimed: a.untimed + b.untimed,
  };
}
