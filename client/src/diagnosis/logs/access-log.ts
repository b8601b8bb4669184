// The access log, read with the configuration's own log_format: compileLogFormat() turns the
// format string into a line parser (a left-to-right scan, no backtracking: linear in the line).
// Values are unescaped as nginx escaped them: `default` writes '"', '\' and bytes outside
// 0x20-0x7e as \xHH; `json` writes \" \\ \n \uXXXX; `none` writes them raw. Then summarize():
// 5xx per minute (502, 503, 504 apart) over a window, and the URIs and upstreams behind the 502s.
// Pure code: no I/O, no vscode.

import { forEachLine } from './lines';
import { MONTHS, fractionMs, parseOffset, wallMs, type LogTime } from './time';

export type LogEscape = 'default' | 'json' | 'none';

/** nginx's predefined format (ngx_http_log_module.c). */
export const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

export interface AccessEntry {
  line: number;
  raw: string;
  /** Every variable of the format, unescaped; "-" (nginx's empty value) is kept as written. */
  vars: Record<string, string>;
  time?: LogTime;
  status?: number;
  method?: string;
  /** The request URI from $request (or $request_uri / $uri), with the query. */
  uri?: string;
  /** $upstream_status as a list: "502, 502" -> [502, 502]; "-" is absent; " : " (internal redirect) flattened. */
  upstreamStatus: number[];
  /** $upstream_addr as a list, same shape as upstreamStatus. */
  upstreamAddr: string[];
  /** $request_time in seconds. */
  requestTime?: number;
  upstreamResponseTime?: number;
}

export interface AccessLog {
  entries: AccessEntry[];
  lines: number;
  unparsed: number;
  unparsedSamples: string[];
  work: number;
}

export interface AccessLogParser {
  format: string;
  escape: LogEscape;
  /** The variable names in order. */
  variables: string[];
  parseLine(line: string, no?: number): AccessEntry | undefined;
  parse(text: string): AccessLog;
}

export interface LogFormatError {
  error: string;
}

type Part = { lit: string } | { name: string };

/** Variables whose value is a number: they may be followed by another variable with no text between. */
const NUMERIC = new Set(['status', 'body_bytes_sent', 'bytes_sent', 'request_length', 'request_time', 'msec', 'connection', 'connection_requests', 'pid', 'remote_port', 'server_port', 'content_length', 'pipe']);

/**
 * Compiles a log_format string (the directive's string arguments joined, as nginx joins them).
 * `combined` (or an empty format) means nginx's predefined format.
 */
export function compileLogFormat(format: string, escape: LogEscape = 'default'): AccessLogParser | LogFormatError {
  const fmt = format === 'combined' || format === '' ? COMBINED : format;
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; ) {
    const c = fmt[i];
    if (c === '$') {
      let name: string | undefined;
      let j = i + 1;
      if (fmt[j] === '{') {
        const close = fmt.indexOf('}', j);
        if (close < 0) return { error: `unclosed "\${" at ${i}` };
        name = fmt.slice(j + 1, close);
        j = close + 1;
      } else {
        while (j < fmt.length && /[A-Za-z0-9_]/.test(fmt[j])) j++;
        name = fmt.slice(i + 1, j);
      }
      if (!name || !/^[A-Za-z0-9_]+$/.test(name)) return { error: `invalid variable name at ${i}` };
      if (lit) parts.push({ lit });
      lit = '';
      parts.push({ name: name.toLowerCase() });
      i = j;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) parts.push({ lit });
  const variables = parts.filter((p): p is { name: string } => 'name' in p).map((p) => p.name);
  for (let k = 0; k + 1 < parts.length; k++) {
    const a = parts[k];
    if ('name' in a && 'name' in parts[k + 1] && !NUMERIC.has(a.name)) {
      return { error: `$${a.name} is followed by another variable with no text between: the line cannot be split` };
    }
  }
  const parser: AccessLogParser = {
    format: fmt,
    escape,
    variables,
    parseLine: (line, no = 0) => parseWith(parts, escape, line, no),
    parse: (text) => {
      const out: AccessLog = { entries: [], lines: 0, unparsed: 0, unparsedSamples: [], work: 0 };
      out.work += forEachLine(text, (line, no) => {
        out.lines++;
        out.work += 1 + line.length;
        if (line.length === 0) return;
        const e = parseWith(parts, escape, line, no);
        if (e) out.entries.push(e);
        else {
          out.unparsed++;
          if (out.unparsedSamples.length < 5) out.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
        }
      });
      return out;
    },
  };
  return parser;
}

