// The PHP-FPM configuration model: a main php-fpm.conf with every file it includes (or a folder
// of pool files read the way `include = pool.d/*.conf` reads them), loaded in php-fpm's order
// with php-fpm's state (the open section carries through includes in both directions), then
// checked with the start-up rules of `php-fpm -t` (php-src sapi/fpm/fpm/fpm_conf.c:
// fpm_conf_ini_parser_*, fpm_conf_post_process and fpm_conf_process_all_pools). Severity
// follows php-fpm: error where `php-fpm -t` fails, warning where it prints WARNING (or where
// the start after a passing test fails for a reason visible in the file), information for
// NOTICE. Host-dependent checks (users and folders that exist, log files that open) are left to
// the host-aware diagnosis.

import * as path from 'node:path';
import { TextSpan, type Problem, type Severity, type Span } from '../nginx/ast';
import { hasGlob, type FileSource } from '../nginx/files';
import { parseIni, type IniArrayEntry, type IniEntry, type IniFile, type IniSection, type IniStatement, type IniValue } from './ini';
import { fpmArrayKey, fpmKey, fpmKeysIn, PHP_INI_DIRECTIVES, type FpmKey, type FpmSection } from './keys';
import { formatSeconds, isIpAddress, isOctalMode, isPhpSize, parseBoolean, parseValue } from './values';

export interface FpmOptions {
  /** php-fpm's prefix (`-p`): relative include patterns and paths resolve against it. Default /usr. */
  prefix?: string;
  /**
   * Whether the master runs as root (the usual service setup): a pool without `user` then fails
   * the start (error). Unknown (the default): a warning, since containers often run php-fpm as
   * an unprivileged user where `user` is not needed.
   */
  runAsRoot?: boolean;
  /** Event mechanisms of the php-fpm build. Default (Linux): epoll, poll, select. */
  eventMechanisms?: readonly string[];
  /**
   * Look an absolute include up under the checked tree too (a repository holding a copy of /etc,
   * such as `debian/etc/php/8.2/fpm/php-fpm.conf` including `/etc/php/8.2/fpm/pool.d/*.conf`).
   * Default on.
   */
  treeIncludes?: boolean;
  /** Files per include glob followed. Default 1000. */
  maxGlobFiles?: number;
  /**
   * The files are read on the host php-fpm runs on (the local machine, or a remote host's files
   * in a MemoryFileSource): also check what `php-fpm -t` checks on the host — that users and
   * groups exist (/etc/passwd, /etc/group; users known only through NSS/LDAP are not seen), that
   * prefix, chroot and chdir folders exist and that the folders of error_log, access.log and
   * slowlog exist. Default off: a repository of configs is usually checked elsewhere.
   */
  host?: boolean;
  /** php-fpm's local state folder, where a relative error_log goes. Default /var. */
  localStateDir?: string;
}

export interface FpmSetting {
  /** The key as written. */
  key: string;
  /** The key's table name (lower case), or `name[key]` for arrays. */
  name: string;
  value: IniValue;
  /** The value php-fpm uses ($pool expanded; numbers for integers and times, booleans); undefined when invalid or from the environment. */
  effective?: string | number | boolean;
  file: string;
  keySpan: Span;
  valueSpan: Span;
  span: Span;
  line: number;
}

export interface FpmListen {
  /** The address as php-fpm uses it ($pool expanded, a relative socket path made absolute). */
  address: string;
  kind: 'unix' | 'tcp';
  /** Unix socket path. */
  path?: string;
  /** TCP host ("" for all addresses) and port. */
  host?: string;
  port?: number;
}

/** The values the cross-file rules need, with php-fpm's defaults filled in. */
export interface FpmPoolValues {
  listen?: FpmListen;
  user?: string;
  group?: string;
  'listen.owner'?: string;
  'listen.group'?: string;
  /** Default 0660. */
  'listen.mode': string;
  'listen.acl_users'?: string;
  'listen.acl_groups'?: string;
  'listen.allowed_clients'?: string;
  /** Default -1 (the kernel maximum). */
  'listen.backlog': number;
  pm?: 'static' | 'dynamic' | 'ondemand';
  'pm.max_children': number;
  /** As php-fpm computes it when unset (dynamic pools). */
  'pm.start_servers': number;
  'pm.min_spare_servers': number;
  'pm.max_spare_servers': number;
  'pm.max_spawn_rate': number;
  /** Seconds. */
  'pm.process_idle_timeout': number;
  'pm.max_requests': number;
  'pm.status_path'?: string;
  'pm.status_listen'?: string;
  'ping.path'?: string;
  /** Seconds; 0 is off. */
  request_terminate_timeout: number;
  request_slowlog_timeout: number;
  slowlog?: string;
  chroot?: string;
  chdir?: string;
  'security.limit_extensions': string;
  clear_env: boolean;
  catch_workers_output: boolean;
}

export interface FpmArraySetting {
  name: string;
  key: string;
  value: IniValue;
  effective?: string;
  file: string;
  span: Span;
  keySpan: Span;
  line: number;
}

export interface FpmPool {
  name: string;
  /** Where the pool is first opened. */
  file: string;
  /** The first `[name]` header (for a continuation: the first key). */
  headerSpan: Span;
  /** Every `[name]` header that opens it, in load order. */
  headers: { file: string; span: Span }[];
  /** Keys as set (the last occurrence wins), by table name. */
  settings: Map<string, FpmSetting>;
  arrays: FpmArraySetting[];
  values: FpmPoolValues;
  /**
   * Keys at the top of a pool file before any section: php-fpm adds them to the pool opened by
   * an earlier file, unknown here. Not checked for presence rules.
   */
  continuation: boolean;
}

export interface FpmInclude {
  file: string;
  line: number;
  span: Span;
  pattern: string;
  /** The pattern as resolved (prefix, tree mapping). */
  resolved: string;
  files: string[];
  status: 'ok' | 'nomatch' | 'aborted' | 'dynamic' | 'failed';
}

export interface FpmConfig {
  /** The main file, or the folder for a group of pool files read without their main. */
  main: string;
  kind: 'main' | 'fragments';
  /** Every file read, in load order. */
  files: string[];
  global: Map<string, FpmSetting>;
  pools: FpmPool[];
  includes: FpmInclude[];
  problems: Map<string, Problem[]>;
  /** Parsed files (for hover and completion). */
  parsed: Map<string, IniFile>;
  /**
   * php-fpm's own line numbers per file → 0-based line. php-fpm does not restore its line
   * counter after an include, so the lines it names after an `include` in the same file are off.
   */
  reportedLines: Map<string, Map<number, number>>;
}

const DEFAULT_PREFIX = '/usr';
const LINUX_EVENTS = ['epoll', 'poll', 'select'];
const ZLOG_MIN_LIMIT = 512;
/** The most nested files php-fpm reads (ini_recursion > 4 fails). */
const MAX_NESTING = 5;
const STATUS_CHARS = /^[A-Za-z0-9/_\-.~]*$/;

/** Beyond this a file is garbage, not a config: more problems help nobody. */
const MAX_PROBLEMS_PER_FILE = 1000;

