// proxy_buffer_size / fastcgi_buffer_size under 8k: response headers with a few cookies or a
// long CSP exceed it and nginx answers 502 ("upstream sent too big header").

import { allScopes, parseSize } from '../site/scope';
import { bufferErrors, bufferValues, consistentEdits, PREFIXES } from './buffers';
import type { Finding, Rule } from './rule';

export const headerBufferSmall: Rule = {
  id: 'header-buffer-small',
  severity: 'warning',
  lands: 'nginx',
  title: 'a response header buffer under 8k',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    for (const scope of allScopes(ctx.nginx)) {
      for (const p of PREFIXES) {
        for (const sd of scope.items) {
          if (sd.d.name !== `${p}_buffer_size` || sd.d.args.length !== 1) continue;
          const size = parseSize(sd.d.args[0].value);
          if (size === undefined || size >= 8192) continue;
          const v = bufferValues(scope, p);
          const edits = v && bufferErrors(v, p).length === 0 ? consistentEdits(ctx, scope, p, v, 16384) : [];
          out.push({
            rule: this.id,
            file: sd.file,
            span: sd.d.args[0].span,
            message: `${p}_buffer_size ${sd.d.args[0].value} holds the whole response header: a backend sending a few cookies or a long Content-Security-Policy exceeds it, and nginx logs "upstream sent too big header while reading response header from upstream" and answers 502.`,
            fixes: edits.length > 0 ? [{ title: `Raise ${p}_buffer_size to 16k (keeping the buffer rules nginx -t checks)`, preferred: true, edits }] : [],
          });
        }
      }
    }
    return out;
  },
};
