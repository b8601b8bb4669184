// Formatter. Re-indents by block depth and puts one statement per line, and never changes
// what nginx reads:
// - every token is emitted from its source text (Word.raw), never re-quoted or joined;
// - whitespace is only changed between tokens, and a `#` is only ever emitted where a comment
//   already started (comments keep their text; a trailing comment stays on its line);
// - arguments that started a new line stay on a continuation line (one level deeper);
// - `*_by_lua_block` bodies are kept verbatim;
// - at most one blank line is kept between statements;
// - input with syntax errors is never formatted.

import type { FormattingOptions, TextEdit } from 'vscode-languageserver';
import type { Comment, Directive, Node, ParseResult } from '../nginx/ast';
import type { DocumentModel } from '../service';

interface Item {
  text: string;
  startLine: number;
  endLine: number;
  offset: number;
  comment: boolean;
}

class Printer {
  private readonly out: string[] = [];
  private readonly unit: string;

  constructor(
    private readonly text: string,
    options: FormattingOptions,
  ) {
    const size = Number.isFinite(options.tabSize) && options.tabSize > 0 ? Math.min(Math.floor(options.tabSize), 16) : 4;
    this.unit = options.insertSpaces === false ? '\t' : ' '.repeat(size);
  }

  private indent(depth: number): string {
    return this.unit.repeat(depth);
  }

  private commentText(c: Comment): string {
    return ('#' + c.text).trimEnd();
  }

  /** Appends to the last emitted line (a trailing comment). */
  private appendToLast(s: string): void {
    if (this.out.length === 0) this.out.push(s);
    else this.out[this.out.length - 1] += ' ' + s;
  }

  /**
   * Emits a list of statements. `prevLine` is the source line of the token emitted last before
   * the list (the `{` of the block), or -1 at the top of the file.
   */
  list(nodes: readonly Node[], depth: number, prevLine: number): void {
    let first = true;
    for (const n of nodes) {
      if (n.kind === 'comment') {
        if (n.span.start.line === prevLine && (this.out.length > 0)) {
          this.appendToLast(this.commentText(n));
        } else {
          if (!first && n.span.start.line - prevLine > 1) this.out.push('');
          this.out.push(this.indent(depth) + this.commentText(n));
        }
        prevLine = n.span.end.line;
      } else {
        if (!first && n.span.start.line - prevLine > 1) this.out.push('');
        this.directive(n, depth);
        prevLine = n.span.end.line;
      }
      first = false;
    }
  }

  private raw(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  private directive(d: Directive, depth: number): void {
    const items: Item[] = [
      { text: this.raw(d.nameSpan.start.offset, d.nameSpan.end.offset), startLine: d.nameSpan.start.line, endLine: d.nameSpan.end.line, offset: d.nameSpan.start.offset, comment: false },
    ];
    for (const a of d.args) items.push({ text: a.raw, startLine: a.span.start.line, endLine: a.span.end.line, offset: a.span.start.offset, comment: false });
    for (const c of d.innerComments ?? []) items.push({ text: this.commentText(c), startLine: c.span.start.line, endLine: c.span.end.line, offset: c.span.start.offset, comment: true });
    items.sort((a, b) => a.offset - b.offset);

    let line = this.indent(depth) + items[0].text;
    let lastEnd = items[0].endLine;
    let lastComment = items[0].comment;
    for (let i = 1; i < items.length; i++) {
      const it = items[i];
      if (!lastComment && it.startLine === lastEnd) line += ' ' + it.text;
      else {
        this.out.push(line);
        line = this.indent(depth + 1) + it.text;
      }
      lastEnd = it.endLine;
      lastComment = it.comment;
    }

    const b = d.block;
    if (!b) {
      if (lastComment) {
        this.out.push(line);
        line = this.indent(depth + 1) + ';';
      } else line += ';';
      this.out.push(line);
      return;
    }
    if (lastComment) {
      this.out.push(line);
      line = this.indent(depth) + '{';
    } else line += ' {';

    if (b.raw) {
      // Verbatim body; only the blanks before the first line break and before the `}` change.
      let body = b.raw.text.replace(/^[ \t]+(?=\r?\n)/, '');
      if (/\n[ \t]*$/.test(body)) body = body.replace(/\n[ \t]*$/, '\n' + this.indent(depth));
      this.out.push(line + body + '}');
      return;
    }
    if (b.children.length === 0) {
      this.out.push(line + '}');
      return;
    }
    this.out.push(line);
    this.list(b.children, depth + 1, b.open.end.line);
    this.out.push(this.indent(depth) + '}');
  }

  result(eol: string): string {
    if (this.out.length === 0) return '';
    return this.out.join(eol) + eol;
  }
}

/** Formats parsed nginx text; undefined when the parse has errors. */
export function formatText(text: string, parse: ParseResult, options: FormattingOptions): string | undefined {
  if (parse.problems.some((p) => p.severity === 'error')) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const p = new Printer(text, options);
  p.list(parse.nodes, 0, -1);
  return p.result(eol);
}

export function formatDocument(m: DocumentModel, options: FormattingOptions): TextEdit[] {
  const out = formatText(m.text, m.parse, options);
  if (out === undefined || out === m.text) return [];
  const starts = m.parse.lineStarts;
  const lastLine = starts.length - 1;
  return [
    {
      range: { start: { line: 0, character: 0 }, end: { line: lastLine, character: m.text.length - starts[lastLine] } },
      newText: out,
    },
  ];
}
