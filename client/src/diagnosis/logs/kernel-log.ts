// The kernel's log as the host shows it: `dmesg` ("[ 3586.538835] msg"), `dmesg -T`
// ("[Tue Nov 24 16:29:59 2026] msg"), `journalctl -k` (short: "Nov 24 16:29:59 host kernel: msg",
// short-iso: "2026-11-24T16:29:59+0530 host kernel: msg", short-iso-precise), /var/log/kern.log
// (syslog prefix, often followed by dmesg's "[secs]"), `dmesg -r` ("<6>[secs] msg") and audit.log
// ("type=AVC msg=audit(1734393443.740:91): avc:  denied ..."). Events: OOM kills, conntrack table
// full, SYN flooding, SELinux AVC denials, segfaults and traps. Never throws; pure code.

import { forEachLine } from './lines';
import { MONTHS, fractionMs, parseOffset, wallMs, type LogTime } from './time';

export type KernelEventKind =
  | 'oom-invoked'
  | 'oom-constraint'
  | 'oom-killed'
  | 'unit-oom'
  | 'conntrack-full'
  | 'syn-flood'
  | 'avc-denied'
  | 'segfault'
  | 'trap'
  | 'tcp-mem'
  | 'orphan-sockets';

export interface KernelEvent {
  line: number;
  raw: string;
  time?: LogTime;
  kind: KernelEventKind;
  /** The process concerned: the OOM victim, the AVC's subject, the crashed task. */
  pid?: number;
  comm?: string;
  uid?: number;
  /** oom-killed: "Memory cgroup out of memory" (a cgroup limit) rather than the whole host. */
  cgroup?: boolean;
  /** oom-killed: anon-rss in kB; oom-constraint: the memcg. */
  anonRssKb?: number;
  totalVmKb?: number;
  memcg?: string;
  /** syn-flood: "0.0.0.0:8080" or "80"; its port. */
  listen?: string;
  port?: number;
  /** avc-denied: { name_connect }, tclass=tcp_socket, dest=9000, path/name, contexts, permissive. */
  permission?: string;
  tclass?: string;
  dest?: number;
  target?: string;
  scontext?: string;
  tcontext?: string;
  permissive?: boolean;
  /** segfault: "at 0 ip ... error 4 in libc.so.6" */
  address?: string;
  object?: string;
  message: string;
}

export interface KernelLog {
  events: KernelEvent[];
  lines: number;
  /** Lines whose timestamp/prefix could not be read (the message may still be there). */
  unparsed: number;
  /** Lines read that are not one of the events above. */
  other: number;
  work: number;
}

const MONO = /^(?:<\d{1,3}>)?\[\s*(\d{1,10})\.(\d{1,9})\] ?/;
const HUMAN = /^\[(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\] ?/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) \S+ ([^:\s]+(?:\[\d+\])?): /;
const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) \S+ ([^:\s]+(?:\[\d+\])?): /;
const AUDIT = /^type=([A-Z_]+) msg=audit\((\d+)\.(\d+):\d+\): /;

