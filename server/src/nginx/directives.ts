// Directive knowledge, looked up, never hard-coded in checks: names, contexts, block-ness and
// argument counts from nginx's source masks (data/args.ts), docs, defaults and syntax from
// @nginx/reference-lib, version gates from data/versions.ts, plus user-declared extras.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Directive as RefDirective, Variable as RefVariable } from '@nginx/reference-lib';
import { DIRECTIVE_SHAPES, argCountOk, type Ctx, type Shape } from './data/args';
import { DIRECTIVE_SINCE, DIRECTIVE_REMOVED } from './data/versions';

export type { Ctx, Shape };
export { argCountOk };

/** Block bodies that are lists of values, not directives (map, geo, types, ...). */
export type BodyCtx = Ctx | 'values' | 'unknown';

export interface DirectiveDoc {
  name: string;
  module: string;
  syntax: string[];
  contexts: string[];
  isBlock: boolean;
  default: string;
  description: string;
  url: string;
}

interface RefLib {
  getDirectives(format?: number): RefDirective[];
  getVariables(format?: number): RefVariable[];
}

/** reference-lib's Format.Markdown. */
const MARKDOWN = 1;

let refLib: RefLib | undefined;

/**
 * @nginx/reference-lib is 1.7 MB of docs that only hovers and completion need: it is bundled
 * as its own file (server/out/reference.js) and loaded on first use, so the command line and
 * the server start without parsing it. Unbundled (tests), it comes from node_modules.
 */
