// Ranks causes from what was collected: log signatures (nginx, PHP-FPM, kernel), probe
// confirmations and static findings. Confidence: high = a signature confirmed by a probe or a
// second source; medium = a signature alone; low = a static finding or a heuristic alone.
// Secondary signatures (no live upstreams) attach to the root cause when one is known.

import { CAUSES, RULE_CAUSE, type CauseId } from './causes';
import { fpmListenPaths, type Collected } from './collect';

/** A log signature seen in the window: the parsers' output, reduced to what ranking needs. */
export interface Signal {
  /** Signature id (connect-refused, unix-socket-missing, eagain, max-children, oom-kill, ...). */
  id: string;
  source: 'nginx-error' | 'php-fpm' | 'kernel' | 'access';
  count: number;
  samples: string[];
  /** unix:/path or host:port of the upstream, when the line names one. */
  upstream?: string;
  /** Log file it came from. */
  file?: string;
  firstSeen?: string;
  lastSeen?: string;
  /** Extra facts (the process name of an OOM victim, the signal number). */
  detail?: Record<string, string | number>;
}

export interface StaticFinding {
  rule: string;
  file: string;
  line: number;
  message: string;
  severity: string;
}

export interface Evidence {
  source: string;
  summary: string;
  count: number;
  samples: string[];
  file?: string;
  line?: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface FixRef {
  what: string;
  file?: string;
  line?: number;
  verify: string;
}

export type Confidence = 'high' | 'medium' | 'low';

export interface Cause {
  id: CauseId;
  title: string;
  confidence: Confidence;
  score: number;
  evidence: Evidence[];
  fixes: FixRef[];
}

interface Candidate {
  id: CauseId;
  signatures: number;
  sources: Set<string>;
  confirmed: boolean;
  heuristic: boolean;
  evidence: Evidence[];
  fixes: FixRef[];
}

const LOG_CAUSE: Record<string, CauseId> = {
  'connect-refused': 'upstream-refused',
  'unix-socket-missing': 'fpm-down',
  'unix-socket-refused': 'fpm-down',
  'permission-denied': 'fpm-socket-permission',
  eagain: 'fpm-saturated',
  'ephemeral-ports': 'ephemeral-ports',
  'no-route': 'firewall-blocked',
  'net-unreachable': 'firewall-blocked',
  'connect-timeout': 'firewall-blocked',
  'read-timeout': 'upstream-timeout',
  'prematurely-closed': 'backend-crash',
  'fastcgi-prematurely-closed-stdout': 'backend-crash',
  'reset-by-peer': 'backend-crash',
  'broken-pipe': 'backend-crash',
  'too-big-header': 'header-too-big',
  'invalid-header': 'invalid-upstream-response',
  'dns-not-resolved': 'dns-failure',
  'no-resolver': 'dns-failure',
  'resolver-unreachable': 'dns-failure',
  'emerg-host-not-found': 'dns-failure',
  'no-live-upstreams': 'no-live-upstreams',
  'too-many-open-files': 'fd-exhausted',
  'worker-connections': 'fd-exhausted',
  'ssl-wrong-version': 'upstream-tls',
  'ssl-handshake-failure': 'upstream-tls',
  'ssl-verify-error': 'upstream-tls',
};

const SOURCE_LABEL: Record<Signal['source'], string> = { 'nginx-error': 'nginx error log', 'php-fpm': 'PHP-FPM log', kernel: 'kernel log', access: 'access log' };

export function rank(collected: Collected, signals: readonly Signal[], findings: readonly StaticFinding[]): Cause[] {
  const cands = new Map<CauseId, Candidate>();
  const cand = (id: CauseId): Candidate => {
    let c = cands.get(id);
    if (!c) {
      c = { id, signatures: 0, sources: new Set(), confirmed: false, heuristic: false, evidence: [], fixes: [] };
      cands.set(id, c);
    }
    return c;
  };
  const fromSignal = (id: CauseId, s: Signal, summary: string): void => {
    const c = cand(id);
    c.signatures += s.count;
    c.sources.add(s.source);
    c.evidence.push({ source: SOURCE_LABEL[s.source], summary, count: s.count, samples: s.samples.slice(0, 3), file: s.file, firstSeen: s.firstSeen, lastSeen: s.lastSeen });
  };
  const confirm = (id: CauseId, source: string, summary: string, extra: Partial<Evidence> = {}): void => {
    const c = cand(id);
    c.confirmed = true;
    c.sources.add('probe');
    c.evidence.push({ source, summary, count: 1, samples: [], ...extra });
  };
  const heuristic = (id: CauseId, source: string, summary: string): void => {
    const c = cand(id);
    c.heuristic = true;
    c.evidence.push({ source, summary, count: 1, samples: [] });
  };

  const fpmSignal = (id: string) => signals.find((s) => s.source === 'php-fpm' && s.id === id);
  const kernelOom = signals.find((s) => s.source === 'kernel' && s.id === 'oom-kill');
  const avc = signals.find((s) => s.source === 'kernel' && s.id === 'selinux-avc');
  const fpmListens = fpmListenPaths(collected.fpmFiles);
  // A socket named in no pool file points at the wrong socket only if PHP-FPM runs (elsewhere):
  // with no master running, the pool files found may not be the ones of the PHP-FPM that stopped
  // (another config, another version), and the first thing to fix is that it is down.
  const fpmRunning = collected.processes ? collected.processes.fpmMasters.length > 0 : true;
  // Sockets nginx connects to: a missing socket nothing points at causes no 502.
  const nginxSockets = new Set(collected.facts.backends.filter((b) => b.kind === 'unix').map((b) => b.host));

  // 1. nginx error log signatures, refined by the other logs.
  for (const s of signals.filter((x) => x.source === 'nginx-error')) {
    let id = LOG_CAUSE[s.id];
    if (!id) continue;
    const up = s.upstream ?? '';
    if ((s.id === 'connect-refused' || s.id === 'ephemeral-ports') && /\[::1\]|^::1|\/\/\[::1\]/.test(up)) id = 'ipv6-localhost';
    if (s.id === 'unix-socket-missing' && fpmRunning && fpmListens.length > 0 && up && !fpmListens.includes(up.replace(/^unix:/, ''))) id = 'fpm-wrong-socket';
    if (s.id === 'permission-denied' && (!up.startsWith('unix:') || avc)) id = 'selinux-denied';
    if (id === 'backend-crash') {
      if (fpmSignal('execution-timed-out')) id = 'fpm-terminate-timeout';
      else if (kernelOom || fpmSignal('child-sigkill')) id = kernelOom ? 'oom-killed' : 'backend-crash';
    }
    fromSignal(id, s, `${s.count} x ${describe(s)}`);
  }

  // 2. PHP-FPM and kernel logs: second sources and causes of their own.
  for (const s of signals.filter((x) => x.source !== 'nginx-error' && x.source !== 'access')) {
    switch (s.id) {
      case 'max-children':
      case 'seems-busy':
        fromSignal('fpm-saturated', s, `${s.count} x PHP-FPM ${s.id === 'max-children' ? 'reached pm.max_children' : 'seems busy'}`);
        break;
      case 'execution-timed-out':
        fromSignal('fpm-terminate-timeout', s, `${s.count} x PHP-FPM killed a request: execution timed out (request_terminate_timeout)`);
        break;
      case 'child-sigsegv':
        fromSignal('backend-crash', s, `${s.count} x PHP-FPM worker crashed (SIGSEGV)`);
        break;
      case 'child-sigkill':
        fromSignal(kernelOom ? 'oom-killed' : 'backend-crash', s, `${s.count} x PHP-FPM worker killed (SIGKILL)`);
        break;
      case 'oom-kill':
        fromSignal('oom-killed', s, `${s.count} x the kernel's OOM killer killed a process${s.detail?.process ? ` (${s.detail.process})` : ''}`);
        break;
      case 'selinux-avc':
        fromSignal('selinux-denied', s, `${s.count} x SELinux denial for nginx`);
        break;
      case 'conntrack-full':
        fromSignal('server-overload', s, `${s.count} x conntrack table full, packets dropped`);
        break;
      case 'syn-flood':
        fromSignal('server-overload', s, `${s.count} x listen queue overflow (possible SYN flooding)`);
        break;
      case 'segfault':
        fromSignal('backend-crash', s, `${s.count} x segfault in the kernel log`);
        break;
      default:
        break;
    }
  }

  // 3. Probe confirmations.
  for (const a of collected.connects ?? []) {
    if (a.result === 'refused') confirm('upstream-refused', 'probe: connect', `connect to ${a.host}:${a.port} from the host: refused`);
    if (a.result === 'timeout' || a.result === 'no-route' || a.result === 'unreachable') confirm('firewall-blocked', 'probe: connect', `connect to ${a.host}:${a.port} from the host: ${a.result}`);
  }
  for (const s of collected.sockets ?? []) {
    if (!s.exists) {
      if (!nginxSockets.has(s.path)) continue;
      // Missing while no PHP-FPM runs, or while the pool that should create it runs: down (or gone).
      if (!fpmRunning || fpmListens.includes(s.path) || fpmListens.length === 0) confirm('fpm-down', 'probe: socket', `${s.path} does not exist`);
      if (fpmListens.length > 0 && !fpmListens.includes(s.path)) confirm('fpm-wrong-socket', 'probe: socket', `${s.path} does not exist and no pool listens on it (pools: ${fpmListens.join(', ')})`);
    } else if (s.isSocket && collected.processes) {
      const user = collected.processes.nginxWorkers[0]?.user ?? collected.facts.user;
      const mode = parseInt(s.mode ?? '660', 8);
      if (user && user !== 'root' && user !== s.owner && !(mode & 0o002) && !(mode & 0o020 && workerGroups(collected, user).has(s.group ?? ''))) {
        confirm('fpm-socket-permission', 'probe: socket', `${s.path} is ${s.owner}:${s.group} mode ${s.mode}; nginx workers run as ${user}`);
      }
    }
  }
  const fpmDown = (collected.units ?? []).filter((u) => /php.*fpm/.test(u.name) && u.active !== 'active');
  if (fpmDown.length > 0 && (collected.processes?.fpmMasters.length ?? 0) === 0) confirm('fpm-down', 'probe: systemctl', fpmDown.map((u) => `${u.name} is ${u.active} (${u.sub}${u.result && u.result !== 'success' ? `, result ${u.result}` : ''})`).join('; '));
  if (collected.processes && collected.processes.fpmMasters.length === 0 && (collected.sockets ?? []).length > 0 && cands.has('fpm-down')) confirm('fpm-down', 'probe: ps', 'no php-fpm master process is running');
  for (const l of collected.listeners ?? []) {
    if (l.proto === 'unix' && fpmListens.includes(l.local) && l.sendQ > 0 && l.recvQ >= l.sendQ) confirm('fpm-saturated', 'probe: ss', `${l.local}: accept queue full (${l.recvQ}/${l.sendQ})`);
  }
  for (const d of collected.dns ?? []) if (d.code !== 0) confirm('dns-failure', 'probe: getent', `${d.name} does not resolve on the host (getent exit ${d.code})`);
  if (collected.selinux?.mode === 'Enforcing' && collected.selinux.booleans.httpd_can_network_connect === false && cands.has('selinux-denied')) {
    confirm('selinux-denied', 'probe: getsebool', 'SELinux is enforcing and httpd_can_network_connect is off');
  }

  // 4. Resource heuristics (low unless a signature agrees).
  const sys = collected.system;
  if (sys) {
    if (sys.cpus && sys.load1 !== undefined && sys.load1 > 2 * sys.cpus) heuristic('server-overload', 'probe: loadavg', `load ${sys.load1} on ${sys.cpus} CPUs`);
    if (sys.memTotalKB && sys.memAvailableKB !== undefined && sys.memAvailableKB < 0.05 * sys.memTotalKB) heuristic('server-overload', 'probe: meminfo', `${Math.round(sys.memAvailableKB / 1024)} MB of ${Math.round(sys.memTotalKB / 1024)} MB available`);
    for (const [res, v] of Object.entries(sys.pressure)) if (v !== undefined && v > 40) heuristic('server-overload', 'probe: PSI', `${res} pressure ${v}% (avg10)`);
  }
  const n = collected.net;
  if (n?.conntrackMax && n.conntrackCount !== undefined && n.conntrackCount > 0.9 * n.conntrackMax) heuristic('server-overload', 'probe: conntrack', `conntrack ${n.conntrackCount}/${n.conntrackMax}`);
  if (n?.portRange && n.timeWait !== undefined && n.timeWait > 0.8 * (n.portRange[1] - n.portRange[0])) heuristic('ephemeral-ports', 'probe: ss', `${n.timeWait} sockets in TIME-WAIT for ${n.portRange[1] - n.portRange[0]} ephemeral ports`);

  // 5. Static findings on the host's own configuration.
  for (const f of findings) {
    const id = RULE_CAUSE[f.rule];
    if (!id) continue;
    const c = cand(id);
    c.heuristic = true;
    c.evidence.push({ source: `config: ${f.rule}`, summary: f.message, count: 1, samples: [], file: f.file, line: f.line });
    c.fixes.push({ what: `${f.rule}: see the finding`, file: f.file, line: f.line, verify: 'nginx -t; php-fpm -t' });
  }

  // 6. Confidence and score.
  const out: Cause[] = [];
  for (const c of cands.values()) {
    const logSources = [...c.sources].filter((s) => s !== 'probe');
    const hasSignature = c.signatures > 0;
    const confidence: Confidence = hasSignature && (c.confirmed || logSources.length > 1) ? 'high' : hasSignature ? 'medium' : c.confirmed && c.evidence.length > 1 ? 'medium' : 'low';
    if (!hasSignature && !c.confirmed && !c.heuristic) continue;
    const base = confidence === 'high' ? 80 : confidence === 'medium' ? 50 : 15;
    const score = Math.min(100, Math.round(base + Math.min(15, 5 * Math.log10(c.signatures + 1)) + (c.confirmed ? 5 : 0)));
    const info = CAUSES[c.id];
    out.push({ id: c.id, title: info.title, confidence, score, evidence: c.evidence, fixes: [{ what: info.fix, verify: info.verify }, ...c.fixes] });
  }
  out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));

  // 7. Secondary signatures attach to the root cause.
  const root = out.find((c) => c.id !== 'no-live-upstreams' && c.confidence !== 'low');
  if (root) {
    for (const sec of out.filter((c) => c.id === 'no-live-upstreams')) {
      root.evidence.push(...sec.evidence.map((e) => ({ ...e, summary: `${e.summary} (follows from the cause above: every peer failed)` })));
      out.splice(out.indexOf(sec), 1);
    }
  }
  return out;
}

