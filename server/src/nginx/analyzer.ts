// Checks one parsed file in a given context, the way ngx_conf_handler() does: unknown
// directive, not allowed here, block or not, number of arguments, on/off values, duplicates.
// Severity is `error` exactly where nginx refuses the configuration; where nginx accepts
// something that is probably a mistake (a dropped `;` that turns the next line into more
// arguments of a directive that takes any number), a warning.

import type { Directive, Node, Problem, Span, Word } from './ast';
import { argCountOk, childCtx, ORPHAN_CANDIDATES, type BodyCtx, type Ctx, type Knowledge, type Shape } from './directives';
import { REJECTS_DUPLICATE, REJECTS_DUPLICATE_ONLY_IN, REJECTS_OFF_WITH_OTHERS, REJECTS_SAME_ZONE } from './data/duplicates';

export interface IncludeSite {
  directive: Directive;
  /** The include argument as nginx sees it. */
  pattern: string;
  ctx: BodyCtx;
}

export interface AnalyzeOptions {
  /** Context of the file's top level. */
  ctx: BodyCtx;
  /**
   * The file is not included by any known file: its top-level context is a guess, so a
   * top-level directive allowed in some other context is not reported as misplaced.
   */
  orphan?: boolean;
}

export interface Analysis {
  problems: Problem[];
  includes: IncludeSite[];
  /** Directives and arguments visited: a deterministic measure of the work done. */
  work: number;
}

const ENVSUBST = /\$\{[A-Z_][A-Z0-9_]*\}/;

function shapesIn(shapes: readonly Shape[], ctx: Ctx): Shape | undefined {
  return shapes.find((s) => s.ctx.includes(ctx));
}

