// The nginx tokenizer, following ngx_conf_read_token() in src/core/ngx_conf_file.c:
// - whitespace (space, tab, CR, LF) separates tokens; `;` `{` `}` are punctuation;
// - `#` starts a comment only at the start of a token (`a#b` is one word);
// - a quote opens a string only at the start of a token, and after the closing quote nginx
//   requires whitespace, `;`, `{` or `)`;
// - inside an unquoted word `{` ends the word unless it follows `$` (`${var}`), and `}` is
//   part of the word;
// - a backslash escapes the next character; `\" \' \\ \t \r \n` are unescaped in the value.
// It never throws: problems are reported through the `problem` callback and lexing goes on.

import { TextSpan, WordSpan, type Pos, type Span, type Word } from './ast';

export type Token =
  | { type: 'word'; word: Word; lineStart: boolean }
  | { type: ';' | '{' | '}'; span: Span; lineStart: boolean }
  | { type: 'comment'; text: string; span: Span; lineStart: boolean }
  | { type: 'eof'; span: Span; lineStart: boolean };

export interface LexProblem {
  code: string;
  message: string;
  span: Span;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const HASH = 35;
const SEMI = 59;
const LBRACE = 123;
const RBRACE = 125;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const DOLLAR = 36;
const RPAREN = 41;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

export function unescape(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  const parts: string[] = [];
  let from = 0;
  for (let i = s.indexOf('\\'); i >= 0 && i + 1 < s.length; i = s.indexOf('\\', i)) {
    const n = s[i + 1];
    const rep = n === '"' || n === "'" || n === '\\' ? n : n === 't' ? '\t' : n === 'r' ? '\r' : n === 'n' ? '\n' : undefined;
    if (rep !== undefined) {
      parts.push(s.slice(from, i), rep);
      from = i + 2;
    }
    i += 2;
  }
  parts.push(s.slice(from));
  return parts.join('');
}

export class Lexer {
  private i = 0;
  /** Characters looked at beyond the current offset (look-ahead scans), for work accounting. */
  extraSteps = 0;
  private line = 0;
  private lineStartOffset = 0;
  /** True until a token other than whitespace is seen on the current line. */
  private atLineStart = true;

  constructor(
    readonly text: string,
    private readonly problem: (p: LexProblem) => void,
  ) {}

  get offset(): number {
    return this.i;
  }

  pos(): Pos {
    return { offset: this.i, line: this.line, character: this.i - this.lineStartOffset };
  }

  private advance(): number {
    const c = this.text.charCodeAt(this.i++);
    if (c === LF) {
      this.line++;
      this.lineStartOffset = this.i;
      this.atLineStart = true;
    }
    return c;
  }

  /** A span from the given start to the current position. */
  private spanFrom(so: number, sl: number, sc: number): TextSpan {
    return new TextSpan(so, sl, sc, this.i, this.line, this.i - this.lineStartOffset);
  }

  next(): Token {
    const t = this.text;
    const n = t.length;
    while (this.i < n && isSpace(t.charCodeAt(this.i))) this.advance();
    const so = this.i;
    const sl = this.line;
    const sc = this.i - this.lineStartOffset;
    const lineStart = this.atLineStart;
    this.atLineStart = false;
    if (this.i >= n) return { type: 'eof', span: this.spanFrom(so, sl, sc), lineStart };
    const c = t.charCodeAt(this.i);
    if (c === HASH) {
      let j = this.i;
      while (j < n && t.charCodeAt(j) !== LF) j++;
      const text = t.slice(this.i + 1, j);
      this.i = j;
      return { type: 'comment', text: text.endsWith('\r') ? text.slice(0, -1) : text, span: this.spanFrom(so, sl, sc), lineStart };
    }
    if (c === SEMI || c === LBRACE || c === RBRACE) {
      this.advance();
      return { type: c === SEMI ? ';' : c === LBRACE ? '{' : '}', span: this.spanFrom(so, sl, sc), lineStart };
    }
    if (c === DQUOTE || c === SQUOTE) return this.quoted(c, so, sl, sc, lineStart);
    return this.word(so, sl, sc, lineStart);
  }

