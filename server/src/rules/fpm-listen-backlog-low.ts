// listen.backlog below 128: bursts overflow the accept queue and nginx's connect() fails with
// EAGAIN on unix sockets (502) instead of waiting for a free worker.

import { poolValue } from '../site/pools';
import { setPoolValue } from './edits';
import type { Finding, Rule } from './rule';

export const fpmListenBacklogLow: Rule = {
  id: 'fpm-listen-backlog-low',
  severity: 'warning',
  lands: 'pool',
  title: 'listen.backlog below 128',
  check(ctx) {
    const out: Finding[] = [];
    for (const p of ctx.pools) {
      const v = p.values.get('listen.backlog');
      const n = Number(poolValue(p, 'listen.backlog'));
      if (!v || !Number.isFinite(n) || n < 0 || n >= 128) continue;
      out.push({
        rule: this.id,
        file: p.file,
        span: v.span,
        message: `listen.backlog = ${n}: when all workers are busy only ${n} connections can wait; the next get "connect() to unix:... failed (11: Resource temporarily unavailable) while connecting to upstream" (502).`,
        fixes: [{ title: 'Set listen.backlog to 511', preferred: true, edits: [setPoolValue(p, 'listen.backlog', '511')] }],
      });
    }
    return out;
  },
};
