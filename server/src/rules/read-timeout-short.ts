// proxy_read_timeout/fastcgi_read_timeout under 10 s: slow responses under load become 504s.

import { allScopes, parseTimeMs } from '../site/scope';
import { replaceArgs } from './edits';
import type { Finding, Rule } from './rule';

const NAMES = new Set(['proxy_read_timeout', 'fastcgi_read_timeout', 'uwsgi_read_timeout', 'scgi_read_timeout', 'grpc_read_timeout']);

export const readTimeoutShort: Rule = {
  id: 'read-timeout-short',
  severity: 'information',
  lands: 'nginx',
  title: 'a read timeout under 10 seconds',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (!NAMES.has(sd.d.name) || sd.d.args.length !== 1) continue;
        const ms = parseTimeMs(sd.d.args[0].value);
        if (ms === undefined || ms >= 10000) continue;
        out.push({
          rule: this.id,
          file: sd.file,
          span: sd.d.args[0].span,
          message: `${sd.d.name} ${sd.d.args[0].value}: a backend slower than that under load gets "upstream timed out (110: Connection timed out) while reading response header from upstream" and the client a 504.`,
          fixes: [{ title: `Set ${sd.d.name} to 60s (nginx's default)`, preferred: true, edits: [replaceArgs(sd, '60s')] }],
        });
      }
    }
    return out;
  },
};
