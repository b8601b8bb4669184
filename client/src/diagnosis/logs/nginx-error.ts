// nginx error.log: the line grammar, the upstream peer, and the signature of each line.
//
//   YYYY/MM/DD HH:MM:SS [LEVEL] PID#TID: [*CID ]MESSAGE[ (ERRNO: TEXT)][ while ACTION][, client: IP, server: NAME[, request: "..."][, subrequest: "..."][, upstream: "..."][, host: "..."][, referrer: "..."]]
//
// Signatures key on the errno NUMBER (glibc and musl word them differently) and on nginx's own
// fixed message texts. Parsing never throws: a line that does not fit the grammar is counted in
// `unparsed`. A FastCGI stderr text can span several physical lines (PHP stack traces): the lines
// without a timestamp that follow an entry whose trailer is missing are joined to it.
// Pure code: no I/O, no vscode.

import { forEachLine } from './lines';
import { fractionMs, wallMs, type LogTime } from './time';

export type NginxLevel = 'emerg' | 'alert' | 'crit' | 'error' | 'warn' | 'notice' | 'info' | 'debug';
const LEVELS: ReadonlySet<string> = new Set(['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug']);

export type NginxSignatureId =
  | 'connect-refused'
  | 'unix-socket-missing'
  | 'unix-socket-refused'
  | 'permission-denied'
  | 'eagain'
  | 'ephemeral-ports'
  | 'no-route'
  | 'net-unreachable'
  | 'connect-failed'
  | 'connect-timeout'
  | 'read-timeout'
  | 'send-timeout'
  | 'upstream-timeout'
  | 'prematurely-closed'
  | 'fastcgi-prematurely-closed-stdout'
  | 'reset-by-peer'
  | 'broken-pipe'
  | 'upstream-body-truncated'
  | 'too-big-header'
  | 'invalid-header'
  | 'fastcgi-unexpected-record'
  | 'fastcgi-stderr'
  | 'primary-script-unknown'
  | 'fpm-access-denied'
  | 'dns-not-resolved'
  | 'no-resolver'
  | 'resolver-unreachable'
  | 'no-live-upstreams'
  | 'upstream-disabled'
  | 'too-many-open-files'
  | 'worker-connections'
  | 'worker-connections-exceed-nofile'
  | 'ssl-wrong-version'
  | 'ssl-handshake-failure'
  | 'ssl-verify-error'
  | 'ssl-name-mismatch'
  | 'emerg-host-not-found'
  | 'worker-crash';

export interface SignatureInfo {
  /** What the client most likely got (null: no response of its own, e.g. a startup line). */
  status: number | null;
  summary: string;
  /** Cause ids of the ranking this signature points at, most likely first. */
  causes: string[];
  /** A consequence of an earlier failure (attach it to the root cause when one is known). */
  secondary?: boolean;
  /** Not a 502 at all (404, a truncated 200...): shown, never ranked as the 502's cause. */
  notA502?: boolean;
}

