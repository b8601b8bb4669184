// Finds the config files under the paths given to the command line, and tells nginx files
// from PHP-FPM (INI) files by their names and, for `*.conf`, by their content.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type ConfigKind = 'nginx' | 'php-fpm';

const NGINX_NAMES = new Set(['nginx.conf', 'mime.types', 'fastcgi_params', 'fastcgi.conf', 'proxy_params', 'scgi_params', 'uwsgi_params', 'koi-utf', 'koi-win', 'win-utf']);
const NGINX_DIRS = new Set(['sites-available', 'sites-enabled', 'conf.d', 'snippets', 'modules-available', 'modules-enabled', 'http.d', 'stream.d', 'vhosts', 'vhosts.d']);
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);

/** Classifies a file by name, then by content: INI sections and `key = value` lines mean PHP-FPM. */
export function classify(file: string, head?: string): ConfigKind | undefined {
  const base = path.basename(file);
  if (NGINX_NAMES.has(base) || base.endsWith('.nginx') || base.endsWith('.nginxconf')) return 'nginx';
  if (base === 'php-fpm.conf' || base === 'www.conf') return 'php-fpm';
  const dir = path.basename(path.dirname(file));
  const inFpmDir = dir === 'pool.d' || dir === 'php-fpm.d';
  const isConf = base.endsWith('.conf') || base.endsWith('.conf.sample') || base.endsWith('.conf.example') || base.endsWith('.conf.template');
  if (!isConf && !NGINX_DIRS.has(dir) && !inFpmDir) return undefined;
  if (head === undefined) return inFpmDir ? 'php-fpm' : 'nginx';
  let ini = 0;
  let ngx = 0;
  for (const raw of head.split('\n', 400)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (/^\[[^\]]+\]$/.test(line) || /^[A-Za-z_][\w.[\]$-]*\s*=/.test(line)) ini++;
    else if (/[;{}]$/.test(line)) ngx++;
  }
  if (ini > ngx) return 'php-fpm';
  if (ngx > 0 || !inFpmDir) return 'nginx';
  return 'php-fpm';
}

function readHead(file: string): string | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(16384);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export interface Discovered {
  files: { file: string; kind: ConfigKind }[];
  errors: string[];
}

/** Expands paths (files or folders) into config files; a file named explicitly is always taken. */
export function discover(paths: readonly string[], limit = 100000): Discovered {
  const files: { file: string; kind: ConfigKind }[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const walkDir = (dir: string, depth: number): void => {
    if (depth > 32 || files.length >= limit) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      errors.push(`cannot read folder ${dir}: ${(e as Error).message}`);
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walkDir(p, depth + 1);
      } else if (e.isFile()) {
        const kind = classify(p, readHead(p));
        if (kind && !seen.has(p)) {
          seen.add(p);
          files.push({ file: p, kind });
          if (files.length >= limit) return;
        }
      }
    }
  };
  for (const input of paths) {
    const abs = path.resolve(input);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push(code === 'ENOENT' ? `no such file or folder: ${input}` : `cannot read ${input}: ${(e as Error).message}`);
      continue;
    }
    if (st.isDirectory()) walkDir(abs, 0);
    else if (!seen.has(abs)) {
      seen.add(abs);
      files.push({ file: abs, kind: classify(abs, readHead(abs)) ?? 'nginx' });
    }
  }
  return { files, errors };
}