function describe(s: Signal): string {
  const names: Record<string, string> = {
    'connect-refused': 'connect() refused (111)',
    'unix-socket-missing': 'socket missing (2: No such file or directory)',
    'unix-socket-refused': 'socket refused (111): stale socket, PHP-FPM master gone',
    'permission-denied': 'connect() permission denied (13)',
    eagain: 'socket queue full (11: Resource temporarily unavailable)',
    'ephemeral-ports': 'cannot assign requested address (99)',
    'no-route': 'no route to host (113)',
    'net-unreachable': 'network unreachable (101)',
    'connect-timeout': 'timed out while connecting (110)',
    'read-timeout': 'timed out reading the response header (110)',
    'prematurely-closed': 'upstream prematurely closed the connection',
    'fastcgi-prematurely-closed-stdout': 'upstream prematurely closed FastCGI stdout',
    'reset-by-peer': 'connection reset by peer (104)',
    'broken-pipe': 'broken pipe (32) while sending the request',
    'too-big-header': 'upstream sent too big header',
    'invalid-header': 'upstream sent an invalid header',
    'dns-not-resolved': 'name could not be resolved',
    'no-resolver': 'no resolver defined',
    'resolver-unreachable': 'resolver unreachable',
    'emerg-host-not-found': 'host not found in upstream (at start-up)',
    'no-live-upstreams': 'no live upstreams',
    'too-many-open-files': 'too many open files (24)',
    'worker-connections': 'worker_connections are not enough',
    'ssl-wrong-version': 'TLS to a plain-HTTP port (wrong version number)',
    'ssl-handshake-failure': 'TLS handshake failure',
    'ssl-verify-error': 'upstream certificate verify error',
  };
  return `${names[s.id] ?? s.id}${s.upstream ? ` (upstream ${s.upstream})` : ''}`;
}


function workerGroups(c: Collected, user: string): Set<string> {
  const groups = new Set<string>();
  const known = c.accounts?.users.get(user);
  if (known) groups.add(known.group);
  for (const [g, info] of c.accounts?.groups ?? []) if (info.members.includes(user)) groups.add(g);
  for (const w of c.processes?.nginxWorkers ?? []) if (w.user === user) groups.add(w.group);
  if (c.facts.group) groups.add(c.facts.group);
  return groups;
}
