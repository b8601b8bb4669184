// The nginx syntax tree. Every node keeps offsets, line and column (0-based, UTF-16 code units,
// as LSP counts them) so that diagnostics, hovers and edits can point at exact ranges.

export interface Pos {
  offset: number;
  line: number;
  character: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

/**
 * A span stored flat: line and column numbers, with `start`/`end` made on access. The parser
 * makes hundreds of thousands of spans for a big tree and most are never looked at; four
 * objects per token became one, and the garbage collector's share of a full-tree check halved.
 */
export class TextSpan implements Span {
  constructor(
    readonly so: number,
    readonly sl: number,
    readonly sc: number,
    readonly eo: number,
    readonly el: number,
    readonly ec: number,
  ) {}
  get start(): Pos {
    return { offset: this.so, line: this.sl, character: this.sc };
  }
  get end(): Pos {
    return { offset: this.eo, line: this.el, character: this.ec };
  }
  toJSON(): { start: Pos; end: Pos } {
    return { start: this.start, end: this.end };
  }
}

/**
 * A word token that is its own span: one object per argument instead of two (a big tree has
 * hundreds of thousands of them, kept for as long as the file is open).
 */
export class WordSpan extends TextSpan implements Word {
  constructor(
    so: number,
    sl: number,
    sc: number,
    eo: number,
    el: number,
    ec: number,
    readonly value: string,
    readonly raw: string,
    readonly quote: '"' | "'" | null,
  ) {
    super(so, sl, sc, eo, el, ec);
  }
  get span(): Span {
    return this;
  }
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  if (a instanceof TextSpan && b instanceof TextSpan) return new TextSpan(a.so, a.sl, a.sc, b.eo, b.el, b.ec);
  return { start: a.start, end: b.end };
}

/** One argument (or the name) of a directive, as nginx reads it. */
export interface Word {
  /** The value nginx sees: quotes removed, `\"` `\'` `\\` `\t` `\r` `\n` unescaped. */
  value: string;
  /** The source text, quotes included. */
  raw: string;
  quote: '"' | "'" | null;
  span: Span;
}

export interface Comment {
  kind: 'comment';
  /** Text after `#`. */
  text: string;
  span: Span;
}

export interface Block {
  /** The `{`. */
  open: Span;
  /** The matching `}`; absent when the file ended (or recovery closed the block) without it. */
  close?: Span;
  children: Node[];
  /** Raw body of `*_by_lua_block { ... }`, kept as text. */
  raw?: { text: string; span: Span };
}

export interface Directive {
  kind: 'directive';
  name: string;
  nameSpan: Span;
  args: Word[];
  block?: Block;
  /** The `;` when the directive ends with one. */
  semicolon?: Span;
  /** From the name to the `;` or the `}` of its block (or the last token read when unterminated). */
  span: Span;
  /** Comments that sit between arguments (`listen 80 # comment\n default_server;`). */
  innerComments?: Comment[];
}

export type Node = Directive | Comment;

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Problem {
  code: string;
  message: string;
  severity: Severity;
  span: Span;
  /** Stable data for quick fixes (never parsed out of the message). */
  data?: Record<string, unknown>;
  /** Other places that explain the problem (the other side of a cross-file finding). */
  related?: { file: string; span: Span; message: string }[];
  /** A URI of the docs page (rules). */
  docs?: string;
}

export interface ParseResult {
  nodes: Node[];
  /** Syntax errors, in source order. */
  problems: Problem[];
  /** Total number of tokens read; used to bound work on hostile input. */
  tokens: number;
  /**
   * Steps taken: characters the lexer passed over (in every pass), characters scanned for
   * indentation, and tokens. A deterministic measure of the parser's work, so tests can check
   * it grows linearly with the input without timing anything.
   */
  work: number;
  text: string;
  /** Offsets of line starts, for position lookups. */
  lineStarts: number[];
}

export function isDirective(n: Node): n is Directive {
  return n.kind === 'directive';
}

/** Visits every directive depth-first, parents before children. */
export function walk(nodes: readonly Node[], visit: (d: Directive, parents: readonly Directive[]) => void | 'skip'): void {
  const parents: Directive[] = [];
  const rec = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind !== 'directive') continue;
      if (visit(n, parents) === 'skip') continue;
      if (n.block && n.block.children.length > 0) {
        parents.push(n);
        rec(n.block.children);
        parents.pop();
      }
    }
  };
  // Recursion depth is bounded by the parser (MAX_DEPTH), so this cannot overflow the stack.
  rec(nodes);
}

export function posAt(lineStarts: readonly number[], offset: number): Pos {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { offset, line: lo, character: offset - lineStarts[lo] };
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) starts.push(i + 1);
  }
  return starts;
}

export function contains(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}
