// The one interface probes run through: a command with a byte cap and a timeout, the tail of a
// file, a file followed as it grows. `ssh.ts` and `local.ts` implement it over the same base,
// so caps, timeouts and the tail/stream commands behave the same on both.
//
// Every path given to readTail/stream reaches the shell only through shell-quote's quote(), as a
// positional parameter of a fixed script; commands given to run() are the caller's and are
// expected to quote their own paths with `shq`.

import { quote } from 'shell-quote';

export interface RunOptions {
  /** Kill the command after this long (counted from its start, not from waiting for a channel). */
  timeoutMs: number;
  /** Keep at most this many bytes of stdout; beyond it the command is killed and `truncated` set. */
  maxBytes: number;
  /** Data for the command's stdin (closed after it). Without it, stdin is empty. */
  stdin?: string | Buffer;
  /** Keep at most this many bytes of stderr (the rest is dropped, the command keeps running). Default 64 KiB. */
  maxStderrBytes?: number;
  /** `buffer`: stdout as a Buffer (binary-safe). Default: a UTF-8 string. */
  encoding?: 'utf8' | 'buffer';
  /** Cancels the command (queued or running); run() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface RunResult<T extends string | Buffer = string> {
  stdout: T;
  stderr: string;
  /** Exit status, or null when the command ended by a signal or was killed by us. */
  code: number | null;
  /** The signal that ended the command (`SIGTERM`, `SIGSEGV`), when reported; null when we killed it. */
  signal: string | null;
  /** Killed because it ran longer than timeoutMs. */
  timedOut: boolean;
  /** stdout reached maxBytes: what is returned is the first maxBytes bytes, and the command was killed. */
  truncated: boolean;
  durationMs: number;
}

export type TailStatus = 'ok' | 'missing' | 'not-permitted' | 'failed' | 'timeout';

export interface TailOptions {
  /** Default 15 s. */
  timeoutMs?: number;
  /** Read through `sudo -n` (never prompts; a refusal is `not-permitted`). */
  sudo?: boolean;
  signal?: AbortSignal;
}

export interface TailResult {
  /** The last bytes of the file (at most maxBytes). */
  data: Buffer;
  /** The file's size in bytes when it was read, if stat could tell. */
  size: number | undefined;
  /** The file holds more than `data` (or the cap cut the output). */
  truncated: boolean;
  status: TailStatus;
  stderr: string;
  code: number | null;
  durationMs: number;
}

export interface StreamOptions {
  /** Start with the last N bytes already in the file (default 0: only what is appended from now on). */
  fromEnd?: number;
  /** Stop after delivering this many bytes (default: no limit). */
  maxBytes?: number;
  /** Follow through `sudo -n`. */
  sudo?: boolean;
  /** tail's own notices (`file truncated`, `has been replaced; following new file`, errors). */
  onStderr?: (text: string) => void;
}

export interface StreamEnd {
  /** Ended by stop(). */
  stopped: boolean;
  /** Ended because maxBytes was reached. */
  truncated: boolean;
  code: number | null;
  signal: string | null;
  stderr: string;
  /** Bytes delivered to onData. */
  bytes: number;
}

export interface StreamHandle {
  /** Resolves once the file's position was taken: anything appended after this is delivered. Rejects if the stream could not start. */
  ready: Promise<void>;
  /** Resolves when the stream ends (stop(), limit, the remote tail exiting); rejects on a transport failure. */
  done: Promise<StreamEnd>;
  /** Stops following (kills the remote tail) and resolves with how it ended. */
  stop(): Promise<StreamEnd>;
}

