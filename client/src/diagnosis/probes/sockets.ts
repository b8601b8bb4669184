// The unix sockets nginx connects to: present or not, type, owner, group, mode.

import type { Probe } from './probe';
import { READ_LINES } from './probe';

export interface SocketState {
  path: string;
  exists: boolean;
  isSocket?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

export const sockets: Probe<readonly string[], SocketState[]> = {
  id: 'sockets',
  title: 'unix sockets (stat)',
  command: (paths) =>
    paths.length === 0
      ? undefined
      : { script: `${READ_LINES} if [ -e "$line" ]; then stat -L -c '%n|%F|%a|%U|%G' -- "$line"; else printf '%s|missing\\n' "$line"; fi; done`, stdin: paths.join('\n') + '\n' },
  parse(r, paths) {
    const out: SocketState[] = [];
    for (const line of r.stdout.split('\n')) {
      const f = line.split('|');
      if (f.length < 2 || !paths.includes(f[0])) continue;
      if (f[1] === 'missing') out.push({ path: f[0], exists: false });
      else out.push({ path: f[0], exists: true, isSocket: /socket/.test(f[1]), mode: f[2], owner: f[3], group: f[4] });
    }
    return out;
  },
};
