// Differential test against real nginx: valid configs and broken ones made by mutating them
// (drop a `;` or `}`, misspell a directive, move a directive to a wrong context, add or remove
// an argument, repeat a directive). For every config `nginx -t` rejects for a class the editor
// covers, an error diagnostic must sit on the line nginx names; for every config it accepts,
// no error diagnostic. Agreement is printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Lexer, type Token } from '../../server/src/nginx/lexer';
import { checkFiles } from '../../server/src/nginx/check';
import { knowledge } from '../../server/src/nginx/directives';
import { NodeFileSource } from '../../server/src/nginx/files';
import { NginxProject } from '../../server/src/nginx/project';
import { NGINX, nginxVersion, covered, runNginxTest, type NginxVerdict } from './nginx';
import { rng } from './rng';

const run = promisify(execFile);
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'differential');
const MUTATIONS_PER_BASE = Number(process.env.NGX502_MUTATIONS ?? 60);
const CORPUS = process.env.NGX502_CORPUS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

function tokens(text: string): Token[] {
  const lx = new Lexer(text, () => undefined);
  const out: Token[] = [];
  for (let t = lx.next(); t.type !== 'eof'; t = lx.next()) out.push(t);
  return out;
}

interface Statement {
  nameIdx: number;
  endIdx: number; // index of `;`
  depth: number;
}

function statements(toks: Token[]): Statement[] {
  const out: Statement[] = [];
  let depth = 0;
  let start = -1;
  toks.forEach((t, i) => {
    if (t.type === 'comment') return;
    if (t.type === 'word' && start < 0) start = i;
    else if (t.type === ';') {
      if (start >= 0) out.push({ nameIdx: start, endIdx: i, depth });
      start = -1;
    } else if (t.type === '{') {
      depth++;
      start = -1;
    } else if (t.type === '}') {
      depth--;
      start = -1;
    }
  });
  return out;
}

const spanOf = (t: Token) => (t.type === 'word' ? t.word.span : t.span);

type Mutation = { kind: string; text: string };

/** One random mutation of a config's text. */
function mutate(text: string, r: () => number): Mutation | undefined {
  const toks = tokens(text);
  const stmts = statements(toks);
  const pick = <T>(a: T[]): T | undefined => (a.length ? a[Math.floor(r() * a.length)] : undefined);
  const cut = (from: number, to: number, insert = ''): string => text.slice(0, from) + insert + text.slice(to);
  const kinds = ['drop-semicolon', 'drop-brace', 'misspell', 'move', 'add-arg', 'remove-arg', 'repeat'];
  const kind = pick(kinds)!;
  switch (kind) {
    case 'drop-semicolon': {
      const s = pick(stmts);
      if (!s) return undefined;
      const sp = spanOf(toks[s.endIdx]);
      return { kind, text: cut(sp.start.offset, sp.end.offset) };
    }
    case 'drop-brace': {
      const braces = toks.filter((t) => t.type === '}' || t.type === '{');
      const b = pick(braces);
      if (!b) return undefined;
      const sp = spanOf(b);
      return { kind, text: cut(sp.start.offset, sp.end.offset) };
    }
    case 'misspell': {
      const s = pick(stmts);
      if (!s) return undefined;
      const t = toks[s.nameIdx];
      if (t.type !== 'word' || t.word.value.length < 3) return undefined;
      const v = t.word.value;
      const i = 1 + Math.floor(r() * (v.length - 2));
      const spelled = r() < 0.5 ? v.slice(0, i) + v[i + 1] + v[i] + v.slice(i + 2) : v.slice(0, i) + v[i] + v.slice(i);
      if (spelled === v) return undefined;
      return { kind, text: cut(t.word.span.start.offset, t.word.span.end.offset, spelled) };
    }
    case 'move': {
      // Move a statement to the top level, into `events`, or into another block.
      const s = pick(stmts.filter((x) => x.depth > 0));
      if (!s) return undefined;
      const from = spanOf(toks[s.nameIdx]).start.offset;
      const to = spanOf(toks[s.endIdx]).end.offset;
      const stmt = text.slice(from, to);
      const removed = cut(from, to);
      const targets = tokens(removed).filter((t) => t.type === '{');
      const target = r() < 0.3 ? undefined : pick(targets);
      const at = target ? spanOf(target).end.offset : 0;
      return { kind, text: removed.slice(0, at) + '\n' + stmt + '\n' + removed.slice(at) };
    }
    case 'add-arg': {
      const s = pick(stmts);
      if (!s) return undefined;
      const last = toks[s.endIdx - 1];
      if (!last || last.type !== 'word') return undefined;
      const at = last.word.span.end.offset;
      return { kind, text: cut(at, at, ' ' + (r() < 0.5 ? last.word.raw : 'extra')) };
    }
    case 'remove-arg': {
      const s = pick(stmts.filter((x) => x.endIdx - x.nameIdx > 1));
      if (!s) return undefined;
      const last = toks[s.endIdx - 1];
      if (last.type !== 'word') return undefined;
      const prevEnd = spanOf(toks[s.endIdx - 2]).end.offset;
      return { kind, text: cut(prevEnd, last.word.span.end.offset) };
    }
    case 'repeat': {
      const s = pick(stmts.filter((x) => x.depth > 0));
      if (!s) return undefined;
      const from = spanOf(toks[s.nameIdx]).start.offset;
      const to = spanOf(toks[s.endIdx]).end.offset;
      return { kind, text: cut(to, to, '\n' + text.slice(from, to)) };
    }
  }
  return undefined;
}

