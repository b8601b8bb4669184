// Runs the real php-fpm for tests: `php-fpm -t -y FILE` on a config, with its verdict parsed.
// `-t` loads and checks the configuration and exits; it never starts workers.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';

export const PHP_FPM: string | undefined = ['/usr/sbin/php-fpm8.2', ...safeList('/usr/sbin').filter((f) => /^php-fpm\d/.test(f)).map((f) => `/usr/sbin/${f}`)].find((p) =>
  fs.existsSync(p),
);

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export interface FpmLine {
  level: 'NOTICE' | 'WARNING' | 'ERROR' | 'ALERT' | 'PHP';
  message: string;
  /** The file and 1-based line the message names (`[FILE:LINE] ...` or `... from FILE at line N`). */
  file?: string;
  line?: number;
}

export interface FpmVerdict {
  ok: boolean;
  lines: FpmLine[];
  /** The first ERROR/ALERT/PHP (syntax error) line. */
  firstError?: FpmLine;
  warnings: FpmLine[];
  raw: string;
}

export function parseFpmOutput(stderr: string, exitOk: boolean): FpmVerdict {
  const lines: FpmLine[] = [];
  for (const rawLine of stderr.split('\n')) {
    const l = rawLine.replace(/^\[[^\]]*\d\d:\d\d:\d\d\] /, '').trim();
    if (!l) continue;
    let m = /^(NOTICE|WARNING|ERROR|ALERT): (?:pid \d+, [^:]*: )?(.*)$/s.exec(l);
    let level: FpmLine['level'];
    let message: string;
    if (m) {
      level = m[1] as FpmLine['level'];
      message = m[2];
    } else if ((m = /^PHP:\s+(.*)$/s.exec(l))) {
      level = 'PHP';
      message = m[1];
    } else continue;
    const entry: FpmLine = { level, message };
    const a = /^\[(\/[^\]]*?):(\d+)\] /s.exec(message);
    const b = / from (\/\S+?) at line (\d+)\.?$/.exec(message);
    if (a) {
      entry.file = a[1];
      entry.line = Number(a[2]);
    } else if (b) {
      entry.file = b[1];
      entry.line = Number(b[2]);
    }
    lines.push(entry);
  }
  const firstError = lines.find((l) => l.level === 'ERROR' || l.level === 'ALERT' || l.level === 'PHP');
  return { ok: exitOk && !firstError, lines, firstError, warnings: lines.filter((l) => l.level === 'WARNING'), raw: stderr };
}

/** `php-fpm -t -y FILE` (with `-n`-free defaults: php.ini is read as in production). */
export function runFpmTest(file: string, extraArgs: string[] = []): Promise<FpmVerdict> {
  return new Promise((resolve) => {
    execFile(PHP_FPM!, ['-t', '-y', file, ...extraArgs], { timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve(parseFpmOutput(String(stderr), !err));
    });
  });
}
