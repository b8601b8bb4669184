// The PHP-FPM INI reader. php-fpm does not hand its files to PHP's INI parser whole: it reads
// them one physical line at a time (split on `\n` only, empty lines skipped) and parses every
// line on its own with zend_parse_ini_string() in ZEND_INI_SCANNER_NORMAL mode
// (php-src sapi/fpm/fpm/fpm_conf.c, fpm_conf_load_ini_file). This module reproduces that: a
// scanner with the states and longest-match rules of Zend/zend_ini_scanner.l and a parser for
// the grammar of Zend/zend_ini_parser.y, applied per line. Consequences that plain INI readers
// get wrong and that php-fpm -t really shows:
// - `#` does not start a comment (PHP 7 removed it): `# text` is a key without a value;
// - a section header indented with spaces (`  [www]`) is a syntax error, one indented with a
//   tab is not (spaces are key characters, tabs are not);
// - a quoted value cannot span lines; `;` starts a comment anywhere outside quotes;
// - `yes/on/true` read as "1" and `no/off/false/none/null` as "" unless quoted;
// - bare words that name a PHP constant (E_ALL) are replaced by its value; `a | b`, `~a`, `!a`,
//   `(a)` are integer expressions; `${NAME}` reads an environment variable;
// - a UTF-8 BOM at the start of any line is skipped.
// Parsing never throws: syntax errors become problems with positions (0-based line and UTF-16
// column, as the nginx side counts them).

import { computeLineStarts, TextSpan, type Problem, type Span } from '../nginx/ast';

export interface IniValue {
  /** The value php-fpm receives (quotes removed, escapes and constants applied). */
  text: string;
  /** True when the value depends on the environment (`${NAME}`): `text` is then a guess (""). */
  dynamic: boolean;
  /** The source text of the value, as written. */
  raw: string;
  /** True when any part of the value was quoted ("..." or '...'). */
  quoted: boolean;
  span: Span;
}

export interface IniSection {
  kind: 'section';
  name: string;
  nameSpan: Span;
  /** From `[` to `]`. */
  span: Span;
  line: number;
}

export interface IniEntry {
  kind: 'entry';
  key: string;
  keySpan: Span;
  /** Null for a key without `=` (php-fpm: "value is NULL for a ZEND_INI_PARSER_ENTRY"). */
  value: IniValue | null;
  span: Span;
  line: number;
  /** The line starts with `#` (a comment in other INI dialects). */
  hashLine: boolean;
}

export interface IniArrayEntry {
  kind: 'array';
  /** `php_value`, `env`, ... as written (php-fpm compares these case-sensitively). */
  name: string;
  nameSpan: Span;
  /** The text between `[` and `]`. */
  key: IniValue;
  value: IniValue;
  span: Span;
  line: number;
  hashLine: boolean;
}

export type IniStatement = IniSection | IniEntry | IniArrayEntry;

export interface IniFile {
  text: string;
  lineStarts: number[];
  statements: IniStatement[];
  /** Syntax problems, in source order. */
  problems: Problem[];
  /** Spans of `;` comments (for features that must not act inside them). */
  comments: Span[];
  /** Number of `\n` plus one: the value php-fpm's line counter ends at after reading the file. */
  fpmLineCount: number;
}

// ---------------------------------------------------------------------------------------------
// Constants known to php-fpm's INI reader (zend_get_constant): bare words that are replaced by
// a number. Only those that plausibly appear in pool files; any other word stays as written.
// ---------------------------------------------------------------------------------------------

