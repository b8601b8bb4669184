// The nginx configuration tree: the main nginx.conf, every file it includes (globs, nested
// includes) and the context each file is included in. Included files are checked in the
// context of the `include` that reads them; a file nothing includes is checked in the context
// its content implies. Parses and analyses are cached by file content key, so re-checking
// after an edit only redoes the edited file.

import * as path from 'node:path';
import type { Directive, Node, ParseResult, Problem, Span } from './ast';
import { walk } from './ast';
import { analyze, duplicateKey, headSpan, inferContext, type Analysis } from './analyzer';
import { childCtx, type BodyCtx, type Ctx, type Knowledge } from './directives';
import { hasGlob, type FileSource } from './files';
import { parse } from './parser';

export interface ParsedFile {
  file: string;
  key: string;
  parse?: ParseResult;
  /** Problems about the file itself: unreadable, binary, too large, encoding. */
  fileProblems: Problem[];
}

export interface IncludeEdge {
  from: string;
  directive: Directive;
  ctx: BodyCtx;
}

export interface Tree {
  main: string;
  prefix: string;
  /** Every file reached, with the contexts it is read in and the includes that read it. */
  files: Map<string, { contexts: Set<BodyCtx>; includedBy: IncludeEdge[] }>;
  /** Problems per file for the whole tree (syntax, analysis, include resolution, cross-file). */
  problems: Map<string, Problem[]>;
  /** The files each `include` directive read. */
  includeTargets: Map<Directive, string[]>;
}

export interface ProjectOptions {
  /** Files per include glob followed; more are reported, not read. */
  maxGlobFiles?: number;
  /** Files per tree. */
  maxFiles?: number;
  /** Include nesting depth. */
  maxDepth?: number;
  /**
   * Look up an absolute include under a conventional conf dir (/etc/nginx/...) also under the
   * tree's own prefix, when the tree is a copy of that dir (a repository of configs). Default on.
   */
  remapConfDirs?: boolean;
}

/** Beyond this a file is garbage, not a config: more problems help nobody and cost memory. */
export const MAX_PROBLEMS_PER_FILE = 1000;

const ZERO: Span = { start: { offset: 0, line: 0, character: 0 }, end: { offset: 0, line: 0, character: 0 } };

/** Conventional nginx conf dirs; an absolute include under one of them is looked up under the tree's prefix too. */
/** Files every nginx package installs in its conf dir; a tree that includes them relies on the host's copy. */
const STOCK_FILES = new Set(['mime.types', 'fastcgi_params', 'fastcgi.conf', 'proxy_params', 'scgi_params', 'uwsgi_params', 'koi-utf', 'koi-win', 'win-utf', 'snippets/fastcgi-php.conf', 'snippets/snakeoil.conf']);

const CONF_DIRS = ['/etc/nginx/', '/usr/local/nginx/conf/', '/usr/local/etc/nginx/', '/opt/homebrew/etc/nginx/', '/etc/openresty/', '/usr/local/openresty/nginx/conf/'];

export class NginxProject {
  private readonly parses = new Map<string, ParsedFile>();
  private readonly analyses = new Map<string, { parse: ParseResult; analysis: Analysis }>();
  private readonly maxGlobFiles: number;
  private readonly maxFiles: number;
  private readonly maxDepth: number;
  private readonly remap: boolean;

  constructor(
    readonly fs: FileSource,
    public knowledge: Knowledge,
    options: ProjectOptions = {},
  ) {
    this.maxGlobFiles = options.maxGlobFiles ?? 5000;
    this.maxFiles = options.maxFiles ?? 20000;
    this.maxDepth = options.maxDepth ?? 64;
    this.remap = options.remapConfDirs ?? true;
  }

  /** Drops cached analyses (after a settings change). */
  setKnowledge(k: Knowledge): void {
    this.knowledge = k;
    this.analyses.clear();
  }