/** Knowledge as data: what each signature means and which causes it points at. */
export const NGINX_SIGNATURES: Readonly<Record<NginxSignatureId, SignatureInfo>> = {
  'connect-refused': { status: 502, summary: 'TCP upstream refused the connection (111): nothing listens on that port, or a firewall REJECT with tcp-reset', causes: ['upstream-refused', 'firewall-blocked'] },
  'unix-socket-missing': { status: 502, summary: 'upstream unix socket does not exist (2): PHP-FPM is stopped, or the path/version in the config is wrong', causes: ['fpm-down'] },
  'unix-socket-refused': { status: 502, summary: 'unix socket file exists but nothing accepts on it (111): stale socket, the FPM master was killed', causes: ['fpm-down'] },
  'permission-denied': { status: 502, summary: 'connect() denied (13): on a unix socket its owner/group/mode vs nginx\'s user, or SELinux; on TCP SELinux name_connect (or a prohibit route)', causes: ['fpm-socket-permission', 'selinux-denied', 'firewall-blocked'] },
  eagain: { status: 502, summary: 'unix socket accept backlog full (11): the pool is saturated', causes: ['fpm-saturated', 'server-overload'] },
  'ephemeral-ports': { status: 502, summary: 'no source address/port for connect() (99): ephemeral ports exhausted; with an IPv6 peer such as [::1] the host has no usable IPv6 address (localhost resolved to ::1)', causes: ['ephemeral-ports'] },
  'no-route': { status: 502, summary: 'no route to host (113): firewall REJECT icmp-host-prohibited, an unreachable route, or the host is down', causes: ['firewall-blocked'] },
  'net-unreachable': { status: 502, summary: 'network unreachable (101): no route to that network (often IPv6 without a route)', causes: ['firewall-blocked'] },
  'connect-failed': { status: 502, summary: 'connect() to the upstream failed', causes: ['upstream-refused'] },
  'connect-timeout': { status: 504, summary: 'timed out connecting to the upstream (110): firewall DROP, host down, or a full listen backlog dropping SYNs', causes: ['upstream-timeout', 'firewall-blocked', 'fpm-saturated'] },
  'read-timeout': { status: 504, summary: 'timed out reading the response header (110): slow backend or a saturated pool', causes: ['upstream-timeout', 'fpm-saturated'] },
  'send-timeout': { status: 504, summary: 'timed out sending the request to the upstream', causes: ['upstream-timeout'] },
  'upstream-timeout': { status: 504, summary: 'upstream timed out', causes: ['upstream-timeout'] },
  'prematurely-closed': { status: 502, summary: 'upstream closed the connection before a response header: backend crash or kill, or a keepalive race', causes: ['backend-crash', 'fpm-terminate-timeout', 'oom-killed'], secondary: true },
  'fastcgi-prematurely-closed-stdout': { status: 502, summary: 'FastCGI stdout ended before a response header: the worker ended early', causes: ['backend-crash', 'invalid-upstream-response'] },
  'reset-by-peer': { status: 502, summary: 'upstream reset the connection (104): worker killed (SIGSEGV, SIGKILL/OOM, request_terminate_timeout) or crashed', causes: ['backend-crash', 'fpm-terminate-timeout', 'oom-killed'], secondary: true },
  'broken-pipe': { status: 502, summary: 'upstream closed while nginx was sending the request (32)', causes: ['backend-crash'] },
  'upstream-body-truncated': { status: 200, summary: 'upstream failed after the response header: the client got a truncated body, not a 502', causes: ['backend-crash'], notA502: true },
  'too-big-header': { status: 502, summary: 'upstream response header larger than proxy_/fastcgi_buffer_size', causes: ['header-too-big'] },
  'invalid-header': { status: 502, summary: 'upstream sent an invalid response header or status line', causes: ['invalid-upstream-response'] },
  'fastcgi-unexpected-record': { status: 502, summary: 'upstream broke the FastCGI protocol (unexpected record)', causes: ['invalid-upstream-response'] },
  'fastcgi-stderr': { status: null, summary: 'the FastCGI application wrote to stderr (PHP messages)', causes: [], notA502: true },
  'primary-script-unknown': { status: 404, summary: 'PHP-FPM found no script at SCRIPT_FILENAME (root or fastcgi_param wrong): a 404, not a 502', causes: [], notA502: true },
  'fpm-access-denied': { status: 403, summary: 'PHP-FPM refused the script (security.limit_extensions): a 403, not a 502', causes: [], notA502: true },
  'dns-not-resolved': { status: 502, summary: 'upstream name could not be resolved at request time', causes: ['dns-failure'] },
  'no-resolver': { status: 502, summary: 'proxy_pass with a variable needs a resolver; none is defined', causes: ['dns-failure'] },
  'resolver-unreachable': { status: null, summary: 'the resolver did not answer (send/recv failed while resolving)', causes: ['dns-failure'] },
  'no-live-upstreams': { status: 502, summary: 'every server of the upstream group is marked failed; the cause is in earlier lines', causes: ['no-live-upstreams'], secondary: true },
  'upstream-disabled': { status: null, summary: 'a server was marked failed (max_fails reached)', causes: ['no-live-upstreams'], secondary: true },
  'too-many-open-files': { status: 500, summary: 'out of file descriptors (24): worker_rlimit_nofile / LimitNOFILE too low', causes: ['fd-exhausted'] },
  'worker-connections': { status: 500, summary: 'worker_connections exhausted', causes: ['fd-exhausted', 'server-overload'] },
  'worker-connections-exceed-nofile': { status: null, summary: 'worker_connections above the open-file limit (startup warning)', causes: ['fd-exhausted'] },
  'ssl-wrong-version': { status: 502, summary: 'TLS to a port that speaks plain HTTP (wrong version number): https:// in proxy_pass to an http port', causes: ['upstream-tls'] },
  'ssl-handshake-failure': { status: 502, summary: 'TLS handshake with the upstream failed (protocol/cipher mismatch, SNI: proxy_ssl_server_name, client certificate)', causes: ['upstream-tls'] },
  'ssl-verify-error': { status: 502, summary: 'upstream certificate not trusted (proxy_ssl_verify on)', causes: ['upstream-tls'] },
  'ssl-name-mismatch': { status: 502, summary: 'upstream certificate does not match proxy_ssl_name', causes: ['upstream-tls'] },
  'emerg-host-not-found': { status: null, summary: 'an upstream host name did not resolve at start/reload: nginx refused the configuration', causes: ['dns-failure'] },
  'worker-crash': { status: null, summary: 'an nginx worker process crashed', causes: ['server-overload'] },
};

