// The PHP-FPM checker, data-driven: each folder under test/fixtures/phpfpm/<case>/ holds the
// input files and an expected.json listing every problem as [file, line (1-based), severity,
// code]. Files are copied to a temporary folder with `@DIR@` replaced by its path (so absolute
// includes work). expected.json may also set "inputs" (files given to the checker; default
// php-fpm.conf when present, else every *.conf), "options" (FpmOptions) and "pools" (values the
// model must hold, by pool name). Also unit tests of the INI reader, the value parsers, the
// model, hover and completion.
//
// Run: node --import tsx --test test/unit/phpfpm.test.ts
// Regenerate expected.json after a deliberate change: NGX502_UPDATE_FIXTURES=1 (then review the diff).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource, type FileSource, type ReadResult } from '../../server/src/nginx/files';
import { loadFpm } from '../../server/src/phpfpm/check';
import { accessFormatError, loadFpmConfig, parseListen, type FpmOptions } from '../../server/src/phpfpm/config';
import { fpmCompletion, fpmHover } from '../../server/src/phpfpm/features';
import { atoi, lexLine, parseIni } from '../../server/src/phpfpm/ini';
import { FPM_KEYS, fpmKey } from '../../server/src/phpfpm/keys';
import { parseBoolean, parseInteger, parseTime } from '../../server/src/phpfpm/values';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'phpfpm');
const UPDATE = process.env.NGX502_UPDATE_FIXTURES === '1';

interface Expected {
  inputs?: string[];
  options?: FpmOptions;
  problems: [string, number, string, string][];
  pools?: Record<string, Record<string, unknown>>;
}

function copyCase(src: string, dst: string, root: string): void {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(d, { recursive: true });
      copyCase(s, d, root);
    } else if (e.name !== 'expected.json') {
      const buf = fs.readFileSync(s);
      fs.writeFileSync(d, buf.includes(0) ? buf : Buffer.from(buf.toString('utf8').replace(/@DIR@/g, root), 'utf8'));
    }
  }
}

function confFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...confFiles(p, base));
    else if (e.name.endsWith('.conf')) out.push(path.relative(base, p));
  }
  return out.sort();
}

