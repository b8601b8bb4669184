// Evidence from the parsed logs, and the correlations the ranking weighs: two sources that agree
// make a cause "high" confidence. All times go through the host's clock (nginx and PHP-FPM write
// local time without a zone; `date +%z` places them; dmesg needs the boot time). Each helper
// returns LogEvidence objects (source, summary, count, a few raw lines, firstSeen, lastSeen).
// Pure code: no I/O, no vscode.

import type { AccessSummary } from './access-log';
import { EvidenceBuilder, type LogEvidence, type LogSource } from './evidence';
import type { KernelEvent } from './kernel-log';
import { NGINX_SIGNATURES, type NginxErrorEntry, type NginxSignatureId, type UpstreamPeer } from './nginx-error';
import type { FpmEvent } from './php-fpm-log';
import { toUtcMs, type HostClock, type LogTime } from './time';

/** ±2 minutes, as the reference's correlations use. */
export const DEFAULT_WINDOW_MS = 120_000;

export interface TimeWindow {
  /** UTC ms, inclusive. */
  fromMs?: number;
  /** UTC ms, exclusive. */
  toMs?: number;
}

const inWindow = (t: LogTime | undefined, clock: HostClock | undefined, w: TimeWindow | undefined): boolean => {
  if (!w || (w.fromMs === undefined && w.toMs === undefined)) return true;
  const utc = toUtcMs(t, clock);
  if (utc === undefined) return false;
  return (w.fromMs === undefined || utc >= w.fromMs) && (w.toMs === undefined || utc < w.toMs);
};

// ---------- evidence per source ----------

/** One evidence object per nginx signature, most frequent first. */
export function nginxEvidence(entries: readonly NginxErrorEntry[], clock?: HostClock, window?: TimeWindow): LogEvidence[] {
  const by = new Map<NginxSignatureId, { b: EvidenceBuilder; peers: Map<string, number> }>();
  for (const e of entries) {
    if (!e.signature || !inWindow(e.time, clock, window)) continue;
    let g = by.get(e.signature);
    if (!g) {
      g = { b: new EvidenceBuilder('nginx-error', e.signature, clock), peers: new Map() };
      by.set(e.signature, g);
    }
    g.b.add(e.raw, e.time);
    const p = e.peer?.unix ?? (e.peer?.host !== undefined ? `${e.peer.host.includes(':') ? `[${e.peer.host}]` : e.peer.host}${e.peer.port ? ':' + e.peer.port : ''}` : e.peer?.group ?? e.resolveName);
    if (p) g.peers.set(p, (g.peers.get(p) ?? 0) + 1);
  }
  const out = [...by.entries()].map(([id, g]) => {
    const info = NGINX_SIGNATURES[id];
    const peers = [...g.peers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([p]) => p);
    const on = peers.length ? ` (${peers.join(', ')})` : '';
    return g.b.build(`${g.b.size}× ${info.summary}${on}`);
  });
  return out.sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1));
}

const FPM_KINDS: Partial<Record<FpmEvent['kind'], string>> = {
  'max-children': 'pool reached pm.max_children',
  'seems-busy': 'pool "seems busy": spawning children as fast as it can',
  'execution-timeout': 'requests killed by request_terminate_timeout ("execution timed out")',
  slow: 'requests slower than request_slowlog_timeout',
  'bind-failed': 'PHP-FPM could not bind its listen address: the pool did not start',
  'another-instance': 'another PHP-FPM master already listens on the socket',
  'init-failed': 'PHP-FPM failed to start',
  'chown-failed': 'PHP-FPM could not set the socket owner',
  'failed-threshold': 'emergency_restart_threshold reached: FPM restarted itself',
  'child-exit-code': 'workers exited with a non-zero code',
  'php-error': 'PHP errors',
};

