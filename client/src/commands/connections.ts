// One live transport per target, shared by the diagnosis, the remote file system and the log
// viewer (one SSH connection per host, as the issue asks). Connecting asks what it must, the
// way ssh would: an unknown host key in a modal with its SHA256 fingerprint (Trust/Cancel), a
// changed or revoked key as an error with no way through, passwords and passphrases in
// password boxes, kept in SecretStorage only when the person ticks "remember".

import * as vscode from 'vscode';
import { HostKeyError, isRemoteError, AuthFailedError } from '../remote/errors';
import { connectLocal } from '../remote/local';
import { connectSsh, type NewHostKeyInfo, type SshTransport } from '../remote/ssh';
import type { Transport } from '../remote/transport';

export const LOCAL_TARGET = 'local';

/** Thrown when the person cancelled (a prompt, a modal, the progress notification). */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof CancelledError || e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError');
}

interface Remembered {
  key: string;
  value: string;
  remember: boolean;
}

/** Closes transports it no longer holds; connecting twice to one target at once shares the attempt. */
export class Connections implements vscode.Disposable {
  private readonly live = new Map<string, Transport>();
  private readonly pending = new Map<string, Promise<Transport>>();
  /** Lower-cased target (as a URI authority carries it) -> the target as given. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    /** Where the names of stored secrets are listed (SecretStorage cannot list its keys). */
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The target as first given, for a lower-cased one (URI authorities lose case). */
  targetFor(authority: string): string {
    return this.names.get(authority.toLowerCase()) ?? authority;
  }

  /**
   * The live transport for `target`, connecting when there is none (or it was lost).
   * Rejects with CancelledError when the person cancels, and with RemoteError otherwise.
   */
  async get(target: string, token?: vscode.CancellationToken): Promise<Transport> {
    this.names.set(target.toLowerCase(), target);
    const have = this.live.get(target);
    if (have && alive(have)) return have;
    if (have) this.drop(target, have);
    let attempt = this.pending.get(target);
    if (!attempt) {
      attempt = this.connect(target).finally(() => this.pending.delete(target));
      this.pending.set(target, attempt);
    }
    if (!token) return attempt;
    if (token.isCancellationRequested) throw new CancelledError();
    // connectSsh takes no signal: a cancelled wait lets the attempt finish (it is kept for the next use).
    return new Promise<Transport>((resolve, reject) => {
      const sub = token.onCancellationRequested(() => {
        sub.dispose();
        reject(new CancelledError());
      });
      void attempt.then(
        (t) => {
          sub.dispose();
          resolve(t);
        },
        (e: unknown) => {
          sub.dispose();
          reject(e);
        },
      );
    });
  }

  /** Closes the target's connection (the next get() connects again). */
  async close(target: string): Promise<void> {
    const t = this.live.get(target);
    if (t) {
      this.drop(target, t);
      await t.close().catch(() => undefined);
    }
  }

  private drop(target: string, t: Transport): void {
    if (this.live.get(target) === t) this.live.delete(target);
  }

  private async connect(target: string): Promise<Transport> {
    if (target === LOCAL_TARGET) {
      const t = connectLocal({ concurrency: 8 });
      this.live.set(target, t);
      return t;
    }
    this.log.info(`connecting to ${target}`);
    const given: Remembered[] = [];
    let t: SshTransport;
    try {
      t = await connectSsh({
        target,
        acceptNewHostKey: (info) => this.askHostKey(info),
        passphrase: (file, attempt) => this.askSecret(`passphrase:${file}`, attempt, `Passphrase for the key ${file}`, given),
        password: ({ user, host, attempt }) => this.askSecret(`password:${user}@${host}`, attempt, `Password for ${user}@${host}`, given),
      });
    } catch (e) {
      await this.explainFailure(target, e);
      throw e;
    }
    // Authenticated: keep what the person asked to keep, forget stored secrets that failed.
    for (const g of given) if (g.remember) await this.storeSecret(g.key, g.value);
    this.log.info(`connected to ${target}`);
    this.live.set(target, t);
    // Learn of a lost connection when the next command fails (ssh.ts reports it as `disconnected`).
    return t;
  }

  /** Unknown host key: a modal with the fingerprint; Trust records it in known_hosts. */
  private async askHostKey(info: NewHostKeyInfo): Promise<boolean> {
    const others = info.otherTypes.length ? `\n\nknown_hosts already holds ${info.otherTypes.join(', ')} key(s) for this host, but the server did not offer them.` : '';
    const detail =
      `${info.knownHostsName}${info.via ? ` (through ${info.via})` : ''} is not in known_hosts.\n\n` +
      `${info.keyType} key fingerprint:\n${info.fingerprint}\n\n` +
      `Compare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileType(info.keyType)}_key.pub) before trusting it.` +
      `${info.file ? ` Trusted keys are recorded in ${info.file}.` : ''}${others}`;
    this.log.info(`unknown host key for ${info.knownHostsName}: ${info.keyType} ${info.fingerprint}`);
    const pick = await vscode.window.showWarningMessage(`Trust the host key of ${info.knownHostsName}?`, { modal: true, detail }, 'Trust');
    if (pick !== 'Trust') {
      this.log.info(`host key for ${info.knownHostsName} not trusted`);
      return false;
    }
    return true;
  }