const CONSTANTS: Record<string, string> = {
  E_ERROR: '1', E_WARNING: '2', E_PARSE: '4', E_NOTICE: '8', E_CORE_ERROR: '16', E_CORE_WARNING: '32',
  E_COMPILE_ERROR: '64', E_COMPILE_WARNING: '128', E_USER_ERROR: '256', E_USER_WARNING: '512',
  E_USER_NOTICE: '1024', E_STRICT: '2048', E_RECOVERABLE_ERROR: '4096', E_DEPRECATED: '8192',
  E_USER_DEPRECATED: '16384', E_ALL: '32767',
  PHP_INT_SIZE: '8', PHP_INT_MAX: '9223372036854775807', PHP_INT_MIN: '-9223372036854775808',
  PHP_MAJOR_VERSION: '8', PHP_MINOR_VERSION: '2', PHP_OS: 'Linux', PHP_OS_FAMILY: 'Linux', PHP_EOL: '\n',
  LOG_EMERG: '0', LOG_ALERT: '1', LOG_CRIT: '2', LOG_ERR: '3', LOG_WARNING: '4', LOG_NOTICE: '5', LOG_INFO: '6', LOG_DEBUG: '7',
  LOG_KERN: '0', LOG_USER: '8', LOG_MAIL: '16', LOG_DAEMON: '24', LOG_AUTH: '32', LOG_SYSLOG: '40', LOG_LPR: '48',
  LOG_NEWS: '56', LOG_UUCP: '64', LOG_CRON: '72', LOG_AUTHPRIV: '80', LOG_LOCAL0: '128', LOG_LOCAL1: '136',
  LOG_LOCAL2: '144', LOG_LOCAL3: '152', LOG_LOCAL4: '160', LOG_LOCAL5: '168', LOG_LOCAL6: '176', LOG_LOCAL7: '184',
};

/** C's atoi() as glibc computes it (strtol saturating to 64 bits, then truncated to a C int). */
export function atoi(s: string): number {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const start = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === start) return 0;
  const digits = s.slice(start, Math.min(i, start + 40));
  let v = BigInt(digits);
  if (neg) v = -v;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return Number(BigInt.asIntN(32, v));
}

// ---------------------------------------------------------------------------------------------
// Scanner (one line)
// ---------------------------------------------------------------------------------------------

type TokType =
  | 'SECTION' | 'LABEL' | 'OFFSET' | 'EQ' | 'TRUE' | 'FALSE' | 'NULL' | 'CONSTANT' | 'STRING' | 'RAW' | 'WS'
  | 'QUOTE' | 'QSTR' | 'DOLLAR_CURLY' | 'VARNAME' | 'RBRACE' | 'RBRACKET' | 'OP' | 'CHAR' | 'EOL' | 'END';

interface Tok {
  type: TokType;
  /** Semantic value (label trimmed, bool as "1"/"", quoted string unescaped, ...). */
  text: string;
  start: number;
  end: number;
}

type State = 'INITIAL' | 'VALUE' | 'SECTION' | 'OFFSET' | 'DQ' | 'VARNAME';

// PHP 8.2's LABEL_CHAR: ']' is a key character there (later versions exclude it), so a stray
// ']' reads as a key without a value, as `php-fpm8.2 -t` reports it.
const LABEL_EXCLUDED = new Set(['=', '\n', '\r', '\t', ';', '&', '|', '^', '$', '~', '(', ')', '{', '}', '!', '"', '[', '\0']);
const TOKENS = new Set([':', ',', '.', '[', ']', '"', "'", '(', ')', '&', '|', '^', '+', '-', '/', '*', '=', '%', '$', '!', '~', '<', '>', '?', '@', '{', '}']);
const OPERATORS = new Set(['&', '|', '^', '~', '(', ')', '!']);
const VALUE_EXCLUDED = new Set(['$', '=', ' ', '\t', '\n', '\r', ';', '&', '|', '^', '~', '(', ')', '!', '"', "'", '\0']);
const SECTION_EXCLUDED = new Set(['$', '\n', '\r', ';', '"', "'", ']', '\\']);
const TRUE_WORDS = ['true', 'yes', 'on'];
const FALSE_WORDS = ['false', 'none', 'off', 'no'];

const isTs = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isLabelChar = (c: string | undefined): boolean => c !== undefined && !LABEL_EXCLUDED.has(c);

function tsLen(s: string, i: number): number {
  let k = i;
  while (isTs(s[k])) k++;
  return k - i;
}

function newlineLen(s: string, i: number): number {
  if (s[i] === '\r') return s[i + 1] === '\n' ? 2 : 1;
  return s[i] === '\n' ? 1 : 0;
}

function labelRun(s: string, i: number): number {
  let k = i;
  while (isLabelChar(s[k])) k++;
  return k - i;
}