/** One evidence object per FPM event kind of interest (child exits split by signal). */
export function fpmEvidence(events: readonly FpmEvent[], clock?: HostClock, window?: TimeWindow): LogEvidence[] {
  const by = new Map<string, { b: EvidenceBuilder; summary: string; pools: Set<string>; extra: Set<string> }>();
  for (const e of events) {
    if (!inWindow(e.time, clock, window)) continue;
    let id: string | undefined;
    let summary: string | undefined;
    if (e.kind === 'child-signal') {
      id = `fpm-child-signal-${e.signal}`;
      const what = e.signal === 9 ? 'SIGKILL: OOM killer or kill -9' : e.signal === 11 ? 'SIGSEGV: a crash (extension, opcache)' : e.signal === 15 ? 'SIGTERM: request_terminate_timeout or a stop' : e.signal === 6 ? 'SIGABRT: an abort' : e.signalName ?? '';
      summary = `workers killed by signal ${e.signal} (${what})`;
    } else if (FPM_KINDS[e.kind]) {
      id = `fpm-${e.kind}`;
      summary = FPM_KINDS[e.kind];
    }
    if (!id || !summary) continue;
    let g = by.get(id);
    if (!g) {
      g = { b: new EvidenceBuilder('php-fpm', id, clock), summary, pools: new Set(), extra: new Set() };
      by.set(id, g);
    }
    g.b.add(e.raw, e.time);
    if (e.pool) g.pools.add(e.pool);
    if (e.maxChildren !== undefined) g.extra.add(`pm.max_children = ${e.maxChildren}`);
    if (e.address) g.extra.add(e.address + (e.errno !== undefined ? ` (${e.errno}: ${e.errnoText})` : ''));
  }
  return [...by.values()]
    .map((g) => {
      const pools = g.pools.size ? ` [pool ${[...g.pools].join(', ')}]` : '';
      const extra = g.extra.size ? ` (${[...g.extra].slice(0, 3).join('; ')})` : '';
      return g.b.build(`${g.b.size}× ${g.summary}${pools}${extra}`);
    })
    .sort((a, b) => b.count - a.count);
}

const KERNEL_KINDS: Partial<Record<KernelEvent['kind'], string>> = {
  'oom-killed': 'processes killed by the OOM killer',
  'unit-oom': 'a service lost a process to the OOM killer',
  'conntrack-full': 'nf_conntrack table full: new connections dropped',
  'syn-flood': 'listen backlog overflow ("Possible SYN flooding")',
  'avc-denied': 'SELinux denials',
  segfault: 'processes crashed (segfault)',
  trap: 'processes crashed (trap)',
  'tcp-mem': 'TCP out of memory',
  'orphan-sockets': 'too many orphaned sockets',
};

/** One evidence object per kernel event kind (OOM kills also name the victims). */
export function kernelEvidence(events: readonly KernelEvent[], clock?: HostClock, window?: TimeWindow): LogEvidence[] {
  const by = new Map<string, { b: EvidenceBuilder; what: Map<string, number> }>();
  for (const e of events) {
    const summary = KERNEL_KINDS[e.kind];
    if (!summary || !inWindow(e.time, clock, window)) continue;
    const id = `kernel-${e.kind}`;
    let g = by.get(id);
    if (!g) {
      g = { b: new EvidenceBuilder('kernel', id, clock), what: new Map() };
      by.set(id, g);
    }
    g.b.add(e.raw, e.time);
    const label = e.kind === 'avc-denied' ? `${e.comm ?? '?'} ${e.permission ?? ''} ${e.tclass ?? ''}`.trim() : e.kind === 'syn-flood' ? `port ${e.listen}` : e.comm;
    if (label) g.what.set(label, (g.what.get(label) ?? 0) + 1);
  }
  return [...by.entries()]
    .map(([id, g]) => {
      const what = [...g.what.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([w, n]) => `${w} ×${n}`);
      return g.b.build(`${g.b.size}× ${KERNEL_KINDS[id.slice(7) as KernelEvent['kind']]}${what.length ? ` (${what.join(', ')})` : ''}`);
    })
    .sort((a, b) => b.count - a.count);
}

