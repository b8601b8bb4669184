// The nginx user cannot connect to the pool's unix socket: connecting needs write permission
// on the socket file, which php-fpm creates with listen.owner/listen.group/listen.mode (or
// POSIX ACLs from listen.acl_users/acl_groups, which replace owner and group).

import { fastcgiLinks, nginxUser, type NginxUser } from '../site/links';
import { poolListen, poolValue, type Pool } from '../site/pools';
import { setPoolValue } from './edits';
import type { FileEdit, Finding, HostAccounts, Rule } from './rule';

function list(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Groups the nginx user is in: its primary group, and supplementary ones when the host is known. */
function groupsOf(u: NginxUser, accounts?: HostAccounts): Set<string> {
  const out = new Set([u.group]);
  const known = accounts?.users.get(u.user);
  if (known) out.add(known.group);
  if (accounts) for (const [g, info] of accounts.groups) if (info.members.includes(u.user)) out.add(g);
  return out;
}

export function canConnect(pool: Pool, u: NginxUser, accounts?: HostAccounts): { ok: boolean; why: string } {
  const aclUsers = list(poolValue(pool, 'listen.acl_users'));
  const aclGroups = list(poolValue(pool, 'listen.acl_groups'));
  const groups = groupsOf(u, accounts);
  if (aclUsers.length > 0 || aclGroups.length > 0) {
    if (aclUsers.includes(u.user) || aclGroups.some((g) => groups.has(g))) return { ok: true, why: '' };
    return { ok: false, why: `the socket's ACL allows users [${aclUsers.join(', ')}] and groups [${aclGroups.join(', ')}] (listen.owner/listen.group are ignored when ACLs are set)` };
  }
  // Without listen.owner/group php-fpm leaves the socket owned by whoever starts it: root.
  const owner = poolValue(pool, 'listen.owner') ?? 'root';
  const group = poolValue(pool, 'listen.group') ?? (poolValue(pool, 'listen.owner') ? owner : 'root');
  const modeText = poolValue(pool, 'listen.mode') ?? '0660';
  const mode = /^[0-7]{3,4}$/.test(modeText) ? parseInt(modeText, 8) : 0o660;
  if (u.user === 'root') return { ok: true, why: '' };
  if (u.user === owner && mode & 0o200) return { ok: true, why: '' };
  if (groups.has(group) && mode & 0o020) return { ok: true, why: '' };
  if (mode & 0o002) return { ok: true, why: '' };
  return { ok: false, why: `the socket is ${owner}:${group} mode ${modeText}${poolValue(pool, 'listen.owner') ? '' : ' (no listen.owner: php-fpm leaves it owned by root)'}` };
}

export const fastcgiSocketPermission: Rule = {
  id: 'fastcgi-socket-permission',
  severity: 'warning',
  lands: 'pool',
  title: 'nginx may not open the PHP-FPM socket',
  check(ctx) {
    const u = nginxUser(ctx.nginx);
    if (!u) return [];
    const out: Finding[] = [];
    const seen = new Set<Pool>();
    for (const link of fastcgiLinks(ctx.nginx, ctx.pools)) {
      for (const pool of link.pools) {
        if (seen.has(pool) || !poolListen(pool)?.startsWith('unix:')) continue;
        seen.add(pool);
        const r = canConnect(pool, u, ctx.accounts);
        if (r.ok) continue;
        const at = pool.values.get('listen.acl_users') ?? pool.values.get('listen.owner') ?? pool.values.get('listen.group') ?? pool.values.get('listen')!;
        const acl = pool.values.has('listen.acl_users') || pool.values.has('listen.acl_groups');
        const edits: FileEdit[] = acl
          ? [setPoolValue(pool, 'listen.acl_users', [...list(poolValue(pool, 'listen.acl_users')), u.user].join(','))]
          : [setPoolValue(pool, 'listen.owner', u.user), setPoolValue(pool, 'listen.group', u.group), setPoolValue(pool, 'listen.mode', '0660')];
        out.push({
          rule: this.id,
          file: pool.file,
          span: at.span,
          message: `nginx runs as ${u.user}${u.defaulted ? ' (no "user" directive: the compiled-in default)' : ''}, and ${r.why}: it cannot connect, logging "connect() to ${poolListen(pool)} failed (13: Permission denied) while connecting to upstream" (502).`,
          related: [
            { file: link.pass.file, span: link.pass.d.args[0].span, message: 'nginx connects here' },
            ...(u.at ? [{ file: u.at.file, span: u.at.d.nameSpan, message: `nginx workers run as ${u.user}` }] : []),
          ],
          fixes: [{ title: acl ? `Add ${u.user} to listen.acl_users` : `Give the socket to ${u.user}:${u.group} (listen.owner/group, mode 0660)`, preferred: true, edits }],
        });
      }
    }
    return out;
  },
};
