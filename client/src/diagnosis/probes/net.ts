// Kernel network limits: accept backlog cap, conntrack fill, ephemeral ports in TIME-WAIT,
// listen queue overflows (cumulative counters).

import type { Probe } from './probe';
import { sections } from './system';

export interface NetState {
  somaxconn?: number;
  conntrackCount?: number;
  conntrackMax?: number;
  portRange?: [number, number];
  timeWait?: number;
  listenOverflows?: number;
  listenDrops?: number;
}

export const net: Probe<void, NetState> = {
  id: 'net',
  title: 'somaxconn, conntrack, ephemeral ports, listen overflows',
  command: () => ({
    script: [
      "echo '@@somaxconn'; cat /proc/sys/net/core/somaxconn 2>/dev/null",
      "echo '@@conntrack'; cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null",
      "echo '@@ports'; cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null",
      "echo '@@timewait'; (ss -Htan state time-wait 2>/dev/null || true) | wc -l",
      "echo '@@netstat'; grep -E '^TcpExt:' /proc/net/netstat 2>/dev/null",
    ].join('; '),
  }),
  parse(r) {
    const s = sections(r.stdout);
    const n: NetState = {};
    const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined);
    n.somaxconn = num(s.get('somaxconn'));
    const ct = (s.get('conntrack') ?? '').trim().split('\n');
    n.conntrackCount = num(ct[0]);
    n.conntrackMax = num(ct[1]);
    const pr = (s.get('ports') ?? '').trim().split(/\s+/).map(Number);
    if (pr.length === 2 && pr.every(Number.isFinite)) n.portRange = [pr[0], pr[1]];
    n.timeWait = num(s.get('timewait'));
    // /proc/net/netstat: a header line of names and a line of values.
    const lines = (s.get('netstat') ?? '').trim().split('\n');
    if (lines.length >= 2) {
      const names = lines[0].split(/\s+/);
      const values = lines[1].split(/\s+/);
      const get = (k: string): number | undefined => {
        const i = names.indexOf(k);
        return i > 0 ? Number(values[i]) : undefined;
      };
      n.listenOverflows = get('ListenOverflows');
      n.listenDrops = get('ListenDrops');
    }
    return n;
  },
};