  /** Reads and parses a file, reusing the cached parse when its content key is unchanged. */
  parseFile(file: string): ParsedFile {
    const r = this.fs.read(file);
    if (!r.ok) {
      const pf: ParsedFile = { file, key: `!${r.code}`, fileProblems: [{ code: r.code === 'not-found' ? 'file-not-found' : `file-${r.code}`, severity: r.code === 'not-found' ? 'error' : 'warning', message: r.message, span: ZERO }] };
      this.parses.set(file, pf);
      return pf;
    }
    const cached = this.parses.get(file);
    if (cached && cached.key === r.key && r.key !== '') return cached;
    const fileProblems: Problem[] = [];
    if (r.notice) fileProblems.push({ code: r.notice.code, severity: r.notice.code === 'bom' ? 'warning' : 'information', message: r.notice.message, span: ZERO });
    const pf: ParsedFile = { file, key: r.key, parse: parse(r.text), fileProblems };
    this.parses.set(file, pf);
    return pf;
  }

  private analysisOf(file: string, p: ParseResult, ctx: BodyCtx, orphan: boolean): Analysis {
    const key = `${file}\0${ctx}\0${orphan ? 1 : 0}`;
    const hit = this.analyses.get(key);
    if (hit && hit.parse === p) return hit.analysis;
    const analysis = analyze(p.nodes, this.knowledge, { ctx, orphan });
    this.analyses.set(key, { parse: p, analysis });
    return analysis;
  }

  /** Resolves an include argument the way nginx does: relative to the prefix (the main config's folder). */
  resolveInclude(pattern: string, prefix: string): { files: string[]; truncated: boolean; tried: string } {
    const abs = path.isAbsolute(pattern) ? pattern : path.join(prefix, pattern);
    const candidates = [abs];
    if (path.isAbsolute(pattern) && this.remap) {
      for (const dir of CONF_DIRS) {
        if (pattern.startsWith(dir) && path.resolve(prefix) + '/' !== dir) candidates.push(path.join(prefix, pattern.slice(dir.length)));
      }
    }
    for (const c of candidates) {
      if (hasGlob(c)) {
        const g = this.fs.glob(c, this.maxGlobFiles);
        if (g.files.length > 0 || c === candidates[candidates.length - 1]) return { ...g, tried: abs };
      } else if (this.fs.exists(c)) return { files: [c], truncated: false, tried: abs };
    }
    return { files: hasGlob(abs) ? [] : [], truncated: false, tried: abs };
  }

