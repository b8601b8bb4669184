// `ss -l`: who listens where (TCP and unix), with queue fill: for a listening socket Recv-Q is
// the accept queue in use and Send-Q its size.

import type { Probe } from './probe';

export interface Listener {
  proto: 'tcp' | 'unix';
  recvQ: number;
  sendQ: number;
  local: string;
}

export const listeners: Probe<void, Listener[]> = {
  id: 'listeners',
  title: 'listening sockets (ss -l)',
  command: () => ({ script: "echo '@@tcp'; ss -Hltn; echo '@@unix'; ss -Hlx" }),
  parse(r) {
    const out: Listener[] = [];
    let proto: 'tcp' | 'unix' = 'tcp';
    for (const line of r.stdout.split('\n')) {
      if (line === '@@tcp') proto = 'tcp';
      else if (line === '@@unix') proto = 'unix';
      else {
        const f = line.trim().split(/\s+/);
        if (proto === 'tcp' && f.length >= 4 && /^\d+$/.test(f[1])) out.push({ proto, recvQ: Number(f[1]), sendQ: Number(f[2]), local: f[3] });
        // unix: Netid State Recv-Q Send-Q Local-Address Port ...  (with -H: u_str LISTEN 0 128 /run/php/x.sock 12345 * 0)
        if (proto === 'unix' && f.length >= 5) {
          const i = f.findIndex((x) => /^\d+$/.test(x));
          if (i >= 0 && /^\d+$/.test(f[i + 1] ?? '')) out.push({ proto, recvQ: Number(f[i]), sendQ: Number(f[i + 1]), local: f[i + 2] ?? '' });
        }
      }
    }
    return out;
  },
};