/** A Problem list per file with de-duplication and a cap. */
class ProblemSink {
  readonly map = new Map<string, Problem[]>();
  private readonly seen = new Map<string, Set<string>>();
  add(file: string, p: Problem): void {
    const list = this.map.get(file) ?? [];
    this.map.set(file, list);
    const seen = this.seen.get(file) ?? new Set<string>();
    this.seen.set(file, seen);
    const key = `${p.code}\0${p.span.start.offset}\0${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (list.length === MAX_PROBLEMS_PER_FILE) {
      list.push({ code: 'fpm-too-many-problems', severity: 'warning', message: `more than ${MAX_PROBLEMS_PER_FILE} problems: the rest are not listed (is this a PHP-FPM file?)`, span: p.span });
    }
    if (list.length > MAX_PROBLEMS_PER_FILE) return;
    list.push(p);
  }
  touch(file: string): void {
    if (!this.map.has(file)) this.map.set(file, []);
  }
}

function lineSpan(file: IniFile | undefined, line: number): Span {
  if (!file) return new TextSpan(0, 0, 0, 0, 0, 0);
  const start = file.lineStarts[line] ?? 0;
  const next = line + 1 < file.lineStarts.length ? file.lineStarts[line + 1] - 1 : file.text.length;
  const text = file.text.slice(start, next).replace(/\r$/, '');
  const lead = text.length - text.trimStart().length;
  return new TextSpan(start + lead, line, lead, start + text.length, line, text.length);
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

function suggest(name: string, section: FpmSection): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of fpmKeysIn(section)) {
    if (k.array || k.unsupported) continue;
    const d = levenshtein(lower, k.name);
    if (d < bestD) {
      bestD = d;
      best = k.name;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(lower.length / 4)) ? best : undefined;
}

/** fpm_sockets_domain_from_address: a ':' or only digits means TCP, anything else a unix socket. */
export function parseListen(address: string): FpmListen {
  if (address.includes(':') || /^[0-9]+$/.test(address)) {
    const m = /^(?:\[([^\]]*)\]|(.*)):([0-9]+)$/.exec(address);
    if (m) return { address, kind: 'tcp', host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
    if (/^[0-9]+$/.test(address)) return { address, kind: 'tcp', host: '', port: Number(address) };
    return { address, kind: 'tcp' };
  }
  return { address, kind: 'unix', path: address };
}

interface LoadState {
  /** The open section: null for [global], a pool, or 'unknown' before the first section of a pool-file group. */
  current: FpmPool | null | 'unknown';
  counter: number;
}

class Loader {
  readonly sink = new ProblemSink();
  readonly parsed = new Map<string, IniFile>();
  readonly files: string[] = [];
  readonly global = new Map<string, FpmSetting>();
  readonly pools: FpmPool[] = [];
  /** Pools by lower-case name (php-fpm matches section names case-insensitively). */
  private readonly poolsByName = new Map<string, FpmPool>();
  private readonly loaded = new Set<string>();
  readonly includes: FpmInclude[] = [];
  readonly reportedLines = new Map<string, Map<number, number>>();
  /** Includes whose targets could not be seen: "no pool" is then not certain. */
  unresolvedIncludes = 0;
  private readonly prefix: string;
  private readonly maxGlob: number;

  constructor(
    readonly fs: FileSource,
    readonly opts: FpmOptions,
    readonly root: string,
  ) {
    this.prefix = (opts.prefix ?? DEFAULT_PREFIX).replace(/\/+$/, '') || '/';
    this.maxGlob = opts.maxGlobFiles ?? 1000;
  }

  problem(file: string, code: string, severity: Severity, message: string, span: Span, data?: Record<string, unknown>): void {
    this.sink.add(file, { code, severity, message, span, ...(data ? { data } : {}) });
  }

  read(file: string): IniFile | { error: string; code: string } {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    const r = this.fs.read(file);
    if (!r.ok) return { error: r.message, code: r.code };
    const parsed = parseIni(r.text);
    this.parsed.set(file, parsed);
    return parsed;
  }

  /** Loads one file at a nesting depth (0: the main file). */
  loadFile(file: string, depth: number, state: LoadState, stack: string[]): void {
    const got = this.read(file);
    if ('error' in got) return;
    const first = !this.loaded.has(file);
    if (first) {
      this.loaded.add(file);
      this.files.push(file);
      this.sink.touch(file);
      for (const p of got.problems) this.sink.add(file, p);
    }
    const byLine = new Map<number, IniStatement[]>();
    for (const st of got.statements) {
      const list = byLine.get(st.line) ?? [];
      list.push(st);
      byLine.set(st.line, list);
    }
    const reported = this.reportedLines.get(file) ?? new Map<number, number>();
    this.reportedLines.set(file, reported);
    state.counter = 0;
    for (let line = 0; line < got.lineStarts.length; line++) {
      state.counter++;
      if (!reported.has(state.counter)) reported.set(state.counter, line);
      const sts = byLine.get(line);
      if (!sts) continue;
      let include: IniEntry | undefined;
      for (const st of sts) {
        if (st.kind === 'entry' && st.key === 'include' && st.value) include = st;
        else this.apply(file, got, st, state, first);
      }
      if (include) {
        const saved = state.counter;
        const loaded = this.include(file, include, depth, state, stack, first);
        if (!loaded) state.counter = saved;
      }
    }
  }

  /** Resolves and loads an include; returns whether files were read (the line counter moved). */
  private include(file: string, st: IniEntry, depth: number, state: LoadState, stack: string[], report: boolean): boolean {
    const value = st.value!;
    const pattern = value.text;
    const rec: FpmInclude = { file, line: st.line, span: st.span, pattern, resolved: pattern, files: [], status: 'ok' };
    this.includes.push(rec);
    const add = (code: string, severity: Severity, message: string, data?: Record<string, unknown>): void => {
      if (report) this.problem(file, code, severity, message, value.span, data);
    };
    if (value.dynamic) {
      rec.status = 'dynamic';
      this.unresolvedIncludes++;
      add('fpm-include-dynamic', 'information', `the include pattern depends on an environment variable ("${value.raw}"); its files are not checked`);
      return false;
    }
    if (pattern === '') {
      rec.status = 'nomatch';
      add('fpm-include-not-found', 'warning', "include has an empty pattern: php-fpm includes nothing");
      return false;
    }
    let resolved = pattern;
    if (!pattern.startsWith('/')) {
      resolved = path.posix.join(this.prefix, pattern);
      const local = path.posix.join(path.posix.dirname(file), pattern);
      const localHits = this.glob(local);
      const hint = localHits.status === 'ok' ? ` (relative to this file's folder it would match ${localHits.files.length} file(s): write the absolute path ${local})` : '';
      add(
        'fpm-include-relative',
        'warning',
        `a relative include is resolved against php-fpm's prefix (${this.prefix}, set by -p), not this file's folder: it reads ${resolved}${hint}`,
        { resolved, local },
      );
    }
    const mapped = this.mapToTree(resolved);
    rec.resolved = mapped;
    const g = this.glob(mapped);
    if (g.status === 'aborted') {
      rec.status = 'aborted';
      if (mapped === resolved) {
        // Whether the folder exists on the server is only known when checking on it.
        const host = this.opts.host === true;
        add(
          'fpm-include-error',
          host ? 'error' : 'warning',
          host
            ? `Unable to globalize '${resolved}' (ret=2): the folder ${g.dir} does not exist, and php-fpm -t fails (a pattern that matches no file is only a warning, a missing folder is an error)`
            : `the folder ${g.dir} does not exist here: where it does not exist on the server either, php-fpm -t fails ("Unable to globalize '${resolved}' (ret=2)"; a pattern that matches no file is only a warning, a missing folder is an error)`,
          { resolved, dir: g.dir },
        );
      }
      return false;
    }
    if (g.status === 'nomatch') {
      rec.status = 'nomatch';
      this.unresolvedIncludes++;
      add('fpm-include-not-found', 'warning', `Nothing matches the include pattern '${resolved}': php-fpm includes nothing here`, { resolved });
      return false;
    }
    if (g.truncated) add('fpm-include-too-many', 'warning', `include matches more than ${this.maxGlob} files; only the first ${this.maxGlob} are checked`);
    let loadedAny = false;
    for (const target of g.files) {
      const cycle = stack.indexOf(target);
      if (cycle >= 0) {
        rec.status = 'failed';
        const chain = [...stack.slice(cycle), target].map((f) => path.basename(f)).join(' → ');
        add('fpm-include-cycle', 'error', `include cycle: ${chain}. php-fpm -t fails with "failed to include more than ${MAX_NESTING} files recursively"`, { target });
        return loadedAny;
      }
      if (depth + 1 >= MAX_NESTING) {
        rec.status = 'failed';
        add('fpm-include-too-deep', 'error', `failed to include more than ${MAX_NESTING} files recursively: php-fpm -t fails when "${path.basename(target)}" is read at nesting level ${depth + 2}`, { target });
        return loadedAny;
      }
      const got = this.read(target);
      if ('error' in got) {
        if (got.code === 'is-directory') continue; // glob(3) marks folders and php-fpm skips them
        rec.status = 'failed';
        if (got.code === 'not-found') {
          add('fpm-include-unreadable', 'error', `Unable to include ${target}: ${got.error}. php-fpm -t fails ("failed to open configuration file")`, { target, reason: got.code });
        } else {
          // A binary or oversized file is not a config we can read; php-fpm reads each line up to
          // its first NUL byte, so its verdict depends on the bytes. A file this user cannot read
          // may still be readable by php-fpm (started as root).
          add('fpm-include-unreadable', 'warning', `${target} is included but not checked: ${got.error}`, { target, reason: got.code });
        }
        continue;
      }
      rec.files.push(target);
      this.loadFile(target, depth + 1, state, [...stack, target]);
      loadedAny = true;
    }
    if (rec.files.length === 0 && g.files.length > 0) rec.status = 'nomatch';
    return loadedAny;
  }

