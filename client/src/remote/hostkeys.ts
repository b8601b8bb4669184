// Host keys checked like OpenSSH checks them against known_hosts: plain names, comma lists,
// wildcards and negations, `[host]:port` for ports other than 22, hashed `|1|salt|hash` names
// (HMAC-SHA1 of the name keyed by the salt), several key types per host, `@revoked` keys
// (always refused). `@cert-authority` lines are skipped: ssh2 does not verify host
// certificates, so a host known only through a CA is "unknown" here.
//
// Recording a new key (the caller accepted it) appends one line the way OpenSSH's
// StrictHostKeyChecking=accept-new does: hashed when HashKnownHosts is set, else plain.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface KnownHostsEntry {
  file: string;
  /** 1-based. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (patterns, or one hashed name). */
  hosts: string;
  /** The key type named on the line (`ssh-ed25519`). */
  keyType: string;
  /** The raw key blob. */
  key: Buffer;
}

/** OpenSSH's fingerprint of a raw key blob: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type inside a raw key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const n = key.readUInt32BE(0);
  if (n > 64 || 4 + n > key.length) return '';
  return key.subarray(4, 4 + n).toString('latin1');
}

/** The name known_hosts uses for a host and port: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parses known_hosts text; malformed lines are skipped (as ssh does). */
export function parseKnownHosts(text: string, file = ''): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) === '') continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** OpenSSH's pattern match: `*` and `?` wildcards, whole-string. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(name);
}

/** Whether a known_hosts host field matches `name` (`host` or `[host]:port`). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , saltB64, hashB64] = field.split('|');
    if (!saltB64 || !hashB64) return false;
    const salt = Buffer.from(saltB64, 'base64');
    const want = Buffer.from(hashB64, 'base64');
    const got = createHmac('sha1', salt).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  // A comma list; a negated pattern that matches wins over everything (match_hostname()).
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat === '') continue;
    if (pat.startsWith('!')) {
      if (globMatch(pat.slice(1), name)) return false;
    } else if (globMatch(pat, name)) {
      matched = true;
    }
  }
  return matched;
}

/** A hashed host name for known_hosts (`|1|salt|hash`). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

export type HostKeyVerdict =
  /** The key is on a line for this host. */
  | { status: 'known'; entry: KnownHostsEntry }
  /** No key of this type is known for the host (`otherTypes`: the types that are). */
  | { status: 'unknown'; otherTypes: string[] }
  /** Keys of this type are known for the host, and this is none of them. */
  | { status: 'changed'; known: KnownHostsEntry[] }
  /** The key is marked @revoked. */
  | { status: 'revoked'; entry: KnownHostsEntry };

export interface KnownHostsOptions {
  /** Files read (missing ones are fine). The first is where new keys are written. */
  files: string[];
  /** Files read but never written (e.g. /etc/ssh/ssh_known_hosts). */
  readOnlyFiles?: string[];
  /** Write new entries hashed (ssh_config HashKnownHosts). */
  hash?: boolean;
}

/** Host-key algorithms ssh2 offers, best first (its own default order). */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The host-key algorithms that produce keys of a key type. */
function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return HOST_KEY_ALGORITHMS.includes(keyType) ? [keyType] : [];
}

export class KnownHosts {
  private readonly opts: KnownHostsOptions;
  private cache: KnownHostsEntry[] | undefined;

  constructor(opts: KnownHostsOptions) {
    this.opts = opts;
  }

  /** The file new keys go to. */
  get writeFile(): string | undefined {
    return this.opts.files[0];
  }

  entries(): KnownHostsEntry[] {
    if (!this.cache) {
      this.cache = [];
      for (const file of [...this.opts.files, ...(this.opts.readOnlyFiles ?? [])]) {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        this.cache.push(...parseKnownHosts(text, file));
      }
    }
    return this.cache;
  }

  /** Entries (not markers) for `name`. */
  private forName(name: string): KnownHostsEntry[] {
    return this.entries().filter((e) => !e.marker && hostFieldMatches(e.hosts, name));
  }

  /** Key types known for a host, in file order. */
  knownTypes(host: string, port: number): string[] {
    const types: string[] = [];
    for (const e of this.forName(knownHostsName(host, port))) {
      const t = keyTypeOf(e.key);
      if (!types.includes(t)) types.push(t);
    }
    return types;
  }

  /**
   * Host-key algorithms in the order to offer them: the types already known for the host
   * first (as OpenSSH does), so a host known by its RSA key is not asked for a new ed25519 one.
   */
  algorithmsFor(host: string, port: number): string[] {
    const first = this.knownTypes(host, port).flatMap(algorithmsFor);
    return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
  }

  /** Checks a presented key (raw blob) for `host`:`port`. */
  check(host: string, port: number, key: Buffer): HostKeyVerdict {
    const name = knownHostsName(host, port);
    const type = keyTypeOf(key);
    const revoked = this.entries().find((e) => e.marker === 'revoked' && e.key.equals(key) && hostFieldMatches(e.hosts, name));
    if (revoked) return { status: 'revoked', entry: revoked };
    const mine = this.forName(name);
    const same = mine.find((e) => e.key.equals(key));
    if (same) return { status: 'known', entry: same };
    const sameType = mine.filter((e) => keyTypeOf(e.key) === type);
    if (sameType.length > 0) return { status: 'changed', known: sameType };
    const otherTypes = [...new Set(mine.map((e) => keyTypeOf(e.key)))];
    return { status: 'unknown', otherTypes };
  }

  /** Appends a key for `host`:`port` to the first file (creating it and its folder, 0600/0700). */
  add(host: string, port: number, key: Buffer): { file: string; line: string } {
    const file = this.writeFile;
    if (!file) throw new Error('no known_hosts file to write to');
    const name = knownHostsName(host, port);
    const line = `${this.opts.hash ? hashHostName(name) : name} ${keyTypeOf(key)} ${key.toString('base64')}`;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const st = fs.statSync(file);
      if (st.size > 0) {
        const fd = fs.openSync(file, 'r');
        try {
          const last = Buffer.alloc(1);
          fs.readSync(fd, last, 0, 1, st.size - 1);
          if (last[0] !== 0x0a) prefix = '\n';
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch {
      // A new file.
    }
    fs.appendFileSync(file, `${prefix}${line}\n`, { mode: 0o600 });
    this.cache = undefined;
    return { file, line };
  }
}
