#!/usr/bin/env node
// Regenerates server/src/nginx/data/args.ts from nginx's own source.
//
//   # the source trees used: Debian's orig tarballs nginx_1.26.3.orig.tar.gz (trixie) and
//   # nginx_1.22.1.orig.tar.gz (bookworm), fetched with `apt-get source --download-only nginx=VERSION`
//   # from deb-src entries; any nginx release tarball works the same
//   node server/scripts/gen-directive-args.mjs nginx-1.26.3 nginx-1.22.1 > server/src/nginx/data/args.ts
//
// NEW_SRC_DIR is the newest nginx source tree at hand; every `ngx_command_t xxx[] = {...}` array
// under its src/ is read, and each `{ ngx_string("name"), MASKS, handler, ... }` entry becomes one
// Shape. OLD_SRC_DIR (optional) adds directives that were removed since (marked "removed").
// Directives newer than NEW_SRC_DIR, NGINX Plus ones, and njs/otel/acme ones are not in that
// source; they come from SUPPLEMENT below (written from nginx's changes and the nginx.org docs,
// i.e. the syntax/context lines also shipped in @nginx/reference-lib).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const [newDir, oldDir] = process.argv.slice(2);
if (!newDir) {
  console.error('usage: gen-directive-args.mjs NEW_SRC_DIR [OLD_SRC_DIR]');
  process.exit(2);
}

const CTX_ORDER = ['main', 'events', 'http', 'server', 'location', 'sif', 'lif', 'limit_except', 'upstream',
  'stream', 'stream_server', 'stream_upstream', 'mail', 'mail_server'];
const ARG_ORDER = ['NOARGS', 'TAKE1', 'TAKE2', 'TAKE3', 'TAKE4', 'TAKE5', 'TAKE6', 'TAKE7', 'FLAG', '1MORE', '2MORE', 'ANY'];

const CTX = {
  NGX_MAIN_CONF: ['main'], NGX_DIRECT_CONF: ['main'], NGX_EVENT_CONF: ['events'],
  NGX_HTTP_MAIN_CONF: ['http'], NGX_HTTP_SRV_CONF: ['server'], NGX_HTTP_LOC_CONF: ['location'],
  NGX_HTTP_UPS_CONF: ['upstream'], NGX_HTTP_SIF_CONF: ['sif'], NGX_HTTP_LIF_CONF: ['lif'], NGX_HTTP_LMT_CONF: ['limit_except'],
  NGX_STREAM_MAIN_CONF: ['stream'], NGX_STREAM_SRV_CONF: ['stream_server'], NGX_STREAM_UPS_CONF: ['stream_upstream'],
  NGX_MAIL_MAIN_CONF: ['mail'], NGX_MAIL_SRV_CONF: ['mail_server'],
  NGX_ANY_CONF: CTX_ORDER, // 0xFF000000: every context bit, including if/limit_except
};
const ARG = {
  NGX_CONF_NOARGS: ['NOARGS'], NGX_CONF_TAKE1: ['TAKE1'], NGX_CONF_TAKE2: ['TAKE2'], NGX_CONF_TAKE3: ['TAKE3'],
  NGX_CONF_TAKE4: ['TAKE4'], NGX_CONF_TAKE5: ['TAKE5'], NGX_CONF_TAKE6: ['TAKE6'], NGX_CONF_TAKE7: ['TAKE7'],
  NGX_CONF_FLAG: ['FLAG'], NGX_CONF_ANY: ['ANY'], NGX_CONF_1MORE: ['1MORE'], NGX_CONF_2MORE: ['2MORE'],
  NGX_CONF_TAKE12: ['TAKE1', 'TAKE2'], NGX_CONF_TAKE13: ['TAKE1', 'TAKE3'], NGX_CONF_TAKE23: ['TAKE2', 'TAKE3'],
  NGX_CONF_TAKE34: ['TAKE3', 'TAKE4'], NGX_CONF_TAKE123: ['TAKE1', 'TAKE2', 'TAKE3'],
  NGX_CONF_TAKE1234: ['TAKE1', 'TAKE2', 'TAKE3', 'TAKE4'],
};
const IGNORED_MASKS = new Set(['NGX_CONF_MULTI']);

