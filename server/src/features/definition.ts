// Go to definition: upstream names in `*_pass` → the `upstream` block anywhere in the tree,
// `@name` → `location @name` (same server first), include arguments → the files they read,
// `$var` → its `set` / `map` / `geo` / `split_clients` / `*_set` definitions in the tree.
// Also the tree-wide indexes completion and hover use.

import type { Location, Position } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import type { Directive, Node, ParseResult, Word } from '../nginx/ast';
import { walk } from '../nginx/ast';
import type { DocumentModel } from '../service';
import { locate, offsetAt, toRange, variableAt } from './hover';

export interface TreeFile {
  file: string;
  parse: ParseResult;
}

/** The model's file first, then every other parsed file of its tree. */
export function treeFiles(m: DocumentModel): TreeFile[] {
  const out: TreeFile[] = [{ file: m.file, parse: m.parse }];
  for (const file of m.tree.files.keys()) {
    if (file === m.file) continue;
    const p = m.project.parseFile(file).parse;
    if (p) out.push({ file, parse: p });
  }
  return out;
}

export function uriFor(m: DocumentModel, file: string): string {
  return file === m.file ? m.uri : URI.file(file).toString();
}

/** Blocks whose bodies are values (keys and values), not directives. */
export const VALUE_BLOCKS = new Set(['map', 'geo', 'types', 'split_clients', 'charset_map', 'match', 'geoip2']);

/** Index of the argument that names the variable a directive defines. */
function definedVariableArg(d: Directive): Word | undefined {
  const a = d.args;
  let w: Word | undefined;
  switch (d.name) {
    case 'set':
    case 'perl_set':
    case 'js_set':
    case 'js_var':
    case 'auth_request_set':
    case 'auth_jwt_claim_set':
    case 'auth_jwt_header_set':
      w = a[0];
      break;
    case 'map':
    case 'split_clients':
      w = a[1];
      break;
    case 'geo':
      w = a.length === 1 ? a[0] : a[1];
      break;
    default:
      return undefined;
  }
  return w && w.value.startsWith('$') && w.value.length > 1 ? w : undefined;
}

export interface VariableDef {
  file: string;
  directive: Directive;
  word: Word;
  /** Variable name without `$`. */
  name: string;
}

function walkDirectives(nodes: readonly Node[], visit: (d: Directive, parents: readonly Directive[]) => void): void {
  walk(nodes, (d, parents) => {
    visit(d, parents);
    return VALUE_BLOCKS.has(d.name) || d.block?.raw ? 'skip' : undefined;
  });
}

/** Every user variable defined in the tree. */
export function allVariableDefinitions(m: DocumentModel): VariableDef[] {
  const out: VariableDef[] = [];
  for (const { file, parse } of treeFiles(m)) {
    walkDirectives(parse.nodes, (d) => {
      const w = definedVariableArg(d);
      if (w) out.push({ file, directive: d, word: w, name: w.value.slice(1).replace(/^\{(.*)\}$/, '$1') });
    });
  }
  return out;
}

export function variableDefinitions(m: DocumentModel, name: string): VariableDef[] {
  const lower = name.toLowerCase();
  // nginx variable names are case-insensitive.
  return allVariableDefinitions(m).filter((d) => d.name.toLowerCase() === lower);
}

export interface UpstreamDef {
  file: string;
  directive: Directive;
  name: string;
  /** True when the upstream sits in a stream{} block (or a file included there). */
  stream: boolean;
}

export function allUpstreams(m: DocumentModel): UpstreamDef[] {
  const out: UpstreamDef[] = [];
  for (const { file, parse } of treeFiles(m)) {
    const ctxs = file === m.file ? new Set(m.contexts) : m.tree.files.get(file)?.contexts ?? new Set();
    walkDirectives(parse.nodes, (d, parents) => {
      if (d.name !== 'upstream' || !d.block || d.args.length === 0) return;
      const stream = parents.some((p) => p.name === 'stream') || (parents.length === 0 && ctxs.has('stream'));
      out.push({ file, directive: d, name: d.args[0].value, stream });
    });
  }
  return out;
}