export interface Transport {
  readonly kind: 'ssh' | 'local';
  /** The target as the user gave it (`web1`, `root@10.0.0.5:2222`, `local`). */
  readonly target: string;
  /**
   * Runs a shell command (`sh -c` semantics). Resolves for every outcome of the command
   * (non-zero exit, timeout, truncation); rejects only when the transport fails (RemoteError
   * `disconnected`/`closed`/`protocol`) or on abort.
   */
  run(command: string, opts: RunOptions & { encoding: 'buffer' }): Promise<RunResult<Buffer>>;
  run(command: string, opts: RunOptions): Promise<RunResult<string>>;
  /** The last maxBytes bytes of a file (`tail -c`, so only those bytes cross the wire). */
  readTail(path: string, maxBytes: number, opts?: TailOptions): Promise<TailResult>;
  /** Follows a file as it grows (`tail -F`: survives truncation and rotation). */
  stream(path: string, onData: (chunk: Buffer) => void, opts?: StreamOptions): StreamHandle;
  /** Ends everything still running and the connection. Idempotent. */
  close(): Promise<void>;
}

/** Shell-quotes one word (shell-quote's quote()); use for every path put in a command. */
export function shq(word: string): string {
  return quote([word]);
}

/** Shell-quotes a command and its arguments into one command line. */
export function shellCommand(argv: readonly string[]): string {
  return quote([...argv]);
}

// ---------------------------------------------------------------------------------------------
// The shared implementation.

export interface SpawnIO {
  /** Data for stdin; undefined: stdin stays empty. */
  stdin?: Buffer;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** A limit the far side enforces too, in case we cannot reach it to kill (0: none). */
  remoteTimeoutMs: number;
  signal?: AbortSignal;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface Spawned {
  /** Kills the command (and what it started). Idempotent. */
  kill(): void;
  /** Resolves when the command is gone; rejects with a RemoteError if the transport failed. */
  exit: Promise<ExitStatus>;
}

/** After kill(), how long to wait for the exit before reporting anyway. */
const KILL_GRACE_MS = 3000;
const DEFAULT_STDERR_CAP = 64 * 1024;
const DEFAULT_TAIL_TIMEOUT_MS = 15_000;

// Prints the file's size (or -1) on the first line, then its last $2 bytes. `stat -L` follows a
// symlinked log (wc -c where there is no stat).
const TAIL_SCRIPT = 's=$(stat -L -c %s -- "$1" 2>/dev/null || wc -c 2>/dev/null <"$1") || s=-1; printf \'%s\\n\' "$s"; exec tail -c "$2" -- "$1"';

// Prints the byte offset it starts from on the first line (the current size, less fromEnd),
// then follows by name from that offset: appends that land between the stat and tail's open
// are not lost, and truncation/rotation are tail -F's.
const STREAM_SCRIPT =
  's=$(stat -L -c %s -- "$1" 2>/dev/null || wc -c 2>/dev/null <"$1") || s=0; o=$((s > $2 ? s - $2 : 0)); printf \'%s\\n\' "$o"; exec tail -s 1 -c +$((o + 1)) -F -- "$1"';

function withSudo(argv: string[], sudo: boolean | undefined): string[] {
  return sudo ? ['sudo', '-n', '--', ...argv] : argv;
}

export function tailCommand(path: string, maxBytes: number, sudo?: boolean): string {
  return shellCommand(withSudo(['sh', '-c', TAIL_SCRIPT, 'ngx502-tail', path, String(Math.max(0, Math.floor(maxBytes)))], sudo));
}

export function streamCommand(path: string, fromEnd: number, sudo?: boolean): string {
  return shellCommand(withSudo(['sh', '-c', STREAM_SCRIPT, 'ngx502-stream', path, String(Math.max(0, Math.floor(fromEnd)))], sudo));
}

/** What a failed read says about the file: gone, not readable, or something else. */
export function classifyFailure(stderr: string): TailStatus {
  if (/No such file or directory|No such device/i.test(stderr)) return 'missing';
  if (/Permission denied|Operation not permitted|a password is required|a terminal is required|may not run sudo|not in the sudoers|not allowed to execute/i.test(stderr)) return 'not-permitted';
  return 'failed';
}

/** A counting semaphore with a FIFO queue; waiting can be aborted. */
export class Semaphore {
  private active = 0;
  private readonly queue: { grant: () => void; reject: (e: unknown) => void }[] = [];