  /** An absolute pattern looked up under an ancestor of the root file (a copy of / in the tree). */
  private mapToTree(pattern: string): string {
    if (this.opts.treeIncludes === false || !pattern.startsWith('/')) return pattern;
    let dir = path.posix.dirname(this.root);
    for (let i = 0; i < 32 && dir !== '/' && dir !== '.'; i++) {
      const candidate = dir + pattern;
      const lit = literalDir(candidate);
      if (lit !== dir && this.fs.exists(lit)) return candidate;
      dir = path.posix.dirname(dir);
    }
    return pattern;
  }

  /**
   * glob(3) with GLOB_ERR | GLOB_MARK as php-fpm calls it: a pattern without wildcards matches
   * when the path exists; with wildcards, the folder before the first wildcard must open
   * (GLOB_ABORTED, an error in php-fpm) and then the matches are listed.
   */
  private glob(pattern: string): { status: 'ok'; files: string[]; truncated: boolean } | { status: 'nomatch' } | { status: 'aborted'; dir: string } {
    if (!hasGlob(pattern)) return this.fs.exists(pattern) ? { status: 'ok', files: [pattern], truncated: false } : { status: 'nomatch' };
    const dir = literalDir(pattern);
    if (!this.fs.exists(dir)) return { status: 'aborted', dir };
    const g = this.fs.glob(pattern, this.maxGlob);
    return g.files.length > 0 ? { status: 'ok', files: g.files, truncated: g.truncated } : { status: 'nomatch' };
  }

  private names?: { users?: Set<string>; groups?: Set<string> };

  /** User and group names from the host's /etc/passwd and /etc/group (undefined when unreadable). */
  private hostNames(): { users?: Set<string>; groups?: Set<string> } {
    if (this.names) return this.names;
    const read = (file: string): Set<string> | undefined => {
      const r = this.fs.read(file);
      if (!r.ok) return undefined;
      return new Set(r.text.split('\n').map((l) => l.split(':')[0]).filter((n) => n && !n.startsWith('#')));
    };
    this.names = { users: read('/etc/passwd'), groups: read('/etc/group') };
    return this.names;
  }

  private isDir(p: string): boolean {
    if (!this.fs.exists(p)) return false;
    const r = this.fs.read(p);
    return !r.ok && r.code !== 'not-found';
  }

  /** Host checks of one pool (prefix, users, folders, log files), as php-fpm -t makes them on its host. */
  private hostChecks(pool: FpmPool): void {
    const s = (key: string): FpmSetting | undefined => pool.settings.get(key);
    const str = (key: string): string | undefined => {
      const e = s(key)?.effective;
      return typeof e === 'string' ? e : undefined;
    };
    const err = (key: string, message: string): void => {
      const set = s(key)!;
      this.problem(set.file, 'fpm-host', 'error', `${message} (php-fpm -t fails on this host)`, set.valueSpan.start.offset === set.valueSpan.end.offset ? set.span : set.valueSpan, { pool: pool.name, key });
    };
    let prefix = str('prefix');
    if (prefix) {
      if (!prefix.startsWith('/')) prefix = path.posix.join(this.prefix, prefix);
      if (!this.isDir(prefix)) err('prefix', `[pool ${pool.name}] the prefix '${prefix}' does not exist or is not a directory`);
    }
    const base = prefix ?? this.prefix;
    const names = this.hostNames();
    for (const [key, kind] of [['user', 'user'], ['listen.owner', 'user'], ['group', 'group'], ['listen.group', 'group']] as const) {
      const v = str(key);
      if (!v || /^[0-9]+$/.test(v) || /[ \t\n\r\v\f]/.test(v)) continue;
      const known = kind === 'user' ? names.users : names.groups;
      if (known && !known.has(v)) err(key, `[pool ${pool.name}] cannot get ${kind === 'user' ? 'uid' : 'gid'} for ${kind} '${v}': there is no such ${kind} on this host`);
    }
    let chroot = str('chroot');
    if (chroot) {
      if (chroot.startsWith('$prefix')) chroot = base + chroot.slice('$prefix'.length);
      else if (!chroot.startsWith('/')) chroot = path.posix.join(base, chroot);
      if (!this.isDir(chroot)) err('chroot', `[pool ${pool.name}] the chroot path '${chroot}' does not exist or is not a directory`);
    }
    let chdir = str('chdir');
    if (chdir) {
      if (!chdir.startsWith('/')) chdir = path.posix.join(base, chdir);
      const full = chroot ? `${chroot}/${chdir}` : chdir;
      if (!this.isDir(full.replace(/\/\/+/g, '/'))) {
        err('chdir', chroot ? `[pool ${pool.name}] the chdir path '${chdir}' within the chroot path '${chroot}' ('${full}') does not exist or is not a directory` : `[pool ${pool.name}] the chdir path '${chdir}' does not exist or is not a directory`);
      }
    }
    const fileIn = (key: string, label: string): void => {
      let f = str(key);
      if (!f) return;
      if (!f.startsWith('/')) f = path.posix.join(base, f);
      if (f.endsWith('/') || this.isDir(f)) err(key, `${label}(${f}): it is a folder, not a file`);
      else if (!this.isDir(path.posix.dirname(f))) err(key, `${label}(${f}): its folder ${path.posix.dirname(f)} does not exist`);
    };
    if (pool.values.request_slowlog_timeout !== 0) fileIn('slowlog', 'Unable to create or open slowlog');
    fileIn('access.log', 'failed to open access log ');
  }

  private sectionOf(state: LoadState): FpmSection {
    return state.current === null ? 'global' : 'pool';
  }

  private continuationPool(file: string, span: Span, state: LoadState): FpmPool {
    const pool: FpmPool = {
      name: '(pool opened by an earlier file)',
      file,
      headerSpan: span,
      headers: [],
      settings: new Map(),
      arrays: [],
      values: defaultValues(),
      continuation: true,
    };
    this.pools.push(pool);
    state.current = pool;
    return pool;
  }

  private apply(file: string, parsed: IniFile, st: IniStatement, state: LoadState, report: boolean): void {
    if (st.kind === 'section') return this.section(file, st, state, report);
    if ((st.kind === 'entry' || st.kind === 'array') && st.hashLine) return;
    if (state.current === 'unknown') {
      // A pool file's keys before its first section: global keys stay global, the rest continue an earlier pool.
      const isGlobalOnly = st.kind === 'entry' && fpmKey('global', st.key) && !fpmKey('pool', st.key);
      if (isGlobalOnly) {
        state.current = null;
      } else {
        this.continuationPool(file, st.span, state);
        if (report) {
          this.problem(
            file,
            'fpm-keys-before-section',
            'information',
            'keys before the first [section]: php-fpm adds them to the pool opened last by an earlier file (or to [global] when php-fpm.conf includes this file from its [global] part)',
            lineSpan(parsed, st.line),
          );
        }
      }
    }
    if (st.kind === 'entry') this.entry(file, st, state, report);
    else this.array(file, st, state, report);
  }

