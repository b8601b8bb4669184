// Firewall state where readable: which firewall services run, and the rules (root: sudo -n).

import type { Probe } from './probe';
import { sudoPrefix } from './probe';
import { sections } from './system';

export interface FirewallState {
  active: string[];
  rules: string;
  rulesReadable: boolean;
}

export const firewall: Probe<void, FirewallState> = {
  id: 'firewall',
  title: 'firewall (firewalld, ufw, nftables, iptables)',
  command: (_i, ctx) => {
    const s = sudoPrefix(ctx);
    return {
      script: [
        "echo '@@active'; for u in firewalld ufw nftables iptables netfilter-persistent; do [ \"$(systemctl is-active $u 2>/dev/null)\" = active ] && echo $u; done",
        `echo '@@rules'; { ${s}iptables -S 2>/dev/null || ${s}nft list ruleset 2>/dev/null; } | head -c 200000`,
        'true',
      ].join('; '),
    };
  },
  parse(r) {
    const sec = sections(r.stdout);
    const rules = (sec.get('rules') ?? '').trim();
    return { active: (sec.get('active') ?? '').split('\n').map((x) => x.trim()).filter(Boolean), rules, rulesReadable: rules.length > 0 };
  },
};
