// Differential test of the PHP-FPM checker against real `php-fpm8.2 -t -y FILE`: valid bases
// (the corpus's pool and global files, placed in a temporary folder with pid/error_log and
// includes pointing there, and bases of our own) and mutations of them (dropped keys, invalid
// values, out-of-order pm.* values, '#' comments, bad sections, unknown and misplaced keys,
// arrays, INI syntax, includes, CRLF, a BOM). For every file php-fpm rejects, an error
// diagnostic must sit on the line its first ERROR/ALERT names (mapped through php-fpm's line
// counter, which an include leaves off), or anywhere when it names none; for every file it
// accepts, no error diagnostic. php-fpm's WARNING lines must be matched by warnings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource } from '../../server/src/nginx/files';
import { loadFpmConfig, type FpmConfig } from '../../server/src/phpfpm/config';
import { parseIni } from '../../server/src/phpfpm/ini';
import { fpmKey } from '../../server/src/phpfpm/keys';
import { PHP_FPM, runFpmTest, type FpmVerdict } from './phpfpm';
import { rng } from './rng';

const CORPUS = process.env.NGX502_CORPUS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
const RUN_AS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

interface Case {
  name: string;
  family: string;
  /** The main file's text; `@DIR@` is the case folder. */
  main: string;
  /** Other files of the case, relative to its folder. */
  extra?: Record<string, string>;
  /** Run php-fpm with -R (--allow-to-run-as-root), for bases that set no user. */
  allowRoot?: boolean;
  /** A known, explained disagreement: listed in the output, not failed on. */
  exception?: string;
  /** Binary files of the case (written as bytes). */
  binary?: Record<string, Buffer>;
  /** Symbolic links of the case: name → target. */
  links?: Record<string, string>;
}

const header = (): string => '[global]\npid = @DIR@/fpm.pid\nerror_log = @DIR@/fpm.log\n';

// ---------------------------------------------------------------------------------------------
// Bases
// ---------------------------------------------------------------------------------------------

const OWN_BASES: { name: string; text: string }[] = [
  {
    name: 'own-dynamic',
    text: `; a dynamic pool
[www]
user = www-data
group = www-data
listen = @DIR@/www.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = dynamic
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
pm.max_requests = 500
request_terminate_timeout = 60s
php_admin_value[memory_limit] = 128M
php_flag[display_errors] = off
env[PATH] = /usr/local/bin:/usr/bin:/bin
`,
  },
  {
    name: 'own-static',
    text: `[app]
user = www-data
listen = 127.0.0.1:9001
listen.allowed_clients = 127.0.0.1
pm = static
pm.max_children = 10
pm.status_path = /status
ping.path = /ping
ping.response = pong
slowlog = @DIR@/$pool.slow.log
request_slowlog_timeout = 5s
request_terminate_timeout = 30s
access.log = @DIR@/$pool.access.log
access.format = "%R - %u %t \\"%m %r%Q%q\\" %s %f %{milli}d %{kilo}M %C%%"
catch_workers_output = yes
decorate_workers_output = no
clear_env = no
security.limit_extensions = .php
rlimit_files = 1024
rlimit_core = unlimited
`,
  },
  {
    name: 'own-two-pools',
    text: `[global]
log_level = notice
log_limit = 4096
emergency_restart_threshold = 10
emergency_restart_interval = 1m
process_control_timeout = 10s
process.max = 64
daemonize = yes
[a]
user = www-data
listen = @DIR@/a.sock
pm = ondemand
pm.max_children = 4
pm.process_idle_timeout = 10s
[b]
user = www-data
listen = @DIR@/b.sock
pm = dynamic
pm.max_children = 8
pm.min_spare_servers = 2
pm.max_spare_servers = 4
pm.max_spawn_rate = 8
`,
  },
];

function manifestRows(kind: RegExp): { file: string; ok: boolean }[] {
  const tsv = path.join(CORPUS, 'MANIFEST.tsv');
  if (!fs.existsSync(tsv)) return [];
  return fs
    .readFileSync(tsv, 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c.length > 3 && kind.test(c[1]))
    .map((c) => ({ file: path.join(CORPUS, c[0]), ok: c[3] === 'ok' }));
}

/** Corpus pool files as bases (a [www] header added to a file without a section). */
function corpusPoolBases(): { name: string; text: string }[] {
  return manifestRows(/^fpm-pool$/)
    .filter((r) => r.ok && fs.existsSync(r.file))
    .map((r) => {
      // error_log = /dev/stderr (a container's) cannot be opened when stderr is a socket, as it is under node.
      let text = fs.readFileSync(r.file, 'utf8').replace(/^(\s*error_log\s*=).*$/m, '$1 @DIR@/pool-error.log');
      if (!parseIni(text).statements.some((s) => s.kind === 'section')) text = '[www]\n' + text;
      return { name: path.relative(CORPUS, r.file), text };
    });
}

