// File access for the nginx tree, injected so that the language server can overlay open
// editor buffers and the diagnosis can serve a remote `nginx -T` dump. Reading decodes
// defensively: binary, oversized and non-UTF-8 files yield a clear problem, never a throw.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type ReadResult =
  | { ok: true; text: string; /** A version or mtime+size string: equal keys mean equal content. */ key: string; notice?: FileNotice }
  | { ok: false; code: 'not-found' | 'unreadable' | 'binary' | 'too-large' | 'is-directory'; message: string };

export interface FileNotice {
  code: 'not-utf8' | 'bom' | 'symlink-as-text';
  message: string;
}

export interface FileSource {
  read(file: string): ReadResult;
  /** Files matching an absolute glob (nginx's `*`, `?`, `[...]`), sorted like glob(3). */
  glob(pattern: string, limit: number): { files: string[]; truncated: boolean };
  exists(file: string): boolean;
}

export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

function tooLarge(size: number, maxBytes: number): ReadResult {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return { ok: false, code: 'too-large', message: `file is ${mb(size)} MB, over the ${mb(maxBytes)} MB limit for checking (nginx configs are rarely over 1 MB); it is not checked` };
}

/** Decodes file bytes as nginx sees them (bytes), reporting what an editor should know. */
export function decode(buf: Buffer, maxBytes = DEFAULT_MAX_FILE_BYTES): ReadResult {
  if (buf.length > maxBytes) return tooLarge(buf.length, maxBytes);
  const probe = buf.subarray(0, Math.min(buf.length, 8192));
  if (probe.includes(0)) return { ok: false, code: 'binary', message: 'file contains NUL bytes: it is binary, not an nginx config, and is not checked' };
  let start = 0;
  let notice: FileNotice | undefined;
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    start = 3;
    notice = { code: 'bom', message: 'file starts with a UTF-8 byte order mark: nginx reads it as part of the first directive name' };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(start)), key: '', notice };
  } catch {
    return {
      ok: true,
      text: buf.toString('latin1'),
      key: '',
      notice: { code: 'not-utf8', message: 'file is not valid UTF-8; it was read as Latin-1 (nginx itself only sees bytes)' },
    };
  }
}

function globSegmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else if (c === '\\' && i + 1 < seg.length) {
      re += seg[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** Expands an absolute glob one path segment at a time through `readdir`. */
export function expandGlob(
  pattern: string,
  readdir: (dir: string) => { name: string; dir: boolean }[] | undefined,
  limit: number,
): { files: string[]; truncated: boolean } {
  const root = path.parse(pattern).root || '/';
  const segs = pattern.slice(root.length).split('/').filter((s) => s.length > 0);
  let current = [root];
  let truncated = false;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    const next: string[] = [];
    if (!hasGlob(seg)) {
      for (const c of current) next.push(path.join(c, seg));
    } else {
      const re = globSegmentRegex(seg);
      for (const c of current) {
        const entries = readdir(c);
        if (!entries) continue;
        const names = entries
          .filter((e) => (last || e.dir) && re.test(e.name) && !(e.name.startsWith('.') && !seg.startsWith('.')))
          .map((e) => e.name)
          .sort();
        for (const n of names) {
          if (next.length >= limit) {
            truncated = true;
            break;
          }
          next.push(path.join(c, n));
        }
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return { files: current, truncated };
}

/** The local file system. */
export interface NodeFileSourceOptions {
  maxBytes?: number;
  /**
   * Trust what was read (and whether a path exists) for this long without asking the disk
   * again. The language server re-checks on every keystroke: with a few hundred ms here a
   * 1,000-file tree is not stat'ed a thousand times per keystroke; file events invalidate.
   * 0 (the command line): always ask.
   */
  trustMs?: number;
}

export class NodeFileSource implements FileSource {
  /** Last read per file, reused while its mtime and size are unchanged (re-checks stat, not read). */
  private readonly cache = new Map<string, { key: string; result: ReadResult; at: number }>();
  private readonly existsCache = new Map<string, { exists: boolean; at: number }>();
  private readonly maxBytes: number;
  private readonly trustMs: number;

  constructor(options: NodeFileSourceOptions | number = {}) {
    const o = typeof options === 'number' ? { maxBytes: options } : options;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.trustMs = o.trustMs ?? 0;
  }

  /** Forgets what is known of these files (a file watcher saw them change), or of all. */
  invalidate(files?: Iterable<string>): void {
    if (!files) {
      this.cache.clear();
      this.existsCache.clear();
      return;
    }
    for (const f of files) {
      this.cache.delete(f);
      this.existsCache.delete(f);
    }
  }

  read(file: string): ReadResult {
    const now = this.trustMs > 0 ? Date.now() : 0;
    if (this.trustMs > 0) {
      const fresh = this.cache.get(file);
      if (fresh && now - fresh.at < this.trustMs) return fresh.result;
    }
    let key: string | undefined;
    try {
      const st = fs.statSync(file);
      key = st.isFile() ? `${st.mtimeMs}:${st.size}:${st.ino}` : undefined;
    } catch {
      key = undefined;
    }
    const hit = key ? this.cache.get(file) : undefined;
    if (hit && hit.key === key) {
      hit.at = now;
      return hit.result;
    }
    const result = this.readUncached(file);
    if (key && result.ok) {
      if (this.cache.size > 50000) this.cache.clear();
      this.cache.set(file, { key, result, at: now });
    } else this.cache.delete(file);
    return result;
  }

  private readUncached(file: string): ReadResult {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, code: 'not-found', message: `open() "${file}" failed (2: No such file or directory)` };
      return { ok: false, code: 'unreadable', message: `cannot read "${file}": ${(e as Error).message}` };
    }
    if (st.isDirectory()) return { ok: false, code: 'is-directory', message: `"${file}" is a directory, not a file` };
    // A FIFO, socket or device would block or never end: never read one.
    if (!st.isFile()) return { ok: false, code: 'unreadable', message: `"${file}" is not a regular file (a pipe, socket or device); it is not read` };
    if (st.size > this.maxBytes) return tooLarge(st.size, this.maxBytes);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, code: 'unreadable', message: `open() "${file}" failed (${code === 'EACCES' ? '13: Permission denied' : (e as Error).message})` };
    }
    const r = decode(buf, this.maxBytes);
    if (!r.ok) return r;
    const link = symlinkBlobTarget(file, r.text);
    if (link) {
      const target = this.read(link);
      if (target.ok) return { ...target, notice: { code: 'symlink-as-text', message: `this file holds only the path "${r.text.trim()}": a symbolic link checked out as text (git with core.symlinks=false); its target is checked in its place` } };
    }
    return { ...r, key: `${st.mtimeMs}:${st.size}` };
  }

  glob(pattern: string, limit: number): { files: string[]; truncated: boolean } {
    return expandGlob(pattern, readdirTyped, limit);
  }

  exists(file: string): boolean {
    return fs.existsSync(file);
  }
}

