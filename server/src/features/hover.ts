// Hover: documentation of the directive under the cursor (the module entry matching the
// context it sits in) and of `$variables` (built-in from reference-lib, prefix families such as
// `$http_name`, or where a user variable is set in the tree). Also home of the small position
// helpers the other features share.

import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver';
import type { Directive, Node, Pos, Span, Word } from '../nginx/ast';
import { childCtx, ctxFamily, directiveDocs, docFor, variableDocs, type BodyCtx, type Ctx, type DirectiveDoc, type VariableDoc } from '../nginx/directives';
import type { DocumentModel } from '../service';
import { variableDefinitions } from './definition';

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/** Offset of an LSP position in the model's text (clamped to the line and the text). */
export function offsetAt(m: DocumentModel, pos: Position): number {
  const starts = m.parse.lineStarts;
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return m.text.length;
  const start = starts[pos.line];
  const next = pos.line + 1 < starts.length ? starts[pos.line + 1] - 1 : m.text.length;
  let end = next;
  if (end > start && m.text.charCodeAt(end - 1) === 13) end--;
  return Math.min(start + Math.max(0, pos.character), Math.max(start, end));
}

export function toRange(span: Span): Range {
  return { start: { line: span.start.line, character: span.start.character }, end: { line: span.end.line, character: span.end.character } };
}

export function rangeOf(start: Pos, end: Pos): Range {
  return { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } };
}

/** The context the top level of the document is read in. */
export function topCtx(m: DocumentModel): BodyCtx {
  return m.contexts[0] ?? 'http';
}

/** Context of a directive's own list, from its parent blocks. */
export function ctxOf(m: DocumentModel, parents: readonly Directive[]): BodyCtx {
  let ctx = topCtx(m);
  for (const p of parents) ctx = childCtx(p.name, ctx);
  return ctx;
}

/** The nearest real context through a chain of block names (a stream `map` body → stream). */
export function familyCtx(top: BodyCtx, names: readonly string[]): BodyCtx {
  let ctx = top;
  let last = top;
  for (const n of names) {
    ctx = childCtx(n, ctx);
    if (isCtx(ctx)) last = ctx;
  }
  return last;
}

export function isCtx(c: BodyCtx): c is Ctx {
  return c !== 'values' && c !== 'unknown';
}

export interface Located {
  directive: Directive;
  parents: Directive[];
  /** -1 for the directive name, else the argument index. */
  index: number;
  word: Word;
}

/** The name of a directive as a Word (raw text taken from the source). */
export function nameWord(text: string, d: Directive): Word {
  const raw = text.slice(d.nameSpan.start.offset, d.nameSpan.end.offset);
  const q = raw[0] === '"' || raw[0] === "'" ? (raw[0] as '"' | "'") : null;
  return { value: d.name, raw, quote: q, span: d.nameSpan };
}

/** The word (name or argument) under an offset, with its directive and parent blocks. */
export function locate(m: DocumentModel, offset: number): Located | undefined {
  const parents: Directive[] = [];
  let found: Located | undefined;
  const inside = (s: Span): boolean => s.start.offset <= offset && offset <= s.end.offset;
  const rec = (list: readonly Node[]): boolean => {
    for (const n of list) {
      if (n.kind !== 'directive') continue;
      if (n.span.start.offset > offset) return true;
      if (n.name !== '' && inside(n.nameSpan)) {
        found = { directive: n, parents: [...parents], index: -1, word: nameWord(m.text, n) };
        return true;
      }
      for (let i = 0; i < n.args.length; i++) {
        if (inside(n.args[i].span)) {
          found = { directive: n, parents: [...parents], index: i, word: n.args[i] };
          return true;
        }
      }
      if (n.block && n.block.children.length > 0 && n.block.open.end.offset <= offset && (!n.block.close || offset <= n.block.close.start.offset)) {
        parents.push(n);
        const done = rec(n.block.children);
        parents.pop();
        if (done || found) return true;
      }
    }
    return false;
  };
  rec(m.parse.nodes);
  return found;
}

