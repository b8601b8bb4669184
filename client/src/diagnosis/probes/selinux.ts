// SELinux mode and the booleans that let nginx connect out (httpd_can_network_connect).

import type { Probe } from './probe';

export interface SelinuxState {
  mode?: 'Enforcing' | 'Permissive' | 'Disabled';
  booleans: Record<string, boolean>;
}

export const selinux: Probe<void, SelinuxState> = {
  id: 'selinux',
  title: 'SELinux (getenforce, getsebool)',
  command: () => ({ script: 'command -v getenforce >/dev/null 2>&1 || { echo "no SELinux tools" >&2; exit 127; }; getenforce; getsebool httpd_can_network_connect httpd_can_network_relay httpd_can_network_connect_db 2>/dev/null; true' }),
  parse(r) {
    const s: SelinuxState = { booleans: {} };
    for (const line of r.stdout.split('\n')) {
      const t = line.trim();
      if (t === 'Enforcing' || t === 'Permissive' || t === 'Disabled') s.mode = t;
      const m = /^(\w+) --> (on|off)$/.exec(t);
      if (m) s.booleans[m[1]] = m[2] === 'on';
    }
    return s;
  },
};
