// Completion. The statement under the cursor is found by lexing the text up to the cursor, so
// it works on text being typed (no `;` yet, an open `{`, an unclosed string): the open blocks
// give the context, the words since the last `;`/`{`/`}` give the statement.
// - at a statement start: the directives allowed in that context (none inside map/geo/types);
// - in an argument: `$variables`, upstream names in `*_pass`, `@named` locations in
//   `try_files`/`error_page`, `on`/`off` for flags (and other fixed keyword values).

import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type Position,
  type Range,
} from 'vscode-languageserver';
import { posAt, type Directive, type Node, type Pos, type Word } from '../nginx/ast';
import { Lexer } from '../nginx/lexer';
import { DIRECTIVE_SHAPES } from '../nginx/data/args';
import { childCtx, variableDocs, type BodyCtx, type Ctx, type DirectiveDoc, type Shape } from '../nginx/directives';
import type { DocumentModel } from '../service';
import { allUpstreams, allVariableDefinitions, namedLocations, PASS_DIRECTIVES } from './definition';
import { familyCtx, isCtx, offsetAt, pickDoc, plainSyntax, rangeOf, topCtx } from './hover';

const isRawBlock = (name: string): boolean => name.endsWith('_by_lua_block') || name === 'lua_block';

interface Scan {
  /** Block directives open at the cursor, outermost first. */
  stack: string[];
  /** Words of the statement being written, up to the cursor. */
  words: Word[];
  /** The last word when the cursor touches its end (the word being typed). */
  partial?: Word;
  /** The partial word is a string whose quote is not closed yet. */
  openQuote: boolean;
}

/** Lexes the text before the cursor; undefined when the cursor is in a comment or a raw Lua body. */
function scan(text: string, offset: number): Scan | undefined {
  const before = text.slice(0, offset);
  const unclosed = new Set<number>();
  const lx = new Lexer(before, (p) => {
    if (p.code === 'unexpected-eof') unclosed.add(p.span.start.offset);
  });
  const stack: string[] = [];
  let words: Word[] = [];
  for (let guard = 0; guard < 5_000_000; guard++) {
    const t = lx.next();
    if (t.type === 'eof') break;
    if (t.type === 'word') {
      words.push(t.word);
      continue;
    }
    if (t.type === 'comment') {
      if (t.span.end.offset >= before.length) return undefined;
      continue;
    }
    if (t.type === ';') {
      words = [];
      continue;
    }
    if (t.type === '{') {
      const name = words[0]?.value ?? '';
      words = [];
      if (isRawBlock(name)) {
        const r = lx.rawLuaBlock();
        if (!r.close) return undefined;
        continue;
      }
      stack.push(name);
      continue;
    }
    // `}`
    stack.pop();
    words = [];
  }
  const last = words.at(-1);
  const partial = last && last.span.end.offset === before.length ? last : undefined;
  return { stack, words, partial, openQuote: partial !== undefined && partial.quote !== null && unclosed.has(partial.span.start.offset) };
}

/** Position of an offset in the text (the text before the cursor was lexed from its start). */
function posOf(m: DocumentModel, offset: number): Pos {
  return posAt(m.parse.lineStarts, offset);
}

function shapeIn(m: DocumentModel, name: string, ctx: Ctx): Shape | undefined {
  return m.knowledge.shapes(name)?.find((s) => s.ctx.includes(ctx));
}

function shortDoc(doc: DirectiveDoc): string {
  let desc = doc.description.trim();
  const para = desc.indexOf('\n\n');
  if (para > 0) desc = desc.slice(0, para);
  if (desc.length > 600) desc = desc.slice(0, 600).replace(/\s+\S*$/, '') + ' …';
  return `${desc}\n\n[nginx.org](${doc.url})`;
}

function directiveItems(m: DocumentModel, ctx: Ctx, range: Range): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const name of Object.keys(DIRECTIVE_SHAPES)) {
    const shape = shapeIn(m, name, ctx);
    if (!shape) continue;
    const doc = pickDoc(name, ctx);
    const item: CompletionItem = {
      label: name,
      kind: shape.block ? CompletionItemKind.Module : CompletionItemKind.Property,
      detail: doc ? plainSyntax(doc) : name,
    };
    if (doc) item.documentation = { kind: MarkupKind.Markdown, value: shortDoc(doc) };
    if (shape.block) {
      const noArgs = shape.args.length === 1 && shape.args[0] === 'NOARGS';
      const head = name === 'if' ? 'if ($1)' : noArgs ? name : `${name} $1`;
      item.textEdit = { range, newText: `${head} {\n\t$0\n}` };
      item.insertTextFormat = InsertTextFormat.Snippet;
    } else {
      item.textEdit = { range, newText: name };
    }
    out.push(item);
  }
  return out;
}

