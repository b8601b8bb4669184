// The SSH transport: one ssh2 connection per diagnosis (through ProxyJump hops when the config
// says so), commands run concurrently over its channels, at most `concurrency` at a time (8 by
// default, under sshd's default MaxSessions 10; lowered automatically when a server refuses a
// channel).
//
// Each command runs under a small POSIX sh wrapper on the host, because sshd neither kills a
// command when its channel closes nor honours signal requests for root logins: the wrapper
// starts the command in `timeout`'s process group (when the host has GNU/busybox timeout) with
// stdin from /dev/null, watches the channel's stdin, and kills the group when it reaches EOF,
// which is what closing the channel (a timeout, a byte cap, stop(), a dropped connection) does.
// `timeout` is also given the command's limit plus a margin, in case we cannot reach the host.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { Client, OpenSSHAgent, utils, type AnyAuthMethod, type AuthenticationType, type AuthHandlerMiddleware, type NextAuthHandler, type ClientChannel, type ConnectConfig, type IdentityCallback, type ParsedKey } from 'ssh2';
import { AuthFailedError, HostKeyError, RemoteError, type RemoteErrorKind } from './errors';
import { fingerprint, KnownHosts, knownHostsName, keyTypeOf } from './hostkeys';
import { loadSshConfig, parseTarget, resolveHost, type ConfigSources, type ResolvedHost } from './sshconfig';
import { Semaphore, ShellTransport, shellCommand, type ExitStatus, type SpawnIO, type Spawned } from './transport';

export interface NewHostKeyInfo {
  /** The host as connected to (HostName) and its port. */
  host: string;
  port: number;
  /** The name recorded in known_hosts (`host` or `[host]:port`, or the HostKeyAlias). */
  knownHostsName: string;
  keyType: string;
  /** `SHA256:...` */
  fingerprint: string;
  /** Key types already known for the host (the server offered none of them). */
  otherTypes: string[];
  /** Where the key will be recorded if accepted. */
  file: string | undefined;
  /** The jump host this hop is reached through. */
  via?: string;
}

