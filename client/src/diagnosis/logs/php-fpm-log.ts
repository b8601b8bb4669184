// PHP-FPM's own log (error_log of [global], e.g. /var/log/php8.2-fpm.log), its slowlog, and the
// pool's PHP error log. Lines as php-src sapi/fpm/fpm/zlog.c writes them:
//
//   [24-Nov-2026 16:29:38] WARNING: [pool www] child 28739 exited on signal 11 (SIGSEGV) after 0.616450 seconds from start
//   [24-Nov-2026 16:29:38.123456] DEBUG: pid 1, fpm_...(), line 12: ...      (log_level = debug)
//   [WARNING] [pool www] ...                                                 (error_log = syslog, as the journal shows it)
//
// The time is the host's local wall clock without a zone. Parsing never throws; lines that do not
// fit are counted in `unparsed`. Pure code: no I/O, no vscode.

import { forEachLine } from './lines';
import { MONTHS, fractionMs, parseOffset, wallMs, type LogTime } from './time';

export type FpmLevel = 'DEBUG' | 'NOTICE' | 'WARNING' | 'ERROR' | 'ALERT';

export type FpmEventKind =
  | 'max-children'
  | 'seems-busy'
  | 'child-signal'
  | 'child-exit-code'
  | 'child-started'
  | 'execution-timeout'
  | 'slow'
  | 'worker-output'
  | 'bind-failed'
  | 'another-instance'
  | 'init-failed'
  | 'chown-failed'
  | 'ptrace-failed'
  | 'failed-threshold'
  | 'running'
  | 'ready'
  | 'exiting'
  | 'terminating'
  | 'reloading'
  | 'php-error'
  | 'other';

export interface FpmEvent {
  line: number;
  raw: string;
  /** Absent for syslog lines (no time in the line). */
  time?: LogTime;
  level: FpmLevel;
  kind: FpmEventKind;
  pool?: string;
  /** The child (worker) pid, or the master's for "fpm is running, pid N". */
  pid?: number;
  /** exited on signal N (SIGNAME[ - core dumped]) */
  signal?: number;
  signalName?: string;
  coreDumped?: boolean;
  exitCode?: number;
  /** Seconds: since start (child exits), or the request's duration (timeouts, slow). */
  seconds?: number;
  /** pm.max_children from "server reached pm.max_children setting (N)". */
  maxChildren?: number;
  /** seems busy: spawning N children, there are I idle, and T total children */
  spawning?: number;
  idle?: number;
  total?: number;
  script?: string;
  /** "GET /index.php?x=1" (no protocol) */
  request?: string;
  /** bind/chown failures: the address or socket path, the errno and its text. */
  address?: string;
  errno?: number;
  errnoText?: string;
  /** The rest of the message. */
  message: string;
}

export interface FpmLog {
  events: FpmEvent[];
  lines: number;
  unparsed: number;
  unparsedSamples: string[];
  work: number;
}

const HEAD = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\] (DEBUG|NOTICE|WARNING|ERROR|ALERT|SYSTEM): /;
const SYSLOG_HEAD = /^\[(DEBUG|NOTICE|WARNING|ERROR|ALERT)\] /;
// The pool's PHP error log: "[24-Nov-2026 10:00:00 UTC] PHP Fatal error:  ..."; zone is a name or an offset.
const PHP_HEAD = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: ([A-Za-z_/+-][\w/+:-]*))?\] (PHP [A-Z][\w ]*?:  ?)/;

