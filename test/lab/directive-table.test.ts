// Checks the directive knowledge tables (server/src/nginx/data/args.ts and duplicates.ts) against a
// real nginx: every directive the table knows is tried in tiny generated configs with `nginx -t`.
//  (a) contexts: is it "not allowed here" in main/http/server/location (and in the events, if,
//      limit_except, upstream, stream and mail contexts of its module family where the table allows
//      it, plus a fixed third of the others; stream/mail only where the modules are loadable)?
//  (b) argument counts: is n = 0..3 arguments an "invalid number of arguments"? Block-ness too.
//  (c) duplicates: does a second copy in the same block give `"X" directive is duplicate`?
// nginx checks the context and the argument count before the directive's handler runs, so (a) and
// (b) use placeholder arguments; (c) needs arguments the handler accepts and uses samples.
// The table describes current nginx; where the nginx here is older (Debian 12 ships 1.22.1), the
// differences are listed in KNOWN_VERSION_DIFFERENCES rather than weakening the check.
//
//   node --import tsx --test test/lab/directive-table.test.ts
//   NGINX_BIN=/path/to/nginx  NGINX_MODULES_DIR=/usr/lib/nginx/modules  DIRECTIVE_TABLE_DUMP=out.json

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIRECTIVE_SHAPES, argCountOk, type Ctx, type Shape } from '../../server/src/nginx/data/args';
import {
  REJECTS_DUPLICATE,
  REJECTS_DUPLICATE_ONLY_IN,
  REJECTS_OFF_WITH_OTHERS,
  REJECTS_SAME_ZONE,
} from '../../server/src/nginx/data/duplicates';

const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const MODULES_DIR = process.env.NGINX_MODULES_DIR ?? '/usr/lib/nginx/modules';
const DUMP = process.env.DIRECTIVE_TABLE_DUMP;
const HAVE_NGINX = existsSync(NGINX);

type Family = 'core' | 'http' | 'stream' | 'mail';
const FAMILY: Record<Ctx, Family> = {
  main: 'core', events: 'core', http: 'http', server: 'http', location: 'http', sif: 'http', lif: 'http',
  limit_except: 'http', upstream: 'http', stream: 'stream', stream_server: 'stream', stream_upstream: 'stream',
  mail: 'mail', mail_server: 'mail',
};
const FAMILY_CTX: Record<Family, Ctx[]> = {
  core: ['events'],
  http: ['sif', 'lif', 'limit_except', 'upstream'],
  stream: ['stream', 'stream_server', 'stream_upstream'],
  mail: ['mail', 'mail_server'],
};
const ALWAYS: Ctx[] = ['main', 'http', 'server', 'location'];
/** Where a directive is tried for argument counts and duplicates, most specific first. */
const PREFERENCE: Ctx[] = ['location', 'server', 'http', 'main', 'events', 'upstream', 'lif', 'sif', 'limit_except',
  'stream_server', 'stream', 'stream_upstream', 'mail_server', 'mail'];

/**
 * Where nginx 1.22.1 legitimately differs from the table (which follows current nginx).
 * key: `name@ctx:check` (ctx '*' = every context); value: why. Directive names that 1.22.1 does
 * not know at all (http3, ssl_certificate_cache, ...) are skipped as "not in this build".
 */