export interface SshOptions {
  /** `[user@]host[:port]` or a Host alias of the ssh config. */
  target: string;
  /** Key files tried first (the CLI's --identity), on every hop. */
  identityFiles?: string[];
  /** Replaces the known_hosts files of the config (user and global) for reading and writing. */
  knownHostsFile?: string;
  /**
   * An unknown host (no key of the offered type in known_hosts) is refused unless this accepts it
   * (true, or a function returning true); an accepted key is recorded in known_hosts.
   * A changed or revoked key is always refused.
   */
  acceptNewHostKey?: boolean | ((info: NewHostKeyInfo) => boolean | Promise<boolean>);
  /** Asked for the passphrase of an encrypted key (undefined: skip the key). Up to 3 attempts per key. */
  passphrase?: (keyFile: string, attempt: number) => string | undefined | Promise<string | undefined>;
  /** Asked for a password (undefined: stop trying passwords). Up to 3 attempts, as ssh's NumberOfPasswordPrompts. */
  password?: (prompt: { user: string; host: string; attempt: number }) => string | undefined | Promise<string | undefined>;
  /** The ssh-agent socket. Default: IdentityAgent of the config, else SSH_AUTH_SOCK. null: no agent. */
  agent?: string | null;
  /** Which ssh configs to read (default ~/.ssh/config and /etc/ssh/ssh_config). */
  config?: ConfigSources;
  /** Channels open at once (default 8; sshd's default MaxSessions is 10). */
  concurrency?: number;
  /** Per hop: TCP connect, handshake and authentication (time spent in callbacks not counted). Default: ConnectTimeout, else 15 s. */
  connectTimeoutMs?: number;
  /** SSH keepalive interval (default: ServerAliveInterval, else 15 s; 0: off). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost (default: ServerAliveCountMax, else 3). */
  keepaliveCountMax?: number;
  /** ssh2's debug output. */
  debug?: (message: string) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
const MAX_JUMP_DEPTH = 8;
/** The host-side `timeout` fires this long after ours (ours should always win). */
const REMOTE_TIMEOUT_MARGIN_S = 2;
/** Keys ssh tries when the config names none (security-key types are not supported by ssh2). */
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ed25519', 'id_dsa'];

// $1 command, $2 timeout in seconds (0: none), $3 1 when stdin carries data for the command.
// One line (no newline inside the quotes), for login shells that dislike multi-line arguments.
const WRAPPER = [
  'c=$1 t=$2 i=$3',
  'if command -v timeout >/dev/null 2>&1 && timeout -k 1 0 true >/dev/null 2>&1; then set -- timeout -k 2 "$t"; else set --; fi',
  '[ "$i" = 1 ] && exec "$@" sh -c "$c"',
  'exec 3<&0',
  '"$@" sh -c "$c" </dev/null 3<&- & p=$!',
  '{ while read -r _; do :; done <&3; kill -TERM "$p"; } >/dev/null 2>&1 & w=$!',
  'exec 3<&-',
  'wait "$p"; s=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('; ');

/** The command line sent to sshd for `command` (runs under the login shell, any shell that can run `sh -c`). */
export function remoteCommand(command: string, timeoutMs: number, hasStdin: boolean): string {
  const secs = timeoutMs > 0 ? Math.ceil(timeoutMs / 1000) + REMOTE_TIMEOUT_MARGIN_S : 0;
  return shellCommand(['sh', '-c', WRAPPER, 'ngx502', command, String(secs), hasStdin ? '1' : '0']);
}

/** A time limit that stops counting while we wait for the user (passphrase, password, host key). */
class Deadline {
  private remaining: number;
  private since = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private paused = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
    this.arm();
  }

  private arm(): void {
    if (this.done) return;
    this.since = Date.now();
    this.timer = setTimeout(
      () => {
        this.done = true;
        this.onExpire();
      },
      Math.max(0, this.remaining),
    );
  }

  async around<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.paused++ === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining -= Date.now() - this.since;
    }
    try {
      return await work();
    } finally {
      if (--this.paused === 0) this.arm();
    }
  }

  clear(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

interface Hop {
  resolved: ResolvedHost;
  /** The previous hop's alias, for messages. */
  via?: string;
}

/** The chain of hosts to go through, first hop first, `main` last. */
function hopChain(main: ResolvedHost, resolve: (spec: string, jumpsOverride?: string[]) => ResolvedHost, depth = 0): ResolvedHost[] {
  if (depth > MAX_JUMP_DEPTH) throw new RemoteError('config', `ProxyJump chain longer than ${MAX_JUMP_DEPTH} hops (a loop?) at ${main.alias}`);
  if (main.proxyCommand) throw new RemoteError('config', `${main.alias}: ProxyCommand is not supported (use ProxyJump)`, { host: main.hostName, port: main.port });
  if (main.proxyJump.length === 0) return [main];
  const jumps = main.proxyJump;
  const last = resolve(jumps[jumps.length - 1], jumps.length > 1 ? jumps.slice(0, -1) : undefined);
  return [...hopChain(last, resolve, depth + 1), main];
}

function sockErrorKind(code: string | undefined): RemoteErrorKind {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return 'dns-failure';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'unreachable';
  }
}

function describeKind(kind: RemoteErrorKind): string {
  switch (kind) {
    case 'connection-refused':
      return 'connection refused (nothing listens on that port)';
    case 'dns-failure':
      return 'the host name does not resolve';
    case 'timeout':
      return 'timed out';
    default:
      return 'unreachable';
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new RemoteError('timeout', `${host}:${port}: TCP connect timed out after ${timeoutMs} ms`, { host, port }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const kind = sockErrorKind(err.code);
      reject(new RemoteError(kind, `${host}:${port}: ${describeKind(kind)} (${err.code ?? err.message})`, { host, port, cause: err }));
    });
  });
}

