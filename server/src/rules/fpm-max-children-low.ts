// pm.max_children at or below 5 (php-fpm's shipped default): a handful of slow requests
// occupy every worker, the listen queue fills and nginx gets EAGAIN (502) or times out (504).

import { poolValue } from '../site/pools';
import { setPoolValue } from './edits';
import type { Finding, Rule } from './rule';

export const fpmMaxChildrenLow: Rule = {
  id: 'fpm-max-children-low',
  severity: 'warning',
  lands: 'pool',
  title: 'pm.max_children left at 5 or below',
  check(ctx) {
    const out: Finding[] = [];
    const suggested = Math.max(6, Math.floor(ctx.memoryBudgetMB / Math.max(1, ctx.workerMB)));
    for (const p of ctx.pools) {
      const v = p.values.get('pm.max_children');
      const n = Number(poolValue(p, 'pm.max_children'));
      if (!v || !Number.isFinite(n) || n < 1 || n > 5) continue;
      const edits = [setPoolValue(p, 'pm.max_children', String(suggested))];
      const pm = (poolValue(p, 'pm') ?? '').trim();
      const maxSpare = Number(poolValue(p, 'pm.max_spare_servers'));
      if (pm === 'dynamic' && Number.isFinite(maxSpare) && maxSpare > suggested) edits.push(setPoolValue(p, 'pm.max_spare_servers', String(suggested)));
      out.push({
        rule: this.id,
        file: p.file,
        span: v.span,
        message: `pm.max_children = ${n}: ${n} slow requests occupy every worker; php-fpm logs "server reached pm.max_children setting (${n}), consider raising it", and nginx gets "connect() to unix:... failed (11: Resource temporarily unavailable)" (502) or times out (504).`,
        fixes: [{ title: `Raise pm.max_children to ${suggested} (nginx502.phpfpm.memoryBudgetMB ${ctx.memoryBudgetMB} / workerMB ${ctx.workerMB})`, preferred: true, edits }],
      });
    }
    return out;
  },
};