const KNOWN_VERSION_DIFFERENCES: Record<string, string> = {
  'http2_push@*:dup': 'a duplicate-checked slot up to 1.25.0, an obsolete no-op since 1.25.1',
  'http2_push_preload@*:dup': 'a duplicate-checked slot up to 1.25.0, an obsolete no-op since 1.25.1',
  'http2_max_concurrent_pushes@*:dup': 'a duplicate-checked slot up to 1.25.0, an obsolete no-op since 1.25.1',
  'server_name@stream_server:ctx': 'stream virtual servers (server_name) appeared in 1.25.5',
  'server_names_hash_max_size@stream:ctx': 'stream virtual servers appeared in 1.25.5',
  'server_names_hash_bucket_size@stream:ctx': 'stream virtual servers appeared in 1.25.5',
  'ssl_reject_handshake@stream:ctx': 'stream ssl_reject_handshake appeared in 1.25.5',
  'ssl_reject_handshake@stream_server:ctx': 'stream ssl_reject_handshake appeared in 1.25.5',
  'resolver@upstream:ctx': 'resolver in upstream blocks appeared in 1.27.3',
  'resolver@stream_upstream:ctx': 'resolver in upstream blocks appeared in 1.27.3',
  'resolver_timeout@upstream:ctx': 'resolver_timeout in upstream blocks appeared in 1.27.3',
  'resolver_timeout@stream_upstream:ctx': 'resolver_timeout in upstream blocks appeared in 1.27.3',
  ...Object.fromEntries(
    ['ssl_ocsp', 'ssl_ocsp_cache', 'ssl_ocsp_responder', 'ssl_stapling', 'ssl_stapling_file', 'ssl_stapling_responder',
      'ssl_stapling_verify'].flatMap((n) => [
      [`${n}@stream:ctx`, 'OCSP in the stream module appeared in 1.27.2'],
      [`${n}@stream_server:ctx`, 'OCSP in the stream module appeared in 1.27.2'],
    ]),
  ),
};

function known(name: string, ctx: Ctx, check: 'ctx' | 'args' | 'dup'): string | undefined {
  return KNOWN_VERSION_DIFFERENCES[`${name}@${ctx}:${check}`] ?? KNOWN_VERSION_DIFFERENCES[`${name}@*:${check}`];
}

// ---------------------------------------------------------------------------------------------
// Running nginx

interface Outcome {
  /** First [emerg] message, without the " in file:line" tail. */
  emerg?: string;
  /** Line of the config the message points at, when it names one. */
  line?: number;
}