  private section(file: string, st: IniSection, state: LoadState, report: boolean): void {
    if (st.name.toLowerCase() === 'global') {
      state.current = null;
      return;
    }
    const existing = this.poolsByName.get(st.name.toLowerCase());
    if (existing) {
      state.current = existing;
      const prev = existing.headers[existing.headers.length - 1];
      existing.headers.push({ file, span: st.span });
      if (report && prev) {
        const same = prev.file === file;
        const where = same ? `line ${prev.span.start.line + 1}` : `${path.basename(prev.file)} line ${prev.span.start.line + 1}`;
        this.problem(
          file,
          'fpm-duplicate-section',
          same ? 'warning' : 'information',
          `[${st.name}] is opened again (first at ${where}): php-fpm merges both into one pool, and a key set in both takes the later value`,
          st.span,
          { pool: st.name, first: { file: prev.file, line: prev.span.start.line } },
        );
      }
      return;
    }
    const pool: FpmPool = {
      name: st.name,
      file,
      headerSpan: st.span,
      headers: [{ file, span: st.span }],
      settings: new Map(),
      arrays: [],
      values: defaultValues(),
      continuation: false,
    };
    this.pools.push(pool);
    this.poolsByName.set(st.name.toLowerCase(), pool);
    state.current = pool;
    if (report && st.name.trim() === '') {
      this.problem(file, 'fpm-empty-pool-name', 'warning', `a pool named "${st.name}": php-fpm accepts it, but logs and the status page show an empty pool name`, st.span);
    } else if (report && st.name !== st.name.trim()) {
      this.problem(file, 'fpm-pool-name-blanks', 'warning', `the pool name "${st.name}" keeps its blanks: php-fpm names the pool "${st.name}", and $pool expands to it`, st.nameSpan);
    }
  }

  private entry(file: string, st: IniEntry, state: LoadState, report: boolean): void {
    const add = (code: string, severity: Severity, message: string, span: Span, data?: Record<string, unknown>): void => {
      if (report) this.problem(file, code, severity, message, span, data);
    };
    if (!st.value) {
      add(
        'fpm-missing-value',
        'error',
        `"${st.key}" has no "= value": php-fpm -t fails ("value is NULL for a ZEND_INI_PARSER_ENTRY")`,
        st.keySpan.start.offset === st.keySpan.end.offset ? st.span : st.keySpan,
        { key: st.key },
      );
      return;
    }
    const value = st.value;
    const section = this.sectionOf(state);
    const def = fpmKey(section, st.key);
    if (!def) {
      const other = fpmKey(section === 'global' ? 'pool' : 'global', st.key);
      if (other && !other.unsupported) {
        add(
          'fpm-wrong-section',
          'error',
          section === 'global'
            ? `"${other.name}" is a pool setting, not allowed in [global]: php-fpm -t fails with "unknown entry '${st.key}'". Move it into a [pool] section.`
            : `"${other.name}" is a [global] setting, not allowed in a pool: php-fpm -t fails with "unknown entry '${st.key}'". Move it into [global].`,
          st.keySpan,
          { key: st.key, section: other.section },
        );
      } else {
        const s = suggest(st.key, section);
        add(
          'fpm-unknown-key',
          'error',
          `unknown entry '${st.key}'${section === 'global' ? ' in [global]' : ''}: php-fpm -t fails${s ? `. Did you mean "${s}"?` : ''}`,
          st.keySpan,
          { key: st.key, ...(s ? { suggestion: s } : {}) },
        );
      }
      return;
    }
    if (def.unsupported) {
      add('fpm-unknown-key', 'error', `unknown entry '${st.key}': "${def.name}" exists only in ${def.unsupported} builds of php-fpm, and php-fpm -t on Linux fails`, st.keySpan, { key: st.key, unsupported: def.unsupported });
      return;
    }
    const setting: FpmSetting = {
      key: st.key,
      name: def.name,
      value,
      file,
      keySpan: st.keySpan,
      valueSpan: value.span,
      span: st.span,
      line: st.line,
    };
    if (!value.dynamic) {
      let text = value.text;
      if (def.parser === 'string' && text.includes('$pool')) {
        if (state.current === null) {
          add('fpm-pool-var-outside-pool', 'error', `unable to parse value for entry '${def.name}': Can't use '$pool' when the pool is not defined (php-fpm -t fails)`, value.span, { key: def.name });
          return;
        }
        const pool = state.current === 'unknown' ? undefined : state.current;
        if (pool && !pool.continuation) text = text.split('$pool').join(pool.name);
      }
      const r = parseValue(def.parser, text);
      if (!r.ok) {
        add('fpm-invalid-value', 'error', `unable to parse value for entry '${def.name}': ${r.message} (php-fpm -t fails)${valueHint(def, value)}`, value.span, { key: def.name, value: value.text });
        // Kept without an effective value, so that later checks know the key is set (and do not call it missing).
        const target = state.current === null ? this.global : (state.current as FpmPool).settings;
        target.set(def.name, setting);
        return;
      }
      setting.effective = r.value;
      if (r.wrapped) {
        add(
          'fpm-int-overflow',
          'warning',
          `${value.raw} does not fit in php-fpm's C int: it reads ${def.name} as ${r.wrapped.effective}${def.parser === 'time' ? ' seconds' : ''}`,
          value.span,
          { key: def.name, effective: r.wrapped.effective },
        );
      }
      this.valueLints(def, setting, add);
    }
    const target = state.current === null ? this.global : (state.current as FpmPool).settings;
    const prev = target.get(def.name);
    if (prev && report) {
      const where = prev.file === file ? `line ${prev.line + 1}` : `${path.basename(prev.file)} line ${prev.line + 1}`;
      add('fpm-duplicate-key', 'warning', `${def.name} is already set on ${where}: php-fpm uses this later value`, st.keySpan, { key: def.name, first: { file: prev.file, line: prev.line } });
    }
    target.set(def.name, setting);
  }

  private valueLints(def: FpmKey, s: FpmSetting, add: (code: string, severity: Severity, message: string, span: Span, data?: Record<string, unknown>) => void): void {
    const v = s.value;
    if (!v.quoted && /\s#/.test(v.text)) {
      add('fpm-hash-in-value', 'warning', `'#' does not start a comment here: the value of ${def.name} is "${v.text}". Use ';' for comments.`, v.span, { key: def.name });
    }
    if (def.parser === 'time' && !/^-?[0-9]+[smhd]?$/.test(v.text.trim()) && typeof s.effective === 'number') {
      add('fpm-time-format', 'warning', `php-fpm reads "${v.text}" as ${s.effective} seconds (${formatSeconds(s.effective)}): only a number with one suffix s, m, h or d is meant`, v.span, { key: def.name, effective: s.effective });
    }
    if (def.name === 'listen.mode' && !isOctalMode(v.text)) {
      add('fpm-listen-mode', 'warning', `listen.mode "${v.text}" is not an octal mode like 0660: php-fpm -t accepts it, but the socket gets the permissions of its leading octal digits (strtoul base 8)`, v.span);
    }
    if (def.name === 'listen.allowed_clients' && v.text.trim() !== '') {
      for (const part of v.text.split(',')) {
        if (!isIpAddress(part)) {
          add('fpm-allowed-clients', 'warning', `"${part.trim()}" in listen.allowed_clients is not an IP address: php-fpm ignores it ("Wrong IP address"), and when no entry is valid it accepts no client at all`, v.span);
          break;
        }
      }
    }
    if ((def.name === 'user' || def.name === 'group' || def.name === 'listen.owner' || def.name === 'listen.group') && v.text !== '' && /[ \t\n\r\v\f]/.test(v.text)) {
      const what = def.name === 'group' || def.name === 'listen.group' ? 'group' : 'user';
      add(
        'fpm-bad-user-name',
        'error',
        `cannot get ${what === 'user' ? 'uid' : 'gid'} for ${what} '${v.text}': a ${what} name cannot contain blanks (php-fpm -t fails)${v.text.includes('#') ? ". '#' does not start a comment: use ';'" : ''}`,
        v.span,
        { key: def.name },
      );
      return;
    }
    if (def.name === 'user' && v.text === 'root') {
      add('fpm-root-user', 'warning', 'user = root: php-fpm -t passes, but the start fails ("please specify user and group other than root") unless php-fpm runs with --allow-to-run-as-root', v.span);
    }
    if (def.name === 'pm.max_children' && typeof s.effective === 'number' && s.effective > 100000) {
      add(
        'fpm-absurd-value',
        'warning',
        `pm.max_children = ${s.effective} is far beyond any host: every child is a process with its own PHP memory (typically 30-100 MB), and php-fpm reserves a shared-memory slot per child at start`,
        v.span,
        { key: def.name, effective: s.effective },
      );
    }
  }

