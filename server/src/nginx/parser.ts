// The nginx parser: statements and blocks as ngx_conf_parse() reads them, with positions,
// comments and error recovery. It never throws. A second pass with indentation-guided
// recovery runs only when braces do not balance, so one missing `}` does not turn the rest
// of the file into children of the wrong block.

import { computeLineStarts, joinSpans, TextSpan, type Block, type Comment, type Directive, type Node, type ParseResult, type Problem, type Span } from './ast';
import { Lexer, type Token } from './lexer';

/** Deeper nesting than any real config; bounds recursion on hostile input. */
export const MAX_DEPTH = 200;

export interface ParseOptions {
  /** Directive names whose block body is raw text (lua-nginx-module's `*_by_lua_block`). */
  isRawBlock?: (name: string) => boolean;
}

const defaultRawBlock = (name: string): boolean => name.endsWith('_by_lua_block') || name === 'lua_block';

interface Frame {
  directive: Directive | null;
  /** Column of the line that opened the block, for indentation recovery. */
  indent: number;
}

class Parser {
  private readonly lexer: Lexer;
  private readonly problems: Problem[] = [];
  private peeked: Token | undefined;
  private tokens = 0;
  private unclosed = 0;
  private readonly isRaw: (name: string) => boolean;

  constructor(
    private readonly text: string,
    options: ParseOptions,
    private readonly indentRecovery: boolean,
  ) {
    this.isRaw = options.isRawBlock ?? defaultRawBlock;
    this.lexer = new Lexer(text, (p) => this.problems.push({ ...p, severity: 'error' }));
  }

  private next(): Token {
    if (this.peeked) {
      const t = this.peeked;
      this.peeked = undefined;
      return t;
    }
    this.tokens++;
    return this.lexer.next();
  }

  private peek(): Token {
    if (!this.peeked) {
      this.tokens++;
      this.peeked = this.lexer.next();
    }
    return this.peeked;
  }

  private error(code: string, message: string, span: Span, data?: Record<string, unknown>): void {
    this.problems.push({ code, message, severity: 'error', span, data });
  }

  run(): { result: ParseResult; unclosed: number } {
    const text = this.text;
    let lineStarts: number[] | undefined;
    const frames: Frame[] = [];
    const nodes = this.parseList(frames);
    return {
      result: {
        nodes,
        problems: this.problems,
        tokens: this.tokens,
        work: this.tokens + this.lexer.offset + this.lexer.extraSteps + this.indentSteps,
        text: this.text,
        // Line starts are only needed for position lookups (hover, completion): computed on first use.
        get lineStarts(): number[] {
          return (lineStarts ??= computeLineStarts(text));
        },
      },
      unclosed: this.unclosed,
    };
  }

  private readonly indents = new Map<number, number>();
  private indentSteps = 0;

  /** Indentation (tabs count to the next multiple of 8) of the line a span starts on; cached per line. */
  private lineIndent(span: Span): number {
    const s = span instanceof TextSpan ? span.so - span.sc : span.start.offset - span.start.character;
    const hit = this.indents.get(s);
    if (hit !== undefined) return hit;
    let col = 0;
    for (let i = s; i < this.text.length; i++) {
      this.indentSteps++;
      const c = this.text.charCodeAt(i);
      if (c === 32) col++;
      else if (c === 9) col += 8 - (col % 8);
      else break;
    }
    this.indents.set(s, col);
    return col;
  }

  private parseList(frames: Frame[]): Node[] {
    const out: Node[] = [];
    const inBlock = frames.length > 0;
    for (;;) {
      const tok = this.peek();
      if (tok.type === 'eof') return out;
      if (tok.type === '}') {
        if (inBlock) return out;
        this.next();
        this.error('unexpected-token', 'unexpected "}": there is no open block to close', tok.span);
        continue;
      }
      if (tok.type === 'comment') {
        this.next();
        out.push({ kind: 'comment', text: tok.text, span: tok.span });
        continue;
      }
      if (tok.type === ';') {
        this.next();
        this.error('unexpected-token', 'unexpected ";": there is no directive before it', tok.span);
        continue;
      }
      if (tok.type === '{') {
        // A block with no directive name: nginx stops here. Parse it anyway so braces stay balanced.
        this.next();
        this.error('unexpected-token', 'unexpected "{": a block needs a directive name before it', tok.span);
        const anon: Directive = {
          kind: 'directive', name: '', nameSpan: tok.span, args: [], span: tok.span,
        };
        anon.block = this.parseBlockBody(anon, tok.span, frames, this.lineIndent(tok.span));
        anon.span = joinSpans(tok.span, anon.block.close ?? anon.block.children.at(-1)?.span ?? tok.span);
        out.push(anon);
        continue;
      }
      if (this.indentRecovery && inBlock && tok.lineStart && tok.type === 'word') {
        const frame = frames[frames.length - 1];
        const col = this.lineIndent(tok.word.span);
        if (frame.directive && col <= frame.indent && tok.word.span.start.line > frame.directive.nameSpan.start.line) {
          // This statement is indented like the block's own directive or less: the block most
          // likely lost its `}` just before it. Close it here (the error is reported by the caller).
          return out;
        }
      }
      out.push(this.parseDirective(frames));
    }
  }