function cFiles(dir) {
  const out = [];
  (function walk(d) {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.c')) out.push(p);
    }
  })(join(dir, 'src'));
  return out;
}

/** name -> [{ctx, args, block, file}] in source order. */
function parseTree(dir) {
  const map = new Map();
  for (const f of cFiles(dir)) {
    const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const arrays = /ngx_command_t\s+\w+\[\]\s*=\s*\{([\s\S]*?)ngx_null_command/g;
    let a;
    while ((a = arrays.exec(src))) {
      const entries = /\{\s*ngx_string\("([^"]+)"\)\s*,\s*([A-Z0-9_|\s]+?)\s*,/g;
      let e;
      while ((e = entries.exec(a[1]))) {
        const ctx = new Set();
        const args = new Set();
        let block = false;
        for (const tok of e[2].split('|').map((s) => s.trim()).filter(Boolean)) {
          if (tok === 'NGX_CONF_BLOCK') block = true;
          else if (CTX[tok]) CTX[tok].forEach((c) => ctx.add(c));
          else if (ARG[tok]) ARG[tok].forEach((x) => args.add(x));
          else if (!IGNORED_MASKS.has(tok)) throw new Error(`${f}: unknown mask ${tok} for ${e[1]}`);
        }
        if (!ctx.size || !args.size) throw new Error(`${f}: ${e[1]} has no context or argument mask`);
        const shape = { ctx: CTX_ORDER.filter((c) => ctx.has(c)), args: ARG_ORDER.filter((x) => args.has(x)), block, file: basename(f) };
        const list = map.get(e[1]) ?? [];
        list.push(shape);
        map.set(e[1], list);
      }
    }
  }
  return map;
}

// Directives not in the source trees read. [name, contexts, argument masks, block?, note]
// Contexts: space-separated Ctx names; HSL/HS/SS/MS abbreviate the usual sets.
const HSL = 'http server location';
const HS = 'http server';
const SS = 'stream stream_server';
const MS = 'mail mail_server';
const SUPPLEMENT = [
  // --- open-source nginx after 1.26 (nginx changes; tunnel module read from nginx's repository) ---
  ['resolver', 'upstream', '1MORE', false, '1.27.3'],
  ['resolver_timeout', 'upstream', 'TAKE1', false, '1.27.3'],
  ['resolver', 'stream_upstream', '1MORE', false, '1.27.3'],
  ['resolver_timeout', 'stream_upstream', 'TAKE1', false, '1.27.3'],
  ['proxy_pass_trailers', HSL, 'FLAG', false, '1.27.2'],
  ['ssl_ocsp', SS, 'TAKE1', false, '1.27.2'],
  ['ssl_ocsp_cache', SS, 'TAKE1', false, '1.27.2'],
  ['ssl_ocsp_responder', SS, 'TAKE1', false, '1.27.2'],
  ['ssl_stapling', SS, 'FLAG', false, '1.27.2'],
  ['ssl_stapling_file', SS, 'TAKE1', false, '1.27.2'],
  ['ssl_stapling_responder', SS, 'TAKE1', false, '1.27.2'],
  ['ssl_stapling_verify', SS, 'FLAG', false, '1.27.2'],
  ['ssl_object_cache_inheritable', 'main', 'FLAG', false, '1.27.4'],
  ['ssl_certificate_cache', HS, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['ssl_certificate_cache', SS, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['proxy_ssl_certificate_cache', HSL, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['proxy_ssl_certificate_cache', SS, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['grpc_ssl_certificate_cache', HSL, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['uwsgi_ssl_certificate_cache', HSL, 'TAKE1 TAKE2 TAKE3', false, '1.27.4'],
  ['keepalive_min_timeout', HSL, 'TAKE1', false, '1.27.4'],
  ['early_hints', HSL, '1MORE', false, '1.29.0'],
  ['ssl_certificate_compression', HS, 'FLAG', false, '1.29.1'],
  ['ssl_certificate_compression', SS, 'FLAG', false, '1.29.1'],
  ['ssl_certificate_compression', MS, 'FLAG', false, '1.29.1'],
  ['max_headers', HS, 'TAKE1', false, '1.29'],
  ['ssl_ech_file', HS, 'TAKE1', false, '1.29'],
  ['ssl_ech_file', SS, 'TAKE1', false, '1.29'],
  ['add_header_inherit', `${HSL} lif`, 'TAKE1', false, '1.29'],
  ['add_trailer_inherit', `${HSL} lif`, 'TAKE1', false, '1.29'],
  ['xml_external_entities', HSL, 'FLAG', false, '1.29'],
  ['proxy_ssl_alpn', SS, '1MORE', false, '1.29'],
  ['fastcgi_socket_rcvbuf', HSL, 'TAKE1', false, '1.29'],
  ['fastcgi_socket_sndbuf', HSL, 'TAKE1', false, '1.29'],
  ['grpc_socket_rcvbuf', HSL, 'TAKE1', false, '1.29'],
  ['grpc_socket_sndbuf', HSL, 'TAKE1', false, '1.29'],
  ['proxy_socket_rcvbuf', HSL, 'TAKE1', false, '1.29'],
  ['proxy_socket_sndbuf', HSL, 'TAKE1', false, '1.29'],
  ['proxy_socket_rcvbuf', SS, 'TAKE1', false, '1.29'],
  ['proxy_socket_sndbuf', SS, 'TAKE1', false, '1.29'],
  ['scgi_socket_rcvbuf', HSL, 'TAKE1', false, '1.29'],
  ['scgi_socket_sndbuf', HSL, 'TAKE1', false, '1.29'],
  ['uwsgi_socket_rcvbuf', HSL, 'TAKE1', false, '1.29'],
  ['uwsgi_socket_sndbuf', HSL, 'TAKE1', false, '1.29'],
  ['tunnel_pass', 'server location lif', 'NOARGS TAKE1', false, 'tunnel'],
  ['tunnel_bind', HSL, 'TAKE1 TAKE2', false, 'tunnel'],
  ['tunnel_socket_keepalive', HSL, 'FLAG', false, 'tunnel'],
  ['tunnel_socket_rcvbuf', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_socket_sndbuf', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_connect_timeout', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_send_timeout', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_send_lowat', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_buffer_size', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_read_timeout', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_next_upstream', HSL, '1MORE', false, 'tunnel'],
  ['tunnel_next_upstream_tries', HSL, 'TAKE1', false, 'tunnel'],
  ['tunnel_next_upstream_timeout', HSL, 'TAKE1', false, 'tunnel'],
  ['limit_zone', 'http', 'TAKE3', false, 'removed in 1.7.6'], // still on nginx.org (ngx_http_limit_conn_module)
  // --- NGINX Plus (from the nginx.org docs; no public source) ---
  ['api', 'location', 'NOARGS TAKE1', false, 'Plus'],
  ['status_zone', 'server location lif', 'TAKE1', false, 'Plus'],
  ['status_zone', 'stream_server', 'TAKE1', false, 'Plus'],
  ['auth_jwt', `${HSL} limit_except`, 'TAKE1 TAKE2', false, 'Plus'],
  ['auth_jwt_claim_set', 'http', '2MORE', false, 'Plus'],
  ['auth_jwt_header_set', 'http', '2MORE', false, 'Plus'],
  ['auth_jwt_key_cache', HSL, 'TAKE1', false, 'Plus'],
  ['auth_jwt_key_file', `${HSL} limit_except`, 'TAKE1', false, 'Plus'],
  ['auth_jwt_key_request', `${HSL} limit_except`, 'TAKE1', false, 'Plus'],
  ['auth_jwt_leeway', HSL, 'TAKE1', false, 'Plus'],
  ['auth_jwt_require', `${HSL} limit_except`, '1MORE', false, 'Plus'],
  ['auth_jwt_type', `${HSL} limit_except`, 'TAKE1', false, 'Plus'],
  ['auth_require', `${HSL} limit_except`, '1MORE', false, 'Plus'],
  ['auth_oidc', HSL, 'TAKE1', false, 'Plus'],
  ['oidc_provider', 'http', 'TAKE1', true, 'Plus'],
  ['mgmt', 'main', 'NOARGS', true, 'Plus'],
  ['error_log_tag', HSL, 'TAKE2', false, 'Plus'],
  ['stall_threshold', 'events', 'TAKE1', false, 'Plus'],
  ['f4f', 'location', 'NOARGS', false, 'Plus'],
  ['f4f_buffer_size', HSL, 'TAKE1', false, 'Plus'],
  ['hls', 'location', 'NOARGS', false, 'Plus'],
  ['hls_buffers', HSL, 'TAKE2', false, 'Plus'],
  ['hls_forward_args', HSL, 'FLAG', false, 'Plus'],
  ['hls_fragment', HSL, 'TAKE1', false, 'Plus'],
  ['hls_mp4_buffer_size', HSL, 'TAKE1', false, 'Plus'],
  ['hls_mp4_max_buffer_size', HSL, 'TAKE1', false, 'Plus'],
  ['internal_redirect', 'server location', 'TAKE1', false, 'Plus'],
  ['keyval', 'http', 'TAKE3', false, 'Plus'],
  ['keyval_zone', 'http', '1MORE', false, 'Plus'],
  ['keyval', 'stream', 'TAKE3', false, 'Plus'],
  ['keyval_zone', 'stream', '1MORE', false, 'Plus'],
  ['num_map', 'http', 'TAKE1 TAKE2', true, 'Plus'],
  ['num_map', 'stream', 'TAKE1 TAKE2', true, 'Plus'],
  ['session_log', HSL, 'TAKE1', false, 'Plus'],
  ['session_log_format', 'http', '2MORE', false, 'Plus'],
  ['session_log_zone', 'http', '2MORE', false, 'Plus'],
  ['status', 'location', 'NOARGS', false, 'Plus, removed'],
  ['status_format', HSL, 'TAKE1 TAKE2', false, 'Plus, removed'],
  ['upstream_conf', 'location', 'NOARGS', false, 'Plus, removed'],
  ['health_check', 'location', 'ANY', false, 'Plus'],
  ['health_check', 'stream_server', 'ANY', false, 'Plus'],
  ['health_check_timeout', SS, 'TAKE1', false, 'Plus'],
  ['match', 'http', 'TAKE1', true, 'Plus'],
  ['match', 'stream', 'TAKE1', true, 'Plus'],
  ['least_time', 'upstream', 'TAKE1 TAKE2', false, 'Plus'],
  ['least_time', 'stream_upstream', 'TAKE1 TAKE2', false, 'Plus'],
  ['ntlm', 'upstream', 'NOARGS', false, 'Plus'],
  ['queue', 'upstream', 'TAKE1 TAKE2', false, 'Plus'],
  ['state', 'upstream', 'TAKE1', false, 'Plus'],
  ['state', 'stream_upstream', 'TAKE1', false, 'Plus'],
  ['sticky', 'upstream', '1MORE', false, 'Plus'],
  ['sticky_cookie_insert', 'upstream', 'TAKE1 TAKE2 TAKE3 TAKE4', false, 'Plus, removed'],
  ['mp4_limit_rate', HSL, 'TAKE1', false, 'Plus'],
  ['mp4_limit_rate_after', HSL, 'TAKE1', false, 'Plus'],
  ['ssl_key_log', HS, 'TAKE1', false, 'Plus'],
  ['ssl_key_log', SS, 'TAKE1', false, 'Plus'],
  ['proxy_ssl_key_log', HSL, 'TAKE1', false, 'Plus'],
  ['proxy_ssl_key_log', SS, 'TAKE1', false, 'Plus'],
  ['grpc_ssl_key_log', HSL, 'TAKE1', false, 'Plus'],
  ['uwsgi_ssl_key_log', HSL, 'TAKE1', false, 'Plus'],
  ['proxy_session_drop', SS, 'FLAG', false, 'Plus'],
  ...['fastcgi', 'grpc', 'memcached', 'proxy', 'scgi', 'tunnel', 'uwsgi'].flatMap((p) => [
    [`${p}_allow_upstream`, HSL, '1MORE', false, 'Plus'],
    [`${p}_bind_dynamic`, HSL, 'FLAG', false, 'Plus'],
  ]),
  ...['fastcgi', 'grpc', 'proxy', 'scgi', 'uwsgi'].map((p) => [`${p}_request_dynamic`, HSL, 'FLAG', false, 'Plus']),
  ...['fastcgi', 'proxy', 'scgi', 'uwsgi'].map((p) => [`${p}_cache_purge`, HSL, '1MORE', false, 'Plus']),
  ['proxy_bind_dynamic', SS, 'FLAG', false, 'Plus'],
  ['mqtt', SS, 'FLAG', false, 'Plus'],
  ['mqtt_buffers', SS, 'TAKE2', false, 'Plus'],
  ['mqtt_rewrite_buffer_size', 'stream_server', 'TAKE1', false, 'Plus'],
  ['mqtt_set_connect', 'stream_server', 'TAKE2', false, 'Plus'],
  ['mqtt_preread', SS, 'FLAG', false, 'Plus'],
  ['zone_sync', 'stream_server', 'NOARGS', false, 'Plus'],
  ['zone_sync_server', 'stream_server', 'TAKE1 TAKE2', false, 'Plus'],
  ...[['buffers', 'TAKE2'], ['connect_retry_interval', 'TAKE1'], ['connect_timeout', 'TAKE1'], ['interval', 'TAKE1'],
    ['recv_buffer_size', 'TAKE1'], ['ssl', 'FLAG'], ['ssl_certificate', 'TAKE1'], ['ssl_certificate_key', 'TAKE1'],
    ['ssl_ciphers', 'TAKE1'], ['ssl_conf_command', 'TAKE2'], ['ssl_crl', 'TAKE1'], ['ssl_name', 'TAKE1'],
    ['ssl_password_file', 'TAKE1'], ['ssl_protocols', '1MORE'], ['ssl_server_name', 'FLAG'],
    ['ssl_trusted_certificate', 'TAKE1'], ['ssl_verify', 'FLAG'], ['ssl_verify_depth', 'TAKE1'], ['timeout', 'TAKE1'],
  ].map(([s, a]) => [`zone_sync_${s}`, SS, a, false, 'Plus']),
  // --- njs (ngx_http_js_module, ngx_stream_js_module; nginx.org docs) ---
  ['js_import', HSL, 'TAKE1 TAKE3', false, 'njs'],
  ['js_import', SS, 'TAKE1 TAKE3', false, 'njs'],
  ['js_path', HSL, 'TAKE1', false, 'njs'],
  ['js_path', SS, 'TAKE1', false, 'njs'],
  ['js_set', HSL, 'TAKE2 TAKE3', false, 'njs'],
  ['js_set', SS, 'TAKE2 TAKE3', false, 'njs'],
  ['js_var', HSL, 'TAKE1 TAKE2', false, 'njs'],
  ['js_var', SS, 'TAKE1 TAKE2', false, 'njs'],
  ['js_content', 'location lif limit_except', 'TAKE1', false, 'njs'],
  ['js_access', 'location lif limit_except', 'TAKE1', false, 'njs'],
  ['js_access', SS, 'TAKE1', false, 'njs'],
  ['js_header_filter', 'location lif limit_except', 'TAKE1', false, 'njs'],
  ['js_body_filter', 'location lif limit_except', 'TAKE1 TAKE2', false, 'njs'],
  ['js_filter', SS, 'TAKE1', false, 'njs'],
  ['js_preread', SS, 'TAKE1', false, 'njs'],
  ['js_include', 'http', 'TAKE1', false, 'njs, removed'],
  ['js_include', 'stream', 'TAKE1', false, 'njs, removed'],
  ['js_preload_object', HSL, 'TAKE1 TAKE3', false, 'njs'],
  ['js_preload_object', SS, 'TAKE1 TAKE3', false, 'njs'],
  ['js_periodic', 'location', '1MORE', false, 'njs'],
  ['js_periodic', 'stream_server', '1MORE', false, 'njs'],
  ['js_shared_dict_zone', 'http', '1MORE', false, 'njs'],
  ['js_shared_dict_zone', 'stream', '1MORE', false, 'njs'],
  ['js_load_http_native_module', 'main', 'TAKE1 TAKE3', false, 'njs'],
  ['js_load_stream_native_module', 'main', 'TAKE1 TAKE3', false, 'njs'],
  ...[['js_engine', 'TAKE1'], ['js_context_reuse', 'TAKE1'], ['js_fetch_buffer_size', 'TAKE1'], ['js_fetch_ciphers', 'TAKE1'],
    ['js_fetch_max_response_buffer_size', 'TAKE1'], ['js_fetch_protocols', '1MORE'], ['js_fetch_timeout', 'TAKE1'],
    ['js_fetch_trusted_certificate', 'TAKE1'], ['js_fetch_verify', 'FLAG'], ['js_fetch_verify_depth', 'TAKE1'],
    ['js_fetch_proxy', 'TAKE1'], ['js_fetch_keepalive', 'TAKE1'], ['js_fetch_keepalive_requests', 'TAKE1'],
    ['js_fetch_keepalive_time', 'TAKE1'], ['js_fetch_keepalive_timeout', 'TAKE1'],
  ].flatMap(([n, a]) => [[n, HSL, a, false, 'njs'], [n, SS, a, false, 'njs']]),
  // --- nginx-otel (ngx_otel_module; nginx.org docs) ---
  ['otel_exporter', 'http', 'NOARGS', true, 'otel'],
  ['otel_service_name', 'http', 'TAKE1', false, 'otel'],
  ['otel_resource_attr', 'http', 'TAKE2', false, 'otel'],
  ['otel_trace', HSL, 'TAKE1', false, 'otel'],
  ['otel_trace_context', HSL, 'TAKE1', false, 'otel'],
  ['otel_span_name', HSL, 'TAKE1', false, 'otel'],
  ['otel_span_attr', HSL, 'TAKE2', false, 'otel'],
  // --- nginx-acme (ngx_http_acme_module; nginx.org docs) ---
  ['acme_issuer', 'http', 'TAKE1', true, 'acme'],
  ['acme_shared_zone', 'http', 'TAKE1', false, 'acme'],
  ['acme_certificate', 'server', '1MORE', false, 'acme'],
];

const shapes = parseTree(newDir);
const notes = new Map();
if (oldDir) {
  for (const [name, list] of parseTree(oldDir)) {
    if (shapes.has(name)) continue;
    shapes.set(name, list);
    notes.set(name, `removed: in nginx ${basename(oldDir).replace(/^nginx-/, '')}, not in ${basename(newDir).replace(/^nginx-/, '')}`);
  }
}
for (const [name, ctx, args, block, note] of SUPPLEMENT) {
  const list = shapes.get(name) ?? [];
  // A source tree that already has this definition wins over the hand-written line.
  if (list.some((s) => s.file && s.ctx.some((c) => ctx.split(' ').includes(c)))) continue;
  list.push({ ctx: ctx.split(' '), args: args.split(' '), block, file: '' });
  shapes.set(name, list);
  const prev = notes.get(name);
  if (!prev?.includes(note)) notes.set(name, prev ? `${prev}; ${note}` : note);
}

for (const list of shapes.values()) {
  for (const s of list) {
    for (const c of s.ctx) if (!CTX_ORDER.includes(c)) throw new Error(`bad ctx ${c}`);
    for (const a of s.args) if (!ARG_ORDER.includes(a)) throw new Error(`bad arg ${a}`);
  }
}

// Common context sets get a short constant.
const CTX_CONSTS = new Map([
  ['main', 'MAIN'],
  ['events', 'EVENTS'],
  ['http', 'H'],
  ['http server', 'HS'],
  ['http server location', 'HSL'],
  ['http server location lif', 'HSLI'],
  ['location', 'L'],
  ['location lif', 'LI'],
  ['upstream', 'U'],
  ['stream', 'ST'],
  ['stream stream_server', 'SS'],
  ['stream_server', 'SSRV'],
  ['stream_upstream', 'SU'],
  ['mail mail_server', 'MS'],
]);

const q = (s) => `'${s}'`;
const key = (n) => (/^[a-z_][a-z0-9_]*$/.test(n) ? n : q(n));
const lines = [];
for (const name of [...shapes.keys()].sort()) {
  const list = shapes.get(name);
  const parts = list.map((s) => {
    const ctxKey = s.ctx.join(' ');
    const ctx = CTX_CONSTS.get(ctxKey) ?? `[${s.ctx.map(q).join(', ')}]`;
    const args = `[${s.args.map(q).join(', ')}]`;
    return `s(${ctx}, ${args}${s.block ? ', true' : ''})`;
  });
  const note = notes.get(name);
  lines.push(`  ${key(name)}: [${parts.join(', ')}],${note ? ` // ${note}` : ''}`);
}

const constLines = [...CTX_CONSTS].map(([ctx, n]) => `const ${n}: Ctx[] = [${ctx.split(' ').map(q).join(', ')}];`);

process.stdout.write(`// nginx directive shapes: allowed contexts, argument-count masks and block-ness, one Shape per
// module definition of a name (e.g. \`server\` in http, upstream, stream, mail).
//
// GENERATED by server/scripts/gen-directive-args.mjs; edit SUPPLEMENT there, not this file.
// Provenance:
//  - The bulk is read from the ngx_command_t arrays of nginx's own source, nginx ${basename(newDir).replace(/^nginx-/, '')}
//    (Debian's orig tarball via \`apt-get source nginx\`): every module under src/, whether or not a
//    given build compiles it in (http_v2/v3, grpc, perl, xslt, geoip, image_filter, stream_*, mail_*, ...).
//    NGX_MAIN_CONF and NGX_DIRECT_CONF both map to 'main'; NGX_ANY_CONF (\`include\`) to every context.${oldDir ? `
//  - Directives present in nginx ${basename(oldDir).replace(/^nginx-/, '')} but gone from the newer source are kept, marked "removed".` : ''}
//  - Later open-source additions (1.27-1.30), NGINX Plus, njs, nginx-otel and nginx-acme directives
//    were written by hand from nginx's change log and the nginx.org reference (the same text as
//    @nginx/reference-lib); those lines carry a note. Directives that live only inside the Plus/acme
//    blocks (oidc_provider, mgmt, acme_issuer, otel_exporter) are not listed: those contexts are not a Ctx.
// Version gating (appeared/removed) is data/versions.ts's job, not this table's.

export type Ctx = 'main' | 'events' | 'http' | 'server' | 'location' | 'sif' | 'lif' | 'limit_except' | 'upstream'
  | 'stream' | 'stream_server' | 'stream_upstream' | 'mail' | 'mail_server';
// sif = \`if\` inside server, lif = \`if\` inside location
export type ArgMask = 'NOARGS' | 'TAKE1' | 'TAKE2' | 'TAKE3' | 'TAKE4' | 'TAKE5' | 'TAKE6' | 'TAKE7' | 'FLAG' | '1MORE' | '2MORE' | 'ANY';
export interface Shape { ctx: Ctx[]; args: ArgMask[]; block: boolean } // args: the OR-ed masks, e.g. TAKE12 => ['TAKE1','TAKE2']

/** nginx's ngx_conf_handler() argument check; n counts the arguments after the name. */
export function argCountOk(shape: Shape, n: number): boolean {
  const a = shape.args;
  if (a.includes('ANY')) return true;
  if (a.includes('FLAG')) return n === 1;
  if (a.includes('1MORE')) return n >= 1;
  if (a.includes('2MORE')) return n >= 2;
  if (n > 7) return false; // NGX_CONF_MAX_ARGS counts the name too
  return a.includes(n === 0 ? 'NOARGS' : (\`TAKE\${n}\` as ArgMask));
}

const s = (ctx: Ctx[], args: ArgMask[], block = false): Shape => ({ ctx, args, block });
${constLines.join('\n')}

export const DIRECTIVE_SHAPES: Record<string, Shape[]> = {
${lines.join('\n')}
};
`);
