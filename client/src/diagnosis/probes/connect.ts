// A TCP connect to every upstream host:port from the host itself: refused (nothing listens or
// a REJECT rule), timeout (a DROP rule or a dead host), no route, or open.

import type { Probe } from './probe';
import { READ_LINES } from './probe';

export type ConnectResult = 'open' | 'refused' | 'timeout' | 'no-route' | 'unreachable' | 'dns' | 'error';

export interface ConnectAnswer {
  host: string;
  port: number;
  result: ConnectResult;
  detail: string;
}

export const connect: Probe<readonly { host: string; port: number }[], ConnectAnswer[]> = {
  id: 'connect',
  title: 'TCP connect to upstreams',
  timeoutMs: 20_000,
  command: (targets) =>
    targets.length === 0
      ? undefined
      : {
          // bash's /dev/tcp, bounded by timeout(1); the host and port come from stdin as $0/$1.
          script: `${READ_LINES} set -- $line; msg=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1); printf '@@%s %s %s\\n%s\\n' "$?" "$1" "$2" "$msg"; done`,
          stdin: targets.map((t) => `${t.host} ${t.port}`).join('\n') + '\n',
        },
  parse(r) {
    const out: ConnectAnswer[] = [];
    const lines = r.stdout.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^@@(\d+) (\S+) (\d+)$/.exec(lines[i]);
      if (!m) continue;
      const detail = (lines[i + 1] ?? '').trim();
      const code = Number(m[1]);
      const result: ConnectResult =
        code === 0 ? 'open'
        : code === 124 ? 'timeout'
        : /refused/i.test(detail) ? 'refused'
        : /No route to host|Host is unreachable/i.test(detail) ? 'no-route'
        : /Network is unreachable/i.test(detail) ? 'unreachable'
        : /Name or service not known|not known|resolv/i.test(detail) ? 'dns'
        : 'error';
      out.push({ host: m[2], port: Number(m[3]), result, detail });
    }
    return out;
  },
};