export interface UpstreamPeer {
  /** As written: "fastcgi://unix:/run/php/php8.2-fpm.sock:", "unix:/x.sock", "[::1]:8081", ... */
  text: string;
  /** http, https, fastcgi, uwsgi, scgi, grpc, memcached; absent when taken from "connect() to X". */
  scheme?: string;
  /** The unix socket path. */
  unix?: string;
  /** IP or name (IPv6 without brackets). */
  host?: string;
  port?: number;
  /** The URI after the peer (proxy_pass with a path). */
  uri?: string;
  /** An upstream block name with no peer ("no live upstreams"): host is then undefined. */
  group?: string;
}

export interface NginxErrorEntry {
  /** 1-based line number of the first physical line. */
  line: number;
  /** The line as read (joined with "\n" when it spanned several physical lines). */
  raw: string;
  /** Local wall clock, no zone: place it with the host's `date +%z` (time.ts). */
  time: LogTime;
  level: NginxLevel;
  pid: number;
  tid: number;
  /** The connection number (*CID); absent on lines without a connection. */
  cid?: number;
  /** The message without errno part, action and trailer. */
  message: string;
  /** errno from "(N: TEXT)"; for "could not be resolved" the resolver's code (3 NXDOMAIN, 2 SERVFAIL, 5 REFUSED, 110 timeout). */
  errno?: number;
  errnoText?: string;
  /** The text of "(SSL: ...)". */
  sslError?: string;
  sslAlert?: number;
  /** "upstream SSL certificate verify error: (20:unable to get local issuer certificate)". */
  verifyError?: { code: number; text: string };
  /** After " while ": "connecting to upstream", "reading response header from upstream", ... */
  action?: string;
  client?: string;
  server?: string;
  request?: string;
  subrequest?: string;
  upstream?: string;
  host?: string;
  referrer?: string;
  /** Other trailer fields (resolver, login, bytes from/to ..., and keys of a future nginx). */
  fields?: Record<string, string>;
  peer?: UpstreamPeer;
  /** The text of "FastCGI sent in stderr: "..."". */
  fastcgiStderr?: string;
  /** The name in "NAME could not be resolved", "no resolver defined to resolve NAME", "host not found in upstream". */
  resolveName?: string;
  /** "in FILE:LINE" of [emerg] configuration lines. */
  configFile?: string;
  configLine?: number;
  signature?: NginxSignatureId;
  /** The trailer was cut (nginx's 2048-byte limit, or a line cut short). */
  truncated?: boolean;
}

export interface NginxErrorLog {
  entries: NginxErrorEntry[];
  /** Physical lines read. */
  lines: number;
  /** Lines that did not fit the grammar (garbage, binary, other formats, stray continuation lines). */
  unparsed: number;
  /** The first few unparsed lines, for "what could not be read". */
  unparsedSamples: string[];
  /** Parsed entries with no signature (notices, client-side errors, a future nginx's messages). */
  unclassified: number;
  /** Characters and steps looked at: grows linearly with the input (tests count it). */
  work: number;
}