function parseOutcome(stderr: string): Outcome {
  const m = /\[emerg\] (?:\d+#\d+: )?(.*)$/m.exec(stderr);
  if (!m) return {};
  const at = / in (\/\S+):(\d+)$/.exec(m[1]);
  return at ? { emerg: m[1].slice(0, at.index), line: Number(at[2]) } : { emerg: m[1] };
}

let root = '';
let seq = 0;

function runNginx(config: string): Promise<Outcome> {
  const dir = join(root, String(seq++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'nginx.conf'), config.replaceAll('@DIR@', dir));
  if (config.includes('@DIR@/')) {
    for (const f of ['nginx.conf.inc', 'htpasswd', 'pass']) writeFileSync(join(dir, f), '');
    writeFileSync(join(dir, 'entities.dtd'), '<!ENTITY probe "x">\n');
  }
  return new Promise((resolve) => {
    execFile(NGINX, ['-e', 'stderr', '-t', '-q', '-p', `${dir}/`, '-c', join(dir, 'nginx.conf')], { timeout: 20_000 }, (_err, _out, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(parseOutcome(String(stderr)));
    });
  });
}

async function pool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const width = Math.max(2, Math.min(8, cpus().length * 2));
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dynamic modules (Debian builds stream, mail, geoip, image_filter, xslt and perl as modules)

const MODULE_FILES = {
  stream: 'ngx_stream_module.so',
  mail: 'ngx_mail_module.so',
  http_geoip: 'ngx_http_geoip_module.so',
  stream_geoip: 'ngx_stream_geoip_module.so',
  image_filter: 'ngx_http_image_filter_module.so',
  xslt: 'ngx_http_xslt_filter_module.so',
  perl: 'ngx_http_perl_module.so',
} as const;
type ModuleKey = keyof typeof MODULE_FILES;
const LOAD_ORDER: ModuleKey[] = ['stream', 'mail', 'http_geoip', 'stream_geoip', 'image_filter', 'xslt', 'perl'];
const loadable = new Set<ModuleKey>();
/** Families whose directives this nginx can be asked about (core and http always). */
const families = new Set<Family>(['core', 'http']);

async function detectModules(): Promise<void> {
  for (const key of LOAD_ORDER) {
    const file = join(MODULES_DIR, MODULE_FILES[key]);
    if (!existsSync(file)) continue;
    const deps = key === 'stream_geoip' ? [...loadable].filter((k) => k === 'stream') : [];
    const lines = [...deps, key].map((k) => `load_module ${join(MODULES_DIR, MODULE_FILES[k])};`);
    const o = await runNginx(`${lines.join('\n')}\nevents {}\n`);
    if (!o.emerg) loadable.add(key);
  }
  // Built in statically (no module file): the block directive is known without load_module.
  for (const fam of ['stream', 'mail'] as const) {
    if (loadable.has(fam)) families.add(fam);
    else if (!(await runNginx(`${fam} {}\nevents {}\n`)).emerg?.startsWith('unknown directive')) families.add(fam);
  }
}

function familiesOf(name: string): Set<Family> {
  return new Set((DIRECTIVE_SHAPES[name] ?? []).flatMap((s) => s.ctx.map((c) => FAMILY[c])));
}

function modulesFor(name: string, ctx: Ctx): ModuleKey[] {
  const want = new Set<ModuleKey>();
  const fams = familiesOf(name);
  fams.add(FAMILY[ctx]);
  if (fams.has('stream') || name === 'stream') want.add('stream');
  if (fams.has('mail') || name === 'mail') want.add('mail');
  if (name.startsWith('geoip_')) {
    want.add('http_geoip');
    if (fams.has('stream')) want.add('stream_geoip');
  }
  if (name.startsWith('image_filter')) want.add('image_filter');
  if (name.startsWith('xslt_') || name === 'xml_entities') want.add('xslt');
  if (name.startsWith('perl')) want.add('perl');
  return LOAD_ORDER.filter((k) => want.has(k) && loadable.has(k));
}

// ---------------------------------------------------------------------------------------------
// Configs: the probe lines go first in their block, so nothing before them can fail.

interface Built {
  text: string;
  /** 1-based line of the first probe line. */
  first: number;
}

function buildConfig(ctx: Ctx, probe: readonly string[], modules: readonly ModuleKey[]): Built {
  const out: string[] = modules.map((k) => `load_module ${join(MODULES_DIR, MODULE_FILES[k])};`);
  let first = 0;
  const put = (): void => {
    first = out.length + 1;
    out.push(...probe);
  };
  const fam = FAMILY[ctx];
  if (ctx === 'main') {
    put();
    out.push('events {}');
  } else if (ctx === 'events') {
    out.push('events {');
    put();
    out.push('}');
  } else {
    out.push('events {}');
    if (fam === 'http') {
      out.push('http {');
      if (ctx === 'http') put();
      out.push('access_log off;');
      for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) out.push(`${t}_temp_path @DIR@/${t};`);
      if (ctx === 'upstream') {
        out.push('upstream probe_u {');
        put();
        out.push('server 127.0.0.1:1;', '}');
      } else if (ctx !== 'http') {
        out.push('server {');
        if (ctx === 'server') put();
        out.push('listen unix:@DIR@/http.sock;');
        if (ctx === 'sif') {
          out.push('if ($args) {');
          put();
          out.push('}');
        } else if (ctx !== 'server') {
          out.push('location / {');
          if (ctx === 'location') put();
          if (ctx === 'lif') out.push('if ($args) {');
          if (ctx === 'limit_except') out.push('limit_except GET {');
          if (ctx !== 'location') {
            put();
            out.push('}');
          }
          out.push('}');
        }
        out.push('}');
      }
      out.push('}');
    } else if (fam === 'stream') {
      out.push('stream {');
      if (ctx === 'stream') put();
      if (ctx === 'stream_upstream') {
        out.push('upstream probe_su {');
        put();
        out.push('server 127.0.0.1:1;', '}');
      }
      if (ctx === 'stream_server') {
        out.push('server {');
        put();
        out.push('listen unix:@DIR@/stream.sock;', 'return x;', '}');
      }
      out.push('}');
    } else {
      out.push('mail {');
      if (ctx === 'mail') put();
      if (ctx === 'mail_server') {
        out.push('server {');
        put();
        out.push('listen unix:@DIR@/mail.sock;', 'protocol smtp;', 'auth_http 127.0.0.1:1;', '}');
      }
      out.push('}');
    }
  }
  return { text: `${out.join('\n')}\n`, first };
}

const statement = (name: string, args: readonly string[], block: boolean, body = ''): string =>
  `${[name, ...args].join(' ')}${block ? ` { ${body} }` : ';'}`;

async function probe(name: string, ctx: Ctx, lines: readonly string[]): Promise<Outcome & { first: number }> {
  const built = buildConfig(ctx, lines, modulesFor(name, ctx));
  return { ...(await runNginx(built.text)), first: built.first };
}

