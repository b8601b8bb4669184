// Hover and completion for PHP-FPM files, as pure functions of the parsed file and a position
// (like server/src/features/hover.ts for nginx): key documentation with type and default,
// values explained as php-fpm reads them, and completion of the keys valid in the section at
// the cursor and of fixed values.

import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type Hover,
  type Position,
  type Range,
} from 'vscode-languageserver';
import type { Span } from '../nginx/ast';
import type { IniFile, IniStatement } from './ini';
import { FPM_KEYS, fpmArrayKey, fpmKey, fpmKeysIn, INCLUDE_DOC, PHP_INI_DIRECTIVES, type FpmKey, type FpmSection } from './keys';
import { formatSeconds, parseValue } from './values';

const MANUAL = 'https://www.php.net/manual/en/install.fpm.configuration.php';

function offsetAt(f: IniFile, pos: Position): number {
  const starts = f.lineStarts;
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return f.text.length;
  const start = starts[pos.line];
  let end = pos.line + 1 < starts.length ? starts[pos.line + 1] - 1 : f.text.length;
  if (end > start && f.text.charCodeAt(end - 1) === 13) end--;
  return Math.min(start + Math.max(0, pos.character), end);
}

function toRange(s: Span): Range {
  return { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } };
}

const inside = (s: Span, offset: number): boolean => s.start.offset <= offset && offset <= s.end.offset;

/**
 * The section in force at a line: the last section header above it. Before any header:
 * `top` (php-fpm.conf starts in [global]; a pool file continues the pool of the file before).
 */
export function sectionAt(f: IniFile, line: number, top: FpmSection = 'pool'): { section: FpmSection; name?: string } {
  let cur: { section: FpmSection; name?: string } = { section: top };
  for (const st of f.statements) {
    if (st.line > line) break;
    if (st.kind === 'section') cur = st.name.toLowerCase() === 'global' ? { section: 'global' } : { section: 'pool', name: st.name };
  }
  return cur;
}

/** Markdown documentation of a key. */
export function keyMarkdown(k: FpmKey, wrongSection?: FpmSection): string {
  const lines: string[] = [];
  lines.push(`**${k.array ? `${k.name}[…]` : k.name}** — ${k.section === 'global' ? '`[global]` setting' : 'pool setting'}${k.since ? ` (PHP ${k.since}+)` : ''}`);
  lines.push('');
  if (wrongSection) lines.push(`⚠ Not allowed in ${wrongSection === 'global' ? '[global]' : 'a pool section'}: php-fpm -t fails with "unknown entry".`, '');
  if (k.unsupported) lines.push(`⚠ ${k.unsupported}: PHP-FPM on Linux rejects it.`, '');
  lines.push(`**Type:** ${k.type}  `);
  lines.push(`**Default:** ${k.default}  `);
  if (k.values) lines.push(`**Values:** ${k.values.map((v) => '`' + v + '`').join(', ')}  `);
  if (k.mandatory) lines.push(`**Mandatory:** ${k.mandatory}  `);
  lines.push('', '---', '', k.doc, '', `[PHP manual: FPM configuration](${MANUAL})`);
  return lines.join('\n');
}

function valueNote(k: FpmKey, text: string): string | undefined {
  const r = parseValue(k.parser, text);
  if (!r.ok) return `php-fpm rejects this value: ${r.message}.`;
  if (k.parser === 'time' && typeof r.value === 'number') return `php-fpm reads ${r.value} seconds (${formatSeconds(r.value)})${r.value === 0 ? ', which means off' : ''}.`;
  if (k.parser === 'boolean') return `php-fpm reads **${r.value ? 'yes' : 'no'}**.`;
  if (k.parser === 'integer' && r.wrapped) return `php-fpm reads ${r.value}: ${r.wrapped.written} does not fit in a C int.`;
  if (k.name === 'pm') {
    const v = String(r.value);
    return {
      static: '`static`: always `pm.max_children` children.',
      dynamic: '`dynamic`: between `pm.min_spare_servers` and `pm.max_spare_servers` idle children, at most `pm.max_children`.',
      ondemand: '`ondemand`: children are forked as requests arrive and stop after `pm.process_idle_timeout` idle.',
    }[v];
  }
  return undefined;
}

function statementAt(f: IniFile, offset: number): IniStatement | undefined {
  return f.statements.find((s) => inside(s.span, offset));
}