const HEAD = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? \[([a-z]+)\] (\d+)#(\d+): (?:\*(\d+) )?/;
const MAX_CONTINUATION_LINES = 64;
const MAX_ENTRY_CHARS = 16_384;
const MAX_CANDIDATES = 8;

/** Parses a whole error log text. Never throws. */
export function parseNginxErrorLog(text: string): NginxErrorLog {
  const out: NginxErrorLog = { entries: [], lines: 0, unparsed: 0, unparsedSamples: [], unclassified: 0, work: 0 };
  let pending: { head: RegExpExecArray; first: string; no: number; extra: string[]; size: number } | undefined;

  const unparsed = (line: string) => {
    out.unparsed++;
    if (out.unparsedSamples.length < 5) out.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
  };
  const flush = () => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    let entry: NginxErrorEntry | undefined;
    if (p.extra.length) {
      const joined = [p.first, ...p.extra].join('\n');
      out.work += joined.length;
      const e = buildEntry(p.head, joined, p.no, out);
      if (e.client !== undefined || e.fields) entry = e;
    }
    if (!entry) {
      entry = buildEntry(p.head, p.first, p.no, out);
      for (const l of p.extra) unparsed(l);
    }
    if (!entry.signature) out.unclassified++;
    out.entries.push(entry);
  };

  out.work += forEachLine(text, (line, no) => {
    out.lines++;
    out.work++;
    const head = line.length >= 30 && line.charCodeAt(4) === 47 ? HEAD.exec(line) : null;
    if (head && LEVELS.has(head[8])) {
      flush();
      // Entries whose trailer is on this very line are final; others may continue on the next lines.
      const body = line.slice(head[0].length);
      out.work += body.length;
      if (findTrailer(body, out) !== undefined || !mayContinue(body)) {
        const e = buildEntry(head, line, no, out);
        if (!e.signature) out.unclassified++;
        out.entries.push(e);
      } else {
        pending = { head, first: line, no, extra: [], size: line.length };
      }
      return;
    }
    if (pending && pending.extra.length < MAX_CONTINUATION_LINES && pending.size + line.length < MAX_ENTRY_CHARS) {
      pending.extra.push(line);
      pending.size += line.length + 1;
      return;
    }
    flush();
    if (line.length === 0) return;
    unparsed(line);
  });
  flush();
  return out;
}

/** A message that can go on over several physical lines: an open quote (FastCGI stderr, Lua errors). */
function mayContinue(body: string): boolean {
  return body.includes(' sent in stderr: "') || /lua|stack traceback/i.test(body);
}

function buildEntry(head: RegExpExecArray, line: string, no: number, out: NginxErrorLog): NginxErrorEntry {
  const body = line.slice(head[0].length);
  const wall = wallMs(Number(head[1]), Number(head[2]) - 1, Number(head[3]), Number(head[4]), Number(head[5]), Number(head[6]), fractionMs(head[7]));
  const e: NginxErrorEntry = {
    line: no,
    raw: line,
    time: { wallMs: wall ?? 0 },
    level: head[8] as NginxLevel,
    pid: Number(head[9]),
    tid: Number(head[10]),
    message: body,
  };
  if (head[11] !== undefined) e.cid = Number(head[11]);

  const trailer = findTrailer(body, out);
  let msg = body;
  if (trailer) {
    msg = body.slice(0, trailer.start);
    const seen = new Set<string>();
    for (const [k, v] of trailer.fields) {
      // The first value of a key wins: a repeated key came from inside a value.
      if (seen.has(k)) continue;
      seen.add(k);
      switch (k) {
        case 'client': e.client = v; break;
        case 'server': e.server = v; break;
        case 'request': e.request = v; break;
        case 'subrequest': e.subrequest = v; break;
        case 'upstream': e.upstream = v; break;
        case 'host': e.host = v; break;
        case 'referrer': e.referrer = v; break;
        default: (e.fields ??= {})[k] = v;
      }
    }
    if (trailer.truncated) e.truncated = true;
  }

  // " while ACTION": the last one, when what follows reads like one of nginx's action phrases.
  const w = msg.lastIndexOf(' while ');
  if (w >= 0) {
    const action = msg.slice(w + 7);
    if (action.length <= 80 && /^[A-Za-z][\w ./-]*$/.test(action)) {
      e.action = action;
      msg = msg.slice(0, w);
    }
  }
  // [emerg] ... in FILE:LINE
  if (e.level === 'emerg' || e.level === 'alert' || e.level === 'crit' || e.level === 'warn') {
    const m = / in (\/\S*|[A-Za-z]:\S*):(\d+)$/.exec(msg);
    if (m && !e.client) {
      e.configFile = m[1];
      e.configLine = Number(m[2]);
      msg = msg.slice(0, m.index);
    }
  }
  e.message = msg;

  if (msg.startsWith('FastCGI sent in stderr: "')) {
    const end = msg.lastIndexOf('"');
    e.fastcgiStderr = msg.slice(25, end > 25 ? end : msg.length);
  } else {
    parseErrno(e, msg);
  }
  if (e.upstream !== undefined) e.peer = parsePeer(e.upstream, true);
  else {
    const m = /^connect\(\) to (\S+) failed/.exec(msg);
    if (m) e.peer = parsePeer(m[1], false);
  }
  e.signature = classify(e);
  return e;
}

