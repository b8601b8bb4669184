// A fastcgi_pass that reaches no PHP-FPM pool: nginx connects to a socket or port nobody
// listens on and answers 502 for every PHP request.

import { fastcgiLinks } from '../site/links';
import { poolListen, type Pool } from '../site/pools';
import { setPoolValue } from './edits';
import type { Finding, Fix, Rule } from './rule';

function passForm(listen: string): string {
  return listen.startsWith('unix:') ? listen : listen.replace(/^\*:/, '127.0.0.1:');
}

function poolForm(address: string): string {
  return address.startsWith('unix:') ? address.slice(5) : address;
}

/** Pools ordered by how likely they are the one meant: same kind of address, then similar text. */
function rank(pools: readonly Pool[], address: string): Pool[] {
  const score = (p: Pool): number => {
    const l = poolListen(p) ?? '';
    let s = l.startsWith('unix:') === address.startsWith('unix:') ? 100 : 0;
    let common = 0;
    while (common < l.length && common < address.length && l[common] === address[common]) common++;
    s += common;
    return s;
  };
  return [...pools].sort((a, b) => score(b) - score(a));
}

export const fastcgiSocketMismatch: Rule = {
  id: 'fastcgi-socket-mismatch',
  severity: 'warning',
  lands: 'nginx',
  title: 'fastcgi_pass reaches no PHP-FPM pool',
  check(ctx) {
    const listening = ctx.pools.filter((p) => poolListen(p) !== undefined);
    if (listening.length === 0) return [];
    const out: Finding[] = [];
    for (const link of fastcgiLinks(ctx.nginx, listening)) {
      if (link.pools.length > 0 || link.addresses.length === 0 || link.upstream) continue;
      const address = link.addresses[0];
      const arg = link.pass.d.args[0];
      const candidates = rank(listening, address).slice(0, 3);
      const fixes: Fix[] = [];
      for (const p of candidates) {
        fixes.push({
          title: `Point fastcgi_pass at pool [${p.name}] (${passForm(poolListen(p)!)})`,
          preferred: p === candidates[0],
          edits: [{ file: link.pass.file, span: arg.span, newText: passForm(poolListen(p)!) }],
        });
      }
      const first = candidates[0];
      fixes.push({ title: `Make pool [${first.name}] listen on ${poolForm(address)}`, edits: [setPoolValue(first, 'listen', poolForm(address))] });
      const listens = listening.map((p) => `[${p.name}] ${poolListen(p)}`).join(', ');
      out.push({
        rule: this.id,
        file: link.pass.file,
        span: arg.span,
        message: `fastcgi_pass ${arg.value} reaches no PHP-FPM pool (pools listen on: ${listens}): every PHP request gets 502, with "connect() ${address.startsWith('unix:') ? `to ${address} failed (2: No such file or directory)` : 'failed (111: Connection refused)'} while connecting to upstream" in the error log.`,
        related: listening.slice(0, 5).map((p) => ({ file: p.file, span: p.values.get('listen')!.span, message: `pool [${p.name}] listens on ${p.values.get('listen')!.value}` })),
        fixes,
      });
    }
    return out;
  },
};
