// The host's users and groups that matter for socket permissions: nginx's worker user and the
// owners/groups PHP-FPM gives its sockets (getent, so LDAP/SSSD accounts count too).

import type { Probe } from './probe';
import { READ_LINES } from './probe';
import type { HostAccounts } from '../../../../server/src/rules/rule';

export const accounts: Probe<readonly string[], HostAccounts> = {
  id: 'accounts',
  title: 'users and groups (getent)',
  command: (names) =>
    names.length === 0
      ? undefined
      : {
          // Names come on stdin; each is looked up as a user and as a group.
          script: `${READ_LINES} getent passwd "$line" | sed 's/^/P:/'; getent group "$line" | sed 's/^/G:/'; done; getent group | sed 's/^/A:/' | head -c 200000`,
          stdin: names.join('\n') + '\n',
        },
  parse(r) {
    const users: HostAccounts['users'] = new Map();
    const groups: HostAccounts['groups'] = new Map();
    const gidName = new Map<number, string>();
    const lines = r.stdout.split('\n');
    for (const line of lines) {
      const body = line.slice(2);
      if (line.startsWith('G:') || line.startsWith('A:')) {
        const [name, , gid, members] = body.split(':');
        if (name && /^\d+$/.test(gid ?? '')) {
          gidName.set(Number(gid), name);
          groups.set(name, { gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
        }
      }
    }
    for (const line of lines) {
      if (!line.startsWith('P:')) continue;
      const [name, , uid, gid] = line.slice(2).split(':');
      if (name && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? '')) users.set(name, { uid: Number(uid), gid: Number(gid), group: gidName.get(Number(gid)) ?? String(gid) });
    }
    return { users, groups };
  },
};
