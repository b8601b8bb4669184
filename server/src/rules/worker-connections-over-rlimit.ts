// worker_rlimit_nofile below 2 x worker_connections: each proxied request holds two
// descriptors (client and upstream), so workers hit "Too many open files" first.

import { own } from '../site/scope';
import { replaceArgs } from './edits';
import type { Rule } from './rule';

export const workerConnectionsOverRlimit: Rule = {
  id: 'worker-connections-over-rlimit',
  severity: 'warning',
  lands: 'nginx',
  title: 'worker_rlimit_nofile below twice worker_connections',
  check(ctx) {
    const root = ctx.nginx;
    if (!root || root.ctx !== 'main') return [];
    const rlimit = own(root, 'worker_rlimit_nofile').at(-1);
    const events = root.children.find((c) => c.block?.d.name === 'events');
    const wc = events ? own(events, 'worker_connections').at(-1) : undefined;
    if (!rlimit || !wc) return [];
    const r = Number(rlimit.d.args[0]?.value);
    const c = Number(wc.d.args[0]?.value);
    if (!Number.isFinite(r) || !Number.isFinite(c) || r >= 2 * c) return [];
    return [
      {
        rule: this.id,
        file: rlimit.file,
        span: rlimit.d.args[0].span,
        message: `worker_rlimit_nofile ${r} is below 2 x worker_connections (${c}): each proxied request holds two descriptors, so under load workers log "socket() failed (24: Too many open files) while connecting to upstream" and answer 500/502.`,
        related: [{ file: wc.file, span: wc.d.args[0].span, message: `worker_connections ${c}` }],
        fixes: [{ title: `Set worker_rlimit_nofile to ${2 * c}`, preferred: true, edits: [replaceArgs(rlimit, String(2 * c))] }],
      },
    ];
  },
};