function parseErrno(e: NginxErrorEntry, msg: string): void {
  // The last "(N: TEXT)" is the errno (nginx puts it at the end of the message).
  const re = /\((\d{1,5}): ([^()]*)\)/g;
  let m: RegExpExecArray | null;
  let last: RegExpExecArray | null = null;
  while ((m = re.exec(msg)) !== null) last = m;
  if (last) {
    e.errno = Number(last[1]);
    e.errnoText = last[2];
  }
  const ssl = msg.indexOf('(SSL: ');
  if (ssl >= 0) {
    const close = msg.lastIndexOf(')');
    e.sslError = msg.slice(ssl + 6, close > ssl ? close : msg.length);
    const a = /SSL alert number (\d+)/.exec(e.sslError);
    if (a) e.sslAlert = Number(a[1]);
  }
  const v = /^upstream SSL certificate verify error: \((\d+):([^)]*)\)/.exec(msg);
  if (v) e.verifyError = { code: Number(v[1]), text: v[2] };
}

/** Parses "fastcgi://unix:/run/php.sock:", "http://10.0.0.5:8080/p", "[::1]:80", "unix:/x", "dead_pair". */
export function parsePeer(text: string, fromTrailer: boolean): UpstreamPeer {
  const peer: UpstreamPeer = { text };
  let rest = text;
  const s = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (s) {
    peer.scheme = s[1].toLowerCase();
    rest = rest.slice(s[0].length);
  }
  if (rest.startsWith('unix:')) {
    const p = rest.slice(5);
    // The socket path ends at the last ':' followed by nothing or by the URI.
    let k = p.lastIndexOf(':');
    while (k >= 0 && !(k === p.length - 1 || p.charCodeAt(k + 1) === 47)) k = k === 0 ? -1 : p.lastIndexOf(':', k - 1);
    if (k >= 0) {
      peer.unix = p.slice(0, k);
      if (k + 1 < p.length) peer.uri = p.slice(k + 1);
    } else {
      peer.unix = p;
    }
    return peer;
  }
  let hostport = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    hostport = rest.slice(0, slash);
    peer.uri = rest.slice(slash);
  }
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    peer.host = hostport.slice(1, close > 0 ? close : hostport.length);
    const pm = close > 0 ? /^:(\d{1,5})$/.exec(hostport.slice(close + 1)) : null;
    if (pm) peer.port = Number(pm[1]);
    return peer;
  }
  const colon = hostport.lastIndexOf(':');
  if (colon > 0 && /^\d{1,5}$/.test(hostport.slice(colon + 1))) {
    peer.host = hostport.slice(0, colon);
    peer.port = Number(hostport.slice(colon + 1));
  } else if (fromTrailer && peer.scheme && !/^\d+\.\d+\.\d+\.\d+$/.test(hostport)) {
    // "http://dead_pair/uri": no peer was chosen, this is the upstream block's name.
    peer.group = hostport;
  } else {
    peer.host = hostport;
  }
  return peer;
}