// ---------------------------------------------------------------------------------------------
// Sample arguments for the duplicate check

interface RefDoc {
  name: string;
  module: string;
  syntax: string[];
  default: string;
}
let refDocs: RefDoc[] = [];

function refFamily(module: string): Family {
  return module.startsWith('ngx_stream_') ? 'stream' : module.startsWith('ngx_mail_') ? 'mail' : module.startsWith('ngx_http_') ? 'http' : 'core';
}

/** Hand-picked arguments, by `name` or `name@family`. `@DIR@` is the probe's own directory. */
const SAMPLES: Record<string, string[]> = {
  alias: ['/tmp/'],
  root: ['/tmp'],
  'proxy_pass@http': ['http://127.0.0.1:1'],
  'proxy_pass@stream': ['127.0.0.1:1'],
  'return@stream': ['x'],
  'return@http': ['204'],
  grpc_pass: ['grpc://127.0.0.1:1'],
  fastcgi_pass: ['127.0.0.1:1'],
  uwsgi_pass: ['127.0.0.1:1'],
  scgi_pass: ['127.0.0.1:1'],
  memcached_pass: ['127.0.0.1:1'],
  pass: ['127.0.0.1:1'],
  try_files: ['$uri', '=404'],
  error_page: ['404', '/404.html'],
  keepalive: ['8'],
  user: ['root', 'root'],
  worker_priority: ['-1'], // `worker_priority 0` twice passes: the handler tests `priority != 0`
  use: ['epoll'],
  debug_connection: ['127.0.0.1'],
  include: ['@DIR@/nginx.conf.inc'],
  'error_log@core': ['stderr'],
  'error_log@http': ['stderr'],
  'error_log@stream': ['stderr'],
  'error_log@mail': ['stderr'],
  'access_log@http': ['off'],
  'access_log@stream': ['off'],
  log_format: ['fmt', '$remote_addr'],
  resolver: ['127.0.0.1'],
  limit_req: ['zone=z1'],
  limit_req_zone: ['$binary_remote_addr', 'zone=z1:1m', 'rate=1r/s'],
  limit_conn: ['z1', '1'],
  limit_conn_zone: ['$binary_remote_addr', 'zone=z1:1m'],
  limit_except: ['GET'],
  proxy_redirect: ['off'],
  proxy_cookie_domain: ['off'],
  proxy_cookie_path: ['off'],
  proxy_cookie_flags: ['off'],
  mirror: ['off'],
  proxy_method: ['GET'],
  proxy_ssl_password_file: ['@DIR@/pass'],
  grpc_ssl_password_file: ['@DIR@/pass'],
  uwsgi_ssl_password_file: ['@DIR@/pass'],
  ssl_password_file: ['@DIR@/pass'],
  ssl_engine: ['dynamic'],
  ssl_alpn: ['h2'],
  source_charset: ['utf-8'],
  set_real_ip_from: ['127.0.0.1'],
  allow: ['127.0.0.1'],
  deny: ['127.0.0.1'],
  geoip_country: ['/usr/share/GeoIP/GeoIP.dat'],
  geoip_proxy: ['127.0.0.1'],
  secure_link: ['$arg_md5,$arg_expires'],
  secure_link_md5: ['$uri'],
  secure_link_secret: ['s3cr3t'],
  sub_filter: ['a', 'b'],
  xml_entities: ['@DIR@/entities.dtd'],
  xslt_stylesheet: ['@DIR@/style.xslt'],
  perl_set: ['$probe', "'sub { return 1; }'"],
  perl: ["'sub { return 200; }'"],
  map_hash_bucket_size: ['64'],
  server_names_hash_bucket_size: ['64'],
  server_name: ['probe.example'],
  'server_name@mail': ['probe.example'],
  listen: ['unix:@DIR@/probe.sock'],
  location: ['/probe'],
  if: ['($args)'],
  upstream: ['probe_x'],
  ancient_browser: ['MSIE'],
  auth_http: ['127.0.0.1:1'],
  'proxy_next_upstream@stream': ['off'],
  'proxy_next_upstream@http': ['error'],
  hash: ['$remote_addr'],
  rewrite: ['^/a', '/b'],
  split_clients: ['$remote_addr', '$probe'],
  map: ['$uri', '$probe'],
  geo: ['$probe'],
  charset_map: ['koi8-r', 'utf-8'],
  stub_status: [],
  fastcgi_split_path_info: ['^(.+\\.php)(/.+)$'],
  memcached_gzip_flag: ['0'],
  gzip_disable: ['msie6'],
  proxy_ignore_headers: ['Expires'],
  fastcgi_ignore_headers: ['Expires'],
  uwsgi_ignore_headers: ['Expires'],
  scgi_ignore_headers: ['Expires'],
  grpc_ignore_headers: ['Expires'],
  charset_types: ['text/plain'],
  smtp_capabilities: ['SIZE'],
  post_action: ['/pa'],
  'uwsgi_string': ['s'],
  ssl_ciphers: ['HIGH'],
  ssl_stapling_responder: ['http://127.0.0.1:1/'],
  ssl_ocsp_responder: ['http://127.0.0.1:1/'],
  proxy_cache_bypass: ['$arg_nocache'],
  proxy_no_cache: ['$arg_nocache'],
  fastcgi_cache_bypass: ['$arg_nocache'],
  fastcgi_no_cache: ['$arg_nocache'],
  uwsgi_cache_bypass: ['$arg_nocache'],
  uwsgi_no_cache: ['$arg_nocache'],
  scgi_cache_bypass: ['$arg_nocache'],
  scgi_no_cache: ['$arg_nocache'],
  server: [],
  'server@http': [],
  'server@stream': [],
  'server@mail': [],
  'server@upstream': ['127.0.0.1:1'],
  'server@stream_upstream': ['127.0.0.1:1'],
  epoll_events: ['512'],
  gzip_window: ['32k'],
  postpone_gzipping: ['0'],
  http2_pool_size: ['4k'],
  http2_streams_index_size: ['32'],
  perl_require: ['probe.pm'],
  proxy_downstream_buffer: ['16k'],
  proxy_upstream_buffer: ['16k'],
  gzip_hash: ['8k'],
};