  private array(file: string, st: IniArrayEntry, state: LoadState, report: boolean): void {
    const add = (code: string, severity: Severity, message: string, span: Span, data?: Record<string, unknown>): void => {
      if (report) this.problem(file, code, severity, message, span, data);
    };
    const full = `${st.name}[${st.key.text}]`;
    if (st.name === 'access.suppress_path') {
      let bad = false;
      if (st.key.text !== '') {
        add('fpm-array-key', 'error', "Keys provided to field 'access.suppress_path' are ignored: write access.suppress_path[] (php-fpm -t fails)", st.key.span.start.offset === st.key.span.end.offset ? st.nameSpan : st.key.span);
        bad = true;
      }
      if (!st.value.dynamic && !st.value.text.startsWith('/')) {
        add('fpm-invalid-value', 'error', "Values provided to field 'access.suppress_path' must begin with '/' (php-fpm -t fails)", st.value.span);
        bad = true;
      }
      if (bad) return;
    } else if (st.key.text === '' && !st.key.dynamic) {
      add('fpm-array-key', 'error', `You must provide a key for field '${st.name}': write ${st.name}[name] (php-fpm -t fails)`, st.nameSpan);
      return;
    }
    if (state.current === null) {
      add('fpm-array-in-global', 'error', `${full} is not allowed in [global] ("Array are not allowed in the global section"): php-fpm -t fails. Move it into a pool.`, st.nameSpan);
      return;
    }
    const def = fpmArrayKey(st.name);
    if (!def) {
      const ci = fpmArrayKey(st.name.toLowerCase());
      add(
        'fpm-unknown-key',
        'error',
        `unknown directive '${st.name}': php-fpm -t fails${ci ? `. These names are case-sensitive: write "${ci.name}"` : '. Known: php_value, php_flag, php_admin_value, php_admin_flag, env, access.suppress_path'}`,
        st.nameSpan,
        { key: st.name, ...(ci ? { suggestion: ci.name } : {}) },
      );
      return;
    }
    const pool = state.current as FpmPool;
    let effective: string | undefined = st.value.dynamic ? undefined : st.value.text;
    if (st.name === 'env' && !st.value.dynamic && st.value.text === '') {
      add('fpm-env-empty', 'error', `env[${st.key.text}] has an empty value ("empty value"): php-fpm -t fails. Remove the line or give a value.`, st.value.span);
      return;
    }
    if (def.parser === 'boolean' && !st.value.dynamic) {
      const r = parseBoolean(st.value.text);
      if (!r.ok) {
        add('fpm-invalid-value', 'error', `error while parsing '${full}' : invalid boolean value (php-fpm -t fails)${valueHint(def, st.value)}`, st.value.span, { key: full });
        return;
      }
      effective = r.value ? '1' : '0';
    } else if (effective !== undefined && effective.includes('$pool') && !pool.continuation) {
      effective = effective.split('$pool').join(pool.name);
    }
    if ((st.name === 'php_value' || st.name === 'php_admin_value') && !st.value.dynamic) {
      const kind = PHP_INI_DIRECTIVES[st.key.text];
      if (kind === 'size' && !isPhpSize(st.value.text)) {
        add(
          'fpm-php-size',
          'warning',
          `${full} = "${st.value.text}" is not a PHP size (a number with an optional K, M or G suffix, or -1): PHP warns "Invalid quantity" in every worker and uses the leading number only`,
          st.value.span,
          { key: full },
        );
      }
      if (!st.value.quoted && /\s#/.test(st.value.text)) {
        add('fpm-hash-in-value', 'warning', `'#' does not start a comment here: the value of ${full} is "${st.value.text}". Use ';' for comments.`, st.value.span);
      }
    }
    const prev = pool.arrays.find((a) => a.name === st.name && a.key === st.key.text && st.name !== 'access.suppress_path');
    if (prev && report) {
      const where = prev.file === file ? `line ${prev.line + 1}` : `${path.basename(prev.file)} line ${prev.line + 1}`;
      add('fpm-duplicate-key', 'warning', `${full} is already set on ${where}: both reach PHP, and which one wins is easy to get wrong`, st.nameSpan, { key: full });
    }
    pool.arrays.push({ name: st.name, key: st.key.text, value: st.value, effective, file, span: st.span, keySpan: st.key.span, line: st.line });
  }

  // -------------------------------------------------------------------------------------------
  // Start-up checks (fpm_conf_post_process, fpm_conf_process_all_pools)
  // -------------------------------------------------------------------------------------------

  postProcess(kind: 'main' | 'fragments'): void {
    const g = (name: string): FpmSetting | undefined => this.global.get(name);
    const gnum = (name: string): number | undefined => {
      const s = g(name);
      return typeof s?.effective === 'number' ? s.effective : undefined;
    };
    const logLimit = gnum('log_limit');
    if (logLimit !== undefined && logLimit < ZLOG_MIN_LIMIT) {
      const s = g('log_limit')!;
      this.problem(s.file, 'fpm-global-value', 'error', `log_limit must be greater than ${ZLOG_MIN_LIMIT} (php-fpm -t fails)`, s.valueSpan, { key: 'log_limit', min: ZLOG_MIN_LIMIT });
    }
    const pmax = gnum('process.max');
    if (pmax !== undefined && pmax < 0) {
      const s = g('process.max')!;
      this.problem(s.file, 'fpm-global-value', 'error', "process_max can't be negative (php-fpm -t fails)", s.valueSpan, { key: 'process.max' });
    }
    const prio = gnum('process.priority');
    if (prio !== undefined && prio !== 64 && (prio < -19 || prio > 20)) {
      const s = g('process.priority')!;
      this.problem(s.file, 'fpm-priority-range', 'error', 'process.priority must be included into [-19,20] (php-fpm -t fails)', s.valueSpan, { key: 'process.priority' });
    }
    const events = g('events.mechanism');
    const available = this.opts.eventMechanisms ?? LINUX_EVENTS;
    if (events && typeof events.effective === 'string' && events.effective !== '' && !available.includes(events.effective)) {
      this.problem(
        events.file,
        'fpm-events-mechanism',
        'error',
        `event mechanism '${events.effective}' is not available on this system (php-fpm -t fails; this build has ${available.join(', ')})`,
        events.valueSpan,
        { key: 'events.mechanism' },
      );
    }
    const mechanism = typeof events?.effective === 'string' && events.effective !== '' ? events.effective : available[0];

    const real = this.pools.filter((p) => !p.continuation);
    const unresolved = this.unresolvedIncludes + this.includes.filter((i) => i.status === 'aborted' || i.status === 'failed').length;
    if (kind === 'main' && real.length === 0) {
      const f = this.parsed.get(this.root);
      const span = f ? lineSpan(f, 0) : new TextSpan(0, 0, 0, 0, 0, 0);
      if (unresolved > 0) {
        this.problem(this.root, 'fpm-no-pool', 'warning', 'no [pool] section is defined here, and included files could not be read: php-fpm -t fails ("No pool defined") unless the includes bring pools on the host', span);
      } else {
        this.problem(this.root, 'fpm-no-pool', 'error', 'No pool defined. at least one pool section must be specified in config file (php-fpm -t fails)', span);
      }
    }
    for (const pool of this.pools) this.computeValues(pool, mechanism);
    for (const pool of real) this.checkPool(pool, mechanism);
    if (this.opts.host) {
      for (const pool of real) this.hostChecks(pool);
      const log = g('error_log');
      if (log && typeof log.effective === 'string' && log.effective !== '' && log.effective.toLowerCase() !== 'syslog') {
        const f = log.effective.startsWith('/') ? log.effective : path.posix.join(this.opts.localStateDir ?? '/var', log.effective);
        const bad = f.endsWith('/') || this.isDir(f) ? 'it is a folder, not a file' : !this.isDir(path.posix.dirname(f)) ? `its folder ${path.posix.dirname(f)} does not exist` : undefined;
        if (bad) this.problem(log.file, 'fpm-host', 'error', `failed to open error_log (${f}): ${bad} (php-fpm -t fails on this host)`, log.valueSpan, { key: 'error_log' });
      }
    }
    this.checkListenDuplicates(real);
  }