/** Parses a PHP-FPM log text (its own log, or a pool's PHP error log). Never throws. */
export function parsePhpFpmLog(text: string): FpmLog {
  const out: FpmLog = { events: [], lines: 0, unparsed: 0, unparsedSamples: [], work: 0 };
  let last: FpmEvent | undefined;
  out.work += forEachLine(text, (line, no) => {
    out.lines++;
    out.work += 1 + Math.min(line.length, 400);
    let level: FpmLevel | undefined;
    let time: LogTime | undefined;
    let rest: string | undefined;
    const h = line.charCodeAt(0) === 91 ? HEAD.exec(line) : null;
    if (h) {
      const mo = MONTHS[h[2]];
      const w = mo === undefined ? undefined : wallMs(Number(h[3]), mo, Number(h[1]), Number(h[4]), Number(h[5]), Number(h[6]), fractionMs(h[7]));
      if (w !== undefined) {
        time = { wallMs: w };
        level = (h[8] === 'SYSTEM' ? 'NOTICE' : h[8]) as FpmLevel;
        rest = line.slice(h[0].length);
      }
    } else {
      const s = line.charCodeAt(0) === 91 ? SYSLOG_HEAD.exec(line) : null;
      if (s) {
        level = s[1] as FpmLevel;
        rest = line.slice(s[0].length);
      } else {
        const p = line.charCodeAt(0) === 91 ? PHP_HEAD.exec(line) : null;
        const mo = p ? MONTHS[p[2]] : undefined;
        const w = p && mo !== undefined ? wallMs(Number(p[3]), mo, Number(p[1]), Number(p[4]), Number(p[5]), Number(p[6])) : undefined;
        if (p && w !== undefined) {
          const off = p[7] ? parseOffset(p[7]) : undefined;
          const t: LogTime = { wallMs: w };
          if (off !== undefined) t.offsetMin = off;
          const m = line.slice(p[0].length - p[8].length);
          last = { line: no, raw: line, time: t, level: /Fatal|Parse/.test(p[8]) ? 'ERROR' : 'WARNING', kind: 'php-error', message: m };
          out.events.push(last);
          return;
        }
      }
    }
    if (level === undefined || rest === undefined) {
      // A PHP error's stack trace ("#0 /x.php(3): f()", "  thrown in ...") continues the previous event.
      if (last && last.kind === 'php-error' && line.length > 0 && (line.startsWith('#') || line.startsWith('Stack trace:') || line.startsWith('  thrown in') || line.startsWith('Next '))) {
        if (last.raw.length < 4096) last.raw += '\n' + line;
        return;
      }
      if (line.length === 0) return;
      out.unparsed++;
      if (out.unparsedSamples.length < 5) out.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
      return;
    }
    if (level === 'DEBUG') {
      // "pid 1, fpm_event_loop(), line 426: " prefix of log_level = debug
      const d = /^pid \d+, [\w]+\(\), line \d+: /.exec(rest);
      if (d) rest = rest.slice(d[0].length);
    }
    last = classifyFpm(rest, level, no, line, time);
    out.events.push(last);
  });
  return out;
}

const RE = {
  pool: /^\[pool ([^\]]+)\] /,
  maxChildren: /^server reached (?:pm\.)?max_children setting \((\d+)\), consider raising it/,
  busy: /^seems busy \(.*?\), spawning (\d+) children, there are (\d+) idle, and (\d+) total children/,
  signal: /^child (\d+) exited on signal (\d+) \((SIG[A-Z0-9]+)?( - core dumped)?\) after ([\d.]+) seconds from start/,
  code: /^child (\d+) exited with code (\d+) after ([\d.]+) seconds from start/,
  started: /^child (\d+) started/,
  timeout: /^child (\d+), script '(.*)' \(request: "(.*)"\) execution timed out \(([\d.]+) sec\), terminating/,
  slow: /^child (\d+), script '(.*)' \(request: "(.*)"\) executing too slow \(([\d.]+) sec\), logging/,
  output: /^child (\d+) said into (?:stderr|stdout): "(.*)"?/,
  bind: /^unable to bind listening socket for address '(.*)': (.*) \((\d+)\)$/,
  another: /^(?:An a|A)nother FPM instance seems to already listen on (.*)$/,
  chown: /^failed to chown\(\) the socket '(.*)': (.*) \((\d+)\)$/,
  ptrace: /^failed to ptrace\((?:ATTACH|PEEKDATA)\) child (\d+): (.*) \((\d+)\)$/,
  threshold: /^failed processes threshold \((\d+) in (\d+) sec\) is reached, initiating reload/,
  running: /^fpm is running, pid (\d+)/,
};

