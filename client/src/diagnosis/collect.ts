// Collects the evidence of one host over one transport: read-only probes in three waves (what
// runs and how it is configured; then what that configuration points at: logs, sockets, names,
// backends; nothing is ever written), each with a status, so the report can say what it could
// not see. Pure orchestration: parsing lives in the probes and the log parsers.

import * as path from 'node:path';
import type { Transport } from '../remote/transport';
import { knowledge } from '../../../server/src/nginx/directives';
import { MemoryFileSource } from '../../../server/src/nginx/files';
import { NginxProject, type Tree } from '../../../server/src/nginx/project';
import { findMainConfig } from '../../../server/src/nginx/project';
import { parse } from '../../../server/src/nginx/parser';
import { walk } from '../../../server/src/nginx/ast';
import { configFacts, backendNames, type ConfigFacts } from './config-facts';
import { configFiles } from './probes/config-files';
import { nginxDump, type ConfigFiles } from './probes/config-dump';
import { connect, type ConnectAnswer } from './probes/connect';
import { dns, type DnsAnswer } from './probes/dns';
import { firewall, type FirewallState } from './probes/firewall';
import { kernelLog, type KernelLog } from './probes/kernel-log';
import { listeners, type Listener } from './probes/listeners';
import { net, type NetState } from './probes/net';
import { nginxVersion, type NginxBuild } from './probes/nginx-version';
import { processes, type Processes } from './probes/processes';
import { runProbe, type Probe, type ProbeContext, type ProbeOutcome, type ProbeStatus } from './probes/probe';
import { selinux, type SelinuxState } from './probes/selinux';
import { sockets, type SocketState } from './probes/sockets';
import { system, type SystemState } from './probes/system';
import { units, type Unit } from './probes/units';
import { workerLimits, type Limits } from './probes/worker-limits';
import { accounts } from './probes/accounts';
import type { HostAccounts } from '../../../server/src/rules/rule';

export interface CollectOptions {
  sudo: boolean;
  /** Bytes read from the end of each log (default 2 MB). */
  logBytes: number;
  signal?: AbortSignal;
  /** Called as each stage starts (for a progress line). */
  onStage?: (stage: string) => void;
}

export interface LogText {
  path: string;
  kind: 'nginx-error' | 'nginx-access' | 'php-fpm' ;
  status: ProbeStatus;
  text: string;
  truncated: boolean;
  /** For access logs: the log_format. */
  format?: string;
  note?: string;
}

export interface ProbeReport {
  id: string;
  status: ProbeStatus;
  durationMs: number;
  note?: string;
}

export interface Collected {
  probes: ProbeReport[];
  build?: NginxBuild;
  /** The host's nginx configuration, split into files. */
  config?: ConfigFiles;
  configSource: 'nginx -T' | 'files' | 'none';
  tree?: Tree;
  project?: NginxProject;
  facts: ConfigFacts;
  /** PHP-FPM configuration files (pool.d, php-fpm.conf). */
  fpmFiles: Map<string, string>;
  processes?: Processes;
  system?: SystemState;
  net?: NetState;
  listeners?: Listener[];
  units?: Unit[];
  sockets?: SocketState[];
  dns?: DnsAnswer[];
  connects?: ConnectAnswer[];
  kernel?: KernelLog;
  selinux?: SelinuxState;
  firewall?: FirewallState;
  workerLimits?: Limits;
  /** The host's users and groups relevant to socket permissions. */
  accounts?: HostAccounts;
  logs: LogText[];
}

/** Where PHP-FPM's configuration lives on Debian/Ubuntu, RHEL-family, Alpine and source builds. */
export const FPM_CONFIG_PATTERNS = [
  '/etc/php/*/fpm/php-fpm.conf',
  '/etc/php/*/fpm/pool.d/*.conf',
  '/etc/php-fpm.conf',
  '/etc/php-fpm.d/*.conf',
  '/etc/opt/remi/php*/php-fpm.conf',
  '/etc/opt/remi/php*/php-fpm.d/*.conf',
  '/usr/local/etc/php-fpm.conf',
  '/usr/local/etc/php-fpm.d/*.conf',
  '/etc/php*/php-fpm.conf',
  '/etc/php*/php-fpm.d/*.conf',
];

/** Default PHP-FPM log locations, when php-fpm.conf names none we can read. */
export const FPM_LOG_PATTERNS = ['/var/log/php*-fpm.log', '/var/log/php-fpm/error.log', '/var/log/php*/fpm.log'];

