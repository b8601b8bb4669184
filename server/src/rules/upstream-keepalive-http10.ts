// An upstream with `keepalive` proxied with HTTP/1.0 (nginx's default) and the default
// "Connection: close": the connection cache is never used, and a backend that keeps
// connections open anyway races nginx ("upstream prematurely closed connection").

import { allScopes, effective, own, upstreams } from '../site/scope';
import { insertAfter } from './edits';
import type { FileEdit, Finding, Rule } from './rule';
import { passTarget } from './targets';

export const upstreamKeepaliveHttp10: Rule = {
  id: 'upstream-keepalive-http10',
  severity: 'warning',
  lands: 'nginx',
  title: 'keepalive upstream proxied without HTTP/1.1',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    const groups = upstreams(ctx.nginx);
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (sd.d.name !== 'proxy_pass' || scope.ctx === 'stream_server') continue;
        const t = passTarget(sd);
        if (!t || t.kind !== 'inet') continue;
        const group = groups.get(t.host);
        if (!group || own(group, 'keepalive').length === 0) continue;
        const version = effective(scope, 'proxy_http_version').at(-1);
        const headers = effective(scope, 'proxy_set_header');
        const connection = headers.find((h) => h.d.args[0]?.value.toLowerCase() === 'connection');
        const http11 = version?.d.args[0]?.value === '1.1';
        const clearsConnection = connection !== undefined && connection.d.args[1] !== undefined && connection.d.args[1].value !== 'close';
        if (http11 && clearsConnection) continue;
        const lines: string[] = [];
        if (!http11) lines.push('proxy_http_version 1.1;');
        if (!clearsConnection) {
          // proxy_set_header lists are inherited only when the location sets none: copy the
          // inherited ones along, or adding one here would drop them.
          const ownHeaders = own(scope, 'proxy_set_header');
          if (ownHeaders.length === 0) for (const h of headers) lines.push(`proxy_set_header ${h.d.args.map((a) => a.raw).join(' ')};`);
          lines.push('proxy_set_header Connection "";');
        }
        // All inserted after the proxy_pass, in order, as one edit.
        const parts = lines.map((line) => insertAfter(ctx, sd, line));
        const merged: FileEdit = { file: parts[0].file, span: parts[0].span, newText: parts.map((e) => e.newText).join('') };
        out.push({
          rule: this.id,
          file: sd.file,
          span: sd.d.args[0].span,
          message: `upstream "${t.host}" keeps idle connections (keepalive), but this location proxies with ${http11 ? '"Connection: close"' : 'HTTP/1.0'}: the cache is not used, and a backend that keeps the connection open races nginx ("upstream prematurely closed connection while reading response header", 502).`,
          related: [{ file: group.block!.file, span: own(group, 'keepalive')[0].d.nameSpan, message: 'keepalive set here' }],
          fixes: [{ title: 'Proxy with HTTP/1.1 and an empty Connection header', preferred: true, edits: [merged] }],
        });
      }
    }
    return out;
  },
};