function classifyFpm(rest: string, level: FpmLevel, no: number, raw: string, time: LogTime | undefined): FpmEvent {
  const e: FpmEvent = { line: no, raw, level, kind: 'other', message: rest };
  if (time) e.time = time;
  let m = RE.pool.exec(rest);
  let msg = rest;
  if (m) {
    e.pool = m[1];
    msg = rest.slice(m[0].length);
  }
  e.message = msg;
  if ((m = RE.maxChildren.exec(msg))) {
    e.kind = 'max-children';
    e.maxChildren = Number(m[1]);
  } else if ((m = RE.busy.exec(msg))) {
    e.kind = 'seems-busy';
    e.spawning = Number(m[1]);
    e.idle = Number(m[2]);
    e.total = Number(m[3]);
  } else if ((m = RE.signal.exec(msg))) {
    e.kind = 'child-signal';
    e.pid = Number(m[1]);
    e.signal = Number(m[2]);
    if (m[3]) e.signalName = m[3];
    e.coreDumped = m[4] !== undefined;
    e.seconds = Number(m[5]);
  } else if ((m = RE.code.exec(msg))) {
    e.kind = 'child-exit-code';
    e.pid = Number(m[1]);
    e.exitCode = Number(m[2]);
    e.seconds = Number(m[3]);
  } else if ((m = RE.started.exec(msg))) {
    e.kind = 'child-started';
    e.pid = Number(m[1]);
  } else if ((m = RE.timeout.exec(msg)) || (m = RE.slow.exec(msg))) {
    e.kind = msg.includes('execution timed out') ? 'execution-timeout' : 'slow';
    e.pid = Number(m[1]);
    e.script = m[2];
    e.request = m[3];
    e.seconds = Number(m[4]);
  } else if ((m = RE.output.exec(msg))) {
    e.kind = 'worker-output';
    e.pid = Number(m[1]);
  } else if ((m = RE.bind.exec(msg))) {
    e.kind = 'bind-failed';
    e.address = m[1];
    e.errnoText = m[2];
    e.errno = Number(m[3]);
  } else if ((m = RE.another.exec(msg))) {
    e.kind = 'another-instance';
    e.address = m[1];
  } else if ((m = RE.chown.exec(msg))) {
    e.kind = 'chown-failed';
    e.address = m[1];
    e.errnoText = m[2];
    e.errno = Number(m[3]);
  } else if ((m = RE.ptrace.exec(msg))) {
    e.kind = 'ptrace-failed';
    e.pid = Number(m[1]);
    e.errnoText = m[2];
    e.errno = Number(m[3]);
  } else if (RE.threshold.test(msg)) {
    e.kind = 'failed-threshold';
  } else if ((m = RE.running.exec(msg))) {
    e.kind = 'running';
    e.pid = Number(m[1]);
  } else if (msg.startsWith('ready to handle connections')) {
    e.kind = 'ready';
  } else if (msg.startsWith('exiting, bye-bye')) {
    e.kind = 'exiting';
  } else if (msg.startsWith('Terminating') || msg.startsWith('Finishing')) {
    e.kind = 'terminating';
  } else if (msg.startsWith('Reloading in progress') || msg.startsWith('reloading: ')) {
    e.kind = 'reloading';
  } else if (msg.startsWith('FPM initialization failed')) {
    e.kind = 'init-failed';
  }
  return e;
}

// ---------- slowlog ----------

export interface SlowlogEntry {
  line: number;
  time: LogTime;
  pool: string;
  pid: number;
  script?: string;
  /** "usleep() /var/www/x.php:1", innermost first. */
  frames: string[];
  raw: string;
}

export interface Slowlog {
  entries: SlowlogEntry[];
  lines: number;
  unparsed: number;
  work: number;
}

const SLOW_HEAD = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})\]  \[pool ([^\]]+)\] pid (\d+)$/;
const MAX_FRAMES = 50;

/** Parses a request_slowlog_timeout slowlog: a header line, script_filename, then stack frames. */
export function parsePhpFpmSlowlog(text: string): Slowlog {
  const out: Slowlog = { entries: [], lines: 0, unparsed: 0, work: 0 };
  let cur: SlowlogEntry | undefined;
  out.work += forEachLine(text, (line, no) => {
    out.lines++;
    out.work++;
    const h = line.charCodeAt(0) === 91 ? SLOW_HEAD.exec(line) : null;
    if (h) {
      const mo = MONTHS[h[2]];
      const w = mo === undefined ? undefined : wallMs(Number(h[3]), mo, Number(h[1]), Number(h[4]), Number(h[5]), Number(h[6]));
      if (w !== undefined) {
        cur = { line: no, time: { wallMs: w }, pool: h[7], pid: Number(h[8]), frames: [], raw: line };
        out.entries.push(cur);
        return;
      }
    }
    if (line.length === 0) {
      cur = undefined;
      return;
    }
    if (cur && line.startsWith('script_filename = ')) {
      cur.script = line.slice(18);
      return;
    }
    const f = cur ? /^\[0x[0-9a-f]+\] (.*)$/.exec(line) : null;
    if (cur && f) {
      if (cur.frames.length < MAX_FRAMES) cur.frames.push(f[1]);
      return;
    }
    out.unparsed++;
  });
  return out;
}