/** Corpus global files with pid, error_log and includes moved into the case folder, and the pool they include. */
function corpusGlobalBases(): { name: string; text: string; extra: Record<string, string> }[] {
  const pools: Record<string, string> = {
    'debian-bookworm/etc/php/8.2/fpm/php-fpm.conf': 'debian-bookworm/etc/php/8.2/fpm/pool.d/www.conf',
    'vvv/config/php-config/php-fpm.conf': 'vvv/config/php-config/php-www.conf',
    'php-src/sapi/fpm/php-fpm.rendered.conf': 'php-src/sapi/fpm/www.rendered.conf',
  };
  return manifestRows(/^fpm-global$/)
    .filter((r) => r.ok && fs.existsSync(r.file))
    .map((r) => {
      const rel = path.relative(CORPUS, r.file);
      const text = fs
        .readFileSync(r.file, 'utf8')
        .replace(/^(\s*pid\s*=).*$/m, '$1 @DIR@/fpm.pid')
        .replace(/^(\s*error_log\s*=).*$/m, '$1 @DIR@/fpm.log')
        .replace(/^(\s*include\s*=\s*).*\/([^/]+\/\*\.conf)\s*$/m, '$1@DIR@/$2');
      const inc = /^\s*include\s*=\s*@DIR@\/([^/]+)\//m.exec(text)?.[1] ?? 'pool.d';
      const pool = pools[rel] && fs.existsSync(path.join(CORPUS, pools[rel])) ? fs.readFileSync(path.join(CORPUS, pools[rel]), 'utf8') : '[www]\nuser = www-data\nlisten = @DIR@/www.sock\npm = static\npm.max_children = 2\n';
      return { name: rel, text, extra: { [`${inc}/www.conf`]: pool } };
    });
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const BAD_VALUES: Record<string, string[]> = {
  integer: ['abc', '-1', '0', '3000000000', '99999999999', '5.5', '', '0x10', '07', '5 5', '(5)', '1 | 2', '!0', 'E_ERROR'],
  time: ['10x', '', '10ms', '-5', '1h', '0', '99999999d', '5 s', '2m'],
  boolean: ['maybe', '"On"', '2', 'yes', 'OFF', '"no"', 'none', '"true"', "'0'", 'yes no'],
  pm: ['static', 'dynamic', 'ondemand', 'adaptive', '"static"', 'Static', ''],
  log_level: ['verbose', 'warn', 'ALERT', 'debug'],
  syslog_facility: ['daemon', 'LOG_DAEMON', 'local9'],
  rlimit_core: ['-1', 'unlimited', 'Unlimited', '0', 'lots'],
};
const STRING_VALUES: Record<string, string[]> = {
  listen: ['', '9000', '127.0.0.1:9000', '[::1]:9000', '@DIR@/other.sock', 'relative.sock'],
  user: ['', 'root', '33', 'www-data # comment'],
  group: ['www data'],
  'listen.owner': ['', 'www-data extra'],
  'listen.mode': ['0666', '9z9', '666'],
  'listen.allowed_clients': ['127.0.0.1,::1', 'localhost'],
  'pm.status_path': ['status', '/', '/st@tus', '/fpm-status', '/$pool'],
  'ping.path': ['ping', '/', '/p', '/pi ng'],
  'ping.response': ['', 'ok'],
  'access.format': ['%Z', '%{mili}d', '%{x}f', '%e', '%{HOME}e %R', '%{mili}', '"%%{total}C"'],
  'events.mechanism': ['epoll', 'poll', 'select', 'kqueue', 'bogus'],
  'security.limit_extensions': ['', '.php .php7'],
  'process.priority': ['-19', '20', '30', '-20', '64'],
  'log_limit': ['100', '511', '512', '4096'],
  'process.max': ['-1', '0', '128'],
  slowlog: ['', '@DIR@/slow.log'],
};

interface Line {
  text: string;
  kind: 'section' | 'key' | 'array' | 'other';
  key?: string;
  section: 'global' | 'pool';
}

function classifyLines(text: string): Line[] {
  let section: 'global' | 'pool' = 'global';
  return text.split('\n').map((t) => {
    const s = t.trim();
    if (/^\[[^\]]*\]/.test(s)) {
      section = /^\[global\]/i.test(s) ? 'global' : 'pool';
      return { text: t, kind: 'section', section };
    }
    const arr = /^([a-z_.]+)\[[^\]]*\]\s*=/.exec(s);
    if (arr) return { text: t, kind: 'array', key: arr[1], section };
    const m = /^([A-Za-z_][\w.]*)\s*=/.exec(s);
    if (m) return { text: t, kind: 'key', key: m[1], section };
    return { text: t, kind: 'other', section };
  });
}