const PLACEHOLDER: [RegExp, string][] = [
  [/^size$/, '8k'],
  [/^(time|timeout|interval|delay)$/, '10s'],
  [/^(number|count|N|level|depth)$/, '2'],
  [/^(path|file|directory|prefix)$/, '@DIR@/f'],
  [/^\$variable$/, '$probe_v'],
  [/^(name|zone)$/, 'n1'],
  [/^(string|text|value|parameter|header|field)$/, 'v'],
  [/^(address|host)$/, '127.0.0.1:1'],
  [/^(uri|URL)$/, '/u'],
  [/^code$/, '404'],
  [/^mime-type$/, 'text/plain'],
];

/** Arguments from the nginx.org syntax line: the first alternative, required parts only. */
function fromSyntax(syntax: string): string[] | undefined {
  let s = syntax.replace(/<\/?p>/g, '').replace(/\n/g, ' ').trim();
  if (!s || s.includes('{')) return undefined;
  // drop optional parts [ ... ] (nested)
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(/\[[^[\]]*\]/g, ' ');
  }
  s = s.split(/\s\|\s/)[0];
  let bad = false;
  s = s.replace(/<em><code>([^<]*)<\/code><\/em>/g, (_m, p: string) => {
    const hit = PLACEHOLDER.find(([re]) => re.test(p));
    if (!hit) bad = true;
    return hit ? hit[1] : 'x';
  });
  s = s.replace(/<code>([^<]*)<\/code>/g, '$1').replace(/<[^>]+>/g, '');
  if (bad || /&hellip;|\.\.\.|[|]/.test(s)) return undefined;
  return s.split(/\s+/).filter(Boolean);
}

/** Bodies for block directives that nginx wants non-empty. */
const BODIES: Record<string, string> = {
  upstream: 'server 127.0.0.1:1;',
};