// ---------- the trailer ----------

/**
 * What can follow a quoted value: '"' then ", KEY:" (lower-case words) ends the value. client and
 * server only start a trailer, so a request line carrying ", client: x" stays whole.
 */
function keyFollows(body: string, q: number): boolean {
  if (!body.startsWith(', ', q + 1)) return false;
  let k = q + 3;
  const end = Math.min(body.length, k + 40);
  while (k < end && /[a-z /_]/.test(body[k])) k++;
  if (k === q + 3 || body.charCodeAt(k) !== 58) return false;
  const key = body.slice(q + 3, k);
  return key !== 'client' && key !== 'server';
}

/** Action phrases nginx puts before the trailer; a ", client: " right after one of them is the trailer. */
const ACTIONS = [
  'connecting to upstream', 'reading response header from upstream', 'sending request to upstream', 'reading upstream',
  'SSL handshaking to upstream', 'sending to client', 'reading client request line', 'reading client request headers',
  'reading client request body', 'waiting for request', 'SSL handshaking', 'closing request', 'reading PROXY protocol',
  'sending response to client', 'reading client pipelined request line', 'resolving', 'sending to upstream', 'proxying connection',
  'proxying and reading from upstream', 'proxying and reading from client', 'initializing session', 'processing HTTP/2 connection',
  'processing HTTP/3 connection', 'connecting to upstream (resolving)', 'reading response header from upstream (resolving)',
];

const WHILE_ACTIONS = ACTIONS.map((a) => ' while ' + a);

interface Trailer {
  start: number;
  fields: [string, string][];
  truncated: boolean;
}

/**
 * Where the trailer starts. Text before it can contain ", client: " too (a FastCGI stderr text,
 * a hostile request line): the candidate right after a known " while ACTION" wins; else the first
 * candidate whose whole rest parses as a trailer.
 */
function findTrailer(body: string, out: NginxErrorLog): Trailer | undefined {
  const cands: number[] = [];
  for (let i = body.indexOf(', client: '); i >= 0 && cands.length < MAX_CANDIDATES; i = body.indexOf(', client: ', i + 1)) cands.push(i);
  out.work += cands.length;
  if (cands.length === 0) {
    const r = body.indexOf(', resolver: ');
    if (r >= 0) return parseTrailerAt(body, r, 'resolver', out);
    return undefined;
  }
  if (cands.length > 1) {
    for (const c of cands) {
      if (!WHILE_ACTIONS.some((a) => c >= a.length && body.startsWith(a, c - a.length))) continue;
      const t = parseTrailerAt(body, c, 'client', out);
      if (t) return t;
    }
  }
  for (const c of cands) {
    const t = parseTrailerAt(body, c, 'client', out);
    if (t) return t;
  }
  return undefined;
}

function parseTrailerAt(body: string, start: number, firstKey: 'client' | 'resolver', out: NginxErrorLog): Trailer | undefined {
  const n = body.length;
  let i = start + 4 + firstKey.length;
  const fields: [string, string][] = [];
  // client: a token (IP, "unix:", a listen address); resolver: IP:PORT
  const tok = readToken(body, i, 256);
  if (tok === undefined) return undefined;
  out.work += tok.length;
  fields.push([firstKey, tok]);
  i += tok.length;
  if (firstKey === 'client') {
    if (i >= n) return { start, fields, truncated: true };
    if (!body.startsWith(', server: ', i)) return undefined;
    i += 10;
    const srv = readToken(body, i, 1024);
    if (srv === undefined) return undefined;
    out.work += srv.length;
    i += srv.length;
    fields.push(['server', srv]);
  }
  while (i < n) {
    if (!body.startsWith(', ', i)) return undefined;
    i += 2;
    // key: lower-case words up to ':'
    let k = i;
    while (k < n && k - i < 40 && /[a-z /_]/.test(body[k])) k++;
    if (k >= n) return { start, fields, truncated: true };
    if (body.charCodeAt(k) !== 58 || k === i) return undefined;
    const key = body.slice(i, k);
    i = k + 1;
    if (body.charCodeAt(i) === 32) i++;
    if (body.charCodeAt(i) === 34) {
      // A quoted value ends at the first '"' followed by the end or by ", KNOWN_KEY:".
      let q = body.indexOf('"', i + 1);
      while (q >= 0 && !(q === n - 1 || keyFollows(body, q))) {
        out.work++;
        q = body.indexOf('"', q + 1);
      }
      out.work += (q < 0 ? n : q) - i;
      if (q < 0) {
        fields.push([key, body.slice(i + 1)]);
        return { start, fields, truncated: true };
      }
      fields.push([key, body.slice(i + 1, q)]);
      i = q + 1;
    } else {
      let e = body.indexOf(', ', i);
      if (e < 0) e = n;
      out.work += e - i;
      fields.push([key, body.slice(i, e)]);
      i = e;
    }
  }
  return { start, fields, truncated: false };
}