function withLine(lines: Line[], i: number, replacement: string | null): string {
  return lines
    .flatMap((l, j) => (j === i ? (replacement === null ? [] : [replacement]) : [l.text]))
    .join('\n');
}

function insertAfterFirstSection(text: string, add: string, which: 'pool' | 'global' = 'pool'): string {
  const lines = classifyLines(text);
  const idx = lines.findIndex((l) => l.kind === 'section' && l.section === which);
  if (idx < 0) return which === 'global' ? `[global]\n${add}\n` + text : text + `\n[www]\n${add}\n`;
  const texts = lines.map((l) => l.text);
  return [...texts.slice(0, idx + 1), add, ...texts.slice(idx + 1)].join('\n');
}

function mutations(base: { name: string; text: string }, withHeader: boolean): Case[] {
  const out: Case[] = [];
  const main = (t: string): string => (withHeader ? header() + t : t);
  const add = (family: string, name: string, text: string, extra?: Record<string, string>): void => {
    out.push({ name: `${base.name} ${name}`, family, main: main(text), extra });
  };
  add('valid', 'as is', base.text);
  const lines = classifyLines(base.text);
  lines.forEach((l, i) => {
    if (l.kind !== 'key' && l.kind !== 'array') return;
    if (l.key === 'include' || l.key === 'pid' || l.key === 'error_log') return;
    add('drop-key', `drop line ${i + 1} (${l.key})`, withLine(lines, i, null));
    if (l.kind !== 'key') return;
    const def = fpmKey(l.section, l.key!);
    if (!def) return;
    const values = [...(BAD_VALUES[def.parser] ?? []), ...(STRING_VALUES[def.name] ?? [])];
    for (const v of values) add(`value-${def.parser}`, `${l.key} = ${v}`, withLine(lines, i, `${l.key} = ${v}`));
    add('hash', `# ${l.key}`, withLine(lines, i, `# ${l.text.trim()}`));
    add('hash', `${l.key} trailing #`, withLine(lines, i, `${l.text} # note`));
    add('case', `${l.key} upper`, withLine(lines, i, l.text.replace(l.key!, l.key!.toUpperCase())));
  });
  // Sections
  const sec = lines.findIndex((l) => l.kind === 'section' && l.section === 'pool');
  if (sec >= 0) {
    const name = /\[([^\]]*)\]/.exec(lines[sec].text)![1];
    for (const [label, v] of [
      ['indented', `  [${name}]`],
      ['tab-indented', `\t[${name}]`],
      ['unclosed', `[${name}`],
      ['empty', '[]'],
      ['blanks', `[ ${name} ]`],
      ['trailing word', `[${name}] extra`],
      ['trailing comment', `[${name}] ; c`],
      ['quoted', `["${name}"]`],
      ['double close', `[${name}]]`],
      ['key on same line', `[${name}] user = www-data`],
      ['semicolon', `[${name};x]`],
    ]) {
      add('section', `section ${label}`, withLine(lines, sec, v));
    }
    add('section', 'global before keys', insertAfterFirstSection(base.text, '[global]'));
    add('section', 'pool repeated', base.text + '\n' + lines.slice(sec).map((l) => l.text).join('\n'));
    add('section', 'pool copied under another name', base.text + '\n' + lines.slice(sec).map((l, j) => (j === 0 ? '[copy]' : l.text)).join('\n'));
    add('section', 'pool renamed case', base.text + `\n[${name.toUpperCase()}]\npm.max_children = 0\n`);
  }
  // Keys in wrong places, unknown keys
  for (const k of ['pm.max_childs = 5', 'log_level = debug', 'listen.setfib = 1', 'INCLUDE = /nonexistent', 'Pm.Max_Children = 3', 'catch_workers_output', 'foo bar = 1', 'yes = 1', '= 5']) {
    add('unknown', `add "${k}"`, insertAfterFirstSection(base.text, k));
  }
  for (const k of ['pm = static', 'user = www-data', 'php_value[x] = 1', 'log_level = debug', 'error_log = @DIR@/other.log', 'error_log = @DIR@/$pool.log']) {
    add('global', `global "${k}"`, insertAfterFirstSection(base.text, k, 'global'));
  }
  // Arrays
  for (const k of [
    'php_value[] = 1',
    'env[X] = ',
    'env[X] = ""',
    'env[X] = $HOME',
    'PHP_VALUE[x] = 1',
    'php_flag[x] = maybe',
    'php_flag[x] = On',
    'php_admin_flag[log_errors] = "yes"',
    'foo[bar] = 1',
    'access.suppress_path[x] = /a',
    'access.suppress_path[] = a',
    'access.suppress_path[] = /ping',
    'php_admin_value[memory_limit] = 128MB',
    'php_value[error_reporting] = E_ALL & ~E_DEPRECATED',
    'php_value[ x ] = 1',
    'php_value["a b"] = 1',
  ]) {
    add('array', `add "${k}"`, insertAfterFirstSection(base.text, k));
  }
  // INI syntax
  for (const k of [
    'php_value[x] = a=b',
    'php_value[x] = "unterminated',
    'php_value[x] = (x',
    'env[A] = ${HOME',
    'env[A] = ${HOME}',
    'php_value[x] = a^b',
    'php_value[x] = {a}',
    'php_value[x] = ~1',
    'php_value[x] = "a;b" ; c',
    "php_value[x] = 'a;b'",
    'php_value[x] = "C:\\path\\"',
    'php_value[x] = yes.conf',
    'php_value[x] = on off',
    'listen.backlog = (5)',
    'listen.backlog = 1 | 2',
    'listen.backlog = !0',
    'listen.backlog = -5',
    'listen.backlog = "128"',
    'request_terminate_timeout = 30s ; half a minute',
  ]) {
    add('syntax', `add "${k}"`, insertAfterFirstSection(base.text, k));
  }
  return out;
}