/**
 * A file whose whole content is one relative path to an existing file is a symbolic link that
 * git checked out as text (core.symlinks=false, common on Windows and in archives).
 */
function symlinkBlobTarget(file: string, text: string): string | undefined {
  const t = text.replace(/\n$/, '');
  if (t.length === 0 || t.length > 1024 || /[\s;{}#]/.test(t) || !/^\.{0,2}\//.test(t) && !t.includes('/')) return undefined;
  const target = path.resolve(path.dirname(file), t);
  try {
    return fs.statSync(target).isFile() && target !== file ? target : undefined;
  } catch {
    return undefined;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readdirTyped(dir: string): { name: string; dir: boolean }[] | undefined {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => ({
      name: e.name,
      dir: e.isDirectory() || (e.isSymbolicLink() && isDir(path.join(dir, e.name))),
    }));
  } catch {
    return undefined;
  }
}

/** A file source whose open documents (editor buffers) take precedence over the disk. */
export class OverlayFileSource implements FileSource {
  private readonly docs = new Map<string, { text: string; version: number }>();
  constructor(private readonly base: FileSource) {}

  set(file: string, text: string, version: number): void {
    this.docs.set(file, { text, version });
  }
  delete(file: string): void {
    this.docs.delete(file);
  }
  read(file: string): ReadResult {
    const d = this.docs.get(file);
    if (d) return { ok: true, text: d.text, key: `v${d.version}:${d.text.length}` };
    return this.base.read(file);
  }
  glob(pattern: string, limit: number): { files: string[]; truncated: boolean } {
    return this.base.glob(pattern, limit);
  }
  exists(file: string): boolean {
    return this.docs.has(file) || this.base.exists(file);
  }
}

/**
 * Files held in memory: a remote host's configuration read over SSH (`nginx -T` split back
 * into files), checked with the same engine as local files.
 */
export class MemoryFileSource implements FileSource {
  private readonly dirs = new Map<string, Map<string, boolean>>();

  constructor(private readonly files: ReadonlyMap<string, string>) {
    for (const f of files.keys()) {
      let child = f;
      let dir = path.dirname(f);
      let isDir = false;
      for (;;) {
        let entries = this.dirs.get(dir);
        if (!entries) {
          entries = new Map();
          this.dirs.set(dir, entries);
        }
        entries.set(path.basename(child), isDir || entries.get(path.basename(child)) === true);
        if (dir === path.dirname(dir)) break;
        child = dir;
        dir = path.dirname(dir);
        isDir = true;
      }
    }
  }

  read(file: string): ReadResult {
    const text = this.files.get(file);
    if (text === undefined) return { ok: false, code: 'not-found', message: `open() "${file}" failed (2: No such file or directory)` };
    return { ok: true, text, key: `mem:${text.length}` };
  }

  glob(pattern: string, limit: number): { files: string[]; truncated: boolean } {
    return expandGlob(
      pattern,
      (dir) => {
        const entries = this.dirs.get(dir);
        return entries ? [...entries].map(([name, isDir]) => ({ name, dir: isDir })) : undefined;
      },
      limit,
    );
  }

  exists(file: string): boolean {
    return this.files.has(file) || this.dirs.has(file);
  }
}
