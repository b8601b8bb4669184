// The real-world PHP-FPM files of ../shared/corpus (MANIFEST.tsv rows fpm-*), checked in the
// setting the manifest describes for each run: pool files on their own (as php-fpm reads a
// pool.d/ file), global files with the pool folder their `include` names holding the pool the
// harness put there. Where `php-fpm8.2 -t` passed, no error; where it failed, an error. The
// warnings and notes the files get are listed in the output so a reader can judge them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSource, type FileSource, type ReadResult } from '../../server/src/nginx/files';
import { loadFpm } from '../../server/src/phpfpm/check';

const CORPUS = process.env.NGX502_CORPUS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

interface Row {
  path: string;
  kind: string;
  verdict: string;
  notes: string;
}

function rows(): Row[] {
  return fs
    .readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c[1]?.startsWith('fpm-'))
    .map(([p, kind, , verdict, notes]) => ({ path: p, kind, verdict, notes }));
}

/** The host's files, except that some folders hold exactly the files a harness placed there. */
class HarnessSource implements FileSource {
  private readonly base = new NodeFileSource();
  constructor(private readonly folders: Record<string, Record<string, string>>) {}
  private virtual(file: string): string | undefined {
    const dir = path.dirname(file);
    return this.folders[dir]?.[path.basename(file)];
  }
  read(file: string): ReadResult {
    if (this.folders[file]) return { ok: false, code: 'is-directory', message: `"${file}" is a directory` };
    const real = this.virtual(file);
    if (real) return this.base.read(real);
    if (this.folders[path.dirname(file)]) return { ok: false, code: 'not-found', message: `open() "${file}" failed (2: No such file or directory)` };
    return this.base.read(file);
  }
  glob(pattern: string, limit: number): { files: string[]; truncated: boolean } {
    const dir = path.dirname(pattern);
    const folder = this.folders[dir];
    if (!folder) return this.base.glob(pattern, limit);
    const re = new RegExp('^' + path.basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.') + '$');
    return { files: Object.keys(folder).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n)), truncated: false };
  }
  exists(file: string): boolean {
    return this.folders[file] !== undefined || this.virtual(file) !== undefined || Object.keys(this.folders).some((d) => d.startsWith(file + '/')) || (!this.folders[path.dirname(file)] && this.base.exists(file));
  }
}

/** The pool folder each global file's run had (MANIFEST.tsv notes). */
const HARNESS: Record<string, Record<string, Record<string, string>>> = {
  'vvv/config/php-config/php-fpm.conf': { '/etc/php/8.2/fpm/pool.d': { 'www.conf': 'vvv/config/php-config/php-www.conf' } },
  'php-src/sapi/fpm/php-fpm.rendered.conf': { '/etc/php/8.2/fpm/php-fpm.d': { 'www.rendered.conf': 'php-src/sapi/fpm/www.rendered.conf' } },
  'php-src/sapi/fpm/php-fpm.conf.in': {},
};

test('real-world PHP-FPM files: no error where php-fpm -t passed, an error where it failed', { skip: fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv')) ? false : `no corpus at ${CORPUS}` }, () => {
  const list = rows();
  assert.ok(list.length >= 8, 'the manifest lists the PHP-FPM files');
  const notes: string[] = [];
  const wrong: string[] = [];
  let ok = 0;
  let failed = 0;
  for (const r of list) {
    const file = path.join(CORPUS, r.path);
    const harness = HARNESS[r.path] ?? {};
    const folders = Object.fromEntries(Object.entries(harness).map(([d, files]) => [d, Object.fromEntries(Object.entries(files).map(([n, rel]) => [n, path.join(CORPUS, rel)]))]));
    // A pool file is read alone (a pool.d/ file); its failures in the manifest are host ones (an unrendered user name), so host checks are on.
    const load = loadFpm([file], new HarnessSource(folders), { host: r.verdict !== 'ok', runAsRoot: false });
    const all = [...load.problems].flatMap(([f, ps]) => ps.map((p) => ({ f, p })));
    const errors = all.filter((x) => x.p.severity === 'error');
    for (const x of all) if (x.p.severity !== 'error') notes.push(`${path.relative(CORPUS, x.f)}:${x.p.span.start.line + 1}: ${x.p.severity} [${x.p.code}] ${x.p.message}`);
    if (r.verdict === 'ok') {
      ok++;
      if (errors.length > 0) wrong.push(`${r.path} passed php-fpm -t, we report: ${errors.map((e) => `${path.relative(CORPUS, e.f)}:${e.p.span.start.line + 1} [${e.p.code}] ${e.p.message}`).join('; ')}`);
    } else {
      failed++;
      if (errors.length === 0) wrong.push(`${r.path} failed php-fpm -t (${r.verdict}), we report no error`);
    }
  }
  console.log(`corpus PHP-FPM files: ${ok} passing php-fpm -t, ${failed} failing; ${wrong.length} disagreements`);
  for (const n of notes) console.log('  ' + n);
  for (const w of wrong) console.log('  WRONG ' + w);
  assert.deepEqual(wrong, []);
});
