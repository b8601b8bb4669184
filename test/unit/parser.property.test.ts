// Property tests (fast-check): the parser and the analyzer never throw on random or mutated
// input, positions stay consistent with the text, and work grows linearly with input size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse } from '../../server/src/nginx/parser';
import { analyze, inferContext } from '../../server/src/nginx/analyzer';
import { knowledge } from '../../server/src/nginx/directives';
import { walk, type ParseResult } from '../../server/src/nginx/ast';

const k = knowledge({});
const CORPUS = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

function checkPositions(text: string, r: ParseResult): void {
  const at = (offset: number) => {
    // line/character recomputed from the text must match what the parser stored
    let line = 0;
    let ls = 0;
    for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) { line++; ls = i + 1; }
    return { line, character: offset - ls };
  };
  let checked = 0;
  walk(r.nodes, (d) => {
    if (checked++ > 50) return 'skip';
    for (const sp of [d.nameSpan, d.span, ...d.args.map((a) => a.span)]) {
      assert.ok(sp.start.offset <= sp.end.offset && sp.end.offset <= text.length, 'span inside the text');
      assert.deepEqual({ line: sp.start.line, character: sp.start.character }, at(sp.start.offset));
    }
    for (const a of d.args) assert.equal(text.slice(a.span.start.offset, a.span.end.offset), a.raw);
    return undefined;
  });
  for (const p of r.problems) assert.ok(p.span.start.offset <= text.length && p.span.end.offset <= text.length);
}

const nginxish = fc.string({
  unit: fc.constantFrom('a', 'b', 'server', 'location', 'http', 'root', 'listen', 'include', ' ', '\t', '\n', '\r\n', ';', '{', '}', '"', "'", '\\', '$', '${', '#', '~', '(', ')', '/', '*', '_by_lua_block', '--[[', ']]', '\u00e9', '\ud83d\ude00', '\0'),
  maxLength: 400,
});

test('parse and analyze never throw, positions match the text (random input)', () => {
  fc.assert(
    fc.property(fc.oneof(nginxish, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
      const r = parse(text);
      checkPositions(text, r);
      analyze(r.nodes, k, { ctx: inferContext(r.nodes, k), orphan: true });
    }),
    { numRuns: 3000 },
  );
});

test('parse and analyze never throw on mutated real-world configs', { skip: fs.existsSync(CORPUS) ? false : 'no corpus' }, () => {
  const files = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split('\t')).filter((c) => c[1].startsWith('nginx-')).map((c) => fs.readFileSync(path.join(CORPUS, c[0]), 'utf8'));
  fc.assert(
    fc.property(fc.constantFrom(...files), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.constantFrom('', ';', '{', '}', '"', "'", '#', '\n', '\\', '$')), { maxLength: 8 }), (text, edits) => {
      let t = text;
      for (const [pos, del, ins] of edits) {
        const at = pos % (t.length + 1);
        t = t.slice(0, at) + ins + t.slice(at + del);
      }
      const r = parse(t);
      checkPositions(t, r);
      analyze(r.nodes, k, { ctx: 'main' });
    }),
    { numRuns: 1500 },
  );
});

test('work grows linearly with input size on pathological shapes (steps counted, not timed)', () => {
  const shapes: Record<string, (n: number) => string> = {
    'blocks on one line': (n) => 'a{}'.repeat(n),
    'deep nesting': (n) => 'a {'.repeat(n) + '}'.repeat(n),
    'unclosed blocks (recovery pass)': (n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i % 40)}b${i} {`).join('\n'),
    'unterminated quotes': (n) => 'x "'.repeat(n),
    'escapes in one word': (n) => 'a ' + '\\a'.repeat(n) + ';',
    'comment lines': (n) => '# c\n'.repeat(n),
    'lone semicolons': (n) => ';'.repeat(n),
    'lua block': (n) => 'content_by_lua_block {' + ' s = "}" -- }\n'.repeat(n) + '}',
    'many arguments': (n) => 'server_name' + ' a'.repeat(n) + ';',
    'long indented lines': (n) => ('    '.repeat(50) + 'x y;\n').repeat(n),
  };
  const small = 2000;
  const big = small * 8;
  const ratios: string[] = [];
  for (const [name, gen] of Object.entries(shapes)) {
    const work = (t: string): number => {
      const r = parse(t);
      return r.work + analyze(r.nodes, k, { ctx: 'http' }).work;
    };
    const ratio = work(gen(big)) / work(gen(small));
    ratios.push(`${name}: x${ratio.toFixed(2)}`);
    // Steps counted, not time: 8x the input must be at most ~8x the steps (quadratic is 64x).
    assert.ok(ratio < 9, `${name}: 8x the input took ${ratio.toFixed(1)}x the steps`);
  }
  console.log('8x input -> work ratio: ' + ratios.join(', '));
});