  private computeValues(pool: FpmPool, _mechanism: string): void {
    const v = pool.values;
    const s = (name: string): FpmSetting | undefined => pool.settings.get(name);
    const str = (name: string): string | undefined => {
      const e = s(name)?.effective;
      return typeof e === 'string' ? e : undefined;
    };
    const num = (name: string, dflt: number): number => {
      const e = s(name)?.effective;
      return typeof e === 'number' ? e : dflt;
    };
    const bool = (name: string, dflt: boolean): boolean => {
      const e = s(name)?.effective;
      return typeof e === 'boolean' ? e : dflt;
    };
    const listen = str('listen');
    if (listen) {
      let l = parseListen(listen);
      if (l.kind === 'unix' && !listen.startsWith('/')) {
        const prefix = str('prefix');
        const base = prefix ? (prefix.startsWith('/') ? prefix : path.posix.join(this.prefix, prefix)) : this.prefix;
        l = parseListen(path.posix.join(base, listen));
      }
      v.listen = l;
    }
    v.user = str('user');
    v.group = str('group');
    v['listen.owner'] = str('listen.owner');
    v['listen.group'] = str('listen.group');
    v['listen.mode'] = str('listen.mode') ?? '0660';
    v['listen.acl_users'] = str('listen.acl_users');
    v['listen.acl_groups'] = str('listen.acl_groups');
    v['listen.allowed_clients'] = str('listen.allowed_clients');
    v['listen.backlog'] = num('listen.backlog', -1);
    const pm = str('pm');
    v.pm = pm === 'static' || pm === 'dynamic' || pm === 'ondemand' ? pm : undefined;
    v['pm.max_children'] = num('pm.max_children', 0);
    v['pm.min_spare_servers'] = num('pm.min_spare_servers', 0);
    v['pm.max_spare_servers'] = num('pm.max_spare_servers', 0);
    const start = num('pm.start_servers', 0);
    v['pm.start_servers'] =
      v.pm === 'dynamic' && start <= 0 ? v['pm.min_spare_servers'] + Math.trunc((v['pm.max_spare_servers'] - v['pm.min_spare_servers']) / 2) : v.pm === 'ondemand' ? 0 : start;
    v['pm.max_spawn_rate'] = num('pm.max_spawn_rate', 32);
    v['pm.process_idle_timeout'] = num('pm.process_idle_timeout', 10);
    v['pm.max_requests'] = num('pm.max_requests', 0);
    v['pm.status_path'] = str('pm.status_path');
    v['pm.status_listen'] = str('pm.status_listen');
    v['ping.path'] = str('ping.path');
    v.request_terminate_timeout = num('request_terminate_timeout', 0);
    v.request_slowlog_timeout = num('request_slowlog_timeout', 0);
    v.slowlog = str('slowlog');
    v.chroot = str('chroot');
    v.chdir = str('chdir');
    v['security.limit_extensions'] = str('security.limit_extensions') ?? '.php .phar';
    v.clear_env = bool('clear_env', true);
    v.catch_workers_output = bool('catch_workers_output', false);
  }

