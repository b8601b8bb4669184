// The PHP-FPM side of the site model, as the rules need it: each pool with the values that
// matter for a 502 and where each is written, so findings and fixes can point at lines.

import type { Span } from '../nginx/ast';

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