function forwardOut(via: Client, viaName: string, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new RemoteError('timeout', `${host}:${port} via ${viaName}: the jump host did not connect within ${timeoutMs} ms`, { host, port, via: viaName })),
      timeoutMs,
    );
    via.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      clearTimeout(timer);
      if (err) {
        const why = err.message.replace(/^\(SSH\) Channel open failure: /, '');
        const kind: RemoteErrorKind = /refused/i.test(why)
          ? 'connection-refused'
          : /name|resolve|known|getaddrinfo/i.test(why)
            ? 'dns-failure'
            : /prohibited/i.test(why)
              ? 'config'
              : 'unreachable';
        const extra = kind === 'config' ? ' (is TCP forwarding allowed on the jump host? AllowTcpForwarding)' : '';
        reject(new RemoteError(kind, `${host}:${port} via ${viaName}: ${why}${extra}`, { host, port, via: viaName, cause: err }));
        return;
      }
      resolve(stream);
    });
  });
}

/** An agent that offers only the keys whose public halves are listed (IdentitiesOnly). */
class FilteredAgent extends OpenSSHAgent {
  constructor(
    socketPath: string,
    private readonly allowed: Set<string>,
  ) {
    super(socketPath);
  }

  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) =>
      cb(
        err,
        keys?.filter((k) => 'getPublicSSH' in k && this.allowed.has(k.getPublicSSH().toString('base64'))),
      ),
    );
  }
}

function readFileOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The public blob of a key file: from FILE.pub, else from the private key if it is not encrypted. */
function publicBlobOf(file: string): string | undefined {
  const pub = readFileOrUndefined(`${file}.pub`);
  if (pub) {
    const b64 = pub.toString('utf8').trim().split(/\s+/)[1];
    if (b64) return Buffer.from(b64, 'base64').toString('base64');
  }
  const data = readFileOrUndefined(file);
  if (!data) return undefined;
  const k = utils.parseKey(data);
  if (k instanceof Error) return undefined;
  const key = Array.isArray(k) ? k[0] : k;
  return key.getPublicSSH().toString('base64');
}

function isEncryptedKeyError(e: Error): boolean {
  return /encrypted|passphrase|bad decrypt/i.test(e.message);
}

interface AuthState {
  tried: string[];
  allowed: string[];
}

type Candidate = { method: 'publickey' | 'password' | 'keyboard-interactive'; label: string; make: () => Promise<AnyAuthMethod | undefined> };

