// Typed errors of the transports: what failed, on which host, in words an operator can act on.
// Callers switch on `kind` (stable), never on message text.

export type RemoteErrorKind =
  /** Nothing listens on the port (or a jump host could not connect to the next hop). */
  | 'connection-refused'
  /** The host name does not resolve. */
  | 'dns-failure'
  /** TCP connect, SSH handshake or authentication did not finish in time. */
  | 'timeout'
  /** No route, network down, connection reset during connect. */
  | 'unreachable'
  /** Every authentication method was refused. */
  | 'auth-failed'
  /** The host is not in known_hosts and the caller did not accept its key. */
  | 'host-key-unknown'
  /** known_hosts holds a different key of the same type: always refused. */
  | 'host-key-changed'
  /** The key is marked @revoked in known_hosts: always refused. */
  | 'host-key-revoked'
  /** The connection dropped (sshd killed, network lost, keepalive unanswered). */
  | 'disconnected'
  /** The target or the ssh config cannot be used (bad target, ProxyCommand, unreadable key). */
  | 'config'
  /** The server refused a channel, or the SSH protocol failed. */
  | 'protocol'
  /** The transport was closed by the caller. */
  | 'closed';

export interface RemoteErrorOptions {
  host?: string;
  port?: number;
  /** The jump host the failure happened behind, if any. */
  via?: string;
  cause?: unknown;
}

export class RemoteError extends Error {
  readonly kind: RemoteErrorKind;
  readonly host?: string;
  readonly port?: number;
  readonly via?: string;

  constructor(kind: RemoteErrorKind, message: string, opts: RemoteErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RemoteError';
    this.kind = kind;
    this.host = opts.host;
    this.port = opts.port;
    this.via = opts.via;
  }
}

export class AuthFailedError extends RemoteError {
  /** What was tried, in order: `agent`, `publickey /root/.ssh/id_ed25519`, `password`. */
  readonly tried: string[];
  /** The methods the server still offered after the last failure (`publickey`, `password`). */
  readonly allowed: string[];
  readonly user: string;

  constructor(message: string, details: { user: string; tried: string[]; allowed: string[] }, opts: RemoteErrorOptions = {}) {
    super('auth-failed', message, opts);
    this.name = 'AuthFailedError';
    this.tried = details.tried;
    this.allowed = details.allowed;
    this.user = details.user;
  }
}

export interface HostKeyDetails {
  /** The name looked up in known_hosts (`host` or `[host]:port`). */
  hostName: string;
  /** The key type the server presented (`ssh-ed25519`). */
  keyType: string;
  /** The presented key's fingerprint, `SHA256:...` as OpenSSH prints it. */
  fingerprint: string;
  /** Fingerprints of the keys known for this host and type (changed), or of the revoked entry. */
  knownFingerprints: string[];
  /** Where the conflicting or revoking entries are (`file:line`). */
  knownAt: string[];
  /** Key types known for the host in other types than the presented one (unknown). */
  otherTypes: string[];
}

export class HostKeyError extends RemoteError {
  readonly details: HostKeyDetails;

  constructor(kind: 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked', message: string, details: HostKeyDetails, opts: RemoteErrorOptions = {}) {
    super(kind, message, opts);
    this.name = 'HostKeyError';
    this.details = details;
  }
}

/** Whether `err` is a RemoteError of one of `kinds` (any kind when none is given). */
export function isRemoteError(err: unknown, ...kinds: RemoteErrorKind[]): err is RemoteError {
  return err instanceof RemoteError && (kinds.length === 0 || kinds.includes(err.kind));
}
