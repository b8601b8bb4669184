// Runs a real OpenSSH sshd for tests: on 127.0.0.1 and a free port, with host keys and a client
// key generated into a temporary folder, its own sshd_config, in the foreground (-D -e), and
// stopped with every process it forked (sshd gives each connection its own session, so killing
// the listener's process group alone would leave connections and their commands running).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD: string | undefined = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => fs.existsSync(p));
export const SSH_KEYGEN: string | undefined = ['/usr/bin/ssh-keygen', '/usr/local/bin/ssh-keygen'].find((p) => fs.existsSync(p));
export const IS_ROOT = process.getuid?.() === 0;

/** Why the ssh lab cannot run here, or undefined when it can. */
export function sshdSkipReason(): string | undefined {
  if (!SSHD) return 'sshd is not installed (test/setup.sh installs openssh-server)';
  if (!SSH_KEYGEN) return 'ssh-keygen is not installed';
  return undefined;
}

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface KeyPair {
  path: string;
  /** The public key line (`ssh-ed25519 AAAA... comment`). */
  pub: string;
  type: string;
  /** The raw public key blob. */
  blob: Buffer;
}

/** Generates a key pair with ssh-keygen (optionally encrypted with a passphrase). */
export function keygen(file: string, type: KeyType = 'ed25519', passphrase = ''): KeyPair {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  const args = ['-q', '-t', type, '-N', passphrase, '-C', `lab-${path.basename(file)}`, '-f', file];
  if (type === 'rsa') args.push('-b', '2048');
  execFileSync(SSH_KEYGEN!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const pub = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  const [keyType, b64] = pub.split(/\s+/);
  return { path: file, pub, type: keyType, blob: Buffer.from(b64, 'base64') };
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64. */
export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface SshdOptions {
  /** Host key types (default ed25519 and ecdsa). */
  hostKeyTypes?: KeyType[];
  /** Extra lines appended to sshd_config. */
  extraConfig?: string[];
  /** Public key lines authorized besides the generated client key. */
  authorizedKeys?: string[];
  /** Reuse these host keys (a restarted server keeps its identity). */
  hostKeys?: KeyPair[];
  /** Reuse this port (restart on the same address). */
  port?: number;
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  /** The user the client logs in as (the user running the tests). */
  user: string;
  hostKeys: KeyPair[];
  /** A client key authorized for every user (AuthorizedKeysFile is absolute). */
  clientKey: KeyPair;
  pid: number;
  /** What sshd wrote to stderr so far (LogLevel VERBOSE). */
  log(): string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...` lines for every host key. */
  knownHostsLines(opts?: { hashed?: boolean; types?: string[] }): string[];
  /** Kills sshd, its connections and their commands (SIGKILL), and waits for the listener to exit. */
  stop(): Promise<void>;
}

/** The processes whose parent chain leads to `root` (found through /proc). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(rest[1]));
    } catch {
      // The process exited meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid === pid && !out.includes(child)) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Starts sshd and resolves once it listens ("Server listening on ..." on its stderr). */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (IS_ROOT) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation chroot
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-sshd-'));
  const hostKeys =
    opts.hostKeys ?? (opts.hostKeyTypes ?? (['ed25519', 'ecdsa'] as KeyType[])).map((t) => keygen(path.join(dir, `ssh_host_${t}_key`), t));
  const clientKey = keygen(path.join(dir, 'id_client'), 'ed25519');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), [clientKey.pub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', { mode: 0o644 });
  // sshd reads authorized_keys as the user logging in (tests also log in as a temporary user).
  fs.chmodSync(dir, 0o755);
  const user = os.userInfo().username;

  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeys.map((k) => `HostKey ${k.path}`),
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'X11Forwarding no',
      'PrintMotd no',
      'PrintLastLog no',
      'MaxStartups 100:30:200',
      'LogLevel VERBOSE',
      // bash sources ~/.bashrc for ssh commands when SHLVL < 2 (Debian's SSH_SOURCE_BASHRC); this
      // machine's root .bashrc starts pyenv (~100 processes, ~90 ms per command). Not what we test.
      'SetEnv SHLVL=1',
      ...(opts.extraConfig ?? []),
    ];
    const configFile = path.join(dir, 'sshd_config');
    fs.writeFileSync(configFile, config.join('\n') + '\n');
    const child = spawn(SSHD!, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let log = '';
    const listening = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s:\n${log}`)), 10_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        log += chunk;
        if (/Server listening on 127\.0\.0\.1 port/.test(log)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (!listening) {
      if (/Address already in use/.test(log) && attempt < 5 && opts.port === undefined) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd exited before listening:\n${log}`);
    }
    child.stderr!.on('data', () => undefined); // keep draining (log is appended above)
    return makeHandle(child, { dir, port, user, hostKeys, clientKey, log: () => log });
  }
}

function makeHandle(
  child: ChildProcess,
  s: { dir: string; port: number; user: string; hostKeys: KeyPair[]; clientKey: KeyPair; log: () => string },
): Sshd {
  const pid = child.pid!;
  let stopped: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port: s.port,
    dir: s.dir,
    user: s.user,
    hostKeys: s.hostKeys,
    clientKey: s.clientKey,
    pid,
    log: s.log,
    knownHostsLines(o = {}) {
      const name = `[127.0.0.1]:${s.port}`;
      return s.hostKeys
        .filter((k) => !o.types || o.types.includes(k.type))
        .map((k) => `${o.hashed ? hashHostName(name) : name} ${k.type} ${k.blob.toString('base64')}`);
    },
    stop() {
      stopped ??= (async () => {
        // Connections run in their own sessions (setsid): kill each one's group, then the listener's.
        const kids = descendants(pid);
        for (const k of kids) killQuietly(-k);
        for (const k of kids) killQuietly(k);
        killQuietly(-pid);
        killQuietly(pid);
        await exited;
        fs.rmSync(s.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** A hashed known_hosts name (`|1|salt|hash`, HMAC-SHA1 of the name keyed by the salt). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/** Writes a known_hosts file into a temporary folder and returns its path. */
export function tempKnownHosts(lines: string[], dir?: string): string {
  const folder = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-kh-'));
  const file = path.join(folder, 'known_hosts');
  fs.writeFileSync(file, lines.length ? lines.join('\n') + '\n' : '');
  return file;
}

/** A temporary Unix user with a password (root only; removed by the returned function). */
export function tempUser(password: string, home: string): { name: string; remove: () => void } | undefined {
  if (!IS_ROOT || !fs.existsSync('/usr/sbin/useradd')) return undefined;
  // Users left by a test run that was killed: their home folder is gone.
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , , , , dir] = line.split(':');
    if (/^ngx502t[0-9a-f]{6}$/.test(user ?? '') && dir && !fs.existsSync(dir)) {
      try {
        execFileSync('/usr/sbin/userdel', [user], { stdio: 'ignore' });
      } catch {
        // Someone else removed it.
      }
    }
  }
  const name = `ngx502t${randomBytes(3).toString('hex')}`;
  execFileSync('/usr/sbin/useradd', ['-M', '-d', home, '-s', '/bin/sh', name], { stdio: 'ignore' });
  execFileSync('/usr/sbin/chpasswd', [], { input: `${name}:${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
  return {
    name,
    remove: () => {
      try {
        execFileSync('/usr/sbin/userdel', [name], { stdio: 'ignore' });
      } catch {
        // Best effort.
      }
    },
  };
}

export interface Agent {
  sock: string;
  add(key: string): void;
  stop(): Promise<void>;
}

/** Starts `ssh-agent -D` on a socket in a temporary folder and waits for the socket to exist. */
export async function startAgent(): Promise<Agent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-agent-'));
  const sock = path.join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', sock], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // -D prints "SSH_AUTH_SOCK=...; export ..." once it listens.
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`ssh-agent did not start: ${out}`)), 10_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('SSH_AUTH_SOCK') && fs.existsSync(sock)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`ssh-agent exited: ${out}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    sock,
    add(key) {
      execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: ['ignore', 'ignore', 'pipe'] });
    },
    async stop() {
      killQuietly(-child.pid!, 'SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
