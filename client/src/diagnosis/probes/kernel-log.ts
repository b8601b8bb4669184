// The kernel's log: OOM kills, conntrack overflow, SYN floods, SELinux denials, segfaults.
// dmesg when readable, else the journal, else /var/log/kern.log or messages.

import type { Probe } from './probe';
import { sudoPrefix } from './probe';

export interface KernelLog {
  source: string;
  text: string;
}

export const kernelLog: Probe<void, KernelLog> = {
  id: 'kernel-log',
  title: 'kernel log (dmesg / journalctl -k)',
  timeoutMs: 15_000,
  maxBytes: 4 << 20,
  command: (_i, ctx) => {
    const s = sudoPrefix(ctx);
    return {
      script: [
        `if out=$(${s}dmesg -T 2>/dev/null) && [ -n "$out" ]; then echo '@@dmesg'; printf '%s\\n' "$out" | tail -c 2000000;`,
        `elif out=$(${s}journalctl -k --no-pager -o short-iso --since '-24h' 2>/dev/null) && [ -n "$out" ]; then echo '@@journal'; printf '%s\\n' "$out" | tail -c 2000000;`,
        `elif [ -r /var/log/kern.log ]; then echo '@@kern.log'; tail -c 2000000 /var/log/kern.log;`,
        `elif [ -r /var/log/messages ]; then echo '@@messages'; tail -c 2000000 /var/log/messages;`,
        `else echo 'kernel log not readable (dmesg restricted, no journal access)' >&2; exit 1; fi`,
      ].join('\n'),
    };
  },
  parse(r) {
    const nl = r.stdout.indexOf('\n');
    const head = nl >= 0 ? r.stdout.slice(0, nl) : '';
    return head.startsWith('@@') ? { source: head.slice(2), text: r.stdout.slice(nl + 1) } : { source: 'none', text: '' };
  },
};
