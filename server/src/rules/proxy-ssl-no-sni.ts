// proxy_pass https://NAME without proxy_ssl_server_name on: nginx sends no SNI, and most
// TLS backends (CDNs, shared hosting, Kubernetes ingresses) refuse the handshake.

import { allScopes, effective, upstreams } from '../site/scope';
import { insertAfter } from './edits';
import type { Finding, Rule } from './rule';
import { isIp, passTarget } from './targets';

export const proxySslNoSni: Rule = {
  id: 'proxy-ssl-no-sni',
  severity: 'warning',
  lands: 'nginx',
  title: 'https backend without SNI',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    const groups = upstreams(ctx.nginx);
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (sd.d.name !== 'proxy_pass') continue;
        const t = passTarget(sd);
        if (!t || t.scheme !== 'https' || t.kind === 'unix') continue;
        if (t.kind === 'inet' && isIp(t.host) && !groups.has(t.host)) continue;
        const on = effective(scope, 'proxy_ssl_server_name').at(-1);
        if (on && on.d.args[0]?.value.toLowerCase() === 'on') continue;
        const edits = [insertAfter(ctx, sd, 'proxy_ssl_server_name on;')];
        if (groups.has(t.host) && effective(scope, 'proxy_ssl_name').length === 0) edits[0].newText += insertAfter(ctx, sd, `proxy_ssl_name ${t.host};  # ngx502: the backend's certificate name`).newText;
        out.push({
          rule: this.id,
          file: sd.file,
          span: sd.d.args[0].span,
          message: `TLS to "${t.host}" without "proxy_ssl_server_name on": no SNI is sent, and a backend serving several names refuses the handshake ("SSL_do_handshake() failed (... alert handshake failure:SSL alert number 40) while SSL handshaking to upstream", 502).`,
          fixes: [{ title: 'Send SNI (proxy_ssl_server_name on)', preferred: true, edits }],
        });
      }
    }
    return out;
  },
};