/** `$` + name characters at the end of the text typed so far: the variable being written. */
function variablePrefix(typed: string): { at: number; braced: boolean } | undefined {
  const mm = /\$(\{?)[A-Za-z0-9_]*$/.exec(typed);
  if (!mm) return undefined;
  // `\$` is a literal dollar (in regular expressions).
  let bs = 0;
  for (let i = mm.index - 1; i >= 0 && typed[i] === '\\'; i--) bs++;
  if (bs % 2 === 1) return undefined;
  return { at: mm.index, braced: mm[1] === '{' };
}

function snippetEscape(s: string): string {
  return s.replace(/[\\$}]/g, '\\$&');
}

function variableItems(m: DocumentModel, ctx: BodyCtx, range: Range, braced: boolean): CompletionItem[] {
  const out: CompletionItem[] = [];
  const seen = new Set<string>();
  const wrap = (n: string): string => (braced ? `\${${n}}` : `$${n}`);
  for (const def of allVariableDefinitions(m)) {
    const key = def.name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const line = def.directive.nameSpan.start.line + 1;
    const where = def.file === m.file ? `line ${line}` : `${def.file.slice(def.file.lastIndexOf('/') + 1)}:${line}`;
    out.push({
      label: `$${def.name}`,
      kind: CompletionItemKind.Variable,
      detail: `set by ${def.directive.name} (${where})`,
      sortText: `0${def.name}`,
      filterText: braced ? `\${${def.name}` : `$${def.name}`,
      textEdit: { range, newText: wrap(def.name) },
    });
  }
  const stream = isCtx(ctx) && ctx.startsWith('stream');
  const module = stream ? 'ngx_stream_' : 'ngx_http_';
  for (const v of variableDocs()) {
    if (!v.module.startsWith(module)) continue;
    const name = v.name.slice(1);
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    let desc = v.description.trim();
    if (desc.length > 500) desc = desc.slice(0, 500).replace(/\s+\S*$/, '') + ' …';
    if (name.endsWith('_NAME')) {
      const prefix = name.slice(0, -4);
      out.push({
        label: `$${prefix}name`,
        kind: CompletionItemKind.Variable,
        detail: `${v.module} (any ${prefix}… name)`,
        documentation: { kind: MarkupKind.Markdown, value: desc },
        sortText: `1${prefix}`,
        filterText: braced ? `\${${prefix}` : `$${prefix}`,
        textEdit: { range, newText: braced ? `\\\${${snippetEscape(prefix)}\${1:name}}` : `\\$${snippetEscape(prefix)}\${1:name}` },
        insertTextFormat: InsertTextFormat.Snippet,
      });
      continue;
    }
    out.push({
      label: `$${name}`,
      kind: CompletionItemKind.Variable,
      detail: v.module,
      documentation: { kind: MarkupKind.Markdown, value: desc },
      sortText: `1${name}`,
      filterText: braced ? `\${${name}` : `$${name}`,
      textEdit: { range, newText: wrap(name) },
    });
  }
  return out;
}

/** The directives enclosing an offset in the parsed tree (for the enclosing server). */
function parentsAt(m: DocumentModel, offset: number): Directive[] {
  const parents: Directive[] = [];
  let list: readonly Node[] = m.parse.nodes;
  for (let depth = 0; depth < 256; depth++) {
    const next = list.find(
      (n): n is Directive =>
        n.kind === 'directive' && !!n.block && n.block.open.end.offset <= offset && (n.block.close ? offset <= n.block.close.start.offset : offset <= n.span.end.offset + 1),
    );
    if (!next?.block) break;
    parents.push(next);
    list = next.block.children;
  }
  return parents;
}

function keywordItems(values: string[], range: Range, detail: string): CompletionItem[] {
  return values.map((v, i) => ({ label: v, kind: CompletionItemKind.Value, detail, sortText: String(i).padStart(3, '0'), textEdit: { range, newText: v } }));
}