/** The authentication attempts for a hop, in OpenSSH's order: agent, key files, password. */
function authCandidates(h: ResolvedHost, opts: SshOptions, deadline: Deadline, state: AuthState): Candidate[] {
  const username = h.user;
  const out: Candidate[] = [];
  const home = opts.config?.home ?? os.homedir();
  const configured = [...(opts.identityFiles ?? []), ...h.identityFiles];
  const keyFiles = [...new Set(configured.length ? configured : DEFAULT_IDENTITIES.map((n) => path.join(home, '.ssh', n)))];
  const mayPrompt = !h.batchMode;

  const agentSock = opts.agent === null ? undefined : (opts.agent ?? (h.identityAgent === 'SSH_AUTH_SOCK' ? undefined : h.identityAgent) ?? process.env.SSH_AUTH_SOCK);
  if (agentSock && agentSock !== 'none' && fs.existsSync(agentSock)) {
    out.push({
      method: 'publickey',
      label: 'agent',
      make: async () => {
        if (!h.identitiesOnly) return { type: 'agent', username, agent: agentSock };
        const allowed = new Set(keyFiles.map(publicBlobOf).filter((b): b is string => b !== undefined));
        return allowed.size ? { type: 'agent', username, agent: new FilteredAgent(agentSock, allowed) } : undefined;
      },
    });
  }

  for (const file of keyFiles) {
    out.push({
      method: 'publickey',
      label: `publickey ${file}`,
      make: async () => {
        const data = readFileOrUndefined(file);
        if (!data) {
          if (configured.includes(file)) state.tried.push(`publickey ${file} (cannot read it)`);
          return undefined;
        }
        let parsed = utils.parseKey(data);
        for (let attempt = 1; parsed instanceof Error && isEncryptedKeyError(parsed) && attempt <= 3; attempt++) {
          if (!mayPrompt || !opts.passphrase) {
            state.tried.push(`publickey ${file} (encrypted, ${mayPrompt ? 'no passphrase callback' : 'BatchMode'})`);
            return undefined;
          }
          const pass = await deadline.around(() => opts.passphrase!(file, attempt));
          if (pass === undefined) {
            state.tried.push(`publickey ${file} (no passphrase given)`);
            return undefined;
          }
          parsed = utils.parseKey(data, pass);
        }
        if (parsed instanceof Error) {
          state.tried.push(`publickey ${file} (${isEncryptedKeyError(parsed) ? 'wrong passphrase' : `unusable: ${parsed.message}`})`);
          return undefined;
        }
        const key = Array.isArray(parsed) ? parsed[0] : parsed;
        return { type: 'publickey', username, key };
      },
    });
  }

  if (opts.password && mayPrompt) {
    let attempt = 0;
    let gaveUp = false;
    const ask = async () => {
      if (gaveUp) return undefined;
      const pw = await deadline.around(() => opts.password!({ user: username, host: h.hostName, attempt: ++attempt }));
      if (pw === undefined) gaveUp = true;
      return pw;
    };
    for (let i = 0; i < 3; i++) {
      out.push({
        method: 'password',
        label: 'password',
        make: async () => {
          const password = await ask();
          return password === undefined ? undefined : { type: 'password', username, password };
        },
      });
    }
    out.push({
      method: 'keyboard-interactive',
      label: 'keyboard-interactive',
      make: async () =>
        gaveUp
          ? undefined
          : {
              type: 'keyboard-interactive',
              username,
              prompt: (_name, _instructions, _lang, prompts, finish) => {
                void (async () => {
                  const answers: string[] = [];
                  for (const p of prompts) answers.push(/password|passcode|passphrase/i.test(p.prompt) ? ((await ask()) ?? '') : '');
                  finish(answers);
                })();
              },
            },
    });
  }
  return out;
}

