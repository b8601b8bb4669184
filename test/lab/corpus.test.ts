// The real-world configs in ../shared/corpus (written by others, never edited) and Debian's
// own /etc/nginx: where real nginx -t accepted a file (MANIFEST.tsv), we report no error; where
// it rejected one for a class we cover, we report an error on the line it named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFile, checkFiles } from '../../server/src/nginx/check';
import { knowledge } from '../../server/src/nginx/directives';
import { NodeFileSource } from '../../server/src/nginx/files';
import { NginxProject } from '../../server/src/nginx/project';
import { covered } from './nginx';

const CORPUS = process.env.NGX502_CORPUS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
/** The version MANIFEST.tsv was labelled with. */
const LABEL_VERSION = '1.22.1';

interface Row {
  path: string;
  kind: string;
  entry: boolean;
  verdict: string;
  notes: string;
}

function manifest(): Row[] {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const [p, kind, entry, verdict, notes] = l.split('\t');
    return { path: p, kind, entry: entry === 'yes', verdict, notes };
  });
}

test('real-world corpus: no error where nginx -t passed, an error where it failed', { skip: fs.existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
  const rows = manifest().filter((r) => r.kind.startsWith('nginx-'));
  const project = new NginxProject(new NodeFileSource(), knowledge({ version: LABEL_VERSION }));
  let okFiles = 0;
  let failMatched = 0;
  let failOther = 0;
  const wrong: string[] = [];
  const warnings = new Map<string, number>();
  for (const row of rows) {
    const file = path.join(CORPUS, row.path);
    if (row.verdict === 'n/a') continue;
    const r = checkFile(project, file, {});
    const errors = r.problems.filter((p) => p.severity === 'error');
    for (const p of r.problems) if (p.severity === 'warning') warnings.set(p.code, (warnings.get(p.code) ?? 0) + 1);
    if (row.verdict === 'ok') {
      okFiles++;
      if (errors.length > 0) wrong.push(`${row.path}: nginx -t passed, we report ${errors.map((e) => `${e.span.start.line + 1}: ${e.code} ${e.message}`).join('; ')}`);
      continue;
    }
    const m = /^fail: \[emerg\] (.*?)(?: in ([^\s]+):(\d+))?$/.exec(row.verdict);
    if (m && covered(m[1]) && !m[2]) {
      // nginx names no line (e.g. no "events" section): any error in the file agrees.
      if (errors.length > 0) failMatched++;
      else wrong.push(`${row.path}: nginx -t: "${m[1]}"; we report no error`);
      continue;
    }
    if (!m || !covered(m[1]) || !m[2]) {
      failOther++;
      continue;
    }
    // The named file may be another file of the tree (an include).
    const named = m[2].startsWith('/') ? m[2] : path.join(CORPUS, m[2]);
    const line = Number(m[3]);
    const inTree = checkFiles(project, [file]);
    const list = (inTree.get(named) ?? (named === file ? r.problems : [])).filter((p) => p.severity === 'error');
    const hit = list.some((p) => p.span.start.line + 1 <= line && line <= p.span.end.line + 1) || (path.basename(named) !== path.basename(file) && errors.length > 0);
    if (hit) failMatched++;
    else wrong.push(`${row.path}: nginx -t: "${m[1]}" at ${m[2]}:${line}; we report ${errors.map((e) => `${e.span.start.line + 1}: ${e.code}`).join('; ') || 'no error'}`);
  }
  console.log(`corpus: ${okFiles} files nginx accepted, ${failMatched} rejections found on nginx's line, ${failOther} rejections of classes not compared`);
  console.log(`corpus warnings by code: ${[...warnings].map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}`);
  for (const w of wrong) console.log('  MISMATCH ' + w);
  assert.deepEqual(wrong, []);
});

test('real-world corpus: the 502 rules raise no error where nginx -t passed; their warnings are listed', { skip: fs.existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
  const rows = manifest().filter((r) => r.kind.startsWith('nginx-') && r.verdict === 'ok');
  const project = new NginxProject(new NodeFileSource(), knowledge({ version: LABEL_VERSION }));
  const byRule = new Map<string, string[]>();
  const errors: string[] = [];
  for (const row of rows) {
    const file = path.join(CORPUS, row.path);
    const r = checkFile(project, file, {}, { pools: [] });
    for (const p of r.problems) {
      if (!p.docs) continue; // rule findings only
      if (p.severity === 'error') errors.push(`${row.path}:${p.span.start.line + 1} ${p.code} ${p.message}`);
      else {
        const list = byRule.get(p.code) ?? [];
        const where = `${row.path}:${p.span.start.line + 1}`;
        if (!list.includes(where)) list.push(where);
        byRule.set(p.code, list);
      }
    }
  }
  console.log('corpus rule findings (warnings and notes), by rule:');
  for (const [code, where] of [...byRule].sort()) console.log(`  ${code} (${where.length}): ${where.slice(0, 6).join(', ')}${where.length > 6 ? ', ...' : ''}`);
  assert.deepEqual(errors, []);
});

test("Debian's /etc/nginx has no error diagnostics", { skip: fs.existsSync('/etc/nginx/nginx.conf') ? false : 'no /etc/nginx' }, () => {
  const project = new NginxProject(new NodeFileSource(), knowledge({}));
  const results = checkFiles(project, ['/etc/nginx/nginx.conf']);
  const errors = [...results].flatMap(([f, ps]) => ps.filter((p) => p.severity === 'error').map((p) => `${f}:${p.span.start.line + 1} ${p.code} ${p.message}`));
  console.log(`/etc/nginx: ${results.size} files checked`);
  assert.deepEqual(errors, []);
});