  constructor(private limit: number) {}

  get inUse(): number {
    return this.active;
  }

  /** Changes the limit; running holders are not affected. */
  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.pump();
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.active--;
        this.pump();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve(release);
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Rejects everyone still waiting. */
  drain(err: unknown): void {
    for (const w of this.queue.splice(0)) w.reject(err);
  }

  private pump(): void {
    while (this.active < this.limit && this.queue.length > 0) this.queue.shift()!.grant();
  }
}

/** Collects stdout up to a cap (then asks for a kill) and stderr up to its own cap. */
class Collector {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outLen = 0;
  private errLen = 0;
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly maxStderr: number,
    private readonly onFull: () => void,
  ) {}

  stdout(chunk: Buffer): void {
    if (this.truncated) return;
    const room = this.maxBytes - this.outLen;
    if (chunk.length > room) {
      if (room > 0) this.out.push(chunk.subarray(0, room));
      this.outLen += Math.max(0, room);
      this.truncated = true;
      this.onFull();
      return;
    }
    this.out.push(chunk);
    this.outLen += chunk.length;
  }

  stderr(chunk: Buffer): void {
    const room = this.maxStderr - this.errLen;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.err.push(part);
    this.errLen += part.length;
  }

  stdoutBuffer(): Buffer {
    return Buffer.concat(this.out, this.outLen);
  }

  stderrText(): string {
    return Buffer.concat(this.err, this.errLen).toString('utf8');
  }
}

/**
 * A kill switch for a spawned command: after kill(), the exit is awaited for at most `graceMs`
 * (a peer that never answers must not hang the caller).
 */
class Killer {
  killed = false;
  proc: Spawned | undefined;
  private onKill!: () => void;
  private readonly killedP = new Promise<void>((resolve) => (this.onKill = resolve));

  kill(): void {
    this.killed = true;
    this.proc?.kill();
    this.onKill();
  }