/**
 * From a log_format directive's arguments (after the name): an optional escape=..., then the
 * strings nginx concatenates. `log_format main escape=json '{"a":"$a",' '"b":$b}';` ->
 * compileLogFormatDirective(['escape=json', '{"a":"$a",', '"b":$b}']).
 */
export function compileLogFormatDirective(args: readonly string[]): AccessLogParser | LogFormatError {
  let escape: LogEscape = 'default';
  let rest = args;
  const m = rest.length ? /^escape=(default|json|none)$/.exec(rest[0]) : null;
  if (m) {
    escape = m[1] as LogEscape;
    rest = rest.slice(1);
  }
  return compileLogFormat(rest.join(''), escape);
}

function parseWith(parts: readonly Part[], escape: LogEscape, line: string, no: number): AccessEntry | undefined {
  const vars: Record<string, string> = {};
  let i = 0;
  const n = line.length;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if ('lit' in p) {
      if (!line.startsWith(p.lit, i)) return undefined;
      i += p.lit.length;
      continue;
    }
    const next = parts[k + 1];
    const quoted = i > 0 && line.charCodeAt(i - 1) === 34 && next !== undefined && 'lit' in next && next.lit.startsWith('"');
    let end: number;
    if (next === undefined) {
      end = n;
    } else if ('name' in next) {
      // Only after a numeric variable: take the number ($status is always 3 digits).
      end = i;
      const max = p.name === 'status' ? i + 3 : n;
      while (end < n && end < max && /[0-9.-]/.test(line[end])) end++;
    } else if (quoted && escape === 'json') {
      // The first '"' not escaped by a backslash.
      end = i;
      while (end < n) {
        const c = line.charCodeAt(end);
        if (c === 92) end += 2;
        else if (c === 34) break;
        else end++;
      }
      if (end > n) end = n;
      if (!line.startsWith(next.lit, end)) return undefined;
    } else {
      end = line.indexOf(next.lit, i);
      if (end < 0) return undefined;
    }
    vars[p.name] = unescape(line.slice(i, end), escape);
    i = end;
  }
  if (i !== n) return undefined;
  return derive(vars, line, no);
}

function unescape(v: string, escape: LogEscape): string {
  if (escape === 'none' || v.indexOf('\\') < 0) return v;
  if (escape === 'default') return v.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return v.replace(/\\(u[0-9A-Fa-f]{4}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'u': return String.fromCharCode(parseInt(e.slice(1), 16));
      default: return e;
    }
  });
}

const present = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== '-';

function derive(vars: Record<string, string>, raw: string, no: number): AccessEntry {
  const e: AccessEntry = { line: no, raw, vars, upstreamStatus: [], upstreamAddr: [] };
  const t = parseAccessTime(vars);
  if (t) e.time = t;
  if (present(vars.status) && /^\d{3}$/.test(vars.status)) e.status = Number(vars.status);
  if (present(vars.request)) {
    const m = /^([A-Z]+) (\S+)/.exec(vars.request);
    if (m) {
      e.method = m[1];
      e.uri = m[2];
    }
  }
  if (!e.uri && present(vars.request_uri)) e.uri = vars.request_uri;
  if (!e.uri && present(vars.uri)) e.uri = vars.uri;
  if (!e.method && present(vars.request_method)) e.method = vars.request_method;
  if (present(vars.upstream_status)) {
    for (const s of splitList(vars.upstream_status)) e.upstreamStatus.push(/^\d{3}$/.test(s) ? Number(s) : 0);
  }
  if (present(vars.upstream_addr)) e.upstreamAddr = splitList(vars.upstream_addr);
  if (present(vars.request_time) && Number.isFinite(Number(vars.request_time))) e.requestTime = Number(vars.request_time);
  if (present(vars.upstream_response_time)) {
    const last = splitList(vars.upstream_response_time).pop();
    if (last && Number.isFinite(Number(last))) e.upstreamResponseTime = Number(last);
  }
  return e;
}

/** "502, 502 : 200" -> ["502", "502", "200"] (", " between peers, " : " between internal redirects). */
function splitList(v: string): string[] {
  return v.split(/, | : /).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** $time_local "24/Nov/2026:16:31:36 +0530", $time_iso8601 "2026-11-24T16:31:36+05:30", $msec "1764000000.123". */
export function parseAccessTime(vars: Record<string, string>): LogTime | undefined {
  let m: RegExpExecArray | null;
  if (vars.time_local && (m = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})$/.exec(vars.time_local))) {
    const w = wallMs(Number(m[3]), MONTHS[m[2]] ?? -1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
    const off = parseOffset(m[7]);
    if (w !== undefined && off !== undefined) return { wallMs: w, offsetMin: off };
  }
  if (vars.time_iso8601 && (m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(vars.time_iso8601))) {
    const w = wallMs(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fractionMs(m[7]));
    const off = parseOffset(m[8]);
    if (w !== undefined && off !== undefined) return { wallMs: w, offsetMin: off };
  }
  if (vars.msec && /^\d{9,11}(\.\d{1,3})?$/.test(vars.msec)) return { wallMs: Math.round(Number(vars.msec) * 1000), offsetMin: 0 };
  return undefined;
}