function makeAuthHandler(candidates: Candidate[], state: AuthState): AuthHandlerMiddleware {
  let i = 0;
  // ssh2 passes null before the first attempt, and accepts false for "no more methods".
  return (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, nextAuth: NextAuthHandler) => {
    const next = nextAuth as (m: AnyAuthMethod | false) => void;
    if (methodsLeft) state.allowed = [...methodsLeft];
    void (async () => {
      while (i < candidates.length) {
        const c = candidates[i++];
        if (methodsLeft && !methodsLeft.includes(c.method)) continue;
        let m: AnyAuthMethod | undefined;
        try {
          m = await c.make();
        } catch (e) {
          state.tried.push(`${c.label} (${e instanceof Error ? e.message : String(e)})`);
          continue;
        }
        if (!m) continue;
        state.tried.push(c.label);
        next(m);
        return;
      }
      next(false);
    })();
  };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Connects one hop over `sock` and resolves when it is authenticated. */
function connectHop(hop: Hop, sock: Duplex, opts: SshOptions, knownHosts: KnownHosts): Promise<Client> {
  const h = hop.resolved;
  const where = `${h.user}@${h.hostName}:${h.port}${hop.via ? ` via ${hop.via}` : ''}`;
  const errOpts = { host: h.hostName, port: h.port, via: hop.via };
  const khHost = h.hostKeyAlias ?? h.hostName;
  const khPort = h.hostKeyAlias ? 22 : h.port;
  return new Promise((resolve, reject) => {
    const client = new Client();
    const state: AuthState = { tried: [], allowed: [] };
    let settled = false;
    let hostKeyFailure: RemoteError | undefined;
    let pendingRecord: Buffer | undefined;
    const fail = (e: RemoteError) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      client.end();
      sock.destroy();
      reject(e);
    };
    const deadline = new Deadline(opts.connectTimeoutMs ?? h.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () =>
      fail(new RemoteError('timeout', `${where}: SSH handshake and authentication did not finish within ${opts.connectTimeoutMs ?? h.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS} ms`, errOpts)),
    );

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      const verdict = knownHosts.check(khHost, khPort, key);
      const name = knownHostsName(khHost, khPort);
      const type = keyTypeOf(key);
      const fp = fingerprint(key);
      if (verdict.status === 'known') return verify(true);
      if (verdict.status === 'revoked') {
        hostKeyFailure = new HostKeyError(
          'host-key-revoked',
          `${where}: the host key ${type} ${fp} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
          { hostName: name, keyType: type, fingerprint: fp, knownFingerprints: [fingerprint(verdict.entry.key)], knownAt: [`${verdict.entry.file}:${verdict.entry.line}`], otherTypes: [] },
          errOpts,
        );
        return verify(false);
      }
      if (verdict.status === 'changed') {
        const knownFps = dedupe(verdict.known.map((e) => fingerprint(e.key)));
        const at = verdict.known.map((e) => `${e.file}:${e.line}`);
        hostKeyFailure = new HostKeyError(
          'host-key-changed',
          `${where}: HOST KEY CHANGED for ${name}: the server offered ${type} ${fp}, but known_hosts has ${knownFps.join(', ')} (${at.join(', ')}). ` +
            `Someone could be intercepting the connection, or the host was reinstalled; refusing to connect. If the change is expected, remove the old entry (ssh-keygen -R '${name}').`,
          { hostName: name, keyType: type, fingerprint: fp, knownFingerprints: knownFps, knownAt: at, otherTypes: [] },
          errOpts,
        );
        return verify(false);
      }
      const info: NewHostKeyInfo = { host: khHost, port: khPort, knownHostsName: name, keyType: type, fingerprint: fp, otherTypes: verdict.otherTypes, file: knownHosts.writeFile, via: hop.via };
      const unknown = () =>
        new HostKeyError(
          'host-key-unknown',
          `${where}: the host key of ${name} is not known (${type} ${fp}${verdict.otherTypes.length ? `; known_hosts has only ${verdict.otherTypes.join(', ')} keys for it` : ''}); refusing to connect. ` +
            `Check the fingerprint and accept it (--accept-new-host-key), or add it to known_hosts.`,
          { hostName: name, keyType: type, fingerprint: fp, knownFingerprints: [], knownAt: [], otherTypes: verdict.otherTypes },
          errOpts,
        );
      const accept = opts.acceptNewHostKey;
      if (!accept) {
        hostKeyFailure = unknown();
        return verify(false);
      }
      void deadline
        .around(() => (typeof accept === 'function' ? accept(info) : accept))
        .then(
          (ok) => {
            if (ok) pendingRecord = key;
            else hostKeyFailure = unknown();
            verify(ok);
          },
          (e: unknown) => {
            hostKeyFailure = unknown();
            hostKeyFailure.cause = e;
            verify(false);
          },
        );
    };

    const keepaliveInterval = opts.keepaliveIntervalMs ?? h.serverAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS;
    client.on('handshake', () => {
      // The key's signature over the exchange is verified by now: record an accepted key.
      if (pendingRecord) {
        try {
          knownHosts.add(khHost, khPort, pendingRecord);
        } catch (e) {
          opts.debug?.(`cannot record the host key: ${e instanceof Error ? e.message : String(e)}`);
        }
        pendingRecord = undefined;
      }
    });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      deadline.clear();
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) return;
      if (hostKeyFailure) return fail(hostKeyFailure);
      if (err.level === 'client-authentication') {
        const tried = state.tried.length ? state.tried.join('; ') : 'nothing (no agent, no key file, no password callback)';
        return fail(
          new AuthFailedError(
            `${where}: authentication failed. Tried: ${tried}.${state.allowed.length ? ` The server accepts: ${state.allowed.join(', ')}.` : ''}`,
            { user: h.user, tried: [...state.tried], allowed: state.allowed },
            errOpts,
          ),
        );
      }
      if (err.level === 'client-socket') {
        const code = (err as NodeJS.ErrnoException).code;
        return fail(new RemoteError('disconnected', `${where}: connection lost during the handshake (${code ?? err.message})`, { ...errOpts, cause: err }));
      }
      fail(new RemoteError('protocol', `${where}: SSH ${err.level ?? 'protocol'} error: ${err.message}`, { ...errOpts, cause: err }));
    });
    client.on('close', () => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      fail(new RemoteError('disconnected', `${where}: the server closed the connection during the handshake (MaxStartups, a ban, or sshd refusing this client; see its log)`, errOpts));
    });

    const cfg: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: h.user,
      hostVerifier,
      authHandler: makeAuthHandler(authCandidates(h, opts, deadline, state), state),
      keepaliveInterval,
      keepaliveCountMax: opts.keepaliveCountMax ?? h.serverAliveCountMax ?? 3,
      readyTimeout: 2 ** 31 - 1, // ours (the Deadline) pauses while the user answers a prompt
      algorithms: { serverHostKey: knownHosts.algorithmsFor(khHost, khPort) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      debug: opts.debug,
    };
    try {
      client.connect(cfg);
    } catch (e) {
      fail(new RemoteError('config', `${where}: ${e instanceof Error ? e.message : String(e)}`, { ...errOpts, cause: e }));
    }
  });
}

function knownHostsFor(h: ResolvedHost, opts: SshOptions): KnownHosts {
  const home = opts.config?.home ?? os.homedir();
  if (opts.knownHostsFile) return new KnownHosts({ files: [opts.knownHostsFile], hash: h.hashKnownHosts });
  return new KnownHosts({
    files: h.userKnownHostsFiles ?? [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')],
    readOnlyFiles: h.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    hash: h.hashKnownHosts,
  });
}

export class SshTransport extends ShellTransport {
  readonly kind = 'ssh' as const;
  readonly target: string;
  /** The hosts connected, first hop first (the last is the target). */
  readonly hops: readonly ResolvedHost[];
  private readonly clients: Client[];
  private readonly slots: Semaphore;
  private readonly live = new Set<Spawned>();
  private dead: RemoteError | undefined;
  private readonly deathListeners = new Set<(e: RemoteError) => void>();

  private readonly concurrency: number;

  constructor(target: string, hops: ResolvedHost[], clients: Client[], concurrency: number, private readonly socket: net.Socket) {
    super();
    this.target = target;
    this.hops = hops;
    this.clients = clients;
    this.concurrency = Math.max(1, concurrency);
    this.slots = new Semaphore(this.concurrency);
    const main = clients[clients.length - 1];
    const h = hops[hops.length - 1];
    const where = `${h.user}@${h.hostName}:${h.port}`;
    let why = '';
    main.on('error', (err: Error & { level?: string }) => {
      why = err.level === 'client-timeout' ? 'no answer to keepalives' : err.message;
    });
    const onGone = () => this.die(new RemoteError('disconnected', `${where}: connection lost${why ? ` (${why})` : ''}`, { host: h.hostName, port: h.port }));
    main.on('end', onGone);
    main.on('close', onGone);
    for (const hop of clients.slice(0, -1)) hop.on('error', () => undefined);
  }

  /** The connection failed or was closed: every command still waiting or running fails with `err`. */
  private die(err: RemoteError): void {
    if (this.dead) return;
    this.dead = err;
    if (this.restoreTimer) clearTimeout(this.restoreTimer);
    this.slots.drain(err);
    for (const l of this.deathListeners) l(err);
    this.deathListeners.clear();
    for (const c of [...this.clients].reverse()) c.end();
  }

  /** Bytes received on the TCP connection (to the first hop) so far, SSH framing included. */
  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /** Bytes sent on the TCP connection so far. */
  get bytesSent(): number {
    return this.socket.bytesWritten;
  }

  /** Channels open now (commands running, streams followed). */
  get channelsInUse(): number {
    return this.slots.inUse;
  }

  /** Whether the connection is still up. */
  get connected(): boolean {
    return this.dead === undefined;
  }

  protected async spawn(command: string, io: SpawnIO): Promise<Spawned> {
    for (let refused = 0; ; ) {
      if (this.dead) throw this.dead;
      const release = await this.slots.acquire(io.signal);
      if (this.dead) {
        release();
        throw this.dead;
      }
      try {
        return await this.open(remoteCommand(command, io.remoteTimeoutMs, io.stdin !== undefined), io, release);
      } catch (e) {
        if (e instanceof RemoteError || (io.signal?.aborted && e === io.signal.reason)) throw e;
        release();
        if (this.dead) throw this.dead;
        const msg = e instanceof Error ? e.message : String(e);
        // sshd refuses a session beyond MaxSessions ("open failed"). Ours stay under 10, but a
        // session is freed a moment after its channel closes (under load, after our next open),
        // and a server may be set lower: run fewer at once for a while, and retry.
        if (/open failure/i.test(msg) && refused++ < 20) {
          this.backOff();
          await new Promise((r) => setTimeout(r, Math.min(20 * refused, 200)));
          continue;
        }
        throw new RemoteError('protocol', `${this.target}: cannot open a channel: ${msg}`, { cause: e });
      }
    }
  }

  private restoreTimer: NodeJS.Timeout | undefined;

  /** Runs at most as many channels as are open now, for a second; then the configured number again. */
  private backOff(): void {
    this.slots.setLimit(Math.max(1, this.slots.inUse));
    if (this.restoreTimer) clearTimeout(this.restoreTimer);
    this.restoreTimer = setTimeout(() => this.slots.setLimit(this.concurrency), 1000);
    this.restoreTimer.unref();
  }

  /**
   * Opens an exec channel and attaches to it inside ssh2's callback: a quick command's output,
   * exit status and close can arrive in the same read as the channel's confirmation, and
   * events emitted before a listener exists are lost. Gives up at the command's time limit or
   * its abort; a channel that opens after that is closed, and its slot freed only then.
   */
  private open(command: string, io: SpawnIO, release: () => void): Promise<Spawned> {
    const client = this.clients[this.clients.length - 1];
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      const stopWaiting = () => {
        clearTimeout(timer);
        io.signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (err: unknown) => {
        if (gaveUp) return;
        gaveUp = true;
        stopWaiting();
        reject(err);
      };
      const onAbort = () => giveUp(io.signal!.reason);
      const timer =
        io.remoteTimeoutMs > 0
          ? setTimeout(() => giveUp(new RemoteError('timeout', `${this.target}: the server did not open a channel within ${io.remoteTimeoutMs} ms`)), io.remoteTimeoutMs)
          : undefined;
      io.signal?.addEventListener('abort', onAbort, { once: true });
      client.exec(command, (err, ch) => {
        if (gaveUp) {
          if (err) release();
          else {
            ch.once('close', release);
            ch.resume();
            ch.stderr.resume();
            ch.close();
          }
          return;
        }
        stopWaiting();
        if (err) reject(err);
        else resolve(this.attach(ch, io, release));
      });
    });
  }

  private attach(ch: ClientChannel, io: SpawnIO, release: () => void): Spawned {
    let status: ExitStatus | undefined;
    let closed = false;
    const exit = new Promise<ExitStatus>((resolve, reject) => {
      const onDeath = (err: RemoteError) => {
        if (!status) reject(err);
      };
      this.deathListeners.add(onDeath);
      ch.on('exit', (code: number | null, signal?: string) => {
        status = { code: typeof code === 'number' ? code : null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
      });
      ch.on('close', () => {
        closed = true;
        this.deathListeners.delete(onDeath);
        release();
        if (status) resolve(status);
        else if (this.dead) reject(this.dead);
        else resolve({ code: null, signal: null });
      });
    });
    ch.on('data', (c: Buffer) => io.onStdout(c));
    ch.stderr.on('data', (c: Buffer) => io.onStderr(c));
    ch.on('error', () => undefined);
    if (io.stdin !== undefined) ch.end(io.stdin);
    const proc: Spawned = {
      kill: () => {
        if (closed) return;
        // EOF on stdin makes the host-side wrapper kill the command's process group; closing the
        // channel also stops the output.
        try {
          ch.end();
          ch.close();
        } catch {
          // The connection is gone already.
        }
      },
      exit,
    };
    this.live.add(proc);
    exit.then(
      () => this.live.delete(proc),
      () => this.live.delete(proc),
    );
    return proc;
  }

  async close(): Promise<void> {
    if (this.dead?.kind === 'closed') return;
    const running = [...this.live];
    for (const p of running) p.kill();
    // Give the kills a moment to reach the host before the connection goes.
    await Promise.race([Promise.allSettled(running.map((p) => p.exit)), new Promise((r) => setTimeout(r, 1000).unref())]);
    const main = this.clients[this.clients.length - 1];
    const gone = new Promise<void>((resolve) => {
      if (this.dead) return resolve();
      main.once('close', () => resolve());
      setTimeout(resolve, 2000).unref();
    });
    if (!this.dead) this.die(new RemoteError('closed', `${this.target}: the connection was closed`));
    else this.dead = new RemoteError('closed', `${this.target}: the connection was closed`);
    await gone;
  }
}

/**
 * Resolves the target through the ssh config, connects (through every ProxyJump hop, each one's
 * host key verified), authenticates, and returns the transport. Rejects with a RemoteError:
 * `connection-refused`, `dns-failure`, `timeout`, `unreachable`, `auth-failed` (AuthFailedError),
 * `host-key-unknown`/`-changed`/`-revoked` (HostKeyError), `disconnected`, `config`, `protocol`.
 */
export async function connectSsh(opts: SshOptions): Promise<SshTransport> {
  const spec = parseTarget(opts.target);
  const config = loadSshConfig(opts.config);
  const main = resolveHost(config, spec, opts.config);
  const chain = hopChain(main, (hopSpec, jumps) => {
    const r = resolveHost(config, parseTarget(hopSpec), opts.config);
    return jumps ? { ...r, proxyJump: jumps } : r;
  });
  const clients: Client[] = [];
  let tcp: net.Socket | undefined;
  try {
    let prev: Client | undefined;
    let prevName: string | undefined;
    for (const h of chain) {
      const timeout = opts.connectTimeoutMs ?? h.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const sock: Duplex = prev ? await forwardOut(prev, prevName!, h.hostName, h.port, timeout) : (tcp = await tcpConnect(h.hostName, h.port, timeout));
      const client = await connectHop({ resolved: h, via: prevName }, sock, opts, knownHostsFor(h, opts));
      clients.push(client);
      prev = client;
      prevName = h.alias;
    }
  } catch (e) {
    for (const c of clients.reverse()) c.end();
    tcp?.destroy();
    throw e;
  }
  return new SshTransport(opts.target, chain, clients, opts.concurrency ?? 8, tcp!);
}
