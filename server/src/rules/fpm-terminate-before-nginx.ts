// request_terminate_timeout shorter than the location's fastcgi_read_timeout: PHP-FPM kills
// the worker first, so a slow request becomes a 502 ("prematurely closed") instead of nginx's
// own 504, and the log points at the wrong culprit.

import { fastcgiLinks } from '../site/links';
import { fpmSeconds, type Pool } from '../site/pools';
import { effective, parseTimeMs } from '../site/scope';
import { replaceArgs, setPoolValue } from './edits';
import type { Finding, Rule } from './rule';

export const fpmTerminateBeforeNginx: Rule = {
  id: 'fpm-terminate-before-nginx',
  severity: 'warning',
  lands: 'pool',
  title: 'PHP-FPM kills requests before nginx stops waiting',
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<Pool>();
    for (const link of fastcgiLinks(ctx.nginx, ctx.pools)) {
      const rt = effective(link.scope, 'fastcgi_read_timeout').at(-1);
      const readMs = rt ? parseTimeMs(rt.d.args[0]?.value ?? '') : 60000;
      if (readMs === undefined) continue;
      for (const pool of link.pools) {
        const v = pool.values.get('request_terminate_timeout');
        const secs = fpmSeconds(v?.value);
        if (!v || !secs || secs * 1000 >= readMs || seen.has(pool)) continue;
        seen.add(pool);
        const readS = Math.ceil(readMs / 1000);
        const fixes = [{ title: `Set request_terminate_timeout to ${readS + 5}s (after nginx gives up)`, preferred: true, edits: [setPoolValue(pool, 'request_terminate_timeout', `${readS + 5}s`)] }];
        if (rt && secs > 5) fixes.push({ title: `Lower fastcgi_read_timeout to ${secs - 5}s`, preferred: false, edits: [replaceArgs(rt, `${secs - 5}s`)] });
        out.push({
          rule: this.id,
          file: pool.file,
          span: v.span,
          message: `request_terminate_timeout ${v.value} is shorter than nginx's fastcgi_read_timeout (${readS}s${rt ? '' : ', the default'}): PHP-FPM kills a slow request first ("execution timed out ... terminating" in its log) and nginx answers 502 ("recv() failed (104: Connection reset by peer) while reading response header from upstream", or "upstream prematurely closed FastCGI stdout") instead of a 504.`,
          related: [{ file: (rt ?? link.pass).file, span: (rt ?? link.pass).d.nameSpan, message: rt ? `fastcgi_read_timeout ${rt.d.args[0]?.value}` : 'this location waits 60s (default fastcgi_read_timeout)' }],
          fixes,
        });
      }
    }
    return out;
  },
};
