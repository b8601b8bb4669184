// Tokenizes nginx snippets and the real-world corpus with the nginx TextMate grammar, using the same engine VS Code
// uses (vscode-textmate + the Oniguruma wasm from node_modules; nothing is fetched).
//
// Run: node --import tsx --test test/unit/grammar.test.ts
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vsctm from 'vscode-textmate';
import * as oniguruma from 'vscode-oniguruma';
import fc from 'fast-check';

const ROOT = path.resolve(__dirname, '..', '..');
const GRAMMAR_PATH = path.join(ROOT, 'syntaxes', 'nginx.tmLanguage.json');
const LANGUAGE_CONFIGURATION_PATH = path.join(ROOT, 'syntaxes', 'nginx.language-configuration.json');
const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');

/** A one-rule stand-in for VS Code's Lua grammar, to see that Lua bodies are handed to `source.lua`. */
const LUA_STUB: vsctm.IRawGrammar = {
  scopeName: 'source.lua',
  patterns: [{ match: '\\b(?:local|if|then|else|end|return|function)\\b', name: 'keyword.control.lua' }],
  repository: {},
} as unknown as vsctm.IRawGrammar;

let grammar: vsctm.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName === 'source.nginx') {
        return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH);
      }
      if (scopeName === 'source.lua') return LUA_STUB;
      return null;
    },
  });
  const loaded = await registry.loadGrammar('source.nginx');
  assert.ok(loaded, 'source.nginx grammar loads');
  grammar = loaded;
});

// ---------------------------------------------------------------------------------------------------------------
// Tokenizing helpers

interface Tok {
  line: number;
  start: number;
  end: number;
  text: string;
  scopes: string[];
}

interface Tokenized {
  lines: string[];
  tokens: Tok[];
  state: vsctm.StateStack;
  stoppedEarly: boolean;
}

function tokenize(text: string, timeLimitMs = 1000): Tokenized {
  const lines = text.split(/\r?\n/);
  const tokens: Tok[] = [];
  let state: vsctm.StateStack = vsctm.INITIAL;
  let stoppedEarly = false;
  lines.forEach((line, lineNo) => {
    const r = grammar.tokenizeLine(line, state, timeLimitMs);
    if (r.stoppedEarly) stoppedEarly = true;
    for (const t of r.tokens) {
      const end = Math.min(t.endIndex, line.length);
      if (end <= t.startIndex) continue;
      tokens.push({ line: lineNo, start: t.startIndex, end, text: line.slice(t.startIndex, end), scopes: t.scopes });
    }
    state = r.ruleStack;
  });
  return { lines, tokens, state, stoppedEarly };
}

function hasScope(scopes: readonly string[], scope: string): boolean {
  return scopes.some((s) => s === scope || s.startsWith(scope + '.'));
}

/** Tokens covering the `nth` occurrence of `needle` (the needle must not span lines). */
function tokensOf(res: Tokenized, needle: string, nth = 0): Tok[] {
  let seen = 0;
  for (let line = 0; line < res.lines.length; line++) {
    let from = 0;
    for (;;) {
      const col = res.lines[line].indexOf(needle, from);
      if (col < 0) break;
      if (seen++ === nth) {
        return res.tokens.filter((t) => t.line === line && t.end > col && t.start < col + needle.length);
      }
      from = col + 1;
    }
  }
  throw new Error(`"${needle}" (occurrence ${nth}) not found in snippet`);
}

/** Tokens covering `needle` inside the first occurrence of `context`. */
function tokensIn(res: Tokenized, context: string, needle: string): Tok[] {
  for (let line = 0; line < res.lines.length; line++) {
    const at = res.lines[line].indexOf(context);
    if (at < 0) continue;
    const col = context.indexOf(needle);
    assert.ok(col >= 0, `"${needle}" is not part of "${context}"`);
    return res.tokens.filter((t) => t.line === line && t.end > at + col && t.start < at + col + needle.length);
  }
  throw new Error(`"${context}" not found in snippet`);
}

/** The `needle` part of `context` carries `scope`. */
function expectScopeIn(res: Tokenized, context: string, needle: string, scope: string): void {
  for (const t of tokensIn(res, context, needle)) {
    assert.ok(hasScope(t.scopes, scope), `"${needle}" in "${context}": token "${t.text}" has [${t.scopes.join(', ')}], expected ${scope}`);
  }
}

/** The `needle` part of `context` does not carry `scope`. */
function expectNoScopeIn(res: Tokenized, context: string, needle: string, scope: string): void {
  for (const t of tokensIn(res, context, needle)) {
    assert.ok(!hasScope(t.scopes, scope), `"${needle}" in "${context}": token "${t.text}" has [${t.scopes.join(', ')}], should not have ${scope}`);
  }
}

/** Every token of the needle carries `scope` (or a more specific scope under it). */
function expectScope(res: Tokenized, needle: string, scope: string, nth = 0): void {
  for (const t of tokensOf(res, needle, nth)) {
    assert.ok(hasScope(t.scopes, scope), `"${needle}"#${nth}: token "${t.text}" has [${t.scopes.join(', ')}], expected ${scope}`);
  }
}