describe('fixtures', () => {
  const cases = fs.readdirSync(FIXTURES).filter((d) => fs.statSync(path.join(FIXTURES, d)).isDirectory()).sort();
  for (const name of cases) {
    test(name, () => {
      const src = path.join(FIXTURES, name);
      const expectedFile = path.join(src, 'expected.json');
      const expected: Expected = fs.existsSync(expectedFile) ? JSON.parse(fs.readFileSync(expectedFile, 'utf8')) : { problems: [] };
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `ngx502-fpm-${name}-`));
      try {
        copyCase(src, tmp, tmp);
        const inputs = expected.inputs ?? (fs.existsSync(path.join(src, 'php-fpm.conf')) ? ['php-fpm.conf'] : confFiles(src));
        const load = loadFpm(
          inputs.map((f) => path.join(tmp, f)),
          new NodeFileSource(),
          expected.options ?? {},
        );
        const actual: [string, number, string, string][] = [];
        for (const [file, list] of load.problems) {
          for (const p of list) actual.push([path.relative(tmp, file), p.span.start.line + 1, p.severity, p.code]);
        }
        actual.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1] || a[3].localeCompare(b[3]));
        if (UPDATE) {
          const pools = expected.pools;
          const head = { ...(expected.inputs ? { inputs: expected.inputs } : {}), ...(expected.options ? { options: expected.options } : {}) };
          const lines = ['{'];
          for (const [k, v] of Object.entries(head)) lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
          lines.push('  "problems": [', actual.map((p) => '    ' + JSON.stringify(p)).join(',\n'), `  ]${pools ? ',' : ''}`);
          if (pools) lines.push(`  "pools": ${JSON.stringify(pools, null, 2).replace(/\n/g, '\n  ')}`);
          lines.push('}');
          fs.writeFileSync(expectedFile, lines.filter((l) => l !== '').join('\n') + '\n');
          return;
        }
        const want = [...expected.problems].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1] || a[3].localeCompare(b[3]));
        assert.deepEqual(actual, want);
        for (const [poolName, values] of Object.entries(expected.pools ?? {})) {
          const pool = load.pools.find((p) => p.name === poolName);
          assert.ok(pool, `pool ${poolName} is loaded`);
          for (const [k, v] of Object.entries(values)) {
            const got: unknown = k === 'listen' ? pool.values.listen?.address : (pool.values as unknown as Record<string, unknown>)[k];
            assert.deepEqual(got, typeof v === 'string' ? v.replace(/@DIR@/g, tmp) : v, `${poolName}.${k}`);
          }
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The INI reader
// ---------------------------------------------------------------------------------------------

describe('INI reader (per line, as php-fpm)', () => {
  const entry = (line: string): { key?: string; value?: string | null; problems: string[] } => {
    const f = parseIni(line + '\n');
    const st = f.statements.find((s) => s.kind !== 'section');
    return {
      key: st?.kind === 'entry' ? st.key : st?.kind === 'array' ? `${st.name}[${st.key.text}]` : undefined,
      value: st?.kind === 'entry' ? (st.value?.text ?? null) : st?.kind === 'array' ? st.value.text : undefined,
      problems: f.problems.map((p) => p.code),
    };
  };

  test('values as zend_ini_parser reads them', () => {
    const cases: [string, string | null][] = [
      ['k = v', 'v'],
      ['k = yes', '1'],
      ['k = Off', ''],
      ['k = "yes"', 'yes'],
      ["k = 'a;b'", 'a;b'],
      ['k = "a;b" ; c', 'a;b'],
      ['k = 5 ; comment', '5'],
      ['k = 10s;', '10s'],
      ['k = E_ALL & ~E_DEPRECATED', '24575'],
      ['k = 1 | 2', '3'],
      ['k = !1', '0'],
      ['k = (7)', '7'],
      ['k = a^b', '0'],
      ['k = "a\\"b"', 'a"b'],
      ['k = "C:\\path\\"', 'C:\\path\\'],
      ['k = a b', 'a b'],
      ['k = $HOME', '$HOME'],
      ['k = yes.conf', 'yes.conf'],
      ['k =', ''],
      ["k = /run/a.soc'k", '/run/a.soc'],
      ['k', null],
    ];
    for (const [line, value] of cases) assert.equal(entry(line).value, value, line);
  });

  test('keys and arrays', () => {
    assert.equal(entry('  pm.max_children  =  5').key, 'pm.max_children');
    assert.equal(entry('php_value[ x ] = 1').key, 'php_value[x ]');
    assert.equal(entry('php_value["a b"] = 1').key, 'php_value[a b]');
    assert.equal(entry('env[A] = ${HOME}').key, 'env[A]');
  });

  test('syntax errors and php-fpm traps', () => {
    assert.deepEqual(entry('# comment').problems, ['fpm-hash-comment']);
    assert.deepEqual(entry('k = a=b').problems, ['fpm-syntax']);
    assert.deepEqual(entry('k = "open').problems, ['fpm-syntax']);
    assert.deepEqual(entry('k = ${X').problems, ['fpm-syntax']);
    assert.deepEqual(entry('yes = 1').problems, ['fpm-syntax']);
    assert.deepEqual(entry('k = yes no').problems, ['fpm-syntax']);
    assert.deepEqual(entry("k = a'b").problems, ['fpm-ignored-text']);
    const indented = parseIni('  [www]\n');
    assert.deepEqual(indented.problems.map((p) => p.code), ['fpm-syntax']);
    assert.match(indented.problems[0].message, /indented with spaces/);
    assert.deepEqual(parseIni('\t[www]\n').problems, []);
    assert.deepEqual(parseIni('[www]]\n').statements.map((s) => s.kind), ['section', 'entry']);
  });

  test('positions: 0-based lines and UTF-16 columns, CRLF and BOM', () => {
    const f = parseIni('[www]\r\n  listen = /run/x.sock\r\n');
    const st = f.statements[1];
    assert.equal(st.kind, 'entry');
    if (st.kind !== 'entry') return;
    assert.deepEqual([st.keySpan.start.line, st.keySpan.start.character, st.keySpan.end.character], [1, 2, 8]);
    assert.equal(st.value?.text, '/run/x.sock');
    assert.deepEqual([st.value!.span.start.character, st.value!.span.end.character], [11, 22]);
    const bom = parseIni('\uFEFFa = 1\n\uFEFF[www]\n');
    assert.deepEqual(bom.statements.map((s) => (s.kind === 'section' ? s.name : s.kind === 'entry' ? s.key : '')), ['a', 'www']);
    assert.deepEqual(bom.problems, []);
  });

  test('never throws on hostile input', () => {
    const junk = ['', '\n\n\n', '[', ']', '"', "'", '${', '$', '\\', '=', '[[[[', 'a'.repeat(200000), '\r\r\r', '\0\0', '(((((', '"'.repeat(1001)];
    for (const j of junk) {
      const f = parseIni(j + '\n' + j);
      assert.ok(Array.isArray(f.problems));
    }
    for (let i = 0; i < 2000; i++) {
      const chars = ['[', ']', '"', "'", '$', '{', '}', '=', ';', '#', ' ', '\t', 'a', '(', ')', '|', '\n', '\r', '\\', 'y', 'e', 's'];
      let s = '';
      for (let k = 0; k < 30; k++) s += chars[(i * 31 + k * 17 + ((i * k) % 7)) % chars.length];
      parseIni(s);
      lexLine(s + '\n');
    }
  });
});

describe('value parsers (fpm_conf_set_*)', () => {
  test('atoi as glibc: saturating strtol then a C int', () => {
    assert.equal(atoi('99999999999'), 1215752191);
    assert.equal(atoi('3000000000'), -1294967296);
    assert.equal(atoi('9'.repeat(400)), -1);
    assert.equal(atoi('  42abc'), 42);
    assert.equal(atoi('-'), 0);
  });
  test('integers, times, booleans', () => {
    assert.deepEqual(parseInteger('5'), { ok: true, value: 5, wrapped: undefined });
    assert.equal(parseInteger('5x').ok, false);
    assert.equal(parseInteger('+5').ok, false);
    assert.equal(parseInteger('').ok, true);
    const t = parseTime('99999999d');
    assert.ok(t.ok && t.value === -1474285952 && t.wrapped);
    assert.deepEqual(parseTime('2m'), { ok: true, value: 120, wrapped: undefined });
    assert.equal(parseTime('10ms').ok && parseTime('10ms').ok, true);
    assert.equal(parseTime('10x').ok, false);
    assert.equal(parseTime('').ok, false);
    for (const v of ['1', 'yes', 'on', 'true']) assert.deepEqual(parseBoolean(v), { ok: true, value: true });
    for (const v of ['', '0', 'no', 'off', 'false', 'none']) assert.deepEqual(parseBoolean(v), { ok: true, value: false });
    for (const v of ['On', 'FALSE', 'null', '2', ' 1']) assert.equal(parseBoolean(v).ok, false, v);
  });
  test('access.format as fpm_log_write checks it', () => {
    assert.equal(accessFormatError('%R - %u %t "%m %r%Q%q" %s %f %{milli}d %{kilo}M %C%%'), undefined);
    assert.match(accessFormatError('%Z') ?? '', /Invalid token/);
    assert.match(accessFormatError('%{mili}') ?? '', /missing closing embrace/);
    assert.match(accessFormatError('%{x}f') ?? '', /embrace is not allowed/);
    assert.match(accessFormatError('%e') ?? '', /environment variable/);
  });
  test('listen addresses', () => {
    assert.deepEqual(parseListen('/run/php/a.sock'), { address: '/run/php/a.sock', kind: 'unix', path: '/run/php/a.sock' });
    assert.deepEqual(parseListen('9000'), { address: '9000', kind: 'tcp', host: '', port: 9000 });
    assert.deepEqual(parseListen('127.0.0.1:9000'), { address: '127.0.0.1:9000', kind: 'tcp', host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseListen('[::1]:9000'), { address: '[::1]:9000', kind: 'tcp', host: '::1', port: 9000 });
  });
});

describe('key table', () => {
  test('every key has a type, a default and a paragraph of documentation', () => {
    for (const k of FPM_KEYS) {
      assert.ok(k.type && k.default && k.doc.length > 40, k.name);
    }
    assert.equal(fpmKey('pool', 'PM.MAX_CHILDREN')?.name, 'pm.max_children');
    assert.equal(fpmKey('global', 'pm'), undefined);
    assert.equal(fpmKey('pool', 'log_level'), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// Model, bad input through a FileSource
// ---------------------------------------------------------------------------------------------

class MapSource implements FileSource {
  constructor(private readonly files: Record<string, string | ReadResult>) {}
  read(file: string): ReadResult {
    const f = this.files[file];
    if (f === undefined) return this.exists(file) ? { ok: false, code: 'is-directory', message: 'is a directory' } : { ok: false, code: 'not-found', message: `open() "${file}" failed (2: No such file or directory)` };
    return typeof f === 'string' ? { ok: true, text: f, key: String(f.length) } : f;
  }
  glob(pattern: string): { files: string[]; truncated: boolean } {
    const re = new RegExp('^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
    return { files: Object.keys(this.files).filter((f) => re.test(f)).sort(), truncated: false };
  }
  exists(file: string): boolean {
    return file in this.files || Object.keys(this.files).some((f) => f.startsWith(file.replace(/\/$/, '') + '/'));
  }
}

describe('model', () => {
  test('effective values with defaults, spans, $pool, relative listen', () => {
    const fs2 = new MapSource({
      '/etc/php/fpm/php-fpm.conf': '[global]\ninclude=/etc/php/fpm/pool.d/*.conf\n',
      '/etc/php/fpm/pool.d/www.conf': '[www]\nuser = www-data\nlisten = /run/php/$pool.sock\nlisten.owner = nginx\npm = dynamic\npm.max_children = 9\npm.min_spare_servers = 2\npm.max_spare_servers = 4\nrequest_terminate_timeout = 2m\n',
      '/etc/php/fpm/pool.d/api.conf': '[api]\nuser = www-data\nlisten = api.sock\nprefix = /srv/api\npm = ondemand\npm.max_children = 3\n',
    });
    const load = loadFpm(['/etc/php/fpm/php-fpm.conf'], fs2);
    const www = load.pools.find((p) => p.name === 'www')!;
    assert.equal(www.values.listen?.address, '/run/php/www.sock');
    assert.equal(www.values.listen?.kind, 'unix');
    assert.equal(www.values['listen.owner'], 'nginx');
    assert.equal(www.values['listen.mode'], '0660');
    assert.equal(www.values['pm.start_servers'], 3);
    assert.equal(www.values['pm.max_spawn_rate'], 32);
    assert.equal(www.values.request_terminate_timeout, 120);
    assert.equal(www.values['listen.backlog'], -1);
    const t = www.settings.get('request_terminate_timeout')!;
    assert.equal(t.file, '/etc/php/fpm/pool.d/www.conf');
    assert.deepEqual([t.keySpan.start.line, t.valueSpan.start.character, t.valueSpan.end.character], [8, 28, 30]);
    const api = load.pools.find((p) => p.name === 'api')!;
    assert.equal(api.values.listen?.address, '/srv/api/api.sock');
    assert.deepEqual(load.problems.get('/etc/php/fpm/php-fpm.conf'), []);
    assert.equal(load.problems.get('/etc/php/fpm/pool.d/www.conf')?.filter((p) => p.severity === 'error').length, 0);
  });

  test("php-fpm's line counter after an include", () => {
    const fs2 = new MapSource({ '/c/main.conf': 'include=/c/p.d/*.conf\n\nbogus = 1\n', '/c/p.d/a.conf': '[a]\nuser = x\nlisten = 1\npm = static\npm.max_children = 1\n' });
    const c = loadFpmConfig('/c/main.conf', fs2);
    // a.conf has 5 newlines: php-fpm's counter is 6 after it, so it names line 3 of main.conf "line 8".
    assert.equal(c.reportedLines.get('/c/main.conf')?.get(8), 2);
  });

  test('unreadable, binary and oversized files never crash', () => {
    const fs2 = new MapSource({
      '/c/main.conf': '[global]\ninclude=/c/bad.conf\ninclude=/c/big.conf\n[www]\nuser = x\nlisten = 1\npm = static\npm.max_children = 1\n',
      '/c/bad.conf': { ok: false, code: 'unreadable', message: 'open() "/c/bad.conf" failed (13: Permission denied)' },
      '/c/big.conf': { ok: false, code: 'too-large', message: 'file is 9.0 MB, over the 8.0 MB limit' },
    });
    const c = loadFpmConfig('/c/main.conf', fs2);
    assert.deepEqual(
      c.problems.get('/c/main.conf')!.map((p) => [p.span.start.line, p.code]),
      [
        [1, 'fpm-include-unreadable'],
        [2, 'fpm-include-unreadable'],
      ],
    );
    const missing = loadFpmConfig('/c/none.conf', fs2);
    assert.equal(missing.problems.get('/c/none.conf')?.[0].code, 'fpm-unreadable');
  });

  test('many pools and a long file stay linear', () => {
    let text = '[global]\n';
    for (let i = 0; i < 2000; i++) text += `[p${i}]\nuser = www-data\nlisten = /run/php/p${i}.sock\npm = static\npm.max_children = 2\n`;
    const t0 = Date.now();
    const c = loadFpmConfig('/big.conf', new MapSource({ '/big.conf': text }));
    assert.equal(c.pools.length, 2000);
    assert.ok(Date.now() - t0 < 5000);
  });
});

// ---------------------------------------------------------------------------------------------
// Hover and completion
// ---------------------------------------------------------------------------------------------

describe('features', () => {
  const text = '[global]\nlog_level = notice\n[www]\nlisten = /run/php/$pool.sock\npm = dynamic\nrequest_terminate_timeout = 2m\nlog_level = debug\nphp_admin_value[memory_limit] = 128M\n\n';
  const f = parseIni(text);
  const hoverText = (line: number, character: number): string => {
    const h = fpmHover(f, { line, character });
    return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
  };

  test('hover: key docs with type and default, values as php-fpm reads them', () => {
    assert.match(hoverText(1, 2), /\*\*log_level\*\*.*\[global\]/s);
    assert.match(hoverText(4, 1), /\*\*Default:\*\* none/);
    assert.match(hoverText(4, 1), /static.*dynamic.*ondemand/s);
    assert.match(hoverText(5, 30), /120 seconds \(2m\)/);
    assert.match(hoverText(3, 20), /expands to `www`.*\/run\/php\/www\.sock/s);
    assert.match(hoverText(6, 2), /Not allowed in a pool section/);
    assert.match(hoverText(7, 5), /php_admin_value/);
    assert.match(hoverText(7, 20), /memory_limit.*php\.ini directive/s);
    assert.match(hoverText(2, 2), /pool `www`/);
  });

  test('completion: keys of the section at the cursor, values after =', () => {
    const labels = (line: number, character: number, t = text): string[] => fpmCompletion(parseIni(t), { line, character }).map((c) => c.label);
    const inPool = labels(8, 0);
    assert.ok(inPool.includes('pm.max_children') && inPool.includes('php_value[]') && inPool.includes('include'));
    assert.ok(!inPool.includes('log_level'), 'a global key is not offered in a pool');
    assert.ok(!inPool.includes('pm'), 'a key already set in the pool is not offered again');
    const inGlobal = labels(2, 0, '[global]\nlog_level = notice\n\n[www]\n');
    assert.ok(inGlobal.includes('events.mechanism') && !inGlobal.includes('pm.max_children'));
    assert.deepEqual(labels(0, 5, 'pm = '), ['static', 'dynamic', 'ondemand']);
    assert.deepEqual(labels(0, 22, 'catch_workers_output = '), ['yes', 'no']);
    assert.ok(labels(0, 10, 'php_value[').includes('memory_limit'));
    assert.deepEqual(labels(0, 6, '; pm = '), []);
    assert.ok(labels(0, 1, '[').includes('global'));
  });
});