/** The characters up to ", " or the end ("" when empty); undefined when a space or quote comes first. */
function readToken(s: string, i: number, max: number): string | undefined {
  const n = s.length;
  for (let j = i; j < n && j - i <= max; j++) {
    const c = s.charCodeAt(j);
    if (c === 44 && s.charCodeAt(j + 1) === 32) return s.slice(i, j);
    if (c === 32 || c === 34) return undefined;
  }
  return n - i <= max ? s.slice(i) : undefined;
}

// ---------- classification ----------

const isUpstreamAction = (a: string | undefined) => a !== undefined && a.includes('upstream');

/** The signature of one entry, or undefined for lines that are not about an upstream failure. */
export function classify(e: NginxErrorEntry): NginxSignatureId | undefined {
  const m = e.message;
  const n = e.errno;
  const a = e.action;
  if (e.fastcgiStderr !== undefined) {
    if (e.fastcgiStderr.startsWith('Primary script unknown')) return 'primary-script-unknown';
    if (e.fastcgiStderr.startsWith('Access to the script ')) return 'fpm-access-denied';
    return 'fastcgi-stderr';
  }
  if (m.startsWith('connect() ')) {
    const unix = e.peer?.unix !== undefined || m.startsWith('connect() to unix:');
    switch (n) {
      case 111: return unix ? 'unix-socket-refused' : 'connect-refused';
      case 2: return unix ? 'unix-socket-missing' : 'connect-failed';
      case 13: return 'permission-denied';
      case 11: return 'eagain';
      case 99: return 'ephemeral-ports';
      case 113: return 'no-route';
      case 101: return 'net-unreachable';
      case 110: return 'connect-timeout';
      case 24: case 23: return 'too-many-open-files';
      case 104: return 'reset-by-peer';
      default: return 'connect-failed';
    }
  }
  if ((n === 24 || n === 23) && /^(socket|accept4?|open|dup|eventfd|socketpair)\(\)/.test(m)) return 'too-many-open-files';
  if (m.startsWith('upstream timed out')) {
    if (!a) return 'upstream-timeout';
    if (a === 'reading upstream') return 'upstream-body-truncated';
    if (a.includes('connecting') || a.startsWith('SSL handshaking')) return 'connect-timeout';
    if (a.startsWith('reading response header')) return 'read-timeout';
    if (a.startsWith('sending request')) return 'send-timeout';
    return 'upstream-timeout';
  }
  if (m.startsWith('upstream prematurely closed FastCGI stdout')) return 'fastcgi-prematurely-closed-stdout';
  if (m.startsWith('upstream prematurely closed')) {
    return a === 'reading upstream' ? 'upstream-body-truncated' : 'prematurely-closed';
  }
  if (m.startsWith('peer closed connection in SSL handshake') && isUpstreamAction(a)) return 'ssl-handshake-failure';
  if (/^[A-Za-z0-9_]+\(\) failed/.test(m) && isUpstreamAction(a)) {
    if (a === 'reading upstream') return 'upstream-body-truncated';
    if (n === 104) return 'reset-by-peer';
    if (n === 32) return 'broken-pipe';
    if (n === 110) return a!.includes('connecting') ? 'connect-timeout' : 'read-timeout';
    if (m.startsWith('SSL_do_handshake()') || m.startsWith('SSL_connect()')) {
      return e.sslError?.includes('wrong version number') ? 'ssl-wrong-version' : 'ssl-handshake-failure';
    }
    if (m.startsWith('SSL_')) return 'ssl-handshake-failure';
  }
  if (m.startsWith('upstream SSL certificate verify error')) return 'ssl-verify-error';
  if (m.startsWith('upstream SSL certificate does not match')) return 'ssl-name-mismatch';
  if (m.startsWith('upstream sent too big header')) return 'too-big-header';
  if (m.startsWith('upstream sent unexpected FastCGI') || m.startsWith('upstream sent unsupported FastCGI') || m.startsWith('upstream sent invalid FastCGI')) return 'fastcgi-unexpected-record';
  if (m.startsWith('upstream sent invalid') || m.startsWith('upstream sent no valid') || m.startsWith('upstream sent duplicate') || m.startsWith('upstream sent "Content-Length" and "Transfer-Encoding"') || m.startsWith('upstream sent "Transfer-Encoding"') || m.startsWith('upstream sent invalid chunked')) {
    return 'invalid-header';
  }
  let r = /^(\S+) could not be resolved \(/.exec(m);
  if (r) {
    e.resolveName = r[1];
    return 'dns-not-resolved';
  }
  r = /^no resolver defined to resolve (\S+)/.exec(m);
  if (r) {
    e.resolveName = r[1];
    return 'no-resolver';
  }
  if (a === 'resolving' || e.fields?.resolver !== undefined) return 'resolver-unreachable';
  if (m.startsWith('no live upstreams')) return 'no-live-upstreams';
  if (m.startsWith('upstream server temporarily disabled')) return 'upstream-disabled';
  if (/^\d+ worker_connections are not enough/.test(m)) return 'worker-connections';
  if (/^\d+ worker_connections exceed open file resource limit/.test(m)) return 'worker-connections-exceed-nofile';
  r = /^host not found in upstream "([^"]*)"/.exec(m);
  if (r) {
    e.resolveName = r[1];
    return 'emerg-host-not-found';
  }
  if (/^worker process \d+ exited on signal/.test(m)) return 'worker-crash';
  return undefined;
}

