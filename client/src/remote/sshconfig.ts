// Targets and ~/.ssh/config: `[user@]host[:port]` or a Host alias, resolved with the
// ssh-config package's compute() over the user's config and the system one (user first: the
// first value obtained wins, as in ssh_config(5)), with `Include` expanded (globs, `~`, paths
// relative to ~/.ssh or /etc/ssh) and `~`/%-tokens expanded in IdentityFile,
// UserKnownHostsFile and IdentityAgent.
//
// Not supported, and said so: ProxyCommand (an error, never a silent direct connection),
// `Match exec` (never run: such blocks do not apply), certificates (CertificateFile).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { RemoteError } from './errors';

export interface TargetSpec {
  user?: string;
  host: string;
  port?: number;
}

/**
 * Parses `[user@]host[:port]`, also `user@[::1]:2222`, a bare IPv6 address, and
 * `ssh://[user@]host[:port]` (the form ProxyJump allows).
 */
export function parseTarget(target: string): TargetSpec {
  let t = target.trim();
  if (t.startsWith('ssh://')) t = t.slice(6).replace(/\/$/, '');
  if (t === '') throw new RemoteError('config', 'empty SSH target');
  let user: string | undefined;
  const at = t.lastIndexOf('@');
  if (at >= 0) {
    user = t.slice(0, at);
    t = t.slice(at + 1);
    if (user === '') throw new RemoteError('config', `empty user in SSH target "${target}"`);
  }
  let host = t;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if ((t.match(/:/g) ?? []).length === 1) {
    const i = t.indexOf(':');
    host = t.slice(0, i);
    const p = t.slice(i + 1);
    if (!/^\d+$/.test(p)) throw new RemoteError('config', `bad port "${p}" in SSH target "${target}"`);
    port = Number(p);
  }
  if (host === '' || /\s|[/'"`$;&|<>]/.test(host)) throw new RemoteError('config', `bad host in SSH target "${target}"`);
  if (port !== undefined && (port < 1 || port > 65535)) throw new RemoteError('config', `port out of range in SSH target "${target}"`);
  return { user, host, port };
}

export interface ConfigSources {
  /** The user's config (default ~/.ssh/config); null: none. */
  userConfig?: string | null;
  /** The system config (default /etc/ssh/ssh_config); null: none. */
  systemConfig?: string | null;
  /** For `~` and %d (default os.homedir()). */
  home?: string;
  /** For %u and the default User (default os.userInfo().username). */
  localUser?: string;
}

const MAX_INCLUDE_DEPTH = 16;

/** `~` and `~/...` to the home folder. */
export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function globToRegExp(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = part.indexOf(']', i + 1);
      if (j < 0) re += '\\[';
      else {
        re += '[' + part.slice(i + 1, j).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands a glob path (wildcards in any component), sorted like glob(3). */
export function globFiles(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(base, part));
        continue;
      }
      let names: string[];
      try {
        names = fs.readdirSync(base);
      } catch {
        continue;
      }
      const re = globToRegExp(part);
      for (const n of names.sort()) if ((part.startsWith('.') || !n.startsWith('.')) && re.test(n)) next.push(path.join(base, n));
    }
    bases = next;
  }
  return bases.filter((f) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

type Line = SSHConfig[number];

function isDirective(line: Line): line is Extract<Line, { param: string }> {
  return line.type === SSHConfig.DIRECTIVE;
}

function values(line: Extract<Line, { param: string }>): string[] {
  return typeof line.value === 'string' ? [line.value] : line.value.map((v) => v.val);
}

/** Reads a config file and splices its Includes in place. Unreadable files are empty. */
function readConfig(file: string, relativeTo: string, home: string, depth: number): Line[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return expandIncludes([...SSHConfig.parse(text)], relativeTo, home, depth);
}

function includedLines(line: Extract<Line, { param: string }>, relativeTo: string, home: string, depth: number): Line[] {
  if (depth >= MAX_INCLUDE_DEPTH) throw new RemoteError('config', `ssh config: Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
  const out: Line[] = [];
  for (const v of values(line)) {
    const p = expandTilde(v, home);
    const abs = path.isAbsolute(p) ? p : path.join(relativeTo, p);
    for (const f of globFiles(abs)) out.push(...readConfig(f, relativeTo, home, depth + 1));
  }
  return out;
}

/**
 * Replaces Include lines with the lines of the files they name. An Include inside a Host or
 * Match block adds the included directives to that block; Host/Match blocks of such an included
 * file are placed after the enclosing block (so they also apply when it does not match: a
 * simplification of ssh's nesting).
 */
function expandIncludes(lines: Line[], relativeTo: string, home: string, depth: number): Line[] {
  const out: Line[] = [];
  for (const line of lines) {
    if (!isDirective(line)) {
      out.push(line);
      continue;
    }
    if (/^include$/i.test(line.param)) {
      out.push(...includedLines(line, relativeTo, home, depth));
      continue;
    }
    if ('config' in line) {
      const inner: Line[] = [];
      const after: Line[] = [];
      for (const sub of line.config) {
        if (isDirective(sub) && /^include$/i.test(sub.param)) {
          for (const inc of includedLines(sub, relativeTo, home, depth)) {
            if (isDirective(inc) && 'config' in inc) after.push(inc);
            else if (after.length === 0) inner.push(inc);
            else (after[after.length - 1] as { config: Line[] }).config.push(inc);
          }
        } else inner.push(sub);
      }
      line.config.splice(0, line.config.length, ...inner);
      out.push(line, ...after);
      continue;
    }
    out.push(line);
  }
  return out;
}

/** The user's and the system's ssh config, Includes expanded, as one list (user first). */
export function loadSshConfig(src: ConfigSources = {}): SSHConfig {
  const home = src.home ?? os.homedir();
  const userFile = src.userConfig === undefined ? path.join(home, '.ssh', 'config') : src.userConfig;
  const systemFile = src.systemConfig === undefined ? '/etc/ssh/ssh_config' : src.systemConfig;
  const config = new SSHConfig();
  if (userFile) config.push(...readConfig(userFile, path.join(home, '.ssh'), home, 0));
  if (systemFile) config.push(...readConfig(systemFile, '/etc/ssh', home, 0));
  return config;
}

export interface ResolvedHost {
  /** The host as given (alias or name). */
  alias: string;
  /** Where to connect (HostName, else the alias). */
  hostName: string;
  port: number;
  user: string;
  /** IdentityFile entries, `~` and tokens expanded (missing files included; the caller skips them). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** ProxyJump hops, first hop first (empty: direct). */
  proxyJump: string[];
  /** HashKnownHosts: write new known_hosts entries hashed. */
  hashKnownHosts: boolean;
  /** UserKnownHostsFile (expanded), if set. */
  userKnownHostsFiles?: string[];
  /** GlobalKnownHostsFile, if set. */
  globalKnownHostsFiles?: string[];
  /** HostKeyAlias: the name looked up in known_hosts instead of hostName. */
  hostKeyAlias?: string;
  /** IdentityAgent: a socket path, or `none`. */
  identityAgent?: string;
  /** ConnectTimeout in ms. */
  connectTimeoutMs?: number;
  /** ServerAliveInterval in ms (0: off). */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** BatchMode yes: never prompt (passphrase/password callbacks are skipped). */
  batchMode: boolean;
  /** Set when ProxyCommand is configured (not supported: connecting fails with a config error). */
  proxyCommand?: string;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(/\s+/)).filter((x) => x !== '');
}

function yes(v: string | string[] | undefined): boolean {
  return /^(yes|true)$/i.test(first(v) ?? '');
}

/** ssh_config(5) TOKENS for the directives that take them. */
export function expandTokens(s: string, t: { home: string; host: string; alias: string; port: number; user: string; localUser: string }): string {
  return s.replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return t.home;
      case 'h':
        return t.host;
      case 'n':
        return t.alias;
      case 'p':
        return String(t.port);
      case 'r':
        return t.user;
      case 'u':
        return t.localUser;
      case 'i':
        return String(process.getuid?.() ?? '');
      case 'l':
        return os.hostname();
      case 'L':
        return os.hostname().split('.')[0];
      default:
        return all;
    }
  });
}

/** Splits a ProxyJump value into hops (`none`: no hop). */
export function parseProxyJump(value: string | undefined): string[] {
  if (!value || /^none$/i.test(value.trim())) return [];
  return value
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/** What ssh would use for `spec`: the config's values under the target's explicit user and port. */
export function resolveHost(config: SSHConfig, spec: TargetSpec, src: ConfigSources = {}): ResolvedHost {
  const home = src.home ?? os.homedir();
  let localUser = src.localUser;
  if (localUser === undefined) {
    try {
      localUser = os.userInfo().username;
    } catch {
      localUser = process.env.USER ?? 'root';
    }
  }
  const c = config.compute(spec.user === undefined ? { Host: spec.host } : { Host: spec.host, User: spec.user }, { ignoreCase: true, matchExec: false });
  const hostName = expandTokens(first(c.hostname) ?? spec.host, { home, host: spec.host, alias: spec.host, port: 22, user: '', localUser });
  const portText = first(c.port);
  const port = spec.port ?? (portText && /^\d+$/.test(portText) ? Number(portText) : 22);
  const user = spec.user ?? first(c.user) ?? localUser;
  const tokens = { home, host: hostName, alias: spec.host, port, user, localUser };
  const expand = (p: string) => expandTilde(expandTokens(p, tokens), home);
  const seconds = (v: string | string[] | undefined) => {
    const s = first(v);
    return s && /^\d+$/.test(s) ? Number(s) * 1000 : undefined;
  };
  const userKnown = list(c.userknownhostsfile).map(expand);
  const globalKnown = list(c.globalknownhostsfile).map(expand);
  const agent = first(c.identityagent);
  return {
    alias: spec.host,
    hostName,
    port,
    user,
    identityFiles: (Array.isArray(c.identityfile) ? c.identityfile : c.identityfile ? [c.identityfile] : []).map(expand),
    identitiesOnly: yes(c.identitiesonly),
    proxyJump: parseProxyJump(first(c.proxyjump)),
    hashKnownHosts: yes(c.hashknownhosts),
    userKnownHostsFiles: userKnown.length ? userKnown : undefined,
    globalKnownHostsFiles: globalKnown.length ? globalKnown : undefined,
    hostKeyAlias: first(c.hostkeyalias),
    identityAgent: agent === undefined ? undefined : agent === 'SSH_AUTH_SOCK' ? agent : /^none$/i.test(agent) ? 'none' : expand(agent),
    connectTimeoutMs: seconds(c.connecttimeout),
    serverAliveIntervalMs: seconds(c.serveraliveinterval),
    serverAliveCountMax: first(c.serveralivecountmax) && /^\d+$/.test(first(c.serveralivecountmax)!) ? Number(first(c.serveralivecountmax)) : undefined,
    batchMode: yes(c.batchmode),
    proxyCommand: first(c.proxycommand) && !/^none$/i.test(first(c.proxycommand)!) ? first(c.proxycommand) : undefined,
  };
}