export async function collect(t: Transport, opts: CollectOptions): Promise<Collected> {
  const ctx: ProbeContext = { sudo: opts.sudo, logBytes: opts.logBytes, signal: opts.signal };
  const reports: ProbeReport[] = [];
  const run = async <I, T>(probe: Probe<I, T>, input: I, id = probe.id): Promise<ProbeOutcome<T>> => {
    let out: ProbeOutcome<T>;
    try {
      out = await runProbe(t, probe, input, ctx);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      out = { id, status: 'failed', durationMs: 0, note: e instanceof Error ? e.message : String(e) };
      // A transport failure (connection lost) ends the diagnosis: rethrow after recording.
      reports.push({ id, status: out.status, durationMs: out.durationMs, note: out.note });
      throw e;
    }
    reports.push({ id, status: out.status, durationMs: out.durationMs, note: out.note });
    return out;
  };

  // Wave 1: what runs, how nginx was built and configured, the system.
  opts.onStage?.('reading nginx, PHP-FPM and system state');
  // The running master tells where its configuration is (-c/-p).
  const procsFirst = run(processes, undefined);
  const fpmAfter = procsFirst.then((p) => readFpmConfig([...(p.data?.fpmConfs ?? []), ...FPM_CONFIG_PATTERNS], run));
  const [build, procs, sys, netState, listen, unitList, kern, se, fw, fpmConf] = await Promise.all([
    run(nginxVersion, undefined),
    procsFirst,
    run(system, undefined),
    run(net, undefined),
    run(listeners, undefined),
    run(units, undefined),
    run(kernelLog, undefined),
    run(selinux, undefined),
    run(firewall, undefined),
    fpmAfter,
  ]);
  const collected: Collected = {
    probes: reports,
    build: build.data,
    configSource: 'none',
    facts: { errorLogs: [], accessLogs: [], backends: [] },
    fpmFiles: fpmConf,
    processes: procs.data,
    system: sys.data,
    net: netState.data,
    listeners: listen.data,
    units: unitList.data,
    kernel: kern.data,
    selinux: se.data,
    firewall: fw.data,
    logs: [],
  };

  // The configuration: the files read directly (cat; sudo -n cat with --sudo), following
  // includes as nginx does. `nginx -T` only when that fails: a config test opens every log file
  // (creating a missing one) and creates missing temp folders, and probes must not write.
  opts.onStage?.('reading the nginx configuration files');
  const mainConf = procs.data?.nginxConf ?? build.data?.confPath ?? '/etc/nginx/nginx.conf';
  let config = await readConfigTree(mainConf, run);
  if (config.files.size > 0) collected.configSource = 'files';
  if (config.files.size === 0 || config.unreadable.length > 0) {
    const dump = await run(nginxDump, { conf: procs.data?.nginxConf, prefix: procs.data?.nginxPrefix });
    if (dump.status === 'ok' && dump.data && dump.data.files.size > 0) {
      config = dump.data;
      collected.configSource = 'nginx -T';
    }
  }
  collected.config = config;
  const confPath = procs.data?.nginxConf ?? build.data?.confPath ?? [...config.files.keys()][0] ?? '/etc/nginx/nginx.conf';
  if (config.files.size > 0) {
    const project = new NginxProject(new MemoryFileSource(config.files), knowledge({ version: build.data?.version }), { remapConfDirs: false });
    const main = config.files.has(confPath) ? confPath : ([...config.files.keys()].find((f) => path.basename(f) === 'nginx.conf') ?? findMainConfig(confPath, project.fs));
    if (main) {
      collected.tree = project.buildTree(main, path.dirname(main));
      collected.project = project;
    }
  }
  collected.facts = configFacts(collected.tree, collected.project, {
    errorLog: build.data?.errorLogPath ?? '/var/log/nginx/error.log',
    accessLog: build.data?.httpLogPath ?? '/var/log/nginx/access.log',
    prefix: build.data?.prefix ?? path.dirname(confPath),
  });

  // Wave 2: what the configuration points at.
  opts.onStage?.('reading logs and checking sockets, DNS and backends');
  const facts = collected.facts;
  const unixPaths = [...new Set([...facts.backends.filter((b) => b.kind === 'unix').map((b) => b.host), ...fpmListenPaths(collected.fpmFiles)])];
  const inet = uniqueTargets(facts.backends.filter((b) => b.kind === 'inet' && b.port !== undefined).map((b) => ({ host: b.host, port: b.port! })));
  const fpmLogPaths = fpmLogs(collected.fpmFiles);
  const worker = collected.processes?.nginxWorkers[0];
  // The accounts socket permissions depend on: nginx's workers and the sockets' owners/groups.
  const accountNames = [...new Set([
    ...(collected.processes?.nginxWorkers.map((w) => w.user) ?? []),
    ...(facts.user ? [facts.user, facts.group ?? facts.user] : []),
    ...[...collected.fpmFiles.values()].flatMap((t) => [...t.matchAll(/^\s*listen\.(?:owner|group|acl_users|acl_groups)\s*=\s*"?([^"\s;]+)"?/gm)].flatMap((m) => m[1].split(','))),
  ].filter((n) => /^[\w.-]+$/.test(n)))];
  const [sock, names, conns, limits, accts, ...logs] = await Promise.all([
    unixPaths.length ? run(sockets, unixPaths) : Promise.resolve(undefined),
    backendNames(facts).length ? run(dns, backendNames(facts)) : Promise.resolve(undefined),
    inet.length ? run(connect, inet.slice(0, 64)) : Promise.resolve(undefined),
    worker ? run(workerLimits, worker.pid) : Promise.resolve(undefined),
    accountNames.length ? run(accounts, accountNames) : Promise.resolve(undefined),
    ...facts.errorLogs.slice(0, 16).map((l) => readLog(t, l.path, 'nginx-error', opts, reports)),
    ...facts.accessLogs.slice(0, 16).map((l) => readLog(t, l.path, 'nginx-access', opts, reports, l.format)),
    ...fpmLogPaths.map((p) => readLog(t, p, 'php-fpm', opts, reports)),
  ]);
  collected.sockets = sock?.data;
  collected.dns = names?.data;
  collected.connects = conns?.data;
  collected.workerLimits = limits?.data;
  collected.accounts = accts?.data;
  collected.logs = logs.filter((l): l is LogText => l !== undefined);
  return collected;
}

function uniqueTargets(list: { host: string; port: number }[]): { host: string; port: number }[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const k = `${x.host}:${x.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `listen = /path` of every pool file: the sockets PHP-FPM should create. */
export function fpmListenPaths(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const text of files.values()) {
    for (const m of text.matchAll(/^\s*listen\s*=\s*"?(\/[^\s";]+)"?\s*$/gm)) out.push(m[1]);
  }
  return out;
}

/** php-fpm.conf's error_log, else the distribution defaults (globbed on the host). */
function fpmLogs(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const m = /^\s*error_log\s*=\s*"?([^\s";]+)"?\s*$/m.exec(text);
    if (m && !/\/pool\.d\/|php-fpm\.d\//.test(file) && m[1] !== 'syslog') out.push(m[1].startsWith('/') ? m[1] : `/var/log/${m[1]}`);
  }
  return out.length > 0 ? [...new Set(out)] : FPM_LOG_PATTERNS;
}

async function readLog(t: Transport, p: string, kind: LogText['kind'], opts: CollectOptions, reports: ProbeReport[], format?: string): Promise<LogText | undefined> {
  const id = `log:${p}`;
  // Our own default patterns (constants, never from a config) are globbed by the host's shell.
  if (FPM_LOG_PATTERNS.includes(p)) {
    const r = await t.run(`for f in ${p}; do [ -f "$f" ] && echo "$f"; done; true`, { timeoutMs: 5000, maxBytes: 65536, signal: opts.signal });
    const files = r.stdout.split('\n').filter(Boolean).slice(0, 4);
    if (files.length === 0) return undefined;
    const all = await Promise.all(files.map((f) => readLog(t, f, kind, opts, reports, format)));
    return all.find((x) => x && x.status === 'ok') ?? all[0];
  }
  const r = await t.readTail(p, opts.logBytes, { sudo: opts.sudo, signal: opts.signal });
  reports.push({ id, status: r.status, durationMs: r.durationMs, note: r.status === 'ok' ? undefined : r.stderr.trim().split('\n')[0] });
  return { path: p, kind, status: r.status, text: r.data.toString('utf8'), truncated: r.truncated, format, note: r.status === 'ok' ? undefined : r.stderr.trim() };
}

/** PHP-FPM's configuration: the masters' files and the usual places, then their `include =` globs. */
async function readFpmConfig(
  patterns: string[],
  run: <I, T>(probe: Probe<I, T>, input: I, id?: string) => Promise<ProbeOutcome<T>>,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let pending = [...new Set(patterns)];
  for (let level = 0; level < 3 && pending.length > 0; level++) {
    const r = await run(configFiles, pending, level === 0 ? 'php-fpm-config' : `php-fpm-config:${level}`);
    const next: string[] = [];
    for (const [f, text] of r.data?.files ?? []) {
      if (files.has(f)) continue;
      files.set(f, text);
      for (const m of text.matchAll(/^\s*include\s*=\s*"?([^"\s;]+)"?\s*$/gm)) if (m[1].startsWith('/') && !next.includes(m[1])) next.push(m[1]);
    }
    pending = next;
  }
  return files;
}

/**
 * Reads nginx.conf and follows its includes, a level at a time, when nginx -T is not
 * available (no root): include patterns are globbed on the host, never evaluated.
 */
async function readConfigTree(
  main: string,
  run: <I, T>(probe: Probe<I, T>, input: I, id?: string) => Promise<ProbeOutcome<T>>,
): Promise<ConfigFiles> {
  const files = new Map<string, string>();
  const unreadable: string[] = [];
  const prefix = path.dirname(main);
  let pending = [main];
  for (let level = 0; level < 6 && pending.length > 0; level++) {
    const r = await run(configFiles, pending, level === 0 ? 'config-files' : `config-files:${level}`);
    const got = r.data ?? { files: new Map<string, string>(), unreadable: [] };
    unreadable.push(...got.unreadable);
    const next: string[] = [];
    for (const [f, text] of got.files) {
      if (files.has(f)) continue;
      files.set(f, text);
      // The include directives as nginx reads them (quotes, escapes, several per line).
      walk(parse(text).nodes, (d) => {
        if (d.name !== 'include' || d.block || d.args.length !== 1) return undefined;
        const v = d.args[0].value;
        const p = v.startsWith('/') ? v : path.join(prefix, v);
        if (!next.includes(p)) next.push(p);
        return undefined;
      });
    }
    pending = next.filter((p) => !files.has(p));
  }
  return { files, unreadable };
}