/** Fixed keyword values from reference-lib's syntax line, e.g. "`on` | `off`". */
function literalChoices(doc: DirectiveDoc | undefined): string[] {
  const syn = doc?.syntax[0]?.trim();
  if (!syn || !/^`[^`]+`(\s*\|\s*`[^`]+`)+$/.test(syn)) return [];
  return syn.split('|').map((s) => s.trim().replace(/^`|`$/g, ''));
}

/**
 * The statement being written when the one before it lacks its `;` (the user is typing a new
 * line): the words from the last word that starts a line and names a directive allowed here,
 * or from the word being typed when it is the first of its line. nginx would read them as
 * more arguments, but the user means a new statement (the analyzer reports the missing `;`).
 */
function splitAtMissingSemicolon(m: DocumentModel, words: Word[], partial: Word | undefined, ctx: Ctx): Word[] {
  for (let i = words.length - 1; i > 0; i--) {
    const w = words[i];
    if (w.span.start.line <= words[i - 1].span.end.line || w.quote !== null) continue;
    if (w === partial && /^[A-Za-z0-9_]*$/.test(w.raw)) return words.slice(i);
    if (w.value !== words[0].value && shapeIn(m, w.value, ctx)) return words.slice(i);
  }
  return words;
}

export function complete(m: DocumentModel, pos: Position): CompletionItem[] {
  const offset = offsetAt(m, pos);
  const s = scan(m.text, offset);
  if (!s) return [];
  let ctx: BodyCtx = topCtx(m);
  for (const name of s.stack) ctx = childCtx(name, ctx);

  const partial = s.partial;
  const typed = partial ? m.text.slice(partial.span.start.offset, offset) : '';
  const cursor = posOf(m, offset);
  const replace = (from: number): Range => rangeOf(posOf(m, from), cursor);
  const words = isCtx(ctx) ? splitAtMissingSemicolon(m, s.words, partial, ctx) : s.words;
  const argWords = partial ? words.slice(0, -1) : words;

  if (argWords.length === 0) {
    // Statement start.
    if (!isCtx(ctx)) return [];
    if (partial && (partial.quote !== null || !/^[A-Za-z0-9_]*$/.test(typed))) return [];
    return directiveItems(m, ctx, replace(partial ? partial.span.start.offset : offset));
  }

  if (partial && partial.quote !== null && !s.openQuote) return []; // after a closed string
  const name = argWords[0].value;
  const index = argWords.length - 1;

  const vp = variablePrefix(typed);
  if (vp) return variableItems(m, familyCtx(topCtx(m), s.stack), replace((partial ? partial.span.start.offset : offset) + vp.at), vp.braced);
  if (!isCtx(ctx) || s.openQuote) return [];
  const from = partial ? partial.span.start.offset : offset;

  if (PASS_DIRECTIVES.has(name) && index === 0) {
    const mm = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([A-Za-z0-9_.-]*)$/.exec(typed);
    if (!mm) return [];
    const stream = ctx.startsWith('stream');
    const names = [...new Set(allUpstreams(m).filter((u) => u.stream === stream).map((u) => u.name))];
    const scheme = mm[1];
    if (scheme) return keywordItems(names, replace(from + scheme.length), 'upstream');
    const needsScheme = !stream && (name === 'proxy_pass' || name === 'grpc_pass');
    if (!needsScheme) return keywordItems(names, replace(from), 'upstream');
    const prefix = name === 'grpc_pass' ? 'grpc://' : 'http://';
    return names.map((n, i) => ({
      label: prefix + n,
      kind: CompletionItemKind.Reference,
      detail: 'upstream',
      sortText: String(i).padStart(4, '0'),
      textEdit: { range: replace(from), newText: prefix + n },
    }));
  }

  if ((name === 'try_files' || name === 'error_page') && index >= 1 && (typed === '' || typed.startsWith('@'))) {
    const named = namedLocations(m, parentsAt(m, offset));
    let list = named.local;
    if (list.length === 0) list = named.all();
    const names = [...new Set(list.map((l) => l.name))];
    return names.map((n) => ({ label: n, kind: CompletionItemKind.Reference, detail: 'named location', textEdit: { range: replace(from), newText: n } }));
  }

  if (index === 0) {
    const shape = shapeIn(m, name, ctx);
    if (shape && shape.args.length === 1 && shape.args[0] === 'FLAG') return keywordItems(['on', 'off'], replace(from), name);
    const choices = literalChoices(pickDoc(name, ctx));
    if (shape && choices.length > 0) return keywordItems(choices, replace(from), name);
  }
  return [];
}