function sampleArgs(name: string, shape: Shape, ctx: Ctx): string[] | undefined {
  const family = FAMILY[ctx];
  const fits = (a: string[] | undefined): a is string[] => a !== undefined && argCountOk(shape, a.length);
  const hand = SAMPLES[`${name}@${ctx}`] ?? SAMPLES[`${name}@${family}`] ?? SAMPLES[name];
  if (hand) return fits(hand) ? hand : undefined;
  if (shape.args.includes('FLAG')) return ['off'];
  if (shape.args.length === 1 && shape.args[0] === 'NOARGS') return [];
  const doc = refDocs.find((d) => d.name === name && refFamily(d.module) === family) ?? refDocs.find((d) => d.name === name);
  if (!doc) return undefined;
  const def = doc.default.trim();
  if (def && /^[\w.:$/=-]+( [\w.:$/=-]+)*$/.test(def)) {
    const a = def.split(' ');
    if (fits(a)) return a;
  }
  for (const syn of doc.syntax) {
    const a = fromSyntax(syn);
    if (fits(a)) return a;
  }
  return undefined;
}

function loadModuleSample(): string[] | undefined {
  const file = join(MODULES_DIR, MODULE_FILES.image_filter);
  return loadable.has('image_filter') ? [file] : undefined;
}

// ---------------------------------------------------------------------------------------------
// The checks

interface Row {
  name: string;
  ctx: Ctx;
  check: 'ctx' | 'args' | 'block' | 'dup';
  n?: number;
  args?: string[];
  expected: boolean | string;
  actual: boolean | string;
  emerg?: string;
  agree: boolean;
  known?: string;
}

const rows: Row[] = [];
const notCompiled: string[] = [];
const compiled: string[] = [];
const dupInconclusive: { name: string; ctx: Ctx; args: string[]; emerg?: string }[] = [];
const noSample: string[] = [];
/** nginx's own verdict on where each compiled directive is allowed. */
const allowedByNginx = new Map<string, Set<Ctx>>();

function tableAllows(name: string, ctx: Ctx): boolean {
  return (DIRECTIVE_SHAPES[name] ?? []).some((s) => s.ctx.includes(ctx));
}

function record(row: Omit<Row, 'agree' | 'known'>, check: 'ctx' | 'args' | 'dup'): void {
  const agree = row.expected === row.actual;
  rows.push({ ...row, agree, known: agree ? undefined : known(row.name, row.ctx, check) });
}

async function checkContexts(): Promise<void> {
  const names = Object.keys(DIRECTIVE_SHAPES).sort();
  // Is the name known to this nginx at all? Ask in a context the table allows it in.
  const askable = names.filter((n) => [...familiesOf(n)].some((f) => families.has(f)));
  const firstCtx = (n: string): Ctx => DIRECTIVE_SHAPES[n].flatMap((s) => s.ctx).find((c) => families.has(FAMILY[c]))!;
  const seen = await pool(askable, (n) => probe(n, firstCtx(n), [`${n} probe_a;`]));
  askable.forEach((n, i) => {
    const o = seen[i];
    if (o.line === o.first && o.emerg?.startsWith('unknown directive')) notCompiled.push(n);
    else compiled.push(n);
  });
  notCompiled.push(...names.filter((n) => !askable.includes(n)));

  // main/http/server/location always; the other contexts of the directive's families where the
  // table allows it, and a fixed third of the rest (keeps the run short; every context still
  // gets hundreds of "not allowed here" checks).
  const tasks: { name: string; ctx: Ctx }[] = [];
  const third = (s: string): boolean => [...s].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 9973, 7) % 3 === 0;
  for (const name of compiled) {
    const ctxs = new Set<Ctx>(ALWAYS);
    for (const f of familiesOf(name)) {
      if (!families.has(f)) continue;
      for (const c of FAMILY_CTX[f]) if (tableAllows(name, c) || third(`${name}@${c}`)) ctxs.add(c);
    }
    for (const ctx of ctxs) tasks.push({ name, ctx });
  }
  const out = await pool(tasks, (t) => probe(t.name, t.ctx, [`${t.name} probe_a;`]));
  tasks.forEach((t, i) => {
    const o = out[i];
    const notAllowed = o.line === o.first && /directive is not allowed here$/.test(o.emerg ?? '');
    if (!notAllowed) {
      const set = allowedByNginx.get(t.name) ?? new Set<Ctx>();
      set.add(t.ctx);
      allowedByNginx.set(t.name, set);
    }
    record({ name: t.name, ctx: t.ctx, check: 'ctx', expected: tableAllows(t.name, t.ctx), actual: !notAllowed, emerg: o.emerg }, 'ctx');
  });
}