/** Directives whose first argument may name an upstream block. */
export const PASS_DIRECTIVES = new Set(['proxy_pass', 'fastcgi_pass', 'grpc_pass', 'uwsgi_pass', 'scgi_pass', 'memcached_pass']);

/** The upstream host named by a `*_pass` argument (`http://backend/uri` → `backend`). */
export function upstreamNameIn(value: string): { name: string; start: number } | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const start = scheme ? scheme[0].length : 0;
  let rest = value.slice(start);
  if (/^unix:/i.test(rest)) return undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) rest = rest.slice(0, slash);
  if (!rest.startsWith('[')) {
    const colon = rest.indexOf(':');
    if (colon >= 0) rest = rest.slice(0, colon);
  }
  if (!rest || rest.includes('$')) return undefined;
  return { name: rest, start };
}

export interface NamedLocation {
  file: string;
  directive: Directive;
  name: string;
}

function namedLocationsIn(file: string, nodes: readonly Node[], out: NamedLocation[]): void {
  walkDirectives(nodes, (d) => {
    if (d.name === 'location' && d.args.length === 1 && d.args[0].value.startsWith('@')) out.push({ file, directive: d, name: d.args[0].value });
  });
}

/** Named locations of the server enclosing `parents` when there is one, else of the whole tree. */
export function namedLocations(m: DocumentModel, parents: readonly Directive[]): { local: NamedLocation[]; all: () => NamedLocation[] } {
  const server = [...parents].reverse().find((p) => p.name === 'server');
  const local: NamedLocation[] = [];
  if (server?.block) namedLocationsIn(m.file, server.block.children, local);
  return {
    local,
    all: () => {
      const all: NamedLocation[] = [];
      for (const { file, parse } of treeFiles(m)) namedLocationsIn(file, parse.nodes, all);
      return all;
    },
  };
}

export function definition(m: DocumentModel, pos: Position): Location[] {
  const offset = offsetAt(m, pos);
  const at = locate(m, offset);
  if (!at) return [];
  const d = at.directive;
  const v = variableAt(at.word, offset);
  if (v) {
    return variableDefinitions(m, v.name).map((def) => ({ uri: uriFor(m, def.file), range: toRange(def.word.span) }));
  }
  if (at.index < 0) return [];
  const value = at.word.value;
  if (d.name === 'include' && at.index === 0) {
    // The files the tree read for this include; else resolve it as nginx would.
    const files = m.tree.includeTargets?.get(d) ?? m.project.resolveInclude(value, m.tree.prefix).files;
    const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return files.map((f) => ({ uri: uriFor(m, f), range: zero }));
  }
  if (PASS_DIRECTIVES.has(d.name) && at.index === 0) {
    const u = upstreamNameIn(value);
    if (!u) return [];
    const name = u.name.toLowerCase();
    const inStream = at.parents.some((p) => p.name === 'stream') || (at.parents.length === 0 || !at.parents.some((p) => p.name === 'http')) && m.contexts.some((c) => c.startsWith('stream'));
    const matches = allUpstreams(m).filter((x) => x.name.toLowerCase() === name);
    const preferred = matches.filter((x) => x.stream === inStream);
    return (preferred.length > 0 ? preferred : matches).map((x) => ({ uri: uriFor(m, x.file), range: toRange(x.directive.args[0].span) }));
  }
  if (value.startsWith('@') && value.length > 1 && d.name !== 'location') {
    const named = namedLocations(m, at.parents);
    let hits = named.local.filter((l) => l.name === value);
    if (hits.length === 0) hits = named.all().filter((l) => l.name === value);
    return hits.map((l) => ({ uri: uriFor(m, l.file), range: toRange(l.directive.args[0].span) }));
  }
  return [];
}