function pmCases(): Case[] {
  const out: Case[] = [];
  const grid: [string, string, string, string][] = [
    ['5', '1', '3', '2'],
    ['5', '0', '3', '2'],
    ['5', '1', '0', '2'],
    ['5', '3', '1', '2'],
    ['5', '1', '6', '2'],
    ['2', '1', '3', '2'],
    ['5', '1', '3', '4'],
    ['5', '1', '3', '0'],
    ['0', '1', '3', '2'],
    ['5', '2', '2', '2'],
    ['5', '1', '3', ''],
    ['5', '6', '7', '6'],
    ['3000000000', '1', '3', '2'],
    ['99999999999', '1', '3', '2'],
    ['5', '-1', '3', '2'],
    ['5', '2', '4', '1'],
  ];
  for (const pm of ['dynamic', 'static', 'ondemand']) {
    for (const [max, min, maxs, start] of grid) {
      const lines = [`[www]`, 'user = www-data', 'listen = @DIR@/www.sock', `pm = ${pm}`, `pm.max_children = ${max}`, `pm.min_spare_servers = ${min}`, `pm.max_spare_servers = ${maxs}`];
      if (start !== '') lines.push(`pm.start_servers = ${start}`);
      out.push({ name: `pm=${pm} ${max}/${min}/${maxs}/${start}`, family: 'pm-order', main: header() + lines.join('\n') + '\n' });
    }
  }
  for (const extra of ['pm.max_spawn_rate = 0', 'pm.process_idle_timeout = 0', 'pm.process_idle_timeout = 0s', 'listen.backlog = -5', 'pm.max_spawn_rate = 4']) {
    for (const pm of ['dynamic', 'ondemand']) {
      out.push({
        name: `pm=${pm} ${extra}`,
        family: 'pm-order',
        main: header() + `[www]\nuser = www-data\nlisten = @DIR@/www.sock\npm = ${pm}\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n${extra}\n`,
      });
    }
  }
  out.push({ name: 'ondemand with events poll', family: 'pm-order', main: '[global]\npid = @DIR@/fpm.pid\nerror_log = @DIR@/fpm.log\nevents.mechanism = poll\n[www]\nuser = www-data\nlisten = @DIR@/www.sock\npm = ondemand\npm.max_children = 5\n' });
  out.push({ name: 'dynamic with events poll', family: 'pm-order', main: '[global]\npid = @DIR@/fpm.pid\nerror_log = @DIR@/fpm.log\nevents.mechanism = poll\n[www]\nuser = www-data\nlisten = @DIR@/www.sock\npm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n' });
  return out;
}