/** Per definition (shape) of a compiled name: the context it is tried in, agreed by nginx. */
function probeSites(): { name: string; shape: Shape; ctx: Ctx }[] {
  const sites: { name: string; shape: Shape; ctx: Ctx }[] = [];
  for (const name of compiled) {
    const ok = allowedByNginx.get(name) ?? new Set<Ctx>();
    for (const shape of DIRECTIVE_SHAPES[name]) {
      const ctx = PREFERENCE.find((c) => shape.ctx.includes(c) && ok.has(c));
      if (ctx) sites.push({ name, shape, ctx });
    }
  }
  return sites;
}

async function checkArgCounts(): Promise<void> {
  const tasks = probeSites().flatMap((s) => [0, 1, 2, 3].map((n) => ({ ...s, n })));
  const out = await pool(tasks, (t) =>
    probe(t.name, t.ctx, [statement(t.name, ['probe_a', 'probe_b', 'probe_c'].slice(0, t.n), t.shape.block)]),
  );
  tasks.forEach((t, i) => {
    const o = out[i];
    const here = o.line === o.first ? (o.emerg ?? '') : '';
    if (/has no opening "\{"$|is not terminated by ";"$/.test(here)) {
      rows.push({ name: t.name, ctx: t.ctx, check: 'block', n: t.n, expected: t.shape.block, actual: !t.shape.block, emerg: here, agree: false });
      return;
    }
    const bad = /^invalid number of arguments in /.test(here);
    record({ name: t.name, ctx: t.ctx, check: 'args', n: t.n, expected: argCountOk(t.shape, t.n), actual: !bad, emerg: o.emerg }, 'args');
  });
}

function expectDuplicate(name: string, ctx: Ctx, args: readonly string[]): boolean {
  if (REJECTS_DUPLICATE.has(name)) return true;
  if (REJECTS_DUPLICATE_ONLY_IN[name]?.includes(ctx)) return true;
  if (REJECTS_SAME_ZONE.has(name)) return true; // the probe repeats the same arguments
  if (REJECTS_OFF_WITH_OTHERS.has(name)) return args.length === 1 && args[0] === 'off';
  return false;
}

async function checkDuplicates(): Promise<void> {
  const tasks: { name: string; ctx: Ctx; shape: Shape; args: string[] }[] = [];
  for (const site of probeSites()) {
    const args = site.name === 'load_module' ? loadModuleSample() : sampleArgs(site.name, site.shape, site.ctx);
    if (args) tasks.push({ ...site, args });
    else noSample.push(`${site.name}@${site.ctx}`);
  }
  const out = await pool(tasks, (t) => {
    const line = statement(t.name, t.args, t.shape.block, BODIES[t.name]);
    return probe(t.name, t.ctx, [line, line]);
  });
  tasks.forEach((t, i) => {
    const o = out[i];
    if (o.line === o.first) {
      dupInconclusive.push({ name: t.name, ctx: t.ctx, args: t.args, emerg: o.emerg });
      return;
    }
    const dup = o.line === o.first + 1 && /directive is duplicate/.test(o.emerg ?? '');
    record({ name: t.name, ctx: t.ctx, check: 'dup', args: t.args, expected: expectDuplicate(t.name, t.ctx, t.args), actual: dup, emerg: o.emerg }, 'dup');
  });
}

// ---------------------------------------------------------------------------------------------

function summary(check: Row['check']): { total: number; agree: number; known: number; bad: Row[] } {
  const r = rows.filter((x) => x.check === check);
  return {
    total: r.length,
    agree: r.filter((x) => x.agree).length,
    known: r.filter((x) => !x.agree && x.known).length,
    bad: r.filter((x) => !x.agree && !x.known),
  };
}

const fmt = (r: Row): string =>
  `  ${r.name} in ${r.ctx}${r.n !== undefined ? ` with ${r.n} args` : ''}${r.args ? ` (${r.args.join(' ')})` : ''}: table ${r.expected}, nginx ${r.actual}${r.emerg ? ` [${r.emerg}]` : ''}${r.known ? ` (known: ${r.known})` : ''}`;

