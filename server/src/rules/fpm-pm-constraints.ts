// pm.* values that break php-fpm's own start-up checks (fpm_conf.c,
// fpm_conf_process_all_pools): php-fpm refuses to start, so every PHP request gets 502.

import { poolValue, type Pool } from '../site/pools';
import { setPoolValue } from './edits';
import type { FileEdit, Finding, Rule } from './rule';

function int(p: Pool, key: string): number | undefined {
  const v = poolValue(p, key);
  return v !== undefined && /^\s*-?\d+\s*$/.test(v) ? Number(v) : undefined;
}

export interface PmProblem {
  key: string;
  message: string;
}

/** php-fpm's checks, in its words. */
export function pmProblems(p: Pool): PmProblem[] {
  const out: PmProblem[] = [];
  const pm = (poolValue(p, 'pm') ?? '').trim();
  const max = int(p, 'pm.max_children') ?? 0;
  if (max < 1) out.push({ key: 'pm.max_children', message: `[pool ${p.name}] pm.max_children must be a positive value` });
  if (pm === 'dynamic') {
    const min = int(p, 'pm.min_spare_servers') ?? 0;
    const maxs = int(p, 'pm.max_spare_servers') ?? 0;
    const start = int(p, 'pm.start_servers') ?? 0;
    if (min <= 0) out.push({ key: 'pm.min_spare_servers', message: `[pool ${p.name}] pm.min_spare_servers(${min}) must be a positive value` });
    if (maxs <= 0) out.push({ key: 'pm.max_spare_servers', message: `[pool ${p.name}] pm.max_spare_servers(${maxs}) must be a positive value` });
    if (min > max || maxs > max) out.push({ key: 'pm.max_spare_servers', message: `[pool ${p.name}] pm.min_spare_servers(${min}) and pm.max_spare_servers(${maxs}) cannot be greater than pm.max_children(${max})` });
    if (maxs < min) out.push({ key: 'pm.max_spare_servers', message: `[pool ${p.name}] pm.max_spare_servers(${maxs}) must not be less than pm.min_spare_servers(${min})` });
    if (start > 0 && (start < min || start > maxs)) out.push({ key: 'pm.start_servers', message: `[pool ${p.name}] pm.start_servers(${start}) must not be less than pm.min_spare_servers(${min}) and not greater than pm.max_spare_servers(${maxs})` });
  }
  return out;
}

/** Values that satisfy the checks, keeping pm.max_children (or setting a sane one). */
function repaired(p: Pool): Map<string, string> {
  const out = new Map<string, string>();
  let max = int(p, 'pm.max_children') ?? 0;
  if (max < 1) {
    max = 5;
    out.set('pm.max_children', String(max));
  }
  if ((poolValue(p, 'pm') ?? '').trim() === 'dynamic') {
    let min = int(p, 'pm.min_spare_servers') ?? 0;
    let maxs = int(p, 'pm.max_spare_servers') ?? 0;
    if (min < 1 || min > max) min = Math.max(1, Math.min(min, Math.floor(max / 4) || 1));
    if (maxs < min || maxs > max) maxs = Math.max(min, Math.min(max, Math.max(maxs, Math.ceil(max * 0.75))));
    if (min !== int(p, 'pm.min_spare_servers')) out.set('pm.min_spare_servers', String(min));
    if (maxs !== int(p, 'pm.max_spare_servers')) out.set('pm.max_spare_servers', String(maxs));
    const start = int(p, 'pm.start_servers') ?? 0;
    if (start > 0 && (start < min || start > maxs)) out.set('pm.start_servers', String(min + Math.floor((maxs - min) / 2)));
  }
  return out;
}

export const fpmPmConstraints: Rule = {
  id: 'fpm-pm-constraints',
  severity: 'error',
  lands: 'pool',
  title: "pm.* values php-fpm refuses at start-up",
  check(ctx) {
    const out: Finding[] = [];
    for (const p of ctx.pools) {
      const problems = pmProblems(p);
      if (problems.length === 0) continue;
      const at = p.values.get(problems[0].key) ?? p.values.get('pm');
      const edits: FileEdit[] = [...repaired(p)].map(([k, v]) => setPoolValue(p, k, v));
      out.push({
        rule: this.id,
        file: p.file,
        span: at?.span ?? p.headerSpan,
        message: `php-fpm -t fails: ${problems.map((x) => x.message).join('; ')}. php-fpm will not start, so nginx answers 502 to every PHP request ("connect() to unix:... failed (2: No such file or directory)" or "(111: Connection refused)").`,
        fixes: edits.length > 0 ? [{ title: 'Use pm values php-fpm accepts', preferred: true, edits }] : [],
      });
    }
    return out;
  },
};