  private quoted(q: number, so: number, sl: number, sc: number, lineStart: boolean): Token {
    const start: Pos = { offset: so, line: sl, character: sc };
    const t = this.text;
    const n = t.length;
    this.advance();
    const bodyStart = this.i;
    let closed = false;
    while (this.i < n) {
      const c = this.advance();
      if (c === BACKSLASH) {
        if (this.i < n) this.advance();
        continue;
      }
      if (c === q) {
        closed = true;
        break;
      }
    }
    const bodyEnd = closed ? this.i - 1 : this.i;
    const span = this.spanFrom(so, sl, sc);
    const quote = q === DQUOTE ? '"' : "'";
    if (!closed) {
      this.problem({
        code: 'unexpected-eof',
        message: `unexpected end of file: the ${quote === '"' ? 'double' : 'single'} quote opened here is never closed`,
        span: { start, end: { ...start, offset: start.offset + 1, character: start.character + 1 } },
      });
    } else if (this.i < n) {
      // nginx's need_space: only whitespace, `;`, `{` or `)` may follow a closing quote.
      const c = t.charCodeAt(this.i);
      if (!isSpace(c) && c !== SEMI && c !== LBRACE && c !== RPAREN) {
        const p = this.pos();
        const ch = String.fromCharCode(c);
        this.problem({
          code: 'unexpected-token',
          message: `unexpected "${ch}" after a quoted string: nginx needs a space, ";" or "{" here`,
          span: { start: p, end: { ...p, offset: p.offset + 1, character: p.character + 1 } },
        });
      }
    }
    return {
      type: 'word',
      word: new WordSpan(span.so, span.sl, span.sc, span.eo, span.el, span.ec, unescape(t.slice(bodyStart, bodyEnd)), t.slice(start.offset, this.i), quote),
      lineStart,
    };
  }

  private word(so: number, sl: number, sc: number, lineStart: boolean): Token {
    const t = this.text;
    const n = t.length;
    let variable = false;
    while (this.i < n) {
      const c = t.charCodeAt(this.i);
      if (c === LBRACE && variable) {
        this.advance();
        variable = false;
        continue;
      }
      variable = false;
      if (c === BACKSLASH) {
        this.advance();
        if (this.i < n) this.advance();
        continue;
      }
      if (c === DOLLAR) {
        variable = true;
        this.advance();
        continue;
      }
      if (isSpace(c) || c === SEMI || c === LBRACE) break;
      this.advance();
    }
    const raw = t.slice(so, this.i);
    if (raw.indexOf('\\') >= 0) this.extraSteps += raw.length;
    return { type: 'word', word: new WordSpan(so, sl, sc, this.i, this.line, this.i - this.lineStartOffset, unescape(raw), raw, null), lineStart };
  }

  /**
   * Reads a raw Lua body after the `{` of a `*_by_lua_block`, up to its matching `}`, skipping
   * Lua strings, long brackets and comments as lua-nginx-module's own lexer does. Returns the
   * body span and whether the closing brace was found (the lexer then stands after it).
   */
  rawLuaBlock(): { text: string; span: Span; close?: Span } {
    const t = this.text;
    const n = t.length;
    const start = this.pos();
    let depth = 1;
    while (this.i < n) {
      const c = t.charCodeAt(this.i);
      if (c === LBRACE) { depth++; this.advance(); continue; }
      if (c === RBRACE) {
        depth--;
        if (depth === 0) {
          const end = this.pos();
          this.advance();
          return { text: t.slice(start.offset, end.offset), span: { start, end }, close: { start: end, end: this.pos() } };
        }
        this.advance();
        continue;
      }
      if (c === DQUOTE || c === SQUOTE) {
        this.advance();
        while (this.i < n) {
          const d = this.advance();
          if (d === BACKSLASH) { if (this.i < n) this.advance(); continue; }
          if (d === c || d === LF) break;
        }
        continue;
      }
      if (c === 45 /* - */ && t.charCodeAt(this.i + 1) === 45) {
        this.advance(); this.advance();
        if (!this.longBracket()) while (this.i < n && t.charCodeAt(this.i) !== LF) this.advance();
        continue;
      }
      if (c === 91 /* [ */ && this.longBracket()) continue;
      this.advance();
    }
    const end = this.pos();
    return { text: t.slice(start.offset, end.offset), span: { start, end } };
  }

  /** At `[` `[=*[`: skips the long bracket string and returns true; otherwise consumes nothing. */
  private longBracket(): boolean {
    const t = this.text;
    if (t.charCodeAt(this.i) !== 91) return false;
    let j = this.i + 1;
    while (t.charCodeAt(j) === 61 /* = */) j++;
    if (t.charCodeAt(j) !== 91) return false;
    const level = j - this.i - 1;
    const closer = ']' + '='.repeat(level) + ']';
    const endIdx = t.indexOf(closer, j + 1);
    this.extraSteps += (endIdx < 0 ? t.length : endIdx) - j;
    const stop = endIdx < 0 ? t.length : endIdx + closer.length;
    while (this.i < stop) this.advance();
    return true;
  }
}