  /**
   * Builds the tree from a main config. `orphanCtx` checks the main file as a fragment in the
   * context its content implies (for a file that nothing includes).
   */
  buildTree(main: string, prefix: string, orphan = false): Tree {
    const tree: Tree = { main, prefix, files: new Map(), problems: new Map(), includeTargets: new Map() };
    const keys = new Map<string, Set<string>>();
    const add = (file: string, problems: readonly Problem[]): void => {
      if (problems.length === 0) return;
      let list = tree.problems.get(file);
      let seen = keys.get(file);
      if (!list || !seen) {
        list = [];
        seen = new Set();
        tree.problems.set(file, list);
        keys.set(file, seen);
      }
      for (const p of problems) {
        if (seen.has('too-many')) return;
        const key = `${p.code}\0${p.span.start.offset}`;
        if (seen.has(key)) continue;
        if (list.length >= MAX_PROBLEMS_PER_FILE) {
          list.push({ code: 'too-many-problems', severity: 'warning', message: `more than ${MAX_PROBLEMS_PER_FILE} problems in this file; the rest are not shown`, span: p.span });
          seen.add('too-many');
          return;
        }
        seen.add(key);
        list.push(p);
      }
    };
    const visited = new Set<string>();
    const stack: string[] = [];
    let count = 0;
    const visit = (file: string, ctx: BodyCtx | 'infer', edge: IncludeEdge | undefined): void => {
      const pf = this.parseFile(file);
      let entry = tree.files.get(file);
      if (!entry) {
        entry = { contexts: new Set(), includedBy: [] };
        tree.files.set(file, entry);
        count++;
      }
      if (edge) entry.includedBy.push(edge);
      add(file, pf.fileProblems);
      if (!pf.parse) return;
      add(file, pf.parse.problems);
      const actual: BodyCtx = ctx === 'infer' ? inferContext(pf.parse.nodes, this.knowledge) : ctx;
      entry.contexts.add(actual);
      const key = `${file}\0${actual}`;
      if (visited.has(key)) return;
      visited.add(key);
      const analysis = this.analysisOf(file, pf.parse, actual, ctx === 'infer');
      add(file, analysis.problems);
      stack.push(file);
      for (const inc of analysis.includes) {
        const arg = inc.directive.args[0];
        const r = this.resolveInclude(inc.pattern, prefix);
        tree.includeTargets.set(inc.directive, r.files);
        if (r.files.length === 0 && !hasGlob(inc.pattern)) {
          const stock = STOCK_FILES.has(inc.pattern.replace(/^\/etc\/nginx\//, ''));
          if (stock) {
            add(file, [{
              code: 'include-stock-file',
              severity: 'hint',
              message: `"${inc.pattern}" is not in this tree; every nginx package installs it, so it is taken from the host and not checked here`,
              span: arg.span,
            }]);
            continue;
          }
          const known = !path.isAbsolute(inc.pattern) || r.tried.startsWith(path.resolve(prefix) + path.sep);
          add(file, [{
            code: 'include-not-found',
            severity: known ? 'error' : 'warning',
            message: `open() "${r.tried}" failed (2: No such file or directory)${known ? '' : ': not on this machine; nginx fails the same way unless the host has it'}`,
            span: arg.span,
            data: { path: r.tried },
          }]);
          continue;
        }
        if (r.truncated) {
          add(file, [{ code: 'include-glob-too-many', severity: 'warning', message: `include matches more than ${this.maxGlobFiles} files; only the first ${this.maxGlobFiles} are checked`, span: arg.span }]);
        }
        for (const target of r.files) {
          if (stack.includes(target)) {
            add(file, [{ code: 'include-cycle', severity: 'error', message: `include cycle: "${target}" is already being read (${[...stack.slice(stack.indexOf(target)), target].map((f) => path.basename(f)).join(' -> ')}); nginx would recurse until it runs out of files`, span: arg.span }]);
            continue;
          }
          if (stack.length >= this.maxDepth) {
            add(file, [{ code: 'include-too-deep', severity: 'error', message: `includes nested deeper than ${this.maxDepth} levels; "${target}" is not checked`, span: arg.span }]);
            continue;
          }
          if (count >= this.maxFiles && !tree.files.has(target)) {
            add(file, [{ code: 'include-glob-too-many', severity: 'warning', message: `the tree has more than ${this.maxFiles} files; "${target}" and later ones are not checked`, span: arg.span }]);
            break;
          }
          visit(target, inc.ctx, { from: file, directive: inc.directive, ctx: inc.ctx });
        }
      }
      stack.pop();
    };
    visit(main, orphan ? 'infer' : 'main', undefined);
    if (!orphan) this.requireEvents(tree);
    this.crossFile(tree);
    this.duplicatesAcrossIncludes(tree);
    return tree;
  }

  /**
   * A directive repeated in one block where one of the two comes through an `include` (e.g. a
   * `default_type` in a snippet and in the http block that includes it). Repeats within one
   * file are the analyzer's.
   */
  private duplicatesAcrossIncludes(tree: Tree): void {
    const report = (file: string, p: Problem): void => {
      const list = tree.problems.get(file) ?? [];
      if (!list.some((q) => q.code === p.code && q.span.start.offset === p.span.start.offset)) list.push(p);
      tree.problems.set(file, list);
    };
    type Item = { d: Directive; file: string };
    const expand = (nodes: readonly Node[], file: string, out: Item[], stack: string[]): void => {
      for (const n of nodes) {
        if (n.kind !== 'directive') continue;
        if (n.name === 'include' && n.args.length === 1 && !n.block) {
          if (stack.length > 8) continue;
          for (const target of tree.includeTargets.get(n) ?? []) {
            if (stack.includes(target)) continue;
            const p = this.parses.get(target)?.parse;
            if (p) expand(p.nodes, target, out, [...stack, target]);
          }
        } else out.push({ d: n, file });
      }
    };
    const checkList = (nodes: readonly Node[], file: string, ctx: Ctx): void => {
      const items: Item[] = [];
      expand(nodes, file, items, [file]);
      const seen = new Map<string, Item>();
      for (const it of items) {
        const key = duplicateKey(it.d, ctx);
        if (key === undefined) continue;
        const first = seen.get(key);
        if (!first) seen.set(key, it);
        else if (first.file !== it.file || first.d === it.d) {
          report(it.file, {
            code: 'duplicate-directive',
            severity: 'error',
            message:
              first.d === it.d
                ? `"${it.d.name}" directive is duplicate: this file is included twice into the same block`
                : `"${it.d.name}" directive is duplicate: already set in ${path.basename(first.file)}:${first.d.nameSpan.start.line + 1}, in the same block through an include`,
            span: headSpan(it.d),
            data: { directive: it.d.name },
          });
        }
      }
    };
    for (const [file, entry] of tree.files) {
      const p = this.parses.get(file)?.parse;
      if (!p) continue;
      for (const ctx of entry.contexts) for (const list of this.listsWithIncludes(p, ctx)) checkList(list.nodes, file, list.ctx);
    }
  }

  private readonly includeLists = new WeakMap<ParseResult, Map<BodyCtx, { nodes: readonly Node[]; ctx: Ctx }[]>>();

  /** The blocks of a file (and its top level) that hold an `include`, with their context; memoized per parse. */
  private listsWithIncludes(p: ParseResult, top: BodyCtx): { nodes: readonly Node[]; ctx: Ctx }[] {
    let byCtx = this.includeLists.get(p);
    if (!byCtx) {
      byCtx = new Map();
      this.includeLists.set(p, byCtx);
    }
    const hit = byCtx.get(top);
    if (hit) return hit;
    const out: { nodes: readonly Node[]; ctx: Ctx }[] = [];
    const rec = (nodes: readonly Node[], ctx: BodyCtx): void => {
      if (ctx === 'values' || ctx === 'unknown') return;
      let hasInclude = false;
      for (const n of nodes) {
        if (n.kind !== 'directive') continue;
        if (n.name === 'include') hasInclude = true;
        else if (n.block) rec(n.block.children, childCtx(n.name, ctx));
      }
      if (hasInclude) out.push({ nodes, ctx });
    };
    rec(p.nodes, top);
    byCtx.set(top, out);
    return out;
  }

  /** nginx refuses a main config without an `events` block (directly or through an include). */
  private requireEvents(tree: Tree): void {
    for (const [file, entry] of tree.files) {
      if (!entry.contexts.has('main')) continue;
      const p = this.parses.get(file)?.parse;
      if (!p || p.nodes.some((n) => n.kind === 'directive' && n.name === 'events')) return;
    }
    const p = this.parses.get(tree.main)?.parse;
    if (!p) return;
    const end = p.lineStarts.length - 1;
    const pos = { offset: p.text.length, line: end, character: p.text.length - p.lineStarts[end] };
    const list = tree.problems.get(tree.main) ?? [];
    list.push({ code: 'missing-events', severity: 'error', message: 'no "events" section in configuration: nginx refuses to start without one (an empty "events {}" is enough)', span: { start: pos, end: pos } });
    tree.problems.set(tree.main, list);
  }

  /** Checks that need the whole tree: duplicate upstream names. */
  private crossFile(tree: Tree): void {
    const upstreams = new Map<string, { file: string; d: Directive }>();
    for (const [file, entry] of tree.files) {
      const p = this.parses.get(file)?.parse;
      if (!p || ![...entry.contexts].some((c) => c === 'http' || c === 'main')) continue;
      walk(p.nodes, (d, parents) => {
        if (d.name === 'upstream' && d.block && d.args.length === 1) {
          const inHttp = parents.some((x) => x.name === 'http') || (entry.contexts.has('http') && parents.length === 0);
          if (!inHttp) return 'skip';
          const name = d.args[0].value.toLowerCase();
          const first = upstreams.get(name);
          if (first) {
            const list = tree.problems.get(file) ?? [];
            list.push({
              code: 'duplicate-upstream',
              severity: 'error',
              message: `duplicate upstream "${d.args[0].value}" (first defined in ${path.basename(first.file)}:${first.d.nameSpan.start.line + 1})`,
              span: d.args[0].span,
            });
            tree.problems.set(file, list);
          } else upstreams.set(name, { file, d });
          return 'skip';
        }
        if (d.name === 'server' || d.name === 'location' || d.name === 'stream' || d.name === 'mail' || d.name === 'events') return 'skip';
        return undefined;
      });
    }
  }
}

/** The nearest `nginx.conf` at or above the file's folder, stopping at `stop` (inclusive) when given. */
export function findMainConfig(file: string, fs: FileSource, stop?: string): string | undefined {
  let dir = path.dirname(file);
  for (let i = 0; i < 64; i++) {
    const candidate = path.join(dir, 'nginx.conf');
    if (fs.exists(candidate)) return candidate;
    if (stop && path.resolve(dir) === path.resolve(stop)) return undefined;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
