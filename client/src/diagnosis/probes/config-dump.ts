// `nginx -T`: the whole configuration as nginx reads it, each file after a
// `# configuration file PATH:` marker; split back into files. Usually needs root (sudo -n).
// Only a fallback (collect.ts): a config test opens every log file, creating a missing one,
// and creates missing temp folders; reading the files directly writes nothing.

import type { Probe } from './probe';
import { shq, sudoPrefix } from './probe';

export interface ConfigFiles {
  /** path -> text, in the order nginx read them. */
  files: Map<string, string>;
  /** Files that exist but could not be read. */
  unreadable: string[];
}

/** Splits text with `# configuration file PATH:` markers (nginx -T, and our own config-files probe). */
export function splitDump(text: string): ConfigFiles {
  const files = new Map<string, string>();
  const unreadable: string[] = [];
  const re = /^# (configuration|unreadable) file (.+?):\r?$/gm;
  let m: RegExpExecArray | null;
  let current: { path: string; start: number } | undefined;
  const flush = (end: number): void => {
    if (!current) return;
    let body = text.slice(current.start, end);
    // nginx -T adds one newline after each file; our probe too.
    if (body.endsWith('\n\n')) body = body.slice(0, -1);
    if (!files.has(current.path)) files.set(current.path, body);
  };
  while ((m = re.exec(text))) {
    flush(m.index);
    if (m[1] === 'unreadable') {
      unreadable.push(m[2]);
      current = undefined;
    } else current = { path: m[2], start: m.index + m[0].length + 1 };
  }
  flush(text.length);
  return { files, unreadable };
}

/** Where the running nginx was told to read its configuration (`-c`, `-p` of the master), if not the default. */
export interface NginxLocation {
  conf?: string;
  prefix?: string;
}

export const nginxDump: Probe<NginxLocation, ConfigFiles> = {
  id: 'nginx-dump',
  title: 'nginx -T (the configuration nginx reads)',
  timeoutMs: 15_000,
  maxBytes: 16 << 20,
  command: (loc, ctx) => ({
    script: `${sudoPrefix(ctx)}nginx -T${loc.prefix ? ` -p ${shq(loc.prefix)}` : ''}${loc.conf ? ` -c ${shq(loc.conf)}` : ''} 2>/dev/null`,
  }),
  parse: (r) => splitDump(r.stdout),
};
