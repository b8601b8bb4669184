// The nginx configuration as nginx assembles it: blocks with the directives of their
// `include`d files spliced in, each directive remembering the file it came from. Rules ask
// this view for effective values ("what fastcgi_read_timeout applies in this location?")
// instead of walking files one by one.

import { walk, type Directive } from '../nginx/ast';
import { childCtx, type BodyCtx } from '../nginx/directives';
import type { Tree } from '../nginx/project';
import type { NginxProject } from '../nginx/project';

export interface ScopedDirective {
  d: Directive;
  file: string;
  /** The block this directive sits in (undefined at the main level). */
  parent?: Scope;
}

export interface Scope {
  /** The block directive (http, server, location, upstream, ...); undefined for the top level. */
  block?: ScopedDirective;
  ctx: BodyCtx;
  items: ScopedDirective[];
  parent?: Scope;
  /** Child scopes, in order. */
  children: Scope[];
  /** `include` arguments in this block that matched no file here (stock files taken from the host). */
  unresolved?: string[];
  /** items by directive name, built on first lookup. */
  byName?: Map<string, ScopedDirective[]>;
}

const MAX_INCLUDE_DEPTH = 16;

/** Blocks that only hold one site's own settings: skipped for other files when a focus is given. */
const SITE_BLOCKS = new Set(['server', 'location', 'if', 'limit_except']);

/** The block directives that (through includes) lead to `focus`: they must be kept in a focused view. */
function pathTo(tree: Tree, project: NginxProject, focus: string): Set<Directive> {
  const needed = new Set<Directive>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const edge of tree.files.get(file)?.includedBy ?? []) {
      const p = project.parseFile(edge.from).parse;
      if (p) {
        walk(p.nodes, (d, parents) => {
          if (d === edge.directive) for (const x of parents) needed.add(x);
          return undefined;
        });
      }
      visit(edge.from);
    }
  };
  visit(focus);
  return needed;
}

let memo: { key: unknown[]; root: Scope } | undefined;

/**
 * Builds the spliced view of a tree, from its main file (or from an orphan file in the context
 * its content implies). With a `focus` file, server/location blocks of other files are left
 * out (a site's rules only need its own blocks and the shared http level: upstreams, resolver,
 * user), which keeps a re-check of one site file cheap in a 1,000-site tree. The last view is
 * reused while no file of the tree changed.
 */
export function buildScopes(tree: Tree, project: NginxProject, focus?: string): Scope {
  const key: unknown[] = [tree.main, focus];
  for (const f of tree.files.keys()) key.push(project.parseFile(f).parse);
  if (memo && memo.key.length === key.length && memo.key.every((k, i) => k === key[i])) return memo.root;
  const needed = focus ? pathTo(tree, project, focus) : undefined;
  const entry = tree.files.get(tree.main);
  const topCtx: BodyCtx = entry && entry.contexts.size > 0 ? [...entry.contexts][0] : 'main';
  const root: Scope = { ctx: topCtx, items: [], children: [] };
  const fill = (scope: Scope, nodes: readonly import('../nginx/ast').Node[], file: string, stack: string[]): void => {
    for (const n of nodes) {
      if (n.kind !== 'directive') continue;
      if (n.name === 'include' && !n.block) {
        if (stack.length >= MAX_INCLUDE_DEPTH) continue;
        const targets = tree.includeTargets.get(n) ?? [];
        if (targets.length === 0 && n.args[0]) (scope.unresolved ??= []).push(n.args[0].value);
        for (const target of targets) {
          if (stack.includes(target)) continue;
          const p = project.parseFile(target).parse;
          if (p) fill(scope, p.nodes, target, [...stack, target]);
        }
        continue;
      }
      if (needed && n.block && file !== focus && SITE_BLOCKS.has(n.name) && !needed.has(n)) continue;
      const sd: ScopedDirective = { d: n, file, parent: scope };
      scope.items.push(sd);
      if (n.block && !n.block.raw) {
        const child: Scope = { block: sd, ctx: childCtx(n.name, scope.ctx), items: [], parent: scope, children: [] };
        scope.children.push(child);
        fill(child, n.block.children, file, stack);
      }
    }
  };
  const p = project.parseFile(tree.main).parse;
  if (p) fill(root, p.nodes, tree.main, [tree.main]);
  memo = { key, root };
  return root;
}

const upstreamMemo = new WeakMap<Scope, Map<string, Scope>>();

/** Every scope, depth first. */
export function* allScopes(root: Scope): Generator<Scope> {
  const stack: Scope[] = [root];
  while (stack.length > 0) {
    const s = stack.pop()!;
    yield s;
    for (let i = s.children.length - 1; i >= 0; i--) stack.push(s.children[i]);
  }
}

const NONE: ScopedDirective[] = [];

/** Directives named `name` directly in this scope (indexed on first use: rules ask a lot). */
export function own(scope: Scope, name: string): ScopedDirective[] {
  if (!scope.byName) {
    scope.byName = new Map();
    for (const x of scope.items) {
      const list = scope.byName.get(x.d.name);
      if (list) list.push(x);
      else scope.byName.set(x.d.name, [x]);
    }
  }
  return scope.byName.get(name) ?? NONE;
}

/**
 * The directive nginx applies in this scope: the innermost scope (this one or an enclosing
 * one, up to http/stream) that sets it. For list directives (fastcgi_param, proxy_set_header,
 * add_header) nginx inherits the outer list only when the inner level sets none: same rule.
 */
export function effective(scope: Scope, name: string): ScopedDirective[] {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const found = own(s, name);
    if (found.length > 0) return found;
    if (s.block && (s.block.d.name === 'http' || s.block.d.name === 'stream')) break;
  }
  return [];
}

/** The `server` scope enclosing a scope (or itself). */
export function serverOf(scope: Scope): Scope | undefined {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.block?.d.name === 'server') return s;
  return undefined;
}

/** The main-level scope. */
export function rootOf(scope: Scope): Scope {
  let s = scope;
  while (s.parent) s = s.parent;
  return s;
}

/** Main-level directives (user, worker_connections in events, ...), wherever the tree starts. */
export function mainDirective(root: Scope, name: string): ScopedDirective | undefined {
  if (root.ctx !== 'main') return undefined;
  return own(root, name).at(-1);
}

/** Upstream blocks by name, for the http or stream family (memoized per view). */
export function upstreams(root: Scope): Map<string, Scope> {
  const hit = upstreamMemo.get(root);
  if (hit) return hit;
  const out = new Map<string, Scope>();
  for (const s of allScopes(root)) {
    if (s.block?.d.name === 'upstream' && s.block.d.args.length >= 1) out.set(s.block.d.args[0].value.toLowerCase(), s);
  }
  upstreamMemo.set(root, out);
  return out;
}

/** Parses nginx time values ("60s", "1m30s", "500ms", "2h", bare seconds) into milliseconds. */
export function parseTimeMs(v: string): number | undefined {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const re = /(\d+)(ms|s|m|h|d|w|M|y)/g;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, M: 2592000000, y: 31536000000 };
  while ((m = re.exec(v))) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  return consumed === v.length && consumed > 0 ? total : undefined;
}

/** Parses nginx sizes ("8k", "1m", "4096") into bytes. */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v);
  if (!m) return undefined;
  const mult = m[2] === '' ? 1 : /k/i.test(m[2]) ? 1024 : /m/i.test(m[2]) ? 1048576 : 1073741824;
  return Number(m[1]) * mult;
}