/** The `$name` / `${name}` variable reference in a word's source text around an offset. */
export function variableAt(word: Word, offset: number): { name: string; start: Pos; end: Pos } | undefined {
  const raw = word.raw;
  const rel = offset - word.span.start.offset;
  for (const v of scanVariables(raw)) {
    if (v.start <= rel && rel <= v.end) {
      return { name: v.name, start: advancePos(word.span.start, raw, v.start), end: advancePos(word.span.start, raw, v.end) };
    }
  }
  return undefined;
}

function advancePos(p: Pos, raw: string, n: number): Pos {
  let line = p.line;
  let character = p.character;
  for (let i = 0; i < n; i++) {
    if (raw.charCodeAt(i) === 10) {
      line++;
      character = 0;
    } else character++;
  }
  return { offset: p.offset + n, line, character };
}

/** Every `$name` and `${name}` in a raw word: name without `$`, and its [start, end) in raw. */
export function scanVariables(raw: string): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  const re = /\\.|\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  for (let mm = re.exec(raw); mm; mm = re.exec(raw)) {
    if (mm[0][0] === '\\') continue;
    out.push({ name: mm[1] ?? mm[2], start: mm.index, end: mm.index + mm[0].length });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Documentation lookups
// ---------------------------------------------------------------------------------------------

/** reference-lib's context label for one of our contexts. */
function refCtxLabel(ctx: Ctx): string {
  switch (ctx) {
    case 'sif': return 'if';
    case 'lif': return 'if in location';
    case 'stream_server':
    case 'mail_server': return 'server';
    case 'stream_upstream': return 'upstream';
    default: return ctx;
  }
}

/**
 * The doc entry for a directive in a context: the module family of the context (http, stream,
 * mail), then the entry whose contexts list the context (the upstream `server` vs the http one).
 */
export function pickDoc(name: string, ctx: BodyCtx | undefined): DirectiveDoc | undefined {
  const docs = directiveDocs(name);
  if (docs.length <= 1 || !ctx || !isCtx(ctx)) return docs[0];
  const fam = ctxFamily(ctx);
  const inFamily = fam === 'core' ? docs : docs.filter((d) => d.module.startsWith(`ngx_${fam}_`));
  const label = refCtxLabel(ctx);
  const exact = inFamily.find((d) => d.contexts.includes(label));
  if (exact) return exact;
  if (fam === 'core') {
    const core = docs.find((d) => d.contexts.includes(label));
    if (core) return core;
  }
  return inFamily[0] ?? docFor(name, ctx);
}

/** Syntax lines of a doc as markdown (reference-lib's syntax is already markdown). */
export function syntaxLines(doc: DirectiveDoc): string[] {
  return doc.syntax.map((s) => {
    const body = s.trim();
    if (doc.isBlock && body.endsWith('`{...}`')) return `\`${doc.name}\` ${body}`;
    return `\`${doc.name}\`${body ? ' ' + body : ''};`;
  });
}

/** Plain text of a markdown syntax line (for completion details). */
export function plainSyntax(doc: DirectiveDoc): string {
  const first = doc.syntax[0]?.trim() ?? '';
  const plain = first.replace(/\*`([^`]*)`\*/g, '$1').replace(/`([^`]*)`/g, '$1').replace(/\\(.)/g, '$1');
  return `${doc.name}${plain ? ' ' + plain : ''}${doc.isBlock && plain.endsWith('{...}') ? '' : ';'}`;
}

export function directiveMarkdown(doc: DirectiveDoc): string {
  const lines: string[] = [];
  lines.push(`**${doc.name}** — \`${doc.module}\``);
  lines.push('');
  const syn = syntaxLines(doc);
  if (syn.length === 1) lines.push(`**Syntax:** ${syn[0]}`);
  else if (syn.length > 1) {
    lines.push('**Syntax:**', '');
    for (const s of syn) lines.push(`- ${s}`);
  }
  lines.push('');
  lines.push(`**Default:** ${doc.default ? '`' + `${doc.name} ${doc.default.replace(/`/g, '')}`.trim() + ';`' : '—'}`);
  lines.push('');
  lines.push(`**Context:** ${doc.contexts.filter((c) => c).map((c) => '`' + c + '`').join(', ') || '—'}`);
  lines.push('');
  lines.push(`**Module:** [${doc.module}](${doc.url.replace(/#.*$/, '')})`);
  lines.push('');
  lines.push('---');
  lines.push('');
  lines.push(doc.description.trim());
  lines.push('');
  lines.push(`[Documentation on nginx.org](${doc.url})`);
  return lines.join('\n');
}

interface VarInfo {
  doc?: VariableDoc;
  /** The documented prefix family, e.g. `$http_name` for `$http_user_agent`. */
  family?: string;
}

/** The reference-lib entry for a variable name (without `$`), preferring the context's module family. */
export function lookupVariable(name: string, ctx: BodyCtx | undefined): VarInfo {
  const all = variableDocs();
  const fam = ctx && isCtx(ctx) ? ctxFamily(ctx) : 'http';
  const prefer = (list: VariableDoc[]): VariableDoc | undefined =>
    list.find((v) => v.module.startsWith(`ngx_${fam === 'core' ? 'http' : fam}_`)) ?? list[0];
  const exact = all.filter((v) => v.name === '$' + name);
  if (exact.length > 0) return { doc: prefer(exact) };
  let best: VariableDoc[] = [];
  let bestLen = 0;
  for (const v of all) {
    if (!v.name.endsWith('_NAME')) continue;
    const prefix = v.name.slice(1, -4);
    if (name.startsWith(prefix) && name.length > prefix.length && prefix.length >= bestLen) {
      if (prefix.length > bestLen) best = [];
      best.push(v);
      bestLen = prefix.length;
    }
  }
  const doc = prefer(best);
  return doc ? { doc, family: doc.name.slice(0, -4) + 'name' } : {};
}

function docUrl(v: VariableDoc): string {
  const area = v.module.startsWith('ngx_stream_') ? 'stream/' : v.module.startsWith('ngx_mail_') ? 'mail/' : 'http/';
  return `https://nginx.org/en/docs/${area}${v.module}.html#var_${v.name.slice(1).replace(/_NAME$/, '_')}`;
}

function basename(file: string): string {
  const i = file.lastIndexOf('/');
  return i >= 0 ? file.slice(i + 1) : file;
}

export function variableMarkdown(m: DocumentModel, name: string, ctx: BodyCtx | undefined): string | undefined {
  const parts: string[] = [];
  if (/^\d+$/.test(name)) {
    parts.push(`**$${name}** — regular expression capture ${name}`, '', 'Set by the last matched regular expression (`location`, `if`, `rewrite`, `server_name`, `map`).');
  }
  const info = lookupVariable(name, ctx);
  if (info.doc) {
    const head = info.family ? `**$${name}** — \`${info.family}\` (\`${info.doc.module}\`)` : `**$${name}** — \`${info.doc.module}\``;
    parts.push(head, '', info.doc.description.trim(), '', `[Documentation on nginx.org](${docUrl(info.doc)})`);
  }
  const defs = variableDefinitions(m, name);
  if (defs.length > 0) {
    if (parts.length > 0) parts.push('', '---', '');
    else parts.push(`**$${name}** — user variable`, '');
    for (const d of defs.slice(0, 10)) {
      const where = d.file === m.file ? `line ${d.directive.nameSpan.start.line + 1}` : `${basename(d.file)} line ${d.directive.nameSpan.start.line + 1}`;
      parts.push(`Set by \`${d.directive.name}\` on ${where}  `);
    }
    if (defs.length > 10) parts.push(`… and ${defs.length - 10} more`);
  }
  return parts.length > 0 ? parts.join('\n') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Hover
// ---------------------------------------------------------------------------------------------

export function hover(m: DocumentModel, pos: Position): Hover | null {
  const offset = offsetAt(m, pos);
  const at = locate(m, offset);
  if (!at) return null;
  const ctx = ctxOf(m, at.parents);
  const v = variableAt(at.word, offset);
  if (v) {
    const md = variableMarkdown(m, v.name, familyCtx(topCtx(m), at.parents.map((p) => p.name)));
    if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: rangeOf(v.start, v.end) };
    return null;
  }
  if (at.index !== -1) return null;
  // In map/geo/types bodies the "names" are keys, not directives.
  if (!isCtx(ctx)) return null;
  const doc = pickDoc(at.directive.name, ctx);
  if (!doc) return null;
  return { contents: { kind: MarkupKind.Markdown, value: directiveMarkdown(doc) }, range: toRange(at.directive.nameSpan) };
}