  /**
   * A password or passphrase: the stored one on the first attempt, else a password box with a
   * "remember" toggle. undefined: the person cancelled (ssh then stops asking).
   */
  private async askSecret(key: string, attempt: number, prompt: string, given: Remembered[]): Promise<string | undefined> {
    if (attempt <= 1) {
      const stored = await this.secrets.get(secretKey(key));
      if (stored !== undefined) {
        given.push({ key, value: stored, remember: false });
        return stored;
      }
    } else {
      // The stored or typed secret was refused: forget it.
      const last = given.filter((g) => g.key === key).pop();
      if (last) last.remember = false;
      await this.secrets.delete(secretKey(key));
    }
    const answer = await passwordBox(prompt, attempt);
    if (answer === undefined) return undefined;
    given.push({ key, value: answer.value, remember: answer.remember });
    return answer.value;
  }

  private async explainFailure(target: string, e: unknown): Promise<void> {
    if (e instanceof HostKeyError && (e.kind === 'host-key-changed' || e.kind === 'host-key-revoked')) {
      const d = e.details;
      const what = e.kind === 'host-key-changed' ? 'HAS CHANGED' : 'IS REVOKED';
      const detail =
        (e.kind === 'host-key-changed'
          ? `Someone could be intercepting the connection (a man-in-the-middle attack), or the host was reinstalled and its key replaced.\n\n`
          : `This key is marked @revoked in known_hosts.\n\n`) +
        `Presented: ${d.keyType} ${d.fingerprint}\n` +
        (d.knownFingerprints.length ? `Known: ${d.knownFingerprints.join(', ')}\n` : '') +
        (d.knownAt.length ? `In: ${d.knownAt.join(', ')}\n` : '') +
        `\nThe connection was refused. If the change is expected, verify the new key with the host's administrator and remove the old entry yourself (ssh-keygen -R ${d.hostName}).`;
      this.log.error(`${target}: host key ${what.toLowerCase()}: ${d.keyType} ${d.fingerprint}`);
      await vscode.window.showErrorMessage(`The host key of ${d.hostName} ${what}`, { modal: true, detail });
      return;
    }
    if (e instanceof AuthFailedError) {
      this.log.error(`${target}: authentication failed (${e.user}); tried ${e.tried.join(', ') || 'nothing'}; the server allows ${e.allowed.join(', ') || 'nothing'}`);
      return;
    }
    if (isRemoteError(e)) this.log.error(`${target}: ${e.kind}: ${e.message}`);
    else this.log.error(`${target}: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** Removes every password and passphrase this extension stored; returns how many. */
  async forgetSecrets(): Promise<number> {
    const keys = this.state.get<string[]>(STORED_KEYS, []);
    for (const k of keys) await this.secrets.delete(k);
    await this.state.update(STORED_KEYS, []);
    return keys.length;
  }

  private async storeSecret(key: string, value: string): Promise<void> {
    await this.secrets.store(secretKey(key), value);
    const keys = this.state.get<string[]>(STORED_KEYS, []);
    if (!keys.includes(secretKey(key))) await this.state.update(STORED_KEYS, [...keys, secretKey(key)]);
  }

  dispose(): void {
    for (const [target, t] of this.live) {
      this.live.delete(target);
      void t.close().catch(() => undefined);
    }
  }
}

const STORED_KEYS = 'ngx502.storedSecrets';

/** The middle of /etc/ssh/ssh_host_*_key.pub for a key type. */
function hostKeyFileType(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType.replace(/^ssh-/, '');
}

function alive(t: Transport): boolean {
  return !('connected' in t) || (t as SshTransport).connected;
}

export function secretKey(key: string): string {
  return `ngx502:${key}`;
}

/** A password box with a "remember" toggle button; undefined when dismissed. */
function passwordBox(prompt: string, attempt: number): Promise<{ value: string; remember: boolean } | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    let remember = false;
    const off: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('circle-large-outline'), tooltip: 'Remember in VS Code Secret Storage (off)' };
    const on: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('pass-filled'), tooltip: 'Remember in VS Code Secret Storage (on)' };
    const describe = () => {
      box.prompt = `${attempt > 1 ? 'Refused, try again. ' : ''}${remember ? 'Will be remembered in Secret Storage.' : 'Not remembered (toggle with the button).'}`;
      box.buttons = [remember ? on : off];
    };
    box.title = prompt;
    box.password = true;
    box.ignoreFocusOut = true;
    box.placeholder = prompt;
    describe();
    let done = false;
    const finish = (v: { value: string; remember: boolean } | undefined) => {
      if (done) return;
      done = true;
      resolve(v);
      box.dispose();
    };
    box.onDidTriggerButton(() => {
      remember = !remember;
      describe();
    });
    box.onDidAccept(() => finish({ value: box.value, remember }));
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}