/** `"$"([^{\0]|("\\"{ANY_CHAR}))`: the length of a literal dollar at i, or 0. */
function literalDollar(s: string, i: number): number {
  if (s[i] !== '$' || i + 1 >= s.length) return 0;
  const n = s[i + 1];
  if (n === '{' || n === '\0') return 0;
  if (n === '\\' && i + 2 < s.length) return 3;
  return 2;
}

function valueRun(s: string, i: number): number {
  let k = i;
  for (;;) {
    const c = s[k];
    if (c === undefined) break;
    if (c === '$') {
      const d = literalDollar(s, k);
      if (d === 0) break;
      k += d;
      continue;
    }
    if (VALUE_EXCLUDED.has(c)) break;
    k++;
  }
  return k - i;
}

function sectionRun(s: string, i: number): number {
  let k = i;
  for (;;) {
    const c = s[k];
    if (c === undefined) break;
    if (c === '$') {
      const d = literalDollar(s, k);
      if (d === 0) break;
      k += d;
      continue;
    }
    if (c === '\\') {
      if (k + 1 >= s.length) break;
      k += 2;
      continue;
    }
    if (SECTION_EXCLUDED.has(c)) break;
    k++;
  }
  return k - i;
}

const CONSTANT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The longest boolean/null keyword at i (case-insensitive) with its trailing blanks. */
function boolAt(s: string, i: number): { type: 'TRUE' | 'FALSE' | 'NULL'; len: number } | undefined {
  let best: { type: 'TRUE' | 'FALSE' | 'NULL'; len: number } | undefined;
  const tryWords = (words: string[], type: 'TRUE' | 'FALSE' | 'NULL'): void => {
    for (const w of words) {
      if (s.substr(i, w.length).toLowerCase() === w) {
        const len = w.length + tsLen(s, i + w.length);
        if (!best || len > best.len) best = { type, len };
      }
    }
  };
  tryWords(TRUE_WORDS, 'TRUE');
  tryWords(FALSE_WORDS, 'FALSE');
  tryWords(['null'], 'NULL');
  return best;
}