  async exit(exit: Promise<ExitStatus>, graceMs: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const late = this.killedP.then(
      () =>
        new Promise<ExitStatus>((resolve) => {
          timer = setTimeout(() => resolve({ code: null, signal: null }), graceMs);
          timer.unref();
        }),
    );
    try {
      return await Promise.race([exit, late]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** readTail, stream and the caps/timeouts of run(), over a transport's spawn(). */
export abstract class ShellTransport implements Transport {
  abstract readonly kind: 'ssh' | 'local';
  abstract readonly target: string;

  /** Starts `command` under `sh -c` semantics; resolves once it runs. */
  protected abstract spawn(command: string, io: SpawnIO): Promise<Spawned>;
  abstract close(): Promise<void>;

  run(command: string, opts: RunOptions & { encoding: 'buffer' }): Promise<RunResult<Buffer>>;
  run(command: string, opts: RunOptions): Promise<RunResult<string>>;
  async run(command: string, opts: RunOptions): Promise<RunResult<string | Buffer>> {
    const r = await this.runBuffer(command, opts);
    return opts.encoding === 'buffer' ? r : { ...r, stdout: r.stdout.toString('utf8') };
  }

  protected async runBuffer(command: string, opts: RunOptions): Promise<RunResult<Buffer>> {
    const { signal } = opts;
    if (signal?.aborted) throw signal.reason;
    const killer = new Killer();
    const collector = new Collector(Math.max(0, opts.maxBytes), opts.maxStderrBytes ?? DEFAULT_STDERR_CAP, () => killer.kill());
    const proc = await this.spawn(command, {
      stdin: opts.stdin === undefined ? undefined : Buffer.from(opts.stdin),
      onStdout: (c) => collector.stdout(c),
      onStderr: (c) => collector.stderr(c),
      remoteTimeoutMs: opts.timeoutMs,
      signal,
    });
    killer.proc = proc;
    const start = Date.now();
    if (killer.killed) proc.kill(); // the cap was reached before spawn() returned
    let timedOut = false;
    let aborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killer.kill();
    }, Math.max(0, opts.timeoutMs));
    const onAbort = () => {
      aborted = true;
      killer.kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const status = await killer.exit(proc.exit, KILL_GRACE_MS);
      if (aborted) throw signal!.reason;
      const byUs = timedOut || collector.truncated;
      return {
        stdout: collector.stdoutBuffer(),
        stderr: collector.stderrText(),
        code: byUs && status.code !== 0 ? null : status.code,
        signal: byUs ? null : status.signal,
        timedOut,
        truncated: collector.truncated,
        durationMs: Date.now() - start,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async readTail(path: string, maxBytes: number, opts: TailOptions = {}): Promise<TailResult> {
    const cap = Math.max(0, Math.floor(maxBytes));
    // The size line comes first: allow for it in the cap.
    const r = await this.runBuffer(tailCommand(path, cap, opts.sudo), {
      timeoutMs: opts.timeoutMs ?? DEFAULT_TAIL_TIMEOUT_MS,
      maxBytes: cap + 32,
      signal: opts.signal,
    });
    const nl = r.stdout.indexOf(0x0a);
    const sizeText = nl >= 0 ? r.stdout.subarray(0, nl).toString('latin1') : '';
    const size = /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
    const data = nl >= 0 ? r.stdout.subarray(nl + 1) : Buffer.alloc(0);
    let status: TailStatus = 'ok';
    if (r.timedOut) status = 'timeout';
    else if (r.code !== 0 && !r.truncated) status = classifyFailure(r.stderr);
    return {
      data: data.length > cap ? data.subarray(data.length - cap) : data,
      size,
      truncated: r.truncated || (size !== undefined && size > data.length),
      status,
      stderr: r.stderr,
      code: r.code,
      durationMs: r.durationMs,
    };
  }

  stream(path: string, onData: (chunk: Buffer) => void, opts: StreamOptions = {}): StreamHandle {
    const killer = new Killer();
    let stopped = false;
    let truncated = false;
    let bytes = 0;
    let header: Buffer | undefined = Buffer.alloc(0);
    let stderr = '';
    let markReady!: () => void;
    let failReady!: (e: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const limit = opts.maxBytes ?? Infinity;
    const deliver = (chunk: Buffer) => {
      if (truncated || stopped) return;
      const room = limit - bytes;
      if (chunk.length >= room) {
        truncated = true;
        if (room > 0) onData(chunk.subarray(0, room));
        bytes += Math.max(0, room);
        killer.kill();
        return;
      }
      bytes += chunk.length;
      onData(chunk);
    };
    const onStdout = (chunk: Buffer) => {
      if (header) {
        header = Buffer.concat([header, chunk]);
        const nl = header.indexOf(0x0a);
        if (nl < 0) return;
        const rest = header.subarray(nl + 1);
        header = undefined;
        markReady();
        if (rest.length) deliver(rest);
        return;
      }
      deliver(chunk);
    };
    const done = (async (): Promise<StreamEnd> => {
      try {
        killer.proc = await this.spawn(streamCommand(path, opts.fromEnd ?? 0, opts.sudo), {
          onStdout,
          onStderr: (c) => {
            const text = c.toString('utf8');
            if (stderr.length < DEFAULT_STDERR_CAP) stderr += text;
            opts.onStderr?.(text);
          },
          remoteTimeoutMs: 0,
        });
      } catch (e) {
        failReady(e);
        throw e;
      }
      if (killer.killed) killer.proc.kill();
      try {
        const status = await killer.exit(killer.proc.exit, KILL_GRACE_MS);
        if (header) failReady(new Error(`stream of ${path} ended before it started: ${stderr.trim() || `exit ${status.code}`}`));
        return { stopped, truncated, code: status.code, signal: status.signal, stderr, bytes };
      } catch (e) {
        failReady(e);
        throw e;
      }
    })();
    ready.catch(() => undefined);
    done.catch(() => undefined);
    return {
      ready,
      done,
      stop: () => {
        stopped = true;
        killer.kill();
        return done;
      },
    };
  }
}