function describeArgs(shape: Shape): string {
  const parts = shape.args.map((a) => {
    switch (a) {
      case 'NOARGS': return 'no arguments';
      case 'FLAG': return '"on" or "off"';
      case '1MORE': return 'one or more arguments';
      case '2MORE': return 'two or more arguments';
      case 'ANY': return 'any number of arguments';
      default: {
        const n = Number(a.slice(4));
        return `${n} argument${n === 1 ? '' : 's'}`;
      }
    }
  });
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}` : parts[0] ?? 'no arguments';
}

/**
 * Where a directive-level error goes: the name when the statement head is on one line; else
 * from the name to its `;` or `{`, because nginx names the line where the statement ends.
 */
export function headSpan(d: Directive): Span {
  const end = d.semicolon ?? d.block?.open ?? d.args.at(-1)?.span ?? d.nameSpan;
  return end.end.line === d.nameSpan.start.line ? d.nameSpan : { start: d.nameSpan.start, end: end.end };
}

function spanOf(words: readonly Word[]): Span {
  return { start: words[0].span.start, end: words[words.length - 1].span.end };
}

/** The key under which a repeat of this directive in one block is rejected, if it is. */
export function duplicateKey(d: Directive, ctx: Ctx): string | undefined {
  if (REJECTS_DUPLICATE.has(d.name)) return d.name;
  const only = Object.hasOwn(REJECTS_DUPLICATE_ONLY_IN, d.name) ? REJECTS_DUPLICATE_ONLY_IN[d.name] : undefined;
  if (only && only.includes(ctx)) return d.name;
  if (REJECTS_SAME_ZONE.has(d.name) && d.args.length > 0) {
    const zone = d.args.find((a) => a.value.startsWith('zone='))?.value.slice(5) ?? d.args[0].value;
    return `${d.name}\0zone\0${zone}`;
  }
  return undefined;
}

/** Infers the context of a file nothing includes, from the directives at its top level. */
export function inferContext(nodes: readonly Node[], k: Knowledge): Ctx {
  const names = nodes.filter((n): n is Directive => n.kind === 'directive').map((d) => d.name);
  if (names.length === 0) return 'http';
  let best: Ctx = 'http';
  let bestScore = -1;
  for (const ctx of ORPHAN_CANDIDATES) {
    let score = 0;
    for (const name of names) {
      const shapes = k.shapes(name);
      if (shapes && shapesIn(shapes, ctx)) score++;
    }
    if (score > bestScore) {
      best = ctx;
      bestScore = score;
    }
  }
  return best;
}

export function analyze(nodes: readonly Node[], k: Knowledge, options: AnalyzeOptions): Analysis {
  const problems: Problem[] = [];
  const includes: IncludeSite[] = [];
  let work = 0;
  const push = (code: string, severity: Problem['severity'], message: string, span: Span, data?: Record<string, unknown>) =>
    problems.push({ code, severity, message, span, data });

  const checkList = (list: readonly Node[], ctx: BodyCtx, top: boolean): void => {
    const seen = new Map<string, Directive>();
    const locations = new Map<string, Directive>();
    for (const n of list) {
      work++;
      if (n.kind !== 'directive' || n.name === '') continue;
      const d = n;
      work += d.args.length;
      checkEnvsubst(d);
      if (ctx === 'values' || ctx === 'unknown') {
        if (d.block) checkList(d.block.children, 'unknown', false);
        continue;
      }
      if (k.isExtra(d.name)) {
        if (d.block) checkList(d.block.children, 'unknown', false);
        continue;
      }
      const shapes = k.shapes(d.name);
      if (!shapes) {
        const note = k.versionNote(d.name);
        push(
          'unknown-directive',
          'error',
          note ? `unknown directive "${d.name}": ${note}` : `unknown directive "${d.name}"`,
          headSpan(d),
          { directive: d.name },
        );
        continue;
      }
      const shape = shapesIn(shapes, ctx);
      if (!shape) {
        const orphanTop = top && options.orphan && ORPHAN_CANDIDATES.some((c) => shapesIn(shapes, c));
        if (!orphanTop) {
          const where = [...new Set(shapes.flatMap((s) => s.ctx))].join(', ');
          push('not-allowed-here', 'error', `"${d.name}" directive is not allowed here (${ctxLabel(ctx)}); it is allowed in: ${where}`, headSpan(d), {
            directive: d.name,
            ctx,
          });
        }
        if (d.block) checkList(d.block.children, childCtx(d.name, orphanTop ? shapes[0].ctx[0] : 'unknown'), false);
        continue;
      }
      if (shape.block && !d.block) {
        push('missing-block', 'error', `directive "${d.name}" has no opening "{"`, d.span, { directive: d.name });
      } else if (!shape.block && d.block) {
        push('not-terminated', 'error', `directive "${d.name}" is not terminated by ";" (it takes no block)`, { start: d.nameSpan.start, end: d.block.open.end }, {
          directive: d.name,
        });
      } else {
        checkArgs(d, shape, ctx);
      }
      if (d.name === 'include' && d.args.length === 1 && !d.block) includes.push({ directive: d, pattern: d.args[0].value, ctx });
      const dupKey = duplicateKey(d, ctx);
      if (dupKey !== undefined) {
        const first = seen.get(dupKey);
        if (first) {
          push('duplicate-directive', 'error', `"${d.name}" directive is duplicate (first set on line ${first.nameSpan.start.line + 1})`, headSpan(d), {
            directive: d.name,
            firstLine: first.nameSpan.start.line,
          });
        } else seen.set(dupKey, d);
      }
      if (REJECTS_OFF_WITH_OTHERS.has(d.name)) {
        const offKey = `${d.name}\0off`;
        const anyKey = `${d.name}\0any`;
        const isOff = d.args.length === 1 && d.args[0].value === 'off';
        const clash = isOff ? seen.get(anyKey) : seen.get(offKey);
        if (clash) {
          push('duplicate-directive', 'error', `"${d.name}" directive is duplicate: "off" cannot be combined with other "${d.name}" lines in one block (line ${clash.nameSpan.start.line + 1})`, headSpan(d), {
            directive: d.name,
            firstLine: clash.nameSpan.start.line,
          });
        }
        if (!seen.has(anyKey)) seen.set(anyKey, d);
        if (isOff && !seen.has(offKey)) seen.set(offKey, d);
      }
      if (d.name === 'location' && d.block) checkDuplicateLocation(d, locations);
      if (d.block) checkList(d.block.children, childCtx(d.name, ctx), false);
    }
  };

  const checkArgs = (d: Directive, shape: Shape, ctx: Ctx): void => {
    const n = d.args.length;
    const split = missingSemicolonSplit(d, ctx);
    if (!argCountOk(shape, n)) {
      if (split !== undefined && argCountOk(shape, split)) {
        const at = split > 0 ? d.args[split - 1].span.end : d.nameSpan.end;
        push(
          'missing-semicolon',
          'error',
          `invalid number of arguments in "${d.name}" directive: a ";" is probably missing at the end of line ${at.line + 1}, so "${d.args[split].value}" was read as an argument`,
          { start: d.nameSpan.start, end: d.span.end },
          { directive: d.name, insertAt: at },
        );
        return;
      }
      push(
        'invalid-args',
        'error',
        `invalid number of arguments in "${d.name}" directive: it takes ${describeArgs(shape)}, got ${n}`,
        n > 0 ? { start: d.nameSpan.start, end: (d.semicolon ?? d.block?.open ?? d.args[n - 1].span).end } : headSpan(d),
        { directive: d.name },
      );
      return;
    }
    if (split !== undefined && n > split) {
      const at = split > 0 ? d.args[split - 1].span.end : d.nameSpan.end;
      push(
        'probable-missing-semicolon',
        'warning',
        `"${d.args[split].value}" starts a new line but is read as an argument of "${d.name}": a ";" is probably missing at the end of line ${at.line + 1}`,
        spanOf(d.args.slice(split)),
        { directive: d.name, insertAt: at },
      );
    }
    if (shape.args.length === 1 && shape.args[0] === 'FLAG' && n === 1) {
      const v = d.args[0].value.toLowerCase();
      if (v !== 'on' && v !== 'off') {
        push('invalid-flag', 'error', `invalid value "${d.args[0].value}" in "${d.name}" directive, it must be "on" or "off"`, d.args[0].span, {
          directive: d.name,
        });
      }
    }
  };

  /**
   * Index of the first argument that starts a new line and names a directive allowed here:
   * the likely place of a dropped `;`.
   */
  const missingSemicolonSplit = (d: Directive, ctx: Ctx): number | undefined => {
    let line = d.nameSpan.start.line;
    for (let i = 0; i < d.args.length; i++) {
      const a = d.args[i];
      if (a.span.start.line > line && a.quote === null) {
        const shapes = k.shapes(a.value);
        if (shapes && shapesIn(shapes, ctx) && a.value !== d.name) return i;
      }
      line = a.span.end.line;
    }
    return undefined;
  };

  const checkEnvsubst = (d: Directive): void => {
    if (d.name.indexOf('${') < 0 && !d.args.some((a) => a.value.indexOf('${') >= 0)) return;
    for (const w of [{ value: d.name, span: d.nameSpan }, ...d.args]) {
      if (ENVSUBST.test(w.value)) {
        push(
          'envsubst-template',
          'warning',
          `"${w.value}" looks like an envsubst template variable: nginx itself does not substitute environment variables, so render the template (envsubst) before nginx reads it`,
          w.span,
        );
        return;
      }
    }
  };

  const checkDuplicateLocation = (d: Directive, locations: Map<string, Directive>): void => {
    const a = d.args;
    let key: string | undefined;
    if (a.length === 1 && !a[0].value.startsWith('@')) {
      const v = a[0].value;
      if (v.startsWith('=')) key = '=' + v.slice(1);
      else if (v.startsWith('^~')) key = v.slice(2);
      else if (!v.startsWith('~')) key = v;
    } else if (a.length === 2) {
      if (a[0].value === '=') key = '=' + a[1].value;
      else if (a[0].value === '^~') key = a[1].value;
    }
    if (key === undefined) return;
    const first = locations.get(key);
    if (first) {
      push('duplicate-location', 'error', `duplicate location "${key.replace(/^=/, '')}" (also on line ${first.nameSpan.start.line + 1})`, spanOf([d.args[0], d.args[d.args.length - 1]]), {
        firstLine: first.nameSpan.start.line,
      });
    } else locations.set(key, d);
  };

  checkList(nodes, options.ctx, true);
  return { problems, includes, work };
}

export function ctxLabel(ctx: BodyCtx): string {
  switch (ctx) {
    case 'sif': return 'if in server';
    case 'lif': return 'if in location';
    case 'stream_server': return 'stream server';
    case 'stream_upstream': return 'stream upstream';
    case 'mail_server': return 'mail server';
    default: return ctx;
  }
}
