// Resolves every upstream hostname the config names, as the host resolves them (getent uses
// nsswitch: /etc/hosts, then DNS).

import type { Probe } from './probe';
import { READ_LINES } from './probe';

export interface DnsAnswer {
  name: string;
  addresses: string[];
  /** getent's exit: 0 found, 2 not found. */
  code: number;
}

export const dns: Probe<readonly string[], DnsAnswer[]> = {
  id: 'dns',
  title: 'DNS for upstream names (getent ahosts)',
  timeoutMs: 15_000,
  command: (names) =>
    names.length === 0
      ? undefined
      : { script: `${READ_LINES} out=$(timeout 5 getent ahosts "$line" 2>/dev/null); printf '@@%s %s\\n%s\\n' "$?" "$line" "$out"; done`, stdin: names.join('\n') + '\n' },
  parse(r) {
    const out: DnsAnswer[] = [];
    let cur: DnsAnswer | undefined;
    for (const line of r.stdout.split('\n')) {
      const m = /^@@(\d+) (.+)$/.exec(line);
      if (m) {
        cur = { name: m[2], code: Number(m[1]), addresses: [] };
        out.push(cur);
      } else if (cur) {
        const a = line.trim().split(/\s+/)[0];
        if (a && !cur.addresses.includes(a)) cur.addresses.push(a);
      }
    }
    return out;
  },
};
