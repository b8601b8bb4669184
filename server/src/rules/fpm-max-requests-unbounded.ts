// pm.max_requests = 0 (php-fpm's default): workers are never recycled, so a leaking
// application grows until the OOM killer ends a worker mid-request (502).

import { poolValue } from '../site/pools';
import { setPoolValue } from './edits';
import type { Finding, Rule } from './rule';

export const fpmMaxRequestsUnbounded: Rule = {
  id: 'fpm-max-requests-unbounded',
  severity: 'information',
  lands: 'pool',
  title: 'workers never recycled (pm.max_requests = 0)',
  check(ctx) {
    const out: Finding[] = [];
    for (const p of ctx.pools) {
      const v = p.values.get('pm.max_requests');
      if (v && Number(poolValue(p, 'pm.max_requests')) !== 0) continue;
      out.push({
        rule: this.id,
        file: p.file,
        span: v?.span ?? p.headerSpan,
        message: `pm.max_requests is ${v ? '0' : 'not set (0)'}: workers are never recycled, so memory leaks in the application accumulate until the kernel's OOM killer ends a worker mid-request ("child N exited on signal 9 (SIGKILL)" in php-fpm's log, 502 in nginx's).`,
        fixes: [{ title: 'Recycle workers after 500 requests', preferred: true, edits: [setPoolValue(p, 'pm.max_requests', '500')] }],
      });
    }
    return out;
  },
};