/** The access log's 5xx counts as evidence (no raw lines: the minutes are the samples). */
export function accessEvidence(s: AccessSummary): LogEvidence[] {
  const out: LogEvidence[] = [];
  const busiest = [...s.minutes].sort((a, b) => b.s5xx - a.s5xx).slice(0, 3).filter((m) => m.s5xx > 0);
  for (const [id, n, label] of [['access-502', s.s502, '502'], ['access-503', s.s503, '503'], ['access-504', s.s504, '504']] as const) {
    if (!n) continue;
    const tops = id === 'access-502' && s.top502Uris.length ? `; top URIs ${s.top502Uris.slice(0, 3).map((u) => `${u.uri} ×${u.count}`).join(', ')}` : '';
    const ups = id === 'access-502' && s.top502Upstreams.length ? `; upstreams ${s.top502Upstreams.slice(0, 3).map((u) => `${u.upstream} ×${u.count}`).join(', ')}` : '';
    const e: LogEvidence = {
      source: 'nginx-access',
      id,
      summary: `${n} of ${s.total} requests answered ${label}${tops}${ups}`,
      count: n,
      samples: busiest.map((m) => `${m.minute}: ${m.s502}×502 ${m.s503}×503 ${m.s504}×504 of ${m.total}`),
    };
    if (s.firstSeen) e.firstSeen = s.firstSeen;
    if (s.lastSeen) e.lastSeen = s.lastSeen;
    out.push(e);
  }
  return out;
}

// ---------- correlations ----------

interface Timed<T> {
  utc: number;
  item: T;
}

function timed<T extends { time?: LogTime }>(items: readonly T[], clock: HostClock): Timed<T>[] {
  const out: Timed<T>[] = [];
  for (const item of items) {
    const utc = toUtcMs(item.time, clock);
    if (utc !== undefined) out.push({ utc, item });
  }
  return out.sort((a, b) => a.utc - b.utc);
}