function reference(): RefLib {
  if (!refLib) {
    const bundled = path.join(__dirname, '..', '..', 'server', 'out', 'reference.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    refLib = (fs.existsSync(bundled) ? require(bundled) : require('@nginx/reference-lib')) as RefLib;
  }
  return refLib;
}

let docsByName: Map<string, DirectiveDoc[]> | undefined;

function moduleUrl(module: string, name: string): string {
  const area = module.startsWith('ngx_stream_') ? 'stream' : module.startsWith('ngx_mail_') ? 'mail' : module.startsWith('ngx_http_') ? 'http' : '';
  const page = module === 'ngx_core_module' || module === 'ngx_main_module' ? 'ngx_core_module' : module;
  return `https://nginx.org/en/docs/${area ? area + '/' : ''}${page}.html#${name}`;
}

/** Directive documentation by name (several entries when modules share a name, e.g. `server`). */
export function directiveDocs(name: string): DirectiveDoc[] {
  if (!docsByName) {
    docsByName = new Map();
    for (const d of reference().getDirectives(MARKDOWN)) {
      const doc: DirectiveDoc = { ...d, url: moduleUrl(d.module, d.name) };
      const list = docsByName.get(d.name);
      if (list) list.push(doc);
      else docsByName.set(d.name, [doc]);
    }
  }
  return docsByName.get(name) ?? [];
}

export interface VariableDoc {
  name: string;
  module: string;
  description: string;
}

let variables: VariableDoc[] | undefined;
export function variableDocs(): VariableDoc[] {
  variables ??= reference().getVariables(MARKDOWN) as VariableDoc[];
  return variables;
}

/** Module of a shape's context family, to pick the matching reference-lib doc. */
export function ctxFamily(ctx: Ctx): 'http' | 'stream' | 'mail' | 'core' {
  if (ctx.startsWith('stream')) return 'stream';
  if (ctx.startsWith('mail')) return 'mail';
  if (ctx === 'main' || ctx === 'events') return 'core';
  return 'http';
}

/** reference-lib's name for a context, within its module family. */
const REF_CTX: Record<Ctx, string> = {
  main: 'main', events: 'events', http: 'http', server: 'server', location: 'location', sif: 'if', lif: 'if in location',
  limit_except: 'limit_except', upstream: 'upstream', stream: 'stream', stream_server: 'server', stream_upstream: 'upstream',
  mail: 'mail', mail_server: 'server',
};

/** The doc for a directive as used in a context: `server` in upstream is the upstream module's. */
export function docFor(name: string, ctx: Ctx | undefined): DirectiveDoc | undefined {
  const docs = directiveDocs(name);
  if (docs.length <= 1 || !ctx) return docs[0];
  const fam = ctxFamily(ctx);
  const inFamily = docs.filter((d) => (fam === 'core' ? !/^ngx_(http|stream|mail)_/.test(d.module) : d.module.startsWith(`ngx_${fam}_`)));
  return inFamily.find((d) => d.contexts.includes(REF_CTX[ctx])) ?? inFamily[0] ?? docs[0];
}

/** nginx version as comparable numbers; undefined when not set or not understood. */
export function parseVersion(v: string | undefined): number[] | undefined {
  if (!v) return undefined;
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function versionLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

export interface Knowledge {
  /** Shapes known for a name, honouring the configured nginx version and extra directives. */
  shapes(name: string): readonly Shape[] | undefined;
  /** True when the name is a user-declared third-party directive (accepted anywhere). */
  isExtra(name: string): boolean;
  /** Whether a name is known at all (for the missing-`;` heuristic). */
  isKnown(name: string): boolean;
  /** Why a directive known to current nginx is unknown to the configured version. */
  versionNote(name: string): string | undefined;
  version?: number[];
}

export interface KnowledgeOptions {
  /** nginx version in use, e.g. "1.22.1". */
  version?: string;
  /** Third-party directive names; `name{}` declares a block directive. */
  extraDirectives?: readonly string[];
}

const cache = new Map<string, Knowledge>();

export function knowledge(options: KnowledgeOptions = {}): Knowledge {
  const key = `${options.version ?? ''}|${(options.extraDirectives ?? []).join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const version = parseVersion(options.version);
  const extras = new Map<string, boolean>();
  for (const e of options.extraDirectives ?? []) {
    const name = e.trim();
    if (!name) continue;
    if (name.endsWith('{}')) extras.set(name.slice(0, -2), true);
    else extras.set(name, false);
  }
  const gate = (name: string): string | undefined => {
    if (!version) return undefined;
    const since = Object.hasOwn(DIRECTIVE_SINCE, name) ? DIRECTIVE_SINCE[name] : undefined;
    if (since && versionLess(version, parseVersion(since)!)) return `"${name}" appeared in nginx ${since}; the configured version is ${version.join('.')}`;
    const removed = Object.hasOwn(DIRECTIVE_REMOVED, name) ? DIRECTIVE_REMOVED[name] : undefined;
    if (removed && !versionLess(version, parseVersion(removed)!)) return `"${name}" was removed in nginx ${removed}; the configured version is ${version.join('.')}`;
    return undefined;
  };
  const k: Knowledge = {
    version,
    shapes(name) {
      if (extras.has(name)) return undefined;
      // Own properties only: a directive named `valueOf` or `__proto__` is just unknown.
      if (!Object.hasOwn(DIRECTIVE_SHAPES, name) || gate(name)) return undefined;
      return DIRECTIVE_SHAPES[name];
    },
    isExtra: (name) => extras.has(name),
    isKnown: (name) => extras.has(name) || (Object.hasOwn(DIRECTIVE_SHAPES, name) && !gate(name)),
    versionNote: gate,
  };
  if (cache.size > 32) cache.clear();
  cache.set(key, k);
  return k;
}

/** Context of a block's children, from the block directive and the context it sits in. */
export function childCtx(name: string, ctx: BodyCtx): BodyCtx {
  if (ctx === 'values' || ctx === 'unknown') return 'unknown';
  switch (name) {
    case 'events':
      return ctx === 'main' ? 'events' : 'unknown';
    case 'http':
      return ctx === 'main' ? 'http' : 'unknown';
    case 'stream':
      return ctx === 'main' ? 'stream' : 'unknown';
    case 'mail':
      return ctx === 'main' ? 'mail' : 'unknown';
    case 'server':
      return ctx === 'http' ? 'server' : ctx === 'stream' ? 'stream_server' : ctx === 'mail' ? 'mail_server' : 'unknown';
    case 'upstream':
      return ctx === 'http' ? 'upstream' : ctx === 'stream' ? 'stream_upstream' : 'unknown';
    case 'location':
      return ctx === 'server' || ctx === 'location' ? 'location' : 'unknown';
    case 'if':
      return ctx === 'server' ? 'sif' : ctx === 'location' ? 'lif' : 'unknown';
    case 'limit_except':
      return ctx === 'location' ? 'limit_except' : 'unknown';
    case 'map':
    case 'geo':
    case 'types':
    case 'split_clients':
    case 'charset_map':
    case 'match':
    case 'geoip2':
    case 'js_import':
      return 'values';
    default:
      // A third-party block: its children are not checked.
      return 'unknown';
  }
}

/** Contexts tried, in order, for a file that nothing includes. */
export const ORPHAN_CANDIDATES: readonly Ctx[] = ['http', 'server', 'location', 'main', 'upstream', 'stream', 'stream_server', 'events', 'mail', 'mail_server'];