  private checkPool(pool: FpmPool, mechanism: string): void {
    const name = pool.name;
    const s = (key: string): FpmSetting | undefined => pool.settings.get(key);
    const at = (key: string): { file: string; span: Span } => {
      const set = s(key);
      return set ? { file: set.file, span: set.valueSpan.start.offset === set.valueSpan.end.offset ? set.span : set.valueSpan } : { file: pool.file, span: pool.headerSpan };
    };
    const err = (code: string, key: string | undefined, message: string, data?: Record<string, unknown>, severity: Severity = 'error'): void => {
      const where = key ? at(key) : { file: pool.file, span: pool.headerSpan };
      this.problem(where.file, code, severity, message, where.span, { pool: name, ...(data ?? {}) });
    };
    const v = pool.values;
    const invalid = (key: string): boolean => {
      const set = s(key);
      return set !== undefined && set.effective === undefined; // invalid or from the environment: reported already or unknowable
    };

    // user (only when the master runs as root and without --allow-to-run-as-root)
    if (!s('user')) {
      const root = this.opts.runAsRoot === true;
      err(
        'fpm-missing-user',
        undefined,
        root
          ? `[pool ${name}] user has not been defined: php-fpm started as root refuses to start (php-fpm -t fails)`
          : `[pool ${name}] user has not been defined: when php-fpm starts as root (a system service) it refuses to start; only a php-fpm started as an unprivileged user runs the pool as itself`,
        undefined,
        root ? 'error' : 'warning',
      );
    }
    // listen
    const listen = s('listen');
    if (!listen || (listen.effective === '' && !listen.value.dynamic)) {
      err('fpm-missing-listen', listen ? 'listen' : undefined, `[pool ${name}] no listen address have been defined! (php-fpm -t fails): add listen = /run/php/${name}.sock or listen = 127.0.0.1:9000`);
    } else if (v.listen?.kind === 'unix' && typeof listen.effective === 'string' && !listen.effective.startsWith('/')) {
      err('fpm-listen-relative', 'listen', `the socket path is relative: php-fpm creates it at ${v.listen.address} (relative to the ${s('prefix') ? 'pool prefix' : `prefix ${this.prefix}`}), where nginx must point fastcgi_pass`, { address: v.listen.address }, 'warning');
    }
    // process.priority
    const prio = s('process.priority')?.effective;
    if (typeof prio === 'number' && prio !== 64 && (prio < -19 || prio > 20)) {
      err('fpm-priority-range', 'process.priority', `[pool ${name}] process.priority must be included into [-19,20] (php-fpm -t fails)`, { key: 'process.priority' });
    }
    // pm
    if (!v.pm) {
      if (!invalid('pm')) err('fpm-missing-pm', undefined, `[pool ${name}] the process manager is missing (static, dynamic or ondemand): php-fpm -t fails. Add pm = dynamic (or static, ondemand).`);
    }
    const maxChildren = v['pm.max_children'];
    if (maxChildren < 1 && !invalid('pm.max_children')) {
      err('fpm-pm-constraints', 'pm.max_children', `[pool ${name}] pm.max_children must be a positive value (php-fpm -t fails)${s('pm.max_children') ? '' : ': pm.max_children is mandatory'}`, {
        key: 'pm.max_children',
        rule: 'max_children',
      });
    }
    if (v.pm === 'dynamic') {
      const min = v['pm.min_spare_servers'];
      const max = v['pm.max_spare_servers'];
      const start = s('pm.start_servers')?.effective;
      const bad = invalid('pm.min_spare_servers') || invalid('pm.max_spare_servers') || invalid('pm.max_children');
      if (!bad) {
        if (min <= 0) {
          err('fpm-pm-constraints', 'pm.min_spare_servers', `[pool ${name}] pm.min_spare_servers(${min}) must be a positive value (php-fpm -t fails)${s('pm.min_spare_servers') ? '' : ': it is mandatory with pm = dynamic'}`, { key: 'pm.min_spare_servers', rule: 'min_spare_positive' });
        }
        if (max <= 0) {
          err('fpm-pm-constraints', 'pm.max_spare_servers', `[pool ${name}] pm.max_spare_servers(${max}) must be a positive value (php-fpm -t fails)${s('pm.max_spare_servers') ? '' : ': it is mandatory with pm = dynamic'}`, { key: 'pm.max_spare_servers', rule: 'max_spare_positive' });
        }
        if (min > 0 && max > 0 && (min > maxChildren || max > maxChildren) && maxChildren >= 1) {
          const key = max > maxChildren ? 'pm.max_spare_servers' : 'pm.min_spare_servers';
          err('fpm-pm-constraints', s(key) ? key : 'pm.max_children', `[pool ${name}] pm.min_spare_servers(${min}) and pm.max_spare_servers(${max}) cannot be greater than pm.max_children(${maxChildren}) (php-fpm -t fails)`, { key, rule: 'spare_le_children', min, max, maxChildren });
        }
        if (min > 0 && max > 0 && max < min) {
          err('fpm-pm-constraints', 'pm.max_spare_servers', `[pool ${name}] pm.max_spare_servers(${max}) must not be less than pm.min_spare_servers(${min}) (php-fpm -t fails)`, { key: 'pm.max_spare_servers', rule: 'max_ge_min', min, max });
        }
        const reachable = min > 0 && max >= min && min <= maxChildren && max <= maxChildren;
        if (typeof start === 'number' && start > 0 && (start < min || start > max) && reachable) {
          err('fpm-pm-constraints', 'pm.start_servers', `[pool ${name}] pm.start_servers(${start}) must not be less than pm.min_spare_servers(${min}) and not greater than pm.max_spare_servers(${max}) (php-fpm -t fails)`, { key: 'pm.start_servers', rule: 'start_between', min, max, start });
        } else if ((start === undefined || (typeof start === 'number' && start <= 0)) && !invalid('pm.start_servers') && reachable) {
          err('fpm-start-servers-unset', s('pm.start_servers') ? 'pm.start_servers' : undefined, `[pool ${name}] pm.start_servers is not set. It's been set to ${v['pm.start_servers']}.`, { key: 'pm.start_servers', value: v['pm.start_servers'] }, 'information');
        }
      }
      const spawn = s('pm.max_spawn_rate')?.effective;
      if (typeof spawn === 'number' && spawn < 1) {
        err('fpm-pm-constraints', 'pm.max_spawn_rate', `[pool ${name}] pm.max_spawn_rate must be a positive value (php-fpm -t fails)`, { key: 'pm.max_spawn_rate', rule: 'spawn_positive' });
      }
    } else if (v.pm === 'ondemand') {
      if (mechanism !== 'epoll' && mechanism !== 'kqueue') {
        err('fpm-pm-constraints', 'pm', `[pool ${name}] ondemand process manager can ONLY be used when events.mechanism is either epoll (Linux) or kqueue (*BSD) (php-fpm -t fails; events.mechanism is ${mechanism})`, { key: 'pm', rule: 'ondemand_events' });
      }
      const idle = s('pm.process_idle_timeout')?.effective;
      if (typeof idle === 'number' && idle < 1) {
        err('fpm-pm-constraints', 'pm.process_idle_timeout', `[pool ${name}] pm.process_idle_timeout(${idle}s) must be greater than 0s (php-fpm -t fails)`, { key: 'pm.process_idle_timeout', rule: 'idle_positive' });
      }
      if (v['listen.backlog'] < -1) {
        err('fpm-ondemand-backlog', 'listen.backlog', `[pool ${name}] listen.backlog(${v['listen.backlog']}) was too low for the ondemand process manager: php-fpm uses -1 instead (WARNING)`, { key: 'listen.backlog' }, 'warning');
      }
    }
    // keys that the chosen process manager ignores
    if (v.pm) {
      const ignored = v.pm === 'static' ? ['pm.start_servers', 'pm.min_spare_servers', 'pm.max_spare_servers', 'pm.max_spawn_rate', 'pm.process_idle_timeout'] : v.pm === 'ondemand' ? ['pm.start_servers', 'pm.min_spare_servers', 'pm.max_spare_servers', 'pm.max_spawn_rate'] : ['pm.process_idle_timeout'];
      for (const key of ignored) {
        const set = s(key);
        if (set) this.problem(set.file, 'fpm-pm-ignored', 'information', `${key} has no effect with pm = ${v.pm}`, set.keySpan, { pool: name, key });
      }
    }
    // status
    const statusListen = v['pm.status_listen'];
    const statusPath = v['pm.status_path'];
    if (statusPath !== undefined && statusPath !== '') this.checkUriPath(pool, 'pm.status_path', 'status path', statusPath, statusListen === undefined);
    // ping
    const ping = v['ping.path'];
    if (ping !== undefined && ping !== '') {
      this.checkUriPath(pool, 'ping.path', 'ping path', ping, true);
      const resp = s('ping.response');
      if (resp && resp.effective === '') {
        err('fpm-ping-path', 'ping.response', `[pool ${name}] the ping response page '' is not long enough (php-fpm -t fails)`, { key: 'ping.response' });
      }
    }
    // access.format
    const format = s('access.format');
    if (format && typeof format.effective === 'string') {
      const problem = accessFormatError(format.effective);
      if (problem) {
        const logged = s('access.log');
        const active = logged !== undefined && logged.effective !== '';
        err(
          'fpm-access-format',
          'access.format',
          active
            ? `[pool ${name}] wrong format for access.format: ${problem} (php-fpm -t fails)`
            : `access.format is invalid (${problem}): unused while access.log is not set, but php-fpm -t fails once it is`,
          { key: 'access.format' },
          active ? 'error' : 'warning',
        );
      }
    }
    // slowlog
    const hasSlowlog = typeof v.slowlog === 'string' && v.slowlog !== '';
    if (v.request_slowlog_timeout !== 0 && !invalid('request_slowlog_timeout')) {
      if (!hasSlowlog) {
        err('fpm-slowlog', 'request_slowlog_timeout', `[pool ${name}] 'slowlog' must be specified for use with 'request_slowlog_timeout' (php-fpm -t fails)`, { key: 'request_slowlog_timeout' });
      }
      if (v.request_terminate_timeout !== 0 && v.request_slowlog_timeout > v.request_terminate_timeout) {
        err(
          'fpm-slowlog',
          'request_slowlog_timeout',
          `[pool ${name}] 'request_slowlog_timeout' (${v.request_slowlog_timeout}) can't be greater than 'request_terminate_timeout' (${v.request_terminate_timeout}) (php-fpm -t fails)`,
          { key: 'request_slowlog_timeout' },
        );
      }
    }
    const depth = s('request_slowlog_trace_depth')?.effective;
    if (typeof depth === 'number' && depth !== 0) {
      if (!hasSlowlog) {
        err('fpm-slowlog', 'request_slowlog_trace_depth', `[pool ${name}] 'slowlog' must be specified for use with 'request_slowlog_trace_depth' (php-fpm -t fails)`, { key: 'request_slowlog_trace_depth' });
      }
      if (depth <= 0) {
        err('fpm-slowlog', 'request_slowlog_trace_depth', `[pool ${name}] 'request_slowlog_trace_depth' (${depth}) must be a positive value (php-fpm -t fails)`, { key: 'request_slowlog_trace_depth' });
      }
    }
    // chroot / chdir relative to the prefix
    for (const key of ['chroot', 'chdir'] as const) {
      const val = v[key];
      if (val && !val.startsWith('/') && !val.startsWith('$prefix')) {
        err('fpm-relative-path', key, `${key} "${val}" is relative: php-fpm resolves it against the ${s('prefix') ? 'pool prefix' : `prefix ${this.prefix}`}, and the folder must exist`, { key }, 'warning');
      }
    }
  }