/** The first index whose time is >= t. */
function lowerBound<T>(sorted: readonly Timed<T>[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].utc < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Is there an element of `sorted` within ±w of t? Binary search: O(log n). */
function near<T>(sorted: readonly Timed<T>[], t: number, w: number): boolean {
  const i = lowerBound(sorted, t - w);
  return i < sorted.length && sorted[i].utc <= t + w;
}

const SATURATION_SIGNS: ReadonlySet<NginxSignatureId> = new Set(['eagain', 'read-timeout', 'connect-timeout']);
const CLOSE_SIGNS: ReadonlySet<NginxSignatureId> = new Set(['prematurely-closed', 'reset-by-peer', 'fastcgi-prematurely-closed-stdout', 'broken-pipe']);

/** Samples from both sides: the first lines of `a`, then of `b`. */
function mixed(b: EvidenceBuilder, first: { raw: string; time?: LogTime }[], second: { raw: string; time?: LogTime }[]): void {
  const n = Math.max(first.length, second.length);
  for (let i = 0; i < n; i++) {
    if (i < first.length) b.add(first[i].raw, first[i].time);
    if (i < second.length) b.add(second[i].raw, second[i].time);
  }
}

/**
 * "FPM max_children reached near EAGAIN": the pool's max_children / seems busy warnings within
 * ±window of nginx's (11: Resource temporarily unavailable), header read timeouts or connect
 * timeouts. Count: the nginx lines that had such a warning nearby. With `poolOf` (the pool a peer
 * belongs to, from the pool files' `listen`), only warnings of that peer's pool count.
 */
export function fpmSaturationNearNginx(nginx: readonly NginxErrorEntry[], fpm: readonly FpmEvent[], clock: HostClock, windowMs = DEFAULT_WINDOW_MS, poolOf?: (peer: UpstreamPeer) => string | undefined): LogEvidence | undefined {
  const warn = timed(fpm.filter((e) => e.kind === 'max-children' || e.kind === 'seems-busy'), clock);
  if (!warn.length) return undefined;
  const byPool = new Map<string, Timed<FpmEvent>[]>();
  for (const w of warn) {
    const list = byPool.get(w.item.pool ?? '') ?? [];
    list.push(w);
    byPool.set(w.item.pool ?? '', list);
  }
  const warnFor = (e: NginxErrorEntry): Timed<FpmEvent>[] => {
    if (!poolOf) return warn;
    const pool = e.peer ? poolOf(e.peer) : undefined;
    return pool === undefined ? [] : byPool.get(pool) ?? [];
  };
  const hits = timed(nginx.filter((e) => e.signature && SATURATION_SIGNS.has(e.signature)), clock).filter((x) => near(warnFor(x.item), x.utc, windowMs));
  if (!hits.length) return undefined;
  const hitPools = poolOf ? new Set(hits.map((h) => (h.item.peer ? poolOf(h.item.peer) : undefined))) : undefined;
  const usedWarn = warn.filter((w) => near(hits, w.utc, windowMs) && (!hitPools || hitPools.has(w.item.pool)));
  const b = new EvidenceBuilder('correlation', 'fpm-saturation-near-nginx', clock);
  mixed(b, usedWarn.map((x) => x.item), hits.map((x) => x.item));
  const kinds = new Set(hits.map((h) => h.item.signature));
  const pools = new Set(usedWarn.map((w) => `${w.item.pool ?? '?'}${w.item.maxChildren !== undefined ? ` (pm.max_children = ${w.item.maxChildren})` : ''}`));
  return { ...b.build(`PHP-FPM pool ${[...pools].join(', ')} was saturated within ±${Math.round(windowMs / 1000)} s of ${hits.length} nginx ${[...kinds].join('/')} line(s)`, ['php-fpm', 'nginx-error']), count: hits.length };
}

/**
 * "OOM-killed pid equals a SIGKILLed FPM child": the kernel's victim pid is a worker the FPM log
 * reports as "exited on signal 9". Pids are compared; when both have times, they must be within 10 minutes.
 */
export function oomKilledFpmChild(kernel: readonly KernelEvent[], fpm: readonly FpmEvent[], clock?: HostClock): LogEvidence | undefined {
  const victims = new Map<number, KernelEvent>();
  // The "Killed process" line first (it has the sizes and the cgroup flag), the oom-kill: line as a fallback.
  for (const kind of ['oom-killed', 'oom-constraint'] as const) {
    for (const k of kernel) if (k.kind === kind && k.pid !== undefined && !victims.has(k.pid)) victims.set(k.pid, k);
  }
  const pairs: { k: KernelEvent; f: FpmEvent }[] = [];
  for (const f of fpm) {
    if (f.kind !== 'child-signal' || f.signal !== 9 || f.pid === undefined) continue;
    const k = victims.get(f.pid);
    if (!k) continue;
    const a = clock ? toUtcMs(k.time, clock) : undefined;
    const c = clock ? toUtcMs(f.time, clock) : undefined;
    if (a !== undefined && c !== undefined && Math.abs(a - c) > 600_000) continue;
    pairs.push({ k, f });
  }
  if (!pairs.length) return undefined;
  const b = new EvidenceBuilder('correlation', 'oom-killed-fpm-child', clock);
  mixed(b, pairs.map((p) => p.k), pairs.map((p) => p.f));
  const pids = pairs.map((p) => p.f.pid).slice(0, 5).join(', ');
  const cg = pairs.some((p) => p.k.cgroup) ? ' (a memory cgroup limit)' : '';
  return { ...b.build(`${pairs.length} PHP-FPM worker(s) killed by the OOM killer${cg}: pid ${pids} in the kernel log and "exited on signal 9" in PHP-FPM's`, ['kernel', 'php-fpm']), count: pairs.length };
}

/**
 * "execution timed out with prematurely closed": request_terminate_timeout killed workers (FPM:
 * "execution timed out" then "exited on signal 15"), and nginx logged the closed/reset upstream
 * for those requests (same request line, or within the window). nginx 1.22 on a unix socket logs
 * "recv() failed (104: Connection reset by peer)" here, not "prematurely closed".
 */
export function terminateTimeoutWithClosed(fpm: readonly FpmEvent[], nginx: readonly NginxErrorEntry[], clock: HostClock, windowMs = DEFAULT_WINDOW_MS): LogEvidence | undefined {
  const timeouts = fpm.filter((e) => e.kind === 'execution-timeout');
  if (!timeouts.length) return undefined;
  const sigterm = new Set(fpm.filter((e) => e.kind === 'child-signal' && e.signal === 15 && e.pid !== undefined).map((e) => e.pid));
  const closes = timed(nginx.filter((e) => e.signature && CLOSE_SIGNS.has(e.signature)), clock);
  const matched: NginxErrorEntry[] = [];
  const used: FpmEvent[] = [];
  const taken = new Set<NginxErrorEntry>();
  for (const t of timeouts) {
    const at = toUtcMs(t.time, clock);
    if (at === undefined) continue;
    // Prefer the same request line; else the nearest close in the window.
    let best: Timed<NginxErrorEntry> | undefined;
    // Only the closes inside the window (binary search for its start), at most 256 of them.
    for (let i = lowerBound(closes, at - windowMs), seen = 0; i < closes.length && closes[i].utc <= at + windowMs && seen < 256; i++, seen++) {
      const c = closes[i];
      if (taken.has(c.item)) continue;
      const same = t.request !== undefined && c.item.request !== undefined && c.item.request.startsWith(t.request + ' ');
      if (same) {
        best = c;
        break;
      }
      if (!best || Math.abs(c.utc - at) < Math.abs(best.utc - at)) best = c;
    }
    used.push(t);
    if (best) {
      taken.add(best.item);
      matched.push(best.item);
    }
  }
  if (!matched.length) return undefined;
  const b = new EvidenceBuilder('correlation', 'terminate-timeout-with-closed', clock);
  const kills = fpm.filter((e) => e.kind === 'child-signal' && e.signal === 15 && used.some((u) => u.pid === e.pid));
  mixed(b, [...used.slice(0, 1), ...kills.slice(0, 1)], matched);
  const secs = used.map((u) => u.seconds).filter((s): s is number => s !== undefined);
  const max = secs.length ? ` after ${Math.min(...secs).toFixed(1)}-${Math.max(...secs).toFixed(1)} s` : '';
  const sig = used.some((u) => u.pid !== undefined && sigterm.has(u.pid)) ? ' (SIGTERM)' : '';
  return { ...b.build(`${matched.length} request(s) killed by PHP-FPM's request_terminate_timeout${max}${sig} while nginx was still waiting for the header: shorter than fastcgi_read_timeout`, ['php-fpm', 'nginx-error']), count: matched.length };
}

/**
 * A worker crash: FPM "exited on signal 11" (and the kernel's "segfault" for the same pid when the
 * crash was a real fault) with nginx's reset/closed lines within the window.
 */
export function crashWithClosed(fpm: readonly FpmEvent[], nginx: readonly NginxErrorEntry[], kernel: readonly KernelEvent[], clock: HostClock, windowMs = DEFAULT_WINDOW_MS): LogEvidence | undefined {
  const crashes = timed(fpm.filter((e) => e.kind === 'child-signal' && (e.signal === 11 || e.signal === 6 || e.signal === 7 || e.signal === 4)), clock);
  if (!crashes.length) return undefined;
  const closes = timed(nginx.filter((e) => e.signature && CLOSE_SIGNS.has(e.signature)), clock).filter((c) => near(crashes, c.utc, windowMs));
  const pids = new Set(crashes.map((c) => c.item.pid));
  const faults = kernel.filter((k) => (k.kind === 'segfault' || k.kind === 'trap') && k.pid !== undefined && pids.has(k.pid));
  if (!closes.length && !faults.length) return undefined;
  const b = new EvidenceBuilder('correlation', 'crash-with-closed', clock);
  mixed(b, crashes.map((c) => c.item), [...faults, ...closes.map((c) => c.item)]);
  const sources: LogSource[] = ['php-fpm'];
  if (closes.length) sources.push('nginx-error');
  if (faults.length) sources.push('kernel');
  return { ...b.build(`${crashes.length} PHP-FPM worker crash(es) (signal ${[...new Set(crashes.map((c) => c.item.signal))].join('/')})${faults.length ? ', confirmed by the kernel' : ''}${closes.length ? `; nginx lost ${closes.length} request(s) with them` : ''}`, sources), count: crashes.length };
}

/** SELinux denied nginx a connect (name_connect on TCP, connectto on a unix socket), near nginx's (13: Permission denied). */
export function selinuxDeniedNginx(kernel: readonly KernelEvent[], nginx: readonly NginxErrorEntry[], clock: HostClock, windowMs = DEFAULT_WINDOW_MS): LogEvidence | undefined {
  const avc = timed(kernel.filter((k) => k.kind === 'avc-denied' && (k.comm === 'nginx' || k.scontext?.includes(':httpd_t:')) && (k.permission === 'name_connect' || k.permission === 'connectto' || k.permission === 'write')), clock);
  if (!avc.length) return undefined;
  const denied = timed(nginx.filter((e) => e.signature === 'permission-denied'), clock).filter((d) => near(avc, d.utc, windowMs));
  const b = new EvidenceBuilder('correlation', 'selinux-denied-nginx', clock);
  mixed(b, avc.map((a) => a.item), denied.map((d) => d.item));
  const enforcing = avc.some((a) => a.item.permissive === false);
  const what = [...new Set(avc.map((a) => `${a.item.permission} ${a.item.tclass ?? ''}${a.item.dest ? ' port ' + a.item.dest : ''}`.trim()))].join(', ');
  const sources: LogSource[] = denied.length ? ['kernel', 'nginx-error'] : ['kernel'];
  return { ...b.build(`SELinux ${enforcing ? 'denied' : 'reported (permissive)'} nginx ${what}${denied.length ? `; nginx logged ${denied.length} "(13: Permission denied)" connect(s) with it` : ''}`, sources), count: Math.max(avc.length, denied.length) };
}

/** "Possible SYN flooding" on a port nginx connects to (or on nginx's own listen port). */
export function synFloodOnUpstream(kernel: readonly KernelEvent[], nginx: readonly NginxErrorEntry[], clock?: HostClock): LogEvidence | undefined {
  const ports = new Set<number>();
  for (const e of nginx) if (e.peer?.port !== undefined) ports.add(e.peer.port);
  const floods = kernel.filter((k) => k.kind === 'syn-flood' && k.port !== undefined && ports.has(k.port));
  if (!floods.length) return undefined;
  const b = new EvidenceBuilder('correlation', 'syn-flood-on-upstream', clock);
  for (const f of floods) b.add(f.raw, f.time);
  return b.build(`listen backlog of upstream port ${[...new Set(floods.map((f) => f.port))].join(', ')} overflowed ("Possible SYN flooding"): the backend accepts too slowly`, ['kernel', 'nginx-error']);
}

/** Every correlation that holds, for the ranking. */
export function correlateAll(input: { nginx?: readonly NginxErrorEntry[]; fpm?: readonly FpmEvent[]; kernel?: readonly KernelEvent[]; clock: HostClock; windowMs?: number; poolOf?: (peer: UpstreamPeer) => string | undefined }): LogEvidence[] {
  const nginx = input.nginx ?? [];
  const fpm = input.fpm ?? [];
  const kernel = input.kernel ?? [];
  const w = input.windowMs ?? DEFAULT_WINDOW_MS;
  return [
    fpmSaturationNearNginx(nginx, fpm, input.clock, w, input.poolOf),
    oomKilledFpmChild(kernel, fpm, input.clock),
    terminateTimeoutWithClosed(fpm, nginx, input.clock, w),
    crashWithClosed(fpm, nginx, kernel, input.clock, w),
    selinuxDeniedNginx(kernel, nginx, input.clock, w),
    synFloodOnUpstream(kernel, nginx, input.clock),
  ].filter((e): e is LogEvidence => e !== undefined);
}