interface Case {
  name: string;
  dir: string;
  main: string;
}

function copyDir(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

async function ours(main: string): Promise<{ file: string; line: number; endLine: number; code: string; message: string }[]> {
  // nginx reads absolute includes from this machine's /etc/nginx: no remapping into the tree.
  const project = new NginxProject(new NodeFileSource(), knowledge({ version: nginxVersion() }), { remapConfDirs: false });
  const results = checkFiles(project, [main]);
  const out = [];
  for (const [file, problems] of results) {
    for (const p of problems) {
      if (p.severity === 'error') out.push({ file, line: p.span.start.line + 1, endLine: p.span.end.line + 1, code: p.code, message: p.message });
    }
  }
  return out;
}

test('editor agrees with real nginx -t on valid and mutated configs', { skip: !NGINX ? 'nginx is not installed (test/setup.sh installs it)' : false, timeout: 600_000 }, async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-diff-'));
  try {
    const bases: Case[] = [];
    for (const name of fs.readdirSync(FIXTURES).sort()) {
      const dir = path.join(work, 'base', name);
      copyDir(path.join(FIXTURES, name), dir);
      bases.push({ name, dir, main: path.join(dir, 'nginx.conf') });
    }
    // Real-world main configs from the corpus whose folder passes nginx -t on its own here.
    let corpusBases = 0;
    if (fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'))) {
      const rows = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
      for (const [rel, kind, , verdict] of rows) {
        if (kind !== 'nginx-main' || verdict !== 'ok' || path.basename(rel) !== 'nginx.conf') continue;
        const name = 'corpus:' + path.dirname(rel);
        const dir = path.join(work, 'base', `corpus-${corpusBases}`);
        copyDir(path.join(CORPUS, path.dirname(rel)), dir);
        const main = path.join(dir, 'nginx.conf');
        if ((await runNginxTest(main, dir)).ok) {
          bases.push({ name, dir, main });
          corpusBases++;
        }
      }
    }
    console.log(`bases: ${bases.length} (${corpusBases} from the real-world corpus), ${MUTATIONS_PER_BASE} mutations each`);
    let agree = 0;
    let rejectedCovered = 0;
    let rejectedOther = 0;
    let accepted = 0;
    const disagreements: string[] = [];
    const byKind = new Map<string, { n: number; ok: number }>();
    let seq = 0;
    const jobs: (() => Promise<void>)[] = [];
    for (const base of bases) {
      const original = fs.readFileSync(base.main, 'utf8');
      const r = rng(0x5eed + base.name.length * 7919);
      const variants: Mutation[] = [{ kind: 'none', text: original }];
      for (let i = 0; i < MUTATIONS_PER_BASE; i++) {
        const m = mutate(original, r);
        if (m) variants.push(m);
      }
      for (const v of variants) {
        const id = seq++;
        jobs.push(async () => {
          const dir = path.join(work, 'm', String(id));
          copyDir(base.dir, dir);
          const main = path.join(dir, 'nginx.conf');
          fs.writeFileSync(main, v.text);
          const verdict: NginxVerdict = await runNginxTest(main, dir);
          const mine = await ours(main);
          const k = byKind.get(v.kind) ?? { n: 0, ok: 0 };
          k.n++;
          let ok: boolean;
          let why = '';
          if (verdict.ok) {
            accepted++;
            ok = mine.length === 0;
            why = `nginx accepts, we report: ${mine.map((m) => `${path.basename(m.file)}:${m.line} ${m.code} ${m.message}`).join('; ')}`;
          } else if (!covered(verdict.message)) {
            rejectedOther++;
            k.n--;
            byKind.set(v.kind, k);
            return;
          } else {
            rejectedCovered++;
            ok = mine.some((m) => m.file === verdict.file && m.line <= verdict.line! && verdict.line! <= m.endLine);
            // A block left open in one file makes nginx read the next include inside it and fail
            // there; we report the cause (the unclosed block) in the including file instead.
            if (!ok && verdict.file && v.kind === 'drop-brace') {
              ok = mine.some((m) => m.file !== verdict.file && (m.code === 'missing-brace' || m.code === 'unexpected-eof'));
            }
            why = `nginx: ${verdict.message} in ${path.basename(verdict.file ?? '?')}:${verdict.line}; we report: ${mine.map((m) => `${path.basename(m.file)}:${m.line}-${m.endLine} ${m.code}`).join('; ') || 'nothing'}`;
          }
          if (ok) {
            agree++;
            k.ok++;
          } else disagreements.push(`[${base.name}/${v.kind} #${id}] ${why}`);
          byKind.set(v.kind, k);
        });
      }
    }
    // Two at a time: nginx -t is quick, and the machine has two cores.
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        while (next < jobs.length) await jobs[next++]();
      }),
    );
    const total = accepted + rejectedCovered;
    console.log(
      `differential vs ${await run(NGINX!, ['-v']).then((r) => r.stderr.trim())}: ${agree}/${total} agree ` +
        `(${accepted} accepted by nginx, ${rejectedCovered} rejected for a covered class, ${rejectedOther} rejected for other reasons, not compared)`,
    );
    for (const [kind, k] of [...byKind].sort()) console.log(`  ${kind.padEnd(16)} ${k.ok}/${k.n}`);
    for (const d of disagreements) console.log('  DISAGREE ' + d);
    assert.equal(disagreements.length, 0, `${disagreements.length} disagreements with nginx -t`);
    assert.ok(rejectedCovered > 200, `too few rejected mutants (${rejectedCovered}) to mean anything`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
