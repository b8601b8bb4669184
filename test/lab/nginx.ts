// Runs the real nginx for tests: `nginx -t` on a config, with its verdict parsed.

import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NGINX: string | undefined = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => fs.existsSync(p));

let version: string | undefined;
/** The installed nginx's version, e.g. "1.22.1". */
export function nginxVersion(): string | undefined {
  if (!NGINX) return undefined;
  if (version === undefined) {
    // nginx -v prints to stderr.
    const r = String(spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr);
    version = /nginx\/(\d+\.\d+\.\d+)/.exec(r)?.[1] ?? '';
  }
  return version || undefined;
}

export interface NginxVerdict {
  ok: boolean;
  /** The first [emerg]/[alert]/[crit] message, without " in FILE:LINE". */
  message: string;
  file?: string;
  line?: number;
  raw: string;
}

/** Runs `nginx -t` with the config's folder as prefix; never starts a server. */
export function runNginxTest(main: string, prefix: string): Promise<NginxVerdict> {
  return new Promise((resolve) => {
    execFile(
      NGINX!,
      ['-t', '-q', '-p', prefix + '/', '-c', main, '-e', path.join(prefix, 'nginx-test-error.log')],
      { timeout: 30_000 },
      (err, _stdout, stderr) => {
        const line = stderr.split('\n').find((l) => /\[(emerg|alert|crit)\]/.test(l));
        if (!err && !line) return resolve({ ok: true, message: '', raw: stderr });
        const m = /\[(?:emerg|alert|crit)\] (.*?)(?: in (\/[^\s]*?):(\d+))?$/.exec(line ?? '');
        resolve({ ok: false, message: m?.[1] ?? (line || stderr.trim()), file: m?.[2], line: m?.[3] ? Number(m[3]) : undefined, raw: stderr });
      },
    );
  });
}

/** The classes of `nginx -t` errors the editor reports (issue: "the same classes nginx -t reports"). */
export function covered(message: string): boolean {
  return [
    /^unexpected "."/,
    /^unexpected end of file/,
    /^unknown directive/,
    /directive is not allowed here/,
    /^invalid number of arguments/,
    /it must be "on" or "off"/,
    /directive is duplicate/,
    /^duplicate location/,
    /^duplicate upstream/,
    /has no opening "\{"/,
    /is not terminated by ";"/,
    /^open\(\) ".*" failed \(2: No such file or directory\)/,
    /^no "events" section in configuration/,
  ].some((re) => re.test(message));
}