/** No token of the needle carries `scope`. */
function expectNoScope(res: Tokenized, needle: string, scope: string, nth = 0): void {
  for (const t of tokensOf(res, needle, nth)) {
    assert.ok(!hasScope(t.scopes, scope), `"${needle}"#${nth}: token "${t.text}" has [${t.scopes.join(', ')}], should not have ${scope}`);
  }
}

/** The needle is exactly one token. */
function expectOneToken(res: Tokenized, needle: string, nth = 0): Tok {
  const toks = tokensOf(res, needle, nth);
  assert.equal(toks.length, 1, `"${needle}" should be one token, got ${JSON.stringify(toks.map((t) => t.text))}`);
  assert.equal(toks[0].text, needle);
  return toks[0];
}

function expectRootState(res: Tokenized, what = 'snippet'): void {
  assert.equal(res.state.depth, 1, `${what}: a rule is still open at end of input (stack depth ${res.state.depth})`);
  assert.equal(res.stoppedEarly, false, `${what}: tokenization hit the time limit`);
}

const snippet = (lines: string[]): string => lines.join('\n') + '\n';

// ---------------------------------------------------------------------------------------------------------------
// Grammar sanity

describe('grammar file', () => {
  test('every regex in the grammar compiles with Oniguruma', () => {
    const raw = JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8')) as unknown;
    assert.equal((raw as { scopeName: string }).scopeName, 'source.nginx');
    const regexes: Array<{ where: string; source: string }> = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (typeof v === 'string' && (k === 'match' || k === 'begin' || k === 'end' || k === 'while')) {
            // end/while may refer to begin captures (\1); the engine substitutes them before compiling.
            regexes.push({ where: `${where}.${k}`, source: k === 'end' || k === 'while' ? v.replace(/\\(\d+)/g, 'x') : v });
          } else walk(v, `${where}.${k}`);
        }
      }
    };
    walk(raw, '$');
    assert.ok(regexes.length > 40, `found ${regexes.length} regexes`);
    for (const { where, source } of regexes) {
      assert.doesNotThrow(() => new oniguruma.OnigScanner([source]).dispose(), `${where}: ${source}`);
    }
  });

  test('every #include names a repository rule', () => {
    const raw = JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8')) as { repository: Record<string, unknown> };
    const text = JSON.stringify(raw);
    for (const m of text.matchAll(/"include":"#([^"]+)"/g)) {
      assert.ok(m[1] in raw.repository, `#${m[1]} is not defined`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Snippets

describe('tokenization of representative snippets', () => {
  test('server block with a regex location', () => {
    const res = tokenize(
      snippet([
        'server {',
        '    listen 80 default_server;',
        '    listen [::]:443 ssl;',
        '    server_name example.com ~^(www\\.)?(?<domain>.+)$;',
        '    client_max_body_size 10m;',
        '    keepalive_timeout 30s;',
        '    location ~* \\.(?:css|js)$ {',
        '        expires 1h;',
        '        access_log off;',
        '    }',
        '    location = /50x.html { root /usr/share/nginx/html; }',
        '    location ^~ /static/ { try_files $uri @backend; }',
        '    location @backend {',
        '        proxy_pass http://127.0.0.1:8080$request_uri;',
        '        fastcgi_pass unix:/run/php/php8.2-fpm.sock;',
        '    }',
        '}',
      ]),
    );
    expectScope(res, 'server', 'keyword.control.context.nginx');
    expectScope(res, 'listen', 'entity.name.function.directive.nginx');
    expectScope(res, '80', 'constant.numeric.nginx');
    expectNoScope(res, 'default_server', 'entity.name.function');
    expectScope(res, '[::]', 'constant.numeric.ip-address.nginx');
    expectScope(res, '443', 'constant.numeric.port.nginx');
    expectScope(res, 'server_name', 'entity.name.function.directive.nginx');
    expectScope(res, '~', 'keyword.operator.regex.nginx');
    expectScope(res, '^(www\\.)?(?<domain>.+)$', 'string.regexp.nginx');
    expectScope(res, '10m', 'constant.numeric.nginx');
    expectScopeIn(res, '10m;', 'm', 'keyword.other.unit.nginx');
    expectScopeIn(res, '10m;', '10', 'constant.numeric.nginx');
    expectNoScopeIn(res, '10m;', '10', 'keyword.other.unit');
    expectScope(res, '30s', 'constant.numeric.nginx');
    expectScope(res, '1h', 'constant.numeric.nginx');
    expectScope(res, 'location', 'keyword.control.context.nginx');
    expectScope(res, '~*', 'keyword.operator.location-modifier.nginx');
    expectScope(res, '\\.(?:css|js)$', 'string.regexp.nginx');
    expectScopeIn(res, '\\.(?:css', '\\.', 'constant.character.escape.regexp.nginx');
    expectScopeIn(res, 'css|js', '|', 'keyword.operator.or.regexp.nginx');
    expectScopeIn(res, 'js)$ {', '$', 'keyword.control.anchor.regexp.nginx');
    expectScope(res, '{', 'punctuation.section.block.begin.nginx');
    expectScope(res, 'off', 'constant.language.boolean.nginx');
    expectScope(res, '=', 'keyword.operator.location-modifier.nginx');
    expectScope(res, '/50x.html', 'string.unquoted.path.location.nginx');
    expectScope(res, '^~', 'keyword.operator.location-modifier.nginx');
    expectScope(res, '/static/', 'string.unquoted.path.location.nginx');
    expectScope(res, '$uri', 'variable.other.nginx');
    expectScope(res, '@backend', 'entity.name.label.location.nginx');
    expectScope(res, '@backend', 'entity.name.label.location.nginx', 1);
    expectScope(res, 'http://127.0.0.1:8080$request_uri', 'markup.underline.link.nginx');
    expectScope(res, '$request_uri', 'variable.other.nginx');
    expectScope(res, 'unix', 'keyword.other.unix-socket.nginx');
    expectScope(res, '/run/php/php8.2-fpm.sock', 'string.unquoted.path.socket.nginx');
    expectScope(res, ';', 'punctuation.terminator.nginx');
    const closers = res.tokens.filter((t) => t.text === '}');
    assert.equal(closers.length, 5);
    for (const c of closers) assert.ok(hasScope(c.scopes, 'punctuation.section.block.end.nginx'), c.scopes.join(' '));
    expectRootState(res);
  });

  test('IPs, CIDRs, host:port and numbers', () => {
    const res = tokenize(
      snippet([
        'set_real_ip_from 10.0.0.0/8;',
        'upstream php { server 127.0.0.1:9000 weight=5; server php-fpm:9000 max_fails=3; }',
        'allow 2001:db8::/32;',
        'proxy_read_timeout 1h30m;',
      ]),
    );
    expectScope(res, '10.0.0.0/8', 'constant.numeric.ip-address.nginx');
    expectScope(res, 'upstream', 'keyword.control.context.nginx');
    expectScope(res, 'server', 'entity.name.function.directive.nginx'); // inside upstream: a simple directive
    expectScope(res, '127.0.0.1', 'constant.numeric.ip-address.nginx');
    expectScope(res, '9000', 'constant.numeric.port.nginx');
    expectScope(res, 'php-fpm', 'string.unquoted.hostname.nginx');
    expectScope(res, '2001:db8::/32', 'constant.numeric.ip-address.nginx');
    expectScope(res, '1h30m', 'constant.numeric.nginx');
    expectRootState(res);
  });

  test('quoted strings with escaped quotes, and strings spanning lines', () => {
    const res = tokenize(
      snippet([
        'add_header X-Test "say \\"hi\\" to $remote_addr; {not a block}" always;',
        "return 200 'it\\'s ${host} # not a comment';",
        "log_format main '$remote_addr \"$request\" '",
        "                '$status';",
        'access_log /var/log/nginx/access.log main;',
      ]),
    );
    expectScope(res, '"say \\"hi\\" to $remote_addr; {not a block}"', 'string.quoted.double.nginx');
    expectScope(res, '\\"', 'constant.character.escape.nginx');
    expectScope(res, '\\"', 'constant.character.escape.nginx', 1);
    expectScope(res, '$remote_addr', 'variable.other.nginx');
    expectNoScope(res, '; {', 'punctuation'); // the ';' and '{' inside the string are text
    expectNoScope(res, 'always', 'string');
    expectScope(res, "'it\\'s ${host} # not a comment'", 'string.quoted.single.nginx');
    expectScope(res, "\\'", 'constant.character.escape.nginx');
    expectScope(res, '${host}', 'variable.other.nginx');
    expectNoScope(res, '# not a comment', 'comment');
    // nginx strings may span lines: the second line is still inside the log_format string
    expectScope(res, '$status', 'string.quoted.single.nginx');
    expectScope(res, '$status', 'variable.other.nginx');
    expectScope(res, 'access_log', 'entity.name.function.directive.nginx');
    expectNoScope(res, 'access_log', 'string');
    expectRootState(res);
  });

  test('${VAR} templates (envsubst-style) are variables', () => {
    const res = tokenize(
      snippet([
        'server {',
        '    listen ${NGINX_PORT};',
        '    server_name ${SERVER_NAME}.example.com;',
        '    location / { proxy_pass http://${UPSTREAM_HOST}:${UPSTREAM_PORT}; }',
        '    set $target "${scheme}://$host";',
        '}',
      ]),
    );
    for (const v of ['${NGINX_PORT}', '${SERVER_NAME}', '${UPSTREAM_HOST}', '${UPSTREAM_PORT}', '${scheme}', '$host']) {
      expectScope(res, v, 'variable.other.nginx');
    }
    expectScope(res, '$', 'punctuation.definition.variable.nginx');
    expectScopeIn(res, '${NGINX_PORT}', '{', 'punctuation.definition.variable.begin.nginx');
    expectScope(res, 'NGINX_PORT}', 'variable.other.nginx');
    expectScope(res, '}', 'punctuation.definition.variable.end.nginx');
    expectNoScope(res, '${NGINX_PORT}', 'punctuation.section.block');
    expectScope(res, 'http://${UPSTREAM_HOST}:${UPSTREAM_PORT}', 'markup.underline.link.nginx');
    expectScope(res, '"${scheme}://$host"', 'string.quoted.double.nginx');
    expectRootState(res);
  });

  test('a comment after ";" and comments between arguments', () => {
    const res = tokenize(
      snippet([
        'root /var/www/html; # document root { not a block',
        'gzip on;#no space',
        'index index.php',
        '      # a comment inside a statement',
        '      index.html;',
        'sendfile on;',
      ]),
    );
    expectScope(res, '# document root { not a block', 'comment.line.number-sign.nginx');
    expectScope(res, '#', 'punctuation.definition.comment.nginx');
    expectScope(res, '#no space', 'comment.line.number-sign.nginx');
    expectScope(res, '# a comment inside a statement', 'comment.line.number-sign.nginx');
    expectNoScope(res, 'index.html', 'comment');
    expectScope(res, 'sendfile', 'entity.name.function.directive.nginx');
    expectNoScope(res, 'sendfile', 'comment');
    expectRootState(res);
  });

  test('"#" and quotes inside a word are part of the word (a#b, don\'t)', () => {
    const res = tokenize(
      snippet([
        'add_header X-Anchor a#b;',
        "add_header X-Message don't;",
        'add_header X-Quote right-"quote";',
        'log_format escaped \\#arg\\ 1 ok;',
        'server_tokens off;',
      ]),
    );
    const ab = expectOneToken(res, 'a#b');
    assert.ok(!hasScope(ab.scopes, 'comment'), ab.scopes.join(' '));
    expectScope(res, ';', 'punctuation.terminator.nginx'); // the ';' after a#b is not swallowed by a comment
    const dont = expectOneToken(res, "don't");
    assert.ok(!hasScope(dont.scopes, 'string'), dont.scopes.join(' '));
    expectNoScope(res, 'right-"quote"', 'string');
    expectScope(res, '\\#', 'constant.character.escape.nginx');
    expectNoScope(res, '\\#arg\\ 1', 'comment');
    expectScope(res, 'ok', 'source.nginx');
    expectNoScope(res, 'ok', 'comment');
    expectScope(res, 'server_tokens', 'entity.name.function.directive.nginx');
    expectScope(res, 'off', 'constant.language.boolean.nginx');
    expectRootState(res);
  });

  test('*_by_lua_block bodies are embedded Lua with balanced braces', () => {
    const res = tokenize(
      snippet([
        'location /lua {',
        '    content_by_lua_block {',
        '        local t = { a = 1, b = { c = "}" } }  -- a comment with } and {',
        "        ngx.say('{ not a block')",
        '        --[[ long comment }',
        '        ]] local s = [==[ } ]==]',
        '    }',
        '    set_by_lua_block $res { return 32 + 56 }',
        '    return 200;',
        '}',
      ]),
    );
    expectScope(res, 'content_by_lua_block', 'keyword.control.context.lua.nginx');
    expectScopeIn(res, 'content_by_lua_block {', '{', 'punctuation.section.block.begin.nginx');
    expectScope(res, 'local', 'meta.embedded.block.lua');
    expectScope(res, 'local', 'keyword.control.lua'); // handed to source.lua (here: the stub)
    expectScope(res, '"}"', 'string.quoted.double.lua');
    expectScope(res, '-- a comment with } and {', 'comment.line.double-dash.lua');
    expectScope(res, "'{ not a block'", 'string.quoted.single.lua');
    expectScope(res, '--[[ long comment }', 'comment.block.lua');
    expectScope(res, '[==[ } ]==]', 'string.quoted.other.multiline.lua');
    expectNoScope(res, '{ c =', 'punctuation.section.block');
    const luaEnd = res.tokens.filter((t) => t.line === 6 && t.text === '}'); // the "    }" closing the Lua block
    assert.equal(luaEnd.length, 1);
    assert.ok(hasScope(luaEnd[0].scopes, 'punctuation.section.block.end.nginx'), luaEnd[0].scopes.join(' '));
    assert.ok(!hasScope(luaEnd[0].scopes, 'meta.embedded'), luaEnd[0].scopes.join(' '));
    expectScope(res, 'set_by_lua_block', 'keyword.control.context.lua.nginx');
    expectScope(res, '$res', 'variable.other.nginx');
    expectScope(res, 'return 32', 'meta.embedded.block.lua');
    expectScopeIn(res, 'return 200;', 'return', 'entity.name.function.directive.nginx'); // nginx again
    expectNoScopeIn(res, 'return 200;', 'return', 'meta.embedded');
    expectScope(res, '200', 'constant.numeric.nginx');
    expectRootState(res);
  });

  test('map, types and geo bodies are key/value entries', () => {
    const res = tokenize(
      snippet([
        'map $http_upgrade $connection_upgrade {',
        '    default     upgrade;',
        "    ''          close;",
        '    ~*^websocket  upgrade;',
        "    '~Opera Mini' 1;",
        '    "~^/(?<ver>v\\d+)/" $ver;',
        '    *.example.com  "yes"; # wildcard',
        '    hostnames;',
        '}',
        'types {',
        '    text/html  html htm shtml;',
        '    application/json json;',
        '}',
        'geo $remote_addr $trusted { default 0; 10.0.0.0/8 1; }',
        'types_hash_max_size 2048;',
      ]),
    );
    expectScope(res, 'map', 'keyword.control.context.nginx');
    expectScope(res, '$http_upgrade', 'variable.other.nginx');
    expectScope(res, '$connection_upgrade', 'variable.other.nginx');
    expectScope(res, 'default', 'keyword.other.nginx');
    expectScopeIn(res, 'default     upgrade;', 'upgrade', 'meta.block.map.nginx');
    expectNoScopeIn(res, 'default     upgrade;', 'upgrade', 'support.type.property-name');
    expectScope(res, "''", 'string.quoted.single.nginx');
    expectNoScope(res, 'close', 'support.type.property-name');
    expectScope(res, '~*', 'keyword.operator.regex.nginx');
    expectScope(res, '^websocket', 'string.regexp.nginx');
    expectNoScopeIn(res, '^websocket  upgrade', 'upgrade', 'string.regexp');
    expectScope(res, "'~Opera Mini'", 'string.regexp.nginx');
    expectScope(res, '"~^/(?<ver>v\\d+)/"', 'string.regexp.nginx');
    expectScope(res, 'ver', 'entity.name.tag.group.regexp.nginx');
    expectScope(res, '$ver', 'variable.other.nginx');
    expectScope(res, '*.example.com', 'support.type.property-name.nginx');
    expectScope(res, '"yes"', 'string.quoted.double.nginx');
    expectScope(res, '# wildcard', 'comment.line.number-sign.nginx');
    expectScope(res, 'hostnames', 'keyword.other.nginx');
    expectScope(res, 'types', 'keyword.control.context.nginx');
    expectScope(res, 'text/html', 'support.type.property-name.nginx');
    expectNoScope(res, 'html htm', 'support.type.property-name');
    expectScope(res, 'application/json', 'support.type.property-name.nginx');
    expectScope(res, 'geo', 'keyword.control.context.nginx');
    expectScope(res, '10.0.0.0/8', 'support.type.property-name.nginx');
    expectScope(res, 'types_hash_max_size', 'entity.name.function.directive.nginx');
    const enders = res.tokens.filter((t) => t.text === '}');
    assert.equal(enders.length, 3);
    for (const e of enders) assert.ok(hasScope(e.scopes, 'punctuation.section.block.end.nginx'));
    expectRootState(res);
  });

  test('if ($request_method = POST) { return 405; } and other conditions', () => {
    const res = tokenize(
      snippet([
        'if ($request_method = POST) { return 405; }',
        'if ($http_user_agent ~* (bot|crawler)) { return 403; }',
        'if (!-f $request_filename) {',
        '    rewrite ^/(.*)$ /index.php?q=$1 last;',
        '}',
        'if ($args ~ "^a=(\\d{2})$") { set $x $1; }',
      ]),
    );
    expectScope(res, 'if', 'keyword.control.conditional.nginx');
    expectScope(res, '(', 'punctuation.section.parens.begin.nginx');
    expectScope(res, '$request_method', 'variable.other.nginx');
    expectScope(res, '=', 'keyword.operator.comparison.nginx');
    expectOneToken(res, 'POST');
    expectNoScope(res, 'POST', 'variable');
    expectScope(res, ')', 'punctuation.section.parens.end.nginx');
    expectScope(res, '{', 'punctuation.section.block.begin.nginx');
    expectScope(res, 'return', 'entity.name.function.directive.nginx');
    expectScope(res, '405', 'constant.numeric.nginx');
    expectScope(res, '}', 'punctuation.section.block.end.nginx');
    expectScope(res, '~*', 'keyword.operator.regex.nginx');
    expectScope(res, '(bot|crawler)', 'string.regexp.nginx');
    // "(bot|crawler))": the inner ")" is regex, the last one closes the condition
    expectScopeIn(res, 'crawler)) {', 'crawler)', 'string.regexp.nginx');
    const lastParen = tokensIn(res, 'crawler)) {', 'crawler))').filter((t) => t.text === ')').pop();
    assert.ok(lastParen && hasScope(lastParen.scopes, 'punctuation.section.parens.end.nginx'), lastParen?.scopes.join(' '));
    assert.ok(!hasScope(lastParen.scopes, 'string.regexp'));
    expectScope(res, '!-f', 'keyword.operator.file-test.nginx');
    expectScope(res, 'rewrite', 'entity.name.function.directive.nginx');
    expectScope(res, '^/(.*)$', 'string.regexp.nginx');
    expectNoScope(res, '/index.php?q=', 'string.regexp');
    expectScope(res, '$1', 'variable.other.nginx');
    expectScope(res, 'last', 'keyword.other.flag.nginx');
    expectScope(res, '"^a=(\\d{2})$"', 'string.regexp.nginx');
    expectScope(res, '{2}', 'keyword.operator.quantifier.regexp.nginx');
    expectScope(res, 'set', 'entity.name.function.directive.nginx');
    expectRootState(res);
  });

  test('broken input does not swallow the rest of the file', () => {
    const res = tokenize(
      snippet([
        'http {',
        '    server {',
        '        location /missing-semicolon {',
        '            proxy_pass http://is.broken.example',
        '        }',
        '        location /ok { return 204; }',
        '    }',
        '}',
        '}',
        'worker_processes 1;',
      ]),
    );
    const braceAt = (line: number): Tok => res.tokens.filter((t) => t.line === line && t.text === '}')[0];
    assert.ok(hasScope(braceAt(4).scopes, 'punctuation.section.block.end.nginx')); // closes the location despite the missing ';'
    expectScopeIn(res, 'location /ok', 'location', 'keyword.control.context.nginx');
    expectScopeIn(res, 'return 204;', 'return', 'entity.name.function.directive.nginx');
    assert.ok(hasScope(braceAt(8).scopes, 'invalid.illegal.stray-brace.nginx'), braceAt(8).scopes.join(' '));
    expectScope(res, 'worker_processes', 'entity.name.function.directive.nginx');
    expectRootState(res);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Language configuration

describe('language configuration', () => {
  const conf = JSON.parse(fs.readFileSync(LANGUAGE_CONFIGURATION_PATH, 'utf8')) as {
    comments: { lineComment: string };
    brackets: string[][];
    autoClosingPairs: Array<{ open: string; close: string; notIn?: string[] }>;
    surroundingPairs: string[][];
    folding: { markers: { start: string; end: string } };
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
    wordPattern: string;
  };

  test('comments, brackets and pairs', () => {
    assert.equal(conf.comments.lineComment, '#');
    assert.deepEqual(conf.brackets, [['{', '}'], ['(', ')'], ['[', ']']]);
    const quote = conf.autoClosingPairs.find((p) => p.open === '"');
    assert.deepEqual(quote?.notIn, ['string', 'comment']);
    assert.ok(conf.autoClosingPairs.some((p) => p.open === "'" && p.notIn?.includes('string')));
    assert.ok(conf.surroundingPairs.some(([o, c]) => o === '{' && c === '}'));
  });

  test('folding and indentation follow braces', () => {
    const start = new RegExp(conf.folding.markers.start);
    const end = new RegExp(conf.folding.markers.end);
    const inc = new RegExp(conf.indentationRules.increaseIndentPattern);
    const dec = new RegExp(conf.indentationRules.decreaseIndentPattern);
    for (const line of ['server {', '    location ~ \\.php$ {  # php', 'map $a $b {']) {
      assert.ok(start.test(line), line);
      assert.ok(inc.test(line), line);
    }
    for (const line of ['    # server {', 'listen 80;', 'location / { return 204; }']) {
      assert.ok(!inc.test(line), line);
    }
    assert.ok(end.test('    }'));
    assert.ok(dec.test('  }'));
    assert.ok(!dec.test('  listen 80;'));
  });

  test('wordPattern keeps $, _, - and . inside words', () => {
    const words = 'proxy_pass http://${HOST}:80$request_uri; php8.2-fpm.sock $host$uri'.match(new RegExp(conf.wordPattern, 'g'));
    assert.deepEqual(words, ['proxy_pass', 'http', '${HOST}', '80', '$request_uri', 'php8.2-fpm.sock', '$host', '$uri']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real-world corpus

/**
 * A reference lexer that follows nginx's ngx_conf_read_token (and lua-nginx-module's Lua block reader) closely
 * enough to count what the grammar must agree on: block braces, "#" comments and quoted tokens. `fatal` lists
 * what makes nginx stop reading the file (a stray "}", end of file inside a string, block or statement); files
 * without one must end with no grammar rule left open.
 */
interface LexSummary {
  blockBegins: number;
  blockEnds: number;
  comments: number;
  quotes: number;
  fatal: string[];
  soft: string[];
}

function nginxLex(text: string): LexSummary {
  const out: LexSummary = { blockBegins: 0, blockEnds: 0, comments: 0, quotes: 0, fatal: [], soft: [] };
  const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  let lastSpace = true;
  let needSpace = false;
  let sharp = false;
  let quoted = false;
  let sQuoted = false;
  let dQuoted = false;
  let variable = false;
  let args: string[] = [];
  let tok = '';
  let depth = 0;
  const endToken = (): void => {
    args.push(tok);
    tok = '';
  };
  // returns the index of the "}" closing a Lua block that starts after `from`
  const skipLua = (from: number): number => {
    let level = 0;
    let i = from;
    while (i < text.length) {
      const rest = text.slice(i, i + 64);
      const long = /^(--)?\[(=*)\[/.exec(rest);
      if (long) {
        const close = text.indexOf(`]${long[2]}]`, i + long[0].length);
        i = close < 0 ? text.length : close + long[2].length + 2;
        continue;
      }
      const c = text[i];
      if (c === '-' && text[i + 1] === '-') {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? text.length : nl;
        continue;
      }
      if (c === '"' || c === "'") {
        i++;
        while (i < text.length && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
        i++;
        continue;
      }
      if (c === '{') level++;
      else if (c === '}') {
        if (level === 0) return i;
        level--;
      }
      i++;
    }
    return -1;
  };
  const blockStart = (i: number): number => {
    if (args.length === 0) out.soft.push('unexpected "{"');
    const name = args[0] ?? '';
    args = [];
    out.blockBegins++;
    depth++;
    if (/^[A-Za-z0-9_]+_by_lua_block$/.test(name)) {
      const close = skipLua(i + 1);
      if (close < 0) {
        out.fatal.push('end of file in a Lua block');
        return text.length;
      }
      out.blockEnds++;
      depth--;
      return close;
    }
    return i;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n' && sharp) sharp = false;
    if (sharp) continue;
    if (quoted) {
      quoted = false;
      tok += '\\' + ch; // nginx keeps the backslash of most escapes in unquoted words
      continue;
    }
    if (needSpace) {
      if (isSpace(ch)) {
        lastSpace = true;
        needSpace = false;
        continue;
      }
      if (ch === ';' || ch === '{') {
        needSpace = false;
        lastSpace = true;
        if (ch === '{') i = blockStart(i);
        else args = [];
        continue;
      }
      // nginx's lexer lets ")" follow a quoted token anywhere, but only if (...) has a use for it
      if (ch !== ')' || args[0] !== 'if') out.soft.push(`unexpected "${ch}" after a quoted token`);
      needSpace = false;
      lastSpace = true;
    }
    if (lastSpace) {
      if (isSpace(ch)) continue;
      switch (ch) {
        case ';':
          if (args.length === 0) out.soft.push('unexpected ";"');
          args = [];
          continue;
        case '{':
          i = blockStart(i);
          continue;
        case '}':
          if (args.length !== 0) out.soft.push('unexpected "}"');
          args = [];
          if (depth === 0) out.fatal.push('unexpected "}" at top level');
          else {
            depth--;
            out.blockEnds++;
          }
          continue;
        case '#':
          sharp = true;
          out.comments++;
          continue;
        case '\\':
          quoted = true;
          lastSpace = false;
          continue;
        case '"':
          dQuoted = true;
          lastSpace = false;
          out.quotes++;
          continue;
        case "'":
          sQuoted = true;
          lastSpace = false;
          out.quotes++;
          continue;
        case '$':
          variable = true;
          lastSpace = false;
          tok += ch;
          continue;
        default:
          lastSpace = false;
          tok += ch;
          continue;
      }
    }
    if (ch === '{' && variable) {
      tok += ch;
      continue;
    }
    variable = false;
    if (ch === '\\') {
      quoted = true;
      continue;
    }
    if (ch === '$') {
      variable = true;
      tok += ch;
      continue;
    }
    if (dQuoted || sQuoted) {
      if ((dQuoted && ch === '"') || (sQuoted && ch === "'")) {
        dQuoted = sQuoted = false;
        needSpace = true;
        endToken();
      } else tok += ch;
      continue;
    }
    if (isSpace(ch) || ch === ';' || ch === '{') {
      lastSpace = true;
      endToken();
      if (ch === ';') args = [];
      else if (ch === '{') i = blockStart(i);
      continue;
    }
    tok += ch;
  }
  if (dQuoted || sQuoted) out.fatal.push('end of file inside a quoted string');
  else if (!lastSpace || args.length > 0) out.fatal.push('end of file inside a statement (expecting ";")');
  if (depth > 0) out.fatal.push('end of file inside a block (expecting "}")');
  return out;
}

function countChars(res: Tokenized, scope: string): number {
  let n = 0;
  for (const t of res.tokens) if (t.scopes.includes(scope)) n += t.end - t.start;
  return n;
}

/** What the grammar says about a text, in the reference lexer's terms. */
function grammarSummary(res: Tokenized): { blockBegins: number; blockEnds: number; comments: number; quotes: number } {
  return {
    blockBegins: countChars(res, 'punctuation.section.block.begin.nginx'),
    blockEnds: countChars(res, 'punctuation.section.block.end.nginx'),
    comments: countChars(res, 'punctuation.definition.comment.nginx'),
    quotes: countChars(res, 'punctuation.definition.string.begin.nginx'),
  };
}

describe('real-world corpus (../shared/corpus)', () => {
  const manifest = path.join(CORPUS, 'MANIFEST.tsv');
  const present = fs.existsSync(manifest);

  test('the reference lexer agrees with nginx on small cases', () => {
    assert.deepEqual(nginxLex('a#b c; # x\n'), { blockBegins: 0, blockEnds: 0, comments: 1, quotes: 0, fatal: [], soft: [] });
    assert.equal(nginxLex('a { b "}" ; }').blockEnds, 1);
    assert.equal(nginxLex('set $a ${b}c;').fatal.length, 0);
    assert.equal(nginxLex('content_by_lua_block { t = { "}" } -- }\n }').blockEnds, 1);
    assert.deepEqual(nginxLex('a "x').fatal, ['end of file inside a quoted string']);
    assert.deepEqual(nginxLex('}').fatal, ['unexpected "}" at top level']);
  });

  test('every nginx file tokenizes quickly and ends with no rule left open', { skip: present ? false : `no corpus at ${CORPUS}` }, (t) => {
    const rows = fs
      .readFileSync(manifest, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim())
      .map((l) => l.split('\t'))
      .filter((cols) => cols[1]?.startsWith('nginx-'))
      .map(([file, kind, , nginxT, notes]) => ({ file, kind, ok: nginxT === 'ok', notes: notes ?? '' }));
    assert.ok(rows.length >= 150, `expected the corpus to list its nginx files, found ${rows.length}`);

    let totalMs = 0;
    let totalBytes = 0;
    let checked = 0;
    let slowest = { file: '', ms: 0 };
    const failures: string[] = [];
    const excluded: string[] = [];
    for (const { file, ok, notes } of rows) {
      let text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
      // A symlink (e.g. Debian's sites-enabled/default) may have been checked out or copied as a file holding its target.
      const link = /^symlink -> (\S+)/.exec(notes);
      if (link && text.trim() === link[1]) text = fs.readFileSync(path.join(CORPUS, path.dirname(file), link[1]), 'utf8');
      const t0 = performance.now();
      const res = tokenize(text, 500);
      const ms = performance.now() - t0;
      totalMs += ms;
      totalBytes += text.length;
      if (ms > slowest.ms) slowest = { file, ms };
      if (res.stoppedEarly) failures.push(`${file}: a line hit the 500 ms tokenization limit`);
      if (ms > 2000) failures.push(`${file}: took ${ms.toFixed(0)} ms`);

      const ref = nginxLex(text);
      if (ref.fatal.length > 0) {
        // nginx cannot read such a file to its end either; it must not be one nginx accepts
        if (ok) failures.push(`${file}: nginx accepts it, but the reference lexer says ${ref.fatal.join('; ')}`);
        excluded.push(`${file} (${ref.fatal.join('; ')})`);
        continue;
      }
      checked++;
      if (res.state.depth !== 1) failures.push(`${file}: ends with ${res.state.depth - 1} rule(s) still open`);
      const got = grammarSummary(res);
      const want = { blockBegins: ref.blockBegins, blockEnds: ref.blockEnds, comments: ref.comments, quotes: ref.quotes };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failures.push(`${file}: grammar ${JSON.stringify(got)} vs nginx lexer ${JSON.stringify(want)}`);
      }
    }
    t.diagnostic(
      `tokenized ${rows.length} nginx files (${(totalBytes / 1024).toFixed(0)} KiB) in ${totalMs.toFixed(0)} ms; ` +
        `slowest ${slowest.file} ${slowest.ms.toFixed(1)} ms; ${checked} checked against the nginx lexer` +
        (excluded.length ? `; not checkable (nginx cannot read them to the end): ${excluded.join(', ')}` : ''),
    );
    assert.deepEqual(failures, []);
    assert.ok(totalMs < 20000, `whole corpus took ${totalMs.toFixed(0)} ms`);
    assert.ok(checked >= rows.length - 5, `only ${checked} of ${rows.length} files could be checked`);
  });
});

describe('random configs', () => {
  // Pieces that stress the lexical corners: quotes inside words, '#' inside words, '${', escapes, Lua bodies,
  // regex operators, parentheses. A backslash at the end of a line (it escapes the newline in nginx) is left out:
  // a line-based grammar cannot carry "inside a word" to the next line.
  const pieces = [
    '{', '}', ';', '"', "'", '#', '\\', '$', '${x}', 'a', 'b}', ' ', ' ', ' ', '\n', '\n', 'location', 'map', 'if', 'types',
    '(', ')', '~', '~*', '=', 'content_by_lua_block', '--', '[[', ']]', 'server', 'x#y', "don't", 'rewrite', '@n',
    'unix:', 'http://', '10k', '1.2.3.4:80', '"rewrite_by_lua_block"',
  ];

  test('wherever nginx reads a text cleanly, the grammar agrees on blocks, comments and strings and ends at the root', () => {
    let clean = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        if (text.includes('\\\n')) return;
        const ref = nginxLex(text);
        if (ref.fatal.length > 0 || ref.soft.length > 0) return;
        clean++;
        const res = tokenize(text);
        assert.equal(res.state.depth, 1, `rule left open for ${JSON.stringify(text)}`);
        const want = { blockBegins: ref.blockBegins, blockEnds: ref.blockEnds, comments: ref.comments, quotes: ref.quotes };
        assert.deepEqual(grammarSummary(res), want, JSON.stringify(text));
      }),
      { numRuns: 4000, seed: 502 },
    );
    assert.ok(clean > 300, `only ${clean} generated texts were clean nginx`);
  });
});
