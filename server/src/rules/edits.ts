// Building edits that keep a config's layout: new directives get the indentation of their
// neighbours, replaced values keep the rest of the line.

import type { Span } from '../nginx/ast';
import type { Scope, ScopedDirective } from '../site/scope';
import type { Pool } from '../site/pools';
import type { FileEdit, RuleContext } from './rule';

function lineIndent(text: string | undefined, offset: number): string {
  if (!text) return '';
  let s = offset;
  while (s > 0 && text.charCodeAt(s - 1) !== 10) s--;
  const m = /^[ \t]*/.exec(text.slice(s, Math.min(text.length, s + 200)));
  return m ? m[0] : '';
}

function point(span: Span, at: 'start' | 'end'): Span {
  const p = at === 'start' ? span.start : span.end;
  return { start: p, end: p };
}

/** Inserts a directive on a new line after an existing one, at the same indentation. */
export function insertAfter(ctx: RuleContext, after: ScopedDirective, line: string): FileEdit {
  const indent = lineIndent(ctx.text(after.file), after.d.nameSpan.start.offset);
  return { file: after.file, span: point(after.d.span, 'end'), newText: `\n${indent}${line}` };
}

/** Inserts a directive as the first statement of a block, indented one level deeper than the block. */
export function insertInBlock(ctx: RuleContext, scope: Scope, line: string): FileEdit | undefined {
  const block = scope.block;
  if (!block || !block.d.block) return undefined;
  const text = ctx.text(block.file);
  const first = scope.items.find((x) => x.file === block.file);
  const indent = first ? lineIndent(text, first.d.nameSpan.start.offset) : lineIndent(text, block.d.nameSpan.start.offset) + '    ';
  return { file: block.file, span: point(block.d.block.open, 'end'), newText: `\n${indent}${line}` };
}

/** Replaces the arguments of a directive, keeping its name and `;`. */
export function replaceArgs(sd: ScopedDirective, args: string): FileEdit {
  const a = sd.d.args;
  if (a.length === 0) return { file: sd.file, span: point(sd.d.nameSpan, 'end'), newText: ' ' + args };
  return { file: sd.file, span: { start: a[0].span.start, end: a[a.length - 1].span.end }, newText: args };
}

/** Replaces one argument. */
export function replaceArg(sd: ScopedDirective, index: number, value: string): FileEdit {
  return { file: sd.file, span: sd.d.args[index].span, newText: value };
}

/** Sets a pool key: replaces its line when present, else adds it at the end of the pool. */
export function setPoolValue(pool: Pool, key: string, value: string): FileEdit {
  const v = pool.values.get(key);
  if (v && v.file === pool.file) return { file: v.file, span: v.lineSpan, newText: `${key} = ${value}` };
  return { file: pool.file, span: pool.insertAt, newText: `\n${key} = ${value}` };
}
