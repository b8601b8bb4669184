// Tokenizes PHP-FPM snippets and the corpus's PHP-FPM files with syntaxes/php-fpm.tmLanguage.json,
// using the engine VS Code uses (vscode-textmate + the Oniguruma wasm from node_modules).
//
// Run: node --import tsx --test test/unit/phpfpm-grammar.test.ts

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vsctm from 'vscode-textmate';
import * as oniguruma from 'vscode-oniguruma';

const ROOT = path.resolve(__dirname, '..', '..');
const GRAMMAR = path.join(ROOT, 'syntaxes', 'php-fpm.tmLanguage.json');
const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');

let grammar: vsctm.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => (scopeName === 'source.php-fpm' ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  const g = await registry.loadGrammar('source.php-fpm');
  assert.ok(g, 'source.php-fpm loads');
  grammar = g;
});

/** [text, innermost scope] of every token. */
function tokens(text: string): [string, string][][] {
  let stack = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]] as [string, string]);
  });
}

function scopeOf(line: string, text: string): string | undefined {
  return tokens(line)[0].find(([t]) => t === text)?.[1];
}

test('sections, keys, values, comments', () => {
  assert.equal(scopeOf('[www]', 'www'), 'entity.name.section.pool.php-fpm');
  assert.equal(scopeOf('[global]', 'global'), 'entity.name.section.global.php-fpm');
  assert.equal(scopeOf('  [www]', '  '), 'invalid.illegal.indentation.php-fpm');
  assert.equal(scopeOf('pm.max_children = 5', 'pm.max_children'), 'support.type.property-name.php-fpm');
  assert.equal(scopeOf('pm.max_children = 5', '5'), 'constant.numeric.php-fpm');
  assert.equal(scopeOf('bogus_key = 5', 'bogus_key'), 'variable.other.property.php-fpm');
  assert.equal(scopeOf('pm = dynamic', 'dynamic'), 'constant.language.php-fpm');
  assert.equal(scopeOf('clear_env = no', 'no'), 'constant.language.boolean.php-fpm');
  assert.equal(scopeOf('request_terminate_timeout = 30s', '30s'), 'constant.numeric.php-fpm');
  assert.equal(scopeOf('listen = /run/php/$pool.sock', '$pool'), 'variable.language.pool.php-fpm');
  assert.equal(scopeOf('env[HOME] = ${HOME}', 'HOME'), 'variable.other.key.php-fpm');
  assert.equal(scopeOf('php_admin_value[memory_limit] = 128M', 'php_admin_value'), 'support.function.array.php-fpm');
  assert.equal(scopeOf('php_admin_value[memory_limit] = 128M', '128M'), 'constant.numeric.php-fpm');
  assert.equal(scopeOf('; a comment', ' a comment'), 'comment.line.semicolon.php-fpm');
  assert.equal(scopeOf('pm.max_children = 5 ; five', ' five'), 'comment.line.semicolon.php-fpm');
  assert.equal(scopeOf('# not a comment', '# not a comment'), 'invalid.illegal.hash-comment.php-fpm');
  assert.equal(scopeOf('include=/etc/php/8.2/fpm/pool.d/*.conf', 'include'), 'keyword.control.import.php-fpm');
  const q = tokens('access.format = "%R \\"%m\\" %s" ; c')[0];
  assert.ok(q.some(([t, s]) => t === '\\"' && s === 'constant.character.escape.php-fpm'));
  assert.ok(q.some(([t, s]) => t === ' c' && s === 'comment.line.semicolon.php-fpm'));
  assert.equal(scopeOf('listen.allowed_clients = 127.0.0.1', '127.0.0.1'), undefined, 'an address is not a number');
});

test('the corpus PHP-FPM files tokenize without invalid scopes', { skip: fs.existsSync(CORPUS) ? false : 'no corpus' }, () => {
  const files = fs
    .readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((c) => c[1]?.startsWith('fpm-'))
    .map((c) => path.join(CORPUS, c[0]));
  assert.ok(files.length > 5);
  for (const f of files) {
    const lines = tokens(fs.readFileSync(f, 'utf8'));
    lines.forEach((toks, i) => {
      for (const [t, s] of toks) assert.ok(!s.startsWith('invalid'), `${path.relative(CORPUS, f)}:${i + 1} "${t}" is ${s}`);
    });
  }
});