const skip = HAVE_NGINX ? false : `no nginx at ${NGINX} (set NGINX_BIN): the directive table is not checked against a real nginx`;

test('directive table agrees with real nginx', { skip, timeout: 300_000 }, async (t) => {
  root = mkdtempSync(join(tmpdir(), 'ngx-table-'));
  try {
    const ref = await import('@nginx/reference-lib');
    refDocs = (ref.getDirectives() as RefDoc[]).map((d) => ({ name: d.name, module: d.module, syntax: d.syntax, default: d.default }));
    const started = Date.now();
    await detectModules();
    // Every scaffold must pass `nginx -t` as it is, or the verdicts below would mean nothing.
    for (const ctx of Object.keys(FAMILY) as Ctx[]) {
      if (!families.has(FAMILY[ctx])) continue;
      const built = buildConfig(ctx, [], modulesFor('', ctx));
      const o = await runNginx(built.text);
      assert.equal(o.emerg, undefined, `the empty ${ctx} scaffold fails nginx -t:\n${built.text}`);
    }
    await checkContexts();
    await checkArgCounts();
    await checkDuplicates();

    const ctx = summary('ctx');
    const args = summary('args');
    const dup = summary('dup');
    const block = rows.filter((r) => r.check === 'block');
    const lines = [
      `nginx ${NGINX}, modules loaded on demand: ${[...loadable].join(', ') || 'none'}; families checked: ${[...families].join(', ')}`,
      `directives in table: ${Object.keys(DIRECTIVE_SHAPES).length}; known to this nginx: ${compiled.length}; not in this build: ${notCompiled.length}`,
      `contexts:   ${ctx.agree}/${ctx.total} agree, ${ctx.known} known version differences, ${ctx.bad.length} disagreements`,
      `arg counts: ${args.agree}/${args.total} agree, ${args.known} known version differences, ${args.bad.length} disagreements; block-ness disagreements: ${block.length}`,
      `duplicates: ${dup.agree}/${dup.total} agree, ${dup.known} known version differences, ${dup.bad.length} disagreements; ` +
        `${dupInconclusive.length} inconclusive (sample arguments rejected), ${noSample.length} without sample arguments`,
      `(${Math.round((Date.now() - started) / 100) / 10}s, ${seq} nginx runs)`,
    ];
    const known = rows.filter((r) => r.known);
    if (known.length) lines.push('known version differences:', ...known.map(fmt));
    for (const l of lines) t.diagnostic(l);
    if (DUMP) writeFileSync(DUMP, JSON.stringify({ rows, compiled, notCompiled, dupInconclusive, noSample }, null, 1));

    const problems = [...ctx.bad, ...args.bad, ...block, ...dup.bad];
    assert.ok(compiled.length >= 150, `only ${compiled.length} table directives are known to this nginx`);
    assert.ok(dup.total >= 150, `only ${dup.total} directives got a conclusive duplicate check`);
    assert.equal(problems.length, 0, `table and nginx disagree:\n${problems.map(fmt).join('\n')}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('reference-lib directives are in the table', async (t) => {
  const ref = await import('@nginx/reference-lib');
  const docs = ref.getDirectives() as RefDoc[];
  // Contexts that are no Ctx: the insides of Plus/acme/otel blocks.
  const inner = new Set(['acme_issuer', 'oidc_provider', 'mgmt', 'otel_exporter']);
  const missing = docs.filter((d) => !DIRECTIVE_SHAPES[d.name]);
  const representable = missing.filter((d) => !(d as unknown as { contexts: string[] }).contexts.every((c) => inner.has(c)));
  const innerOnly = [...new Set(missing.filter((d) => !representable.includes(d)).map((d) => d.name))].sort();
  const lines = [
    `reference-lib: ${docs.length} directive entries, ${new Set(docs.map((d) => d.name)).size} names; ` +
      `missing from DIRECTIVE_SHAPES: ${new Set(missing.map((d) => d.name)).size}`,
    `  only inside ${[...inner].join('/')} blocks (no Ctx for them): ${innerOnly.join(' ')}`,
    ...representable.map((d) => `  missing: ${d.name} (${d.module})`),
  ];
  for (const l of lines) t.diagnostic(l);
  assert.deepEqual(representable.map((d) => d.name), []);
});
