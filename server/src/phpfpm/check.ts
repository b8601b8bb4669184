// One entry point to check PHP-FPM files, shared by the command line, the language server and
// the cross-file site model: main configs (php-fpm.conf) are loaded with everything they
// include; the remaining pool files are read per folder the way `include = DIR/*.conf` reads
// them, so pools, listen addresses and keys before a section interact as they do in php-fpm.

import * as path from 'node:path';
import type { Problem } from '../nginx/ast';
import type { FileSource } from '../nginx/files';
import { loadFpmConfig, loadFpmFragments, type FpmConfig, type FpmOptions, type FpmPool } from './config';
import { parseIni } from './ini';

const POOL_DIRS = new Set(['pool.d', 'php-fpm.d', 'fpm.d']);

export interface FpmLoad {
  configs: FpmConfig[];
  /** Every pool of every config (continuations of unknown pools excluded). */
  pools: FpmPool[];
  /** Problems per file, for every file given and every file reached through includes. */
  problems: Map<string, Problem[]>;
}

/** Whether a file is a main config (php-fpm.conf): by name, or because its first section is [global]. */
export function isFpmMain(file: string, fs: FileSource): boolean {
  const base = path.basename(file);
  if (/^php-fpm.*\.conf$/.test(base)) return true;
  const r = fs.read(file);
  if (!r.ok) return false;
  const first = parseIni(r.text).statements.find((s) => s.kind === 'section');
  return first?.kind === 'section' && first.name.toLowerCase() === 'global';
}

/** Loads and checks PHP-FPM files (mains with their includes, then the other pool files per folder). */
export function loadFpm(files: readonly string[], fs: FileSource, opts: FpmOptions = {}): FpmLoad {
  const unique = [...new Set(files.map((f) => path.resolve(f)))];
  const configs: FpmConfig[] = [];
  const covered = new Set<string>();
  for (const main of unique.filter((f) => isFpmMain(f, fs)).sort()) {
    if (covered.has(main)) continue;
    const c = loadFpmConfig(main, fs, opts);
    configs.push(c);
    covered.add(main);
    for (const f of c.files) covered.add(f);
  }
  // Files of a pool folder (pool.d/, php-fpm.d/) are read together, as `include = DIR/*.conf`
  // reads them; any other file is read alone.
  const byDir = new Map<string, string[]>();
  for (const f of unique) {
    if (covered.has(f)) continue;
    const d = path.dirname(f);
    const group = POOL_DIRS.has(path.basename(d)) ? d : f;
    byDir.set(group, [...(byDir.get(group) ?? []), f]);
  }
  for (const group of [...byDir.values()]) configs.push(loadFpmFragments(group, fs, opts));

  const problems = new Map<string, Problem[]>();
  for (const f of unique) problems.set(f, []);
  for (const c of configs) {
    for (const [f, list] of c.problems) {
      const out = problems.get(f) ?? [];
      for (const p of list) {
        if (!out.some((q) => q.code === p.code && q.span.start.offset === p.span.start.offset && q.message === p.message)) out.push(p);
      }
      out.sort((a, b) => a.span.start.offset - b.span.start.offset);
      problems.set(f, out);
    }
  }
  const pools = configs.flatMap((c) => c.pools.filter((p) => !p.continuation));
  return { configs, pools, problems };
}

/** Problems per file for PHP-FPM files (and the files they include). */
export function checkPoolFiles(files: readonly string[], fs: FileSource, opts: FpmOptions = {}): Map<string, Problem[]> {
  return loadFpm(files, fs, opts).problems;
}

/** The pools the files define, with effective values (defaults applied) and the spans of their keys. */
export function loadPools(files: readonly string[], fs: FileSource, opts: FpmOptions = {}): FpmPool[] {
  return loadFpm(files, fs, opts).pools;
}

export type { FpmConfig, FpmOptions, FpmPool } from './config';
export type { FpmListen, FpmPoolValues, FpmSetting, FpmArraySetting, FpmInclude } from './config';
