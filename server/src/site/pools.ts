// The PHP-FPM side of the site model, as the rules need it: each pool with the values that
// matter for a 502 and where each is written, so findings and fixes can point at lines.

import type { Span } from '../nginx/ast';
import type { FpmPool } from '../phpfpm/config';

export interface PoolValue {
  value: string;
  file: string;
  span: Span;
  /** The whole `key = value` line, for replacing it. */
  lineSpan: Span;
}

export interface Pool {
  name: string;
  file: string;
  /** The `[name]` header. */
  headerSpan: Span;
  /** Where a new key goes: the end of the pool's last line. */
  insertAt: Span;
  /** Raw values by key (after `$pool` substitution), as written. */
  values: Map<string, PoolValue>;
}

export function poolValue(p: Pool, key: string): string | undefined {
  return p.values.get(key)?.value;
}

/** A pool's listen address normalized: `unix:/path` or `host:port` (host `*` for all). */
export function poolListen(p: Pool): string | undefined {
  const v = poolValue(p, 'listen');
  if (!v) return undefined;
  if (v.startsWith('/')) return 'unix:' + v;
  if (/^\d+$/.test(v)) return '*:' + v;
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(v);
  if (!m) return v;
  const host = m[1] === '0.0.0.0' || m[1] === '::' || m[1] === '[::]' ? '*' : m[1];
  return `${host}:${m[2]}`;
}

/** PHP-FPM time values ("30s", "5m", "0", "1h") in seconds. */
export function fpmSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(v);
  if (!m) return undefined;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

/**
 * The rules' view of the pools the PHP-FPM engine loaded: each key's value as php-fpm reads it
 * ($pool expanded), where it is written, and where a new key goes.
 */
export function fromFpmPools(pools: readonly FpmPool[]): Pool[] {
  return pools.map((p) => {
    const values = new Map<string, PoolValue>();
    let last: Span = p.headerSpan;
    for (const [name, s] of p.settings) {
      const v = typeof s.effective === 'string' ? s.effective : s.value.text;
      values.set(name, { value: v, file: s.file, span: s.valueSpan, lineSpan: s.span });
      if (s.file === p.file && s.span.end.offset > last.end.offset) last = s.span;
    }
    for (const a of p.arrays) if (a.file === p.file && a.span.end.offset > last.end.offset) last = a.span;
    return { name: p.name, file: p.file, headerSpan: p.headerSpan, insertAt: { start: last.end, end: last.end }, values };
  });
}