  private checkUriPath(pool: FpmPool, key: string, label: string, value: string, lengthCheck: boolean): void {
    const set = pool.settings.get(key)!;
    const add = (message: string): void => this.problem(set.file, key === 'ping.path' ? 'fpm-ping-path' : 'fpm-status-path', 'error', message, set.valueSpan, { pool: pool.name, key });
    if (!value.startsWith('/')) add(`[pool ${pool.name}] the ${label} '${value}' must start with a '/' (php-fpm -t fails)`);
    else if (lengthCheck && value.length < 2) add(`[pool ${pool.name}] the ${label} '${value}' is not long enough (php-fpm -t fails)`);
    if (!STATUS_CHARS.test(value)) add(`[pool ${pool.name}] the ${label} '${value}' must contain only the following characters '[alphanum]/_-.~' (php-fpm -t fails)`);
  }

  private checkListenDuplicates(pools: FpmPool[]): void {
    const seen = new Map<string, { pool: FpmPool; status: boolean }>();
    const entries: { pool: FpmPool; address: string; status: boolean }[] = [];
    for (const p of pools) {
      if (p.values.listen) entries.push({ pool: p, address: p.values.listen.address, status: false });
    }
    for (const p of pools) {
      const sl = p.values['pm.status_listen'];
      if (sl) entries.push({ pool: p, address: sl, status: true });
    }
    for (const e of entries) {
      const first = seen.get(e.address);
      if (!first) {
        seen.set(e.address, { pool: e.pool, status: e.status });
        continue;
      }
      const key = e.status ? 'pm.status_listen' : 'listen';
      const set = e.pool.settings.get(key);
      if (!set) continue;
      const name = e.status ? `${e.pool.name}_status` : e.pool.name;
      const other = first.status ? `${first.pool.name}_status` : first.pool.name;
      this.problem(set.file, 'fpm-listen-duplicate', 'error', `[pool ${name}] unable to set listen address as it's already used in another pool '${other}' (php-fpm -t fails): ${e.address}`, set.valueSpan, {
        pool: e.pool.name,
        address: e.address,
        other: first.pool.name,
      });
    }
  }
}

function literalDir(pattern: string): string {
  const segs = pattern.split('/');
  const idx = segs.findIndex((s) => hasGlob(s));
  if (idx < 0) return path.posix.dirname(pattern);
  return segs.slice(0, idx).join('/') || '/';
}

function valueHint(def: FpmKey, value: IniValue): string {
  const t = value.text;
  if (def.parser === 'boolean') {
    if (value.quoted) return `: quoted, "${t}" must be exactly 1, 0, yes, no, on, off, true, false or none (lower case)`;
    return ': use yes or no';
  }
  if (def.parser === 'integer' && /^\s*[0-9]+\s*[kKmMgG]$/.test(t)) return ': php-fpm takes plain numbers, without size suffixes';
  if (def.parser === 'integer' && /\s/.test(t)) return `: the value is "${t}"`;
  if (def.parser === 'time') return ': a number with an optional suffix s, m, h or d';
  if (def.values) return `: one of ${def.values.join(', ')}`;
  return '';
}

/** fpm_log_write's validation of access.format (test mode): the reason it fails, or undefined. */
export function accessFormatError(format: string): string | undefined {
  let i = 0;
  let token = false;
  let modifier = '';
  while (i < format.length) {
    const c = format[i];
    if (!token && c === '%') {
      token = true;
      modifier = '';
      i++;
      continue;
    }
    if (!token) {
      i++;
      continue;
    }
    token = false;
    const m = modifier.toLowerCase();
    switch (c) {
      case '%':
      case 'f': case 'l': case 'm': case 'n': case 'p': case 'P': case 'q': case 'Q': case 'r': case 'R': case 's': case 'u':
        if (modifier !== '') return `embrace is not allowed for modifier %${c}`;
        break;
      case 'C':
        if (m !== '' && m !== 'total' && m !== 'user' && m !== 'system') return `only 'total', 'user' or 'system' are allowed as a modifier for %C ('${modifier}')`;
        modifier = '';
        break;
      case 'd':
        if (m !== '' && !['seconds', 'milli', 'mili', 'milliseconds', 'miliseconds', 'micro', 'microseconds'].includes(m)) {
          return `only 'seconds', 'milli', 'milliseconds', 'micro' or 'microseconds' are allowed as a modifier for %d ('${modifier}')`;
        }
        modifier = '';
        break;
      case 'M':
        if (m !== '' && !['bytes', 'kilo', 'kilobytes', 'mega', 'megabytes'].includes(m)) return `only 'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes' are allowed as a modifier for %M ('${modifier}')`;
        modifier = '';
        break;
      case 'e':
        if (modifier === '') return 'the name of the environment variable must be set between embraces for %e';
        modifier = '';
        break;
      case 'o':
        if (modifier === '') return 'the name of the header must be set between embraces for %o';
        modifier = '';
        break;
      case 't': case 'T':
        modifier = '';
        break;
      case '{': {
        const close = format.indexOf('}', i + 1);
        if (close < 0 || close === format.length - 1) return 'missing closing embrace in the access.format';
        modifier = format.slice(i + 1, close).slice(0, 128);
        token = true;
        i = close + 1;
        continue;
      }
      default:
        return `Invalid token in the access.format (%${c})`;
    }
    i++;
  }
  return undefined;
}

function defaultValues(): FpmPoolValues {
  return {
    'listen.mode': '0660',
    'listen.backlog': -1,
    'pm.max_children': 0,
    'pm.start_servers': 0,
    'pm.min_spare_servers': 0,
    'pm.max_spare_servers': 0,
    'pm.max_spawn_rate': 32,
    'pm.process_idle_timeout': 10,
    'pm.max_requests': 0,
    request_terminate_timeout: 0,
    request_slowlog_timeout: 0,
    'security.limit_extensions': '.php .phar',
    clear_env: true,
    catch_workers_output: false,
  };
}

function finish(loader: Loader, main: string, kind: 'main' | 'fragments'): FpmConfig {
  for (const list of loader.sink.map.values()) list.sort((a, b) => a.span.start.offset - b.span.start.offset);
  return {
    main,
    kind,
    files: loader.files,
    global: loader.global,
    pools: loader.pools,
    includes: loader.includes,
    problems: loader.sink.map,
    parsed: loader.parsed,
    reportedLines: loader.reportedLines,
  };
}

function fileProblem(fs: FileSource, file: string): Problem | undefined {
  const r = fs.read(file);
  if (r.ok) return undefined;
  return { code: 'fpm-unreadable', severity: 'error', message: r.message, span: new TextSpan(0, 0, 0, 0, 0, 0), data: { reason: r.code } };
}

/** Loads a main php-fpm.conf with everything it includes, and checks it as `php-fpm -t -y MAIN` would. */
export function loadFpmConfig(main: string, fs: FileSource, opts: FpmOptions = {}): FpmConfig {
  const loader = new Loader(fs, opts, main);
  const bad = fileProblem(fs, main);
  if (bad) {
    loader.sink.add(main, bad);
    return finish(loader, main, 'main');
  }
  loader.loadFile(main, 0, { current: null, counter: 0 }, [main]);
  loader.postProcess('main');
  return finish(loader, main, 'main');
}

/**
 * Loads pool files without their main config, in the order `include = DIR/*.conf` reads them
 * (sorted), sharing one state as php-fpm does: a file's keys before its first section continue
 * the pool of the file before. Checks every pool they define.
 */
export function loadFpmFragments(files: readonly string[], fs: FileSource, opts: FpmOptions = {}): FpmConfig {
  const sorted = [...files].sort();
  const root = sorted[0] ?? '';
  const loader = new Loader(fs, opts, root);
  const state: LoadState = { current: 'unknown', counter: 0 };
  for (const f of sorted) {
    const bad = fileProblem(fs, f);
    if (bad) {
      loader.sink.add(f, bad);
      continue;
    }
    loader.loadFile(f, 1, state, [f]);
  }
  loader.postProcess('fragments');
  return finish(loader, sorted.length === 1 ? root : path.posix.dirname(root), 'fragments');
}

/** Helper for features: the line span of a statement's line. */
export function statementLineSpan(file: IniFile, line: number): Span {
  return lineSpan(file, line);
}

export type { IniFile };
