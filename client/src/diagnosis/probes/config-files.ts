// Reads config files by path or glob without nginx -T (no root needed for world-readable
// configs): the patterns come on stdin, one per line, and are only glob-expanded by the shell,
// never evaluated. Output uses nginx -T's markers.

import type { Probe } from './probe';
import { sudoPrefix } from './probe';
import { splitDump, type ConfigFiles } from './config-dump';

export const configFiles: Probe<readonly string[], ConfigFiles> = {
  id: 'config-files',
  title: 'configuration files (read directly)',
  timeoutMs: 15_000,
  maxBytes: 16 << 20,
  command(patterns, ctx) {
    if (patterns.length === 0) return undefined;
    const cat = `${sudoPrefix(ctx)}cat`;
    // IFS is a newline: `$p` is split on nothing and only glob-expanded.
    const script = [
      "IFS='",
      "'",
      'while IFS= read -r p || [ -n "$p" ]; do',
      '  for f in $p; do',
      '    [ -f "$f" ] || continue',
      `    if [ -r "$f" ] || [ -n "${ctx.sudo ? '1' : ''}" ]; then printf '# configuration file %s:\\n' "$f"; ${cat} -- "$f" 2>/dev/null; printf '\\n'; else printf '# unreadable file %s:\\n' "$f"; fi`,
      '  done',
      'done',
    ].join('\n');
    return { script, stdin: patterns.join('\n') + '\n' };
  },
  parse: (r) => splitDump(r.stdout),
};