/** Hover for a PHP-FPM file. `top` is the section before the first header (see sectionAt). */
export function fpmHover(f: IniFile, pos: Position, top: FpmSection = 'pool'): Hover | null {
  const offset = offsetAt(f, pos);
  const st = statementAt(f, offset);
  if (!st) return null;
  const md = (value: string, span: Span): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: toRange(span) });
  if (st.kind === 'section') {
    const global = st.name.toLowerCase() === 'global';
    return md(
      global
        ? '**[global]** — settings of the master process (pid, error_log, log_level, events.mechanism, ...). Pool settings are not allowed here.'
        : `**[${st.name}]** — the pool \`${st.name}\`. \`$pool\` in its values expands to \`${st.name}\`. Opening the same name again (in any file) continues this pool.`,
      st.span,
    );
  }
  const { section, name } = sectionAt(f, st.line, top);
  if (st.kind === 'entry') {
    if (inside(st.keySpan, offset)) {
      if (st.key === 'include') return md(`**include** — any section\n\n---\n\n${INCLUDE_DOC}\n\n[PHP manual: FPM configuration](${MANUAL})`, st.keySpan);
      const k = fpmKey(section, st.key);
      if (k) return md(keyMarkdown(k), st.keySpan);
      const other = fpmKey(section === 'global' ? 'pool' : 'global', st.key);
      if (other) return md(keyMarkdown(other, section), st.keySpan);
      return null;
    }
    if (st.value && inside(st.value.span, offset)) {
      const k = fpmKey(section, st.key);
      const parts: string[] = [];
      if (k && !st.value.dynamic) {
        const note = valueNote(k, st.value.text.split('$pool').join(name ?? '$pool'));
        if (note) parts.push(note);
      }
      if (st.value.raw.includes('$pool')) parts.push(name ? `\`$pool\` expands to \`${name}\`: the value is \`${st.value.text.split('$pool').join(name)}\`.` : '`$pool` expands to the name of the pool.');
      if (st.value.dynamic) parts.push('`${NAME}` is read from the environment of php-fpm when it starts.');
      if (st.value.text !== st.value.raw.replace(/^"(.*)"$/, '$1') && !st.value.dynamic && !st.value.raw.includes('$pool')) parts.push(`php-fpm reads the value as \`${st.value.text}\`.`);
      return parts.length > 0 ? md(parts.join('\n\n'), st.value.span) : null;
    }
    return null;
  }
  // array
  if (inside(st.nameSpan, offset)) {
    const k = fpmArrayKey(st.name);
    return k ? md(keyMarkdown(k), st.nameSpan) : null;
  }
  if (inside(st.key.span, offset) && (st.name.startsWith('php_'))) {
    const kind = PHP_INI_DIRECTIVES[st.key.text];
    const admin = st.name.startsWith('php_admin_');
    return md(
      `**${st.key.text}** — php.ini directive${kind ? ` (${kind})` : ''}, set for this pool${admin ? '; PHP code cannot change it with ini_set()' : '; PHP code may change it with ini_set()'}.\n\n[php.ini directives](https://www.php.net/manual/en/ini.list.php)`,
      st.key.span,
    );
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Completion
// ---------------------------------------------------------------------------------------------

function keyItem(k: FpmKey, range: Range): CompletionItem {
  if (k.array) {
    const key = k.name === 'access.suppress_path' ? '' : '${1:name}';
    const value = k.parser === 'boolean' ? '${2|on,off|}' : '$2';
    return {
      label: `${k.name}[]`,
      kind: CompletionItemKind.Property,
      detail: k.type,
      documentation: { kind: MarkupKind.Markdown, value: keyMarkdown(k) },
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range, newText: k.name === 'access.suppress_path' ? `${k.name}[] = /$1` : `${k.name}[${key}] = ${value}` },
      filterText: k.name,
    };
  }
  const value = k.values ? `\${1|${k.values.join(',')}|}` : '$1';
  return {
    label: k.name,
    kind: CompletionItemKind.Property,
    detail: `${k.type} — default ${k.default}`,
    documentation: { kind: MarkupKind.Markdown, value: keyMarkdown(k) },
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: { range, newText: `${k.name} = ${value}` },
  };
}

