// One entry point to check nginx files, shared by the language server and the command line.

import * as path from 'node:path';
import type { Problem } from './ast';
import { inferContext } from './analyzer';
import { findMainConfig, type NginxProject, type Tree } from './project';
import type { Pool } from '../site/pools';
import { siteProblems, type SiteOptions } from '../site/site';

/** The PHP-FPM side and rule settings, when rules should run. */
export interface SiteInput {
  pools: readonly Pool[];
  options?: SiteOptions;
}

function mergeInto(out: Map<string, Problem[]>, file: string, problems: readonly Problem[]): void {
  const list = out.get(file) ?? [];
  for (const p of problems) {
    if (!list.some((q) => q.code === p.code && q.span.start.offset === p.span.start.offset)) list.push(p);
  }
  out.set(file, list);
}

export interface CheckScope {
  /** nginx's prefix (the folder of the main nginx.conf); empty: found from the file. */
  configRoot?: string;
  /** Where the search for nginx.conf stops (the workspace folder). */
  workspaceRoot?: string;
}

export interface FileResult {
  file: string;
  problems: Problem[];
  tree: Tree;
  /** True when nothing includes the file and its context was inferred. */
  orphan: boolean;
}

/** Whether a file named like a main config really is one (not a server{} fragment named nginx.conf). */
function looksLikeMain(project: NginxProject, file: string): boolean {
  const pf = project.parseFile(file);
  if (!pf.parse) return true;
  const names = new Set(pf.parse.nodes.flatMap((n) => (n.kind === 'directive' ? [n.name] : [])));
  if (names.size === 0) return true; // an empty nginx.conf is a main config being written
  if (names.has('http') || names.has('events') || names.has('stream') || names.has('mail')) return true;
  return inferContext(pf.parse.nodes, project.knowledge) === 'main';
}

export function mainConfigFor(project: NginxProject, file: string, scope: CheckScope): string | undefined {
  if (scope.configRoot) {
    const main = path.join(scope.configRoot, 'nginx.conf');
    return project.fs.exists(main) && looksLikeMain(project, main) ? main : undefined;
  }
  let start = file;
  for (let i = 0; i < 8; i++) {
    const main = findMainConfig(start, project.fs, scope.workspaceRoot);
    if (!main) return undefined;
    if (looksLikeMain(project, main)) return main;
    // A fragment named nginx.conf: keep looking above it.
    start = path.dirname(main);
  }
  return undefined;
}

/** Checks one file in the context its tree gives it (or the context its content implies). */
export function checkFile(project: NginxProject, file: string, scope: CheckScope = {}, site?: SiteInput): FileResult {
  const main = mainConfigFor(project, file, scope);
  let result: FileResult | undefined;
  if (main) {
    const tree = project.buildTree(main, path.dirname(main));
    if (tree.files.has(file)) result = { file, problems: tree.problems.get(file) ?? [], tree, orphan: false };
  }
  if (!result) {
    const prefix = scope.configRoot || (main ? path.dirname(main) : scope.workspaceRoot || path.dirname(file));
    const tree = project.buildTree(file, prefix, true);
    result = { file, problems: tree.problems.get(file) ?? [], tree, orphan: true };
  }
  if (site) {
    // Only this file's findings are wanted: a focused view, and only rules that land in nginx files.
    const extra = siteProblems(project, result.tree, site.pools, { ...site.options, focus: file, only: 'nginx' }).filter((p) => p.file === file);
    if (extra.length > 0) result = { ...result, problems: [...result.problems, ...extra] };
  }
  return result;
}

/**
 * Checks a set of files: each main config with its whole tree, then every remaining file as an
 * orphan. Returns problems per file for every file reached.
 */
export function checkFiles(project: NginxProject, files: readonly string[], scope: CheckScope = {}, site?: SiteInput): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  const covered = new Set<string>();
  const mains = files.filter((f) => path.basename(f) === 'nginx.conf' && looksLikeMain(project, f));
  const trees: Tree[] = [];
  for (const main of mains) {
    const tree = project.buildTree(main, scope.configRoot || path.dirname(main));
    trees.push(tree);
    for (const f of tree.files.keys()) {
      covered.add(f);
      const list = out.get(f) ?? [];
      for (const p of tree.problems.get(f) ?? []) {
        if (!list.some((q) => q.code === p.code && q.span.start.offset === p.span.start.offset)) list.push(p);
      }
      out.set(f, list);
    }
  }
  for (const f of files) {
    if (covered.has(f)) continue;
    const r = checkFile(project, f, scope);
    out.set(f, [...r.problems]);
    if (!trees.some((t) => t.main === r.tree.main)) trees.push(r.tree);
    covered.add(f);
  }
  if (site) {
    const ran = trees.length > 0 ? trees.map((t) => siteProblems(project, t, site.pools, site.options)) : [siteProblems(undefined, undefined, site.pools, site.options)];
    for (const problems of ran) {
      for (const p of problems) if (covered.has(p.file) || site.pools.some((x) => x.file === p.file)) mergeInto(out, p.file, [p]);
    }
  }
  return out;
}