function specialCases(): Case[] {
  const pool = '[www]\nuser = www-data\nlisten = @DIR@/www.sock\npm = static\npm.max_children = 5\n';
  const cases: Case[] = [
    { name: 'no pool at all', family: 'structure', main: header() },
    { name: 'only a comment line', family: 'structure', main: header() + '; nothing\n' },
    { name: 'pool without user', family: 'structure', main: header() + '[www]\nlisten = @DIR@/www.sock\npm = static\npm.max_children = 5\n' },
    { name: 'two pools one listen', family: 'structure', main: header() + pool + pool.replace('[www]', '[two]') },
    { name: 'status_listen equals listen', family: 'structure', main: header() + pool + 'pm.status_listen = @DIR@/www.sock\n' },
    { name: 'status_listen own with /', family: 'structure', main: header() + pool + 'pm.status_listen = @DIR@/status.sock\npm.status_path = /\n' },
    { name: 'slowlog timeout without slowlog', family: 'slowlog', main: header() + pool + 'request_slowlog_timeout = 5s\n' },
    { name: 'slowlog timeout over terminate', family: 'slowlog', main: header() + pool + 'slowlog = @DIR@/slow.log\nrequest_slowlog_timeout = 50s\nrequest_terminate_timeout = 10s\n' },
    { name: 'slowlog timeout under terminate', family: 'slowlog', main: header() + pool + 'slowlog = @DIR@/slow.log\nrequest_slowlog_timeout = 5s\nrequest_terminate_timeout = 10s\n' },
    { name: 'trace depth without slowlog', family: 'slowlog', main: header() + pool + 'request_slowlog_trace_depth = 5\n' },
    { name: 'trace depth negative', family: 'slowlog', main: header() + pool + 'slowlog = @DIR@/slow.log\nrequest_slowlog_trace_depth = -5\n' },
    { name: 'terminate wraps', family: 'slowlog', main: header() + pool + 'slowlog = @DIR@/slow.log\nrequest_slowlog_timeout = 1\nrequest_terminate_timeout = 99999999d\n' },
    { name: 'access.format bad without log', family: 'access', main: header() + pool + 'access.format = "%Z"\n' },
    { name: 'access.format bad with log', family: 'access', main: header() + pool + 'access.log = @DIR@/access.log\naccess.format = "%Z"\n' },
    { name: 'include literal missing', family: 'include', main: header() + 'include = @DIR@/nope.conf\n' + pool },
    { name: 'include missing folder', family: 'include', main: header() + 'include = @DIR@/nodir/*.conf\n' + pool },
    { name: 'include relative', family: 'include', main: header() + 'include = relative.d/*.conf\n' + pool },
    { name: 'include self', family: 'include', main: header() + 'include = @DIR@/php-fpm.conf\n' + pool },
    {
      name: 'include cycle a-b',
      family: 'include',
      main: header() + 'include = @DIR@/b.conf\n' + pool,
      extra: { 'b.conf': '\n\ninclude = @DIR@/php-fpm.conf\n' },
    },
    { name: 'include empty folder', family: 'include', main: header() + 'include = @DIR@/empty.d/*.conf\n' + pool, extra: { 'empty.d/.keep': '' } },
    { name: 'include pool folder', family: 'include', main: header() + 'include = @DIR@/pool.d/*.conf\n', extra: { 'pool.d/www.conf': pool } },
    {
      name: 'include continuation',
      family: 'include',
      main: header() + pool + 'include = @DIR@/pool.d/*.conf\n',
      extra: { 'pool.d/more.conf': 'pm.max_children = 0\n' },
    },
    {
      name: 'include then key (line counter)',
      family: 'include',
      main: header() + 'include = @DIR@/pool.d/*.conf\n\nbogus = 1\n',
      extra: { 'pool.d/www.conf': pool },
    },
    {
      name: 'include then key, no final newline',
      family: 'include',
      main: header() + 'include = @DIR@/pool.d/*.conf\n\nbogus = 1\n',
      extra: { 'pool.d/www.conf': pool.trimEnd() },
    },
    {
      name: 'included file with unknown key',
      family: 'include',
      main: header() + 'include = @DIR@/pool.d/*.conf\n',
      extra: { 'pool.d/www.conf': pool + 'bogus = 1\n' },
    },
    {
      name: 'included file with syntax error',
      family: 'include',
      main: header() + 'include = @DIR@/pool.d/*.conf\n',
      extra: { 'pool.d/www.conf': pool + 'php_value[x] = (\n' },
    },
    {
      name: 'include nested 4 deep',
      family: 'include',
      main: header() + 'include = @DIR@/n1.conf\n',
      extra: { 'n1.conf': 'include = @DIR@/n2.conf\n', 'n2.conf': 'include = @DIR@/n3.conf\n', 'n3.conf': 'include = @DIR@/n4.conf\n', 'n4.conf': pool },
    },
    {
      name: 'include nested 5 deep',
      family: 'include',
      main: header() + 'include = @DIR@/n1.conf\n',
      extra: { 'n1.conf': 'include = @DIR@/n2.conf\n', 'n2.conf': 'include = @DIR@/n3.conf\n', 'n3.conf': 'include = @DIR@/n4.conf\n', 'n4.conf': 'include = @DIR@/n5.conf\n', 'n5.conf': pool },
    },
    { name: 'include a binary file php-fpm reads up to its NUL', family: 'include', main: header() + 'include = @DIR@/bin.conf\n' + pool, binary: { 'bin.conf': Buffer.from('[www]\0\x01\x02binary\n', 'latin1') } },
    {
      name: 'include random bytes',
      family: 'include',
      main: header() + 'include = @DIR@/bin.conf\n' + pool,
      binary: { 'bin.conf': Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919 + 13) % 256)) },
      exception: 'a binary include is reported as not checked (a warning): the checker reads text, php-fpm parses each line up to its first NUL byte, and fails or not depending on the bytes',
    },
    {
      name: 'include a dangling symlink',
      family: 'include',
      main: header() + 'include = @DIR@/dangling.conf\n' + pool,
      links: { 'dangling.conf': '/nonexistent/target.conf' },
      exception: "glob(3) matches a dangling symlink by lstat and php-fpm then fails to open it; FileSource.exists follows links, so the checker sees no match and warns only",
    },
    { name: 'CRLF', family: 'encoding', main: (header() + pool + 'php_value[x] = "a"\n').replace(/\n/g, '\r\n') },
    { name: 'CRLF with error', family: 'encoding', main: (header() + pool + 'bogus = 1\n').replace(/\n/g, '\r\n') },
    { name: 'BOM', family: 'encoding', main: '\uFEFF' + header() + pool },
    { name: 'BOM mid-file', family: 'encoding', main: header() + '\uFEFF' + pool },
    { name: 'BOM then error', family: 'encoding', main: '\uFEFF' + header() + pool + 'bogus = 1\n' },
    { name: 'absurd max_children', family: 'absurd', main: header() + pool.replace('pm.max_children = 5', 'pm.max_children = 99999999999') },
    { name: 'absurd negative wrap', family: 'absurd', main: header() + pool.replace('pm.max_children = 5', 'pm.max_children = 2147483648') },
    { name: 'absurd wrap to positive', family: 'absurd', main: header() + pool.replace('pm.max_children = 5', 'pm.max_children = 4294967297') },
    { name: 'absurd long digits', family: 'absurd', main: header() + pool.replace('pm.max_children = 5', 'pm.max_children = ' + '9'.repeat(500)) },
    { name: 'very long line', family: 'absurd', main: header() + pool + 'php_value[x] = ' + 'a'.repeat(100000) + '\n' },
  ];
  return cases;
}