/** Completion for a PHP-FPM file: keys valid in the section at the cursor, fixed values after `=`, php.ini names in `php_value[`. */
export function fpmCompletion(f: IniFile, pos: Position, top: FpmSection = 'pool'): CompletionItem[] {
  const offset = offsetAt(f, pos);
  const lineStart = f.lineStarts[Math.min(pos.line, f.lineStarts.length - 1)] ?? 0;
  const before = f.text.slice(lineStart, offset).replace(/^\uFEFF/, '');
  // Inside a comment (a ';' outside quotes before the cursor): nothing.
  let quote = false;
  for (const c of before) {
    if (c === '"') quote = !quote;
    if (c === ';' && !quote) return [];
  }
  const { section } = sectionAt(f, pos.line - (before.trim().startsWith('[') ? 1 : 0), top);
  const rangeFrom = (start: number): Range => ({ start: { line: pos.line, character: start }, end: { line: pos.line, character: pos.character } });

  // Section header being typed.
  const sec = /^(\s*)\[([^\]]*)$/.exec(before);
  if (sec) {
    const names = new Set(['global', 'www']);
    for (const st of f.statements) if (st.kind === 'section') names.add(st.name);
    return [...names].map((n) => ({
      label: n,
      kind: CompletionItemKind.Module,
      detail: n === 'global' ? 'settings of the master process' : 'a pool',
      textEdit: { range: rangeFrom(sec[1].length + 1), newText: `${n}]` },
    }));
  }
  // A php.ini directive inside php_value[ / php_admin_value[ / php_flag[ / php_admin_flag[.
  const arr = /^\s*(php_value|php_admin_value|php_flag|php_admin_flag)\[([\w.]*)$/.exec(before);
  if (arr) {
    const flag = arr[1].endsWith('flag');
    return Object.entries(PHP_INI_DIRECTIVES)
      .filter(([, kind]) => (flag ? kind === 'boolean' : true))
      .map(([name, kind]) => ({
        label: name,
        kind: CompletionItemKind.Property,
        detail: `php.ini (${kind})`,
        textEdit: { range: rangeFrom(before.length - arr[2].length), newText: name },
      }));
  }
  // A value after `key =`.
  const val = /^\s*([A-Za-z_][\w.]*)(\[[^\]]*\])?\s*=\s*(\S*)$/.exec(before);
  if (val) {
    const [, key, bracket, partial] = val;
    const range = rangeFrom(before.length - partial.length);
    const values = (list: readonly string[], detail: string): CompletionItem[] =>
      list.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, detail, textEdit: { range, newText: v } }));
    if (bracket) {
      const k = fpmArrayKey(key);
      if (k?.parser === 'boolean') return values(['on', 'off'], 'boolean');
      if (k && key.startsWith('php_') && PHP_INI_DIRECTIVES[bracket.slice(1, -1)] === 'boolean') return values(['On', 'Off'], 'php.ini boolean');
      return [];
    }
    const k = fpmKey(section, key);
    if (!k) return [];
    if (k.values) return values(k.values, k.type);
    if (k.parser === 'boolean') return values(['yes', 'no'], 'boolean');
    if (k.name === 'listen' || k.name === 'pm.status_listen') return values(['/run/php/php8.2-fpm.sock', '/run/php/$pool.sock', '127.0.0.1:9000', '9000'], 'address');
    if (k.name === 'listen.mode') return values(['0660', '0666'], 'octal mode');
    if (k.name === 'user' || k.name === 'group' || k.name === 'listen.owner' || k.name === 'listen.group') return values(['www-data', 'nginx', 'nobody'], k.type);
    return [];
  }
  // A key at the start of a line.
  const word = /^(\s*)([\w.\[\]-]*)$/.exec(before);
  if (!word) return [];
  const range = rangeFrom(word[1].length);
  const { section: here, name } = sectionAt(f, pos.line, top);
  const already = new Set<string>();
  for (const st of f.statements) {
    if (st.kind === 'entry' && st.line !== pos.line && sectionAt(f, st.line, top).name === name && sectionAt(f, st.line, top).section === here) already.add(st.key.toLowerCase());
  }
  const items = fpmKeysIn(here)
    .filter((k) => !k.unsupported && (k.array || !already.has(k.name)))
    .map((k) => keyItem(k, range));
  items.push({
    label: 'include',
    kind: CompletionItemKind.Keyword,
    detail: 'glob pattern (absolute, or relative to the prefix)',
    documentation: { kind: MarkupKind.Markdown, value: INCLUDE_DOC },
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: { range, newText: 'include = ${1:/etc/php/8.2/fpm/pool.d/*.conf}' },
  });
  return items;
}

/** Every key name of the table (for grammars and tests). */
export function allKeyNames(): string[] {
  return FPM_KEYS.map((k) => k.name);
}