// ---------- summary ----------

export interface MinuteBucket {
  /** The minute's start, ISO 8601 UTC. */
  minute: string;
  total: number;
  s5xx: number;
  s502: number;
  s503: number;
  s504: number;
}

export interface AccessSummary {
  /** Entries inside the window (all entries with no time when no window is given). */
  total: number;
  s5xx: number;
  s502: number;
  s503: number;
  s504: number;
  /** Minutes with at least one request, oldest first. */
  minutes: MinuteBucket[];
  /** Paths (query removed) of the 502s, most frequent first. */
  top502Uris: { uri: string; count: number }[];
  /** Upstream peers that answered 502 (or where nginx made the 502), most frequent first. */
  top502Upstreams: { upstream: string; count: number }[];
  /** Entries left out because they had no readable time while a window was given. */
  untimed: number;
  firstSeen?: string;
  lastSeen?: string;
}

/**
 * 5xx per minute and the 502s' top URIs and upstreams. `fromMs`/`toMs` (UTC ms, inclusive/exclusive)
 * limit the window; entries without a time count only when no window is given.
 */
export function summarizeAccess(entries: readonly AccessEntry[], opts: { fromMs?: number; toMs?: number; top?: number } = {}): AccessSummary {
  const top = opts.top ?? 5;
  const windowed = opts.fromMs !== undefined || opts.toMs !== undefined;
  const sum: AccessSummary = { total: 0, s5xx: 0, s502: 0, s503: 0, s504: 0, minutes: [], top502Uris: [], top502Upstreams: [], untimed: 0 };
  const minutes = new Map<number, MinuteBucket>();
  const uris = new Map<string, number>();
  const ups = new Map<string, number>();
  let first: number | undefined;
  let last: number | undefined;
  for (const e of entries) {
    const utc = e.time ? e.time.wallMs - (e.time.offsetMin ?? 0) * 60_000 : undefined;
    if (windowed) {
      if (utc === undefined || e.time?.offsetMin === undefined) {
        sum.untimed++;
        continue;
      }
      if (opts.fromMs !== undefined && utc < opts.fromMs) continue;
      if (opts.toMs !== undefined && utc >= opts.toMs) continue;
    }
    sum.total++;
    const st = e.status ?? 0;
    const is5 = st >= 500 && st <= 599;
    if (is5) sum.s5xx++;
    if (st === 502) sum.s502++;
    if (st === 503) sum.s503++;
    if (st === 504) sum.s504++;
    if (utc !== undefined && e.time?.offsetMin !== undefined) {
      if (first === undefined || utc < first) first = utc;
      if (last === undefined || utc > last) last = utc;
      const key = Math.floor(utc / 60_000) * 60_000;
      let b = minutes.get(key);
      if (!b) {
        b = { minute: new Date(key).toISOString(), total: 0, s5xx: 0, s502: 0, s503: 0, s504: 0 };
        minutes.set(key, b);
      }
      b.total++;
      if (is5) b.s5xx++;
      if (st === 502) b.s502++;
      if (st === 503) b.s503++;
      if (st === 504) b.s504++;
    }
    if (st === 502) {
      if (e.uri) {
        const q = e.uri.indexOf('?');
        const path = q >= 0 ? e.uri.slice(0, q) : e.uri;
        uris.set(path, (uris.get(path) ?? 0) + 1);
      }
      // The peers that failed: with a status list, those with 502 (nginx's own for connect errors);
      // else every address listed.
      const addrs = e.upstreamAddr;
      const failed = e.upstreamStatus.length === addrs.length ? addrs.filter((_, i) => e.upstreamStatus[i] === 502 || e.upstreamStatus[i] === 0) : addrs;
      for (const a of new Set(failed)) ups.set(a, (ups.get(a) ?? 0) + 1);
    }
  }
  sum.minutes = [...minutes.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  const topOf = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  sum.top502Uris = topOf(uris).map(([uri, count]) => ({ uri, count }));
  sum.top502Upstreams = topOf(ups).map(([upstream, count]) => ({ upstream, count }));
  if (first !== undefined) sum.firstSeen = new Date(first).toISOString();
  if (last !== undefined) sum.lastSeen = new Date(last).toISOString();
  return sum;
}
