// systemd units of nginx and PHP-FPM (Debian php8.2-fpm, RHEL php-fpm): state, restarts,
// and whether the last stop was an OOM kill or a crash.

import type { Probe } from './probe';

export interface Unit {
  name: string;
  active: string;
  sub: string;
  result?: string;
  restarts?: number;
}

export const units: Probe<void, Unit[]> = {
  id: 'units',
  title: 'nginx and PHP-FPM services (systemctl)',
  command: () => ({
    script: [
      // Without systemd's tool the piped loop below would succeed with nothing: say it is missing.
      "command -v systemctl >/dev/null 2>&1 || { echo 'systemctl: not found' >&2; exit 127; }",
      "systemctl list-units --all --no-legend --plain --type=service 'nginx*' 'php*-fpm*' 'openresty*' 2>/dev/null | while read -r u load active sub rest; do",
      '  printf "%s %s %s " "$u" "$active" "$sub"; systemctl show "$u" -p Result -p NRestarts 2>/dev/null | tr "\\n" " "; echo',
      'done',
    ].join('\n'),
  }),
  parse(r) {
    const out: Unit[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+\.service) (\S+) (\S+)(.*)$/.exec(line.trim());
      if (!m) continue;
      const result = /Result=(\S+)/.exec(m[4])?.[1];
      const restarts = /NRestarts=(\d+)/.exec(m[4])?.[1];
      out.push({ name: m[1], active: m[2], sub: m[3], result, restarts: restarts ? Number(restarts) : undefined });
    }
    return out;
  },
};