// ---------- requests ----------

export interface NginxRequest {
  pid: number;
  cid: number;
  request?: string;
  client?: string;
  host?: string;
  entries: NginxErrorEntry[];
  /** Distinct signatures in the order they appeared (e.g. connect-refused, then no-live-upstreams). */
  signatures: NginxSignatureId[];
  /** Distinct peers tried (proxy_next_upstream logs one line per peer). */
  peers: string[];
}

/**
 * Groups entries by (pid, connection) and, on a keepalive connection, by request line: one group
 * per request. Entries without a connection number are left out.
 */
export function groupRequests(entries: readonly NginxErrorEntry[]): NginxRequest[] {
  const open = new Map<string, NginxRequest>();
  const all: NginxRequest[] = [];
  for (const e of entries) {
    if (e.cid === undefined) continue;
    const key = `${e.pid}#${e.cid}`;
    let g = open.get(key);
    if (g && e.request !== undefined && g.request !== undefined && e.request !== g.request) g = undefined;
    if (!g) {
      g = { pid: e.pid, cid: e.cid, entries: [], signatures: [], peers: [] };
      open.set(key, g);
      all.push(g);
    }
    g.entries.push(e);
    if (e.request !== undefined) g.request ??= e.request;
    if (e.client !== undefined) g.client ??= e.client;
    if (e.host !== undefined) g.host ??= e.host;
    if (e.signature && !g.signatures.includes(e.signature)) g.signatures.push(e.signature);
    const p = e.peer && !e.peer.group ? e.peer.text : undefined;
    if (p && !g.peers.includes(p)) g.peers.push(p);
  }
  return all;
}

/** "GET /index.php?x=1 HTTP/1.1" -> "/index.php" (no query); undefined when not a request line. */
export function requestPath(request: string | undefined): string | undefined {
  if (!request) return undefined;
  const m = /^[A-Z]+ (\S+)/.exec(request);
  if (!m) return undefined;
  const q = m[1].indexOf('?');
  return q >= 0 ? m[1].slice(0, q) : m[1];
}
