// A TCP pool whose listen.allowed_clients excludes the address nginx connects from: php-fpm
// closes the connection at once ("Connection disallowed: IP address '...' has been dropped"),
// nginx logs "recv() failed (104: Connection reset by peer)" and answers 502.

import { fastcgiLinks } from '../site/links';
import { poolListen, poolValue, type Pool } from '../site/pools';
import { setPoolValue } from './edits';
import type { Finding, Rule } from './rule';
import { isLoopback } from './targets';

export const fpmListenAllowedClients: Rule = {
  id: 'fpm-listen-allowed-clients',
  severity: 'warning',
  lands: 'pool',
  title: 'listen.allowed_clients excludes nginx',
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<Pool>();
    for (const link of fastcgiLinks(ctx.nginx, ctx.pools)) {
      for (const pool of link.pools) {
        const v = pool.values.get('listen.allowed_clients');
        const l = poolListen(pool);
        if (!v || !l || l.startsWith('unix:') || seen.has(pool)) continue;
        const address = link.addresses.find((a) => !a.startsWith('unix:'));
        if (!address) continue;
        const host = address.slice(0, address.lastIndexOf(':'));
        // nginx connects from loopback to a loopback address; other sources are the host's own IPs, unknown here.
        if (!isLoopback(host)) continue;
        const from = host === '::1' ? '::1' : '127.0.0.1';
        const allowed = (poolValue(pool, 'listen.allowed_clients') ?? '').split(',').map((s) => s.trim());
        if (allowed.includes(from) || allowed.includes('any')) continue;
        seen.add(pool);
        out.push({
          rule: this.id,
          file: pool.file,
          span: v.span,
          message: `listen.allowed_clients = ${v.value} does not include ${from}, the address nginx connects from: php-fpm drops the connection ("Connection disallowed: IP address '${from}' has been dropped"), nginx logs "recv() failed (104: Connection reset by peer)" and answers 502.`,
          related: [{ file: link.pass.file, span: link.pass.d.args[0].span, message: 'nginx connects here' }],
          fixes: [{ title: `Allow ${from}`, preferred: true, edits: [setPoolValue(pool, 'listen.allowed_clients', [...allowed.filter(Boolean), from].join(','))] }],
        });
      }
    }
    return out;
  },
};