/** zend_ini_escape_string for double quotes: `\"`, `\\`, `\$` lose the backslash. */
function unescapeDq(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === '"' || n === '\\' || n === '$') {
        out += n;
        i++;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

function trimBlanks(s: string, start: number, end: number, extra = ''): { start: number; end: number } {
  let a = start;
  let b = end;
  while (a < b && isTs(s[a])) a++;
  while (b > a && (isTs(s[b - 1]) || s[b - 1] === '\n' || s[b - 1] === '\r' || (extra !== '' && s[b - 1] === extra))) b--;
  return { start: a, end: b };
}

/** Tokens of one line buffer (the line's text plus the "\n" php-fpm appends), up to END. */
export function lexLine(src: string): Tok[] {
  const out: Tok[] = [];
  let state: State = 'INITIAL';
  const stack: State[] = [];
  let i = 0;
  // A UTF-8 BOM at the start of the buffer is skipped (the decoder gives it as U+FEFF).
  if (src.charCodeAt(0) === 0xfeff) i = 1;
  const push = (type: TokType, text: string, start: number, end: number): void => {
    out.push({ type, text, start, end });
  };
  for (let guard = 0; guard < src.length * 4 + 16; guard++) {
    if (i >= src.length) {
      if (state === 'VALUE') push('EOL', '', i, i);
      push('END', '', i, i);
      return out;
    }
    const c = src[i];
    if (state === 'INITIAL') {
      // Candidates in rule order; the longest wins, ties go to the earlier rule.
      const L = labelRun(src, i);
      let best: { len: number; act: () => void } | undefined;
      const offer = (len: number, act: () => void): void => {
        if (len > 0 && (!best || len > best.len)) best = { len, act };
      };
      if (c === '[') offer(1, () => {
        push('SECTION', '[', i, i + 1);
        state = 'SECTION';
      });
      if (L > 0 && src[i + L] === '[') {
        const len = L + 1 + tsLen(src, i + L + 1);
        offer(len, () => {
          const t = trimBlanks(src, i, i + len, '[');
          // EAT_TRAILING_WHITESPACE_EX('['): strips any run of blanks and '['.
          let e = t.end;
          while (e > t.start && (isTs(src[e - 1]) || src[e - 1] === '[')) e--;
          push('OFFSET', src.slice(t.start, e), t.start, e);
          state = 'OFFSET';
        });
      }
      const b = boolAt(src, i);
      if (b) offer(b.len, () => push(b.type, b.type === 'TRUE' ? '1' : '', i, i + b.len));
      if (L > 0) offer(L, () => {
        const t = trimBlanks(src, i, i + L);
        push('LABEL', src.slice(t.start, t.end), t.start, t.end);
      });
      const ws = tsLen(src, i);
      if (src[i + ws] === '=') {
        const len = ws + 1 + tsLen(src, i + ws + 1);
        offer(len, () => {
          push('EQ', '=', i + ws, i + ws + 1);
          state = 'VALUE';
        });
      }
      if (TOKENS.has(c)) offer(1, () => push('CHAR', c, i, i + 1));
      if (ws > 0) offer(ws, () => undefined);
      const nl = newlineLen(src, i + ws);
      if (nl > 0) offer(ws + nl, () => push('EOL', '', i, i + ws + nl));
      if (src[i + ws] === ';') {
        let j = i + ws;
        while (j < src.length && src[j] !== '\n' && src[j] !== '\r') j++;
        const n2 = newlineLen(src, j);
        if (n2 > 0) offer(j + n2 - i, () => push('EOL', ';', i + ws, j + n2));
      }
      if (!best) {
        push('END', '', i, i + 1);
        return out;
      }
      const len = best.len;
      best.act();
      i += len;
      continue;
    }
    if (state === 'VALUE') {
      let best: { len: number; act: () => void } | undefined;
      const offer = (len: number, act: () => void): void => {
        if (len > 0 && (!best || len > best.len)) best = { len, act };
      };
      if (c === "'") {
        const close = src.indexOf("'", i + 2);
        if (close > 0) offer(close + 1 - i, () => push('RAW', src.slice(i + 1, close), i, close + 1));
      }
      if (c === '$' && src[i + 1] === '{') offer(2, () => {
        push('DOLLAR_CURLY', '${', i, i + 2);
        stack.push(state);
        state = 'VARNAME';
      });
      const V = valueRun(src, i);
      const b = boolAt(src, i);
      // A keyword wins only when the value run is exactly the keyword (yes.conf is a string).
      if (b && V <= b.len - tsLen(src, i + V)) offer(b.len, () => push(b.type, b.type === 'TRUE' ? '1' : '', i, i + b.len));
      const ws = tsLen(src, i);
      const nl = newlineLen(src, i + ws);
      if (nl > 0) offer(ws + nl, () => {
        push('EOL', '', i, i + ws + nl);
        state = 'INITIAL';
      });
      const word = src.slice(i, i + V);
      if (V > 0 && CONSTANT_RE.test(word)) offer(V, () => push('CONSTANT', word, i, i + V));
      if (OPERATORS.has(c)) offer(1 + tsLen(src, i + 1), () => push('OP', c, i, i + 1));
      if (c === '=') {
        // "Make = used in option value to trigger error": END_OF_LINE without consuming.
        push('EOL', '', i, i);
        state = 'INITIAL';
        continue;
      }
      if (V > 0) offer(V, () => push('STRING', word, i, i + V));
      if (src[i + ws] === '"') offer(ws + 1, () => {
        push('QUOTE', '"', i + ws, i + ws + 1);
        stack.push(state);
        state = 'DQ';
      });
      if (ws > 0) offer(ws, () => push('WS', src.slice(i, i + ws), i, i + ws));
      if (src[i + ws] === ';') {
        let j = i + ws;
        while (j < src.length && src[j] !== '\n' && src[j] !== '\r') j++;
        const n2 = newlineLen(src, j);
        if (n2 > 0) offer(j + n2 - i, () => {
          push('EOL', ';', i + ws, j + n2);
          state = 'INITIAL';
        });
      }
      if (!best) {
        // No rule matches (a lone "'"): PHP 8.2's scanner returns end-of-input, so the parse
        // ends here and php-fpm silently ignores the rest of the line.
        push('END', '', i, i + 1);
        return out;
      }
      const len = best.len;
      best.act();
      i += len;
      continue;
    }
    if (state === 'SECTION' || state === 'OFFSET') {
      let best: { len: number; act: () => void } | undefined;
      const offer = (len: number, act: () => void): void => {
        if (len > 0 && (!best || len > best.len)) best = { len, act };
      };
      if (c === "'") {
        const close = src.indexOf("'", i + 2);
        if (close > 0) offer(close + 1 - i, () => push('RAW', src.slice(i + 1, close), i, close + 1));
      }
      if (state === 'SECTION' && c === ']') {
        const ws = tsLen(src, i + 1);
        offer(1 + ws + newlineLen(src, i + 1 + ws), () => {
          push('RBRACKET', ']', i, i + 1);
          state = 'INITIAL';
        });
      }
      if (state === 'OFFSET') {
        const ws = tsLen(src, i);
        if (src[i + ws] === ']') offer(ws + 1, () => {
          push('RBRACKET', ']', i + ws, i + ws + 1);
          state = 'INITIAL';
        });
      }
      if (c === '$' && src[i + 1] === '{') offer(2, () => {
        push('DOLLAR_CURLY', '${', i, i + 2);
        stack.push(state);
        state = 'VARNAME';
      });
      const S = sectionRun(src, i);
      const word = src.slice(i, i + S);
      const isConst = S > 0 && CONSTANT_RE.test(word);
      if (isConst) offer(S, () => push(state === 'OFFSET' ? 'CONSTANT' : 'STRING', word, i, i + S));
      if (S > 0) offer(S, () => push('STRING', word, i, i + S));
      const ws = tsLen(src, i);
      if (src[i + ws] === '"') offer(ws + 1, () => {
        push('QUOTE', '"', i + ws, i + ws + 1);
        stack.push(state);
        state = 'DQ';
      });
      if (ws > 0) offer(ws, () => push('WS', src.slice(i, i + ws), i, i + ws));
      if (!best) {
        push('END', '', i, i + 1);
        return out;
      }
      const len = best.len;
      best.act();
      i += len;
      continue;
    }
    if (state === 'DQ') {
      if (c === '"') {
        const len = 1 + tsLen(src, i + 1);
        push('QUOTE', '"', i, i + 1);
        state = stack.pop() ?? 'INITIAL';
        i += len;
        continue;
      }
      if (c === '$' && src[i + 1] === '{') {
        push('DOLLAR_CURLY', '${', i, i + 2);
        stack.push(state);
        state = 'VARNAME';
        i += 2;
        continue;
      }
      let s = i;
      while (s < src.length) {
        const ch = src[s++];
        if (ch === '"') {
          s--;
          break;
        }
        if (ch === '$') {
          if (s < src.length && src[s] === '{') {
            s--;
            break;
          }
          continue;
        }
        if (ch === '\\' && s < src.length) {
          const escaped = src[s++];
          // A special case for Windows paths, e.g. key="C:\path\" at the end of the line.
          if (escaped === '"' && (s >= src.length || src[s] === '\n' || src[s] === '\r')) {
            s--;
            break;
          }
        }
      }
      push('QSTR', unescapeDq(src.slice(i, s)), i, s);
      i = s;
      continue;
    }
    // VARNAME
    if (c === '}') {
      push('RBRACE', '}', i, i + 1);
      state = stack.pop() ?? 'INITIAL';
      i += 1;
      continue;
    }
    const L = labelRun(src, i);
    if (L > 0) {
      const t = trimBlanks(src, i, i + L);
      push('VARNAME', src.slice(t.start, t.end), t.start, t.end);
      i += L;
      continue;
    }
    push('END', '', i, i + 1);
    return out;
  }
  push('END', '', i, i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser (one line): the grammar of zend_ini_parser.y
// ---------------------------------------------------------------------------------------------

interface Val {
  text: string;
  dynamic: boolean;
  quoted: boolean;
  start: number;
  end: number;
}

class SyntaxError_ {
  constructor(readonly tok: Tok) {}
}

function tokName(t: Tok): string {
  switch (t.type) {
    case 'END': return 'end of file';
    case 'EOL': return 'END_OF_LINE';
    case 'TRUE': return 'BOOL_TRUE';
    case 'FALSE': return 'BOOL_FALSE';
    case 'NULL': return 'NULL_NULL';
    case 'LABEL': return 'TC_LABEL';
    case 'OFFSET': return 'TC_OFFSET';
    case 'SECTION': return 'TC_SECTION';
    case 'CONSTANT': return 'TC_CONSTANT';
    case 'STRING': return 'TC_STRING';
    case 'RAW': return 'TC_RAW';
    case 'WS': return 'TC_WHITESPACE';
    case 'QSTR': return 'TC_QUOTED_STRING';
    case 'DOLLAR_CURLY': return 'TC_DOLLAR_CURLY';
    case 'VARNAME': return 'TC_VARNAME';
    case 'QUOTE': return `'"'`;
    case 'RBRACE': return "'}'";
    case 'RBRACKET': return "']'";
    case 'EQ': return "'='";
    default: return `'${t.text}'`;
  }
}

/** The result of `zend_ini_do_op` (C ints, printed with %d). */
function doOp(op: string, a: Val, b: Val | undefined): Val {
  const x = atoi(a.text);
  const y = b ? atoi(b.text) : 0;
  let r: number;
  switch (op) {
    case '|': r = x | y; break;
    case '&': r = x & y; break;
    case '^': r = x ^ y; break;
    case '~': r = ~x; break;
    case '!': r = x === 0 ? 1 : 0; break;
    default: r = 0;
  }
  return { text: String(r), dynamic: a.dynamic || (b?.dynamic ?? false), quoted: false, start: a.start, end: (b ?? a).end };
}

interface LineStatement {
  kind: 'section' | 'entry' | 'array';
  name: Tok;
  key?: Val;
  value: Val | null;
  start: number;
  end: number;
}

function parseLine(toks: Tok[]): { statements: LineStatement[]; error?: Tok } {
  let pos = 0;
  const statements: LineStatement[] = [];
  const peek = (): Tok => toks[Math.min(pos, toks.length - 1)];
  const expect = (type: TokType): Tok => {
    const t = peek();
    if (t.type !== type) throw new SyntaxError_(t);
    pos++;
    return t;
  };
  const concat = (parts: Val[]): Val => ({
    text: parts.map((p) => p.text).join(''),
    dynamic: parts.some((p) => p.dynamic),
    quoted: parts.some((p) => p.quoted),
    start: parts[0].start,
    end: parts[parts.length - 1].end,
  });
  const varRef = (): Val => {
    const open = expect('DOLLAR_CURLY');
    expect('VARNAME');
    const close = expect('RBRACE');
    return { text: '', dynamic: true, quoted: false, start: open.start, end: close.end };
  };
  /** var_string_list (value/offset: constants looked up) or var_string_list_section (literal). */
  const varStringList = (lookup: boolean): Val | null => {
    const parts: Val[] = [];
    for (;;) {
      const t = peek();
      if (t.type === 'DOLLAR_CURLY') parts.push(varRef());
      else if (t.type === 'CONSTANT') {
        pos++;
        parts.push({ text: lookup && Object.hasOwn(CONSTANTS, t.text) ? CONSTANTS[t.text] : t.text, dynamic: false, quoted: false, start: t.start, end: t.end });
      } else if (t.type === 'STRING' || t.type === 'WS') {
        pos++;
        parts.push({ text: t.text, dynamic: false, quoted: false, start: t.start, end: t.end });
      } else if (t.type === 'RAW') {
        pos++;
        parts.push({ text: t.text, dynamic: false, quoted: true, start: t.start, end: t.end });
      } else if (t.type === 'QUOTE') {
        const open = t;
        pos++;
        const inner: Val[] = [];
        for (;;) {
          const u = peek();
          if (u.type === 'QSTR') {
            pos++;
            inner.push({ text: u.text, dynamic: false, quoted: true, start: u.start, end: u.end });
          } else if (u.type === 'DOLLAR_CURLY') inner.push(varRef());
          else break;
        }
        const close = expect('QUOTE');
        parts.push({ text: inner.map((p) => p.text).join(''), dynamic: inner.some((p) => p.dynamic), quoted: true, start: open.start, end: close.end });
      } else break;
    }
    return parts.length > 0 ? concat(parts) : null;
  };
  const unary = (): Val => {
    const t = peek();
    if (t.type === 'OP' && (t.text === '~' || t.text === '!')) {
      pos++;
      const v = unary();
      return { ...doOp(t.text, v, undefined), start: t.start };
    }
    if (t.type === 'OP' && t.text === '(') {
      pos++;
      const v = expr();
      const close = peek();
      if (close.type !== 'OP' || close.text !== ')') throw new SyntaxError_(close);
      pos++;
      return { ...v, start: t.start, end: close.end };
    }
    const v = varStringList(true);
    if (!v) throw new SyntaxError_(t);
    return v;
  };
  const expr = (): Val => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.type === 'OP' && (t.text === '|' || t.text === '&' || t.text === '^')) {
        pos++;
        const right = unary();
        left = doOp(t.text, left, right);
        continue;
      }
      return left;
    }
  };
  const stringOrValue = (after: Tok): Val => {
    const t = peek();
    if (t.type === 'TRUE' || t.type === 'FALSE' || t.type === 'NULL') {
      pos++;
      return { text: t.text, dynamic: false, quoted: false, start: t.start, end: t.end };
    }
    if (t.type === 'EOL') {
      pos++;
      return { text: '', dynamic: false, quoted: false, start: after.end, end: after.end };
    }
    return expr();
  };
  try {
    for (;;) {
      const t = peek();
      if (t.type === 'END') return { statements };
      if (t.type === 'EOL') {
        pos++;
        continue;
      }
      if (t.type === 'SECTION') {
        pos++;
        const v = varStringList(false) ?? { text: '', dynamic: false, quoted: false, start: t.end, end: t.end };
        const close = expect('RBRACKET');
        statements.push({ kind: 'section', name: t, value: v, start: t.start, end: close.end });
        continue;
      }
      if (t.type === 'LABEL') {
        pos++;
        const eq = peek();
        if (eq.type === 'EQ') {
          pos++;
          const v = stringOrValue(eq);
          statements.push({ kind: 'entry', name: t, value: v, start: t.start, end: Math.max(v.end, eq.end) });
        } else {
          statements.push({ kind: 'entry', name: t, value: null, start: t.start, end: t.end });
        }
        continue;
      }
      if (t.type === 'OFFSET') {
        pos++;
        const key = varStringList(true) ?? { text: '', dynamic: false, quoted: false, start: t.end, end: t.end };
        expect('RBRACKET');
        const eq = expect('EQ');
        const v = stringOrValue(eq);
        statements.push({ kind: 'array', name: t, key, value: v, start: t.start, end: Math.max(v.end, eq.end) });
        continue;
      }
      throw new SyntaxError_(t);
    }
  } catch (e) {
    if (e instanceof SyntaxError_) return { statements, error: e.tok };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// File
// ---------------------------------------------------------------------------------------------

/** Parses a PHP-FPM configuration file as php-fpm reads it. Never throws. */
export function parseIni(text: string): IniFile {
  const lineStarts = computeLineStarts(text);
  const statements: IniStatement[] = [];
  const problems: Problem[] = [];
  const comments: Span[] = [];
  for (let line = 0; line < lineStarts.length; line++) {
    const start = lineStarts[line];
    const end = line + 1 < lineStarts.length ? lineStarts[line + 1] - 1 : text.length;
    if (end <= start) continue; // php-fpm skips empty lines entirely
    const content = text.slice(start, end);
    const span = (a: number, b: number): Span => {
      const s = Math.max(0, Math.min(a, content.length));
      const e = Math.max(s, Math.min(b, content.length));
      return new TextSpan(start + s, line, s, start + e, line, e);
    };
    let toks: Tok[];
    try {
      toks = lexLine(content + '\n');
    } catch {
      problems.push({ code: 'fpm-syntax', severity: 'error', message: 'this line cannot be read', span: span(0, content.length) });
      continue;
    }
    for (const t of toks) if (t.type === 'EOL' && t.text === ';') comments.push(span(t.start, t.end));
    const firstNonBlank = content.replace(/^\uFEFF/, '').search(/[^ \t]/);
    const hashLine = firstNonBlank >= 0 && content.replace(/^\uFEFF/, '')[firstNonBlank] === '#';
    const parsed = parseLine(toks);
    const mkValue = (v: Val): IniValue => {
      // The value's source range without surrounding blanks.
      const t = trimBlanks(content, v.start, Math.min(v.end, content.length));
      return { text: v.text, dynamic: v.dynamic, quoted: v.quoted, raw: content.slice(t.start, t.end), span: span(t.start, t.end) };
    };
    for (const st of parsed.statements) {
      if (st.kind === 'section') {
        const v = st.value!;
        statements.push({ kind: 'section', name: v.text, nameSpan: span(v.start, v.end), span: span(st.start, st.end), line });
      } else if (st.kind === 'entry') {
        statements.push({
          kind: 'entry',
          key: st.name.text,
          keySpan: span(st.name.start, st.name.end),
          value: st.value ? mkValue(st.value) : null,
          span: span(st.start, st.end),
          line,
          hashLine,
        });
      } else {
        statements.push({
          kind: 'array',
          name: st.name.text,
          nameSpan: span(st.name.start, st.name.end),
          key: mkValue(st.key!),
          value: mkValue(st.value!),
          span: span(st.start, st.end),
          line,
          hashLine,
        });
      }
    }
    if (hashLine) {
      const h = content.indexOf('#');
      problems.push({
        code: 'fpm-hash-comment',
        severity: 'error',
        message:
          "'#' does not start a comment in PHP-FPM files (PHP 7 removed it): php-fpm reads this line as a key and `php-fpm -t` fails. Use ';' for comments.",
        span: span(h, content.trimEnd().length),
        data: { line },
      });
      continue;
    }
    const last = toks[toks.length - 1];
    if (!parsed.error && last.type === 'END' && last.start < content.replace(/[\r\s]+$/, '').length) {
      const rest = content.slice(last.start).replace(/[\r\s]+$/, '');
      problems.push({
        code: 'fpm-ignored-text',
        severity: 'warning',
        message: `php-fpm silently ignores the rest of this line from here ("${rest.length > 40 ? rest.slice(0, 40) + '…' : rest}"): a lone ' ends the line for PHP's INI reader. Quote the whole value with "..." or remove it.`,
        span: span(last.start, content.replace(/[\r\s]+$/, '').length),
      });
    }
    if (parsed.error) {
      // Recovery: a header indented with spaces still opens its section for what follows, so
      // the keys under it are not also reported as misplaced (php-fpm stops at this line anyway).
      const indented = /^( +)\[([^\]\r]*)\]/.exec(content.replace(/^\uFEFF/, ''));
      if (indented && parsed.statements.length === 0) {
        const off = content.startsWith('\uFEFF') ? 1 : 0;
        const a = off + indented[1].length;
        statements.push({ kind: 'section', name: indented[2], nameSpan: span(a + 1, a + 1 + indented[2].length), span: span(a, a + indented[2].length + 2), line });
      }
      const t = parsed.error;
      const unexpected = tokName(t);
      const hint = syntaxHint(content, t);
      problems.push({
        code: 'fpm-syntax',
        severity: 'error',
        message: `syntax error, unexpected ${unexpected}${hint}: php-fpm cannot read this line (\`php-fpm -t\` fails with "PHP: syntax error")`,
        span: t.start < content.length ? span(t.start, content.trimEnd().length) : span(0, content.trimEnd().length),
        data: { unexpected },
      });
    }
  }
  let newlines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) newlines++;
  return { text, lineStarts, statements, problems, comments, fpmLineCount: newlines + 1 };
}

function syntaxHint(content: string, t: Tok): string {
  const trimmed = content.replace(/^\uFEFF/, '');
  if (/^ +\[/.test(trimmed)) return ' (a section header indented with spaces: php-fpm reads the spaces as a key name; remove them)';
  if (t.type === 'END' && /"/.test(content)) return ' (a quoted value must end on the same line)';
  if (t.type === 'END' && /\$\{/.test(content)) return " (a '${' without its '}')";
  if (t.type === 'END' && /^\s*\[/.test(trimmed)) return " (the section header has no ']' before the end of the line or a ';')";
  if (t.type === 'EQ' || (t.type === 'CHAR' && t.text === '=')) return " (a second '=' on the line: quote the value)";
  if (t.type === 'OP' || t.type === 'CHAR') return ` (the characters ( ) { } | & ^ ~ ! " are INI syntax: quote the value)`;
  if (t.type === 'TRUE' || t.type === 'FALSE' || t.type === 'NULL') return ' (yes/no/on/off/true/false/none/null are keywords: quote the value, and they cannot be key names)';
  return '';
}