const FUZZ_CHARS = ['"', "'", '(', ')', '[', ']', '{', '}', '|', '&', '^', '~', '!', '$', '${', '=', ';', '#', '\\', ' ', '\t', 'yes', 'none', 'E_ALL', ':', ',', '.', '-', '0', '\uFEFF', '\r'];

/** Character-level mutations of the INI text: the scanner's corner cases, one edit per config. */
function fuzzCases(bases: { name: string; text: string }[], perBase: number): Case[] {
  const out: Case[] = [];
  bases.forEach((b, bi) => {
    const r = rng(Number(process.env.NGX502_FPM_SEED ?? 1000) + bi);
    const lines = b.text.split('\n');
    const active = lines.map((_, i) => i).filter((i) => lines[i].trim() !== '' && !lines[i].trim().startsWith(';'));
    for (let n = 0; n < perBase; n++) {
      const i = active[Math.floor(r() * active.length)];
      const line = lines[i];
      const pos = Math.floor(r() * (line.length + 1));
      const op = r();
      let next: string;
      let label: string;
      if (op < 0.6) {
        const ch = FUZZ_CHARS[Math.floor(r() * FUZZ_CHARS.length)];
        next = line.slice(0, pos) + ch + line.slice(pos);
        label = `insert ${JSON.stringify(ch)} at ${i + 1}:${pos}`;
      } else if (op < 0.85) {
        next = line.slice(0, pos) + line.slice(pos + 1);
        label = `delete at ${i + 1}:${pos}`;
      } else {
        next = line + '\n' + line;
        label = `duplicate line ${i + 1}`;
      }
      const text = lines.map((l, j) => (j === i ? next : l)).join('\n');
      out.push({ name: `${b.name} fuzz ${label}`, family: 'fuzz', main: (b.text.includes('[global]') ? '' : header()) + text });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

function errorsOf(c: FpmConfig): { file: string; line: number; code: string; message: string }[] {
  const out: { file: string; line: number; code: string; message: string }[] = [];
  for (const [file, list] of c.problems) for (const p of list) if (p.severity === 'error') out.push({ file, line: p.span.start.line, code: p.code, message: p.message });
  return out;
}

function warningsOf(c: FpmConfig): { file: string; line: number; code: string }[] {
  const out: { file: string; line: number; code: string }[] = [];
  for (const [file, list] of c.problems) for (const p of list) if (p.severity === 'warning') out.push({ file, line: p.span.start.line, code: p.code });
  return out;
}

/** The diagnostic codes that stand for a php-fpm error message (so a rejection is matched by its cause, not by any error). */
const CLASSES: [RegExp, string[]][] = [
  [/^syntax error/, ['fpm-syntax', 'fpm-hash-comment', 'fpm-missing-value']],
  [/value is NULL for a ZEND_INI_PARSER_ENTRY/, ['fpm-missing-value', 'fpm-hash-comment']],
  [/unknown entry/, ['fpm-unknown-key', 'fpm-wrong-section', 'fpm-hash-comment']],
  [/unable to parse value for entry '[^']*': Can't use '\$pool'/, ['fpm-pool-var-outside-pool']],
  [/unable to parse value|error while parsing|Values provided to field/, ['fpm-invalid-value']],
  [/You must provide a key|Keys provided to field/, ['fpm-array-key']],
  [/Array are not allowed in the global section/, ['fpm-array-in-global']],
  [/unknown directive/, ['fpm-unknown-key']],
  [/\] empty value/, ['fpm-env-empty']],
  [/Unable to globalize/, ['fpm-include-error']],
  [/failed to include more than 5 files recursively/, ['fpm-include-cycle', 'fpm-include-too-deep']],
  [/Unable to include|failed to open configuration file/, ['fpm-include-unreadable', 'fpm-include-cycle', 'fpm-include-too-deep']],
  [/No pool defined/, ['fpm-no-pool']],
  [/user has not been defined/, ['fpm-missing-user']],
  [/no listen address have been defined/, ['fpm-missing-listen']],
  [/process manager is missing/, ['fpm-missing-pm']],
  [/pm\.|ondemand process manager/, ['fpm-pm-constraints']],
  [/process\.priority must be included/, ['fpm-priority-range']],
  [/log_limit must be|process_max can't be negative/, ['fpm-global-value']],
  [/event mechanism '.*' is not available/, ['fpm-events-mechanism']],
  [/unable to set listen address/, ['fpm-listen-duplicate']],
  [/the status path/, ['fpm-status-path']],
  [/the ping (path|response)/, ['fpm-ping-path']],
  [/'slowlog' must be specified|'request_slowlog_timeout' \(|'request_slowlog_trace_depth' \(/, ['fpm-slowlog']],
  [/wrong format for access\.format/, ['fpm-access-format']],
  [/cannot get [ug]id for/, ['fpm-bad-user-name', 'fpm-host']],
  [/does not exist or is not a directory|failed to open (error_log|access log)|Unable to create or open slowlog/, ['fpm-host']],
];

function classOf(message: string): string[] | undefined {
  return CLASSES.find(([re]) => re.test(message))?.[1];
}

function judge(verdict: FpmVerdict, c: FpmConfig): { agree: boolean; why: string } {
  const errors = errorsOf(c);
  if (verdict.ok) {
    if (errors.length > 0) return { agree: false, why: `php-fpm accepts, we report ${errors.map((e) => `${path.basename(e.file)}:${e.line + 1} [${e.code}] ${e.message}`).join('; ')}` };
    // Each WARNING line php-fpm prints must have a warning of ours (on its line when it names one).
    for (const w of verdict.warnings) {
      const ours = warningsOf(c);
      const line = w.file && w.line ? c.reportedLines.get(w.file)?.get(w.line) : undefined;
      const hit = line !== undefined ? ours.some((o) => o.file === w.file && o.line === line) : ours.length > 0;
      if (!hit) return { agree: false, why: `php-fpm warns "${w.message}", we have no warning there` };
    }
    return { agree: true, why: '' };
  }
  const first = verdict.firstError ?? { level: 'ERROR', message: `exit status without an error line: ${verdict.raw.trim().slice(0, 300)}` };
  if (errors.length === 0) return { agree: false, why: `php-fpm rejects ("${first.level}: ${first.message}"), we report no error` };
  const codes = classOf(first.message);
  if (!codes) return { agree: false, why: `php-fpm rejects with a message this test does not know ("${first.message}")` };
  const ours = errors.filter((e) => codes.includes(e.code));
  const list = (): string => errors.map((e) => `${path.basename(e.file)}:${e.line + 1} [${e.code}]`).join(', ');
  if (first.file && first.line !== undefined && !/^(failed to include|Unable to include)/.test(first.message)) {
    const line = c.reportedLines.get(first.file)?.get(first.line);
    if (line === undefined) return { agree: false, why: `php-fpm names ${first.file}:${first.line}, a file or line we did not read ("${first.message}")` };
    if (!ours.some((e) => e.file === first.file && e.line === line)) {
      return { agree: false, why: `php-fpm names line ${line + 1} of ${path.basename(first.file)} ("${first.message}"), our errors: ${list()}` };
    }
  } else if (ours.length === 0) {
    return { agree: false, why: `php-fpm rejects ("${first.level}: ${first.message}"), we have no ${codes.join('/')} error (ours: ${list()})` };
  }
  return { agree: true, why: '' };
}

async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

test('PHP-FPM checker agrees with real php-fpm -t on valid and mutated pool files', { skip: !PHP_FPM ? 'php-fpm is not installed (test/setup.sh installs it)' : false, timeout: 900_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-fpm-diff-'));
  try {
    const cases: Case[] = [];
    for (const b of OWN_BASES) cases.push(...mutations(b, !b.text.includes('[global]')));
    const corpusPools = corpusPoolBases();
    for (const b of corpusPools) {
      const noUser = !/^\s*user\s*=/im.test(b.text);
      cases.push(...mutations(b, true).map((c) => ({ ...c, allowRoot: noUser })));
    }
    const corpusGlobals = corpusGlobalBases();
    for (const b of corpusGlobals) cases.push(...mutations(b, false).map((c) => ({ ...c, extra: b.extra })));
    cases.push(...pmCases(), ...specialCases(), ...fuzzCases(OWN_BASES, Number(process.env.NGX502_FPM_FUZZ ?? 200)));
    console.log(`bases: ${OWN_BASES.length} own, ${corpusPools.length} corpus pool files, ${corpusGlobals.length} corpus global files; ${cases.length} configs`);

    const byFamily = new Map<string, { n: number; ok: number; rejected: number }>();
    const disagreements: string[] = [];
    const exceptions: string[] = [];
    let rejected = 0;
    let accepted = 0;
    let warningsMatched = 0;
    await pool(cases, 8, async (c, i) => {
      const dir = path.join(tmp, `c${i}`);
      fs.mkdirSync(dir, { recursive: true });
      const sub = (t: string): string => t.replace(/@DIR@/g, dir);
      const main = path.join(dir, 'php-fpm.conf');
      fs.writeFileSync(main, sub(c.main));
      for (const [rel, text] of Object.entries(c.extra ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), sub(text));
      }
      for (const [rel, bytes] of Object.entries(c.binary ?? {})) fs.writeFileSync(path.join(dir, rel), bytes);
      for (const [rel, target] of Object.entries(c.links ?? {})) fs.symlinkSync(target, path.join(dir, rel));
      // A base without `user` (a container's pool) is tested as its image runs it: allowed to run as root.
      const allowRoot = c.allowRoot === true;
      const verdict = await runFpmTest(main, allowRoot ? ['-R'] : []);
      const config = loadFpmConfig(main, new NodeFileSource(), { runAsRoot: RUN_AS_ROOT && !allowRoot, treeIncludes: false, host: true });
      const j = judge(verdict, config);
      const f = byFamily.get(c.family) ?? { n: 0, ok: 0, rejected: 0 };
      f.n++;
      if (j.agree) f.ok++;
      if (!verdict.ok) {
        f.rejected++;
        rejected++;
      } else {
        accepted++;
        warningsMatched += verdict.warnings.length;
      }
      byFamily.set(c.family, f);
      if (!j.agree && c.exception) exceptions.push(`${c.name}: ${j.why} — ${c.exception}`);
      else if (!j.agree) disagreements.push(`${c.name}: ${j.why}`);
    });
    const agreed = cases.length - disagreements.length - exceptions.length;
    console.log(`php-fpm -t: ${rejected} rejected, ${accepted} accepted (${warningsMatched} WARNING lines matched); agreement ${agreed}/${cases.length}, ${exceptions.length} known exception(s)`);
    for (const e of exceptions) console.log('  EXCEPTION ' + e);
    for (const [family, k] of [...byFamily].sort()) console.log(`  ${family.padEnd(16)} ${k.ok}/${k.n} (${k.rejected} rejected)`);
    for (const d of disagreements.slice(0, 200)) console.log('  DISAGREE ' + d);
    assert.equal(disagreements.length, 0, `${disagreements.length} disagreements with php-fpm -t`);
    assert.ok(rejected > 150, `too few rejected configs (${rejected}) to mean anything`);
    assert.ok(accepted > 100, `too few accepted configs (${accepted}) to mean anything`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