/** Parses kernel log text in any of the forms above; `year` fills syslog lines without one. */
export function parseKernelLog(text: string, opts: { year?: number } = {}): KernelLog {
  const out: KernelLog = { events: [], lines: 0, unparsed: 0, other: 0, work: 0 };
  const year = opts.year ?? new Date().getUTCFullYear();
  out.work += forEachLine(text, (line, no) => {
    out.lines++;
    out.work += 1 + Math.min(line.length, 600);
    if (line.length === 0) return;
    let time: LogTime | undefined;
    let msg = line;
    let m: RegExpExecArray | null;
    let prog: string | undefined;
    if ((m = MONO.exec(line))) {
      time = { wallMs: 0, monoSec: Number(m[1]) + Number('0.' + m[2]) };
      msg = line.slice(m[0].length);
    } else if ((m = HUMAN.exec(line))) {
      const w = wallMs(Number(m[6]), MONTHS[m[1]] ?? -1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
      if (w !== undefined) time = { wallMs: w };
      msg = line.slice(m[0].length);
    } else if ((m = ISO.exec(line))) {
      const w = wallMs(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fractionMs(m[7]));
      const off = parseOffset(m[8]);
      if (w !== undefined) time = off === undefined ? { wallMs: w } : { wallMs: w, offsetMin: off };
      prog = m[9];
      msg = line.slice(m[0].length);
    } else if ((m = SYSLOG.exec(line))) {
      const w = wallMs(year, MONTHS[m[1]] ?? -1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
      if (w !== undefined) time = { wallMs: w, yearGuessed: true };
      prog = m[6];
      msg = line.slice(m[0].length);
    } else if ((m = AUDIT.exec(line))) {
      // audit(EPOCH.MS:SERIAL) is UTC.
      time = { wallMs: Number(m[2]) * 1000 + fractionMs(m[3]), offsetMin: 0 };
      msg = line.slice(m[0].length);
    } else if (/^[\x20-\x7e]/.test(line) === false) {
      out.unparsed++;
      return;
    }
    // kern.log: "Nov 24 16:29:59 host kernel: [ 3586.538835] msg"
    if (prog !== undefined) {
      const inner = MONO.exec(msg);
      if (inner) msg = msg.slice(inner[0].length);
    }
    const e = classifyKernel(msg, prog);
    if (!e) {
      out.other++;
      return;
    }
    const ev: KernelEvent = { line: no, raw: line, message: msg, ...e };
    if (time) ev.time = time;
    out.events.push(ev);
  });
  return out;
}

type Found = Omit<KernelEvent, 'line' | 'raw' | 'message' | 'time'>;

function classifyKernel(msg: string, prog: string | undefined): Found | undefined {
  let m: RegExpExecArray | null;
  if ((m = /(?:Memory cgroup out of memory|Out of memory)(?: \(oom_kill_allocating_task\))?: Kill process (\d+) \(([^)]*)\) score \d+ or sacrifice child/.exec(msg))) {
    // Older kernels announce the victim first, then log "Killed process": count the kill once.
    return { kind: 'oom-invoked', pid: Number(m[1]), comm: m[2] };
  }
  if ((m = /(Memory cgroup out of memory|Out of memory(?: \(oom_kill_allocating_task\))?): Killed process (\d+) \(([^)]*)\)(?: total-vm:(\d+)kB, anon-rss:(\d+)kB)?(?:.*?UID:(\d+))?/.exec(msg))) {
    const f: Found = { kind: 'oom-killed', pid: Number(m[2]), comm: m[3], cgroup: m[1].startsWith('Memory cgroup') };
    if (m[4]) f.totalVmKb = Number(m[4]);
    if (m[5]) f.anonRssKb = Number(m[5]);
    if (m[6]) f.uid = Number(m[6]);
    return f;
  }
  if ((m = /^Killed process (\d+) \(([^)]*)\)(?: total-vm:(\d+)kB, anon-rss:(\d+)kB)?/.exec(msg))) {
    const f: Found = { kind: 'oom-killed', pid: Number(m[1]), comm: m[2] };
    if (m[3]) f.totalVmKb = Number(m[3]);
    if (m[4]) f.anonRssKb = Number(m[4]);
    return f;
  }
  if (msg.startsWith('oom-kill:')) {
    const kv = keyValues(msg.slice(9), ',');
    const f: Found = { kind: 'oom-constraint' };
    if (kv.pid) f.pid = Number(kv.pid);
    if (kv.task) f.comm = kv.task;
    if (kv.uid) f.uid = Number(kv.uid);
    if (kv.oom_memcg) f.memcg = kv.oom_memcg;
    if (kv.constraint) f.cgroup = kv.constraint === 'CONSTRAINT_MEMCG';
    return f;
  }
  if ((m = /^(.+?) invoked oom-killer: /.exec(msg))) return { kind: 'oom-invoked', comm: m[1] };
  if ((m = /^(\S+\.service): A process of this unit has been killed by the OOM killer/.exec(msg))) return { kind: 'unit-oom', comm: m[1] };
  if (/nf_conntrack: (?:nf_conntrack: )?table full, dropping packet/.test(msg)) return { kind: 'conntrack-full' };
  if ((m = /^TCP: (?:request_sock_TCP(?:v6)?: )?Possible SYN flooding on port (\S+?)\. (?:Sending cookies|Dropping request)/.exec(msg))) {
    const listen = m[1];
    const p = /(\d+)$/.exec(listen);
    return p ? { kind: 'syn-flood', listen, port: Number(p[1]) } : { kind: 'syn-flood', listen };
  }
  if ((m = /avc: +denied +\{ ([^}]*?) \} for +(.*)$/.exec(msg))) {
    const kv = keyValues(m[2], ' ');
    const f: Found = { kind: 'avc-denied', permission: m[1].trim() };
    if (kv.pid) f.pid = Number(kv.pid);
    if (kv.comm) f.comm = kv.comm;
    if (kv.tclass) f.tclass = kv.tclass;
    if (kv.dest) f.dest = Number(kv.dest);
    if (kv.path ?? kv.name) f.target = kv.path ?? kv.name;
    if (kv.scontext) f.scontext = kv.scontext;
    if (kv.tcontext) f.tcontext = kv.tcontext;
    if (kv.permissive) f.permissive = kv.permissive === '1';
    return f;
  }
  if ((m = /^(.+?)\[(\d+)\]: segfault at ([0-9a-fx]+) ip \S+ sp \S+ error \d+(?: in ([^\s[]+))?/.exec(msg))) {
    const f: Found = { kind: 'segfault', comm: m[1], pid: Number(m[2]), address: m[3] };
    if (m[4]) f.object = m[4];
    return f;
  }
  if ((m = /^traps: (.+?)\[(\d+)\] (.*?) ip[: ]/.exec(msg))) return { kind: 'trap', comm: m[1], pid: Number(m[2]), address: m[3] };
  if (msg.startsWith('TCP: out of memory')) return { kind: 'tcp-mem' };
  if (msg.startsWith('TCP: too many orphaned sockets')) return { kind: 'orphan-sockets' };
  void prog;
  return undefined;
}

/** "a=1 b="x y" c=z" -> { a: "1", b: "x y", c: "z" } (quotes removed); sep is ' ' or ','. */
function keyValues(s: string, sep: ' ' | ','): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = Math.min(s.length, 4096);
  while (i < n) {
    while (i < n && (s[i] === sep || s[i] === ' ')) i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const key = s.slice(i, eq);
    let v: string;
    if (s[eq + 1] === '"') {
      const q = s.indexOf('"', eq + 2);
      v = s.slice(eq + 2, q < 0 ? n : q);
      i = q < 0 ? n : q + 1;
    } else {
      let e = s.indexOf(sep, eq + 1);
      if (e < 0) e = n;
      v = s.slice(eq + 1, e);
      i = e;
    }
    if (/^[A-Za-z_][\w-]*$/.test(key)) out[key] = v;
  }
  return out;
}