  private parseDirective(frames: Frame[]): Directive {
    const nameTok = this.next() as Extract<Token, { type: 'word' }>;
    const d: Directive = {
      kind: 'directive',
      name: nameTok.word.value,
      nameSpan: nameTok.word.span,
      args: [],
      span: nameTok.word.span,
    };
    let comments: Comment[] | undefined;
    for (;;) {
      const tok = this.peek();
      if (tok.type === 'word') {
        if (this.indentRecovery && tok.lineStart && frames.length > 0) {
          const frame = frames[frames.length - 1];
          if (frame.directive && this.lineIndent(tok.word.span) <= frame.indent) {
            this.unterminated(d, tok.word.span);
            return d;
          }
        }
        this.next();
        d.args.push(tok.word);
        continue;
      }
      if (tok.type === 'comment') {
        this.next();
        (comments ??= []).push({ kind: 'comment', text: tok.text, span: tok.span });
        continue;
      }
      if (tok.type === ';') {
        this.next();
        d.semicolon = tok.span;
        d.span = joinSpans(d.nameSpan, tok.span);
        break;
      }
      if (tok.type === '{') {
        this.next();
        const indent = this.lineIndent(d.nameSpan);
        d.block = this.parseBlockBody(d, tok.span, frames, indent);
        d.span = joinSpans(d.nameSpan, d.block.close ?? d.block.children.at(-1)?.span ?? tok.span);
        break;
      }
      // `}` or end of file right after arguments: the `;` is missing. nginx reports it where it
      // meets the `}` (or the end of file), so the range runs from the name to there.
      this.unterminated(d, tok.span);
      break;
    }
    if (comments) d.innerComments = comments;
    return d;
  }

  private unterminated(d: Directive, stop: Span): void {
    const last = d.args.at(-1)?.span ?? d.nameSpan;
    const at = last.end;
    d.span = joinSpans(d.nameSpan, last);
    this.error(
      'missing-semicolon',
      `directive "${d.name}" is not terminated by ";"`,
      { start: d.nameSpan.start, end: stop.end.offset > at.offset ? stop.end : at },
      { insertAt: at },
    );
  }

  private parseBlockBody(d: Directive, open: Span, frames: Frame[], indent: number): Block {
    const block: Block = { open, children: [] };
    if (this.isRaw(d.name)) {
      if (this.peeked) {
        // Only whitespace/comments can have been peeked here; the raw reader restarts after `{`.
        this.peeked = undefined;
      }
      const raw = this.lexer.rawLuaBlock();
      block.raw = { text: raw.text, span: raw.span };
      if (raw.close) block.close = raw.close;
      else this.error('unexpected-eof', `unexpected end of file, expecting "}" to close "${d.name}"`, open);
      return block;
    }
    if (frames.length >= MAX_DEPTH) {
      this.error('nesting-too-deep', `blocks nested deeper than ${MAX_DEPTH} levels; the rest of this block is not checked`, open);
      this.skipToClose(block);
      return block;
    }
    frames.push({ directive: d, indent });
    block.children = this.parseList(frames);
    frames.pop();
    const tok = this.peek();
    const tokSpan = tok.type === 'word' ? tok.word.span : tok.span;
    if (tok.type === '}') {
      this.next();
      block.close = tok.span;
    } else {
      this.unclosed++;
      const where = tok.type === 'eof' ? 'end of file' : `"${tok.type === 'word' ? tok.word.value : tok.type}"`;
      const lastEnd = block.children.at(-1)?.span.end ?? open.end;
      this.error(
        tok.type === 'eof' ? 'unexpected-eof' : 'missing-brace',
        tok.type === 'eof'
          ? 'unexpected end of file, expecting "}"'
          : `"${d.name}" block opened on line ${open.start.line + 1} is not closed before ${where} on line ${tokSpan.start.line + 1}: a "}" is missing`,
        // Reported where the block is found to be unclosed, which is also where nginx, reading
        // on inside the block, stops; the opening line is in the message and the data.
        tokSpan,
        { insertAt: lastEnd, blockLine: open.start.line },
      );
    }
    return block;
  }

  /** Skips a too-deep block without building nodes, keeping braces balanced. */
  private skipToClose(block: Block): void {
    let depth = 1;
    for (;;) {
      const tok = this.next();
      if (tok.type === 'eof') return;
      if (tok.type === '{') depth++;
      else if (tok.type === '}' && --depth === 0) {
        block.close = tok.span;
        return;
      }
    }
  }
}

/**
 * Parses nginx configuration text. Never throws; returns the tree and the syntax problems.
 * When braces do not balance, parses again with indentation-guided recovery and keeps that
 * tree: its blocks end where the indentation says they end, so later directives are checked
 * in the context they were meant for.
 */
export function parse(text: string, options: ParseOptions = {}): ParseResult {
  const first = new Parser(text, options, false).run();
  if (first.unclosed === 0) return first.result;
  const second = new Parser(text, options, true).run();
  // The EOF error nginx itself would report stays, so the file is not mistaken for valid.
  const eof = first.result.problems.filter((p) => p.code === 'unexpected-eof');
  const problems = second.result.problems.filter((p) => p.code !== 'unexpected-eof');
  second.result.work += first.result.work;
  for (const e of eof) if (!problems.some((p) => p.span.start.offset === e.span.start.offset)) problems.push(e);
  problems.sort((a, b) => a.span.start.offset - b.span.start.offset);
  // Not spread: that would compute the lazy lineStarts.
  second.result.problems = problems;
  return second.result;
}
