// proxy_pass/fastcgi_pass/upstream server to `localhost`: nginx resolves it to ::1 and
// 127.0.0.1 and tries both; a backend listening only on IPv4 gives refused connects on ::1.

import { allScopes } from '../site/scope';
import type { Finding, Rule } from './rule';
import { passTarget } from './targets';

const PASS = new Set(['proxy_pass', 'fastcgi_pass', 'grpc_pass', 'uwsgi_pass', 'scgi_pass']);

export const proxyPassLocalhost: Rule = {
  id: 'proxy-pass-localhost',
  severity: 'warning',
  lands: 'nginx',
  title: 'a backend addressed as localhost',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        const isPass = PASS.has(sd.d.name);
        const isUpstreamServer = sd.d.name === 'server' && (scope.ctx === 'upstream' || scope.ctx === 'stream_upstream');
        if (!isPass && !isUpstreamServer) continue;
        let hostStart: number;
        let hostEnd: number;
        if (isPass) {
          const t = passTarget(sd);
          if (!t || t.kind !== 'inet' || t.host !== 'localhost') continue;
          hostStart = t.hostStart;
          hostEnd = t.hostEnd;
        } else {
          const a = sd.d.args[0];
          if (!a || !/^localhost(:\d+)?$/i.test(a.value)) continue;
          hostStart = a.quote ? 1 : 0;
          hostEnd = hostStart + 'localhost'.length;
        }
        const arg = sd.d.args[0];
        const s = arg.span.start;
        const span = {
          start: { offset: s.offset + hostStart, line: s.line, character: s.character + hostStart },
          end: { offset: s.offset + hostEnd, line: s.line, character: s.character + hostEnd },
        };
        out.push({
          rule: this.id,
          file: sd.file,
          span,
          message:
            `"${sd.d.name} ${arg.value}" uses localhost, which resolves to ::1 and 127.0.0.1: a backend listening only on 127.0.0.1 refuses the IPv6 try, ` +
            `logging "connect() failed (111: Connection refused) while connecting to upstream, upstream: \\"http://[::1]:..." and, once every address fails, 502.`,
          fixes: [
            { title: 'Use 127.0.0.1 instead of localhost', preferred: true, edits: [{ file: sd.file, span, newText: '127.0.0.1' }] },
          ],
        });
      }
    }
    return out;
  },
};
